#include "reconcile/compile.h"

#include <algorithm>
#include <map>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/ip_address.h"
#include "common/ip_prefix.h"

namespace plasmanet::reconcile {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

model::ObjectMeta Meta(const std::string& id, int64_t revision) {
  return {
      .id = id, .name = "web tier", .org_id = "acme", .project_id = "web", .revision = revision};
}

model::Subnet DualStackSubnet() {
  model::Subnet subnet{.meta = Meta("s-1", 12), .vpc_id = "v-1"};
  subnet.ipv4 = model::SubnetFamily{.cidr = *IpPrefix::Parse("10.0.1.0/24"),
                                    .gateway = *IpAddress::Parse("10.0.1.1")};
  subnet.ipv6 = model::SubnetFamily{.cidr = *IpPrefix::Parse("fd00:1::/64"),
                                    .gateway = *IpAddress::Parse("fd00:1::1")};
  return subnet;
}

model::Port VmPort() {
  return {.meta = Meta("p-1", 30),
          .subnet_id = "s-1",
          .vpc_id = "v-1",
          .mac = *MacAddress::Parse("fa:16:3e:00:00:05"),
          .fixed_ips = {*IpAddress::Parse("10.0.1.5"), *IpAddress::Parse("fd00:1::5")}};
}

const ovsdb::Datum& Column(const DesiredRow& row, const std::string& name) {
  static const ovsdb::Datum kMissing;
  auto it = row.columns.find(name);
  return it == row.columns.end() ? kMissing : it->second;
}

TEST(CompileTest, VpcBecomesOneRouterMarkedWithItsOwner) {
  std::vector<DesiredRow> rows = CompileVpc({.meta = Meta("v-1", 7)});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].table, NbTable::kLogicalRouter);
  EXPECT_EQ(rows[0].name, "pn-vpc-v-1");
  EXPECT_EQ(Column(rows[0], "name").AsString(), "pn-vpc-v-1");
  std::map<std::string, std::string> ids = Column(rows[0], "external_ids").AsStringMap();
  EXPECT_EQ(ids["plasmanet:owner"], "vpc/v-1");
  EXPECT_EQ(ids["plasmanet:revision"], "7");
  EXPECT_EQ(ids["plasmanet:project"], "acme/web");
  EXPECT_EQ(ids["plasmanet:name"], "web tier");
  EXPECT_FALSE(rows[0].columns.contains("ports")) << "references are maintained by mutation";
}

TEST(CompileTest, SubnetBecomesSwitchRouterPortAndPeer) {
  std::vector<DesiredRow> rows = CompileSubnet(DualStackSubnet());
  ASSERT_EQ(rows.size(), 7u) << "DNS, switch, router port, peer, DHCPv4, DHCPv6, DNS allow";
  EXPECT_EQ(rows[0].table, NbTable::kDns) << "first: the switch references it";
  EXPECT_EQ(rows[0].name, "pn-dns-s-1");
  EXPECT_EQ(Column(rows[0], "external_ids").AsStringMap().at("plasmanet:row"), "pn-dns-s-1")
      << "DNS has no name column: the index finds the row by this key";
  const DesiredRow& ls = rows[1];
  const DesiredRow& lrp = rows[2];
  const DesiredRow& peer = rows[3];

  EXPECT_EQ(ls.table, NbTable::kLogicalSwitch);
  EXPECT_EQ(ls.name, "pn-subnet-s-1");

  EXPECT_EQ(lrp.table, NbTable::kLogicalRouterPort);
  EXPECT_EQ(lrp.name, "pn-lrp-s-1");
  EXPECT_EQ(lrp.parent, "pn-vpc-v-1") << "the router port sits on the VPC's router";
  EXPECT_THAT(Column(lrp, "networks").AsStrings(),
              UnorderedElementsAre("10.0.1.1/24", "fd00:1::1/64"));
  EXPECT_EQ(Column(lrp, "mac").AsString(), GatewayMac("s-1").ToString());

  EXPECT_EQ(peer.table, NbTable::kLogicalSwitchPort);
  EXPECT_EQ(peer.parent, "pn-subnet-s-1");
  EXPECT_EQ(Column(peer, "type").AsString(), "router");
  EXPECT_THAT(Column(peer, "addresses").AsStrings(), ElementsAre("router"));
  EXPECT_EQ(Column(peer, "options").AsStringMap().at("router-port"), "pn-lrp-s-1");
  for (const DesiredRow& row : rows) {
    EXPECT_EQ(Column(row, "external_ids").AsStringMap().at("plasmanet:owner"), "subnet/s-1");
  }
}

const DesiredRow* FindRow(const std::vector<DesiredRow>& rows, NbTable table,
                          const std::string& name) {
  for (const DesiredRow& row : rows) {
    if (row.table == table && row.name == name) return &row;
  }
  return nullptr;
}

TEST(CompileTest, DhcpOptionsCarryGatewayDnsMtuAndDomain) {
  model::Subnet subnet = DualStackSubnet();
  subnet.meta.name = "Front";
  subnet.mtu = 1400;
  const model::Vpc vpc{.meta = {.id = "v-1", .name = "shop"}};
  const std::vector<DesiredRow> rows =
      CompileSubnet(subnet, {.vpc = &vpc,
                             .records = {{"vm.front.shop.internal", "10.0.1.5"}},
                             .vpc_subnet_ids = {"s-0", "s-1", "s-2"}});
  const DesiredRow* v4 = FindRow(rows, NbTable::kDhcpOptions, "pn-dhcp4-s-1");
  ASSERT_NE(v4, nullptr);
  EXPECT_EQ(Column(*v4, "cidr").AsString(), "10.0.1.0/24");
  std::map<std::string, std::string> o = Column(*v4, "options").AsStringMap();
  EXPECT_EQ(o["server_id"], "10.0.1.1");
  EXPECT_EQ(o["router"], "10.0.1.1");
  EXPECT_EQ(o["server_mac"], GatewayMac("s-1").ToString());
  EXPECT_EQ(o["lease_time"], "43200");
  EXPECT_EQ(o["mtu"], "1400");
  EXPECT_EQ(o["dns_server"], "{10.0.1.1}") << "no servers named: the gateway, where OVN answers";
  EXPECT_EQ(o["domain_name"], "\"front.shop.internal\"") << "OVN wants strings quoted";
  EXPECT_FALSE(o.contains("classless_static_route"));

  const DesiredRow* v6 = FindRow(rows, NbTable::kDhcpOptions, "pn-dhcp6-s-1");
  ASSERT_NE(v6, nullptr);
  o = Column(*v6, "options").AsStringMap();
  EXPECT_EQ(o["server_id"], GatewayMac("s-1").ToString());
  EXPECT_EQ(o["dns_server"], "{fd00:1::1}");
  EXPECT_FALSE(o.contains("dhcpv6_stateless"));

  const DesiredRow& lrp = rows[2];
  EXPECT_EQ(Column(lrp, "options").AsStringMap().at("gateway_mtu"), "1400");
  std::map<std::string, std::string> ra = Column(lrp, "ipv6_ra_configs").AsStringMap();
  EXPECT_EQ(ra["address_mode"], "dhcpv6_stateful");
  EXPECT_EQ(ra["mtu"], "1400");
  EXPECT_THAT(rows[1].refs.at("dns_records"),
              ElementsAre(RowRef{NbTable::kDns, "pn-dns-s-1"}, RowRef{NbTable::kDns, "pn-dns-s-0"},
                          RowRef{NbTable::kDns, "pn-dns-s-2"}))
      << "its own names and every sibling's: names resolve across the VPC";
  EXPECT_EQ(Column(rows[0], "records").AsStringMap().at("vm.front.shop.internal"), "10.0.1.5");
}

