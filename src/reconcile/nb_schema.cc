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
  }
  return "";
}

bool IsRootTable(NbTable table) {
  return table == NbTable::kLogicalRouter || table == NbTable::kLogicalSwitch ||
         table == NbTable::kPortGroup || table == NbTable::kMeter ||
         table == NbTable::kDhcpOptions || table == NbTable::kDns;
}

bool HasNameColumn(NbTable table) {
  return table != NbTable::kMeterBand && table != NbTable::kDhcpOptions && table != NbTable::kDns;
}

bool IsMutatedMap(NbTable table, absl::string_view column) {
  return table == NbTable::kDns && column == "records";
}

NbTable ParentTable(NbTable child) {
  switch (child) {
    case NbTable::kLogicalRouterPort:
      return NbTable::kLogicalRouter;
    case NbTable::kAcl:
      return NbTable::kPortGroup;
    case NbTable::kMeterBand:
      return NbTable::kMeter;
    default:
      return NbTable::kLogicalSwitch;
  }
}

absl::string_view ChildColumn(NbTable parent) {
  switch (parent) {
    case NbTable::kPortGroup:
      return "acls";
    case NbTable::kMeter:
      return "bands";
    case NbTable::kDhcpOptions:
    case NbTable::kDns:
      return "";
    default:
      return "ports";
  }
}

const std::vector<ovsdb::TableColumns>& MonitoredNbColumns() {
  static const auto* columns = new std::vector<ovsdb::TableColumns>{
      {"Logical_Router", {"name", "ports", "external_ids"}},
      {"Logical_Router_Port",
       {"name", "mac", "networks", "options", "ipv6_ra_configs", "external_ids"}},
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
  };
  return *columns;
}

}  // namespace plasmanet::reconcile
