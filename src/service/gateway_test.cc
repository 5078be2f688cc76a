// VPC gateways (external address from an external network's pools, SNAT) and static routes,
// through VpcService, and how floating IPs and deletes depend on them.
#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kNotFound = absl::StatusCode::kNotFound;
constexpr auto kPrecondition = absl::StatusCode::kFailedPrecondition;

class GatewayTest : public ServiceTest {
 protected:
  void SetUp() override {
    // Two addresses each: the third gateway finds the pool empty.
    public_ =
        MakeNetwork("public", "203.0.113.0/24", "203.0.113.1", "203.0.113.10", "203.0.113.11");
    other_ =
        MakeNetwork("other", "198.51.100.0/24", "198.51.100.1", "198.51.100.20", "198.51.100.21");
  }

  model::ExternalNetwork MakeNetwork(const std::string& name, const std::string& cidr,
                                     const std::string& gateway, const std::string& first,
                                     const std::string& last) {
    absl::StatusOr<model::ExternalNetwork> net =
        svc().external_networks.Create(admin_, {.name = name,
                                                .cidr = cidr,
                                                .gateway_ip = gateway,
                                                .physical_network = "physnet1",
                                                .floating_ip_pools = {{first, last}}});
    EXPECT_TRUE(net.ok()) << net.status();
    return net.ok() ? *net : model::ExternalNetwork{};
  }

  absl::StatusOr<model::Vpc> SetGateway(const RequestContext& ctx, const std::string& vpc_id,
                                        const std::string& network_id, bool snat = true) {
    return svc().vpcs.Update(ctx, vpc_id, "",
                             {.gateway = model::VpcGatewaySpec{.external_network_id = network_id,
                                                               .snat_enabled = snat}});
  }
  absl::StatusOr<model::Vpc> ClearGateway(const RequestContext& ctx, const std::string& vpc_id) {
    return svc().vpcs.Update(ctx, vpc_id, "", {.gateway = std::optional<model::VpcGatewaySpec>()});
  }
  absl::StatusOr<model::Vpc> SetRoutes(const RequestContext& ctx, const std::string& vpc_id,
                                       std::vector<model::StaticRouteSpec> routes) {
    return svc().vpcs.Update(ctx, vpc_id, "", {.static_routes = std::move(routes)});
  }
  std::string ExternalIp(const model::Vpc& vpc) {
    return vpc.gateway ? vpc.gateway->external_ip.ToString() : "<no gateway>";
  }
  model::Vpc Stored(const std::string& vpc_id) {
    absl::StatusOr<model::Vpc> vpc = svc().vpcs.Get(alice_, vpc_id);
    EXPECT_TRUE(vpc.ok()) << vpc.status();
    return vpc.ok() ? *vpc : model::Vpc{};
  }

  model::ExternalNetwork public_, other_;
};

TEST_F(GatewayTest, AttachAllocatesPoolAddressesInOrderUntilExhausted) {
  const model::Vpc a = MakeVpc(alice_);
  const model::Vpc b = MakeVpc(alice_);
  const model::Vpc c = MakeVpc(alice_);
  const model::Vpc attached = AttachGateway(alice_, a.meta.id, public_.meta.id);
  ASSERT_TRUE(attached.gateway.has_value());
  EXPECT_EQ(attached.gateway->external_network_id, public_.meta.id);
  EXPECT_EQ(ExternalIp(attached), "203.0.113.10");
  EXPECT_TRUE(attached.gateway->snat_enabled) << "SNAT is on unless asked otherwise";
  EXPECT_EQ(Stored(a.meta.id).gateway, attached.gateway) << "the gateway is stored";
  EXPECT_EQ(ExternalIp(AttachGateway(alice_, b.meta.id, public_.meta.id)), "203.0.113.11");
  EXPECT_THAT(FailsWithoutChange([&] { return SetGateway(alice_, c.meta.id, public_.meta.id); }),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("no free")));
  EXPECT_FALSE(Stored(c.meta.id).gateway.has_value());
}

