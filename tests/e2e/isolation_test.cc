// Tenant isolation with real packets: VMs in one subnet, across the subnets of one VPC, and two
// tenants whose VPCs use the very same addresses.

#include <absl/strings/str_split.h>
#include <gtest/gtest.h>

#include "e2e/e2e_test.h"

namespace plasmanet::e2e {
namespace {

using testing::ConnectivityMatrix;
using testing::Reach;
using testing::Target;

class IsolationTest : public E2eTest {};

// The payloads (sender names) of the UDP datagrams `vm`'s probe server received.
std::vector<std::string> UdpSenders(const testing::VmNamespace& vm) {
  std::vector<std::string> senders;
  for (absl::string_view line : absl::StrSplit(vm.Received(), '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() == 3 && fields[0] == "udp") senders.push_back(fields[2]);
  }
  return senders;
}

TEST_F(IsolationTest, VmsOfOneSubnetReachEachOther) {
  const v1::Subnet web =
      CreateSubnet(kAcme, CreateVpc(kAcme, "prod", "10.0.0.0/16"), "web", "10.0.1.0/24");
  VmPair pair = StartPair(web, web);
  ASSERT_TRUE(pair.ready);
  const v1::Port &p1 = pair.p1, &p2 = pair.p2;
  auto &a1 = pair.a1, &a2 = pair.a2;

  const ConnectivityMatrix seen = ConnectivityMatrix::Measure(
      {a1.get(), a2.get()}, {{"a1", p1.fixed_ips(0)}, {"a2", p2.fixed_ips(0)}}, kProbePort);
  ConnectivityMatrix want;
  want.Set("a1", "a2", Reach::All("a2"));
  want.Set("a2", "a1", Reach::All("a1"));
  EXPECT_EQ(seen.ToString(), want.ToString(seen));
}

TEST_F(IsolationTest, SubnetsOfOneVpcReachEachOtherThroughItsRouter) {
  const std::string vpc = CreateVpc(kAcme, "prod", "10.0.0.0/16");
  const v1::Subnet web = CreateSubnet(kAcme, vpc, "web", "10.0.1.0/24");
  const v1::Subnet db = CreateSubnet(kAcme, vpc, "db", "10.0.2.0/24");
  VmPair pair = StartPair(web, db);
  ASSERT_TRUE(pair.ready);
  const v1::Port &p1 = pair.p1, &p2 = pair.p2;
  auto &a1 = pair.a1, &a2 = pair.a2;

  const ConnectivityMatrix seen = ConnectivityMatrix::Measure(
      {a1.get(), a2.get()}, {{"a1", p1.fixed_ips(0)}, {"a2", p2.fixed_ips(0)}}, kProbePort);
  ConnectivityMatrix want;
  want.Set("a1", "a2", Reach::All("a2"));
  want.Set("a2", "a1", Reach::All("a1"));
  EXPECT_EQ(seen.ToString(), want.ToString(seen));

  // The reply came through the router: one hop, so the TTL the peer sent (64) is one less.
  const absl::StatusOr<testing::ProcessResult> ping =
      a1->Exec({"ping", "-n", "-c", "1", "-W", "2", p2.fixed_ips(0)});
  ASSERT_TRUE(ping.ok());
  EXPECT_NE(ping->stdout_text.find("ttl=63"), std::string::npos) << ping->stdout_text;
}

TEST_F(IsolationTest, TenantsWithTheSameAddressesNeverReachEachOther) {
  // Both tenants build 10.0.0.0/16 with 10.0.1.0/24 and get the same addresses; globex has one
  // more VM, at an address acme does not use.
  const v1::Subnet acme_web =
      CreateSubnet(kAcme, CreateVpc(kAcme, "prod", "10.0.0.0/16"), "web", "10.0.1.0/24");
  const v1::Subnet globex_web =
      CreateSubnet(kGlobex, CreateVpc(kGlobex, "prod", "10.0.0.0/16"), "web", "10.0.1.0/24");
  const v1::Port pa1 = CreatePort(kAcme, acme_web, "a1");
  const v1::Port pa2 = CreatePort(kAcme, acme_web, "a2");
  const v1::Port pb1 = CreatePort(kGlobex, globex_web, "b1");
  const v1::Port pb2 = CreatePort(kGlobex, globex_web, "b2");
  const v1::Port pb3 = CreatePort(kGlobex, globex_web, "b3");
  ASSERT_EQ(pa1.fixed_ips(0), pb1.fixed_ips(0));
  ASSERT_EQ(pa2.fixed_ips(0), pb2.fixed_ips(0));
  auto a1 = StartVm("a1", pa1, acme_web);
  auto a2 = StartVm("a2", pa2, acme_web);
  auto b1 = StartVm("b1", pb1, globex_web);
  auto b2 = StartVm("b2", pb2, globex_web);
  auto b3 = StartVm("b3", pb3, globex_web);
  ASSERT_TRUE(a1 && a2 && b1 && b2 && b3);
  // Each tenant's own paths work before anything is concluded from silence.
  ASSERT_TRUE(WaitReachable(*a1, pa2.fixed_ips(0)));
  ASSERT_TRUE(WaitReachable(*a2, pa1.fixed_ips(0)));
  ASSERT_TRUE(WaitReachable(*b1, pb2.fixed_ips(0)));
  ASSERT_TRUE(WaitReachable(*b1, pb3.fixed_ips(0)));
  ASSERT_TRUE(WaitReachable(*b3, pb2.fixed_ips(0)));

  const std::string x1 = pa1.fixed_ips(0), x2 = pa2.fixed_ips(0), x3 = pb3.fixed_ips(0);
  const std::vector<Target> targets = {{x1, x1}, {x2, x2}, {x3, x3}};
  const ConnectivityMatrix seen = ConnectivityMatrix::Measure(
      {a1.get(), a2.get(), b1.get(), b2.get(), b3.get()}, targets, kProbePort);

  // Every answer comes from the sender's own tenant; x3 exists only for globex.
  ConnectivityMatrix want;
  want.Set("a1", x1, Reach::All("a1"));  // its own address
  want.Set("a1", x2, Reach::All("a2"));
  want.Set("a1", x3, Reach::None());
  want.Set("a2", x1, Reach::All("a1"));
  want.Set("a2", x2, Reach::All("a2"));
  want.Set("a2", x3, Reach::None());
  want.Set("b1", x1, Reach::All("b1"));
  want.Set("b1", x2, Reach::All("b2"));
  want.Set("b1", x3, Reach::All("b3"));
  want.Set("b2", x1, Reach::All("b1"));
  want.Set("b2", x2, Reach::All("b2"));
  want.Set("b2", x3, Reach::All("b3"));
  want.Set("b3", x1, Reach::All("b1"));
  want.Set("b3", x2, Reach::All("b2"));
  want.Set("b3", x3, Reach::All("b3"));
  EXPECT_EQ(seen.ToString(), want.ToString(seen));

  // Nothing of the other tenant ever arrived, answered or not: every UDP probe names its
  // sender, and each VM's probe server logged only its own tenant's.
  for (const auto* vm : {a1.get(), a2.get(), b1.get(), b2.get(), b3.get()}) {
    const char tenant = vm->name()[0];
    for (const std::string& sender : UdpSenders(*vm)) {
      EXPECT_EQ(sender[0], tenant) << vm->name() << " received from " << sender << ":\n"
                                   << vm->Received();
    }
  }
}

}  // namespace
}  // namespace plasmanet::e2e