TEST(CompileTest, NamedServersHostRoutesAndPlatformDefaultsReachDhcp) {
  model::Subnet subnet = DualStackSubnet();
  subnet.dns_servers = {*IpAddress::Parse("10.0.1.53"), *IpAddress::Parse("fd00:1::53")};
  subnet.host_routes = {{*IpPrefix::Parse("192.168.0.0/16"), *IpAddress::Parse("10.0.1.9")}};
  const CompileOptions options{.default_dns_servers = {*IpAddress::Parse("9.9.9.9")},
                               .default_mtu = 1442,
                               .dhcp_lease_seconds = 600};
  std::vector<DesiredRow> rows = CompileSubnet(subnet, {}, options);
  std::map<std::string, std::string> o =
      Column(*FindRow(rows, NbTable::kDhcpOptions, "pn-dhcp4-s-1"), "options").AsStringMap();
  EXPECT_EQ(o["dns_server"], "{10.0.1.53}") << "the subnet's servers win over the platform's";
  EXPECT_EQ(o["lease_time"], "600");
  EXPECT_EQ(o["mtu"], "1442") << "a subnet stored without an MTU gets the platform's";
  EXPECT_EQ(o["classless_static_route"], "{192.168.0.0/16,10.0.1.9, 0.0.0.0/0,10.0.1.1}")
      << "option 121 replaces the router option, so the default route is repeated";
  EXPECT_FALSE(o.contains("domain_name")) << "no VPC known: no domain";

  subnet.dns_servers.clear();
  rows = CompileSubnet(subnet, {}, options);
  o = Column(*FindRow(rows, NbTable::kDhcpOptions, "pn-dhcp4-s-1"), "options").AsStringMap();
  EXPECT_EQ(o["dns_server"], "{9.9.9.9}");
  const DesiredRow* acl = FindRow(rows, NbTable::kAcl, "pn-dns-s-1");
  ASSERT_NE(acl, nullptr);
  EXPECT_EQ(acl->parent, std::string(kDropGroupName));
  EXPECT_EQ(Column(*acl, "match").AsString(),
            "inport == @pn_drop && (ip4.dst == {9.9.9.9} || ip6.dst == {fd00:1::1}) && "
            "(udp.dst == 53 || tcp.dst == 53)");
  EXPECT_EQ(Column(*acl, "priority").AsInteger(), kAllowPriority);
}

TEST(CompileTest, DhcpOffMeansNoOptionsAndPortsReferenceNone) {
  model::Subnet subnet = DualStackSubnet();
  DesiredRow on = CompilePort(VmPort(), {.subnet = &subnet})[0];
  EXPECT_THAT(on.refs.at("dhcpv4_options"),
              ElementsAre(RowRef{NbTable::kDhcpOptions, "pn-dhcp4-s-1"}));
  EXPECT_THAT(on.refs.at("dhcpv6_options"),
              ElementsAre(RowRef{NbTable::kDhcpOptions, "pn-dhcp6-s-1"}));

  subnet.dhcp_enabled = false;
  for (const DesiredRow& row : CompileSubnet(subnet)) {
    EXPECT_NE(row.table, NbTable::kDhcpOptions) << row.name;
  }
  DesiredRow off = CompilePort(VmPort(), {.subnet = &subnet})[0];
  EXPECT_TRUE(off.refs.at("dhcpv4_options").empty()) << "the column is cleared, not left alone";
  EXPECT_TRUE(off.refs.at("dhcpv6_options").empty());
}

