// SecurityGroup: a set of stateful allow rules applied to its member ports. Anything no rule
// of a port's groups allows is dropped (default deny); replies to an allowed connection are
// always allowed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "common/ip_address.h"
#include "common/ip_prefix.h"
#include "model/meta.h"

namespace plasmanet::model {

enum class Direction { kIngress, kEgress };
absl::string_view DirectionName(Direction d);  // "ingress" / "egress"

// IP protocol number; kAnyProtocol matches every protocol.
inline constexpr int kAnyProtocol = -1;
inline constexpr int kProtoIcmp = 1;
inline constexpr int kProtoTcp = 6;
inline constexpr int kProtoUdp = 17;
inline constexpr int kProtoIcmpv6 = 58;
// "any", "tcp", "udp", "icmp", "icmpv6" or the number; kAnyProtocol prints as "any".
std::string ProtocolName(int protocol);

struct SecurityGroupRuleSpec {
  std::string direction;  // "ingress" | "egress"
  std::string ethertype;  // "IPv4" | "IPv6"
  std::string protocol;   // "any" (or empty), "tcp", "udp", "icmp", "icmpv6", or "0".."255"
  std::optional<int> port_range_min;
  std::optional<int> port_range_max;
  std::optional<int> icmp_type;
  std::optional<int> icmp_code;
  std::string remote_ip_prefix;
  std::string remote_group_id;
};

struct SecurityGroupRule {
  std::string id;
  Direction direction = Direction::kIngress;
  IpFamily ethertype = IpFamily::kV4;
  int protocol = kAnyProtocol;
  std::optional<int> port_range_min;
  std::optional<int> port_range_max;
  std::optional<int> icmp_type;
  std::optional<int> icmp_code;
  std::optional<IpPrefix> remote_ip_prefix;
  std::string remote_group_id;

  // Same match, whatever the id: two such rules would be duplicates.
  bool SameMatch(const SecurityGroupRule& other) const;
};

struct SecurityGroupSpec {
  std::string name;
  Labels labels;
  std::string description;
  bool log = false;
};

struct SecurityGroup {
  ObjectMeta meta;
  std::string description;
  bool is_default = false;  // the project's default group: cannot be deleted
  std::vector<SecurityGroupRule> rules;
  // Log the members' allowed and dropped connections (OVN ACL logging, rate-limited).
  bool log = false;
};

inline constexpr size_t kMaxRulesPerGroup = 100;
inline constexpr size_t kMaxDescriptionBytes = 1024;
inline constexpr absl::string_view kDefaultGroupName = "default";

absl::StatusOr<SecurityGroup> BuildSecurityGroup(const SecurityGroupSpec& spec);

// Validates one rule (without its id). Does not check that remote_group_id exists.
absl::StatusOr<SecurityGroupRule> BuildSecurityGroupRule(const SecurityGroupRuleSpec& spec);

// Rules without ids: allow all egress, IPv4 and IPv6; what every new group starts with.
std::vector<SecurityGroupRule> AllowAllEgressRules();
// The default group's rules: allow all egress; ingress only from members of `self_id`.
std::vector<SecurityGroupRule> DefaultGroupRules(const std::string& self_id);

}  // namespace plasmanet::model
