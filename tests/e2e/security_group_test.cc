// Security groups with real packets: stateful allow rules over a default deny, the project's
// default group, remote-group rules that follow membership, and rule changes on live VMs.
//
// Every "cannot reach" is waited for (the reconciler and ovn-controller apply a change within
// milliseconds, but not instantly) and is paired with a "can reach" that proves the path
// itself works, so a negative never passes because a VM is simply down.

#include <fstream>
#include <string>
#include <thread>

#include <absl/time/clock.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e/e2e_test.h"
#include "testing/wait.h"

namespace plasmanet::e2e {
namespace {

using testing::Protocol;

class SecurityGroupTest : public E2eTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(E2eTest::SetUp());
    web_ = CreateSubnet(kAcme, CreateVpc(kAcme, "prod", "10.0.0.0/16"), "web", "10.0.1.0/24");
  }

  // A VM on a new port with `options`, in `subnet` (default: web_).
  std::unique_ptr<testing::VmNamespace> Vm(const std::string& name, const PortOptions& options,
                                           v1::Port* port_out = nullptr,
                                           const v1::Subnet* subnet = nullptr) {
    const v1::Subnet& in = subnet != nullptr ? *subnet : web_;
    const v1::Port port = CreatePort(kAcme, in, name, options);
    if (port_out != nullptr) *port_out = port;
    ips_[name] = port.fixed_ips(0);
    return StartVm(name, port, in);
  }

  const std::string& Ip(const std::string& vm) { return ips_.at(vm); }

  v1::Subnet web_;
  std::map<std::string, std::string> ips_;
};

TEST_F(SecurityGroupTest, DefaultGroupMembersReachEachOtherAnOutsiderCannotAndTheyReachOut) {
  auto a1 = Vm("a1", {});  // the default group
  auto a2 = Vm("a2", {});
  auto outsider = Vm("lone", {.groups = std::vector<std::string>{}});  // no group: default deny
  auto open = Vm("open", {.port_security = false});                    // filters nothing
  ASSERT_TRUE(a1 && a2 && outsider && open);

  EXPECT_TRUE(WaitProbe(*a1, Protocol::kTcp, Ip("a2"), "a2"));
  EXPECT_TRUE(WaitProbe(*a2, Protocol::kTcp, Ip("a1"), "a1"));
  EXPECT_TRUE(WaitReachable(*a1, Ip("a2")));
  // Ingress to the default group only from its members; a port in no group talks to nobody.
  EXPECT_TRUE(WaitProbe(*outsider, Protocol::kTcp, Ip("a1"), ""));
  EXPECT_FALSE(outsider->Ping(Ip("a1"), absl::Seconds(1)));
  EXPECT_FALSE(a1->Probe(Protocol::kTcp, Ip("lone"), kProbePort, absl::Seconds(1)).ok());
  EXPECT_FALSE(open->Ping(Ip("lone"), absl::Seconds(1)));
  EXPECT_FALSE(open->Probe(Protocol::kTcp, Ip("a1"), kProbePort, absl::Seconds(1)).ok())
      << "the default group admits its members only";
  // Egress is open: members reach a VM that filters nothing, and its answers come back.
  EXPECT_TRUE(WaitProbe(*a1, Protocol::kTcp, Ip("open"), "open"));
  EXPECT_TRUE(WaitProbe(*a1, Protocol::kUdp, Ip("open"), "open"));
  EXPECT_TRUE(WaitReachable(*a1, Ip("open")));
}

TEST_F(SecurityGroupTest, AnAllowedPortConnectsStatefullyOthersDoNotAndARemovedRuleStopsNewOnes) {
  const std::string web_group = CreateGroup(kAcme, "web");
  // To start with, the group lets tcp/22 in but the server listens on kProbePort.
  AddRule(kAcme, web_group, {.protocol = "tcp", .port = 22, .remote_cidr = "0.0.0.0/0"});
  auto server = Vm("srv", {.groups = std::vector<std::string>{web_group}});
  auto client = Vm("cli", {});  // default group: egress anywhere
  ASSERT_TRUE(server && client);
  EXPECT_TRUE(WaitProbe(*client, Protocol::kTcp, Ip("srv"), ""));

  const std::string http = AddRule(
      kAcme, web_group, {.protocol = "tcp", .port = kProbePort, .remote_cidr = "0.0.0.0/0"});
  // The connection is set up and the server's answer comes back although no rule lets the
  // server's packets into the client's group: replies of an allowed connection pass.
  EXPECT_TRUE(WaitProbe(*client, Protocol::kTcp, Ip("srv"), "srv"));
  EXPECT_FALSE(client->Probe(Protocol::kUdp, Ip("srv"), kProbePort, absl::Seconds(1)).ok())
      << "the rule is tcp only";
  EXPECT_FALSE(client->Ping(Ip("srv"), absl::Seconds(1))) << "no rule allows ICMP";

  RemoveRule(kAcme, web_group, http);
  EXPECT_TRUE(WaitProbe(*client, Protocol::kTcp, Ip("srv"), ""))
      << "new connections must fail once the rule is gone";
}

