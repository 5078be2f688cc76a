#include "testing/vm_namespace.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/strip.h>
#include <signal.h>
#include <sys/stat.h>

#include "common/status_macros.h"

namespace plasmanet::testing {
namespace {

// Runs `ip ARGS...`; kInternal with ip's message on failure.
absl::Status Ip(const std::vector<std::string>& args) {
  PN_ASSIGN_OR_RETURN(ProcessResult r, RunProgram("ip", args, absl::Seconds(10)));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("ip ", absl::StrJoin(args, " "), ": ", r.stderr_text));
  }
  return absl::OkStatus();
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 13) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') return false;
  }
  return true;
}

}  // namespace

VmNamespace::VmNamespace(OvnSandbox& sandbox, std::string name)
    : sandbox_(sandbox),
      name_(std::move(name)),
      netns_(sandbox.NetnsName(name_)),
      host_ifname_("h-" + name_) {}

absl::StatusOr<std::unique_ptr<VmNamespace>> VmNamespace::Create(OvnSandbox& sandbox,
                                                                 const std::string& name,
                                                                 const VmNicConfig& nic) {
  if (!ValidName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("VM name '", name, "' must be 1 to 13 characters of [a-z0-9-]"));
  }
  auto vm = std::unique_ptr<VmNamespace>(new VmNamespace(sandbox, name));
  sandbox.RecordNetns(vm->netns_);  // before creating it, so a crash right after is swept
  PN_RETURN_IF_ERROR(Ip({"netns", "add", vm->netns_}));
  PN_RETURN_IF_ERROR(Ip({"-n", vm->netns_, "link", "set", "lo", "up"}));
  PN_RETURN_IF_ERROR(Ip({"-n", sandbox.chassis_netns(), "link", "add", vm->host_ifname_, "type",
                         "veth", "peer", "name", "eth0", "netns", vm->netns_}));
  PN_RETURN_IF_ERROR(Ip({"-n", sandbox.chassis_netns(), "link", "set", vm->host_ifname_, "up"}));
  PN_ASSIGN_OR_RETURN(ProcessResult offload,
                      vm->Exec({"ethtool", "-K", "eth0", "tx", "off"}, absl::Seconds(10)));
  if (offload.exit_code != 0) {
    return absl::InternalError(absl::StrCat("ethtool -K eth0 tx off: ", offload.stderr_text));
  }
  PN_RETURN_IF_ERROR(vm->Configure(nic));
  return vm;
}

VmNamespace::~VmNamespace() {
  // A namespace lives on while a process is inside it: stop the probe server first.
  if (absl::StatusOr<pid_t> probe = ReadPidFile(ProbeFile("pid")); probe.ok()) {
    SignalAndWait(*probe, SIGKILL, absl::Seconds(5)).IgnoreError();
  }
  Ip({"netns", "del", netns_}).IgnoreError();
}

std::string VmNamespace::ProbeFile(const char* extension) const {
  return absl::StrCat(sandbox_.dir(), "/probe-", name_, ".", extension);
}

