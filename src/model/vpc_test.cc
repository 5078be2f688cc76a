#include "model/vpc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::model {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(VpcTest, AcceptsDualStackBlocks) {
  absl::StatusOr<Vpc> vpc = BuildVpc({.name = "prod", .cidr_blocks = {"10.0.0.0/16", "fd00::/48"}});
  ASSERT_TRUE(vpc.ok()) << vpc.status();
  EXPECT_EQ(vpc->block(IpFamily::kV4)->ToString(), "10.0.0.0/16");
  EXPECT_EQ(vpc->block(IpFamily::kV6)->ToString(), "fd00::/48");
  EXPECT_EQ(vpc->meta.name, "prod");
}

TEST(VpcTest, RefusesBadBlocksNamingTheField) {
  struct Case {
    std::vector<std::string> blocks;
    std::string field;
    std::string reason;
  };
  const Case cases[] = {
      {{}, "vpc.cidr_blocks", "at least one"},
      {{"10.0.0.1/16"}, "vpc.cidr_blocks[0]", "host bits set; the network is 10.0.0.0/16"},
      {{"10.0.0.0/30"}, "vpc.cidr_blocks[0]", "from /8 to /29"},
      {{"10.0.0.0/7"}, "vpc.cidr_blocks[0]", "from /8 to /29"},
      {{"fd00::/65"}, "vpc.cidr_blocks[0]", "from /8 to /64"},
      {{"10.0.0.0/16", "10.1.0.0/16"}, "vpc.cidr_blocks[1]", "at most one IPv4"},
      {{"10.0.0.0/16", "fd00::/48", "fd01::/48"}, "vpc.cidr_blocks", "at most two"},
      {{"127.0.0.0/8"}, "vpc.cidr_blocks[0]", "reserved range 127.0.0.0/8"},
      {{"169.254.0.0/16"}, "vpc.cidr_blocks[0]", "reserved range"},
      {{"224.0.0.0/8"}, "vpc.cidr_blocks[0]", "reserved range 224.0.0.0/4"},
      {{"fe80::/16"}, "vpc.cidr_blocks[0]", "reserved range fe80::/10"},
      {{"banana"}, "vpc.cidr_blocks[0]", "CIDR notation"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field + " " + c.reason);
    absl::StatusOr<Vpc> vpc = BuildVpc({.cidr_blocks = c.blocks});
    EXPECT_THAT(vpc, HasFieldError(kInvalid, c.field));
    EXPECT_THAT(vpc, StatusIs(kInvalid, HasSubstr(c.reason)));
  }
}

TEST(VpcTest, RefusesLongNamesAndBadLabels) {
  EXPECT_THAT(BuildVpc({.name = std::string(256, 'a'), .cidr_blocks = {"10.0.0.0/16"}}),
              HasFieldError(kInvalid, "vpc.name"));
  EXPECT_THAT(BuildVpc({.name = "a\nb", .cidr_blocks = {"10.0.0.0/16"}}),
              HasFieldError(kInvalid, "vpc.name"));
  EXPECT_THAT(BuildVpc({.labels = {{"bad key", "v"}}, .cidr_blocks = {"10.0.0.0/16"}}),
              HasFieldError(kInvalid, "vpc.labels[bad key]"));
  EXPECT_THAT(BuildVpc({.labels = {{"", "v"}}, .cidr_blocks = {"10.0.0.0/16"}}),
              HasFieldError(kInvalid, "vpc.labels[]"));
  Labels many;
  for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_THAT(BuildVpc({.labels = many, .cidr_blocks = {"10.0.0.0/16"}}),
              HasFieldError(kInvalid, "vpc.labels"));
}

// A dual-stack VPC whose routes point at an appliance in 10.0.1.0/24 or fd00::/48.
Vpc RoutedVpc() { return *BuildVpc({.cidr_blocks = {"10.0.0.0/16", "fd00::/48"}}); }

