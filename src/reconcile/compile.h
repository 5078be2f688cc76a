// Compile: PlasmaNET objects -> the Northbound rows that implement them. Pure functions of the
// object alone, so the same code serves incremental changes and full resyncs, and tests need
// no OVN (see ../shared/design/ARCHITECTURE.md section 3):
//
//   VPC    -> Logical_Router "pn-vpc-<id>"
//   Subnet -> Logical_Switch "pn-subnet-<id>"
//             + Logical_Router_Port "pn-lrp-<subnet id>" on the VPC's router (gateway addresses)
//             + Logical_Switch_Port "pn-rtr-<subnet id>" of type router, its switch-side peer
//   Port   -> Logical_Switch_Port named by the port id (the iface-id the hypervisor sets on the
//             VM's tap), with its MAC and addresses, and port security unless disabled; a
//             member of its groups' Port_Groups and, with port security, of "pn_drop"
//   Security group -> Port_Group "pn_sg_<id>" + one ACL "pn-<rule id>" per rule, allow-related
//             at kAllowPriority; a remote group is matched by the address sets ovn-northd
//             derives from that group's Port_Group ($pn_sg_<id>_ip4 / _ip6)
//   Security group with logging -> the same, its ACLs logged through the Meter kAclLogMeter,
//             plus two logged drops for its members at kLoggedDropPriority
//   (always) -> Meter kAclLogMeter, and Port_Group "pn_drop" with the default deny: every IP
//             packet to or from a member
//             is dropped at kDropPriority, below every allow, except DHCP to OVN's server (ARP
//             is not IP, and OVN admits IPv6 neighbour discovery before any ACL)
//
// Names are stable (ids, never the mutable display names) and contain only [a-z0-9-], valid
// wherever OVN needs an identifier; the display name and project are in external_ids so
// `ovn-nbctl show` and `ovn-nbctl find` answer an operator's "whose is this?".
#pragma once

#include <map>
#include <string>
#include <vector>

#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

#include "model/port.h"
#include "model/security_group.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "ovsdb/datum.h"
#include "reconcile/nb_schema.h"

namespace plasmanet::reconcile {

// The object a row was compiled from: plasmanet:owner = "<kind>/<id>".
struct OwnerRef {
  // kDefaultDeny has one object, id kDefaultDenyId: the shared drop group.
  enum class Kind { kVpc, kSubnet, kSecurityGroup, kDefaultDeny, kPort };
  Kind kind = Kind::kVpc;
  std::string id;

  std::string ToString() const;
  static std::optional<OwnerRef> Parse(absl::string_view text);

  friend bool operator==(const OwnerRef&, const OwnerRef&) = default;
  // VPCs before subnets before groups before ports: parents and groups before the rows that
  // reference them or join them.
  friend auto operator<=>(const OwnerRef&, const OwnerRef&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const OwnerRef& o) {
    return H::combine(std::move(h), o.kind, o.id);
  }
};

struct DesiredRow {
  NbTable table = NbTable::kLogicalRouter;
  std::string name;
  // Every column PlasmaNET sets, including "name" and "external_ids"; never "ports" (the
  // reference from parent to child is maintained separately, by mutation).
  std::map<std::string, ovsdb::Datum> columns;
  // For rows of non-root tables: the name of the row of ParentTable(table) holding this one.
  std::string parent;
  // For switch ports: the Port_Groups (by name) it belongs to; kept by mutating their "ports".
  std::vector<std::string> groups;
};

inline constexpr absl::string_view kDefaultDenyId = "default-deny";
inline constexpr absl::string_view kDropGroupName = "pn_drop";
// Security group rules sit above the default deny, so a rule's allow always wins. A group with
// logging on repeats the default deny for its members, logged, just above the shared one.
inline constexpr int kAllowPriority = 1002;
inline constexpr int kLoggedDropPriority = 1001;
inline constexpr int kDropPriority = 1000;
// The Meter every logged ACL uses: at most kAclLogRate log entries a second per hypervisor.
inline constexpr absl::string_view kAclLogMeter = "pn-acl-log";
inline constexpr int kAclLogRate = 100;

std::string RouterName(absl::string_view vpc_id);
std::string SwitchName(absl::string_view subnet_id);
std::string RouterPortName(absl::string_view subnet_id);
std::string SwitchRouterPortName(absl::string_view subnet_id);
// "pn_sg_<id with '_' for '-'>": Port_Group names appear in ACL matches (@name, $name_ip4) and
// must match [a-zA-Z_.][a-zA-Z_.0-9]*.
std::string PortGroupName(absl::string_view security_group_id);
// The ACL match of one rule of the group named `group` (a Port_Group name).
std::string AclMatch(const model::SecurityGroupRule& rule, absl::string_view group);
// The subnet gateway's MAC: derived from the subnet id, so it survives a rebuild of NB;
// locally administered unicast.
MacAddress GatewayMac(absl::string_view subnet_id);

std::vector<DesiredRow> CompileVpc(const model::Vpc& vpc);
std::vector<DesiredRow> CompileSubnet(const model::Subnet& subnet);
std::vector<DesiredRow> CompilePort(const model::Port& port);
std::vector<DesiredRow> CompileSecurityGroup(const model::SecurityGroup& group);
std::vector<DesiredRow> CompileDefaultDeny();

}  // namespace plasmanet::reconcile
