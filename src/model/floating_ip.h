// FloatingIp: an address of an external network owned by a project, optionally mapped 1:1
// onto one fixed IPv4 address of one of the project's ports.
#pragma once

#include <optional>
#include <string>

#include <absl/status/statusor.h>

#include "common/ip_address.h"
#include "model/meta.h"

namespace plasmanet::model {

struct FloatingIpSpec {
  std::string name;
  Labels labels;
  std::string external_network_id;
  std::string floating_ip_address;  // empty: allocated from the external network's pools
  std::string port_id;              // empty: not associated
  std::string fixed_ip_address;     // empty: the port's IPv4 address
};

struct FloatingIp {
  ObjectMeta meta;
  std::string external_network_id;
  IpAddress address;
  std::string port_id;
  std::optional<IpAddress> fixed_ip;  // set iff port_id is
  std::string vpc_id;                 // the port's VPC, set iff port_id is: whose router NATs
};

// Validates the syntax of `spec`: ids, address text. The service checks references.
absl::Status ValidateFloatingIpSpec(const FloatingIpSpec& spec);

}  // namespace plasmanet::model
