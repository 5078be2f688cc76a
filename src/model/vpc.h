// Vpc: a tenant's private address space and, in OVN, its own logical router. Overlapping CIDRs
// across VPCs are normal: isolation comes from the router, not from the addresses.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "common/ip_address.h"
#include "common/ip_prefix.h"
#include "model/meta.h"

namespace plasmanet::model {

// A route on the VPC's router: traffic to `destination` goes to `nexthop`, an address in one
// of the VPC's subnets (an appliance VM: firewall, VPN endpoint). More specific than a subnet,
// a route wins over it; the subnets' own routes stay for everything else.
struct StaticRoute {
  IpPrefix destination;
  IpAddress nexthop;
  friend bool operator==(const StaticRoute&, const StaticRoute&) = default;
};

struct StaticRouteSpec {
  std::string destination;
  std::string nexthop;
};

// The VPC's way out: its router gets `external_ip` on the external network, a default route to
// that network's gateway, and (with SNAT) rewrites its IPv4 subnets' traffic to `external_ip`.
struct VpcGateway {
  std::string external_network_id;
  IpAddress external_ip;  // allocated from the external network's pools
  bool snat_enabled = true;
  friend bool operator==(const VpcGateway&, const VpcGateway&) = default;
};

struct VpcGatewaySpec {
  std::string external_network_id;
  bool snat_enabled = true;
};

// What a caller asks for, as text; BuildVpc turns it into a validated Vpc, and the service
// attaches the gateway (it allocates the address).
struct VpcSpec {
  std::string name;
  Labels labels;
  std::vector<std::string> cidr_blocks;
  std::optional<VpcGatewaySpec> gateway;
};

struct Vpc {
  ObjectMeta meta;
  std::vector<IpPrefix> cidr_blocks;  // at most one per family
  std::optional<VpcGateway> gateway;
  std::vector<StaticRoute> static_routes;

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

inline constexpr size_t kMaxStaticRoutes = 64;

// Parses and checks routes on their own: syntax, one family per route, a destination at most
// once, no default route (the gateway owns 0.0.0.0/0 and ::/0), the next hop inside one of the
// VPC's blocks. Whether the next hop is in a subnet is the service's check (it reads them).
// INVALID_ARGUMENT names the field: "vpc.static_routes[2].nexthop: ...".
absl::StatusOr<std::vector<StaticRoute>> BuildStaticRoutes(
    const std::vector<StaticRouteSpec>& specs, const Vpc& vpc);

}  // namespace plasmanet::model
