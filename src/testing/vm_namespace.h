// A "VM" for end-to-end tests: a network namespace with one NIC, eth0, the far end of a veth
// pair whose host end (host_ifname(), "h-<name>") sits in the sandbox's chassis namespace, where
// it is plugged into br-int like a VM's tap.
//
//   PN_ASSIGN_OR_RETURN(auto vm, VmNamespace::Create(*sandbox, "a1",
//       {.mac = port.mac_address(), .addresses = {"10.0.1.2/24"}, .gateway_ipv4 = "10.0.1.1"}));
//   // plasmanet plug <port id> --ifname vm->host_ifname() --ovs-db sandbox->ovs_remote()
//   vm->Ping("10.0.1.3", absl::Seconds(1));
//   vm->StartProbeServer(7000);   // answers TCP and UDP with "a1"
//   vm->Probe(Protocol::kTcp, "10.0.1.3", 7000, absl::Seconds(1));  // "a2", or an error
//
// Checksum offload is switched off on eth0: the userspace datapath does not fill in checksums a
// veth leaves to "hardware". Thread-compatible: probes from several threads are fine, Configure
// is not.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "testing/ovn_sandbox.h"
#include "testing/process.h"

namespace plasmanet::testing {

struct VmNicConfig {
  std::string mac;
  std::vector<std::string> addresses;  // with prefix length: "10.0.1.2/24", "fd00:1::2/64"
  std::string gateway_ipv4;            // default route, if set
  std::string gateway_ipv6;
};

enum class Protocol { kTcp, kUdp };

class VmNamespace {
 public:
  // `name`: at most 13 characters of [a-z0-9-]; it is also the id the probe server answers with.
  static absl::StatusOr<std::unique_ptr<VmNamespace>> Create(OvnSandbox& sandbox,
                                                             const std::string& name,
                                                             const VmNicConfig& nic);
  VmNamespace(const VmNamespace&) = delete;
  VmNamespace& operator=(const VmNamespace&) = delete;
  // Deletes the namespace; its probe server and the veth pair go with it.
  ~VmNamespace();

  const std::string& name() const { return name_; }
  const std::string& netns() const { return netns_; }
  const std::string& host_ifname() const { return host_ifname_; }
  const VmNicConfig& nic() const { return nic_; }

  // Replaces eth0's MAC, addresses and default routes (a VM whose NIC moved to another port).
  absl::Status Configure(const VmNicConfig& nic);

  // As a booting guest does: busybox udhcpc on eth0 asks for an address (and the router, DNS,
  // domain, host name, MTU and static routes), applies address, default route and MTU, and
  // exits. Returns what the server offered, by udhcpc's names ("ip", "mask", "router", "dns",
  // "domain", "hostname", "mtu", "staticroutes", "lease", "serverid", and for network boot
  // "siaddr" (the header's next server), "boot_file" (the header's file) and "bootfile" (option
  // 67)); an option not offered is absent. kUnavailable if no server answered in `timeout`.
  absl::StatusOr<std::map<std::string, std::string>> RunDhcpClient(
      absl::Duration timeout = absl::Seconds(15));

  // Runs a command inside the namespace.
  absl::StatusOr<ProcessResult> Exec(const std::vector<std::string>& command,
                                     absl::Duration timeout = absl::Seconds(30)) const;

  // One echo request; true if answered within `timeout`. With `source`, sent from that address
  // (which must be configured on eth0: ping -I).
  bool Ping(const std::string& address, absl::Duration timeout,
            const std::string& source = "") const;

  // Starts `netprobe serve` on TCP and UDP `port`, answering with name() and logging every
  // packet it receives (see Received).
  absl::Status StartProbeServer(int port);
  // What the probe server received so far, a line per packet: "udp 10.0.1.2 PAYLOAD" or
  // "tcp 10.0.1.2".
  std::string Received() const;
  // Sends one UDP datagram carrying `payload`, awaiting nothing. With `source`, from that
  // address even if eth0 does not own it.
  absl::Status SendUdp(const std::string& address, int port, const std::string& payload,
                       const std::string& source = "") const;
  // The id of whoever answered at address:port; kUnavailable with netprobe's reason if nobody
  // did. With `source`, sent from that address even if eth0 does not own it. A UDP probe
  // carries name() as its payload, which the receiving probe server logs.
  absl::StatusOr<std::string> Probe(Protocol protocol, const std::string& address, int port,
                                    absl::Duration timeout, const std::string& source = "") const;
  // Keeps one TCP connection to the echo port (port + 1) of a probe server at `address` for
  // `duration`, checking every 100 ms that it still carries data. OK if it did throughout;
  // kUnavailable with netprobe's account ("lost after N") if it did not, or never connected.
  absl::Status HoldTcp(const std::string& address, int port, absl::Duration duration) const;

 private:
  VmNamespace(OvnSandbox& sandbox, std::string name);
  std::string ProbeFile(const char* extension) const;

  OvnSandbox& sandbox_;
  std::string name_;
  std::string netns_;
  std::string host_ifname_;
  VmNicConfig nic_;
};

}  // namespace plasmanet::testing
