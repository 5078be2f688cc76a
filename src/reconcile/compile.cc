#include "reconcile/compile.h"

#include <algorithm>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <absl/strings/strip.h>

#include "reconcile/compile_rows.h"

namespace plasmanet::reconcile {

using internal::ExternalIds;
using internal::LocalMac;
using internal::StableHash;
using internal::WithRowName;

namespace {

absl::string_view KindName(OwnerRef::Kind kind) {
  switch (kind) {
    case OwnerRef::Kind::kExternalNetwork:
      return "extnet";
    case OwnerRef::Kind::kFloatingIp:
      return "fip";
    case OwnerRef::Kind::kVpc:
      return "vpc";
    case OwnerRef::Kind::kSubnet:
      return "subnet";
    case OwnerRef::Kind::kSecurityGroup:
      return "sg";
    case OwnerRef::Kind::kDefaultDeny:
      return "platform";
    case OwnerRef::Kind::kPort:
      return "port";
  }
  return "";
}

constexpr OwnerRef::Kind kAllKinds[] = {OwnerRef::Kind::kExternalNetwork, OwnerRef::Kind::kVpc,
                                        OwnerRef::Kind::kDefaultDeny,     OwnerRef::Kind::kSubnet,
                                        OwnerRef::Kind::kSecurityGroup,   OwnerRef::Kind::kPort,
                                        OwnerRef::Kind::kFloatingIp};

// OVN's DHCP option syntax: a list of addresses in braces, a string in double quotes.
std::string OvnList(const std::vector<std::string>& items) {
  return absl::StrCat("{", absl::StrJoin(items, ", "), "}");
}
std::string AddressList(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> texts;
  for (const IpAddress& a : addresses) texts.push_back(a.ToString());
  return OvnList(texts);
}
std::string Quoted(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

// The DNS servers a subnet's VMs get for `family`: the subnet's, else the platform's, else the
// gateway (where OVN answers the VPC's own names).
std::vector<IpAddress> Resolvers(const model::Subnet& subnet, IpFamily family,
                                 const CompileOptions& options) {
  std::vector<IpAddress> out;
  for (const IpAddress& a : subnet.dns_servers) {
    if (a.family() == family) out.push_back(a);
  }
  if (out.empty()) {
    for (const IpAddress& a : options.default_dns_servers) {
      if (a.family() == family) out.push_back(a);
    }
  }
  if (out.empty() && subnet.family(family)) out.push_back(subnet.family(family)->gateway);
  return out;
}

// "SUBNET.VPC.ZONE", the search domain of the subnet's VMs; "" when a name is not a label.
std::string SubnetDomain(const model::Subnet& subnet, const model::Vpc* vpc,
                         absl::string_view zone) {
  if (vpc == nullptr || !IsDnsLabel(subnet.meta.name) || !IsDnsLabel(vpc->meta.name)) return "";
  return absl::AsciiStrToLower(absl::StrCat(subnet.meta.name, ".", vpc->meta.name, ".", zone));
}

// 4.3.2.1.in-addr.arpa for 1.2.3.4; nibbles for IPv6 (RFC 3596).
std::string ReverseName(const IpAddress& ip) {
  std::vector<std::string> parts;
  if (ip.is_v4()) {
    const auto v = static_cast<uint32_t>(ip.value());
    for (int shift = 0; shift < 32; shift += 8) parts.push_back(std::to_string((v >> shift) & 255));
    parts.push_back("in-addr.arpa");
  } else {
    absl::uint128 v = ip.value();
    for (int i = 0; i < 32; ++i, v >>= 4) {
      parts.push_back(std::string(1, "0123456789abcdef"[static_cast<int>(v & 15)]));
    }
    parts.push_back("ip6.arpa");
  }
  return absl::StrJoin(parts, ".");
}

int EffectiveMtu(const model::Subnet& subnet, const CompileOptions& options) {
  return subnet.mtu > 0 ? subnet.mtu : options.default_mtu;
}

// One ACL row under the Port_Group `group`; `log`: through the shared meter. The logging
// columns are always written, so switching logging off clears them.
DesiredRow Acl(const std::string& name, const std::string& group, absl::string_view direction,
               int priority, const std::string& match, absl::string_view action,
               const ovsdb::Datum& external_ids, bool log = false) {
  DesiredRow acl{.table = NbTable::kAcl, .name = name, .parent = group};
  acl.columns["name"] = ovsdb::Datum::String(name);
  acl.columns["direction"] = ovsdb::Datum::String(std::string(direction));
  acl.columns["priority"] = ovsdb::Datum::Integer(priority);
  acl.columns["match"] = ovsdb::Datum::String(match);
  acl.columns["action"] = ovsdb::Datum::String(std::string(action));
  acl.columns["log"] = ovsdb::Datum::Boolean(log);
  acl.columns["severity"] = log ? ovsdb::Datum::String("info") : ovsdb::Datum::Set({});
  acl.columns["meter"] =
      log ? ovsdb::Datum::String(std::string(kAclLogMeter)) : ovsdb::Datum::Set({});
  acl.columns["external_ids"] = external_ids;
  return acl;
}

DesiredRow PortGroup(const std::string& name, const ovsdb::Datum& external_ids) {
  DesiredRow pg{.table = NbTable::kPortGroup, .name = name};
  pg.columns["name"] = ovsdb::Datum::String(name);
  pg.columns["external_ids"] = external_ids;
  return pg;
}

// "10.0.1.1/24" for the gateway of 10.0.1.0/24.
std::string GatewayNetwork(const model::SubnetFamily& family) {
  return absl::StrCat(family.gateway.ToString(), "/", family.cidr.length());
}

// What the DHCPv4 server tells the subnet's VMs: the subnet's row, and the base of a port's own
// row, so the two cannot drift apart. Empty when the subnet has no DHCPv4.
std::map<std::string, std::string> SubnetDhcp4Options(const model::Subnet& subnet,
                                                      const model::Vpc* vpc,
                                                      const CompileOptions& options) {
  if (!subnet.dhcp_enabled || !subnet.ipv4) return {};
  const model::SubnetFamily& v4 = *subnet.ipv4;
  std::map<std::string, std::string> o{
      {"server_id", v4.gateway.ToString()},
      {"server_mac", GatewayMac(subnet.meta.id).ToString()},
      {"lease_time", std::to_string(options.dhcp_lease_seconds)},
      {"router", v4.gateway.ToString()},  // (ovn-northd adds the netmask from the cidr)
      {"dns_server", AddressList(Resolvers(subnet, IpFamily::kV4, options))},
      {"mtu", std::to_string(EffectiveMtu(subnet, options))},
  };
  if (const std::string domain = SubnetDomain(subnet, vpc, options.dns_zone); !domain.empty()) {
    o["domain_name"] = Quoted(domain);
  }
  if (!subnet.host_routes.empty()) {
    // A client given option 121 ignores the router option (RFC 3442): repeat the default.
    std::vector<std::string> routes;
    for (const model::HostRoute& r : subnet.host_routes) {
      routes.push_back(absl::StrCat(r.destination.ToString(), ",", r.nexthop.ToString()));
    }
    routes.push_back(absl::StrCat("0.0.0.0/0,", v4.gateway.ToString()));
    o["classless_static_route"] = OvnList(routes);
  }
  return o;
}

// A port's extra option as OVN reads it: text quoted, an address bare, several in braces. The
// model has checked the value (no quotes or braces inside) and made addresses canonical.
std::string ExtraDhcpValue(absl::string_view name, const std::string& value) {
  switch (model::ExtraDhcpOptionType(name).value_or(model::DhcpOptionType::kString)) {
    case model::DhcpOptionType::kString:
      return Quoted(value);
    case model::DhcpOptionType::kIpv4:
      return value;
    case model::DhcpOptionType::kIpv4List:
      if (value.find(',') == std::string::npos) return value;
      return OvnList(absl::StrSplit(value, ','));
  }
  return Quoted(value);
}

DesiredRow DhcpOptionsRow(const std::string& name, const IpPrefix& cidr,
                          const std::map<std::string, std::string>& options,
                          const ovsdb::Datum& external_ids) {
  DesiredRow dhcp{.table = NbTable::kDhcpOptions, .name = name};
  dhcp.columns["cidr"] = ovsdb::Datum::String(cidr.ToString());
  dhcp.columns["options"] = ovsdb::Datum::StringMap(options);
  dhcp.columns["external_ids"] = WithRowName(external_ids, name);
  return dhcp;
}

}  // namespace

std::string OwnerRef::ToString() const { return absl::StrCat(KindName(kind), "/", id); }

std::optional<OwnerRef> OwnerRef::Parse(absl::string_view text) {
  for (Kind kind : kAllKinds) {
    absl::string_view rest = text;
    if (absl::ConsumePrefix(&rest, KindName(kind)) && absl::ConsumePrefix(&rest, "/") &&
        !rest.empty()) {
      return OwnerRef{kind, std::string(rest)};
    }
  }
  return std::nullopt;
}

std::string RouterName(absl::string_view vpc_id) { return absl::StrCat("pn-vpc-", vpc_id); }
std::string DnsName(absl::string_view subnet_id) { return absl::StrCat("pn-dns-", subnet_id); }
std::string DhcpOptionsName(absl::string_view subnet_id, IpFamily family) {
  return absl::StrCat(family == IpFamily::kV4 ? "pn-dhcp4-" : "pn-dhcp6-", subnet_id);
}
std::string PortDhcpOptionsName(absl::string_view port_id) {
  return absl::StrCat("pn-dhcp4-port-", port_id);
}

bool IsDnsLabel(absl::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '-'; });
}

