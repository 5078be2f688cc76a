#include "reconcile/nb_schema.h"

namespace plasmanet::reconcile {

absl::string_view NbTableName(NbTable table) {
  switch (table) {
    case NbTable::kLogicalRouter:
      return "Logical_Router";
    case NbTable::kLogicalRouterPort:
      return "Logical_Router_Port";
    case NbTable::kLogicalSwitch:
      return "Logical_Switch";
    case NbTable::kLogicalSwitchPort:
      return "Logical_Switch_Port";
    case NbTable::kPortGroup:
      return "Port_Group";
    case NbTable::kAcl:
      return "ACL";
    case NbTable::kMeter:
      return "Meter";
    case NbTable::kMeterBand:
      return "Meter_Band";
    case NbTable::kDhcpOptions:
      return "DHCP_Options";
    case NbTable::kDns:
      return "DNS";
    case NbTable::kStaticRoute:
      return "Logical_Router_Static_Route";
    case NbTable::kNat:
      return "NAT";
    case NbTable::kHaChassisGroup:
      return "HA_Chassis_Group";
    case NbTable::kHaChassis:
      return "HA_Chassis";
  }
  return "";
}

bool IsRootTable(NbTable table) {
  return table == NbTable::kLogicalRouter || table == NbTable::kLogicalSwitch ||
         table == NbTable::kPortGroup || table == NbTable::kMeter ||
         table == NbTable::kDhcpOptions || table == NbTable::kDns ||
         table == NbTable::kHaChassisGroup;
}

bool HasNameColumn(NbTable table) {
  switch (table) {
    case NbTable::kMeterBand:
    case NbTable::kDhcpOptions:
    case NbTable::kDns:
    case NbTable::kStaticRoute:
    case NbTable::kNat:
    case NbTable::kHaChassis:
      return false;
    default:
      return true;
  }
}

bool HoldsStrongRootReferences(NbTable table) { return table == NbTable::kLogicalRouterPort; }

bool IsMutatedMap(NbTable table, absl::string_view column) {
  return table == NbTable::kDns && column == "records";
}

NbTable ParentTable(NbTable child) {
  switch (child) {
    case NbTable::kLogicalRouterPort:
    case NbTable::kStaticRoute:
    case NbTable::kNat:
      return NbTable::kLogicalRouter;
    case NbTable::kAcl:
      return NbTable::kPortGroup;
    case NbTable::kMeterBand:
      return NbTable::kMeter;
    case NbTable::kHaChassis:
      return NbTable::kHaChassisGroup;
    default:
      return NbTable::kLogicalSwitch;
  }
}

absl::string_view ChildColumn(NbTable child) {
  switch (child) {
    case NbTable::kStaticRoute:
      return "static_routes";
    case NbTable::kNat:
      return "nat";
    case NbTable::kAcl:
      return "acls";
    case NbTable::kMeterBand:
      return "bands";
    case NbTable::kHaChassis:
      return "ha_chassis";
    default:
      return "ports";
  }
}

const std::vector<ovsdb::TableColumns>& MonitoredNbColumns() {
  static const auto* columns = new std::vector<ovsdb::TableColumns>{
      {"Logical_Router", {"name", "ports", "static_routes", "nat", "external_ids"}},
      {"Logical_Router_Port",
       {"name", "mac", "networks", "options", "ipv6_ra_configs", "ha_chassis_group",
        "external_ids"}},
      {"Logical_Switch", {"name", "ports", "dns_records", "external_ids"}},
      {"Logical_Switch_Port",
       {"name", "type", "addresses", "port_security", "options", "dhcpv4_options", "dhcpv6_options",
        "enabled", "up", "external_ids"}},
      {"Port_Group", {"name", "ports", "acls", "external_ids"}},
      {"ACL",
       {"name", "priority", "direction", "match", "action", "log", "severity", "meter",
        "external_ids"}},
      {"Meter", {"name", "unit", "bands", "external_ids"}},
      {"Meter_Band", {"action", "rate", "burst_size", "external_ids"}},
      {"DHCP_Options", {"cidr", "options", "external_ids"}},
      {"DNS", {"records", "external_ids"}},
      {"Logical_Router_Static_Route", {"ip_prefix", "nexthop", "external_ids"}},
      {"NAT",
       {"type", "external_ip", "logical_ip", "logical_port", "external_mac", "external_ids"}},
      {"HA_Chassis_Group", {"name", "ha_chassis", "external_ids"}},
      {"HA_Chassis", {"chassis_name", "priority", "external_ids"}},
      // Not ours to own: read for the leader's fence (nb_fence.h).
      {"NB_Global", {"external_ids"}},
  };
  return *columns;
}

}  // namespace plasmanet::reconcile