TEST(VpcTest, StaticRoutesParseInOrder) {
  absl::StatusOr<std::vector<StaticRoute>> routes = BuildStaticRoutes(
      {{"192.168.0.0/16", "10.0.1.5"}, {"172.16.0.0/24", "10.0.2.7"}, {"fd99::/64", "fd00::5"}},
      RoutedVpc());
  ASSERT_TRUE(routes.ok()) << routes.status();
  ASSERT_EQ(routes->size(), 3u);
  EXPECT_EQ((*routes)[0].destination.ToString(), "192.168.0.0/16");
  EXPECT_EQ((*routes)[0].nexthop.ToString(), "10.0.1.5");
  EXPECT_EQ((*routes)[1].destination.ToString(), "172.16.0.0/24");
  EXPECT_EQ((*routes)[1].nexthop.ToString(), "10.0.2.7");
  EXPECT_EQ((*routes)[2].destination.ToString(), "fd99::/64");
  EXPECT_EQ((*routes)[2].nexthop.ToString(), "fd00::5");
  // A host route is a route too.
  EXPECT_TRUE(BuildStaticRoutes({{"198.51.100.7/32", "10.0.1.5"}}, RoutedVpc()).ok());
  // No routes at all: fine (replacing the routes with none clears them).
  absl::StatusOr<std::vector<StaticRoute>> none = BuildStaticRoutes({}, RoutedVpc());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST(VpcTest, RefusesBadStaticRoutesNamingTheField) {
  struct Case {
    std::vector<StaticRouteSpec> routes;
    std::string field;
    std::string reason;
  };
  const Case cases[] = {
      {{{"banana", "10.0.1.5"}}, "vpc.static_routes[0].destination", "CIDR notation"},
      {{{"192.168.0.1/16", "10.0.1.5"}}, "vpc.static_routes[0].destination", "host bits"},
      {{{"192.168.0.0/16", "10.0.1"}}, "vpc.static_routes[0].nexthop", ""},
      {{{"192.168.0.0/16", ""}}, "vpc.static_routes[0].nexthop", ""},
      {{{"192.168.0.0/16", "fd00::5"}}, "vpc.static_routes[0]", "different families"},
      {{{"fd99::/64", "10.0.1.5"}}, "vpc.static_routes[0]", "different families"},
      {{{"0.0.0.0/0", "10.0.1.5"}}, "vpc.static_routes[0].destination", "default route"},
      {{{"::/0", "fd00::5"}}, "vpc.static_routes[0].destination", "default route"},
      {{{"192.168.0.0/16", "10.1.0.5"}}, "vpc.static_routes[0].nexthop", "outside the VPC's"},
      {{{"fd99::/64", "fd01::5"}}, "vpc.static_routes[0].nexthop", "outside the VPC's IPv6"},
      {{{"192.168.0.0/16", "10.0.1.5"}, {"192.168.0.0/16", "10.0.1.6"}},
       "vpc.static_routes[1].destination",
       "given twice"},
      {{{"192.168.0.0/16", "10.0.1.5"}, {"172.16.0.0/12", "192.168.0.1"}},
       "vpc.static_routes[1].nexthop",
       "outside"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field + " " + c.reason);
    absl::StatusOr<std::vector<StaticRoute>> routes = BuildStaticRoutes(c.routes, RoutedVpc());
    EXPECT_THAT(routes, HasFieldError(kInvalid, c.field));
    EXPECT_THAT(routes, StatusIs(kInvalid, HasSubstr(c.reason)));
  }
}

TEST(VpcTest, StaticRouteNexthopNeedsABlockOfItsFamily) {
  const Vpc v4_only = *BuildVpc({.cidr_blocks = {"10.0.0.0/16"}});
  EXPECT_THAT(BuildStaticRoutes({{"fd99::/64", "fd00::5"}}, v4_only),
              HasFieldError(kInvalid, "vpc.static_routes[0].nexthop"));
}

TEST(VpcTest, AtMostKMaxStaticRoutes) {
  std::vector<StaticRouteSpec> specs;
  for (size_t i = 0; i < kMaxStaticRoutes; ++i) {
    specs.push_back({"192.168." + std::to_string(i) + ".0/24", "10.0.1.5"});
  }
  absl::StatusOr<std::vector<StaticRoute>> full = BuildStaticRoutes(specs, RoutedVpc());
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->size(), kMaxStaticRoutes);
  specs.push_back({"192.168.200.0/24", "10.0.1.5"});
  EXPECT_THAT(BuildStaticRoutes(specs, RoutedVpc()), HasFieldError(kInvalid, "vpc.static_routes"));
}

}  // namespace
}  // namespace plasmanet::model