std::string PortFqdn(const model::Port& port, const model::Subnet& subnet, const model::Vpc& vpc,
                     absl::string_view zone) {
  if (!IsDnsLabel(port.meta.name)) return "";
  const std::string domain = SubnetDomain(subnet, &vpc, zone);
  if (domain.empty()) return "";
  return absl::StrCat(absl::AsciiStrToLower(port.meta.name), ".", domain);
}

void AddDnsRecords(const model::Port& port, const std::string& fqdn, DnsRecords& records) {
  if (fqdn.empty() || port.fixed_ips.empty()) return;
  std::vector<std::string> addresses;
  for (const IpAddress& ip : port.fixed_ips) addresses.push_back(ip.ToString());
  std::string& forward = records[fqdn];
  if (!forward.empty()) addresses.push_back(forward);
  // Sorted, so the value does not depend on the order ports are visited in.
  std::vector<std::string> all = absl::StrSplit(absl::StrJoin(addresses, " "), ' ');
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  forward = absl::StrJoin(all, " ");
  for (const IpAddress& ip : port.fixed_ips) {
    std::string& reverse = records[ReverseName(ip)];
    if (reverse.empty() || fqdn < reverse) reverse = fqdn;
  }
}
std::string SwitchName(absl::string_view subnet_id) {
  return absl::StrCat("pn-subnet-", subnet_id);
}
std::string RouterPortName(absl::string_view subnet_id) {
  return absl::StrCat("pn-lrp-", subnet_id);
}
std::string SwitchRouterPortName(absl::string_view subnet_id) {
  return absl::StrCat("pn-rtr-", subnet_id);
}

