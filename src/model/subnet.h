// Subnet: one L2 segment of a VPC (an OVN logical switch), IPv4, IPv6 or dual stack.
//
// Each family has a CIDR inside the VPC's block of that family, a gateway address (the VPC
// router's port on the segment) and allocation pools from which IPAM hands out addresses.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "common/ip_address.h"
#include "common/ip_prefix.h"
#include "model/meta.h"
#include "model/vpc.h"

namespace plasmanet::model {

struct AddressRangeSpec {
  std::string start;
  std::string end;
};

struct SubnetSpec {
  std::string name;
  Labels labels;
  std::string vpc_id;
  std::string ipv4_cidr;     // empty: no IPv4 on this subnet
  std::string ipv6_cidr;     // empty: no IPv6 on this subnet
  std::string gateway_ipv4;  // empty: first address after the network address
  std::string gateway_ipv6;
  std::vector<AddressRangeSpec> allocation_pools;  // empty for a family: the default pool
  std::optional<bool> dhcp_enabled;                // default true
  std::vector<std::string> dns_servers;
};

// An inclusive range of addresses of one family.
struct AddressRange {
  IpAddress first;
  IpAddress last;
  friend bool operator==(const AddressRange&, const AddressRange&) = default;
};

struct SubnetFamily {
  IpPrefix cidr;
  IpAddress gateway;
  std::vector<AddressRange> pools;  // sorted, non-overlapping
};

struct Subnet {
  ObjectMeta meta;
  std::string vpc_id;
  std::optional<SubnetFamily> ipv4;
  std::optional<SubnetFamily> ipv6;
  bool dhcp_enabled = true;
  std::vector<IpAddress> dns_servers;

  const std::optional<SubnetFamily>& family(IpFamily f) const {
    return f == IpFamily::kV4 ? ipv4 : ipv6;
  }
};

inline constexpr int kMinSubnetV4Length = 8;
inline constexpr int kMaxSubnetV4Length = 29;
inline constexpr int kMinSubnetV6Length = 64;
inline constexpr int kMaxSubnetV6Length = 124;
inline constexpr size_t kMaxAllocationPools = 16;
inline constexpr size_t kMaxDnsServers = 5;

// Validates `spec` against its `vpc` (already known to be in the same project) and fills in
// defaults. Does not check siblings: overlap with other subnets needs the store, see
// FindOverlappingSubnet. Errors are INVALID_ARGUMENT naming the field.
absl::StatusOr<Subnet> BuildSubnet(const SubnetSpec& spec, const Vpc& vpc);

// The first of `siblings` whose CIDR of either family overlaps `subnet`, or nullptr.
const Subnet* FindOverlappingSubnet(const Subnet& subnet, const std::vector<Subnet>& siblings);

// Why `address` may not be given to a port of `family`: it is the network, broadcast or
// gateway address. Empty when it may (it need not lie in a pool).
std::string ReservedAddressReason(const SubnetFamily& family, const IpAddress& address);

}  // namespace plasmanet::model
