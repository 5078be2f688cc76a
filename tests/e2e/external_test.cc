// External connectivity with real packets: VPC gateways with SNAT onto a provider network,
// floating IPs in both directions, and static routes through an appliance VM.
//
// The sandbox maps physnet1 onto its provider bridge br-ex; the "outside" host is a namespace
// plugged into br-ex with the external network's gateway address (172.24.0.1), running a probe
// server that logs the source address of every connection: what it logs is what the internet
// would see. As in the other e2e tests, every "cannot reach" is waited for and paired with a
// "can reach" that proves the path itself works.

#include <string>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e/e2e_test.h"
#include "testing/nbctl.h"
#include "testing/wait.h"

namespace plasmanet::e2e {
namespace {

using ::testing::HasSubstr;
using testing::Protocol;

constexpr char kOutside[] = "172.24.0.1";

class ExternalTest : public E2eTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(E2eTest::SetUp());
    network_ =
        CreateExternalNetwork("public", "172.24.0.0/24", kOutside, "172.24.0.10", "172.24.0.99");
    outside_ = StartOutsideHost("outside", "172.24.0.1/24");
    ASSERT_TRUE(outside_ != nullptr);
  }

  // True once the outside host's probe server has logged a TCP connection from `source`.
  bool WaitOutsideSaw(const std::string& source) {
    return testing::WaitFor([&] { return Saw(*outside_, source); }, absl::Seconds(10));
  }
  // Whether `host`'s probe server has logged a TCP connection from `source`.
  static bool Saw(const testing::VmNamespace& host, const std::string& source) {
    for (absl::string_view line : absl::StrSplit(host.Received(), '\n')) {
      if (line == absl::StrCat("tcp ", source)) return true;
    }
    return false;
  }

  // A group admitting TCP to kProbePort from anywhere (egress open, as every new group's).
  std::string OpenProbeGroup(const char* token) {
    const std::string group = CreateGroup(token, "probe-open");
    AddRule(token, group, {.protocol = "tcp", .port = kProbePort, .remote_cidr = "0.0.0.0/0"});
    return group;
  }

  std::string network_;
  std::unique_ptr<testing::VmNamespace> outside_;
};

