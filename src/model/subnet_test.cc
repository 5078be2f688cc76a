#include "model/subnet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::model {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

class SubnetTest : public ::testing::Test {
 protected:
  Vpc vpc_ = *BuildVpc({.cidr_blocks = {"10.0.0.0/16", "fd00:1::/48"}});

  std::string Pools(const Subnet& s, IpFamily f) {
    std::string out;
    for (const AddressRange& r : s.family(f)->pools) {
      out += r.first.ToString() + "-" + r.last.ToString() + " ";
    }
    return out;
  }
};

TEST_F(SubnetTest, DefaultsGatewayAndPoolsForBothFamilies) {
  absl::StatusOr<Subnet> s =
      BuildSubnet({.ipv4_cidr = "10.0.1.0/24", .ipv6_cidr = "fd00:1:0:1::/64"}, vpc_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->ipv4->gateway.ToString(), "10.0.1.1");
  EXPECT_EQ(Pools(*s, IpFamily::kV4), "10.0.1.2-10.0.1.254 ");
  EXPECT_EQ(s->ipv6->gateway.ToString(), "fd00:1:0:1::1");
  EXPECT_EQ(Pools(*s, IpFamily::kV6), "fd00:1:0:1::2-fd00:1:0:1:ffff:ffff:ffff:ffff ");
  EXPECT_TRUE(s->dhcp_enabled);
}

TEST_F(SubnetTest, GatewayInTheMiddleSplitsDefaultPool) {
  absl::StatusOr<Subnet> s =
      BuildSubnet({.ipv4_cidr = "10.0.1.0/24", .gateway_ipv4 = "10.0.1.100"}, vpc_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Pools(*s, IpFamily::kV4), "10.0.1.1-10.0.1.99 10.0.1.101-10.0.1.254 ");
}

TEST_F(SubnetTest, UserPoolsAreSortedAndKept) {
  absl::StatusOr<Subnet> s =
      BuildSubnet({.ipv4_cidr = "10.0.1.0/24",
                   .allocation_pools = {{"10.0.1.200", "10.0.1.210"}, {"10.0.1.10", "10.0.1.20"}},
                   .dhcp_enabled = false,
                   .dns_servers = {"10.0.0.2", "fd00::53"}},
                  vpc_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Pools(*s, IpFamily::kV4), "10.0.1.10-10.0.1.20 10.0.1.200-10.0.1.210 ");
  EXPECT_FALSE(s->dhcp_enabled);
  EXPECT_EQ(s->dns_servers.size(), 2u);
}

TEST_F(SubnetTest, RefusesInvalidSpecsNamingTheField) {
  struct Case {
    SubnetSpec spec;
    std::string field;
    std::string reason;
  };
  const Case cases[] = {
      {{}, "subnet.ipv4_cidr", "are required"},
      {{.ipv4_cidr = "10.0.1.1/24"}, "subnet.ipv4_cidr", "host bits set"},
      {{.ipv4_cidr = "10.0.1.0/30"}, "subnet.ipv4_cidr", "from /8 to /29"},
      {{.ipv4_cidr = "10.1.0.0/24"}, "subnet.ipv4_cidr", "not inside the VPC block 10.0.0.0/16"},
      {{.ipv4_cidr = "fd00:1::/64"}, "subnet.ipv4_cidr", "not an IPv4 CIDR"},
      {{.ipv6_cidr = "fd00:1::/56"}, "subnet.ipv6_cidr", "from /64 to /124"},
      {{.ipv6_cidr = "fd00:2::/64"}, "subnet.ipv6_cidr", "not inside the VPC block"},
      {{.ipv4_cidr = "10.0.1.0/24", .gateway_ipv4 = "10.0.2.1"},
       "subnet.gateway_ipv4",
       "not inside"},
      {{.ipv4_cidr = "10.0.1.0/24", .gateway_ipv4 = "10.0.1.0"},
       "subnet.gateway_ipv4",
       "network address"},
      {{.ipv4_cidr = "10.0.1.0/24", .gateway_ipv4 = "10.0.1.255"},
       "subnet.gateway_ipv4",
       "broadcast"},
      {{.ipv4_cidr = "10.0.1.0/24", .gateway_ipv4 = "nope"},
       "subnet.gateway_ipv4",
       "not an IP address"},
      {{.ipv6_cidr = "fd00:1::/64", .gateway_ipv4 = "10.0.1.1"},
       "subnet.gateway_ipv4",
       "without an ipv4_cidr"},
      {{.ipv4_cidr = "10.0.1.0/24", .allocation_pools = {{"10.0.1.50", "10.0.1.40"}}},
       "subnet.allocation_pools[0]",
       "start must not be after end"},
      {{.ipv4_cidr = "10.0.1.0/24", .allocation_pools = {{"10.0.1.50", "10.0.2.40"}}},
       "subnet.allocation_pools[0]",
       "inside 10.0.1.0/24"},
      {{.ipv4_cidr = "10.0.1.0/24", .allocation_pools = {{"10.0.1.0", "10.0.1.40"}}},
       "subnet.allocation_pools[0]",
       "network address"},
      {{.ipv4_cidr = "10.0.1.0/24", .allocation_pools = {{"10.0.1.200", "10.0.1.255"}}},
       "subnet.allocation_pools[0]",
       "broadcast"},
      {{.ipv4_cidr = "10.0.1.0/24", .allocation_pools = {{"10.0.1.1", "10.0.1.40"}}},
       "subnet.allocation_pools[0]",
       "gateway 10.0.1.1"},
      {{.ipv4_cidr = "10.0.1.0/24",
        .allocation_pools = {{"10.0.1.10", "10.0.1.40"}, {"10.0.1.40", "10.0.1.50"}}},
       "subnet.allocation_pools[1]",
       "overlaps the pool 10.0.1.10-10.0.1.40"},
      {{.ipv4_cidr = "10.0.1.0/24", .allocation_pools = {{"10.0.1.10", "fd00:1::5"}}},
       "subnet.allocation_pools[0]",
       "same family"},
      {{.ipv4_cidr = "10.0.1.0/24", .allocation_pools = {{"fd00:1::5", "fd00:1::9"}}},
       "subnet.allocation_pools[0]",
       "no IPv6 CIDR"},
      {{.ipv4_cidr = "10.0.1.0/24", .dns_servers = {"8.8.8.8", "x"}},
       "subnet.dns_servers[1]",
       "not an IP address"},
      {{.ipv4_cidr = "10.0.1.0/24",
        .dns_servers = {"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6"}},
       "subnet.dns_servers",
       "at most 5"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field + ": " + c.reason);
    absl::StatusOr<Subnet> s = BuildSubnet(c.spec, vpc_);
    EXPECT_THAT(s, HasFieldError(kInvalid, c.field));
    EXPECT_THAT(s, StatusIs(kInvalid, HasSubstr(c.reason)));
  }
}