TEST_F(GatewayTest, UnknownOrMissingExternalNetworkIsRefused) {
  const model::Vpc vpc = MakeVpc(alice_);
  EXPECT_THAT(FailsWithoutChange([&] {
                return SetGateway(alice_, vpc.meta.id, "00000000-0000-4000-8000-000000000000");
              }),
              HasFieldError(kNotFound, "vpc.gateway.external_network_id"));
  EXPECT_THAT(FailsWithoutChange([&] { return SetGateway(alice_, vpc.meta.id, ""); }),
              HasFieldError(kInvalid, "vpc.gateway.external_network_id"));
  EXPECT_FALSE(Stored(vpc.meta.id).gateway.has_value());
}

TEST_F(GatewayTest, OtherTenantsAndReadersCannotSetAGateway) {
  const model::Vpc vpc = MakeVpc(alice_);
  EXPECT_THAT(FailsWithoutChange([&] { return SetGateway(bob_, vpc.meta.id, public_.meta.id); }),
              HasFieldError(kNotFound, "vpc_id"));
  EXPECT_THAT(FailsWithoutChange([&] { return SetGateway(rita_, vpc.meta.id, public_.meta.id); }),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  // Neither attempt kept an address: both of the pool's are still there for alice.
  const model::Vpc second = MakeVpc(alice_);
  EXPECT_TRUE(AttachGateway(alice_, vpc.meta.id, public_.meta.id).gateway.has_value());
  EXPECT_TRUE(AttachGateway(alice_, second.meta.id, public_.meta.id).gateway.has_value());
}

TEST_F(GatewayTest, ValidateOnlyAttachChangesNothingAndKeepsNoAddress) {
  const model::Vpc a = MakeVpc(alice_);
  const model::Vpc b = MakeVpc(alice_);
  RequestContext check = alice_;
  check.validate_only = true;
  const int64_t before = Revision();
  absl::StatusOr<model::Vpc> checked = SetGateway(check, a.meta.id, public_.meta.id);
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_TRUE(checked->gateway.has_value()) << "the answer shows what the request would do";
  EXPECT_EQ(Revision(), before) << "validate_only wrote something";
  EXPECT_FALSE(Stored(a.meta.id).gateway.has_value());
  // The proposed address went back: the pool's two addresses serve two real gateways. (IPAM
  // hands out a returned address only after the never-used ones, so which VPC gets which is
  // not the point.)
  const model::Vpc ga = AttachGateway(alice_, a.meta.id, public_.meta.id);
  const model::Vpc gb = AttachGateway(alice_, b.meta.id, public_.meta.id);
  ASSERT_TRUE(ga.gateway && gb.gateway);
  EXPECT_NE(ExternalIp(ga), ExternalIp(gb));
}

TEST_F(GatewayTest, ValidateOnlyCreateWithGatewayKeepsNoAddress) {
  RequestContext check = alice_;
  check.validate_only = true;
  const model::VpcSpec spec{
      .name = "vpc",
      .cidr_blocks = {"10.0.0.0/16"},
      .gateway = model::VpcGatewaySpec{.external_network_id = public_.meta.id}};
  const int64_t before = Revision();
  ASSERT_THAT(svc().vpcs.Create(check, spec), IsOk());
  EXPECT_EQ(Revision(), before);
  ASSERT_THAT(svc().vpcs.Create(alice_, spec), IsOk());
  ASSERT_THAT(svc().vpcs.Create(alice_, spec), IsOk()) << "the validated create kept an address";
}

TEST_F(GatewayTest, TogglingSnatOnTheSameNetworkKeepsTheAddress) {
  const model::Vpc vpc = MakeVpc(alice_);
  const std::string ip = ExternalIp(AttachGateway(alice_, vpc.meta.id, public_.meta.id));
  absl::StatusOr<model::Vpc> off = SetGateway(alice_, vpc.meta.id, public_.meta.id, false);
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->gateway->snat_enabled);
  EXPECT_EQ(ExternalIp(*off), ip);
  EXPECT_FALSE(Stored(vpc.meta.id).gateway->snat_enabled);
  absl::StatusOr<model::Vpc> on = SetGateway(alice_, vpc.meta.id, public_.meta.id, true);
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(on->gateway->snat_enabled);
  EXPECT_EQ(ExternalIp(*on), ip);
  // Still one address of the pool in use: a second VPC gets the other.
  const model::Vpc second = MakeVpc(alice_);
  EXPECT_EQ(ExternalIp(AttachGateway(alice_, second.meta.id, public_.meta.id)), "203.0.113.11");
}

