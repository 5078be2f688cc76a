#include "service/floating_ip_service.h"

#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

class FloatingIpServiceTest : public ServiceTest {
 protected:
  void SetUp() override {
    absl::StatusOr<model::ExternalNetwork> net = svc().external_networks.Create(
        admin_, {.name = "public",
                 .cidr = "203.0.113.0/24",
                 .gateway_ip = "203.0.113.1",
                 .physical_network = "physnet1",
                 .floating_ip_pools = {{"203.0.113.10", "203.0.113.12"}}});
    ASSERT_TRUE(net.ok()) << net.status();
    net_ = *net;
    vpc_ = MakeVpc(alice_);
    subnet_ = MakeSubnet(alice_, vpc_.meta.id, "10.0.1.0/24");
  }
  model::ExternalNetwork net_;
  model::Vpc vpc_;
  model::Subnet subnet_;
};

TEST_F(FloatingIpServiceTest, OnlyAdminsManageExternalNetworksButAllCanRead) {
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().external_networks.Create(alice_, {.cidr = "198.51.100.0/24",
                                                               .gateway_ip = "198.51.100.1",
                                                               .physical_network = "p"});
              }),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("only admins")));
  EXPECT_TRUE(svc().external_networks.Get(bob_, net_.meta.id).ok());
  EXPECT_EQ(svc().external_networks.List(alice_, {})->items.size(), 1u);
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().external_networks.Delete(alice_, net_.meta.id); }),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("only admins")));
  EXPECT_THAT(
      FailsWithoutChange([&] {
        return svc().external_networks.Create(admin_, {.cidr = "198.51.100.0/24",
                                                       .gateway_ip = "198.51.100.1",
                                                       .physical_network = "bad name"});
      }),
      HasFieldError(absl::StatusCode::kInvalidArgument, "external_network.physical_network"));
}

TEST_F(FloatingIpServiceTest, AllocatesFromPoolsUntilExhausted) {
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<model::FloatingIp> fip =
        svc().floating_ips.Create(alice_, {.external_network_id = net_.meta.id});
    ASSERT_TRUE(fip.ok()) << fip.status();
    got.push_back(fip->address.ToString());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"203.0.113.10", "203.0.113.11", "203.0.113.12"}));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().floating_ips.Create(alice_, {.external_network_id = net_.meta.id});
              }),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("no free IPv4")));
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().external_networks.Delete(admin_, net_.meta.id); }),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("floating IPs")));
}

TEST_F(FloatingIpServiceTest, AssociatesWithOwnPortOncePerAddress) {
  model::Port port = MakePort(alice_, subnet_.meta.id);
  // Without a gateway the VPC's router has no way to the external network.
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().floating_ips.Create(
                    alice_, {.external_network_id = net_.meta.id, .port_id = port.meta.id});
              }),
              HasFieldError(absl::StatusCode::kFailedPrecondition, "floating_ip.port_id"));
  AttachGateway(alice_, vpc_.meta.id, net_.meta.id);
  absl::StatusOr<model::FloatingIp> fip =
      svc().floating_ips.Create(alice_, {.external_network_id = net_.meta.id,
                                         .floating_ip_address = "203.0.113.50",
                                         .port_id = port.meta.id});
  ASSERT_TRUE(fip.ok()) << fip.status();
  EXPECT_EQ(fip->fixed_ip->ToString(), "10.0.1.2");
  EXPECT_EQ(fip->vpc_id, vpc_.meta.id);
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().floating_ips.Create(
                    alice_, {.external_network_id = net_.meta.id, .port_id = port.meta.id});
              }),
              HasFieldError(absl::StatusCode::kAlreadyExists, "floating_ip.port_id"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().floating_ips.Create(alice_, {.external_network_id = net_.meta.id,
                                                          .floating_ip_address = "203.0.113.50"});
              }),
              HasFieldError(absl::StatusCode::kAlreadyExists, "floating_ip.floating_ip_address"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().floating_ips.Create(
                    bob_, {.external_network_id = net_.meta.id, .port_id = port.meta.id});
              }),
              HasFieldError(absl::StatusCode::kNotFound, "floating_ip.port_id"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().floating_ips.Create(alice_, {.external_network_id = net_.meta.id,
                                                          .floating_ip_address = "198.51.100.7"});
              }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "floating_ip.floating_ip_address"));

  // Deleting the port keeps the floating IP, unmapped.
  ASSERT_TRUE(svc().ports.Delete(alice_, port.meta.id).ok());
  absl::StatusOr<model::FloatingIp> after = svc().floating_ips.Get(alice_, fip->meta.id);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->port_id.empty());
  EXPECT_FALSE(after->fixed_ip.has_value());
  EXPECT_TRUE(after->vpc_id.empty());
  ASSERT_TRUE(svc().floating_ips.Delete(alice_, fip->meta.id).ok());
  // The gateway still holds an address of the network.
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().external_networks.Delete(admin_, net_.meta.id); }),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("gateway of VPCs")));
  ASSERT_TRUE(
      svc()
          .vpcs
          .Update(alice_, vpc_.meta.id, "", {.gateway = std::optional<model::VpcGatewaySpec>()})
          .ok());
  EXPECT_TRUE(svc().external_networks.Delete(admin_, net_.meta.id).ok());
}

}  // namespace
}  // namespace plasmanet::service
