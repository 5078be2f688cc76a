#include "model/vpc.h"

#include <absl/strings/str_cat.h>

#include "common/errors.h"
#include "common/status_macros.h"
#include "model/address_parsing.h"

namespace plasmanet::model {

std::optional<IpPrefix> Vpc::block(IpFamily family) const {
  for (const IpPrefix& prefix : cidr_blocks) {
    if (prefix.family() == family) {
      return prefix;
    }
  }
  return std::nullopt;
}

absl::StatusOr<Vpc> BuildVpc(const VpcSpec& spec) {
  Vpc vpc;
  PN_RETURN_IF_ERROR(ValidateNameAndLabels("vpc", spec.name, spec.labels));
  vpc.meta.name = spec.name;
  vpc.meta.labels = spec.labels;

  if (spec.cidr_blocks.empty()) {
    return InvalidField("vpc.cidr_blocks", "at least one CIDR block is required");
  }
  if (spec.cidr_blocks.size() > 2) {
    return InvalidField("vpc.cidr_blocks", "at most two blocks (one IPv4, one IPv6) are allowed");
  }
  for (size_t i = 0; i < spec.cidr_blocks.size(); ++i) {
    const std::string field = absl::StrCat("vpc.cidr_blocks[", i, "]");
    PN_ASSIGN_OR_RETURN(IpPrefix prefix, ParsePrefixField(field, spec.cidr_blocks[i]));
    const bool v4 = prefix.family() == IpFamily::kV4;
    const int min = v4 ? kMinVpcV4Length : kMinVpcV6Length;
    const int max = v4 ? kMaxVpcV4Length : kMaxVpcV6Length;
    if (prefix.length() < min || prefix.length() > max) {
      return InvalidField(
          field, absl::StrCat(IpFamilyName(prefix.family()),
                              " VPC blocks must have a prefix length from /", min, " to /", max));
    }
    std::string reserved;
    if (IsReservedRange(prefix, &reserved)) {
      return InvalidField(field, absl::StrCat("overlaps the reserved range ", reserved));
    }
    if (vpc.block(prefix.family()).has_value()) {
      return InvalidField(
          field, absl::StrCat("a VPC has at most one ", IpFamilyName(prefix.family()), " block"));
    }
    vpc.cidr_blocks.push_back(prefix);
  }
  return vpc;
}

absl::StatusOr<std::vector<StaticRoute>> BuildStaticRoutes(
    const std::vector<StaticRouteSpec>& specs, const Vpc& vpc) {
  if (specs.size() > kMaxStaticRoutes) {
    return InvalidField("vpc.static_routes",
                        absl::StrCat("at most ", kMaxStaticRoutes, " routes are allowed"));
  }
  std::vector<StaticRoute> routes;
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string field = absl::StrCat("vpc.static_routes[", i, "]");
    PN_ASSIGN_OR_RETURN(IpPrefix destination,
                        ParsePrefixField(field + ".destination", specs[i].destination));
    PN_ASSIGN_OR_RETURN(IpAddress nexthop, ParseIpField(field + ".nexthop", specs[i].nexthop));
    if (destination.family() != nexthop.family()) {
      return InvalidField(field,
                          absl::StrCat("destination ", destination.ToString(), " and next hop ",
                                       nexthop.ToString(), " are of different families"));
    }
    if (destination.length() == 0) {
      return InvalidField(field + ".destination",
                          "the default route belongs to the VPC's gateway; route to a prefix");
    }
    const std::optional<IpPrefix> block = vpc.block(nexthop.family());
    if (!block || !block->Contains(nexthop)) {
      return InvalidField(field + ".nexthop",
                          absl::StrCat(nexthop.ToString(), " is outside the VPC's ",
                                       IpFamilyName(nexthop.family()), " block"));
    }
    for (const StaticRoute& other : routes) {
      if (other.destination == destination) {
        return InvalidField(field + ".destination",
                            absl::StrCat(destination.ToString(), " is given twice"));
      }
    }
    routes.push_back({destination, nexthop});
  }
  return routes;
}

}  // namespace plasmanet::model
