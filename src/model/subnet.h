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
#include "common/mac_address.h"
#include "model/meta.h"
#include "model/vpc.h"

namespace plasmanet::model {

struct AddressRangeSpec {
  std::string start;
  std::string end;
};

// A route handed to the subnet's VMs by DHCP (option 121): destination -> next hop, which lies
// in the subnet. IPv4 only: DHCPv6 has no route option.
struct HostRouteSpec {
  std::string destination;
  std::string nexthop;
};

struct HostRoute {
  IpPrefix destination;
  IpAddress nexthop;
  friend bool operator==(const HostRoute&, const HostRoute&) = default;
};

// How VMs on the subnet configure IPv6 (the router advertisement's M and O flags):
//   dhcpv6-stateful   the address from DHCPv6 (the port's IPAM address, from the pools)
//   dhcpv6-stateless  the address by SLAAC, DNS by DHCPv6
//   slaac             the address by SLAAC, DNS from the router advertisement (RDNSS)
// With SLAAC the address is the EUI-64 one of the port's MAC in a /64, which the port service
// assigns, so port security and the VM agree.
enum class Ipv6AddressMode { kDhcpv6Stateful, kDhcpv6Stateless, kSlaac };

absl::string_view Ipv6AddressModeName(Ipv6AddressMode mode);
std::optional<Ipv6AddressMode> ParseIpv6AddressMode(absl::string_view name);

// The MTU a subnet can have: the underlay's minus what Geneve encapsulation adds to every
// packet that crosses hypervisors (outer IPv4 20 + UDP 8 + Geneve 8 + OVN's option 8 + the
// inner Ethernet header 14 = 58 bytes). plasmanetd sets the underlay MTU.
inline constexpr int kDefaultUnderlayMtu = 1500;
inline constexpr int kGeneveOverhead = 58;
inline constexpr int kMinMtuV4 = 576;   // RFC 791: every IPv4 host takes 576-byte datagrams
inline constexpr int kMinMtuV6 = 1280;  // RFC 8200: the IPv6 minimum link MTU

struct NetworkLimits {
  int max_mtu = kDefaultUnderlayMtu - kGeneveOverhead;  // also the default
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
  std::optional<int> mtu;  // default NetworkLimits::max_mtu
  std::vector<HostRouteSpec> host_routes;
  std::string ipv6_address_mode;  // empty: dhcpv6-stateful
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
  int mtu = 0;  // 0 in subnets stored before MTUs existed: the platform default
  std::vector<HostRoute> host_routes;
  Ipv6AddressMode ipv6_address_mode = Ipv6AddressMode::kDhcpv6Stateful;

  // IPv6 addresses come from SLAAC (EUI-64 of the MAC) rather than from the pools.
  bool ipv6_slaac() const {
    return ipv6.has_value() && ipv6_address_mode != Ipv6AddressMode::kDhcpv6Stateful;
  }

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
inline constexpr size_t kMaxHostRoutes = 16;

// Validates `spec` against its `vpc` (already known to be in the same project) and fills in
// defaults. Does not check siblings: overlap with other subnets needs the store, see
// FindOverlappingSubnet. Errors are INVALID_ARGUMENT naming the field.
absl::StatusOr<Subnet> BuildSubnet(const SubnetSpec& spec, const Vpc& vpc,
                                   const NetworkLimits& limits = {});

// The settings a subnet's update may change, checked as on create; on error `subnet` is
// unchanged.
absl::Status SetDnsServers(const std::vector<std::string>& servers, Subnet& subnet);
absl::Status SetMtu(int mtu, const NetworkLimits& limits, Subnet& subnet);
absl::Status SetHostRoutes(const std::vector<HostRouteSpec>& routes, Subnet& subnet);

// The SLAAC address of `mac` in the /64 `prefix` (modified EUI-64, RFC 4291 appendix A).
IpAddress Eui64Address(const IpPrefix& prefix, const MacAddress& mac);

// The first of `siblings` whose CIDR of either family overlaps `subnet`, or nullptr.
const Subnet* FindOverlappingSubnet(const Subnet& subnet, const std::vector<Subnet>& siblings);

// Why `address` may not be given to a port of `family`: it is the network, broadcast or
// gateway address. Empty when it may (it need not lie in a pool).
std::string ReservedAddressReason(const SubnetFamily& family, const IpAddress& address);

}  // namespace plasmanet::model
