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

}  // namespace plasmanet::model
