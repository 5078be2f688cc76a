#include "service/subnet_service.h"

#include <thread>

#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

using SubnetServiceTest = ServiceTest;

TEST_F(SubnetServiceTest, SubnetLivesInItsVpcsProject) {
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  EXPECT_EQ(subnet.vpc_id, vpc.meta.id);
  EXPECT_EQ(subnet.meta.project_id, "web");
  EXPECT_EQ(subnet.ipv4->gateway.ToString(), "10.0.1.1");
  EXPECT_EQ(svc().subnets.Get(alice_, subnet.meta.id)->ipv4->cidr.ToString(), "10.0.1.0/24");
}

TEST_F(SubnetServiceTest, OverlapWithSiblingIsRefusedNamingIt) {
  model::Vpc vpc = MakeVpc(alice_, {"10.0.0.0/16", "fd00:10::/48"});
  model::Subnet first = MakeSubnet(alice_, vpc.meta.id, "10.0.0.0/20", "fd00:10::/64");
  absl::Status s = FailsWithoutChange([&] {
    return svc().subnets.Create(alice_, {.vpc_id = vpc.meta.id, .ipv4_cidr = "10.0.4.0/24"});
  });
  EXPECT_THAT(s, HasFieldError(absl::StatusCode::kFailedPrecondition, "subnet.ipv4_cidr"));
  EXPECT_THAT(s,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("10.0.4.0/24 overlaps 10.0.0.0/20 of subnet " + first.meta.id)));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().subnets.Create(alice_, {.vpc_id = vpc.meta.id,
                                                     .ipv4_cidr = "10.0.16.0/24",
                                                     .ipv6_cidr = "fd00:10::/64"});
              }),
              HasFieldError(absl::StatusCode::kFailedPrecondition, "subnet.ipv6_cidr"));
  // The same CIDR in another VPC is fine.
  model::Vpc other = MakeVpc(alice_, {"10.0.0.0/16"});
  MakeSubnet(alice_, other.meta.id, "10.0.0.0/20");
}

TEST_F(SubnetServiceTest, InvalidSpecsChangeNothing) {
  model::Vpc vpc = MakeVpc(alice_);
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().subnets.Create(alice_,
                                            {.vpc_id = vpc.meta.id, .ipv4_cidr = "10.1.0.0/24"});
              }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "subnet.ipv4_cidr"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().subnets.Create(alice_,
                                            {.vpc_id = vpc.meta.id,
                                             .ipv4_cidr = "10.0.1.0/24",
                                             .allocation_pools = {{"10.0.1.1", "10.0.1.9"}}});
              }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "subnet.allocation_pools[0]"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().subnets.Create(alice_,
                                            {.vpc_id = "missing", .ipv4_cidr = "10.0.1.0/24"});
              }),
              HasFieldError(absl::StatusCode::kNotFound, "subnet.vpc_id"));
}

TEST_F(SubnetServiceTest, ConcurrentOverlappingCreatesHaveOneWinner) {
  model::Vpc vpc = MakeVpc(alice_);
  constexpr int kThreads = 8;
  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // All overlap 10.0.0.0/20; each is a different CIDR.
      absl::StatusOr<model::Subnet> s = svc().subnets.Create(
          alice_, {.vpc_id = vpc.meta.id, .ipv4_cidr = absl::StrCat("10.0.", t, ".0/24")});
      if (s.ok()) {
        ++created;
      } else if (s.status().code() == absl::StatusCode::kFailedPrecondition) {
        ++refused;
      }
    });
  }
  // And one /20 covering all of them.
  absl::StatusOr<model::Subnet> big =
      svc().subnets.Create(alice_, {.vpc_id = vpc.meta.id, .ipv4_cidr = "10.0.0.0/20"});
  for (std::thread& t : threads) t.join();
  const int total = created + refused + (big.ok() ? 1 : 0) +
                    (!big.ok() && big.status().code() == absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(total, kThreads + 1);
  std::vector<model::Subnet> all = svc().subnets.List(alice_, {})->items;
  EXPECT_EQ(model::FindOverlappingSubnet(all.front(), all), nullptr);
  for (const model::Subnet& s : all) {
    EXPECT_EQ(model::FindOverlappingSubnet(s, all), nullptr) << s.ipv4->cidr.ToString();
  }
  EXPECT_EQ(static_cast<int>(all.size()), created + (big.ok() ? 1 : 0));
}

TEST_F(SubnetServiceTest, ListFiltersByVpc) {
  model::Vpc a = MakeVpc(alice_);
  model::Vpc b = MakeVpc(alice_);
  MakeSubnet(alice_, a.meta.id, "10.0.1.0/24");
  MakeSubnet(alice_, a.meta.id, "10.0.2.0/24");
  MakeSubnet(alice_, b.meta.id, "10.0.1.0/24");
  EXPECT_THAT(svc().subnets.List(alice_, {}, {.vpc_id = a.meta.id})->items, SizeIs(2));
  EXPECT_THAT(svc().subnets.List(alice_, {}, {.vpc_id = b.meta.id})->items, SizeIs(1));
  EXPECT_THAT(svc().subnets.List(alice_, {})->items, SizeIs(3));
}

}  // namespace
}  // namespace plasmanet::service
