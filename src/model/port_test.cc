#include "model/port.h"

#include <absl/strings/str_cat.h>
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

TEST_F(PortTest, ExtraDhcpOptionsAreKeptWithCanonicalAddresses) {
  absl::StatusOr<PortDraft> d =
      BuildPort({.extra_dhcp_options = {{"bootfile_name", "pxelinux.0"},
                                        {"next_server", "10.0.1.20"},
                                        {"ntp_server", "10.0.0.1, 10.0.0.2"},
                                        {"wpad", "http://proxy/wpad.dat"}}},
                subnet_);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->port.extra_dhcp_options, (DhcpOptionMap{{"bootfile_name", "pxelinux.0"},
                                                       {"next_server", "10.0.1.20"},
                                                       {"ntp_server", "10.0.0.1,10.0.0.2"},
                                                       {"wpad", "http://proxy/wpad.dat"}}));
  EXPECT_TRUE(BuildPort({}, subnet_)->port.extra_dhcp_options.empty());

  DhcpOptionMap every;
  for (const char* name : {"bootfile_name", "bootfile_name_alt", "path_prefix", "tftp_server",
                           "wpad", "domain_search_list"}) {
    every[name] = "x";
    EXPECT_EQ(ExtraDhcpOptionType(name), DhcpOptionType::kString) << name;
  }
  for (const char* name : {"next_server", "tftp_server_address", "ntp_server"}) {
    every[name] = "10.0.0.9";
  }
  EXPECT_TRUE(BuildExtraDhcpOptions(every).ok()) << "every allowed name is accepted";
  EXPECT_EQ(ExtraDhcpOptionType("ntp_server"), DhcpOptionType::kIpv4List);
  EXPECT_EQ(ExtraDhcpOptionType("next_server"), DhcpOptionType::kIpv4);
  EXPECT_EQ(ExtraDhcpOptionType("router"), std::nullopt);
  EXPECT_TRUE(BuildExtraDhcpOptions({{"path_prefix", std::string(255, '/')}}).ok());
}

TEST_F(PortTest, RefusesExtraDhcpOptionsNamingTheOption) {
  struct Case {
    DhcpOptionMap options;
    std::string field;
    std::string reason;
  };
  DhcpOptionMap too_many;
  for (int i = 0; i < 17; ++i) too_many[absl::StrCat("option", i)] = "x";
  const Case cases[] = {
      {too_many, "port.extra_dhcp_options", "at most 16"},
      {{{"boot_file", "x"}},
       "port.extra_dhcp_options[boot_file]",
       "allowed: bootfile_name, bootfile_name_alt, domain_search_list, next_server, ntp_server, "
       "path_prefix, tftp_server, tftp_server_address, wpad"},
      {{{"", "x"}}, "port.extra_dhcp_options[]", "not an option a port may set"},
      {{{"router", "10.0.1.9"}}, "port.extra_dhcp_options[router]", "set from the subnet"},
      {{{"dns_server", "{8.8.8.8}"}}, "port.extra_dhcp_options[dns_server]", "set from the subnet"},
      {{{"server_id", "10.0.1.9"}}, "port.extra_dhcp_options[server_id]", "set from the subnet"},
      {{{"mtu", "9000"}}, "port.extra_dhcp_options[mtu]", "set from the subnet"},
      {{{"lease_time", "60"}}, "port.extra_dhcp_options[lease_time]", "set from the subnet"},
      {{{"domain_name", "\"x\""}}, "port.extra_dhcp_options[domain_name]", "set from the subnet"},
      {{{"classless_static_route", "{}"}},
       "port.extra_dhcp_options[classless_static_route]",
       "set from the subnet"},
      {{{"hostname", "vm"}}, "port.extra_dhcp_options[hostname]", "port's name"},
      {{{"next_server", "pxe.example"}},
       "port.extra_dhcp_options[next_server]",
       "'pxe.example' is not an IPv4 address"},
      {{{"next_server", "fd00::20"}},
       "port.extra_dhcp_options[next_server]",
       "not an IPv4 address"},
      {{{"next_server", "10.0.1.20,10.0.1.21"}},
       "port.extra_dhcp_options[next_server]",
       "one IPv4 address"},
      {{{"tftp_server_address", "10.0.1"}},
       "port.extra_dhcp_options[tftp_server_address]",
       "not an IPv4 address"},
      {{{"ntp_server", "10.0.0.1,,10.0.0.2"}},
       "port.extra_dhcp_options[ntp_server]",
       "separated by ','"},
      {{{"ntp_server", ""}}, "port.extra_dhcp_options[ntp_server]", "1 to 255 bytes"},
      {{{"bootfile_name", ""}}, "port.extra_dhcp_options[bootfile_name]", "1 to 255 bytes"},
      {{{"bootfile_name", std::string(256, 'x')}},
       "port.extra_dhcp_options[bootfile_name]",
       "1 to 255 bytes long, not 256"},
      {{{"bootfile_name", "pxe\"linux"}},
       "port.extra_dhcp_options[bootfile_name]",
       "printable ASCII"},
      {{{"path_prefix", "c:\\boot"}}, "port.extra_dhcp_options[path_prefix]", "printable ASCII"},
      {{{"wpad", "{x}"}}, "port.extra_dhcp_options[wpad]", "printable ASCII"},
      {{{"tftp_server", "pxe}"}}, "port.extra_dhcp_options[tftp_server]", "printable ASCII"},
      {{{"domain_search_list", "a.example\nb.example"}},
       "port.extra_dhcp_options[domain_search_list]",
       "printable ASCII"},
      {{{"bootfile_name_alt", "caf\xc3\xa9.efi"}},
       "port.extra_dhcp_options[bootfile_name_alt]",
       "printable ASCII"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field + ": " + c.reason);
    absl::StatusOr<PortDraft> d = BuildPort({.extra_dhcp_options = c.options}, subnet_);
    EXPECT_THAT(d, HasFieldError(kInvalid, c.field));
    EXPECT_THAT(d, StatusIs(kInvalid, HasSubstr(c.reason)));
    EXPECT_THAT(BuildExtraDhcpOptions(c.options), HasFieldError(kInvalid, c.field))
        << "the update path checks with the same function";
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