TEST_F(GatewayTest, ClearingWaitsForFloatingIpsAndReturnsTheAddress) {
  const model::Vpc a = MakeVpc(alice_);
  const model::Vpc b = MakeVpc(alice_);
  const model::Vpc c = MakeVpc(alice_);
  const model::Subnet subnet = MakeSubnet(alice_, a.meta.id, "10.0.1.0/24");
  const model::Port port = MakePort(alice_, subnet.meta.id);
  const std::string a_ip = ExternalIp(AttachGateway(alice_, a.meta.id, public_.meta.id));
  AttachGateway(alice_, b.meta.id, public_.meta.id);  // the pool is now used up
  absl::StatusOr<model::FloatingIp> fip =
      svc().floating_ips.Create(alice_, {.external_network_id = public_.meta.id,
                                         .floating_ip_address = "203.0.113.50",
                                         .port_id = port.meta.id});
  ASSERT_TRUE(fip.ok()) << fip.status();

  EXPECT_THAT(FailsWithoutChange([&] { return ClearGateway(alice_, a.meta.id); }),
              HasFieldError(kPrecondition, "vpc.gateway"));
  EXPECT_THAT(FailsWithoutChange([&] { return SetGateway(alice_, a.meta.id, other_.meta.id); }),
              HasFieldError(kPrecondition, "vpc.gateway"))
      << "moving the gateway strands the floating IP as much as clearing it";
  EXPECT_EQ(ExternalIp(Stored(a.meta.id)), a_ip);

  ASSERT_THAT(svc().floating_ips.Update(alice_, fip->meta.id, "", {.port_id = ""}), IsOk());
  absl::StatusOr<model::Vpc> cleared = ClearGateway(alice_, a.meta.id);
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_FALSE(cleared->gateway.has_value());
  EXPECT_FALSE(Stored(a.meta.id).gateway.has_value());
  // A's address is the pool's only free one now.
  EXPECT_EQ(ExternalIp(AttachGateway(alice_, c.meta.id, public_.meta.id)), a_ip);
}

TEST_F(GatewayTest, MovingToAnotherNetworkReleasesTheFirstNetworksAddress) {
  const model::Vpc a = MakeVpc(alice_);
  const model::Vpc b = MakeVpc(alice_);
  const model::Vpc c = MakeVpc(alice_);
  const std::string a_ip = ExternalIp(AttachGateway(alice_, a.meta.id, public_.meta.id));
  AttachGateway(alice_, b.meta.id, public_.meta.id);
  const model::Vpc moved = AttachGateway(alice_, a.meta.id, other_.meta.id);
  ASSERT_TRUE(moved.gateway.has_value());
  EXPECT_EQ(moved.gateway->external_network_id, other_.meta.id);
  EXPECT_EQ(ExternalIp(moved), "198.51.100.20");
  EXPECT_EQ(ExternalIp(AttachGateway(alice_, c.meta.id, public_.meta.id)), a_ip);
  // The first network no longer counts A among its gateways: only B and C keep it.
  ASSERT_THAT(ClearGateway(alice_, b.meta.id), IsOk());
  ASSERT_THAT(ClearGateway(alice_, c.meta.id), IsOk());
  EXPECT_THAT(svc().external_networks.Delete(admin_, public_.meta.id), IsOk());
}