TEST_F(SecurityGroupTest, ARemoteGroupRuleFollowsMembershipWithinASecond) {
  const std::string app = CreateGroup(kAcme, "app");
  const std::string db = CreateGroup(kAcme, "db");
  AddRule(kAcme, db, {.protocol = "tcp", .port = kProbePort, .remote_group = app});
  auto database = Vm("db", {.groups = std::vector<std::string>{db}});
  auto member = Vm("app", {.groups = std::vector<std::string>{app}});
  v1::Port other_port;
  auto other = Vm("other", {}, &other_port);
  ASSERT_TRUE(database && member && other);

  EXPECT_TRUE(WaitProbe(*member, Protocol::kTcp, Ip("db"), "db"));
  EXPECT_TRUE(WaitProbe(*other, Protocol::kTcp, Ip("db"), ""));
  EXPECT_TRUE(WaitProbe(*other, Protocol::kTcp, Ip("app"), "")) << "app admits nobody";

  // Joining app opens the database to the VM; leaving closes it again.
  const std::vector<std::string> default_group(other_port.security_group_ids().begin(),
                                               other_port.security_group_ids().end());
  absl::Time changed = absl::Now();
  SetGroups(kAcme, other_port.metadata().id(), {app});
  EXPECT_TRUE(WaitProbe(*other, Protocol::kTcp, Ip("db"), "db"));
  const absl::Duration opened = absl::Now() - changed;
  EXPECT_LT(opened, absl::Seconds(1));
  RecordProperty("join_opens_ms", std::to_string(absl::ToInt64Milliseconds(opened)));

  changed = absl::Now();
  SetGroups(kAcme, other_port.metadata().id(), default_group);
  EXPECT_TRUE(WaitProbe(*other, Protocol::kTcp, Ip("db"), ""));
  EXPECT_TRUE(WaitProbe(*member, Protocol::kTcp, Ip("db"), "db")) << "the member still reaches it";
  RecordProperty("leave_closes_ms",
                 std::to_string(absl::ToInt64Milliseconds(absl::Now() - changed)));
}

TEST_F(SecurityGroupTest, RemovingARuleAlsoCutsTheConnectionsItHadAdmitted) {
  const std::string svc = CreateGroup(kAcme, "svc");
  // The probe server echoes TCP on kProbePort + 1: the port this rule opens.
  const std::string echo =
      AddRule(kAcme, svc, {.protocol = "tcp", .port = kProbePort + 1, .remote_cidr = "0.0.0.0/0"});
  auto server = Vm("srv", {.groups = std::vector<std::string>{svc}});
  auto client = Vm("cli", {});
  ASSERT_TRUE(server && client);
  auto can_connect = [&] {
    return client->HoldTcp(Ip("srv"), kProbePort, absl::ZeroDuration()).ok();
  };
  ASSERT_TRUE(testing::WaitFor(can_connect, absl::Seconds(20)));
  // Control: left alone, a held connection carries data for its whole span.
  const absl::Status control = client->HoldTcp(Ip("srv"), kProbePort, absl::Seconds(2));
  ASSERT_TRUE(control.ok()) << control;

  // One connection is open and carrying data when the rule goes away...
  absl::Status held;
  std::thread holder([&] { held = client->HoldTcp(Ip("srv"), kProbePort, absl::Seconds(6)); });
  const bool established = testing::WaitFor(
      [&] {
        absl::StatusOr<testing::ProcessResult> ss =
            server->Exec({"ss", "-Htn", "state", "established",
                          "( sport = :" + std::to_string(kProbePort + 1) + " )"});
        return ss.ok() && !ss->stdout_text.empty();
      },
      absl::Seconds(5), absl::Milliseconds(20));
  EXPECT_TRUE(established);
  RemoveRule(kAcme, svc, echo);
  // ...new connections fail from then on, and so does the established one: OVN evaluates the
  // ACLs for the packets of established connections too and blocks the connection in conntrack.
  EXPECT_TRUE(testing::WaitFor([&] { return !can_connect(); }, absl::Seconds(10)));
  holder.join();
  EXPECT_THAT(held.message(), ::testing::HasSubstr("lost after"))
      << "the connection outlived the rule: " << held;
}

