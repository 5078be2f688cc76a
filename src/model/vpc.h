// Vpc: a tenant's private address space and, in OVN, its own logical router. Overlapping CIDRs
// across VPCs are normal: isolation comes from the router, not from the addresses.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "common/ip_prefix.h"
#include "model/meta.h"

namespace plasmanet::model {

// What a caller asks for, as text; BuildVpc turns it into a validated Vpc.
struct VpcSpec {
  std::string name;
  Labels labels;
  std::vector<std::string> cidr_blocks;
};

struct Vpc {
  ObjectMeta meta;
  std::vector<IpPrefix> cidr_blocks;  // at most one per family

  // The block of `family`, if the VPC has one.
  std::optional<IpPrefix> block(IpFamily family) const;
};

inline constexpr int kMinVpcV4Length = 8;
inline constexpr int kMaxVpcV4Length = 29;
inline constexpr int kMinVpcV6Length = 8;
inline constexpr int kMaxVpcV6Length = 64;

// Validates `spec` and returns a Vpc whose meta holds only name and labels. INVALID_ARGUMENT
// names the field: "vpc.cidr_blocks[1]: ...".
absl::StatusOr<Vpc> BuildVpc(const VpcSpec& spec);

}  // namespace plasmanet::model