TEST_F(GatewayTest, ExternalNetworkStaysWhileAVpcHasAGatewayOnIt) {
  const model::Vpc vpc = MakeVpc(alice_);
  AttachGateway(alice_, vpc.meta.id, public_.meta.id);
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().external_networks.Delete(admin_, public_.meta.id); }),
      StatusIs(kPrecondition, HasSubstr("gateway")));
  EXPECT_THAT(svc().external_networks.Delete(admin_, other_.meta.id), IsOk())
      << "a network without gateways goes";
  ASSERT_THAT(ClearGateway(alice_, vpc.meta.id), IsOk());
  EXPECT_THAT(svc().external_networks.Delete(admin_, public_.meta.id), IsOk());
}

TEST_F(GatewayTest, DeletingAVpcReleasesItsGatewayAddress) {
  const model::Vpc a = MakeVpc(alice_);
  const model::Vpc b = MakeVpc(alice_);
  const model::Vpc c = MakeVpc(alice_);
  const std::string a_ip = ExternalIp(AttachGateway(alice_, a.meta.id, public_.meta.id));
  AttachGateway(alice_, b.meta.id, public_.meta.id);
  ASSERT_THAT(svc().vpcs.Delete(alice_, a.meta.id), IsOk());
  EXPECT_EQ(ExternalIp(AttachGateway(alice_, c.meta.id, public_.meta.id)), a_ip);
  // And the network forgot A as one of its gateways.
  ASSERT_THAT(ClearGateway(alice_, b.meta.id), IsOk());
  ASSERT_THAT(ClearGateway(alice_, c.meta.id), IsOk());
  EXPECT_THAT(svc().external_networks.Delete(admin_, public_.meta.id), IsOk());
}

TEST_F(GatewayTest, CreateWithAGatewayAttachesIt) {
  absl::StatusOr<model::Vpc> vpc = svc().vpcs.Create(
      alice_, {.name = "edge",
               .cidr_blocks = {"10.0.0.0/16"},
               .gateway = model::VpcGatewaySpec{.external_network_id = public_.meta.id,
                                                .snat_enabled = false}});
  ASSERT_TRUE(vpc.ok()) << vpc.status();
  ASSERT_TRUE(vpc->gateway.has_value());
  EXPECT_EQ(vpc->gateway->external_network_id, public_.meta.id);
  EXPECT_EQ(ExternalIp(*vpc), "203.0.113.10");
  EXPECT_FALSE(vpc->gateway->snat_enabled);
  EXPECT_EQ(Stored(vpc->meta.id).gateway, vpc->gateway);
  EXPECT_THAT(
      FailsWithoutChange([&] { return svc().external_networks.Delete(admin_, public_.meta.id); }),
      StatusIs(kPrecondition, HasSubstr("gateway")))
      << "the network knows its new gateway";
  // A gateway on an unknown network fails the whole create.
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().vpcs.Create(
                    alice_, {.name = "edge",
                             .cidr_blocks = {"10.0.0.0/16"},
                             .gateway = model::VpcGatewaySpec{
                                 .external_network_id = "00000000-0000-4000-8000-000000000000"}});
              }),
              HasFieldError(kNotFound, "vpc.gateway.external_network_id"));
}