TEST_F(SubnetTest, MtuDefaultsToTheUnderlayLessGeneveAndMayOnlyBeLowered) {
  absl::StatusOr<Subnet> s = BuildSubnet({.ipv4_cidr = "10.0.1.0/24"}, vpc_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->mtu, 1500 - 58);
  s = BuildSubnet({.ipv4_cidr = "10.0.1.0/24"}, vpc_, {.max_mtu = 8942});
  EXPECT_EQ(s->mtu, 8942) << "a jumbo underlay raises the default";
  s = BuildSubnet({.ipv4_cidr = "10.0.1.0/24", .mtu = 1300}, vpc_);
  EXPECT_EQ(s->mtu, 1300);
  EXPECT_THAT(BuildSubnet({.ipv4_cidr = "10.0.1.0/24", .mtu = 1500}, vpc_),
              HasFieldError(kInvalid, "subnet.mtu"))
      << "above what the underlay carries after encapsulation";
  EXPECT_THAT(BuildSubnet({.ipv4_cidr = "10.0.1.0/24", .mtu = 500}, vpc_),
              HasFieldError(kInvalid, "subnet.mtu"));
  EXPECT_THAT(BuildSubnet({.ipv6_cidr = "fd00:1:0:1::/64", .mtu = 1200}, vpc_),
              HasFieldError(kInvalid, "subnet.mtu"))
      << "IPv6 needs 1280";
  Subnet subnet = *BuildSubnet({.ipv4_cidr = "10.0.1.0/24"}, vpc_);
  EXPECT_THAT(SetMtu(9000, {}, subnet), HasFieldError(kInvalid, "subnet.mtu"));
  EXPECT_EQ(subnet.mtu, 1442) << "a refused change changes nothing";
}

TEST_F(SubnetTest, HostRoutesNeedAnIpv4DestinationAndANextHopInTheSubnet) {
  absl::StatusOr<Subnet> s =
      BuildSubnet({.ipv4_cidr = "10.0.1.0/24",
                   .host_routes = {{"192.168.0.0/16", "10.0.1.9"}, {"172.16.0.0/12", "10.0.1.10"}}},
                  vpc_);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->host_routes.size(), 2u);
  EXPECT_EQ(s->host_routes[0].nexthop.ToString(), "10.0.1.9");
  const auto with = [&](HostRouteSpec route) {
    return BuildSubnet({.ipv4_cidr = "10.0.1.0/24",
                        .ipv6_cidr = "fd00:1:0:1::/64",
                        .host_routes = {std::move(route)}},
                       vpc_);
  };
  EXPECT_THAT(with({"192.168.0.0/16", "10.0.2.9"}),
              HasFieldError(kInvalid, "subnet.host_routes[0].nexthop"));
  EXPECT_THAT(with({"192.168.0.0/16", "10.0.1.255"}),
              HasFieldError(kInvalid, "subnet.host_routes[0].nexthop"));
  EXPECT_THAT(with({"not a cidr", "10.0.1.9"}),
              HasFieldError(kInvalid, "subnet.host_routes[0].destination"));
  EXPECT_THAT(with({"fd00:9::/64", "fd00:1:0:1::9"}),
              HasFieldError(kInvalid, "subnet.host_routes[0]"));
  EXPECT_THAT(BuildSubnet({.ipv4_cidr = "10.0.1.0/24",
                           .host_routes = {{"192.168.0.0/16", "10.0.1.9"},
                                           {"192.168.0.0/16", "10.0.1.10"}}},
                          vpc_),
              HasFieldError(kInvalid, "subnet.host_routes[1].destination"));
}