TEST_F(SecurityGroupTest, RemovingTheEgressRuleStopsNewOutboundConnections) {
  const std::string out = CreateGroup(kAcme, "out");
  auto vm = Vm("vm", {.groups = std::vector<std::string>{out}});
  auto open = Vm("open", {.port_security = false});
  ASSERT_TRUE(vm && open);
  EXPECT_TRUE(WaitProbe(*vm, Protocol::kTcp, Ip("open"), "open"));
  EXPECT_TRUE(WaitReachable(*vm, Ip("open")));

  const std::vector<std::string> egress = RuleIds(kAcme, out, "egress");
  ASSERT_EQ(egress.size(), 2u) << "a new group starts with allow-all egress, IPv4 and IPv6";
  for (const std::string& rule : egress) RemoveRule(kAcme, out, rule);
  EXPECT_TRUE(WaitProbe(*vm, Protocol::kTcp, Ip("open"), ""));
  EXPECT_FALSE(vm->Ping(Ip("open"), absl::Seconds(1)));
  EXPECT_FALSE(vm->Probe(Protocol::kUdp, Ip("open"), kProbePort, absl::Seconds(1)).ok());
}

TEST_F(SecurityGroupTest, AGroupWithLoggingLogsItsAllowedAndDroppedConnectionsOnTheChassis) {
  const std::string logged = CreateGroup(kAcme, "logged", /*log=*/true);
  const std::string http =
      AddRule(kAcme, logged, {.protocol = "tcp", .port = kProbePort, .remote_cidr = "0.0.0.0/0"});
  auto server = Vm("srv", {.groups = std::vector<std::string>{logged}});
  auto client = Vm("cli", {});
  ASSERT_TRUE(server && client);
  EXPECT_TRUE(WaitProbe(*client, Protocol::kTcp, Ip("srv"), "srv"));  // allowed
  EXPECT_TRUE(WaitProbe(*client, Protocol::kUdp, Ip("srv"), ""));     // dropped
  // ovn-controller writes each logged verdict to its log, with the ACL's name.
  const std::string log_path = sandbox_->dir() + "/controller.log";
  auto logged_line = [&](const std::string& acl, const std::string& verdict) {
    std::ifstream file(log_path);
    for (std::string line; std::getline(file, line);) {
      if (line.find("acl_log") != std::string::npos &&
          line.find("name=\"" + acl + "\"") != std::string::npos &&
          line.find("verdict=" + verdict) != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(
      testing::WaitFor([&] { return logged_line("pn-" + http, "allow"); }, absl::Seconds(10)))
      << "no allow logged in " << log_path;
  EXPECT_TRUE(testing::WaitFor([&] { return logged_line("pn-drop-to-" + logged, "drop"); },
                               absl::Seconds(10)))
      << "no drop logged in " << log_path;
}

TEST_F(SecurityGroupTest, Ipv6RulesFilterAsIpv4DoAndNeighbourDiscoveryPassesTheDefaultDeny) {
  const v1::Subnet v6 =
      CreateSubnet(kAcme, CreateVpc(kAcme, "six", "fd00:1::/48"), "web6", "fd00:1:0:1::/64");
  const std::string web6 = CreateGroup(kAcme, "web6");
  AddRule(kAcme, web6,
          {.ethertype = "IPv6", .protocol = "tcp", .port = kProbePort, .remote_cidr = "::/0"});
  auto a = Vm("a", {}, nullptr, &v6);  // the default group: its IPv6 rules too
  auto b = Vm("b", {}, nullptr, &v6);
  auto lone = Vm("lone", {.groups = std::vector<std::string>{}}, nullptr, &v6);
  auto server = Vm("srv", {.groups = std::vector<std::string>{web6}}, nullptr, &v6);
  ASSERT_TRUE(a && b && lone && server);
  ASSERT_NE(Ip("a").find(':'), std::string::npos) << "an IPv6-only subnet";

  // Neighbour discovery works through the default deny, then the rules decide.
  EXPECT_TRUE(WaitReachable(*a, Ip("b")));
  EXPECT_TRUE(WaitProbe(*b, Protocol::kTcp, Ip("a"), "a"));
  EXPECT_TRUE(WaitProbe(*a, Protocol::kTcp, Ip("srv"), "srv"));
  EXPECT_FALSE(a->Probe(Protocol::kUdp, Ip("srv"), kProbePort, absl::Seconds(1)).ok());
  EXPECT_FALSE(a->Ping(Ip("srv"), absl::Seconds(1))) << "web6 allows tcp only";
  EXPECT_TRUE(WaitProbe(*lone, Protocol::kTcp, Ip("a"), ""));
  EXPECT_FALSE(a->Ping(Ip("lone"), absl::Seconds(1)));
}

}  // namespace
}  // namespace plasmanet::e2e
