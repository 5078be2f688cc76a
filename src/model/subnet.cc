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

absl::StatusOr<Subnet> BuildSubnet(const SubnetSpec& spec, const Vpc& vpc) {
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
  if (spec.dns_servers.size() > kMaxDnsServers) {
    return InvalidField("subnet.dns_servers",
                        absl::StrCat("at most ", kMaxDnsServers, " servers are allowed"));
  }
  for (size_t i = 0; i < spec.dns_servers.size(); ++i) {
    PN_ASSIGN_OR_RETURN(IpAddress server, ParseIpField(absl::StrCat("subnet.dns_servers[", i, "]"),
                                                       spec.dns_servers[i]));
    subnet.dns_servers.push_back(server);
  }
  return subnet;
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
