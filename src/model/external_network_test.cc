#include "model/external_network.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/floating_ip.h"
#include "testing/status_matchers.h"

namespace plasmanet::model {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(ExternalNetworkTest, BuildsWithPools) {
  absl::StatusOr<ExternalNetwork> n =
      BuildExternalNetwork({.name = "public",
                            .cidr = "203.0.113.0/24",
                            .gateway_ip = "203.0.113.1",
                            .physical_network = "physnet1",
                            .floating_ip_pools = {{"203.0.113.100", "203.0.113.200"}}});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->floating_ip_pools.size(), 1u);
  EXPECT_EQ(n->floating_ip_pools[0].last.ToString(), "203.0.113.200");
}

TEST(ExternalNetworkTest, RefusesBadFieldsWithItsOwnFieldNames) {
  const ExternalNetworkSpec good{
      .cidr = "203.0.113.0/24", .gateway_ip = "203.0.113.1", .physical_network = "physnet1"};
  ExternalNetworkSpec s = good;
  s.physical_network = "phys net";
  EXPECT_THAT(BuildExternalNetwork(s),
              HasFieldError(kInvalid, "external_network.physical_network"));
  s = good;
  s.cidr = "203.0.113.1/24";
  EXPECT_THAT(BuildExternalNetwork(s), HasFieldError(kInvalid, "external_network.cidr"));
  s = good;
  s.gateway_ip = "198.51.100.1";
  EXPECT_THAT(BuildExternalNetwork(s), HasFieldError(kInvalid, "external_network.gateway_ip"));
  s = good;
  s.floating_ip_pools = {{"203.0.113.1", "203.0.113.9"}};
  absl::StatusOr<ExternalNetwork> n = BuildExternalNetwork(s);
  EXPECT_THAT(n, HasFieldError(kInvalid, "external_network.floating_ip_pools[0]"));
  EXPECT_THAT(n, StatusIs(kInvalid, HasSubstr("gateway")));
  s = good;
  s.gateway_ip = "";
  EXPECT_THAT(BuildExternalNetwork(s), HasFieldError(kInvalid, "external_network.gateway_ip"));
}

TEST(FloatingIpTest, ValidatesSyntax) {
  constexpr char kNet[] = "123e4567-e89b-42d3-a456-426614174000";
  EXPECT_THAT(ValidateFloatingIpSpec({.external_network_id = kNet}), IsOk());
  EXPECT_THAT(ValidateFloatingIpSpec({.external_network_id = "x"}),
              HasFieldError(kInvalid, "floating_ip.external_network_id"));
  EXPECT_THAT(ValidateFloatingIpSpec({.external_network_id = kNet, .floating_ip_address = "1.2"}),
              HasFieldError(kInvalid, "floating_ip.floating_ip_address"));
  EXPECT_THAT(ValidateFloatingIpSpec({.external_network_id = kNet, .port_id = "p"}),
              HasFieldError(kInvalid, "floating_ip.port_id"));
  EXPECT_THAT(ValidateFloatingIpSpec({.external_network_id = kNet, .fixed_ip_address = "10.0.0.5"}),
              HasFieldError(kInvalid, "floating_ip.fixed_ip_address"));
  EXPECT_THAT(ValidateFloatingIpSpec(
                  {.external_network_id = kNet, .port_id = kNet, .fixed_ip_address = "fd00::5"}),
              StatusIs(kInvalid, HasSubstr("map IPv4")));
}

}  // namespace
}  // namespace plasmanet::model
