// The end-to-end fixture: a whole OVN sandbox (scripts/ovn-sandbox), plasmanetd on the embedded
// store programming it, tenants calling the gRPC API, and VMs that are network namespaces whose
// NICs are plugged into br-int with `plasmanet plug`, as a hypervisor would. What a test
// asserts is what packets do.
//
//   v1::Subnet web = CreateSubnet(kAcme, CreateVpc(kAcme, "prod", "10.0.0.0/16"), "web",
//                                 "10.0.1.0/24");
//   v1::Port p1 = CreatePort(kAcme, web, "vm1");
//   std::unique_ptr<testing::VmNamespace> vm1 = StartVm("a1", p1, web);  // plugged, ACTIVE
//
// Every wait has a deadline; on a failure the fixture prints the daemon's log tail and what OVN
// holds.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "plasmanet/v1/api.grpc.pb.h"
#include "plasmanetd_process.h"
#include "testing/connectivity_matrix.h"
#include "testing/ovn_sandbox.h"
#include "testing/vm_namespace.h"

namespace plasmanet::e2e {

inline constexpr char kAcme[] = "acme-token-0123456789";      // acme/web member
inline constexpr char kGlobex[] = "globex-token-01234567";    // globex/shop member
inline constexpr char kVmService[] = "vmc-token-0123456789";  // the VM service (platform-wide)
inline constexpr char kAdmin[] = "admin-token-0123456789";    // the platform admin

// The physical network the sandbox maps onto its provider bridge br-ex.
inline constexpr char kPhysnet[] = "physnet1";

// The port every VM's probe server listens on, TCP and UDP.
inline constexpr int kProbePort = 7000;

struct PortOptions {
  std::string ip;   // fixed address; empty: allocated
  std::string mac;  // empty: generated
  bool port_security = true;
  // Security group ids; unset: the project's default group (with port security).
  std::optional<std::vector<std::string>> groups;
  std::map<std::string, std::string> extra_dhcp_options;  // DHCPv4 options of this port alone
};

// One security group rule, as a tenant writes it.
struct RuleOptions {
  std::string direction = "ingress";
  std::string ethertype = "IPv4";
  std::string protocol = "any";
  int port = 0;  // tcp/udp destination port; 0: all
  std::string remote_cidr;
  std::string remote_group;
};

// Two VMs of acme, "a1" and "a2", each on a new port, that reach each other.
struct VmPair {
  v1::Port p1, p2;
  std::unique_ptr<testing::VmNamespace> a1, a2;
  bool ready = false;  // both started and a1 gets an echo reply from a2
};

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // plasmanetd on the sandbox's store file; `with_ovn` false runs the API alone (no
  // reconciler), as a replica that is not the leader would.
  void StartDaemon(bool with_ovn = true);
  void StopDaemon();
  void KillDaemon();

  std::string CreateVpc(const char* token, const std::string& name, const std::string& cidr);
  v1::Subnet CreateSubnet(const char* token, const std::string& vpc_id, const std::string& name,
                          const std::string& cidr);
  // The subnet as given (vpc_id, CIDRs, MTU, DNS servers, ...); the created one.
  v1::Subnet CreateSubnet(const char* token, const v1::Subnet& subnet);
  // A subnet named `name` of `vpc_id` with one CIDR (IPv4 or IPv6), to adjust and create.
  static v1::Subnet SubnetSpec(const std::string& vpc_id, const std::string& name,
                               const std::string& cidr);
  // Changes the fields `paths` of the subnet `changes` (whose metadata.id names it).
  v1::Subnet UpdateSubnet(const char* token, const v1::Subnet& changes,
                          const std::vector<std::string>& paths);
  v1::Port CreatePort(const char* token, const v1::Subnet& subnet, const std::string& name,
                      const PortOptions& options = {});
  void DeletePort(const char* token, const std::string& port_id);
  // A new security group (it starts with the allow-all egress rules), logging if `log`; its id.
  std::string CreateGroup(const char* token, const std::string& name, bool log = false);
  // Adds a rule; returns its id.
  std::string AddRule(const char* token, const std::string& group_id, const RuleOptions& rule);
  void RemoveRule(const char* token, const std::string& group_id, const std::string& rule_id);
  // The ids of the group's rules in one direction.
  std::vector<std::string> RuleIds(const char* token, const std::string& group_id,
                                   const std::string& direction);
  // Replaces the port's security groups.
  void SetGroups(const char* token, const std::string& port_id,
                 const std::vector<std::string>& group_ids);

