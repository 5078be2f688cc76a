// Tenant isolation at the API's core: one tenant's objects do not exist for another.

#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::HasFieldError;

class TenancyTest : public ServiceTest {
 protected:
  void SetUp() override {
    vpc_ = MakeVpc(alice_);
    subnet_ = MakeSubnet(alice_, vpc_.meta.id, "10.0.1.0/24");
    port_ = MakePort(alice_, subnet_.meta.id);
    group_id_ = port_.security_group_ids.at(0);
  }
  model::Vpc vpc_;
  model::Subnet subnet_;
  model::Port port_;
  std::string group_id_;
};

TEST_F(TenancyTest, AnotherTenantGetsNotFoundForEveryObject) {
  constexpr auto kNotFound = absl::StatusCode::kNotFound;
  EXPECT_THAT(svc().vpcs.Get(bob_, vpc_.meta.id), HasFieldError(kNotFound, "vpc_id"));
  EXPECT_THAT(svc().subnets.Get(bob_, subnet_.meta.id), HasFieldError(kNotFound, "subnet_id"));
  EXPECT_THAT(svc().ports.Get(bob_, port_.meta.id), HasFieldError(kNotFound, "port_id"));
  EXPECT_THAT(svc().security_groups.Get(bob_, group_id_),
              HasFieldError(kNotFound, "security_group_id"));
  // The answer for an existing foreign id equals the answer for an id that never existed.
  EXPECT_EQ(svc().ports.Get(bob_, port_.meta.id).status().message(),
            absl::StrCat("port_id: port ", port_.meta.id, " not found"));
}

TEST_F(TenancyTest, AnotherTenantCannotChangeOrUseObjects) {
  constexpr auto kNotFound = absl::StatusCode::kNotFound;
  EXPECT_THAT(FailsWithoutChange([&] { return svc().vpcs.Delete(bob_, vpc_.meta.id); }),
              HasFieldError(kNotFound, "vpc_id"));
  EXPECT_THAT(FailsWithoutChange([&] { return svc().ports.Delete(bob_, port_.meta.id); }),
              HasFieldError(kNotFound, "port_id"));
  EXPECT_THAT(FailsWithoutChange([&] { return svc().subnets.Delete(bob_, subnet_.meta.id); }),
              HasFieldError(kNotFound, "subnet_id"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().subnets.Create(bob_,
                                            {.vpc_id = vpc_.meta.id, .ipv4_cidr = "10.0.2.0/24"});
              }),
              HasFieldError(kNotFound, "subnet.vpc_id"));
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().ports.Create(bob_, {.subnet_id = subnet_.meta.id}); }),
      HasFieldError(kNotFound, "port.subnet_id"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().security_groups.AddRule(bob_, group_id_,
                                                     {.direction = "ingress", .ethertype = "IPv4"});
              }),
              HasFieldError(kNotFound, "security_group_id"));
  // Bob's own port cannot join Alice's group.
  model::Vpc bob_vpc = MakeVpc(bob_);
  model::Subnet bob_subnet = MakeSubnet(bob_, bob_vpc.meta.id, "10.0.1.0/24");
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().ports.Create(
                    bob_, {.subnet_id = bob_subnet.meta.id,
                           .security_group_ids = std::vector<std::string>{group_id_}});
              }),
              HasFieldError(kNotFound, "port.security_group_ids[0]"));
}

TEST_F(TenancyTest, ListingsShowOnlyOwnObjectsAndOverlappingCidrsCoexist) {
  model::Vpc bob_vpc = MakeVpc(bob_);
  model::Subnet bob_subnet = MakeSubnet(bob_, bob_vpc.meta.id, "10.0.1.0/24");
  model::Port bob_port = MakePort(bob_, bob_subnet.meta.id);
  EXPECT_EQ(bob_port.fixed_ips, port_.fixed_ips);  // same address, different tenant: fine

  absl::StatusOr<ListPage<model::Port>> bobs = svc().ports.List(bob_, {});
  ASSERT_TRUE(bobs.ok());
  ASSERT_EQ(bobs->items.size(), 1u);
  EXPECT_EQ(bobs->items[0].meta.id, bob_port.meta.id);
  EXPECT_EQ(svc().vpcs.List(alice_, {})->items.size(), 1u);
  EXPECT_EQ(svc().ports.List(admin_, {})->items.size(), 2u);
  EXPECT_EQ(svc().ports.List(admin_, {.scope = auth::Scope{"globex", "shop"}})->items.size(), 1u);
  EXPECT_NE(bob_port.security_group_ids, port_.security_group_ids);  // each its own default
}

}  // namespace
}  // namespace plasmanet::service