TEST(CompileTest, PortWithExtraDhcpOptionsGetsItsOwnRowOfTheSubnetsOptionsPlusTheExtras) {
  model::Subnet subnet = DualStackSubnet();
  subnet.meta.name = "front";
  subnet.mtu = 1400;
  subnet.host_routes = {{*IpPrefix::Parse("192.168.0.0/16"), *IpAddress::Parse("10.0.1.9")}};
  const model::Vpc vpc{.meta = {.id = "v-1", .name = "shop"}};
  const CompileOptions options{.dns_zone = "cloud", .dhcp_lease_seconds = 600};
  model::Port port = VmPort();
  port.extra_dhcp_options = {
      {"bootfile_name", "pxelinux.0"}, {"domain_search_list", "a.example,b.example"},
      {"next_server", "10.0.1.20"},    {"ntp_server", "10.0.0.1,10.0.0.2"},
      {"tftp_server", "pxe.example"},  {"tftp_server_address", "10.0.1.21"}};
  const std::vector<DesiredRow> rows =
      CompilePort(port, {.subnet = &subnet, .vpc = &vpc, .options = &options});
  ASSERT_EQ(rows.size(), 2u) << "the port's DHCP options, then its switch port";

  const DesiredRow& dhcp = rows[0];
  EXPECT_EQ(dhcp.table, NbTable::kDhcpOptions);
  EXPECT_EQ(dhcp.name, "pn-dhcp4-port-p-1");
  EXPECT_EQ(dhcp.name, PortDhcpOptionsName("p-1"));
  EXPECT_EQ(Column(dhcp, "cidr").AsString(), "10.0.1.0/24");
  std::map<std::string, std::string> ids = Column(dhcp, "external_ids").AsStringMap();
  EXPECT_EQ(ids["plasmanet:owner"], "port/p-1") << "the port's row goes with the port";
  EXPECT_EQ(ids["plasmanet:row"], "pn-dhcp4-port-p-1");
  EXPECT_EQ(ids["plasmanet:revision"], "30");
  EXPECT_EQ(ids["plasmanet:project"], "acme/web");

  // Exactly the subnet's options (with the same platform settings and VPC), plus the extras.
  std::map<std::string, std::string> expected =
      Column(*FindRow(CompileSubnet(subnet, {.vpc = &vpc}, options), NbTable::kDhcpOptions,
                      "pn-dhcp4-s-1"),
             "options")
          .AsStringMap();
  EXPECT_EQ(expected["domain_name"], "\"front.shop.cloud\"");
  EXPECT_EQ(expected["lease_time"], "600");
  expected["bootfile_name"] = "\"pxelinux.0\"";
  expected["domain_search_list"] = "\"a.example,b.example\"";
  expected["next_server"] = "10.0.1.20";
  expected["ntp_server"] = "{10.0.0.1, 10.0.0.2}";
  expected["tftp_server"] = "\"pxe.example\"";
  expected["tftp_server_address"] = "10.0.1.21";
  EXPECT_EQ(Column(dhcp, "options").AsStringMap(), expected);

  const DesiredRow& lsp = rows[1];
  EXPECT_EQ(lsp.table, NbTable::kLogicalSwitchPort);
  EXPECT_THAT(lsp.refs.at("dhcpv4_options"),
              ElementsAre(RowRef{NbTable::kDhcpOptions, "pn-dhcp4-port-p-1"}))
      << "the port's own row instead of the subnet's";
  EXPECT_THAT(lsp.refs.at("dhcpv6_options"),
              ElementsAre(RowRef{NbTable::kDhcpOptions, "pn-dhcp6-s-1"}))
      << "the extras are DHCPv4 options: DHCPv6 stays the subnet's";

  // Without the extras, back to the subnet's row, and the port's row is no longer wanted.
  port.extra_dhcp_options.clear();
  const std::vector<DesiredRow> plain =
      CompilePort(port, {.subnet = &subnet, .vpc = &vpc, .options = &options});
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_THAT(plain[0].refs.at("dhcpv4_options"),
              ElementsAre(RowRef{NbTable::kDhcpOptions, "pn-dhcp4-s-1"}));
}

TEST(CompileTest, APortsOwnDhcpRowTakesPlatformDefaultsAndExistsOnlyWithDhcpv4) {
  model::Port port = VmPort();
  port.extra_dhcp_options = {{"ntp_server", "10.0.0.1"}, {"wpad", "http://proxy/wpad.dat"}};
  model::Subnet subnet = DualStackSubnet();
  // No options given: the platform defaults, and no VPC: no domain.
  std::vector<DesiredRow> rows = CompilePort(port, {.subnet = &subnet});
  ASSERT_EQ(rows.size(), 2u);
  std::map<std::string, std::string> o = Column(rows[0], "options").AsStringMap();
  EXPECT_EQ(o["lease_time"], "43200");
  EXPECT_EQ(o["ntp_server"], "10.0.0.1") << "one address is written bare";
  EXPECT_EQ(o["wpad"], "\"http://proxy/wpad.dat\"");
  EXPECT_FALSE(o.contains("domain_name"));

  subnet.dhcp_enabled = false;
  rows = CompilePort(port, {.subnet = &subnet});
  ASSERT_EQ(rows.size(), 1u) << "DHCP off: no row of the port's either";
  EXPECT_TRUE(rows[0].refs.at("dhcpv4_options").empty());

  subnet.dhcp_enabled = true;
  port.fixed_ips = {*IpAddress::Parse("fd00:1::5")};
  rows = CompilePort(port, {.subnet = &subnet});
  ASSERT_EQ(rows.size(), 1u) << "no IPv4 address: no DHCPv4";
  EXPECT_TRUE(rows[0].refs.at("dhcpv4_options").empty());

  model::Port early = VmPort();
  early.extra_dhcp_options = {{"wpad", "http://proxy/wpad.dat"}};
  rows = CompilePort(early);
  ASSERT_EQ(rows.size(), 1u) << "subnet not known yet";
  EXPECT_TRUE(rows[0].refs.at("dhcpv4_options").empty());
}

TEST(CompileTest, SlaacSubnetAdvertisesThePrefixAndHasNoDhcpv6Server) {
  model::Subnet subnet = DualStackSubnet();
  subnet.ipv6_address_mode = model::Ipv6AddressMode::kSlaac;
  std::vector<DesiredRow> rows = CompileSubnet(subnet);
  EXPECT_EQ(FindRow(rows, NbTable::kDhcpOptions, "pn-dhcp6-s-1"), nullptr);
  std::map<std::string, std::string> ra = Column(rows[2], "ipv6_ra_configs").AsStringMap();
  EXPECT_EQ(ra["address_mode"], "slaac");
  EXPECT_EQ(ra["rdnss"], "fd00:1::1");
  EXPECT_TRUE(CompilePort(VmPort(), {.subnet = &subnet})[0].refs.at("dhcpv6_options").empty());

  subnet.ipv6_address_mode = model::Ipv6AddressMode::kDhcpv6Stateless;
  rows = CompileSubnet(subnet);
  const DesiredRow* v6 = FindRow(rows, NbTable::kDhcpOptions, "pn-dhcp6-s-1");
  ASSERT_NE(v6, nullptr);
  EXPECT_EQ(Column(*v6, "options").AsStringMap().at("dhcpv6_stateless"), "true");
  EXPECT_EQ(Column(rows[2], "ipv6_ra_configs").AsStringMap().at("address_mode"),
            "dhcpv6_stateless");
}

