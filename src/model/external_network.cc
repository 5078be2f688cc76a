#include "model/external_network.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_replace.h>

#include "common/errors.h"
#include "common/status_macros.h"

namespace plasmanet::model {
namespace {

bool IsPhysicalNetworkName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

// Rewrites the subnet field names BuildSubnet reports into this object's names.
absl::Status Rename(const absl::Status& status) {
  std::optional<std::string> field = ErrorField(status);
  if (status.ok() || !field.has_value()) {
    return status;
  }
  const std::string renamed = absl::StrReplaceAll(
      *field, {{"subnet.ipv4_cidr", "external_network.cidr"},
               {"subnet.ipv6_cidr", "external_network.cidr"},
               {"subnet.gateway_ipv4", "external_network.gateway_ip"},
               {"subnet.gateway_ipv6", "external_network.gateway_ip"},
               {"subnet.allocation_pools", "external_network.floating_ip_pools"}});
  std::string message(status.message());
  message = absl::StrReplaceAll(message, {{*field, renamed}});
  return FieldError(status.code(), renamed, message.substr(renamed.size() + 2));
}

}  // namespace

absl::StatusOr<ExternalNetwork> BuildExternalNetwork(const ExternalNetworkSpec& spec) {
  ExternalNetwork network;
  PN_RETURN_IF_ERROR(ValidateNameAndLabels("external_network", spec.name, spec.labels));
  network.meta.name = spec.name;
  network.meta.labels = spec.labels;
  if (!IsPhysicalNetworkName(spec.physical_network)) {
    return InvalidField("external_network.physical_network",
                        "must be 1 to 64 characters of letters, digits, _ and -");
  }
  network.physical_network = spec.physical_network;
  if (spec.cidr.empty()) {
    return InvalidField("external_network.cidr", "is required");
  }
  if (spec.gateway_ip.empty()) {
    return InvalidField("external_network.gateway_ip", "is required");
  }

  // An external network's addressing follows the same rules as a subnet's, so reuse them: a
  // stand-in VPC block of the whole address family lets any provider CIDR through.
  const bool v6 = spec.cidr.find(':') != std::string::npos;
  Vpc everything;
  everything.cidr_blocks.push_back(*IpPrefix::Parse(v6 ? "::/0" : "0.0.0.0/0"));
  SubnetSpec as_subnet;
  (v6 ? as_subnet.ipv6_cidr : as_subnet.ipv4_cidr) = spec.cidr;
  (v6 ? as_subnet.gateway_ipv6 : as_subnet.gateway_ipv4) = spec.gateway_ip;
  as_subnet.allocation_pools = spec.floating_ip_pools;
  absl::StatusOr<Subnet> subnet = BuildSubnet(as_subnet, everything);
  if (!subnet.ok()) {
    return Rename(subnet.status());
  }
  const SubnetFamily& family = v6 ? *subnet->ipv6 : *subnet->ipv4;
  network.cidr = family.cidr;
  network.gateway_ip = family.gateway;
  network.floating_ip_pools = family.pools;
  return network;
}

SubnetFamily AddressFamilyOf(const ExternalNetwork& network) {
  return SubnetFamily{network.cidr, network.gateway_ip, network.floating_ip_pools};
}

}  // namespace plasmanet::model
