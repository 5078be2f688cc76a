#include "model/port.h"

#include <algorithm>
#include <set>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>

#include "common/errors.h"
#include "common/status_macros.h"
#include "common/uuid.h"
#include "model/address_parsing.h"

namespace plasmanet::model {
namespace {

struct ExtraDhcpOption {
  absl::string_view name;
  DhcpOptionType type;
};

// What a port may add (sorted by name): network boot, time and proxy discovery, search domains.
// OVN knows more options; these are the ones asked for (#8), typed as OVN's option table
// (lib/ovn-l7.h) types them, with "host_id" and "domains" values written as text.
constexpr ExtraDhcpOption kExtraDhcpOptions[] = {
    {"bootfile_name", DhcpOptionType::kString},
    {"bootfile_name_alt", DhcpOptionType::kString},
    {"domain_search_list", DhcpOptionType::kString},
    {"next_server", DhcpOptionType::kIpv4},
    {"ntp_server", DhcpOptionType::kIpv4List},
    {"path_prefix", DhcpOptionType::kString},
    {"tftp_server", DhcpOptionType::kString},
    {"tftp_server_address", DhcpOptionType::kIpv4},
    {"wpad", DhcpOptionType::kString},
};

// Options that follow from the subnet (netmask: ovn-northd derives it from the CIDR); a port's
// value would contradict it.
constexpr absl::string_view kSubnetDhcpOptions[] = {
    "server_id", "server_mac",  "lease_time",
    "router",    "netmask",     "dns_server",
    "mtu",       "domain_name", "classless_static_route"};

// Inside OVN's double quotes these would end the string or start an escape or a set.
bool IsPlainDhcpText(absl::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' && c != '{' && c != '}';
  });
}

absl::StatusOr<std::string> BuildDhcpOptionValue(const std::string& field, DhcpOptionType type,
                                                 const std::string& value) {
  if (value.empty() || value.size() > kMaxDhcpOptionValueBytes) {
    return InvalidField(field, absl::StrCat("the value must be 1 to ", kMaxDhcpOptionValueBytes,
                                            " bytes long, not ", value.size()));
  }
  if (type == DhcpOptionType::kString) {
    if (!IsPlainDhcpText(value)) {
      return InvalidField(field,
                          "the value must be printable ASCII without '\"', '\\', '{' or '}'");
    }
    return value;
  }
  std::vector<std::string> canonical;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    absl::StatusOr<IpAddress> ip = IpAddress::Parse(absl::StripAsciiWhitespace(part));
    if (!ip.ok() || !ip->is_v4()) {
      return InvalidField(field, absl::StrCat("'", part, "' is not an IPv4 address",
                                              type == DhcpOptionType::kIpv4List
                                                  ? " (a list is IPv4 addresses separated by ',')"
                                                  : ""));
    }
    canonical.push_back(ip->ToString());
  }
  if (type == DhcpOptionType::kIpv4 && canonical.size() > 1) {
    return InvalidField(field, "takes one IPv4 address");
  }
  return absl::StrJoin(canonical, ",");
}

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

std::optional<DhcpOptionType> ExtraDhcpOptionType(absl::string_view name) {
  for (const ExtraDhcpOption& option : kExtraDhcpOptions) {
    if (option.name == name) return option.type;
  }
  return std::nullopt;
}

absl::StatusOr<DhcpOptionMap> BuildExtraDhcpOptions(const DhcpOptionMap& options) {
  if (options.size() > kMaxExtraDhcpOptions) {
    return InvalidField("port.extra_dhcp_options", absl::StrCat("at most ", kMaxExtraDhcpOptions,
                                                                " options, not ", options.size()));
  }
  DhcpOptionMap out;
  for (const auto& [name, value] : options) {
    const std::string field = absl::StrCat("port.extra_dhcp_options[", name, "]");
    if (std::find(std::begin(kSubnetDhcpOptions), std::end(kSubnetDhcpOptions), name) !=
        std::end(kSubnetDhcpOptions)) {
      return InvalidField(field, absl::StrCat("option ", name,
                                              " is set from the subnet (its gateway, DNS servers, "
                                              "MTU, host routes and name): change the subnet"));
    }
    if (name == "hostname") {
      return InvalidField(field, "the host name is set from the port's name: rename the port");
    }
    const std::optional<DhcpOptionType> type = ExtraDhcpOptionType(name);
    if (!type) {
      std::vector<absl::string_view> allowed;
      for (const ExtraDhcpOption& option : kExtraDhcpOptions) allowed.push_back(option.name);
      return InvalidField(field, absl::StrCat("'", name, "' is not an option a port may set; ",
                                              "allowed: ", absl::StrJoin(allowed, ", ")));
    }
    PN_ASSIGN_OR_RETURN(out[name], BuildDhcpOptionValue(field, *type, value));
  }
  return out;
}

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
  PN_ASSIGN_OR_RETURN(port.extra_dhcp_options, BuildExtraDhcpOptions(spec.extra_dhcp_options));
  return draft;
}

}  // namespace plasmanet::model
