#include "model/port.h"

#include <algorithm>
#include <set>

#include <absl/strings/str_cat.h>

#include "common/errors.h"
#include "common/status_macros.h"
#include "common/uuid.h"
#include "model/address_parsing.h"

namespace plasmanet::model {
namespace {

absl::Status BuildFixedIps(const PortSpec& spec, const Subnet& subnet, PortDraft& draft) {
  for (size_t i = 0; i < spec.fixed_ips.size(); ++i) {
    const std::string field = absl::StrCat("port.fixed_ips[", i, "]");
    PN_ASSIGN_OR_RETURN(IpAddress ip, ParseIpField(field, spec.fixed_ips[i]));
    const std::optional<SubnetFamily>& family = subnet.family(ip.family());
    if (!family.has_value()) {
      return InvalidField(field,
                          absl::StrCat("the subnet has no ", IpFamilyName(ip.family()), " CIDR"));
    }
    if (!family->cidr.Contains(ip)) {
      return InvalidField(
          field, absl::StrCat(ip.ToString(), " is outside the subnet ", family->cidr.ToString()));
    }
    if (!ip.is_v4() && subnet.ipv6_slaac()) {
      return InvalidField(field,
                          "the subnet's IPv6 addresses come from SLAAC (the EUI-64 address of the "
                          "port's MAC): leave the IPv6 address out");
    }
    if (std::string reason = ReservedAddressReason(*family, ip); !reason.empty()) {
      return InvalidField(field, absl::StrCat(ip.ToString(), " ", reason));
    }
    for (const IpAddress& other : draft.port.fixed_ips) {
      if (other.family() == ip.family()) {
        return InvalidField(
            field, absl::StrCat("a port has at most one ", IpFamilyName(ip.family()), " address"));
      }
    }
    draft.port.fixed_ips.push_back(ip);
  }
  for (IpFamily f : {IpFamily::kV4, IpFamily::kV6}) {
    const bool requested = std::any_of(draft.port.fixed_ips.begin(), draft.port.fixed_ips.end(),
                                       [&](const IpAddress& a) { return a.family() == f; });
    const bool slaac = f == IpFamily::kV6 && subnet.ipv6_slaac();  // the service derives it
    if (subnet.family(f).has_value() && !requested && !slaac) {
      draft.families_to_allocate.push_back(f);
    }
  }
  return absl::OkStatus();
}

absl::Status BuildSecurity(const PortSpec& spec, PortDraft& draft) {
  Port& port = draft.port;
  port.port_security_enabled = spec.port_security_enabled.value_or(true);
  if (spec.security_group_ids.has_value()) {
    const std::vector<std::string>& ids = *spec.security_group_ids;
    if (ids.size() > kMaxPortSecurityGroups) {
      return InvalidField("port.security_group_ids",
                          absl::StrCat("at most ", kMaxPortSecurityGroups, " groups"));
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::string field = absl::StrCat("port.security_group_ids[", i, "]");
      if (!IsUuid(ids[i])) {
        return InvalidField(field, absl::StrCat("'", ids[i], "' is not a security group id"));
      }
      if (!seen.insert(ids[i]).second) {
        return InvalidField(field, absl::StrCat("group ", ids[i], " is listed twice"));
      }
    }
    port.security_group_ids = ids;
  } else {
    draft.use_default_group = port.port_security_enabled;
  }
  if (!port.port_security_enabled && !port.security_group_ids.empty()) {
    return InvalidField("port.security_group_ids",
                        "a port with port security disabled cannot be in security groups");
  }

  if (spec.allowed_address_pairs.size() > kMaxAllowedAddressPairs) {
    return InvalidField("port.allowed_address_pairs",
                        absl::StrCat("at most ", kMaxAllowedAddressPairs, " pairs"));
  }
  if (!port.port_security_enabled && !spec.allowed_address_pairs.empty()) {
    return InvalidField("port.allowed_address_pairs",
                        "allowed address pairs need port security enabled");
  }
  for (size_t i = 0; i < spec.allowed_address_pairs.size(); ++i) {
    const std::string field = absl::StrCat("port.allowed_address_pairs[", i, "]");
    const AllowedAddressPairSpec& pair = spec.allowed_address_pairs[i];
    AllowedAddressPair out;
    if (pair.ip_address.find('/') != std::string::npos) {
      PN_ASSIGN_OR_RETURN(out.prefix, ParsePrefixField(field + ".ip_address", pair.ip_address));
    } else {
      PN_ASSIGN_OR_RETURN(IpAddress ip, ParseIpField(field + ".ip_address", pair.ip_address));
      out.prefix = IpPrefix(ip, ip.bit_width());
    }
    if (!pair.mac_address.empty()) {
      PN_ASSIGN_OR_RETURN(MacAddress mac, ParseMacField(field + ".mac_address", pair.mac_address));
      if (mac.is_multicast() || mac.is_zero()) {
        return InvalidField(field + ".mac_address", "must be a unicast, non-zero MAC");
      }
      out.mac = mac;
    }
    port.allowed_address_pairs.push_back(out);
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view PortStatusName(PortStatus status) {
  switch (status) {
    case PortStatus::kDown:
      return "DOWN";
    case PortStatus::kBuild:
      return "BUILD";
    case PortStatus::kActive:
      return "ACTIVE";
    case PortStatus::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

std::optional<PortStatus> ParsePortStatus(absl::string_view name) {
  for (PortStatus s :
       {PortStatus::kDown, PortStatus::kBuild, PortStatus::kActive, PortStatus::kError}) {
    if (PortStatusName(s) == name) {
      return s;
    }
  }
  return std::nullopt;
}

absl::StatusOr<PortDraft> BuildPort(const PortSpec& spec, const Subnet& subnet) {
  PortDraft draft;
  Port& port = draft.port;
  PN_RETURN_IF_ERROR(ValidateNameAndLabels("port", spec.name, spec.labels));
  port.meta.name = spec.name;
  port.meta.labels = spec.labels;
  port.subnet_id = subnet.meta.id;
  port.vpc_id = subnet.vpc_id;

  if (spec.mac_address.empty()) {
    draft.generate_mac = true;
  } else {
    PN_ASSIGN_OR_RETURN(port.mac, ParseMacField("port.mac_address", spec.mac_address));
    if (port.mac.is_multicast() || port.mac.is_zero()) {
      return InvalidField("port.mac_address", "must be a unicast, non-zero MAC");
    }
  }
  PN_RETURN_IF_ERROR(BuildFixedIps(spec, subnet, draft));
  PN_RETURN_IF_ERROR(BuildSecurity(spec, draft));
  PN_RETURN_IF_ERROR(ValidateText("port.device_id", spec.device_id, kMaxDeviceFieldBytes));
  PN_RETURN_IF_ERROR(ValidateText("port.device_owner", spec.device_owner, kMaxDeviceFieldBytes));
  port.device_id = spec.device_id;
  port.device_owner = spec.device_owner;
  return draft;
}

}  // namespace plasmanet::model