std::string PortGroupName(absl::string_view security_group_id) {
  std::string name = absl::StrCat("pn_sg_", security_group_id);
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

std::string AclMatch(const model::SecurityGroupRule& rule, absl::string_view group) {
  const bool v4 = rule.ethertype == IpFamily::kV4;
  const bool ingress = rule.direction == model::Direction::kIngress;
  const absl::string_view ip = v4 ? "ip4" : "ip6";
  // Ingress: traffic to the group's ports, from the remote end; egress: the other way.
  std::string match = absl::StrCat(ingress ? "outport" : "inport", " == @", group, " && ", ip);
  const std::string remote = absl::StrCat(ip, ingress ? ".src" : ".dst");
  if (rule.remote_ip_prefix && rule.remote_ip_prefix->length() > 0) {
    absl::StrAppend(&match, " && ", remote, " == ", rule.remote_ip_prefix->ToString());
  }
  if (!rule.remote_group_id.empty()) {
    absl::StrAppend(&match, " && ", remote, " == $", PortGroupName(rule.remote_group_id), "_", ip);
  }
  switch (rule.protocol) {
    case model::kAnyProtocol:
      break;
    case model::kProtoTcp:
    case model::kProtoUdp: {
      const absl::string_view l4 = rule.protocol == model::kProtoTcp ? "tcp" : "udp";
      absl::StrAppend(&match, " && ", l4);
      if (rule.port_range_min) {
        const int low = *rule.port_range_min;
        const int high = rule.port_range_max.value_or(low);
        if (low == high) {
          absl::StrAppend(&match, " && ", l4, ".dst == ", low);
        } else if (low > 1 || high < 65535) {
          absl::StrAppend(&match, " && ", l4, ".dst >= ", low, " && ", l4, ".dst <= ", high);
        }
      }
      break;
    }
    case model::kProtoIcmp:
    case model::kProtoIcmpv6: {
      const absl::string_view icmp = v4 ? "icmp4" : "icmp6";
      absl::StrAppend(&match, " && ", icmp);
      if (rule.icmp_type) absl::StrAppend(&match, " && ", icmp, ".type == ", *rule.icmp_type);
      if (rule.icmp_code) absl::StrAppend(&match, " && ", icmp, ".code == ", *rule.icmp_code);
      break;
    }
    default:
      absl::StrAppend(&match, " && ip.proto == ", rule.protocol);
  }
  return match;
}

MacAddress GatewayMac(absl::string_view subnet_id) { return LocalMac(StableHash("", subnet_id)); }
std::vector<DesiredRow> CompileSubnet(const model::Subnet& subnet, const SubnetContext& context,
                                      const CompileOptions& options) {
  const model::Vpc* vpc = context.vpc;
  const OwnerRef owner{OwnerRef::Kind::kSubnet, subnet.meta.id};
  const ovsdb::Datum external_ids = ExternalIds(owner, subnet.meta);
  const MacAddress gateway_mac = GatewayMac(subnet.meta.id);
  const int mtu = EffectiveMtu(subnet, options);
  const std::string domain = SubnetDomain(subnet, vpc, options.dns_zone);
  std::vector<DesiredRow> rows;

  // The subnet's names, first: its switch references them. Every switch of the VPC answers
  // from every subnet's row, so a VM resolves the names of its VPC and of no other VPC.
  DesiredRow dns{.table = NbTable::kDns, .name = DnsName(subnet.meta.id)};
  dns.columns["records"] = ovsdb::Datum::StringMap(context.records);
  dns.columns["external_ids"] = WithRowName(external_ids, dns.name);
  rows.push_back(std::move(dns));

  DesiredRow ls{.table = NbTable::kLogicalSwitch, .name = SwitchName(subnet.meta.id)};
  ls.columns["name"] = ovsdb::Datum::String(ls.name);
  ls.columns["external_ids"] = external_ids;
  std::vector<RowRef>& names = ls.refs["dns_records"];
  names.push_back({NbTable::kDns, DnsName(subnet.meta.id)});
  for (const std::string& sibling : context.vpc_subnet_ids) {
    if (sibling != subnet.meta.id) names.push_back({NbTable::kDns, DnsName(sibling)});
  }

  std::vector<std::string> networks;
  for (const auto* family : {&subnet.ipv4, &subnet.ipv6}) {
    if (family->has_value()) networks.push_back(GatewayNetwork(**family));
  }
  DesiredRow lrp{.table = NbTable::kLogicalRouterPort,
                 .name = RouterPortName(subnet.meta.id),
                 .parent = RouterName(subnet.vpc_id)};
  lrp.columns["name"] = ovsdb::Datum::String(lrp.name);
  lrp.columns["mac"] = ovsdb::Datum::String(gateway_mac.ToString());
  lrp.columns["networks"] = ovsdb::Datum::StringSet(networks);
  // Packets bigger than the subnet's MTU get ICMP "fragmentation needed" / "packet too big"
  // from the router, so path MTU discovery works across subnets of different MTUs.
  lrp.columns["options"] = ovsdb::Datum::StringMap({{"gateway_mtu", std::to_string(mtu)}});
  std::map<std::string, std::string> ra;
  if (subnet.ipv6) {
    switch (subnet.ipv6_address_mode) {
      case model::Ipv6AddressMode::kDhcpv6Stateful:
        ra["address_mode"] = "dhcpv6_stateful";
        break;
      case model::Ipv6AddressMode::kDhcpv6Stateless:
        ra["address_mode"] = "dhcpv6_stateless";
        break;
      case model::Ipv6AddressMode::kSlaac:
        ra["address_mode"] = "slaac";
        // OVN announces one RDNSS server.
        ra["rdnss"] = Resolvers(subnet, IpFamily::kV6, options).front().ToString();
        if (!domain.empty()) ra["dnssl"] = domain;
        break;
    }
    ra["mtu"] = std::to_string(mtu);
    ra["send_periodic"] = "true";
    ra["max_interval"] = "60";
  }
  lrp.columns["ipv6_ra_configs"] = ovsdb::Datum::StringMap(ra);
  lrp.columns["external_ids"] = external_ids;

  DesiredRow peer{.table = NbTable::kLogicalSwitchPort,
                  .name = SwitchRouterPortName(subnet.meta.id),
                  .parent = ls.name};
  peer.columns["name"] = ovsdb::Datum::String(peer.name);
  peer.columns["type"] = ovsdb::Datum::String("router");
  peer.columns["addresses"] = ovsdb::Datum::StringSet({"router"});
  peer.columns["options"] = ovsdb::Datum::StringMap({{"router-port", lrp.name}});
  peer.columns["external_ids"] = external_ids;

  rows.push_back(std::move(ls));
  rows.push_back(std::move(lrp));
  rows.push_back(std::move(peer));

  if (std::map<std::string, std::string> o = SubnetDhcp4Options(subnet, vpc, options); !o.empty()) {
    rows.push_back(DhcpOptionsRow(DhcpOptionsName(subnet.meta.id, IpFamily::kV4), subnet.ipv4->cidr,
                                  o, external_ids));
  }
  if (subnet.dhcp_enabled && subnet.ipv6 &&
      subnet.ipv6_address_mode != model::Ipv6AddressMode::kSlaac) {
    std::map<std::string, std::string> o{
        {"server_id", gateway_mac.ToString()},
        {"dns_server", AddressList(Resolvers(subnet, IpFamily::kV6, options))},
    };
    if (!domain.empty()) o["domain_search"] = Quoted(domain);
    if (subnet.ipv6_address_mode == model::Ipv6AddressMode::kDhcpv6Stateless) {
      o["dhcpv6_stateless"] = "true";
    }
    rows.push_back(DhcpOptionsRow(DhcpOptionsName(subnet.meta.id, IpFamily::kV6), subnet.ipv6->cidr,
                                  o, external_ids));
  }

  // DNS to the subnet's resolvers passes the default deny, like DHCP: a group that limits
  // egress does not take name resolution away. The match names addresses, not the subnet's
  // ports; a port elsewhere gains nothing from it but DNS to the same addresses in its own VPC.
  std::vector<std::string> destinations;
  for (IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
    if (!subnet.family(family)) continue;
    destinations.push_back(absl::StrCat(family == IpFamily::kV4 ? "ip4.dst == " : "ip6.dst == ",
                                        AddressList(Resolvers(subnet, family, options))));
  }
  rows.push_back(
      Acl(absl::StrCat("pn-dns-", subnet.meta.id), std::string(kDropGroupName), "from-lport",
          kAllowPriority,
          absl::StrCat("inport == @", kDropGroupName, " && (", absl::StrJoin(destinations, " || "),
                       ") && (udp.dst == 53 || tcp.dst == 53)"),
          "allow-related", external_ids));
  return rows;
}

std::vector<DesiredRow> CompilePort(const model::Port& port, const PortContext& context) {
  const OwnerRef owner{OwnerRef::Kind::kPort, port.meta.id};
  DesiredRow lsp{.table = NbTable::kLogicalSwitchPort,
                 .name = port.meta.id,
                 .parent = SwitchName(port.subnet_id)};
  std::vector<std::string> own{port.mac.ToString()};
  for (const IpAddress& ip : port.fixed_ips) own.push_back(ip.ToString());
  const std::string own_addresses = absl::StrJoin(own, " ");

  std::vector<std::string> addresses{own_addresses};
  std::vector<std::string> port_security;
  if (port.port_security_enabled) {
    // The port may send from its own MAC and addresses, and from each allowed pair.
    port_security.push_back(own_addresses);
    for (const model::AllowedAddressPair& pair : port.allowed_address_pairs) {
      port_security.push_back(
          absl::StrCat(pair.mac.value_or(port.mac).ToString(), " ", pair.prefix.ToString()));
    }
  } else {
    // Without port security the VM may use any address; "unknown" makes OVN deliver frames
    // for MACs it has not learned to this port, as a plain switch would.
    addresses.push_back("unknown");
  }
  lsp.columns["name"] = ovsdb::Datum::String(lsp.name);
  lsp.columns["type"] = ovsdb::Datum::String("");  // a VM interface
  lsp.columns["addresses"] = ovsdb::Datum::StringSet(addresses);
  lsp.columns["port_security"] = ovsdb::Datum::StringSet(port_security);
  const ovsdb::Datum external_ids = ExternalIds(owner, port.meta);
  lsp.columns["external_ids"] = external_ids;
  std::map<std::string, std::string> options;
  if (IsDnsLabel(port.meta.name)) {
    // ovn-northd copies the value into the DHCP action as it is: a string must come quoted.
    options["hostname"] = Quoted(absl::AsciiStrToLower(port.meta.name));
  }
  lsp.columns["options"] = ovsdb::Datum::StringMap(options);
  // DHCP answers a port only through the options its row references.
  const model::Subnet* subnet = context.subnet;
  const bool dhcp = subnet != nullptr && subnet->dhcp_enabled;
  const auto has = [&](IpFamily family) {
    return std::any_of(port.fixed_ips.begin(), port.fixed_ips.end(),
                       [&](const IpAddress& ip) { return ip.family() == family; });
  };
  // The port's own DHCPv4 options row, if any, comes first: it is referenced by the switch
  // port, and the transaction builder resolves references in the order of the rows.
  std::vector<DesiredRow> rows;
  lsp.refs["dhcpv4_options"] = {};
  lsp.refs["dhcpv6_options"] = {};
  if (dhcp && subnet->ipv4 && has(IpFamily::kV4)) {
    if (port.extra_dhcp_options.empty()) {
      lsp.refs["dhcpv4_options"].push_back(
          {NbTable::kDhcpOptions, DhcpOptionsName(subnet->meta.id, IpFamily::kV4)});
    } else {
      // OVN takes a port's DHCP options from one row: the subnet's options plus the extras.
      const CompileOptions defaults;
      std::map<std::string, std::string> o = SubnetDhcp4Options(
          *subnet, context.vpc, context.options != nullptr ? *context.options : defaults);
      for (const auto& [name, value] : port.extra_dhcp_options) {
        o.emplace(name, ExtraDhcpValue(name, value));  // the subnet's own options stay
      }
      const std::string name = PortDhcpOptionsName(port.meta.id);
      rows.push_back(DhcpOptionsRow(name, subnet->ipv4->cidr, o, external_ids));
      lsp.refs["dhcpv4_options"].push_back({NbTable::kDhcpOptions, name});
    }
  }
  if (dhcp && subnet->ipv6 && has(IpFamily::kV6) &&
      subnet->ipv6_address_mode != model::Ipv6AddressMode::kSlaac) {
    lsp.refs["dhcpv6_options"].push_back(
        {NbTable::kDhcpOptions, DhcpOptionsName(subnet->meta.id, IpFamily::kV6)});
  }
  if (port.port_security_enabled) {
    // Port security off means no filtering at all: then the port is in no group.
    lsp.groups.push_back(std::string(kDropGroupName));
    for (const std::string& group : port.security_group_ids) {
      lsp.groups.push_back(PortGroupName(group));
    }
  }
  rows.push_back(std::move(lsp));
  return rows;
}

std::vector<DesiredRow> CompileSecurityGroup(const model::SecurityGroup& group) {
  const OwnerRef owner{OwnerRef::Kind::kSecurityGroup, group.meta.id};
  const ovsdb::Datum external_ids = ExternalIds(owner, group.meta);
  const std::string pg = PortGroupName(group.meta.id);
  std::vector<DesiredRow> rows{PortGroup(pg, external_ids)};
  for (const model::SecurityGroupRule& rule : group.rules) {
    const bool ingress = rule.direction == model::Direction::kIngress;
    rows.push_back(Acl(absl::StrCat("pn-", rule.id), pg, ingress ? "to-lport" : "from-lport",
                       kAllowPriority, AclMatch(rule, pg), "allow-related", external_ids,
                       group.log));
  }
  if (group.log) {
    // What no rule allows is dropped by pn_drop anyway; these drops exist to be logged.
    rows.push_back(Acl(absl::StrCat("pn-drop-from-", group.meta.id), pg, "from-lport",
                       kLoggedDropPriority, absl::StrCat("inport == @", pg, " && ip"), "drop",
                       external_ids, true));
    rows.push_back(Acl(absl::StrCat("pn-drop-to-", group.meta.id), pg, "to-lport",
                       kLoggedDropPriority, absl::StrCat("outport == @", pg, " && ip"), "drop",
                       external_ids, true));
  }
  return rows;
}

std::vector<DesiredRow> CompileDefaultDeny() {
  model::ObjectMeta meta;
  meta.id = std::string(kDefaultDenyId);
  meta.name = "default deny for ports with port security";
  meta.org_id = meta.project_id = "*";
  const ovsdb::Datum external_ids = ExternalIds({OwnerRef::Kind::kDefaultDeny, meta.id}, meta);
  const std::string pg(kDropGroupName);
  const std::string in = absl::StrCat("inport == @", pg);
  const std::string out = absl::StrCat("outport == @", pg);
  std::vector<DesiredRow> rows{PortGroup(pg, external_ids)};

  DesiredRow meter{.table = NbTable::kMeter, .name = std::string(kAclLogMeter)};
  meter.columns["name"] = ovsdb::Datum::String(meter.name);
  meter.columns["unit"] = ovsdb::Datum::String("pktps");
  meter.columns["external_ids"] = external_ids;
  DesiredRow band{.table = NbTable::kMeterBand,
                  .name = absl::StrCat(kAclLogMeter, "-band"),
                  .parent = meter.name};
  band.columns["action"] = ovsdb::Datum::String("drop");
  band.columns["rate"] = ovsdb::Datum::Integer(kAclLogRate);
  band.columns["burst_size"] = ovsdb::Datum::Integer(kAclLogRate);
  band.columns["external_ids"] = WithRowName(external_ids, band.name);
  rows.push_back(std::move(meter));
  rows.push_back(std::move(band));

  auto acl = [&](const char* name, bool to_port, int priority, const std::string& match,
                 absl::string_view action) {
    rows.push_back(Acl(absl::StrCat("pn-drop-", name), pg, to_port ? "to-lport" : "from-lport",
                       priority, match, action, external_ids));
  };
  acl("from-port", false, kDropPriority, in + " && ip", "drop");
  acl("to-port", true, kDropPriority, out + " && ip", "drop");
  // What the platform needs whatever the groups say: DHCP with OVN's own server (its answers are
  // let through by ovn-northd itself). IPv6 neighbour discovery needs nothing here: ovn-northd
  // admits ND, RS, RA and MLD ahead of every ACL (the e2e IPv6 test shows it).
  acl("dhcp4", false, kAllowPriority, in + " && ip4 && udp.src == 68 && udp.dst == 67", "allow");
  acl("dhcp6", false, kAllowPriority, in + " && ip6 && udp.src == 546 && udp.dst == 547", "allow");
  return rows;
}

}  // namespace plasmanet::reconcile
