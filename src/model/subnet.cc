#include "model/subnet.h"

#include <algorithm>

#include <absl/strings/str_cat.h>

#include "common/errors.h"
#include "common/status_macros.h"
#include "model/address_parsing.h"

namespace plasmanet::model {
namespace {

IpAddress Offset(const IpPrefix& cidr, uint64_t offset) { return cidr.AddressAt(offset); }

// Everything but the network address, the gateway and (IPv4) the broadcast address.
std::vector<AddressRange> DefaultPools(const IpPrefix& cidr, const IpAddress& gateway) {
  const IpAddress first = Offset(cidr, 1);
  IpAddress last = cidr.last();
  if (cidr.family() == IpFamily::kV4) {
    last = IpAddress::V4(static_cast<uint32_t>(last.value()) - 1);
  }
  std::vector<AddressRange> pools;
  const auto add = [&](const IpAddress& a, const IpAddress& b) {
    if (a <= b) {
      pools.push_back({a, b});
    }
  };
  if (gateway < first || gateway > last) {
    add(first, last);
    return pools;
  }
  const uint64_t g = cidr.OffsetOf(gateway);
  if (g > 1) {
    add(first, Offset(cidr, g - 1));
  }
  if (gateway < last) {
    add(Offset(cidr, g + 1), last);
  }
  return pools;
}

absl::StatusOr<SubnetFamily> BuildFamily(IpFamily family, const std::string& cidr_text,
                                         const std::string& gateway_text,
                                         const std::vector<AddressRangeSpec>& pool_specs,
                                         const Vpc& vpc) {
  const bool v4 = family == IpFamily::kV4;
  const std::string cidr_field = v4 ? "subnet.ipv4_cidr" : "subnet.ipv6_cidr";
  const std::string gateway_field = v4 ? "subnet.gateway_ipv4" : "subnet.gateway_ipv6";

  SubnetFamily out;
  PN_ASSIGN_OR_RETURN(out.cidr, ParsePrefixField(cidr_field, cidr_text));
  if (out.cidr.family() != family) {
    return InvalidField(
        cidr_field, absl::StrCat("'", cidr_text, "' is not an ", IpFamilyName(family), " CIDR"));
  }
  const int min = v4 ? kMinSubnetV4Length : kMinSubnetV6Length;
  const int max = v4 ? kMaxSubnetV4Length : kMaxSubnetV6Length;
  if (out.cidr.length() < min || out.cidr.length() > max) {
    return InvalidField(
        cidr_field, absl::StrCat(IpFamilyName(family), " subnets must have a prefix length from /",
                                 min, " to /", max));
  }
  const std::optional<IpPrefix> block = vpc.block(family);
  if (!block.has_value()) {
    return InvalidField(cidr_field,
                        absl::StrCat("the VPC has no ", IpFamilyName(family), " block"));
  }
  if (!block->Contains(out.cidr)) {
    return InvalidField(
        cidr_field,
        absl::StrCat(out.cidr.ToString(), " is not inside the VPC block ", block->ToString()));
  }

  if (gateway_text.empty()) {
    out.gateway = Offset(out.cidr, 1);
  } else {
    PN_ASSIGN_OR_RETURN(out.gateway, ParseIpField(gateway_field, gateway_text));
    if (!out.cidr.Contains(out.gateway)) {
      return InvalidField(gateway_field, absl::StrCat(out.gateway.ToString(), " is not inside ",
                                                      out.cidr.ToString()));
    }
    if (out.gateway == out.cidr.network()) {
      return InvalidField(gateway_field, "the gateway cannot be the network address");
    }
    if (v4 && out.gateway == out.cidr.last()) {
      return InvalidField(gateway_field, "the gateway cannot be the broadcast address");
    }
  }

  for (size_t i = 0; i < pool_specs.size(); ++i) {
    const std::string field = absl::StrCat("subnet.allocation_pools[", i, "]");
    PN_ASSIGN_OR_RETURN(IpAddress first, ParseIpField(field + ".start", pool_specs[i].start));
    PN_ASSIGN_OR_RETURN(IpAddress last, ParseIpField(field + ".end", pool_specs[i].end));
    if (first.family() != last.family()) {
      return InvalidField(field, "start and end must be of the same family");
    }
    if (first.family() != family) {
      continue;  // the other family's pool
    }
    if (first > last) {
      return InvalidField(field, "start must not be after end");
    }
    if (!out.cidr.Contains(first) || !out.cidr.Contains(last)) {
      return InvalidField(field, absl::StrCat("the pool must lie inside ", out.cidr.ToString()));
    }
    const auto holds = [&](const IpAddress& a) { return first <= a && a <= last; };
    if (holds(out.cidr.network())) {
      return InvalidField(field, "the pool must not contain the network address");
    }
    if (v4 && holds(out.cidr.last())) {
      return InvalidField(field, "the pool must not contain the broadcast address");
    }
    if (holds(out.gateway)) {
      return InvalidField(
          field, absl::StrCat("the pool must not contain the gateway ", out.gateway.ToString()));
    }
    for (const AddressRange& other : out.pools) {
      if (!(last < other.first || other.last < first)) {
        return InvalidField(field, absl::StrCat("overlaps the pool ", other.first.ToString(), "-",
                                                other.last.ToString()));
      }
    }
    out.pools.push_back({first, last});
  }
  if (out.pools.empty()) {
    out.pools = DefaultPools(out.cidr, out.gateway);
  }
  std::sort(out.pools.begin(), out.pools.end(),
            [](const AddressRange& a, const AddressRange& b) { return a.first < b.first; });
  return out;
}

}  // namespace

absl::StatusOr<Subnet> BuildSubnet(const SubnetSpec& spec, const Vpc& vpc,
                                   const NetworkLimits& limits) {
  Subnet subnet;
  PN_RETURN_IF_ERROR(ValidateNameAndLabels("subnet", spec.name, spec.labels));
  subnet.meta.name = spec.name;
  subnet.meta.labels = spec.labels;
  subnet.vpc_id = spec.vpc_id;

  if (spec.ipv4_cidr.empty() && spec.ipv6_cidr.empty()) {
    return InvalidField("subnet.ipv4_cidr", "an IPv4 CIDR, an IPv6 CIDR or both are required");
  }
  if (spec.allocation_pools.size() > kMaxAllocationPools) {
    return InvalidField("subnet.allocation_pools",
                        absl::StrCat("at most ", kMaxAllocationPools, " pools are allowed"));
  }
  if (!spec.ipv4_cidr.empty()) {
    PN_ASSIGN_OR_RETURN(subnet.ipv4, BuildFamily(IpFamily::kV4, spec.ipv4_cidr, spec.gateway_ipv4,
                                                 spec.allocation_pools, vpc));
  } else if (!spec.gateway_ipv4.empty()) {
    return InvalidField("subnet.gateway_ipv4", "given without an ipv4_cidr");
  }
  if (!spec.ipv6_cidr.empty()) {
    PN_ASSIGN_OR_RETURN(subnet.ipv6, BuildFamily(IpFamily::kV6, spec.ipv6_cidr, spec.gateway_ipv6,
                                                 spec.allocation_pools, vpc));
  } else if (!spec.gateway_ipv6.empty()) {
    return InvalidField("subnet.gateway_ipv6", "given without an ipv6_cidr");
  }
  // A pool whose family the subnet lacks would be silently ignored above; refuse it instead.
  for (size_t i = 0; i < spec.allocation_pools.size(); ++i) {
    absl::StatusOr<IpAddress> start = IpAddress::Parse(spec.allocation_pools[i].start);
    if (start.ok() && !subnet.family(start->family()).has_value()) {
      return InvalidField(
          absl::StrCat("subnet.allocation_pools[", i, "]"),
          absl::StrCat("the subnet has no ", IpFamilyName(start->family()), " CIDR"));
    }
  }

  subnet.dhcp_enabled = spec.dhcp_enabled.value_or(true);
  PN_RETURN_IF_ERROR(SetDnsServers(spec.dns_servers, subnet));
  PN_RETURN_IF_ERROR(SetMtu(spec.mtu.value_or(limits.max_mtu), limits, subnet));
  PN_RETURN_IF_ERROR(SetHostRoutes(spec.host_routes, subnet));
  if (!spec.ipv6_address_mode.empty()) {
    std::optional<Ipv6AddressMode> mode = ParseIpv6AddressMode(spec.ipv6_address_mode);
    if (!mode) {
      return InvalidField("subnet.ipv6_address_mode",
                          absl::StrCat("'", spec.ipv6_address_mode,
                                       "' is not one of dhcpv6-stateful, dhcpv6-stateless, slaac"));
    }
    if (!subnet.ipv6) return InvalidField("subnet.ipv6_address_mode", "given without an ipv6_cidr");
    subnet.ipv6_address_mode = *mode;
  }
  if (subnet.ipv6_slaac() && subnet.ipv6->cidr.length() != 64) {
    return InvalidField(
        "subnet.ipv6_address_mode",
        absl::StrCat("SLAAC needs a /64; ", subnet.ipv6->cidr.ToString(), " is not"));
  }
  return subnet;
}

absl::string_view Ipv6AddressModeName(Ipv6AddressMode mode) {
  switch (mode) {
    case Ipv6AddressMode::kDhcpv6Stateful:
      return "dhcpv6-stateful";
    case Ipv6AddressMode::kDhcpv6Stateless:
      return "dhcpv6-stateless";
    case Ipv6AddressMode::kSlaac:
      return "slaac";
  }
  return "";
}

std::optional<Ipv6AddressMode> ParseIpv6AddressMode(absl::string_view name) {
  for (Ipv6AddressMode mode : {Ipv6AddressMode::kDhcpv6Stateful, Ipv6AddressMode::kDhcpv6Stateless,
                               Ipv6AddressMode::kSlaac}) {
    if (Ipv6AddressModeName(mode) == name) return mode;
  }
  return std::nullopt;
}

absl::Status SetDnsServers(const std::vector<std::string>& servers, Subnet& subnet) {
  if (servers.size() > kMaxDnsServers) {
    return InvalidField("subnet.dns_servers",
                        absl::StrCat("at most ", kMaxDnsServers, " servers are allowed"));
  }
  std::vector<IpAddress> parsed;
  for (size_t i = 0; i < servers.size(); ++i) {
    PN_ASSIGN_OR_RETURN(IpAddress server,
                        ParseIpField(absl::StrCat("subnet.dns_servers[", i, "]"), servers[i]));
    parsed.push_back(server);
  }
  subnet.dns_servers = std::move(parsed);
  return absl::OkStatus();
}

absl::Status SetMtu(int mtu, const NetworkLimits& limits, Subnet& subnet) {
  const int min = subnet.ipv6 ? kMinMtuV6 : kMinMtuV4;
  if (mtu < min || mtu > limits.max_mtu) {
    return InvalidField(
        "subnet.mtu",
        absl::StrCat(mtu, " is outside ", min, "-", limits.max_mtu, " (the underlay MTU less ",
                     kGeneveOverhead, " bytes of Geneve encapsulation",
                     subnet.ipv6 ? "; IPv6 needs at least 1280" : "", ")"));
  }
  subnet.mtu = mtu;
  return absl::OkStatus();
}

absl::Status SetHostRoutes(const std::vector<HostRouteSpec>& routes, Subnet& subnet) {
  if (routes.size() > kMaxHostRoutes) {
    return InvalidField("subnet.host_routes",
                        absl::StrCat("at most ", kMaxHostRoutes, " routes are allowed"));
  }
  std::vector<HostRoute> parsed;
  for (size_t i = 0; i < routes.size(); ++i) {
    const std::string field = absl::StrCat("subnet.host_routes[", i, "]");
    PN_ASSIGN_OR_RETURN(IpPrefix destination,
                        ParsePrefixField(field + ".destination", routes[i].destination));
    PN_ASSIGN_OR_RETURN(IpAddress nexthop, ParseIpField(field + ".nexthop", routes[i].nexthop));
    if (destination.family() != IpFamily::kV4 || !nexthop.is_v4()) {
      return InvalidField(field, "host routes are IPv4 only (DHCPv6 has no route option)");
    }
    if (!subnet.ipv4 || !subnet.ipv4->cidr.Contains(nexthop)) {
      return InvalidField(
          field + ".nexthop",
          absl::StrCat(nexthop.ToString(), " is not inside the subnet's IPv4 CIDR"));
    }
    if (std::string reason = ReservedAddressReason(*subnet.ipv4, nexthop);
        !reason.empty() && nexthop != subnet.ipv4->gateway) {
      return InvalidField(field + ".nexthop", absl::StrCat(nexthop.ToString(), " ", reason));
    }
    for (const HostRoute& other : parsed) {
      if (other.destination == destination) {
        return InvalidField(field + ".destination",
                            absl::StrCat(destination.ToString(), " is given twice"));
      }
    }
    parsed.push_back({destination, nexthop});
  }
  subnet.host_routes = std::move(parsed);
  return absl::OkStatus();
}

IpAddress Eui64Address(const IpPrefix& prefix, const MacAddress& mac) {
  const uint64_t m = mac.value();
  // The MAC split around ff:fe, with the universal/local bit flipped.
  const uint64_t high24 = (m >> 24) ^ 0x020000;
  const uint64_t low24 = m & 0xffffff;
  const uint64_t interface_id = (high24 << 40) | (uint64_t{0xfffe} << 24) | low24;
  const absl::uint128 network = prefix.network().value() >> 64 << 64;
  return IpAddress::V6(network | interface_id);
}

const Subnet* FindOverlappingSubnet(const Subnet& subnet, const std::vector<Subnet>& siblings) {
  for (const Subnet& other : siblings) {
    if (other.meta.id == subnet.meta.id) {
      continue;
    }
    for (IpFamily f : {IpFamily::kV4, IpFamily::kV6}) {
      if (subnet.family(f) && other.family(f) &&
          subnet.family(f)->cidr.Overlaps(other.family(f)->cidr)) {
        return &other;
      }
    }
  }
  return nullptr;
}

std::string ReservedAddressReason(const SubnetFamily& family, const IpAddress& address) {
  if (address == family.cidr.network()) {
    return "is the network address";
  }
  if (address.is_v4() && address == family.cidr.last()) {
    return "is the broadcast address";
  }
  if (address == family.gateway) {
    return "is the gateway address";
  }
  return "";
}

}  // namespace plasmanet::model
