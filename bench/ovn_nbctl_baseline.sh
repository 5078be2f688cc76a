#!/usr/bin/env bash
# The raw OVN baseline PlasmaNET's benchmarks compare against: how fast ovn-nbctl alone writes
# the topology PlasmaNET builds, into a standalone OVN Northbound ovsdb-server of its own.
#
#   bench/ovn_nbctl_baseline.sh [--ports N] [--batch B] [--idiom lsp|create]
#
# Topology: 10 logical routers; 100 logical switches (10 per router), each with a router port
# (lrp-add, MAC, /24) and a switch port of type router; then N logical switch ports (default
# 10,000), spread evenly over the switches in order, each with addresses and port_security
# "MAC IP" and external_ids:plasmanet-owner=port/<uuid>.
#
# --idiom lsp (the default) writes each port the way an operator would: lsp-add,
# lsp-set-addresses, lsp-set-port-security, then `set Logical_Switch_Port NAME external_ids:..`.
# That generic `set` by name is slow on a large table: measured, it is about half the time
# of a 10,000-port transaction. --idiom create writes the same rows with
# `--id=@p create Logical_Switch_Port ... -- add Logical_Switch SW ports @p`, a faster
# ovn-nbctl idiom; its lines end in idiom=create.
#
# Two figures, each on a fresh database with the topology already in place (not timed):
#   1. the N ports as ceil(N/B) ovn-nbctl invocations, one transaction of B ports each;
#   2. the N ports as ONE ovn-nbctl invocation, one transaction.
# Output lines: baseline_nbctl ports=N batch=B seconds=X.XXX ports_per_s=Y [idiom=create]
#
# The server, its sockets, pidfile and log live in a temp dir; the server is killed by pid on
# exit. Nothing touches /var/run/openvswitch.
set -euo pipefail

PORTS=10000
BATCH=1000
IDIOM=lsp
while [ $# -gt 0 ]; do
  case "$1" in
    --ports) PORTS="$2"; shift 2 ;;
    --batch) BATCH="$2"; shift 2 ;;
    --idiom) IDIOM="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (expected --ports N, --batch B, --idiom lsp|create)" >&2; exit 2 ;;
  esac
done
if ! [[ "$PORTS" =~ ^[1-9][0-9]*$ && "$BATCH" =~ ^[1-9][0-9]*$ && "$IDIOM" =~ ^(lsp|create)$ ]]; then
  echo "--ports and --batch take positive integers, --idiom lsp or create" >&2
  exit 2
fi

ROUTERS=10
SWITCHES=100
SCHEMA=/usr/share/ovn/ovn-nb.ovsschema
DIR=$(mktemp -d /tmp/plasmanet-nbctl-baseline-XXXXXX)
DB="$DIR/nb.db"
REMOTE="unix:$DIR/nb.sock"
SERVER_PID=""

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    # Wait for the process to go (a zombie counts as gone: pid 1 may never reap it).
    for _ in $(seq 100); do
      state=$(awk '{print $3}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo gone)
      [ "$state" = gone ] || [ "$state" = Z ] && break
      sleep 0.05
    done
    SERVER_PID=""
  fi
}
cleanup() {
  stop_server
  rm -rf "$DIR"
}
trap cleanup EXIT

# A fresh empty database and a server on it, with the harness's flags (src/testing).
start_fresh_server() {
  stop_server
  rm -f "$DB"
  ovsdb-tool create "$DB" "$SCHEMA"
  if ! ovsdb-server "$DB" --detach --no-chdir --pidfile="$DIR/nb.pid" --log-file="$DIR/nb.log" \
    --unixctl="$DIR/nb.ctl" --remote="punix:$DIR/nb.sock" 2>"$DIR/start.err"; then
    cat "$DIR/start.err" >&2
    exit 1
  fi
  SERVER_PID=$(cat "$DIR/nb.pid")
}

# timeval warnings ("Unreasonably long poll interval") only restate the timings below.
nbctl() { ovn-nbctl -vtimeval:console:off --db="$REMOTE" "$@"; }

now() { date +%s.%N; }