TEST_F(ExternalTest, GatewaySnatsTenantsWithTheSameCidrThroughTheirOwnAddresses) {
  const std::string acme_vpc = CreateVpc(kAcme, "prod", "10.0.0.0/16");
  const std::string globex_vpc = CreateVpc(kGlobex, "shop", "10.0.0.0/16");
  const v1::Subnet acme_web = CreateSubnet(kAcme, acme_vpc, "web", "10.0.1.0/24");
  const v1::Subnet globex_web = CreateSubnet(kGlobex, globex_vpc, "web", "10.0.1.0/24");
  const v1::Port a_port = CreatePort(kAcme, acme_web, "a1");
  const v1::Port g_port = CreatePort(kGlobex, globex_web, "g1");
  const v1::Port g2_port = CreatePort(kGlobex, globex_web, "g2");  // acme has no such address
  auto a1 = StartVm("a1", a_port, acme_web);
  auto g1 = StartVm("g1", g_port, globex_web);
  auto g2 = StartVm("g2", g2_port, globex_web);
  ASSERT_TRUE(a1 && g1 && g2);
  // The same private address on both sides.
  ASSERT_EQ(a_port.fixed_ips(0), g_port.fixed_ips(0));

  // Without a gateway a VM reaches its router, and nothing beyond it.
  ASSERT_TRUE(WaitReachable(*a1, "10.0.1.1"));
  EXPECT_TRUE(WaitProbe(*a1, Protocol::kTcp, kOutside, ""));
  EXPECT_FALSE(a1->Ping(kOutside, absl::Seconds(1)));

  const v1::Vpc acme = SetGateway(kAcme, acme_vpc, network_);
  const std::string acme_ip = acme.gateway().external_ip();
  ASSERT_FALSE(acme_ip.empty());
  EXPECT_TRUE(WaitProbe(*a1, Protocol::kTcp, kOutside, "outside")) << Diagnostics();
  EXPECT_TRUE(WaitOutsideSaw(acme_ip)) << outside_->Received();
  EXPECT_FALSE(Saw(*outside_, a_port.fixed_ips(0))) << "a private address left the VPC";
  // globex has no gateway yet: acme's does not carry its traffic.
  ASSERT_TRUE(WaitReachable(*g1, "10.0.1.1"));
  EXPECT_TRUE(WaitProbe(*g1, Protocol::kTcp, kOutside, ""));

  const v1::Vpc globex = SetGateway(kGlobex, globex_vpc, network_);
  const std::string globex_ip = globex.gateway().external_ip();
  ASSERT_NE(globex_ip, acme_ip);
  EXPECT_TRUE(WaitProbe(*g1, Protocol::kTcp, kOutside, "outside")) << Diagnostics();
  EXPECT_TRUE(WaitOutsideSaw(globex_ip)) << outside_->Received();
  // Both gateways up, the private addresses stay private: globex's g2 answers globex's g1,
  // and its address, from acme, reaches nobody.
  EXPECT_TRUE(WaitProbe(*g1, Protocol::kTcp, g2_port.fixed_ips(0), "g2"));
  EXPECT_TRUE(WaitProbe(*a1, Protocol::kTcp, g2_port.fixed_ips(0), ""));
  EXPECT_FALSE(Saw(*g2, acme_ip)) << g2->Received();

  // The gateway is scheduled on the chassis that maps physnet1, through an HA group.
  absl::StatusOr<std::string> chassis = testing::RunNbctl(
      sandbox_->nb_remote(), {"--bare", "--columns=chassis_name", "list", "HA_Chassis"});
  ASSERT_TRUE(chassis.ok()) << chassis.status();
  EXPECT_THAT(*chassis, HasSubstr(sandbox_->chassis_name()));

  // SNAT off: the VPC still routes out, but with its private source, which the outside host
  // has no route back to (it answers nobody).
  SetGateway(kAcme, acme_vpc, network_, /*snat=*/false);
  EXPECT_TRUE(WaitProbe(*a1, Protocol::kTcp, kOutside, ""));
  // Detaching the gateway cuts the way out.
  SetGateway(kAcme, acme_vpc, network_);
  EXPECT_TRUE(WaitProbe(*a1, Protocol::kTcp, kOutside, "outside"));
  SetGateway(kAcme, acme_vpc, "");
  EXPECT_TRUE(WaitProbe(*a1, Protocol::kTcp, kOutside, ""));
  EXPECT_TRUE(WaitProbe(*g1, Protocol::kTcp, kOutside, "outside"));
  // acme's gateway rows are gone from NB (its HA group too: a gateway port deleted with its
  // group in one transaction), globex's remain.
  absl::StatusOr<std::string> groups = testing::RunNbctl(
      sandbox_->nb_remote(), {"--bare", "--columns=name", "list", "HA_Chassis_Group"});
  ASSERT_TRUE(groups.ok()) << groups.status();
  EXPECT_EQ(absl::StripAsciiWhitespace(*groups), absl::StrCat("pn-ha-", globex_vpc));
}

