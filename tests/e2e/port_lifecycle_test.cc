// A port's life as the VM service sees it, with real packets: plugged it goes ACTIVE on this
// chassis, unplugged DOWN; deleted it carries nothing, recreated with the same address it works
// again; and the data plane does not depend on plasmanetd being up.

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "e2e/e2e_test.h"
#include "testing/wait.h"

namespace plasmanet::e2e {
namespace {

class PortLifecycleTest : public E2eTest {
 protected:
  v1::Port GetPort(const std::string& id) {
    const testing::ProcessResult got = Cli({"-o", "json", "port", "get", id});
    EXPECT_EQ(got.exit_code, 0) << got.stdout_text;
    v1::Port port;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(got.stdout_text, &port).ok())
        << got.stdout_text;
    return port;
  }

  // True once `from` stops getting answers from `address`, polling until the deadline.
  static bool WaitUnreachable(const testing::VmNamespace& from, const std::string& address) {
    return testing::WaitFor([&] { return !from.Ping(address, absl::Milliseconds(300)); },
                            absl::Seconds(20), absl::Milliseconds(50));
  }
};

TEST_F(PortLifecycleTest, APluggedPortIsActiveOnThisChassisAndDownOnceUnplugged) {
  const v1::Subnet web =
      CreateSubnet(kAcme, CreateVpc(kAcme, "prod", "10.0.0.0/16"), "web", "10.0.1.0/24");
  const v1::Port port = CreatePort(kAcme, web, "a1");
  const std::string id = port.metadata().id();
  EXPECT_EQ(port.status(), v1::PORT_STATUS_DOWN);

  auto vm = testing::VmNamespace::Create(*sandbox_, "a1", NicFor(port, web));
  ASSERT_TRUE(vm.ok()) << vm.status();
  Plug(**vm, id);
  ASSERT_TRUE(WaitForStatus(id, "ACTIVE"));
  EXPECT_EQ(GetPort(id).binding_chassis(), sandbox_->chassis_name());

  // Plugging again (a restarted agent) changes nothing.
  Plug(**vm, id);
  EXPECT_EQ(GetPort(id).status(), v1::PORT_STATUS_ACTIVE);

  Unplug(**vm);
  ASSERT_TRUE(WaitForStatus(id, "DOWN"));
  EXPECT_EQ(GetPort(id).binding_chassis(), "");
}

TEST_F(PortLifecycleTest, ADeletedPortCarriesNothingAndOneRecreatedWithItsAddressWorks) {
  const v1::Subnet web =
      CreateSubnet(kAcme, CreateVpc(kAcme, "prod", "10.0.0.0/16"), "web", "10.0.1.0/24");
  VmPair pair = StartPair(web, web);
  ASSERT_TRUE(pair.ready);
  const v1::Port &p1 = pair.p1, &p2 = pair.p2;
  auto &a1 = pair.a1, &a2 = pair.a2;
  const std::string address = p2.fixed_ips(0);

  DeletePort(kAcme, p2.metadata().id());
  ASSERT_TRUE(WaitUnreachable(*a1, address));
  EXPECT_FALSE(a1->Probe(testing::Protocol::kTcp, address, kProbePort, absl::Seconds(1)).ok());
  EXPECT_FALSE(a2->Ping(p1.fixed_ips(0), absl::Seconds(1)));  // nor the other way

  // The VM gets a new port with the old address (a new id and MAC), as the VM service does it:
  // plug, wait for ACTIVE, then boot the guest, whose NIC now has the new MAC.
  const v1::Port again = CreatePort(kAcme, web, "a2-again", {.ip = address});
  ASSERT_EQ(again.fixed_ips(0), address);
  Plug(*a2, again.metadata().id());
  ASSERT_TRUE(WaitForStatus(again.metadata().id(), "ACTIVE"));
  ASSERT_TRUE(a2->Configure(NicFor(again, web)).ok());
  ASSERT_TRUE(WaitReachable(*a1, address));
  EXPECT_EQ(a1->Probe(testing::Protocol::kTcp, address, kProbePort, absl::Seconds(2)).value_or(""),
            "a2");
}

TEST_F(PortLifecycleTest, TrafficOutlivesPlasmanetdAndChangesMadeWithoutItApplyWhenItIsBack) {
  const v1::Subnet web =
      CreateSubnet(kAcme, CreateVpc(kAcme, "prod", "10.0.0.0/16"), "web", "10.0.1.0/24");
  VmPair pair = StartPair(web, web);
  ASSERT_TRUE(pair.ready);
  const v1::Port& p2 = pair.p2;  // pair.a2 stays up: a2 answers until the reconciler is back
  auto& a1 = pair.a1;

  // The reconciler dies (kill -9): OVN keeps forwarding what it was told.
  KillDaemon();
  EXPECT_TRUE(a1->Ping(p2.fixed_ips(0), absl::Seconds(2)));
  EXPECT_EQ(a1->Probe(testing::Protocol::kTcp, p2.fixed_ips(0), kProbePort, absl::Seconds(2))
                .value_or(""),
            "a2");

  // Meanwhile the API (a replica that does not lead, here plasmanetd without --ovn-nb) deletes
  // a2's port and creates a3's, and the hypervisor plugs a3.
  ASSERT_NO_FATAL_FAILURE(StartDaemon(/*with_ovn=*/false));
  DeletePort(kAcme, p2.metadata().id());
  // A fixed address: a restarted plasmanetd may well hand out a2's freed one again.
  const v1::Port p3 = CreatePort(kAcme, web, "a3", {.ip = "10.0.1.10"});
  auto a3 = testing::VmNamespace::Create(*sandbox_, "a3", NicFor(p3, web));
  ASSERT_TRUE(a3.ok()) << a3.status();
  ASSERT_TRUE((*a3)->StartProbeServer(kProbePort).ok());
  Plug(**a3, p3.metadata().id());
  StopDaemon();
  // Nobody told OVN: a2 still answers, a3 is not bound.
  EXPECT_TRUE(a1->Ping(p2.fixed_ips(0), absl::Seconds(2)));
  EXPECT_FALSE(a1->Ping(p3.fixed_ips(0), absl::Seconds(1)));

  // The reconciler is back: it applies both changes.
  ASSERT_NO_FATAL_FAILURE(StartDaemon(/*with_ovn=*/true));
  EXPECT_TRUE(WaitForStatus(p3.metadata().id(), "ACTIVE"));
  EXPECT_TRUE(WaitReachable(*a1, p3.fixed_ips(0)));
  EXPECT_EQ(a1->Probe(testing::Protocol::kTcp, p3.fixed_ips(0), kProbePort, absl::Seconds(2))
                .value_or(""),
            "a3");
  EXPECT_TRUE(WaitUnreachable(*a1, p2.fixed_ips(0)));
}

TEST_F(PortLifecycleTest, PlugUnplugAndWaitRefuseBadInputSayingWhy) {
  const v1::Subnet web =
      CreateSubnet(kAcme, CreateVpc(kAcme, "prod", "10.0.0.0/16"), "web", "10.0.1.0/24");
  const std::string id = CreatePort(kAcme, web, "a1").metadata().id();
  const std::string ovs = sandbox_->ovs_remote();
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"plug", "no-such-port", "--ifname", "h-x", "--ovs-db", ovs},
       "NOT_FOUND: no port named 'no-such-port'"},
      {{"plug", id, "--ifname", "a/b", "--ovs-db", ovs}, "INVALID_ARGUMENT: ifname"},
      {{"plug", id, "--ifname", "h-x", "--ovs-db", ovs},
       "FAILED_PRECONDITION: ovs-vswitchd cannot use h-x"},
      {{"plug", id, "--ifname", "h-x", "--ovs-db", "tcp:nowhere"}, "INVALID_ARGUMENT: ovs_db"},
      {{"plug", id, "--ifname", "h-x", "--ovs-db", sandbox_->dir() + "/none.sock"},
       "INVALID_ARGUMENT: ovs_db"},
      {{"plug", id, "--ifname", "h-x", "--mac", "zz", "--ovs-db", ovs},
       "INVALID_ARGUMENT: mac: 'zz' is not a MAC address"},
      {{"unplug", "--ifname", "h-x", "--ovs-db", ovs}, "NOT_FOUND: no interface h-x is plugged"},
      {{"port", "wait", id, "--status", "ACTIVE", "--timeout", "0.5"},
       "DEADLINE_EXCEEDED: port " + id + " is not ACTIVE after 0.5 s"},
      {{"port", "wait", id, "--status", "UP"}, "--status: UP not in {ACTIVE,DOWN,BUILD,ERROR}"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrJoin(c.args, " "));
    const testing::ProcessResult r = Cli(c.args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.stdout_text, ::testing::HasSubstr(c.error));
  }
  EXPECT_EQ(Cli({"unplug", "--ifname", "h-x", "--if-exists", "--ovs-db", ovs}).exit_code, 0);
  // Nothing was plugged along the way.
  const absl::StatusOr<testing::ProcessResult> ports =
      sandbox_->Run({"ovs-vsctl", "--db=" + ovs, "list-ports", "br-int"});
  ASSERT_TRUE(ports.ok());
  EXPECT_EQ(ports->stdout_text, "");
}

}  // namespace
}  // namespace plasmanet::e2e