TEST(CompileTest, PortNamesBecomeForwardAndReverseRecords) {
  model::Subnet subnet = DualStackSubnet();
  subnet.meta.name = "front";
  const model::Vpc vpc{.meta = {.id = "v-1", .name = "Shop"}};
  model::Port port = VmPort();
  port.meta.name = "Web-1";
  const std::string fqdn = PortFqdn(port, subnet, vpc, "internal");
  EXPECT_EQ(fqdn, "web-1.front.shop.internal");
  DnsRecords records;
  AddDnsRecords(port, fqdn, records);
  EXPECT_EQ(records["web-1.front.shop.internal"], "10.0.1.5 fd00:1::5");
  EXPECT_EQ(records["5.1.0.10.in-addr.arpa"], "web-1.front.shop.internal");
  EXPECT_EQ(records["5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.0.0.d.f.ip6.arpa"],
            "web-1.front.shop.internal");
  EXPECT_EQ(CompilePort(port)[0].columns.at("options").AsStringMap().at("hostname"), "\"web-1\"")
      << "ovn-northd puts it into the DHCP action as it is: a string must be quoted";

  // A second port of the same name adds its address to the name.
  model::Port twin = VmPort();
  twin.meta.name = "web-1";
  twin.fixed_ips = {*IpAddress::Parse("10.0.1.6")};
  AddDnsRecords(twin, PortFqdn(twin, subnet, vpc, "internal"), records);
  EXPECT_EQ(records["web-1.front.shop.internal"], "10.0.1.5 10.0.1.6 fd00:1::5");

  // Names that are not DNS labels get no records and no host name.
  const std::vector<std::string> bad = {"web tier", "-x", "", "a.b", std::string(64, 'a')};
  for (const std::string& name : bad) {
    port.meta.name = name;
    EXPECT_EQ(PortFqdn(port, subnet, vpc, "internal"), "") << name;
    EXPECT_FALSE(CompilePort(port)[0].columns.at("options").AsStringMap().contains("hostname"))
        << name;
  }
}

TEST(CompileTest, Ipv4OnlySubnetRoutesOneNetwork) {
  model::Subnet subnet = DualStackSubnet();
  subnet.ipv6.reset();
  std::vector<DesiredRow> rows = CompileSubnet(subnet);
  EXPECT_THAT(Column(rows[2], "networks").AsStrings(), ElementsAre("10.0.1.1/24"));
}

TEST(CompileTest, GatewayMacIsStableLocallyAdministeredUnicastAndPerSubnet) {
  const MacAddress mac = GatewayMac("s-1");
  EXPECT_EQ(mac, GatewayMac("s-1")) << "a rebuilt NB must get the same MAC";
  EXPECT_NE(mac, GatewayMac("s-2"));
  EXPECT_TRUE(mac.is_locally_administered());
  EXPECT_FALSE(mac.is_multicast());
}

TEST(CompileTest, PortWithPortSecurityAllowsItsOwnAddressesAndItsPairs) {
  model::Port port = VmPort();
  port.allowed_address_pairs = {
      {.prefix = *IpPrefix::Parse("10.0.1.100/32")},
      {.prefix = *IpPrefix::Parse("10.9.0.0/16"), .mac = *MacAddress::Parse("fa:16:3e:aa:bb:cc")}};
  std::vector<DesiredRow> rows = CompilePort(port);
  ASSERT_EQ(rows.size(), 1u);
  const DesiredRow& lsp = rows[0];
  EXPECT_EQ(lsp.table, NbTable::kLogicalSwitchPort);
  EXPECT_EQ(lsp.name, "p-1") << "the LSP name is the iface-id the hypervisor sets";
  EXPECT_EQ(lsp.parent, "pn-subnet-s-1");
  EXPECT_EQ(Column(lsp, "type").AsString(), "");
  EXPECT_THAT(Column(lsp, "addresses").AsStrings(),
              ElementsAre("fa:16:3e:00:00:05 10.0.1.5 fd00:1::5"));
  EXPECT_THAT(
      Column(lsp, "port_security").AsStrings(),
      UnorderedElementsAre("fa:16:3e:00:00:05 10.0.1.5 fd00:1::5",
                           "fa:16:3e:00:00:05 10.0.1.100/32", "fa:16:3e:aa:bb:cc 10.9.0.0/16"));
  EXPECT_EQ(Column(lsp, "external_ids").AsStringMap().at("plasmanet:owner"), "port/p-1");
}

TEST(CompileTest, PortWithoutPortSecurityAcceptsUnknownAddresses) {
  model::Port port = VmPort();
  port.port_security_enabled = false;
  std::vector<DesiredRow> rows = CompilePort(port);
  EXPECT_THAT(Column(rows[0], "addresses").AsStrings(),
              UnorderedElementsAre("fa:16:3e:00:00:05 10.0.1.5 fd00:1::5", "unknown"));
  EXPECT_TRUE(Column(rows[0], "port_security").empty());
}

TEST(CompileTest, StatusAndRevisionDoNotChangeAnythingButTheRevisionMark) {
  model::Port before = VmPort();
  model::Port after = before;
  after.status = model::PortStatus::kActive;
  after.meta.revision = 31;
  DesiredRow a = CompilePort(before)[0];
  DesiredRow b = CompilePort(after)[0];
  std::map<std::string, std::string> ids_a = Column(a, "external_ids").AsStringMap();
  std::map<std::string, std::string> ids_b = Column(b, "external_ids").AsStringMap();
  EXPECT_EQ(ids_b["plasmanet:revision"], "31");
  ids_a.erase("plasmanet:revision");
  ids_b.erase("plasmanet:revision");
  EXPECT_EQ(ids_a, ids_b);
  a.columns.erase("external_ids");
  b.columns.erase("external_ids");
  EXPECT_EQ(a.columns, b.columns);
}

TEST(CompileTest, NamesAreIdentifiersOvnAccepts) {
  for (const std::string& name :
       {RouterName("0b8e4a36-5d3c-4f7e-9a51-1c2d3e4f5a6b"), SwitchName("0b8e4a36-5d3c"),
        RouterPortName("0b8e4a36"), SwitchRouterPortName("0b8e4a36")}) {
    for (char c : name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << name;
    }
  }
}

TEST(CompileTest, OwnerRefRoundTripsAndRejectsJunk) {
  for (const OwnerRef& owner :
       {OwnerRef{OwnerRef::Kind::kVpc, "a"}, OwnerRef{OwnerRef::Kind::kSubnet, "b-1"},
        OwnerRef{OwnerRef::Kind::kPort, "c/d"}}) {
    EXPECT_EQ(OwnerRef::Parse(owner.ToString()), owner);
  }
  EXPECT_FALSE(OwnerRef::Parse("router/x").has_value());
  EXPECT_FALSE(OwnerRef::Parse("port/").has_value());
  EXPECT_FALSE(OwnerRef::Parse("port").has_value());
}

}  // namespace
}  // namespace plasmanet::reconcile