absl::Status VmNamespace::Configure(const VmNicConfig& nic) {
  const std::vector<std::string> in_vm = {"-n", netns_};
  auto ip = [&](std::vector<std::string> args) {
    args.insert(args.begin(), in_vm.begin(), in_vm.end());
    return Ip(args);
  };
  PN_RETURN_IF_ERROR(ip({"link", "set", "eth0", "down"}));
  PN_RETURN_IF_ERROR(ip({"addr", "flush", "dev", "eth0"}));
  if (!nic.mac.empty()) PN_RETURN_IF_ERROR(ip({"link", "set", "eth0", "address", nic.mac}));
  for (const std::string& address : nic.addresses) {
    // nodad: an IPv6 address is usable at once instead of after duplicate address detection.
    std::vector<std::string> add = {"addr", "add", address, "dev", "eth0"};
    if (address.find(':') != std::string::npos) add.push_back("nodad");
    PN_RETURN_IF_ERROR(ip(add));
  }
  PN_RETURN_IF_ERROR(ip({"link", "set", "eth0", "up"}));
  if (!nic.gateway_ipv4.empty()) {
    PN_RETURN_IF_ERROR(ip({"route", "replace", "default", "via", nic.gateway_ipv4}));
  }
  if (!nic.gateway_ipv6.empty()) {
    PN_RETURN_IF_ERROR(ip({"-6", "route", "replace", "default", "via", nic.gateway_ipv6}));
  }
  // As a booting guest does, announce the IPv4 addresses (gratuitous ARP), so that peers that
  // knew the address under another MAC update their caches at once rather than in a minute.
  for (const std::string& address : nic.addresses) {
    if (address.find(':') != std::string::npos) continue;
    // arping sends at once, then listens for a second for replies nobody sends: cut that short.
    PN_ASSIGN_OR_RETURN(ProcessResult arping,
                        Exec({"timeout", "0.2", "arping", "-q", "-U", "-c", "1", "-I", "eth0",
                              address.substr(0, address.find('/'))},
                             absl::Seconds(10)));
    if (arping.exit_code != 0 && arping.exit_code != 124) {  // 124: cut short by timeout
      return absl::InternalError(absl::StrCat("arping: ", arping.stderr_text));
    }
  }
  nic_ = nic;
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> VmNamespace::RunDhcpClient(
    absl::Duration timeout) {
  // udhcpc hands the offer to a script in environment variables; this one records them and
  // configures eth0 as a distribution's default script would.
  const std::string script = ProbeFile("dhcp.sh");
  const std::string lease = ProbeFile("lease");
  {
    std::ofstream out(script);
    out << "#!/bin/sh\n"
           "[ \"$1\" = bound ] || [ \"$1\" = renew ] || exit 0\n"
           "for v in ip mask router dns domain hostname mtu staticroutes lease serverid \\\n"
           "    siaddr boot_file bootfile; do\n"
           "  eval \"echo $v=\\$$v\"\n"
           "done > \"$LEASE_FILE\"\n"
           "ip addr flush dev \"$interface\"\n"
           "ip addr add \"$ip/$mask\" dev \"$interface\"\n"
           "[ -n \"$mtu\" ] && ip link set dev \"$interface\" mtu \"$mtu\"\n"
           "[ -n \"$router\" ] && ip route replace default via \"$router\"\n"
           "exit 0\n";
  }
  if (chmod(script.c_str(), 0755) != 0) return absl::InternalError("chmod of the DHCP script");
  std::remove(lease.c_str());
  const int seconds = std::max<int64_t>(1, absl::ToInt64Seconds(timeout));
  // -n: give up rather than background; -q: exit once bound; -t/-T: tries and their spacing.
  PN_ASSIGN_OR_RETURN(ProcessResult r, Exec({"env",
                                             absl::StrCat("LEASE_FILE=", lease),
                                             "busybox",
                                             "udhcpc",
                                             "-i",
                                             "eth0",
                                             "-f",
                                             "-n",
                                             "-q",
                                             "-s",
                                             script,
                                             "-t",
                                             absl::StrCat(seconds),
                                             "-T",
                                             "1",
                                             "-O",
                                             "mtu",
                                             "-O",
                                             "staticroutes",
                                             "-O",
                                             "domain",
                                             "-O",
                                             "hostname"},
                                            timeout + absl::Seconds(10)));
  std::ifstream in(lease);
  if (r.exit_code != 0 || !in) {
    return absl::UnavailableError(
        absl::StrCat("udhcpc in ", name_, " got no lease: ", r.stdout_text, r.stderr_text));
  }
  std::map<std::string, std::string> offer;
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos && eq + 1 < line.size()) {
      offer[line.substr(0, eq)] = std::string(absl::StripAsciiWhitespace(line.substr(eq + 1)));
    }
  }
  return offer;
}

