#include "model/json_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/port.h"
#include "model/security_group.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "testing/status_matchers.h"

namespace plasmanet::model {
namespace {

using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

TEST(JsonCodecTest, PortRoundTripsEveryField) {
  Port p;
  p.meta = {.id = "p1",
            .name = "nic0",
            .org_id = "o",
            .project_id = "pr",
            .created_at = absl::FromUnixMillis(1700000000123),
            .updated_at = absl::FromUnixSeconds(1700000001),
            .revision = 99,
            .labels = {{"k", "v"}}};
  p.subnet_id = "s1";
  p.vpc_id = "v1";
  p.mac = *MacAddress::Parse("02:00:00:00:00:01");
  p.fixed_ips = {*IpAddress::Parse("10.0.0.5"), *IpAddress::Parse("fd00::5")};
  p.security_group_ids = {"g1"};
  p.allowed_address_pairs = {{*IpPrefix::Parse("10.0.9.0/24"), MacAddress(7)}};
  p.device_id = "vm";
  p.extra_dhcp_options = {{"bootfile_name", "pxelinux.0"}, {"next_server", "10.0.1.20"}};
  p.status = PortStatus::kActive;
  p.binding_chassis = "hv1";

  absl::StatusOr<Port> back = Decode<Port>(Encode(p));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->meta.created_at, p.meta.created_at);
  EXPECT_EQ(back->meta.revision, 0);  // the store supplies revisions, they are not encoded
  EXPECT_EQ(back->meta.labels, p.meta.labels);
  EXPECT_EQ(back->fixed_ips, p.fixed_ips);
  EXPECT_EQ(back->mac, p.mac);
  EXPECT_EQ(back->allowed_address_pairs[0].prefix, p.allowed_address_pairs[0].prefix);
  EXPECT_EQ(back->allowed_address_pairs[0].mac, MacAddress(7));
  EXPECT_EQ(back->status, PortStatus::kActive);
  EXPECT_EQ(back->binding_chassis, "hv1");
  EXPECT_EQ(back->extra_dhcp_options, p.extra_dhcp_options);
}

TEST(JsonCodecTest, PortWithoutExtraDhcpOptionsStoresNoKeyAndOldPortsDecode) {
  Port p;
  p.meta = {.id = "p1", .org_id = "o", .project_id = "pr"};
  p.subnet_id = "s1";
  const std::string text = Encode(p);
  EXPECT_THAT(text, ::testing::Not(HasSubstr("extra_dhcp_options")));
  // A port stored before the field existed.
  absl::StatusOr<Port> old = Decode<Port>(
      R"({"id": "p1", "org_id": "o", "project_id": "pr", "created_at": "2024-01-01T00:00:00Z",
          "updated_at": "2024-01-01T00:00:00Z", "subnet_id": "s1", "mac": "02:00:00:00:00:01",
          "fixed_ips": []})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_TRUE(old->extra_dhcp_options.empty());
}

TEST(JsonCodecTest, SubnetAndGroupRoundTrip) {
  Vpc vpc = *BuildVpc({.cidr_blocks = {"10.0.0.0/16", "fd00::/48"}});
  Subnet s = *BuildSubnet(
      {.ipv4_cidr = "10.0.1.0/24", .ipv6_cidr = "fd00::/64", .dns_servers = {"10.0.0.2"}}, vpc);
  s.meta.id = "s1";
  absl::StatusOr<Subnet> sb = Decode<Subnet>(Encode(s));
  ASSERT_TRUE(sb.ok()) << sb.status();
  EXPECT_EQ(sb->ipv4->pools, s.ipv4->pools);
  EXPECT_EQ(sb->ipv6->gateway, s.ipv6->gateway);
  EXPECT_EQ(sb->dns_servers, s.dns_servers);

  SecurityGroup g;
  g.meta.id = "g";
  g.rules = DefaultGroupRules("g");
  g.rules.push_back(*BuildSecurityGroupRule({.direction = "ingress",
                                             .ethertype = "IPv4",
                                             .protocol = "tcp",
                                             .port_range_min = 80,
                                             .port_range_max = 81,
                                             .remote_ip_prefix = "0.0.0.0/0"}));
  absl::StatusOr<SecurityGroup> gb = Decode<SecurityGroup>(Encode(g));
  ASSERT_TRUE(gb.ok()) << gb.status();
  ASSERT_EQ(gb->rules.size(), g.rules.size());
  for (size_t i = 0; i < g.rules.size(); ++i) {
    EXPECT_TRUE(gb->rules[i].SameMatch(g.rules[i])) << i;
  }
}

TEST(JsonCodecTest, VpcGatewayAndStaticRoutesRoundTrip) {
  Vpc v = *BuildVpc({.name = "prod", .cidr_blocks = {"10.0.0.0/16"}});
  v.meta.id = "v1";
  v.meta.org_id = "o";
  v.meta.project_id = "p";
  v.gateway = VpcGateway{.external_network_id = "net1",
                         .external_ip = *IpAddress::Parse("203.0.113.10"),
                         .snat_enabled = false};
  v.static_routes =
      *BuildStaticRoutes({{"192.168.0.0/16", "10.0.1.5"}, {"172.16.0.0/24", "10.0.2.7"}}, v);
  absl::StatusOr<Vpc> back = Decode<Vpc>(Encode(v));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->cidr_blocks, v.cidr_blocks);
  EXPECT_EQ(back->gateway, v.gateway);
  EXPECT_EQ(back->static_routes, v.static_routes);

  v.gateway->snat_enabled = true;
  back = Decode<Vpc>(Encode(v));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->gateway, v.gateway);
}

TEST(JsonCodecTest, VpcWithoutGatewayStoresNoKeysAndOldVpcsDecode) {
  Vpc v = *BuildVpc({.cidr_blocks = {"10.0.0.0/16"}});
  v.meta = {.id = "v1", .org_id = "o", .project_id = "p"};
  const std::string text = Encode(v);
  EXPECT_THAT(text, ::testing::Not(HasSubstr("gateway")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("static_routes")));
  // A VPC stored before gateways and routes existed.
  absl::StatusOr<Vpc> old =
      Decode<Vpc>(R"({"id":"v","org_id":"o","project_id":"p","created_at":"2020-01-01T00:00:00Z",
                     "updated_at":"2020-01-01T00:00:00Z","cidr_blocks":["10.0.0.0/8"]})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_FALSE(old->gateway.has_value());
  EXPECT_TRUE(old->static_routes.empty());
}

TEST(JsonCodecTest, CorruptValueIsDataLoss) {
  EXPECT_THAT(Decode<Port>("{not json"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt")));
  EXPECT_THAT(Decode<Port>(R"({"id":"p"})"),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt")));
  EXPECT_THAT(
      Decode<Vpc>(R"({"id":"v","org_id":"o","project_id":"p","created_at":"2020-01-01T00:00:00Z",
                              "updated_at":"2020-01-01T00:00:00Z","cidr_blocks":["10.0.0.1/8"]})"),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("host bits")));
}

}  // namespace
}  // namespace plasmanet::model