namespace plasmanet::reconcile {
namespace {

model::SecurityGroupRule Rule(const model::SecurityGroupRuleSpec& spec) {
  absl::StatusOr<model::SecurityGroupRule> rule = model::BuildSecurityGroupRule(spec);
  EXPECT_TRUE(rule.ok()) << rule.status();
  return rule.value_or(model::SecurityGroupRule{});
}

TEST(CompileTest, RulesBecomeMatchesOnTheGroupsPortsAndTheRemoteEnd) {
  const std::string pg = PortGroupName("g-1");
  struct Case {
    model::SecurityGroupRuleSpec spec;
    std::string match;
  };
  const std::vector<Case> cases = {
      {{.direction = "ingress",
        .ethertype = "IPv4",
        .protocol = "tcp",
        .port_range_min = 80,
        .port_range_max = 80,
        .remote_ip_prefix = "0.0.0.0/0"},
       "outport == @pn_sg_g_1 && ip4 && tcp && tcp.dst == 80"},
      {{.direction = "ingress",
        .ethertype = "IPv4",
        .protocol = "udp",
        .port_range_min = 5000,
        .port_range_max = 5100,
        .remote_ip_prefix = "10.0.0.0/8"},
       "outport == @pn_sg_g_1 && ip4 && ip4.src == 10.0.0.0/8 && udp && udp.dst >= 5000 && "
       "udp.dst <= 5100"},
      {{.direction = "egress", .ethertype = "IPv6", .protocol = "any"},
       "inport == @pn_sg_g_1 && ip6"},
      {{.direction = "egress",
        .ethertype = "IPv4",
        .protocol = "tcp",
        .remote_ip_prefix = "192.168.0.0/16"},
       "inport == @pn_sg_g_1 && ip4 && ip4.dst == 192.168.0.0/16 && tcp"},
      {{.direction = "ingress",
        .ethertype = "IPv4",
        .protocol = "tcp",
        .port_range_min = 5432,
        .port_range_max = 5432,
        .remote_group_id = "0b5c6d7e-0000-4000-8000-000000000001"},
       "outport == @pn_sg_g_1 && ip4 && ip4.src == $pn_sg_0b5c6d7e_0000_4000_8000_000000000001_ip4"
       " && tcp && tcp.dst == 5432"},
      {{.direction = "ingress",
        .ethertype = "IPv4",
        .protocol = "icmp",
        .icmp_type = 8,
        .icmp_code = 0},
       "outport == @pn_sg_g_1 && ip4 && icmp4 && icmp4.type == 8 && icmp4.code == 0"},
      {{.direction = "ingress", .ethertype = "IPv6", .protocol = "icmpv6"},
       "outport == @pn_sg_g_1 && ip6 && icmp6"},
      {{.direction = "egress", .ethertype = "IPv4", .protocol = "47"},
       "inport == @pn_sg_g_1 && ip4 && ip.proto == 47"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(AclMatch(Rule(c.spec), pg), c.match);
  }
}

TEST(CompileTest, GroupBecomesAPortGroupWithOneAllowRelatedAclPerRule) {
  model::SecurityGroup group{.meta = Meta("g-1", 40)};
  group.rules.push_back(Rule({.direction = "ingress",
                              .ethertype = "IPv4",
                              .protocol = "tcp",
                              .port_range_min = 22,
                              .port_range_max = 22}));
  group.rules.back().id = "r-1";
  group.rules.push_back(Rule({.direction = "egress", .ethertype = "IPv4"}));
  group.rules.back().id = "r-2";
  const std::vector<DesiredRow> rows = CompileSecurityGroup(group);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].table, NbTable::kPortGroup);
  EXPECT_EQ(rows[0].name, "pn_sg_g_1");
  EXPECT_EQ(Column(rows[0], "external_ids").Lookup(kOwnerKey)->c_str(), std::string("sg/g-1"));
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].table, NbTable::kAcl);
    EXPECT_EQ(rows[i].parent, "pn_sg_g_1");
    EXPECT_EQ(Column(rows[i], "action").AsString(), "allow-related");
    EXPECT_EQ(Column(rows[i], "priority").AsInteger(), kAllowPriority);
  }
  EXPECT_EQ(rows[1].name, "pn-r-1");
  EXPECT_EQ(Column(rows[1], "direction").AsString(), "to-lport");
  EXPECT_EQ(Column(rows[2], "direction").AsString(), "from-lport");
  // The names are valid where OVN needs them: @pn_sg_g_1 in a match, ACL names up to 63 bytes.
  EXPECT_EQ(PortGroupName("7f3e0c1a-0000-4000-8000-000000000001"),
            "pn_sg_7f3e0c1a_0000_4000_8000_000000000001");
}

TEST(CompileTest, DefaultDenyDropsAllIpBelowEveryAllowButLetsDhcpThrough) {
  const std::vector<DesiredRow> rows = CompileDefaultDeny();
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].name, kDropGroupName);
  int drops = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].table != NbTable::kAcl) continue;  // the logging meter and its band
    const std::string action = Column(rows[i], "action").AsString();
    if (action == "drop") {
      ++drops;
      EXPECT_EQ(Column(rows[i], "priority").AsInteger(), kDropPriority);
      EXPECT_LT(kDropPriority, kAllowPriority);
    } else {
      EXPECT_EQ(Column(rows[i], "priority").AsInteger(), kAllowPriority) << rows[i].name;
    }
  }
  EXPECT_EQ(drops, 2);  // one per direction
}

TEST(CompileTest, APortJoinsTheDropGroupAndItsGroupsOnlyWithPortSecurity) {
  model::Port port = VmPort();
  port.security_group_ids = {"g-1", "g-2"};
  EXPECT_THAT(CompilePort(port)[0].groups,
              ElementsAre(std::string(kDropGroupName), "pn_sg_g_1", "pn_sg_g_2"));
  port.security_group_ids.clear();
  EXPECT_THAT(CompilePort(port)[0].groups, ElementsAre(std::string(kDropGroupName)))
      << "a port in no group is default deny";
  port.port_security_enabled = false;
  EXPECT_TRUE(CompilePort(port)[0].groups.empty()) << "port security off filters nothing";
}

}  // namespace
}  // namespace plasmanet::reconcile