absl::StatusOr<ProcessResult> VmNamespace::Exec(const std::vector<std::string>& command,
                                                absl::Duration timeout) const {
  std::vector<std::string> args = {"netns", "exec", netns_};
  args.insert(args.end(), command.begin(), command.end());
  return RunProgram("ip", args, timeout);
}

bool VmNamespace::Ping(const std::string& address, absl::Duration timeout,
                       const std::string& source) const {
  // ping -W takes seconds with a fraction; one request, answered or not within the timeout.
  std::vector<std::string> ping = {
      "ping", "-n", "-q", "-c", "1", "-W", absl::StrCat(absl::ToDoubleSeconds(timeout))};
  if (!source.empty()) ping.insert(ping.end(), {"-I", source});
  ping.push_back(address);
  absl::StatusOr<ProcessResult> r = Exec(ping, timeout + absl::Seconds(5));
  return r.ok() && r->exit_code == 0;
}

absl::Status VmNamespace::StartProbeServer(int port) {
  PN_ASSIGN_OR_RETURN(ProcessResult r,
                      Exec({NETPROBE_PATH, "serve", "--id", name_, "--port", absl::StrCat(port),
                            "--daemon", "--pidfile", ProbeFile("pid"), "--log", ProbeFile("log")}));
  if (r.exit_code != 0) {
    return absl::InternalError(absl::StrCat("netprobe serve in ", name_, ": ", r.stderr_text));
  }
  return absl::OkStatus();
}

std::string VmNamespace::Received() const {
  std::ifstream in(ProbeFile("log"));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

absl::Status VmNamespace::SendUdp(const std::string& address, int port, const std::string& payload,
                                  const std::string& source) const {
  std::vector<std::string> send = {NETPROBE_PATH,      "send",      address,
                                   absl::StrCat(port), "--payload", payload};
  if (!source.empty()) send.insert(send.end(), {"--source", source});
  PN_ASSIGN_OR_RETURN(ProcessResult r, Exec(send));
  if (r.exit_code != 0) return absl::InternalError(absl::StrCat("netprobe send: ", r.stderr_text));
  return absl::OkStatus();
}

absl::Status VmNamespace::HoldTcp(const std::string& address, int port,
                                  absl::Duration duration) const {
  PN_ASSIGN_OR_RETURN(ProcessResult r,
                      Exec({NETPROBE_PATH, "hold", address, absl::StrCat(port + 1), "--duration-ms",
                            absl::StrCat(absl::ToInt64Milliseconds(duration))},
                           duration + absl::Seconds(10)));
  if (r.exit_code == 0) return absl::OkStatus();
  return absl::UnavailableError(
      absl::StrCat("connection to ", address, ":", port + 1, ": ", r.stdout_text, r.stderr_text));
}

absl::StatusOr<std::string> VmNamespace::Probe(Protocol protocol, const std::string& address,
                                               int port, absl::Duration timeout,
                                               const std::string& source) const {
  std::vector<std::string> probe = {
      NETPROBE_PATH,  protocol == Protocol::kTcp ? "tcp" : "udp",      address, absl::StrCat(port),
      "--timeout-ms", absl::StrCat(absl::ToInt64Milliseconds(timeout))};
  if (!source.empty()) probe.insert(probe.end(), {"--source", source});
  // The datagram says who sent it, so the receiver's log tells senders with equal addresses
  // apart.
  if (protocol == Protocol::kUdp) probe.insert(probe.end(), {"--payload", name_});
  PN_ASSIGN_OR_RETURN(ProcessResult r, Exec(probe, timeout + absl::Seconds(5)));
  if (r.exit_code != 0) {
    return absl::UnavailableError(absl::StripAsciiWhitespace(r.stderr_text));
  }
  return std::string(absl::StripAsciiWhitespace(r.stdout_text));
}

}  // namespace plasmanet::testing
