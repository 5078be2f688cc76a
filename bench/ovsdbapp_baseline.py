#!/usr/bin/python3
# The "typical Python control plane" baseline: Logical_Switch_Ports written into an OVN
# Northbound ovsdb-server with Debian's python3-ovsdbapp (the library behind Neutron's OVN
# driver), one transaction per port, as such a control plane does for each port create.
#
#   bench/ovsdbapp_baseline.py --remote unix:/tmp/x/nb.sock [--ports 10000] [--switches 100]
#
# The switches are created first (not timed); then --ports ports, spread evenly over them in
# order, each with addresses and port_security "MAC IP" and an external_ids owner key, the
# same rows PlasmaNET writes. Prints one line:
#   baseline_ovsdbapp ports=N seconds=X ports_per_s=Y
# The database must be empty of these names (a fresh server).
import argparse
import sys
import time
import uuid

from ovsdbapp.backend.ovs_idl import connection
from ovsdbapp.schema.ovn_northbound import impl_idl


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--remote", required=True)
    parser.add_argument("--ports", type=int, default=10000)
    parser.add_argument("--switches", type=int, default=100)
    args = parser.parse_args()
    if args.ports < 1 or args.switches < 1:
        parser.error("--ports and --switches must be positive")

    idl = connection.OvsdbIdl.from_server(args.remote, "OVN_Northbound")
    nb = impl_idl.OvnNbApiIdlImpl(connection.Connection(idl=idl, timeout=120))
    switches = ["baseline-ls-%d" % i for i in range(args.switches)]
    with nb.transaction(check_error=True) as txn:
        for name in switches:
            txn.add(nb.ls_add(name))

    per_switch = (args.ports + args.switches - 1) // args.switches
    start = time.monotonic()
    for i in range(args.ports):
        switch = switches[min(i // per_switch, args.switches - 1)]
        mac = "0a:00:%02x:%02x:%02x:%02x" % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255,
                                            i & 255)
        ip = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
        port_id = str(uuid.uuid4())
        nb.lsp_add(switch, port_id, addresses=["%s %s" % (mac, ip)],
                   port_security=["%s %s" % (mac, ip)],
                   external_ids={"plasmanet:owner": "port/" + port_id}).execute(check_error=True)
    seconds = time.monotonic() - start
    print("baseline_ovsdbapp ports=%d seconds=%.3f ports_per_s=%.0f"
          % (args.ports, seconds, args.ports / seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