namespace plasmanet::reconcile {
namespace {

TEST(CompileTest, LoggingLogsEveryRuleAndTheMembersDropsThroughTheMeterAndOffClearsIt) {
  model::SecurityGroup group{.meta = Meta("g-1", 41), .log = true};
  absl::StatusOr<model::SecurityGroupRule> rule =
      model::BuildSecurityGroupRule({.direction = "egress", .ethertype = "IPv4"});
  ASSERT_TRUE(rule.ok());
  group.rules.push_back(*rule);
  group.rules.back().id = "r-1";
  std::vector<DesiredRow> rows = CompileSecurityGroup(group);
  ASSERT_EQ(rows.size(), 4u);  // the port group, the rule, two logged drops
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_TRUE(Column(rows[i], "log").AsBool()) << rows[i].name;
    EXPECT_EQ(Column(rows[i], "meter").AsString(), kAclLogMeter);
    EXPECT_EQ(Column(rows[i], "severity").AsString(), "info");
  }
  EXPECT_EQ(Column(rows[2], "action").AsString(), "drop");
  EXPECT_EQ(Column(rows[2], "priority").AsInteger(), kLoggedDropPriority);
  EXPECT_GT(kLoggedDropPriority, kDropPriority);
  EXPECT_LT(kLoggedDropPriority, kAllowPriority) << "a logged drop must not beat an allow";

  group.log = false;
  rows = CompileSecurityGroup(group);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(Column(rows[1], "log").AsBool());
  EXPECT_TRUE(Column(rows[1], "meter").empty());
  EXPECT_TRUE(Column(rows[1], "severity").empty());
}

TEST(CompileTest, TheLogMeterIsRateLimitedAndItsBandIsNamedInExternalIds) {
  const std::vector<DesiredRow> rows = CompileDefaultDeny();
  auto meter = std::find_if(rows.begin(), rows.end(),
                            [](const DesiredRow& r) { return r.table == NbTable::kMeter; });
  auto band = std::find_if(rows.begin(), rows.end(),
                           [](const DesiredRow& r) { return r.table == NbTable::kMeterBand; });
  ASSERT_NE(meter, rows.end());
  ASSERT_NE(band, rows.end());
  EXPECT_EQ(meter->name, kAclLogMeter);
  EXPECT_EQ(Column(*meter, "unit").AsString(), "pktps");
  EXPECT_EQ(band->parent, kAclLogMeter);
  EXPECT_EQ(Column(*band, "rate").AsInteger(), kAclLogRate);
  EXPECT_EQ(*Column(*band, "external_ids").Lookup(kRowNameKey), band->name);
  EXPECT_EQ(band->columns.count("name"), 0u) << "Meter_Band has no name column";
}

}  // namespace
}  // namespace plasmanet::reconcile