TEST_F(ExternalTest, FloatingIpIsReachableOnAllowedPortsAndIsTheSourceUntilDisassociated) {
  const std::string vpc = CreateVpc(kAcme, "prod", "10.0.0.0/16");
  const v1::Subnet web = CreateSubnet(kAcme, vpc, "web", "10.0.1.0/24");
  const std::string open = OpenProbeGroup(kAcme);
  const v1::Port p1 = CreatePort(kAcme, web, "a1", {.groups = std::vector<std::string>{open}});
  const v1::Port p2 = CreatePort(kAcme, web, "a2");  // the default group: members only
  auto a1 = StartVm("a1", p1, web);
  auto a2 = StartVm("a2", p2, web);
  ASSERT_TRUE(a1 && a2);
  const v1::Vpc gateway = SetGateway(kAcme, vpc, network_);

  const v1::FloatingIp fip = CreateFloatingIp(kAcme, network_, p1.metadata().id());
  const std::string address = fip.floating_ip_address();
  ASSERT_FALSE(address.empty());
  // Inbound: the floating IP reaches a1 on the port its group opens, not on others.
  EXPECT_TRUE(WaitProbe(*outside_, Protocol::kTcp, address, "a1")) << Diagnostics();
  EXPECT_TRUE(WaitProbe(*outside_, Protocol::kUdp, address, ""));
  // Outbound: a1's connections leave with the floating IP as source, not the gateway's.
  EXPECT_TRUE(WaitProbe(*a1, Protocol::kTcp, kOutside, "outside"));
  EXPECT_TRUE(WaitOutsideSaw(address)) << outside_->Received();

  // Moved to a2, whose default group admits only its members: the security group decides.
  AssociateFloatingIp(kAcme, fip.metadata().id(), p2.metadata().id());
  EXPECT_TRUE(WaitProbe(*outside_, Protocol::kTcp, address, ""));
  SetGroups(kAcme, p2.metadata().id(), {open});
  EXPECT_TRUE(WaitProbe(*outside_, Protocol::kTcp, address, "a2")) << Diagnostics();

  // Disassociated: nobody answers on it, and a2 goes out through the gateway's SNAT again.
  AssociateFloatingIp(kAcme, fip.metadata().id(), "");
  EXPECT_TRUE(WaitProbe(*outside_, Protocol::kTcp, address, ""));
  EXPECT_TRUE(WaitProbe(*a2, Protocol::kTcp, kOutside, "outside"));
  EXPECT_TRUE(WaitOutsideSaw(gateway.gateway().external_ip())) << outside_->Received();
}

TEST_F(ExternalTest, StaticRouteSteersTrafficThroughAnApplianceVm) {
  const std::string vpc = CreateVpc(kAcme, "prod", "10.0.0.0/16");
  const v1::Subnet web = CreateSubnet(kAcme, vpc, "web", "10.0.1.0/24");
  const v1::Subnet app = CreateSubnet(kAcme, vpc, "app", "10.0.2.0/24");
  // The appliance answers for a prefix behind it (10.9.0.0/16, here one address on its
  // loopback); it sends with sources that are not its port's, so its port has no port security.
  const v1::Port fw_port = CreatePort(kAcme, web, "fw", {.port_security = false});
  const v1::Port client_port = CreatePort(kAcme, app, "c1");
  auto fw = StartVm("fw", fw_port, web);
  auto c1 = StartVm("c1", client_port, app);
  ASSERT_TRUE(fw && c1);
  ASSERT_TRUE(fw->Exec({"ip", "addr", "add", "10.9.0.5/32", "dev", "lo"}).ok());
  ASSERT_TRUE(WaitReachable(*c1, fw_port.fixed_ips(0)));

  EXPECT_TRUE(WaitProbe(*c1, Protocol::kTcp, "10.9.0.5", ""));  // no route: the router drops it
  SetRoutes(kAcme, vpc, {{"10.9.0.0/16", fw_port.fixed_ips(0)}});
  EXPECT_TRUE(WaitProbe(*c1, Protocol::kTcp, "10.9.0.5", "fw")) << Diagnostics();
  EXPECT_TRUE(Saw(*fw, client_port.fixed_ips(0))) << fw->Received();
  SetRoutes(kAcme, vpc, {});
  EXPECT_TRUE(WaitProbe(*c1, Protocol::kTcp, "10.9.0.5", ""));
}

}  // namespace
}  // namespace plasmanet::e2e
