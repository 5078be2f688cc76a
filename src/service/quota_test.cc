// Project quotas: strict limits per kind, enforced in the store like addresses.

#include <thread>

#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class QuotaTest : public ServiceTest {
 protected:
  void Limit(Quotas quotas) {
    quotas_ = quotas;
    Reopen();
  }
};

TEST_F(QuotaTest, CreatesBeyondTheQuotaAreRefusedAndDeletesGiveRoom) {
  Limit({.vpcs = 2});
  model::Vpc first = MakeVpc(alice_);
  MakeVpc(alice_);
  EXPECT_THAT(FailsWithoutChange(
                  [&] { return svc().vpcs.Create(alice_, {.cidr_blocks = {"10.0.0.0/16"}}); }),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("project acme/web may have at most 2 vpc objects")));
  // Another project has a quota of its own.
  MakeVpc(bob_);
  ASSERT_TRUE(svc().vpcs.Delete(alice_, first.meta.id).ok());
  EXPECT_TRUE(svc().vpcs.Create(alice_, {.cidr_blocks = {"10.0.0.0/16"}}).ok());
}

TEST_F(QuotaTest, EveryKindCounts) {
  Limit({.subnets = 1, .ports = 1, .security_groups = 1, .floating_ips = 1});
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  EXPECT_EQ(svc()
                .subnets.Create(alice_, {.vpc_id = vpc.meta.id, .ipv4_cidr = "10.0.2.0/24"})
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  MakePort(alice_, subnet.meta.id);  // its default group is the project's own, not counted
  EXPECT_EQ(svc().ports.Create(alice_, {.subnet_id = subnet.meta.id}).status().code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(svc().security_groups.Create(alice_, {.name = "web"}).ok());
  EXPECT_EQ(svc().security_groups.Create(alice_, {.name = "db"}).status().code(),
            absl::StatusCode::kResourceExhausted);
  model::ExternalNetwork net = *svc().external_networks.Create(
      admin_, {.cidr = "203.0.113.0/24", .gateway_ip = "203.0.113.1", .physical_network = "p"});
  ASSERT_TRUE(svc().floating_ips.Create(alice_, {.external_network_id = net.meta.id}).ok());
  EXPECT_EQ(svc().floating_ips.Create(alice_, {.external_network_id = net.meta.id}).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(QuotaTest, AFullQuotaRereadsTheStoreForSlotsAnotherServerFreed) {
  Limit({.vpcs = 2});
  model::Vpc first = MakeVpc(alice_);
  MakeVpc(alice_);
  Services second(*store_, clock_, std::nullopt, quotas_);
  ASSERT_THAT(second.vpcs.Delete(alice_, first.meta.id), IsOk());
  // Within a second of loading the quota, the first server answers from memory...
  EXPECT_THAT(svc().vpcs.Create(alice_, {.cidr_blocks = {"10.1.0.0/16"}}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("at most 2")));
  // ...after that it reads the store again before refusing, and finds the freed slot.
  clock_.Advance(IpamRegistry::kRefreshInterval);
  EXPECT_THAT(svc().vpcs.Create(alice_, {.cidr_blocks = {"10.1.0.0/16"}}), IsOk());
  EXPECT_THAT(svc().vpcs.Create(alice_, {.cidr_blocks = {"10.2.0.0/16"}}),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("at most 2")));
}

TEST_F(QuotaTest, ConcurrentCreatesNeverExceedTheQuota) {
  Limit({.ports = 5});
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.0.0/24");
  // Two servers on one store, as with several plasmanetd on etcd.
  Services second(*store_, clock_, std::nullopt, quotas_);
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      Services& server = t % 2 ? second : svc();
      absl::StatusOr<model::Port> p = server.ports.Create(alice_, {.subnet_id = subnet.meta.id});
      if (p.ok()) {
        ++created;
      } else if (p.status().code() == absl::StatusCode::kResourceExhausted) {
        ++refused;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(created.load(), 5);
  EXPECT_EQ(refused.load(), 7);
  EXPECT_THAT(svc().ports.List(alice_, {})->items, SizeIs(5));
}

TEST_F(QuotaTest, DryRunsTakeNothingAndUsageSurvivesRestart) {
  Limit({.vpcs = 1});
  RequestContext dry = alice_;
  dry.validate_only = true;
  EXPECT_TRUE(svc().vpcs.Create(dry, {.cidr_blocks = {"10.0.0.0/16"}}).ok());
  EXPECT_TRUE(svc().vpcs.Create(dry, {.cidr_blocks = {"10.0.0.0/16"}}).ok());
  MakeVpc(alice_);
  EXPECT_EQ(svc().vpcs.Create(dry, {.cidr_blocks = {"10.0.0.0/16"}}).status().code(),
            absl::StatusCode::kResourceExhausted);
  Reopen();
  EXPECT_EQ(svc().vpcs.Create(alice_, {.cidr_blocks = {"10.0.0.0/16"}}).status().code(),
            absl::StatusCode::kResourceExhausted);
  Limit({.vpcs = 0});
  EXPECT_THAT(
      svc().vpcs.Create(alice_, {.cidr_blocks = {"10.0.0.0/16"}}),
      StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("quota of vpc objects is 0")));
}

}  // namespace
}  // namespace plasmanet::service
