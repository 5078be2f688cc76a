#include "model/security_group.h"

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include "common/errors.h"
#include "common/status_macros.h"
#include "common/uuid.h"
#include "model/address_parsing.h"

namespace plasmanet::model {
namespace {

absl::StatusOr<int> ParseProtocol(const std::string& text) {
  if (text.empty() || text == "any") return kAnyProtocol;
  if (text == "tcp") return kProtoTcp;
  if (text == "udp") return kProtoUdp;
  if (text == "icmp") return kProtoIcmp;
  if (text == "icmpv6") return kProtoIcmpv6;
  int number = -1;
  if (text.size() <= 3 && absl::SimpleAtoi(text, &number) && number >= 0 && number <= 255) {
    return number;
  }
  return InvalidField("rule.protocol",
                      absl::StrCat("'", text, "' is not any, tcp, udp, icmp, icmpv6 or 0-255"));
}

absl::Status CheckRange(absl::string_view field, const std::optional<int>& value, int min,
                        int max) {
  if (value.has_value() && (*value < min || *value > max)) {
    return InvalidField(field, absl::StrCat(*value, " is outside ", min, "-", max));
  }
  return absl::OkStatus();
}

absl::Status ValidateProtocolFields(SecurityGroupRule& rule) {
  const bool ports = rule.port_range_min.has_value() || rule.port_range_max.has_value();
  const bool icmp = rule.icmp_type.has_value() || rule.icmp_code.has_value();
  const bool tcp_udp = rule.protocol == kProtoTcp || rule.protocol == kProtoUdp;
  const bool is_icmp = rule.protocol == kProtoIcmp || rule.protocol == kProtoIcmpv6;
  if (ports) {
    if (!tcp_udp) {
      return InvalidField("rule.port_range_min", "port ranges apply only to tcp and udp");
    }
    if (rule.port_range_min.has_value() != rule.port_range_max.has_value()) {
      return InvalidField("rule.port_range_max", "give both ends of the port range or neither");
    }
    PN_RETURN_IF_ERROR(CheckRange("rule.port_range_min", rule.port_range_min, 1, 65535));
    PN_RETURN_IF_ERROR(CheckRange("rule.port_range_max", rule.port_range_max, 1, 65535));
    if (*rule.port_range_min > *rule.port_range_max) {
      return InvalidField("rule.port_range_min", "must not be above port_range_max");
    }
  }
  if (icmp) {
    if (!is_icmp) {
      return InvalidField("rule.icmp_type", "ICMP type and code apply only to icmp and icmpv6");
    }
    if (rule.icmp_code.has_value() && !rule.icmp_type.has_value()) {
      return InvalidField("rule.icmp_code", "an ICMP code needs an ICMP type");
    }
    PN_RETURN_IF_ERROR(CheckRange("rule.icmp_type", rule.icmp_type, 0, 255));
    PN_RETURN_IF_ERROR(CheckRange("rule.icmp_code", rule.icmp_code, 0, 255));
  }
  if (rule.protocol == kProtoIcmp && rule.ethertype != IpFamily::kV4) {
    return InvalidField("rule.protocol", "icmp needs ethertype IPv4; use icmpv6 for IPv6");
  }
  if (rule.protocol == kProtoIcmpv6 && rule.ethertype != IpFamily::kV6) {
    return InvalidField("rule.protocol", "icmpv6 needs ethertype IPv6; use icmp for IPv4");
  }
  return absl::OkStatus();
}

SecurityGroupRule MakeRule(Direction direction, IpFamily family, std::string remote_group) {
  SecurityGroupRule rule;
  rule.direction = direction;
  rule.ethertype = family;
  rule.remote_group_id = std::move(remote_group);
  return rule;
}

}  // namespace

absl::string_view DirectionName(Direction d) {
  return d == Direction::kIngress ? "ingress" : "egress";
}

std::string ProtocolName(int protocol) {
  switch (protocol) {
    case kAnyProtocol:
      return "any";
    case kProtoTcp:
      return "tcp";
    case kProtoUdp:
      return "udp";
    case kProtoIcmp:
      return "icmp";
    case kProtoIcmpv6:
      return "icmpv6";
    default:
      return absl::StrCat(protocol);
  }
}

bool SecurityGroupRule::SameMatch(const SecurityGroupRule& o) const {
  return direction == o.direction && ethertype == o.ethertype && protocol == o.protocol &&
         port_range_min == o.port_range_min && port_range_max == o.port_range_max &&
         icmp_type == o.icmp_type && icmp_code == o.icmp_code &&
         remote_ip_prefix == o.remote_ip_prefix && remote_group_id == o.remote_group_id;
}

absl::StatusOr<SecurityGroup> BuildSecurityGroup(const SecurityGroupSpec& spec) {
  SecurityGroup group;
  PN_RETURN_IF_ERROR(ValidateNameAndLabels("security_group", spec.name, spec.labels));
  PN_RETURN_IF_ERROR(
      ValidateText("security_group.description", spec.description, kMaxDescriptionBytes));
  group.meta.name = spec.name;
  group.meta.labels = spec.labels;
  group.description = spec.description;
  group.log = spec.log;
  return group;
}

absl::StatusOr<SecurityGroupRule> BuildSecurityGroupRule(const SecurityGroupRuleSpec& spec) {
  SecurityGroupRule rule;
  if (spec.direction == "ingress") {
    rule.direction = Direction::kIngress;
  } else if (spec.direction == "egress") {
    rule.direction = Direction::kEgress;
  } else {
    return InvalidField("rule.direction",
                        absl::StrCat("'", spec.direction, "' is not ingress or egress"));
  }
  if (spec.ethertype == "IPv4") {
    rule.ethertype = IpFamily::kV4;
  } else if (spec.ethertype == "IPv6") {
    rule.ethertype = IpFamily::kV6;
  } else {
    return InvalidField("rule.ethertype",
                        absl::StrCat("'", spec.ethertype, "' is not IPv4 or IPv6"));
  }
  PN_ASSIGN_OR_RETURN(rule.protocol, ParseProtocol(spec.protocol));
  rule.port_range_min = spec.port_range_min;
  rule.port_range_max = spec.port_range_max;
  rule.icmp_type = spec.icmp_type;
  rule.icmp_code = spec.icmp_code;
  PN_RETURN_IF_ERROR(ValidateProtocolFields(rule));

  if (!spec.remote_ip_prefix.empty() && !spec.remote_group_id.empty()) {
    return InvalidField("rule.remote_group_id",
                        "give a remote_ip_prefix or a remote_group_id, not both");
  }
  if (!spec.remote_ip_prefix.empty()) {
    PN_ASSIGN_OR_RETURN(IpPrefix prefix,
                        ParsePrefixField("rule.remote_ip_prefix", spec.remote_ip_prefix));
    if (prefix.family() != rule.ethertype) {
      return InvalidField(
          "rule.remote_ip_prefix",
          absl::StrCat(prefix.ToString(), " is not of ethertype ", IpFamilyName(rule.ethertype)));
    }
    rule.remote_ip_prefix = prefix;
  }
  if (!spec.remote_group_id.empty()) {
    if (!IsUuid(spec.remote_group_id)) {
      return InvalidField("rule.remote_group_id",
                          absl::StrCat("'", spec.remote_group_id, "' is not a group id"));
    }
    rule.remote_group_id = spec.remote_group_id;
  }
  return rule;
}

std::vector<SecurityGroupRule> AllowAllEgressRules() {
  return {MakeRule(Direction::kEgress, IpFamily::kV4, ""),
          MakeRule(Direction::kEgress, IpFamily::kV6, "")};
}

std::vector<SecurityGroupRule> DefaultGroupRules(const std::string& self_id) {
  std::vector<SecurityGroupRule> rules = AllowAllEgressRules();
  rules.push_back(MakeRule(Direction::kIngress, IpFamily::kV4, self_id));
  rules.push_back(MakeRule(Direction::kIngress, IpFamily::kV6, self_id));
  return rules;
}

}  // namespace plasmanet::model
