#include "model/port.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::model {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr char kGroup[] = "123e4567-e89b-42d3-a456-426614174000";

class PortTest : public ::testing::Test {
 protected:
  PortTest() {
    Vpc vpc = *BuildVpc({.cidr_blocks = {"10.0.0.0/16", "fd00:1::/48"}});
    subnet_ = *BuildSubnet(
        {.vpc_id = "vpc-1", .ipv4_cidr = "10.0.1.0/24", .ipv6_cidr = "fd00:1:0:1::/64"}, vpc);
    subnet_.meta.id = "subnet-1";
  }
  Subnet subnet_;
};

TEST_F(PortTest, DefaultsAskForGeneratedMacBothFamiliesAndDefaultGroup) {
  absl::StatusOr<PortDraft> d = BuildPort({.subnet_id = "subnet-1"}, subnet_);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->generate_mac);
  EXPECT_TRUE(d->use_default_group);
  EXPECT_THAT(d->families_to_allocate, ElementsAre(IpFamily::kV4, IpFamily::kV6));
  EXPECT_TRUE(d->port.port_security_enabled);
  EXPECT_EQ(d->port.vpc_id, "vpc-1");
  EXPECT_EQ(d->port.status, PortStatus::kDown);
}

TEST_F(PortTest, RequestedValuesAreKept) {
  absl::StatusOr<PortDraft> d =
      BuildPort({.mac_address = "02:00:00:00:00:07",
                 .fixed_ips = {"10.0.1.7"},
                 .security_group_ids = std::vector<std::string>{},
                 .allowed_address_pairs = {{"10.0.9.0/24", ""}, {"10.0.1.99", "02:00:00:00:00:08"}},
                 .device_id = "vm-1",
                 .device_owner = "compute"},
                subnet_);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->generate_mac);
  EXPECT_EQ(d->port.mac.ToString(), "02:00:00:00:00:07");
  EXPECT_FALSE(d->use_default_group);  // explicit empty list means no group
  EXPECT_TRUE(d->port.security_group_ids.empty());
  EXPECT_THAT(d->families_to_allocate, ElementsAre(IpFamily::kV6));
  EXPECT_EQ(d->port.allowed_address_pairs[1].prefix.ToString(), "10.0.1.99/32");
  EXPECT_EQ(d->port.device_id, "vm-1");
}

TEST_F(PortTest, PortSecurityOffMeansNoDefaultGroup) {
  absl::StatusOr<PortDraft> d = BuildPort({.port_security_enabled = false}, subnet_);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->use_default_group);
  EXPECT_FALSE(d->port.port_security_enabled);
}

TEST_F(PortTest, RefusesInvalidSpecsNamingTheField) {
  struct Case {
    PortSpec spec;
    std::string field;
    std::string reason;
  };
  const Case cases[] = {
      {{.mac_address = "zz"}, "port.mac_address", "not a MAC"},
      {{.mac_address = "01:00:5e:00:00:01"}, "port.mac_address", "unicast"},
      {{.mac_address = "00:00:00:00:00:00"}, "port.mac_address", "non-zero"},
      {{.fixed_ips = {"10.0.2.7"}}, "port.fixed_ips[0]", "outside the subnet 10.0.1.0/24"},
      {{.fixed_ips = {"10.0.1.0"}}, "port.fixed_ips[0]", "network address"},
      {{.fixed_ips = {"10.0.1.255"}}, "port.fixed_ips[0]", "broadcast address"},
      {{.fixed_ips = {"10.0.1.1"}}, "port.fixed_ips[0]", "gateway address"},
      {{.fixed_ips = {"10.0.1.5", "10.0.1.6"}}, "port.fixed_ips[1]", "at most one IPv4"},
      {{.fixed_ips = {"nope"}}, "port.fixed_ips[0]", "not an IP address"},
      {{.security_group_ids = std::vector<std::string>{"x"}},
       "port.security_group_ids[0]",
       "not a security group id"},
      {{.security_group_ids = std::vector<std::string>{kGroup, kGroup}},
       "port.security_group_ids[1]",
       "listed twice"},
      {{.security_group_ids = std::vector<std::string>(17, kGroup)},
       "port.security_group_ids",
       "at most 16"},
      {{.security_group_ids = std::vector<std::string>{kGroup}, .port_security_enabled = false},
       "port.security_group_ids",
       "port security disabled"},
      {{.port_security_enabled = false, .allowed_address_pairs = {{"10.0.1.9", ""}}},
       "port.allowed_address_pairs",
       "need port security"},
      {{.allowed_address_pairs = {{"10.0.1.9/24", ""}}},
       "port.allowed_address_pairs[0].ip_address",
       "host bits"},
      {{.allowed_address_pairs = {{"10.0.1.9", "ff:ff:ff:ff:ff:ff"}}},
       "port.allowed_address_pairs[0].mac_address",
       "unicast"},
      {{.allowed_address_pairs = std::vector<AllowedAddressPairSpec>(11, {"10.0.1.9", ""})},
       "port.allowed_address_pairs",
       "at most 10"},
      {{.device_id = std::string(256, 'x')}, "port.device_id", "at most 255"},
      {{.name = std::string(300, 'x')}, "port.name", "at most 255"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field + ": " + c.reason);
    absl::StatusOr<PortDraft> d = BuildPort(c.spec, subnet_);
    EXPECT_THAT(d, HasFieldError(kInvalid, c.field));
    EXPECT_THAT(d, StatusIs(kInvalid, HasSubstr(c.reason)));
  }
}

TEST_F(PortTest, RefusesFamilyTheSubnetLacks) {
  Vpc vpc = *BuildVpc({.cidr_blocks = {"10.0.0.0/16"}});
  Subnet v4 = *BuildSubnet({.ipv4_cidr = "10.0.1.0/24"}, vpc);
  EXPECT_THAT(BuildPort({.fixed_ips = {"fd00:1:0:1::5"}}, v4),
              StatusIs(kInvalid, HasSubstr("the subnet has no IPv6 CIDR")));
}

TEST(PortStatusTest, NamesRoundTrip) {
  for (PortStatus s :
       {PortStatus::kDown, PortStatus::kBuild, PortStatus::kActive, PortStatus::kError}) {
    EXPECT_EQ(ParsePortStatus(PortStatusName(s)), s);
  }
  EXPECT_EQ(ParsePortStatus("UP"), std::nullopt);
}

}  // namespace
}  // namespace plasmanet::model