TEST_F(SubnetTest, SlaacModesNeedASlash64AndDeriveEui64Addresses) {
  absl::StatusOr<Subnet> s =
      BuildSubnet({.ipv6_cidr = "fd00:1:0:1::/64", .ipv6_address_mode = "slaac"}, vpc_);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->ipv6_slaac());
  EXPECT_THAT(BuildSubnet({.ipv6_cidr = "fd00:1:0:1::/80", .ipv6_address_mode = "slaac"}, vpc_),
              HasFieldError(kInvalid, "subnet.ipv6_address_mode"));
  EXPECT_THAT(BuildSubnet({.ipv4_cidr = "10.0.1.0/24", .ipv6_address_mode = "slaac"}, vpc_),
              HasFieldError(kInvalid, "subnet.ipv6_address_mode"));
  EXPECT_THAT(BuildSubnet({.ipv6_cidr = "fd00:1:0:1::/64", .ipv6_address_mode = "auto"}, vpc_),
              HasFieldError(kInvalid, "subnet.ipv6_address_mode"));
  // RFC 4291 appendix A: 52:54:00:12:34:56 -> 5054:ff:fe12:3456.
  EXPECT_EQ(
      Eui64Address(*IpPrefix::Parse("fd00:1:0:1::/64"), *MacAddress::Parse("52:54:00:12:34:56"))
          .ToString(),
      "fd00:1:0:1:5054:ff:fe12:3456");
}

TEST_F(SubnetTest, RefusesFamilyTheVpcLacks) {
  Vpc v4_only = *BuildVpc({.cidr_blocks = {"10.0.0.0/16"}});
  EXPECT_THAT(BuildSubnet({.ipv6_cidr = "fd00:1::/64"}, v4_only),
              StatusIs(kInvalid, HasSubstr("the VPC has no IPv6 block")));
}

TEST_F(SubnetTest, FindsOverlappingSiblingOfEitherFamily) {
  Subnet a = *BuildSubnet({.ipv4_cidr = "10.0.0.0/20"}, vpc_);
  a.meta.id = "a";
  Subnet b = *BuildSubnet({.ipv4_cidr = "10.0.16.0/24", .ipv6_cidr = "fd00:1::/64"}, vpc_);
  b.meta.id = "b";
  Subnet inside_a = *BuildSubnet({.ipv4_cidr = "10.0.4.0/24"}, vpc_);
  Subnet v6_clash = *BuildSubnet({.ipv4_cidr = "10.0.17.0/24", .ipv6_cidr = "fd00:1::/64"}, vpc_);
  Subnet free = *BuildSubnet({.ipv4_cidr = "10.0.17.0/24", .ipv6_cidr = "fd00:1:0:2::/64"}, vpc_);
  const std::vector<Subnet> siblings = {a, b};
  EXPECT_EQ(FindOverlappingSubnet(inside_a, siblings)->meta.id, "a");
  EXPECT_EQ(FindOverlappingSubnet(inside_a, {b}), nullptr);
  EXPECT_EQ(FindOverlappingSubnet(v6_clash, siblings)->meta.id, "b");
  EXPECT_EQ(FindOverlappingSubnet(free, siblings), nullptr);
}

TEST_F(SubnetTest, ReservedAddressReasons) {
  Subnet s = *BuildSubnet({.ipv4_cidr = "10.0.1.0/24"}, vpc_);
  EXPECT_EQ(ReservedAddressReason(*s.ipv4, *IpAddress::Parse("10.0.1.0")),
            "is the network address");
  EXPECT_EQ(ReservedAddressReason(*s.ipv4, *IpAddress::Parse("10.0.1.255")),
            "is the broadcast address");
  EXPECT_EQ(ReservedAddressReason(*s.ipv4, *IpAddress::Parse("10.0.1.1")),
            "is the gateway address");
  EXPECT_EQ(ReservedAddressReason(*s.ipv4, *IpAddress::Parse("10.0.1.7")), "");
}

}  // namespace
}  // namespace plasmanet::model
