// What PlasmaNET reads and writes in the OVN Northbound database: the tables and columns it
// monitors, and the external_ids keys that mark a row as PlasmaNET's.
//
// Every row PlasmaNET creates carries
//   plasmanet:owner     "<kind>/<id>" of the object the row was compiled from ("port/7f3e...")
//   plasmanet:revision  the store revision of that object when the row was last written
//   plasmanet:project   "<org>/<project>", and plasmanet:name the object's name, for operators
// and rows without plasmanet:owner are never modified or deleted.
#pragma once

#include <string>
#include <vector>

#include <absl/strings/string_view.h>

#include "ovsdb/schema.h"

namespace plasmanet::reconcile {

enum class NbTable {
  kLogicalRouter,
  kLogicalRouterPort,
  kLogicalSwitch,
  kLogicalSwitchPort,
  kPortGroup,
  kAcl,
  kMeter,
  kMeterBand,
  kDhcpOptions,
  kDns,
  kStaticRoute,  // Logical_Router_Static_Route
  kNat,
  kHaChassisGroup,
  kHaChassis,
};

inline constexpr NbTable kAllNbTables[] = {NbTable::kLogicalRouter,  NbTable::kLogicalRouterPort,
                                           NbTable::kLogicalSwitch,  NbTable::kLogicalSwitchPort,
                                           NbTable::kPortGroup,      NbTable::kAcl,
                                           NbTable::kMeter,          NbTable::kMeterBand,
                                           NbTable::kDhcpOptions,    NbTable::kDns,
                                           NbTable::kStaticRoute,    NbTable::kNat,
                                           NbTable::kHaChassisGroup, NbTable::kHaChassis};

absl::string_view NbTableName(NbTable table);  // "Logical_Router", ...

// Root tables hold their rows by themselves; the others exist only while a root row references
// them (OVSDB garbage-collects unreferenced non-root rows).
bool IsRootTable(NbTable table);

// The root table whose rows reference rows of the non-root table `child` (Logical_Router for
// Logical_Router_Port, Logical_Router_Static_Route and NAT; Logical_Switch for
// Logical_Switch_Port; Port_Group for ACL; Meter for Meter_Band; HA_Chassis_Group for
// HA_Chassis)...
NbTable ParentTable(NbTable child);
// ...and the column of that parent holding the references: "ports", "static_routes", "nat",
// "acls", "bands" or "ha_chassis". A router has three such columns, so it is the child's
// table that says which.
absl::string_view ChildColumn(NbTable child);

// Meter_Band, DHCP_Options, DNS, static routes, NAT and HA_Chassis have no name column;
// PlasmaNET names those rows in external_ids under this key.
inline constexpr absl::string_view kRowNameKey = "plasmanet:row";
bool HasNameColumn(NbTable table);

// Non-root tables whose rows may hold strong references to root rows (a router port's
// ha_chassis_group): deleted explicitly, not left to garbage collection (see TxnBuilder).
bool HoldsStrongRootReferences(NbTable table);

// Map columns that may be large and change a few keys at a time (DNS.records: every named port
// of a VPC): the reconciler changes them by mutation, key by key, never by rewriting the map.
bool IsMutatedMap(NbTable table, absl::string_view column);

// Port_Group.ports is not a parent-child reference but a membership (weak references to
// switch ports): a port belongs to its security groups' port groups and, with port security
// on, to the shared drop group. The switch port's compiled row lists the groups by name.
inline constexpr absl::string_view kMembersColumn = "ports";

inline constexpr absl::string_view kOwnerKey = "plasmanet:owner";
inline constexpr absl::string_view kRevisionKey = "plasmanet:revision";
inline constexpr absl::string_view kProjectKey = "plasmanet:project";
inline constexpr absl::string_view kNameKey = "plasmanet:name";

// The monitored columns per table: those the compiler writes, plus the reference columns the
// reconciler maintains by mutation ("ports", "acls") and Logical_Switch_Port.up (port status,
// set by northd).
const std::vector<ovsdb::TableColumns>& MonitoredNbColumns();

}  // namespace plasmanet::reconcile