TEST_F(GatewayTest, StaticRouteNexthopsMustBeHostsOfASubnet) {
  const model::Vpc vpc = MakeVpc(alice_);
  const model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  EXPECT_THAT(FailsWithoutChange([&] {
                return SetRoutes(alice_, vpc.meta.id, {{"192.168.0.0/16", "10.0.9.5"}});
              }),
              HasFieldError(kPrecondition, "vpc.static_routes[0].nexthop"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return SetRoutes(alice_, vpc.meta.id,
                                 {{"192.168.0.0/16", "10.0.1.5"}, {"172.16.0.0/12", "10.0.1.1"}});
              }),
              HasFieldError(kInvalid, "vpc.static_routes[1].nexthop"))
      << "10.0.1.1 is the subnet's gateway: the router itself";
  EXPECT_THAT(FailsWithoutChange([&] {
                return SetRoutes(alice_, vpc.meta.id, {{"0.0.0.0/0", "10.0.1.5"}});
              }),
              HasFieldError(kInvalid, "vpc.static_routes[0].destination"));

  absl::StatusOr<model::Vpc> routed =
      SetRoutes(alice_, vpc.meta.id, {{"192.168.0.0/16", "10.0.1.5"}});
  ASSERT_TRUE(routed.ok()) << routed.status();
  ASSERT_EQ(routed->static_routes.size(), 1u);
  const model::Vpc stored = Stored(vpc.meta.id);
  ASSERT_EQ(stored.static_routes.size(), 1u);
  EXPECT_EQ(stored.static_routes[0].destination.ToString(), "192.168.0.0/16");
  EXPECT_EQ(stored.static_routes[0].nexthop.ToString(), "10.0.1.5");

  // The subnet holding the next hop stays while the route uses it.
  EXPECT_THAT(FailsWithoutChange([&] { return svc().subnets.Delete(alice_, subnet.meta.id); }),
              StatusIs(kPrecondition, HasSubstr("static route")));
  ASSERT_THAT(SetRoutes(alice_, vpc.meta.id, {}), IsOk());
  EXPECT_TRUE(Stored(vpc.meta.id).static_routes.empty());
  EXPECT_THAT(svc().subnets.Delete(alice_, subnet.meta.id), IsOk());
}

TEST_F(GatewayTest, RoutesMovingBetweenSubnetsFreeTheOldOne) {
  const model::Vpc vpc = MakeVpc(alice_);
  const model::Subnet first = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  const model::Subnet second = MakeSubnet(alice_, vpc.meta.id, "10.0.2.0/24");
  ASSERT_THAT(SetRoutes(alice_, vpc.meta.id, {{"192.168.0.0/16", "10.0.1.5"}}), IsOk());
  ASSERT_THAT(SetRoutes(alice_, vpc.meta.id, {{"192.168.0.0/16", "10.0.2.5"}}), IsOk());
  EXPECT_THAT(FailsWithoutChange([&] { return svc().subnets.Delete(alice_, second.meta.id); }),
              StatusIs(kPrecondition, HasSubstr("static route")));
  EXPECT_THAT(svc().subnets.Delete(alice_, first.meta.id), IsOk());
}

TEST_F(GatewayTest, FloatingIpNeedsTheGatewayOnItsOwnNetwork) {
  const model::Vpc vpc = MakeVpc(alice_);
  const model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  const model::Port port = MakePort(alice_, subnet.meta.id);
  AttachGateway(alice_, vpc.meta.id, other_.meta.id);
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().floating_ips.Create(
                    alice_, {.external_network_id = public_.meta.id, .port_id = port.meta.id});
              }),
              HasFieldError(kPrecondition, "floating_ip.port_id"));
  // Created unassociated, it cannot be associated either.
  absl::StatusOr<model::FloatingIp> fip =
      svc().floating_ips.Create(alice_, {.external_network_id = public_.meta.id});
  ASSERT_TRUE(fip.ok()) << fip.status();
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().floating_ips.Update(alice_, fip->meta.id, "",
                                                 {.port_id = port.meta.id});
              }),
              HasFieldError(kPrecondition, "floating_ip.port_id"));
  // On the gateway's own network it works.
  absl::StatusOr<model::FloatingIp> mapped = svc().floating_ips.Create(
      alice_, {.external_network_id = other_.meta.id, .port_id = port.meta.id});
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ(mapped->vpc_id, vpc.meta.id);
}

}  // namespace
}  // namespace plasmanet::service
