#include "e2e/e2e_test.h"

#include <algorithm>
#include <fstream>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>

#include "testing/nbctl.h"
#include "testing/wait.h"

namespace plasmanet::e2e {
namespace {

template <typename Stub, typename Method, typename Request, typename Response>
grpc::Status Call(Stub& stub, Method method, const char* token, const Request& request,
                  Response* response) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ((*stub).*method)(&context, request, response);
}

std::string PrefixLength(const std::string& cidr) {
  const size_t slash = cidr.find('/');
  return slash == std::string::npos ? "" : cidr.substr(slash);
}

}  // namespace

void E2eTest::SetUp() {
  absl::StatusOr<std::unique_ptr<testing::OvnSandbox>> sandbox = testing::OvnSandbox::Start();
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  sandbox_ = std::move(*sandbox);
  tokens_path_ = sandbox_->dir() + "/tokens";
  std::ofstream(tokens_path_) << kAcme << " acme web member\n"
                              << kGlobex << " globex shop member\n"
                              << kVmService << " * * service\n"
                              << kAdmin << " * * admin\n";
  daemon_ = std::make_unique<testing::PlasmanetdProcess>(sandbox_->dir() + "/plasmanetd.log");
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
}

void E2eTest::TearDown() {
  if (HasFailure()) std::cerr << Diagnostics();
  StopDaemon();
}

void E2eTest::StartDaemon(bool with_ovn) {
  std::vector<std::string> flags = {"--store",     "sqlite:" + sandbox_->dir() + "/plasmanet.db",
                                    "--tokens",    tokens_path_,
                                    "--audit-log", sandbox_->dir() + "/audit.log"};
  if (with_ovn) {
    flags.insert(flags.end(),
                 {"--ovn-nb", sandbox_->nb_remote(), "--ovn-sb", sandbox_->sb_remote()});
  }
  const absl::Status started = daemon_->Start(flags);
  ASSERT_TRUE(started.ok()) << started;
  channel_ = grpc::CreateChannel(daemon_->address(), grpc::InsecureChannelCredentials());
  vpcs_ = v1::VpcService::NewStub(channel_);
  subnets_ = v1::SubnetService::NewStub(channel_);
  ports_ = v1::PortService::NewStub(channel_);
  groups_ = v1::SecurityGroupService::NewStub(channel_);
  networks_ = v1::ExternalNetworkService::NewStub(channel_);
  fips_ = v1::FloatingIpService::NewStub(channel_);
}

void E2eTest::StopDaemon() {
  if (daemon_ == nullptr) return;
  // An idle client connection holds up the server's graceful shutdown by about 4 s (gRPC waits
  // for the client to act on its GOAWAY): let go of it first, as a client that is done does.
  vpcs_.reset();
  subnets_.reset();
  ports_.reset();
  groups_.reset();
  networks_.reset();
  fips_.reset();
  channel_.reset();
  const absl::Status stopped = daemon_->Stop();
  EXPECT_TRUE(stopped.ok()) << stopped;
}

void E2eTest::KillDaemon() { daemon_->Kill(); }

std::string E2eTest::CreateVpc(const char* token, const std::string& name,
                               const std::string& cidr) {
  v1::CreateVpcRequest request;
  request.mutable_vpc()->mutable_metadata()->set_name(name);
  request.mutable_vpc()->add_cidr_blocks(cidr);
  v1::Vpc vpc;
  const grpc::Status status = Call(vpcs_, &v1::VpcService::Stub::CreateVpc, token, request, &vpc);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return vpc.metadata().id();
}

v1::Subnet E2eTest::CreateSubnet(const char* token, const std::string& vpc_id,
                                 const std::string& name, const std::string& cidr) {
  return CreateSubnet(token, SubnetSpec(vpc_id, name, cidr));
}

v1::Subnet E2eTest::SubnetSpec(const std::string& vpc_id, const std::string& name,
                               const std::string& cidr) {
  v1::Subnet subnet;
  subnet.mutable_metadata()->set_name(name);
  subnet.set_vpc_id(vpc_id);
  (cidr.find(':') == std::string::npos ? subnet.mutable_ipv4_cidr() : subnet.mutable_ipv6_cidr())
      ->assign(cidr);
  return subnet;
}