  // An external network on kPhysnet (as the admin), floating and gateway addresses from
  // `pool_first`..`pool_last`; its id.
  std::string CreateExternalNetwork(const std::string& name, const std::string& cidr,
                                    const std::string& gateway_ip, const std::string& pool_first,
                                    const std::string& pool_last);
  // Attaches the VPC's gateway to `network_id` (empty: clears it); the updated VPC.
  v1::Vpc SetGateway(const char* token, const std::string& vpc_id, const std::string& network_id,
                     bool snat = true);
  // Replaces the VPC's static routes: (destination, next hop) pairs.
  v1::Vpc SetRoutes(const char* token, const std::string& vpc_id,
                    const std::vector<std::pair<std::string, std::string>>& routes);
  // A floating IP of `network_id`, mapped to `port_id` unless empty.
  v1::FloatingIp CreateFloatingIp(const char* token, const std::string& network_id,
                                  const std::string& port_id);
  // Maps the floating IP to `port_id` (empty: disassociates it).
  v1::FloatingIp AssociateFloatingIp(const char* token, const std::string& fip_id,
                                     const std::string& port_id);
  // A host on the provider network: a namespace whose NIC is plugged into br-ex (no OVN port),
  // with `address` ("172.24.0.1/24") and a probe server on kProbePort that logs its clients.
  std::unique_ptr<testing::VmNamespace> StartOutsideHost(const std::string& name,
                                                         const std::string& address);

  // A VM on `port`: a namespace with the port's MAC and address, the subnet's gateway as default
  // route, a probe server on kProbePort; plugged and ACTIVE before it returns.
  std::unique_ptr<testing::VmNamespace> StartVm(const std::string& name, const v1::Port& port,
                                                const v1::Subnet& subnet);
  // A VM as a guest boots: its NIC has the port's MAC and nothing else (no address, no route,
  // no probe server); plugged and ACTIVE before it returns. It configures itself by DHCP
  // (VmNamespace::RunDhcpClient) or router advertisements.
  std::unique_ptr<testing::VmNamespace> StartBareVm(const std::string& name, const v1::Port& port);
  static testing::VmNicConfig NicFor(const v1::Port& port, const v1::Subnet& subnet);
  // a1 on `first` and a2 on `second` (the same subnet or not), with their port options;
  // failures are reported, and callers ASSERT_TRUE(pair.ready).
  VmPair StartPair(const v1::Subnet& first, const v1::Subnet& second,
                   const PortOptions& first_options = {}, const PortOptions& second_options = {});

  // `plasmanet plug PORT --ifname <vm's host end>` and `plasmanet unplug`, as the hypervisor runs
  // them; they must succeed.
  void Plug(const testing::VmNamespace& vm, const std::string& port_id);
  void Unplug(const testing::VmNamespace& vm);
  // `plasmanet port wait PORT --status STATUS` (WatchPorts underneath); true if reached in time.
  bool WaitForStatus(const std::string& port_id, const std::string& status,
                     absl::Duration timeout = absl::Seconds(30));

  // The plasmanet CLI against the daemon with the VM service's token; stdout and stderr merged.
  testing::ProcessResult Cli(std::vector<std::string> args,
                             absl::Duration timeout = absl::Seconds(60));

  // True once `from` gets an echo reply from `address`, polling until the deadline.
  static bool WaitReachable(const testing::VmNamespace& from, const std::string& address,
                            absl::Duration timeout = absl::Seconds(20));
  // True once `from`'s TCP (or UDP) probe of address:kProbePort is answered by `expected`, or
  // (with `expected` empty) once it is answered by nobody, polling until the deadline.
  static bool WaitProbe(const testing::VmNamespace& from, testing::Protocol protocol,
                        const std::string& address, const std::string& expected,
                        absl::Duration timeout = absl::Seconds(20));

  // For failure messages: the daemon's log tail, ovn-nbctl show and ovn-sbctl show.
  std::string Diagnostics() const;

  std::unique_ptr<testing::OvnSandbox> sandbox_;
  std::unique_ptr<testing::PlasmanetdProcess> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::VpcService::Stub> vpcs_;
  std::unique_ptr<v1::SubnetService::Stub> subnets_;
  std::unique_ptr<v1::PortService::Stub> ports_;
  std::unique_ptr<v1::SecurityGroupService::Stub> groups_;
  std::unique_ptr<v1::ExternalNetworkService::Stub> networks_;
  std::unique_ptr<v1::FloatingIpService::Stub> fips_;

 private:
  std::string tokens_path_;
};

}  // namespace plasmanet::e2e