namespace plasmanet::reconcile {
namespace {

model::ExternalNetwork PublicNetwork() {
  return {.meta = Meta("n-1", 3),
          .cidr = *IpPrefix::Parse("203.0.113.0/24"),
          .gateway_ip = *IpAddress::Parse("203.0.113.1"),
          .physical_network = "physnet1"};
}

// VPC v-1 (10.0.0.0/16 and fd00::/48) with a route through an appliance and a gateway on
// n-1 at 203.0.113.10.
model::Vpc GatewayVpc(bool snat = true) {
  model::Vpc vpc{.meta = Meta("v-1", 7)};
  vpc.cidr_blocks = {*IpPrefix::Parse("10.0.0.0/16"), *IpPrefix::Parse("fd00::/48")};
  vpc.static_routes = {{*IpPrefix::Parse("192.168.0.0/16"), *IpAddress::Parse("10.0.1.5")}};
  vpc.gateway = model::VpcGateway{.external_network_id = "n-1",
                                  .external_ip = *IpAddress::Parse("203.0.113.10"),
                                  .snat_enabled = snat};
  return vpc;
}

std::string RowName(const DesiredRow& row) {
  return Column(row, "external_ids").AsStringMap()["plasmanet:row"];
}

std::vector<std::string> Shape(const std::vector<DesiredRow>& rows) {
  std::vector<std::string> shape;
  for (const DesiredRow& row : rows) {
    shape.push_back(absl::StrCat(NbTableName(row.table), " ", row.name));
  }
  return shape;
}

TEST(CompileTest, ExternalNetworkBecomesASwitchWithALocalnetPort) {
  const std::vector<DesiredRow> rows = CompileExternalNetwork(PublicNetwork());
  ASSERT_EQ(rows.size(), 2u);
  const DesiredRow& ls = rows[0];
  EXPECT_EQ(ls.table, NbTable::kLogicalSwitch);
  EXPECT_EQ(ls.name, ExternalSwitchName("n-1"));
  EXPECT_EQ(ls.name, "pn-ext-n-1");
  EXPECT_EQ(Column(ls, "name").AsString(), "pn-ext-n-1");
  const DesiredRow& localnet = rows[1];
  EXPECT_EQ(localnet.table, NbTable::kLogicalSwitchPort);
  EXPECT_EQ(localnet.name, "pn-ext-n-1-localnet");
  EXPECT_EQ(localnet.parent, "pn-ext-n-1");
  EXPECT_EQ(Column(localnet, "type").AsString(), "localnet");
  EXPECT_THAT(Column(localnet, "addresses").AsStrings(), ElementsAre("unknown"));
  EXPECT_EQ(Column(localnet, "options").AsStringMap(),
            (std::map<std::string, std::string>{{"network_name", "physnet1"}}));
  EXPECT_TRUE(localnet.groups.empty()) << "no port security, no drop group";
  for (const DesiredRow& row : rows) {
    EXPECT_EQ(Column(row, "external_ids").AsStringMap().at("plasmanet:owner"), "extnet/n-1");
  }
}

TEST(CompileTest, VpcGatewayIsAnHaGroupAGatewayPortADefaultRouteSnatAndAPeer) {
  const model::ExternalNetwork network = PublicNetwork();
  const std::vector<DesiredRow> rows =
      CompileVpc(GatewayVpc(), {.network = &network, .gateway_chassis = {"ch-a", "ch-b"}});
  // The group before the port referencing it; the switch port is on the external switch.
  ASSERT_THAT(Shape(rows),
              ElementsAre("Logical_Router pn-vpc-v-1",
                          "Logical_Router_Static_Route pn-route-v-1-192.168.0.0/16",
                          "HA_Chassis_Group pn-ha-v-1", "HA_Chassis pn-ha-v-1-ch-a",
                          "HA_Chassis pn-ha-v-1-ch-b", "Logical_Router_Port pn-lrp-gw-v-1",
                          "Logical_Router_Static_Route pn-route-v-1-default", "NAT pn-snat-v-1",
                          "Logical_Switch_Port pn-gw-v-1-n-1"));

  const DesiredRow& route = rows[1];
  EXPECT_EQ(route.parent, "pn-vpc-v-1");
  EXPECT_EQ(Column(route, "ip_prefix").AsString(), "192.168.0.0/16");
  EXPECT_EQ(Column(route, "nexthop").AsString(), "10.0.1.5");
  EXPECT_EQ(RowName(route), route.name) << "no name column: the index finds it by this key";

  const DesiredRow& group = rows[2];
  EXPECT_EQ(group.name, HaChassisGroupName("v-1"));
  EXPECT_TRUE(group.parent.empty()) << "HA_Chassis_Group is a root table";
  EXPECT_EQ(Column(group, "name").AsString(), "pn-ha-v-1");
  for (int i : {3, 4}) {
    EXPECT_EQ(rows[i].parent, "pn-ha-v-1");
    EXPECT_EQ(RowName(rows[i]), rows[i].name);
  }
  EXPECT_EQ(Column(rows[3], "chassis_name").AsString(), "ch-a");
  EXPECT_EQ(Column(rows[3], "priority").AsInteger(), 2) << "the context's first is active";
  EXPECT_EQ(Column(rows[4], "chassis_name").AsString(), "ch-b");
  EXPECT_EQ(Column(rows[4], "priority").AsInteger(), 1);

  const DesiredRow& lrp = rows[5];
  EXPECT_EQ(lrp.name, GatewayRouterPortName("v-1"));
  EXPECT_EQ(lrp.parent, "pn-vpc-v-1");
  EXPECT_THAT(Column(lrp, "networks").AsStrings(), ElementsAre("203.0.113.10/24"));
  EXPECT_EQ(Column(lrp, "mac").AsString(), GatewayPortMac("v-1").ToString());
  EXPECT_THAT(lrp.refs.at("ha_chassis_group"),
              ElementsAre(RowRef{NbTable::kHaChassisGroup, "pn-ha-v-1"}));

  const DesiredRow& fallback = rows[6];
  EXPECT_EQ(fallback.parent, "pn-vpc-v-1");
  EXPECT_EQ(Column(fallback, "ip_prefix").AsString(), "0.0.0.0/0");
  EXPECT_EQ(Column(fallback, "nexthop").AsString(), "203.0.113.1") << "the network's gateway";

  const DesiredRow& snat = rows[7];
  EXPECT_EQ(snat.parent, "pn-vpc-v-1");
  EXPECT_EQ(Column(snat, "type").AsString(), "snat");
  EXPECT_EQ(Column(snat, "external_ip").AsString(), "203.0.113.10");
  EXPECT_EQ(Column(snat, "logical_ip").AsString(), "10.0.0.0/16") << "the VPC's IPv4 block";
  EXPECT_EQ(RowName(snat), "pn-snat-v-1");

  const DesiredRow& peer = rows[8];
  EXPECT_EQ(peer.parent, ExternalSwitchName("n-1"));
  EXPECT_EQ(Column(peer, "type").AsString(), "router");
  EXPECT_THAT(Column(peer, "addresses").AsStrings(), ElementsAre("router"));
  EXPECT_EQ(Column(peer, "options").AsStringMap(),
            (std::map<std::string, std::string>{{"router-port", "pn-lrp-gw-v-1"},
                                                {"nat-addresses", "router"}}));
  for (const DesiredRow& row : rows) {
    EXPECT_EQ(Column(row, "external_ids").AsStringMap().at("plasmanet:owner"), "vpc/v-1")
        << row.name;
  }
}

TEST(CompileTest, GatewayWithoutSnatHasNoNatRow) {
  const model::ExternalNetwork network = PublicNetwork();
  const std::vector<DesiredRow> rows =
      CompileVpc(GatewayVpc(/*snat=*/false), {.network = &network, .gateway_chassis = {"ch-a"}});
  for (const DesiredRow& row : rows) EXPECT_NE(row.table, NbTable::kNat) << row.name;
  EXPECT_NE(FindRow(rows, NbTable::kLogicalRouterPort, "pn-lrp-gw-v-1"), nullptr)
      << "the gateway port stays: floating IPs still go through it";
  EXPECT_NE(FindRow(rows, NbTable::kStaticRoute, "pn-route-v-1-default"), nullptr);
}

TEST(CompileTest, GatewayWithoutChassisHasNoHaRowsAndAnEmptyGroupReference) {
  const model::ExternalNetwork network = PublicNetwork();
  const std::vector<DesiredRow> rows = CompileVpc(GatewayVpc(), {.network = &network});
  for (const DesiredRow& row : rows) {
    EXPECT_NE(row.table, NbTable::kHaChassisGroup) << row.name;
    EXPECT_NE(row.table, NbTable::kHaChassis) << row.name;
  }
  const DesiredRow* lrp = FindRow(rows, NbTable::kLogicalRouterPort, "pn-lrp-gw-v-1");
  ASSERT_NE(lrp, nullptr);
  ASSERT_TRUE(lrp->refs.contains("ha_chassis_group")) << "an empty list clears the column";
  EXPECT_TRUE(lrp->refs.at("ha_chassis_group").empty());
}

TEST(CompileTest, GatewayOnAnUnknownNetworkCompilesOnlyTheRouterAndItsRoutes) {
  const std::vector<DesiredRow> rows = CompileVpc(GatewayVpc(), {.gateway_chassis = {"ch-a"}});
  EXPECT_THAT(Shape(rows), ElementsAre("Logical_Router pn-vpc-v-1",
                                       "Logical_Router_Static_Route pn-route-v-1-192.168.0.0/16"));
}

TEST(CompileTest, Ipv6OnlyVpcGatewayHasNoSnat) {
  const model::ExternalNetwork network = PublicNetwork();
  model::Vpc vpc = GatewayVpc();
  vpc.cidr_blocks = {*IpPrefix::Parse("fd00::/48")};
  vpc.static_routes.clear();
  const std::vector<DesiredRow> rows = CompileVpc(vpc, {.network = &network});
  for (const DesiredRow& row : rows) EXPECT_NE(row.table, NbTable::kNat) << row.name;
}

TEST(CompileTest, FloatingIpIsADistributedNatOnlyWhileAssociated) {
  model::FloatingIp fip{.meta = Meta("f-1", 40),
                        .external_network_id = "n-1",
                        .address = *IpAddress::Parse("203.0.113.50")};
  EXPECT_TRUE(CompileFloatingIp(fip).empty());

  fip.port_id = "p-1";
  fip.fixed_ip = *IpAddress::Parse("10.0.1.5");
  fip.vpc_id = "v-1";
  const std::vector<DesiredRow> rows = CompileFloatingIp(fip);
  ASSERT_EQ(rows.size(), 1u);
  const DesiredRow& nat = rows[0];
  EXPECT_EQ(nat.table, NbTable::kNat);
  EXPECT_EQ(nat.name, "pn-fip-f-1");
  EXPECT_EQ(RowName(nat), "pn-fip-f-1");
  EXPECT_EQ(nat.parent, RouterName("v-1")) << "the router of the port's VPC";
  EXPECT_EQ(Column(nat, "type").AsString(), "dnat_and_snat");
  EXPECT_EQ(Column(nat, "external_ip").AsString(), "203.0.113.50");
  EXPECT_EQ(Column(nat, "logical_ip").AsString(), "10.0.1.5");
  EXPECT_EQ(Column(nat, "logical_port").AsString(), "p-1");
  EXPECT_EQ(Column(nat, "external_mac").AsString(), FloatingIpMac("f-1").ToString());
  EXPECT_EQ(Column(nat, "external_ids").AsStringMap().at("plasmanet:owner"), "fip/f-1");
}

TEST(CompileTest, GatewayAndFloatingIpMacsAreStableLocalUnicastAndDistinct) {
  for (const MacAddress& mac : {GatewayPortMac("v-1"), FloatingIpMac("f-1")}) {
    const uint64_t first_octet = mac.value() >> 40;
    EXPECT_EQ(first_octet & 0x02, 0x02u) << mac.ToString() << ": locally administered";
    EXPECT_EQ(first_octet & 0x01, 0x00u) << mac.ToString() << ": unicast";
  }
  EXPECT_EQ(GatewayPortMac("v-1"), GatewayPortMac("v-1"));
  EXPECT_NE(GatewayPortMac("v-1"), GatewayPortMac("v-2"));
  EXPECT_EQ(FloatingIpMac("f-1"), FloatingIpMac("f-1"));
  EXPECT_NE(FloatingIpMac("f-1"), FloatingIpMac("f-2"));
  // One id, three roles: never the same MAC twice on a segment.
  EXPECT_NE(GatewayPortMac("x"), FloatingIpMac("x"));
  EXPECT_NE(GatewayPortMac("x"), GatewayMac("x"));
  EXPECT_NE(FloatingIpMac("x"), GatewayMac("x"));
}

TEST(CompileTest, GatewayChassisAreARotationOfTheSortedCandidatesByVpc) {
  const std::vector<std::string> sorted = {"ch-a", "ch-b", "ch-c"};
  for (const std::string vpc : {"v-1", "v-2", "v-3", "v-4"}) {
    const std::vector<std::string> chosen = GatewayChassisFor(vpc, {"ch-c", "ch-a", "ch-b"});
    ASSERT_EQ(chosen.size(), 3u);
    const auto first = std::find(sorted.begin(), sorted.end(), chosen[0]);
    ASSERT_NE(first, sorted.end()) << chosen[0];
    std::vector<std::string> rotation = sorted;
    std::rotate(rotation.begin(), rotation.begin() + (first - sorted.begin()), rotation.end());
    EXPECT_EQ(chosen, rotation) << vpc;
    // Deterministic, and the candidates' order does not matter.
    EXPECT_EQ(GatewayChassisFor(vpc, {"ch-b", "ch-c", "ch-a"}), chosen) << vpc;
  }
  EXPECT_TRUE(GatewayChassisFor("v-1", {}).empty());
  EXPECT_THAT(GatewayChassisFor("v-1", {"only"}), ElementsAre("only"));
}

TEST(CompileTest, GatewayChassisSpreadVpcsAcrossTheChassis) {
  std::map<std::string, int> active;
  for (int i = 0; i < 50; ++i) {
    ++active[GatewayChassisFor(absl::StrCat("vpc-", i), {"ch-a", "ch-b"})[0]];
  }
  EXPECT_GT(active["ch-a"], 0);
  EXPECT_GT(active["ch-b"], 0);
  EXPECT_EQ(active["ch-a"] + active["ch-b"], 50);
}

TEST(CompileTest, ExternalNetworkAndFloatingIpOwnersRoundTripAndSortAroundTheVpc) {
  for (const OwnerRef& owner : {OwnerRef{OwnerRef::Kind::kExternalNetwork, "n-1"},
                                OwnerRef{OwnerRef::Kind::kFloatingIp, "f-1"}}) {
    EXPECT_EQ(OwnerRef::Parse(owner.ToString()), owner);
  }
  EXPECT_EQ((OwnerRef{OwnerRef::Kind::kExternalNetwork, "n-1"}).ToString(), "extnet/n-1");
  EXPECT_EQ((OwnerRef{OwnerRef::Kind::kFloatingIp, "f-1"}).ToString(), "fip/f-1");
  EXPECT_EQ(OwnerRef::Parse("extnet/n-1"), (OwnerRef{OwnerRef::Kind::kExternalNetwork, "n-1"}));
  EXPECT_EQ(OwnerRef::Parse("fip/f-1"), (OwnerRef{OwnerRef::Kind::kFloatingIp, "f-1"}));
  EXPECT_FALSE(OwnerRef::Parse("extnet/").has_value());
  EXPECT_FALSE(OwnerRef::Parse("fip").has_value());
  // The external switch before the VPC's peer port on it; the router before its NATs.
  EXPECT_LT((OwnerRef{OwnerRef::Kind::kExternalNetwork, "z"}),
            (OwnerRef{OwnerRef::Kind::kVpc, "a"}));
  EXPECT_LT((OwnerRef{OwnerRef::Kind::kVpc, "z"}), (OwnerRef{OwnerRef::Kind::kFloatingIp, "a"}));
  EXPECT_LT((OwnerRef{OwnerRef::Kind::kPort, "z"}), (OwnerRef{OwnerRef::Kind::kFloatingIp, "a"}));
}

TEST(CompileTest, GatewayNamesAreIdentifiersOvnAccepts) {
  for (const std::string& name :
       {ExternalSwitchName("0b8e4a36-5d3c"), GatewayRouterPortName("0b8e4a36-5d3c"),
        HaChassisGroupName("0b8e4a36-5d3c")}) {
    for (char c : name) {
      EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') << name;
    }
  }
}

}  // namespace
}  // namespace plasmanet::reconcile