v1::Subnet E2eTest::CreateSubnet(const char* token, const v1::Subnet& subnet) {
  v1::CreateSubnetRequest request;
  *request.mutable_subnet() = subnet;
  v1::Subnet out;
  const grpc::Status status =
      Call(subnets_, &v1::SubnetService::Stub::CreateSubnet, token, request, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return out;
}

v1::Subnet E2eTest::UpdateSubnet(const char* token, const v1::Subnet& changes,
                                 const std::vector<std::string>& paths) {
  v1::UpdateSubnetRequest request;
  *request.mutable_subnet() = changes;
  for (const std::string& path : paths) request.mutable_update_mask()->add_paths(path);
  v1::Subnet out;
  const grpc::Status status =
      Call(subnets_, &v1::SubnetService::Stub::UpdateSubnet, token, request, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return out;
}

v1::Port E2eTest::CreatePort(const char* token, const v1::Subnet& subnet, const std::string& name,
                             const PortOptions& options) {
  v1::CreatePortRequest request;
  v1::Port* port = request.mutable_port();
  port->mutable_metadata()->set_name(name);
  port->set_subnet_id(subnet.metadata().id());
  port->set_device_id("vm-" + name);
  if (!options.ip.empty()) port->add_fixed_ips(options.ip);
  port->set_mac_address(options.mac);
  if (!options.port_security) port->set_port_security_enabled(false);
  port->mutable_extra_dhcp_options()->insert(options.extra_dhcp_options.begin(),
                                             options.extra_dhcp_options.end());
  if (options.groups) {
    v1::SecurityGroupIds* ids = request.mutable_security_groups();
    for (const std::string& id : *options.groups) ids->add_ids(id);
  }
  v1::Port out;
  const grpc::Status status =
      Call(ports_, &v1::PortService::Stub::CreatePort, token, request, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return out;
}

void E2eTest::DeletePort(const char* token, const std::string& port_id) {
  v1::DeletePortRequest request;
  request.set_id(port_id);
  v1::DeleteResponse out;
  const grpc::Status status =
      Call(ports_, &v1::PortService::Stub::DeletePort, token, request, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

std::string E2eTest::CreateGroup(const char* token, const std::string& name, bool log) {
  v1::CreateSecurityGroupRequest request;
  request.mutable_security_group()->mutable_metadata()->set_name(name);
  request.mutable_security_group()->set_log(log);
  v1::SecurityGroup out;
  const grpc::Status status =
      Call(groups_, &v1::SecurityGroupService::Stub::CreateSecurityGroup, token, request, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return out.metadata().id();
}

std::string E2eTest::AddRule(const char* token, const std::string& group_id,
                             const RuleOptions& rule) {
  v1::AddSecurityGroupRuleRequest request;
  request.set_security_group_id(group_id);
  v1::SecurityGroupRule* r = request.mutable_rule();
  r->set_direction(rule.direction);
  r->set_ethertype(rule.ethertype);
  r->set_protocol(rule.protocol);
  if (rule.port != 0) {
    r->set_port_range_min(rule.port);
    r->set_port_range_max(rule.port);
  }
  r->set_remote_ip_prefix(rule.remote_cidr);
  r->set_remote_group_id(rule.remote_group);
  v1::SecurityGroup before;
  v1::GetSecurityGroupRequest get;
  get.set_id(group_id);
  EXPECT_TRUE(
      Call(groups_, &v1::SecurityGroupService::Stub::GetSecurityGroup, token, get, &before).ok());
  v1::SecurityGroup after;
  const grpc::Status status =
      Call(groups_, &v1::SecurityGroupService::Stub::AddSecurityGroupRule, token, request, &after);
  EXPECT_TRUE(status.ok()) << status.error_message();
  for (const v1::SecurityGroupRule& added : after.rules()) {
    const bool old = std::any_of(before.rules().begin(), before.rules().end(),
                                 [&](const auto& b) { return b.id() == added.id(); });
    if (!old) return added.id();
  }
  ADD_FAILURE() << "no new rule in " << after.DebugString();
  return "";
}

void E2eTest::RemoveRule(const char* token, const std::string& group_id,
                         const std::string& rule_id) {
  v1::RemoveSecurityGroupRuleRequest request;
  request.set_security_group_id(group_id);
  request.set_rule_id(rule_id);
  v1::SecurityGroup out;
  const grpc::Status status =
      Call(groups_, &v1::SecurityGroupService::Stub::RemoveSecurityGroupRule, token, request, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

std::vector<std::string> E2eTest::RuleIds(const char* token, const std::string& group_id,
                                          const std::string& direction) {
  v1::GetSecurityGroupRequest request;
  request.set_id(group_id);
  v1::SecurityGroup group;
  const grpc::Status status =
      Call(groups_, &v1::SecurityGroupService::Stub::GetSecurityGroup, token, request, &group);
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<std::string> ids;
  for (const v1::SecurityGroupRule& rule : group.rules()) {
    if (rule.direction() == direction) ids.push_back(rule.id());
  }
  return ids;
}

void E2eTest::SetGroups(const char* token, const std::string& port_id,
                        const std::vector<std::string>& group_ids) {
  v1::UpdatePortRequest request;
  request.mutable_port()->mutable_metadata()->set_id(port_id);
  for (const std::string& id : group_ids) request.mutable_port()->add_security_group_ids(id);
  request.mutable_update_mask()->add_paths("security_group_ids");
  v1::Port out;
  const grpc::Status status =
      Call(ports_, &v1::PortService::Stub::UpdatePort, token, request, &out);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

testing::VmNicConfig E2eTest::NicFor(const v1::Port& port, const v1::Subnet& subnet) {
  testing::VmNicConfig nic{.mac = port.mac_address()};
  for (const std::string& ip : port.fixed_ips()) {
    const bool v6 = ip.find(':') != std::string::npos;
    nic.addresses.push_back(ip + PrefixLength(v6 ? subnet.ipv6_cidr() : subnet.ipv4_cidr()));
  }
  nic.gateway_ipv4 = subnet.gateway_ipv4();
  nic.gateway_ipv6 = subnet.gateway_ipv6();
  return nic;
}

std::unique_ptr<testing::VmNamespace> E2eTest::StartVm(const std::string& name,
                                                       const v1::Port& port,
                                                       const v1::Subnet& subnet) {
  absl::StatusOr<std::unique_ptr<testing::VmNamespace>> vm =
      testing::VmNamespace::Create(*sandbox_, name, NicFor(port, subnet));
  EXPECT_TRUE(vm.ok()) << vm.status();
  if (!vm.ok()) return nullptr;
  const absl::Status serving = (*vm)->StartProbeServer(kProbePort);
  EXPECT_TRUE(serving.ok()) << serving;
  Plug(**vm, port.metadata().id());
  EXPECT_TRUE(WaitForStatus(port.metadata().id(), "ACTIVE")) << "VM " << name;
  return std::move(*vm);
}

std::unique_ptr<testing::VmNamespace> E2eTest::StartBareVm(const std::string& name,
                                                           const v1::Port& port) {
  absl::StatusOr<std::unique_ptr<testing::VmNamespace>> vm =
      testing::VmNamespace::Create(*sandbox_, name, {.mac = port.mac_address()});
  EXPECT_TRUE(vm.ok()) << vm.status();
  if (!vm.ok()) return nullptr;
  Plug(**vm, port.metadata().id());
  EXPECT_TRUE(WaitForStatus(port.metadata().id(), "ACTIVE")) << "VM " << name;
  return std::move(*vm);
}

VmPair E2eTest::StartPair(const v1::Subnet& first, const v1::Subnet& second,
                          const PortOptions& first_options, const PortOptions& second_options) {
  VmPair pair;
  pair.p1 = CreatePort(kAcme, first, "a1", first_options);
  pair.p2 = CreatePort(kAcme, second, "a2", second_options);
  pair.a1 = StartVm("a1", pair.p1, first);
  pair.a2 = StartVm("a2", pair.p2, second);
  pair.ready = pair.a1 && pair.a2 && WaitReachable(*pair.a1, pair.p2.fixed_ips(0));
  EXPECT_TRUE(pair.ready) << "a1 and a2 do not reach each other";
  return pair;
}

void E2eTest::Plug(const testing::VmNamespace& vm, const std::string& port_id) {
  const testing::ProcessResult plugged =
      Cli({"plug", port_id, "--ifname", vm.host_ifname(), "--ovs-db", sandbox_->ovs_remote()});
  EXPECT_EQ(plugged.exit_code, 0) << plugged.stdout_text;
}

void E2eTest::Unplug(const testing::VmNamespace& vm) {
  const testing::ProcessResult unplugged =
      Cli({"unplug", "--ifname", vm.host_ifname(), "--ovs-db", sandbox_->ovs_remote()});
  EXPECT_EQ(unplugged.exit_code, 0) << unplugged.stdout_text;
}

bool E2eTest::WaitForStatus(const std::string& port_id, const std::string& status,
                            absl::Duration timeout) {
  const testing::ProcessResult waited =
      Cli({"port", "wait", port_id, "--status", status, "--timeout",
           absl::StrCat(absl::ToDoubleSeconds(timeout))},
          timeout + absl::Seconds(10));
  if (waited.exit_code != 0) std::cerr << "port wait: " << waited.stdout_text << "\n";
  return waited.exit_code == 0;
}

testing::ProcessResult E2eTest::Cli(std::vector<std::string> args, absl::Duration timeout) {
  args.insert(args.begin(), {"--server", daemon_->address(), "--token", kVmService});
  absl::StatusOr<testing::ProcessResult> r = testing::RunProgram(PLASMANET_CLI_PATH, args, timeout);
  if (!r.ok()) return {.exit_code = -1, .stdout_text = r.status().ToString()};
  r->stdout_text += r->stderr_text;
  return *r;
}

bool E2eTest::WaitReachable(const testing::VmNamespace& from, const std::string& address,
                            absl::Duration timeout) {
  return testing::WaitFor([&] { return from.Ping(address, absl::Milliseconds(500)); }, timeout,
                          absl::Milliseconds(50));
}

bool E2eTest::WaitProbe(const testing::VmNamespace& from, testing::Protocol protocol,
                        const std::string& address, const std::string& expected,
                        absl::Duration timeout) {
  return testing::WaitFor(
      [&] {
        absl::StatusOr<std::string> answer =
            from.Probe(protocol, address, kProbePort, absl::Milliseconds(500));
        return expected.empty() ? !answer.ok() : answer.ok() && *answer == expected;
      },
      timeout, absl::Milliseconds(50));
}

std::string E2eTest::CreateExternalNetwork(const std::string& name, const std::string& cidr,
                                           const std::string& gateway_ip,
                                           const std::string& pool_first,
                                           const std::string& pool_last) {
  v1::CreateExternalNetworkRequest request;
  v1::ExternalNetwork* network = request.mutable_external_network();
  network->mutable_metadata()->set_name(name);
  network->set_cidr(cidr);
  network->set_gateway_ip(gateway_ip);
  network->set_physical_network(kPhysnet);
  v1::AddressRange* pool = network->add_floating_ip_pools();
  pool->set_start(pool_first);
  pool->set_end(pool_last);
  v1::ExternalNetwork created;
  const grpc::Status status =
      Call(networks_, &v1::ExternalNetworkService::Stub::CreateExternalNetwork, kAdmin, request,
           &created);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return created.metadata().id();
}

v1::Vpc E2eTest::SetGateway(const char* token, const std::string& vpc_id,
                            const std::string& network_id, bool snat) {
  v1::UpdateVpcRequest request;
  request.mutable_vpc()->mutable_metadata()->set_id(vpc_id);
  if (!network_id.empty()) {
    request.mutable_vpc()->mutable_gateway()->set_external_network_id(network_id);
    request.mutable_vpc()->mutable_gateway()->set_enable_snat(snat);
  }
  request.mutable_update_mask()->add_paths("gateway");
  v1::Vpc vpc;
  const grpc::Status status = Call(vpcs_, &v1::VpcService::Stub::UpdateVpc, token, request, &vpc);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return vpc;
}

v1::Vpc E2eTest::SetRoutes(const char* token, const std::string& vpc_id,
                           const std::vector<std::pair<std::string, std::string>>& routes) {
  v1::UpdateVpcRequest request;
  request.mutable_vpc()->mutable_metadata()->set_id(vpc_id);
  for (const auto& [destination, nexthop] : routes) {
    v1::StaticRoute* route = request.mutable_vpc()->add_static_routes();
    route->set_destination(destination);
    route->set_nexthop(nexthop);
  }
  request.mutable_update_mask()->add_paths("static_routes");
  v1::Vpc vpc;
  const grpc::Status status = Call(vpcs_, &v1::VpcService::Stub::UpdateVpc, token, request, &vpc);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return vpc;
}

v1::FloatingIp E2eTest::CreateFloatingIp(const char* token, const std::string& network_id,
                                         const std::string& port_id) {
  v1::CreateFloatingIpRequest request;
  request.mutable_floating_ip()->set_external_network_id(network_id);
  request.mutable_floating_ip()->set_port_id(port_id);
  v1::FloatingIp fip;
  const grpc::Status status =
      Call(fips_, &v1::FloatingIpService::Stub::CreateFloatingIp, token, request, &fip);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return fip;
}

v1::FloatingIp E2eTest::AssociateFloatingIp(const char* token, const std::string& fip_id,
                                            const std::string& port_id) {
  v1::UpdateFloatingIpRequest request;
  request.mutable_floating_ip()->mutable_metadata()->set_id(fip_id);
  request.mutable_floating_ip()->set_port_id(port_id);
  request.mutable_update_mask()->add_paths("port_id");
  v1::FloatingIp fip;
  const grpc::Status status =
      Call(fips_, &v1::FloatingIpService::Stub::UpdateFloatingIp, token, request, &fip);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return fip;
}

std::unique_ptr<testing::VmNamespace> E2eTest::StartOutsideHost(const std::string& name,
                                                                const std::string& address) {
  absl::StatusOr<std::unique_ptr<testing::VmNamespace>> host =
      testing::VmNamespace::Create(*sandbox_, name, {.addresses = {address}});
  EXPECT_TRUE(host.ok()) << host.status();
  if (!host.ok()) return nullptr;
  const absl::Status serving = (*host)->StartProbeServer(kProbePort);
  EXPECT_TRUE(serving.ok()) << serving;
  absl::StatusOr<testing::ProcessResult> added = sandbox_->Run(
      {"ovs-vsctl", "--db=" + sandbox_->ovs_remote(), "add-port", "br-ex", (*host)->host_ifname()});
  EXPECT_TRUE(added.ok() && added->exit_code == 0)
      << (added.ok() ? added->stderr_text : added.status().ToString());
  return std::move(*host);
}

std::string E2eTest::Diagnostics() const {
  std::string out = "\n== plasmanetd log (tail)\n";
  if (daemon_) absl::StrAppend(&out, daemon_->LogTail());
  if (sandbox_) {
    absl::StatusOr<std::string> nb = testing::RunNbctl(sandbox_->nb_remote(), {"show"});
    absl::StrAppend(&out, "\n== ovn-nbctl show\n", nb.ok() ? *nb : nb.status().ToString());
    absl::StatusOr<std::string> acls = testing::RunNbctl(
        sandbox_->nb_remote(),
        {"--format=csv", "--columns=direction,priority,match,action", "list", "ACL"});
    absl::StrAppend(&out, "\n== ACLs\n", acls.ok() ? *acls : acls.status().ToString());
    absl::StatusOr<std::string> nat = testing::RunNbctl(
        sandbox_->nb_remote(),
        {"--format=csv", "--columns=type,external_ip,logical_ip,logical_port", "list", "NAT"});
    absl::StrAppend(&out, "\n== NAT\n", nat.ok() ? *nat : nat.status().ToString());
    absl::StatusOr<testing::ProcessResult> sb =
        sandbox_->Run({"ovn-sbctl", "--db=" + sandbox_->sb_remote(), "show"});
    absl::StrAppend(&out, "\n== ovn-sbctl show\n", sb.ok() ? sb->stdout_text : "");
  }
  return out;
}

}  // namespace plasmanet::e2e
