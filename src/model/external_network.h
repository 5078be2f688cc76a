// ExternalNetwork: a provider network outside the tenants' overlay, defined by the platform
// admin. VPC gateways SNAT onto it and floating IPs come from its pools. Every tenant may read
// external networks; only admins create or delete them.
#pragma once

#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "common/ip_address.h"
#include "common/ip_prefix.h"
#include "model/meta.h"
#include "model/subnet.h"

namespace plasmanet::model {

struct ExternalNetworkSpec {
  std::string name;
  Labels labels;
  std::string cidr;
  std::string gateway_ip;
  std::string physical_network;
  std::vector<AddressRangeSpec> floating_ip_pools;  // empty: all of the CIDR but reserved ones
};

struct ExternalNetwork {
  ObjectMeta meta;
  IpPrefix cidr;
  IpAddress gateway_ip;
  std::string physical_network;
  std::vector<AddressRange> floating_ip_pools;
};

absl::StatusOr<ExternalNetwork> BuildExternalNetwork(const ExternalNetworkSpec& spec);

// The external network seen as a subnet, so IPAM can serve floating IPs with the same code.
SubnetFamily AddressFamilyOf(const ExternalNetwork& network);

}  // namespace plasmanet::model
