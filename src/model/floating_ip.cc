#include "model/floating_ip.h"

#include <absl/strings/str_cat.h>

#include "common/errors.h"
#include "common/status_macros.h"
#include "common/uuid.h"
#include "model/address_parsing.h"

namespace plasmanet::model {

absl::Status ValidateFloatingIpSpec(const FloatingIpSpec& spec) {
  PN_RETURN_IF_ERROR(ValidateNameAndLabels("floating_ip", spec.name, spec.labels));
  if (!IsUuid(spec.external_network_id)) {
    return InvalidField("floating_ip.external_network_id",
                        absl::StrCat("'", spec.external_network_id, "' is not a network id"));
  }
  if (!spec.floating_ip_address.empty()) {
    PN_RETURN_IF_ERROR(
        ParseIpField("floating_ip.floating_ip_address", spec.floating_ip_address).status());
  }
  if (!spec.port_id.empty() && !IsUuid(spec.port_id)) {
    return InvalidField("floating_ip.port_id",
                        absl::StrCat("'", spec.port_id, "' is not a port id"));
  }
  if (!spec.fixed_ip_address.empty()) {
    if (spec.port_id.empty()) {
      return InvalidField("floating_ip.fixed_ip_address", "needs a port_id");
    }
    PN_ASSIGN_OR_RETURN(IpAddress fixed,
                        ParseIpField("floating_ip.fixed_ip_address", spec.fixed_ip_address));
    if (!fixed.is_v4()) {
      return InvalidField("floating_ip.fixed_ip_address", "floating IPs map IPv4 addresses");
    }
  }
  return absl::OkStatus();
}

}  // namespace plasmanet::model