# Routers and switches, each switch wired to its router: one transaction.
build_topology() {
  local args=() r s lrp
  for ((r = 0; r < ROUTERS; r++)); do
    args+=(-- lr-add "lr$r")
  done
  for ((s = 0; s < SWITCHES; s++)); do
    r=$((s / (SWITCHES / ROUTERS)))
    lrp="lrp-ls$s"
    args+=(-- ls-add "ls$s"
      -- lrp-add "lr$r" "$lrp" "$(printf '02:00:00:00:%02x:01' "$s")" "10.$s.0.1/24"
      -- lsp-add "ls$s" "ls$s-lr"
      -- lsp-set-type "ls$s-lr" router
      -- lsp-set-addresses "ls$s-lr" router
      -- lsp-set-options "ls$s-lr" "router-port=$lrp")
  done
  nbctl "${args[@]}" >/dev/null
}

# Appends to PORT_ARGS the commands that create ports [first, last).
PER_SWITCH=$(((PORTS + SWITCHES - 1) / SWITCHES))
port_commands() {
  local first=$1 last=$2 k s host mac ip uuid
  PORT_ARGS=()
  for ((k = first; k < last; k++)); do
    s=$((k / PER_SWITCH))
    host=$((k % PER_SWITCH + 2))
    printf -v mac '0a:00:%02x:%02x:%02x:%02x' "$s" $((k >> 16 & 255)) $((k >> 8 & 255)) $((k & 255))
    printf -v uuid '%08x-0000-4000-8000-%012x' "$k" "$k"
    ip="10.$s.$((host >> 8)).$((host & 255))"
    if [ "$IDIOM" = lsp ]; then
      PORT_ARGS+=(-- lsp-add "ls$s" "p$k"
        -- lsp-set-addresses "p$k" "$mac $ip"
        -- lsp-set-port-security "p$k" "$mac $ip"
        -- set Logical_Switch_Port "p$k" "external_ids:plasmanet-owner=port/$uuid")
    else
      PORT_ARGS+=(-- "--id=@p$k" create Logical_Switch_Port "name=p$k"
        "addresses=\"$mac $ip\"" "port_security=\"$mac $ip\""
        "external_ids:plasmanet-owner=port/$uuid"
        -- add Logical_Switch "ls$s" ports "@p$k")
    fi
  done
}

# Fails unless the database holds exactly the expected number of switch ports, and the last
# one has its addresses, port security and owner.
check_ports() {
  local want=$((PORTS + SWITCHES)) got last=p$((PORTS - 1))
  got=$(nbctl --bare --columns=_uuid list Logical_Switch_Port | grep -c .)
  if [ "$got" -ne "$want" ]; then
    echo "expected $want logical switch ports, found $got" >&2
    exit 1
  fi
  for column in addresses port_security external_ids; do
    if [ -z "$(nbctl get Logical_Switch_Port "$last" "$column" | tr -d '[]{}"')" ]; then
      echo "port $last has no $column" >&2
      exit 1
    fi
  done
}

report() {
  local batch=$1 start=$2 end=$3
  awk -v n="$PORTS" -v b="$batch" -v s="$start" -v e="$end" \
    -v suffix="$([ "$IDIOM" = lsp ] || echo " idiom=$IDIOM")" \
    'BEGIN { t = e - s; printf "baseline_nbctl ports=%d batch=%d seconds=%.3f ports_per_s=%.0f%s\n", n, b, t, n / t, suffix }'
}

# 1. Batches of BATCH ports, one ovn-nbctl process and one transaction each.
start_fresh_server
build_topology
batches=()
for ((first = 0; first < PORTS; first += BATCH)); do
  last=$((first + BATCH < PORTS ? first + BATCH : PORTS))
  port_commands "$first" "$last"
  batches+=("$(printf '%q ' "${PORT_ARGS[@]}")")
done
start=$(now)
for cmd in "${batches[@]}"; do
  eval "nbctl $cmd" >/dev/null
done
end=$(now)
check_ports
report "$BATCH" "$start" "$end"

# 2. All PORTS in one transaction. Its argument list (about 370 bytes a port) passes the
# default 2 MB ARG_MAX (a quarter of the stack limit) from about 5,500 ports, so raise the
# stack limit for this one process.
start_fresh_server
build_topology
port_commands 0 "$PORTS"
start=$(now)
(ulimit -s 262144 && nbctl "${PORT_ARGS[@]}" >/dev/null)
end=$(now)
check_ports
report "$PORTS" "$start" "$end"
