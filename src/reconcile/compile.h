// Compile: PlasmaNET objects -> the Northbound rows that implement them. Pure functions of the
// object alone, so the same code serves incremental changes and full resyncs, and tests need
// no OVN (see ../shared/design/ARCHITECTURE.md section 3):
//
//   External network -> Logical_Switch "pn-ext-<id>" + Logical_Switch_Port
//             "pn-ext-<id>-localnet" of type localnet on its physical network (the provider
//             bridge ovn-bridge-mappings names on each chassis)
//   VPC    -> Logical_Router "pn-vpc-<id>"
//             + Logical_Router_Static_Route per static route ("pn-route-<vpc>-<destination>")
//             + with a gateway: HA_Chassis_Group "pn-ha-<vpc>" with one HA_Chassis per gateway
//             chassis (the platform's choice, in priority order), the gateway port
//             Logical_Router_Port "pn-lrp-gw-<vpc>" (the external address, bound to that
//             group: a distributed gateway port), its peer Logical_Switch_Port
//             "pn-gw-<vpc>-<network>" on the external switch, the default route
//             "pn-route-<vpc>-default" to the network's gateway, and with SNAT the NAT
//             "pn-snat-<vpc>": the VPC's IPv4 block -> the external address
//   Subnet -> DNS "pn-dns-<id>": NAME.SUBNET.VPC.<zone> (A/AAAA) and the reverse (PTR) names
//             of every port of the subnet whose names are DNS labels
//             + Logical_Switch "pn-subnet-<id>", answering from the DNS rows of every subnet of
//             its VPC (so names resolve across the VPC and a port change rewrites one
//             subnet's records, not the VPC's)
//             + Logical_Router_Port "pn-lrp-<subnet id>" on the VPC's router (gateway addresses,
//             gateway_mtu, IPv6 router advertisements)
//             + Logical_Switch_Port "pn-rtr-<subnet id>" of type router, its switch-side peer
//             + with DHCP on: DHCP_Options "pn-dhcp4-<id>" / "pn-dhcp6-<id>"
//             + ACL "pn-dns-<id>" in pn_drop: DNS queries to the subnet's resolvers pass the
//             default deny whatever the groups say (as DHCP does)
//   Port   -> Logical_Switch_Port named by the port id (the iface-id the hypervisor sets on the
//             VM's tap), with its MAC and addresses, and port security unless disabled; a
//             member of its groups' Port_Groups and, with port security, of "pn_drop"; its
//             subnet's DHCP_Options and its name as DHCP host name
//             + with extra DHCP options: DHCP_Options "pn-dhcp4-port-<id>", the subnet's
//             DHCPv4 options plus the extras, referenced instead of the subnet's
//   Floating IP, associated -> NAT "pn-fip-<id>" (dnat_and_snat) on the router of the port's
//             VPC, with logical_port and external_mac: distributed, so the port's own chassis
//             answers for the address and NATs its traffic
//   Security group -> Port_Group "pn_sg_<id>" + one ACL "pn-<rule id>" per rule, allow-related
//             at kAllowPriority; a remote group is matched by the address sets ovn-northd
//             derives from that group's Port_Group ($pn_sg_<id>_ip4 / _ip6)
//   Security group with logging -> the same, its ACLs logged through the Meter kAclLogMeter,
//             plus two logged drops for its members at kLoggedDropPriority
//   (with any subnet) -> Meter kAclLogMeter, and Port_Group "pn_drop" with the default deny: every
//   IP
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

#include "model/external_network.h"
#include "model/floating_ip.h"
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
  enum class Kind {
    kExternalNetwork,
    kVpc,
    kDefaultDeny,
    kSubnet,
    kSecurityGroup,
    kPort,
    kFloatingIp
  };
  Kind kind = Kind::kVpc;
  std::string id;

  std::string ToString() const;
  static std::optional<OwnerRef> Parse(absl::string_view text);

  friend bool operator==(const OwnerRef&, const OwnerRef&) = default;
  // External networks, VPCs, the drop group, subnets, groups, ports, floating IPs: parents,
  // groups and referenced rows before the rows that reference them or join them.
  friend auto operator<=>(const OwnerRef&, const OwnerRef&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const OwnerRef& o) {
    return H::combine(std::move(h), o.kind, o.id);
  }
};

// A root row of PlasmaNET's, by table and name: the target of a reference column.
struct RowRef {
  NbTable table = NbTable::kDhcpOptions;
  std::string name;
  friend bool operator==(const RowRef&, const RowRef&) = default;
};

struct DesiredRow {
  NbTable table = NbTable::kLogicalRouter;
  std::string name;
  // Every column PlasmaNET sets, including "name" and "external_ids"; never "ports" (the
  // reference from parent to child is maintained separately, by mutation).
  std::map<std::string, ovsdb::Datum> columns;
  // Columns that reference other root rows (Logical_Switch_Port.dhcpv4_options ->
  // DHCP_Options, Logical_Switch.dns_records -> DNS), by name: uuids are known only to NB, so
  // the transaction builder resolves them. An empty list clears the column.
  std::map<std::string, std::vector<RowRef>> refs;
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

// What the platform configures and the objects do not say.
struct CompileOptions {
  std::string dns_zone = "internal";
  // DNS servers for subnets that name none; empty: the subnet's gateway address (OVN answers
  // the VPC's names there; other names get no answer).
  std::vector<IpAddress> default_dns_servers;
  int default_mtu = model::NetworkLimits{}.max_mtu;  // for subnets stored without an MTU
  int dhcp_lease_seconds = 12 * 3600;
};

// The objects a port's rows depend on besides the port: its subnet (DHCP) and VPC (names).
// Either may be null while the cache has not seen it; the port's rows then lack those parts.
struct PortContext {
  const model::Subnet* subnet = nullptr;
  const model::Vpc* vpc = nullptr;
  // The platform's settings, for a port with its own DHCP options; null: the defaults.
  const CompileOptions* options = nullptr;
};

// One VPC's DNS records: name -> addresses ("10.0.0.4 fd00::4"), reverse name -> name.
using DnsRecords = std::map<std::string, std::string>;

std::string RouterName(absl::string_view vpc_id);
std::string DnsName(absl::string_view subnet_id);  // the subnet's DNS row (external_ids name)
std::string DhcpOptionsName(absl::string_view subnet_id, IpFamily family);
// The DHCPv4 options row of a port with extra DHCP options.
std::string PortDhcpOptionsName(absl::string_view port_id);
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

// A DNS label: 1-63 of [a-z0-9-], not starting or ending with '-'. Names that are not (after
// lowering the case) get no DNS records.
bool IsDnsLabel(absl::string_view name);
// "NAME.SUBNET.VPC.ZONE" for a port, or "" when one of the names is not a DNS label.
std::string PortFqdn(const model::Port& port, const model::Subnet& subnet, const model::Vpc& vpc,
                     absl::string_view zone);
// Adds the port's forward and reverse records to `records`. Ports sharing a name share the
// forward record (every address); a reverse name goes to the first port by id.
void AddDnsRecords(const model::Port& port, const std::string& fqdn, DnsRecords& records);

// What a subnet's rows need besides the subnet: its VPC (for the search domain; null while
// unknown: no domain), the DNS records of its ports, and the ids of its VPC's subnets, whose DNS
// rows its switch answers from (empty: its own only).
struct SubnetContext {
  const model::Vpc* vpc = nullptr;
  DnsRecords records;
  std::vector<std::string> vpc_subnet_ids;
};

// What a VPC's rows need besides the VPC: its gateway's external network (null while unknown:
// no gateway rows) and the chassis that may host the gateway, highest priority first (empty:
// no HA_Chassis_Group, and OVN has nowhere to centralise SNAT).
struct VpcContext {
  const model::ExternalNetwork* network = nullptr;
  std::vector<std::string> gateway_chassis;
};

std::string ExternalSwitchName(absl::string_view network_id);
std::string GatewayRouterPortName(absl::string_view vpc_id);
std::string HaChassisGroupName(absl::string_view vpc_id);
// The MACs of a VPC's gateway port and of a floating IP: derived from their ids, like
// GatewayMac.
MacAddress GatewayPortMac(absl::string_view vpc_id);
MacAddress FloatingIpMac(absl::string_view floating_ip_id);
// The gateway chassis of a VPC: those carrying the physical network, rotated by the VPC's id so
// VPCs spread their active gateways across them; the rest follow as standbys.
std::vector<std::string> GatewayChassisFor(absl::string_view vpc_id,
                                           std::vector<std::string> candidates);

std::vector<DesiredRow> CompileExternalNetwork(const model::ExternalNetwork& network);
std::vector<DesiredRow> CompileVpc(const model::Vpc& vpc, const VpcContext& context = {});
// Empty for a floating IP associated with no port.
std::vector<DesiredRow> CompileFloatingIp(const model::FloatingIp& fip);
std::vector<DesiredRow> CompileSubnet(const model::Subnet& subnet,
                                      const SubnetContext& context = {},
                                      const CompileOptions& options = {});
// With extra DHCP options, the port's DHCP_Options row first, then its switch port.
std::vector<DesiredRow> CompilePort(const model::Port& port, const PortContext& context = {});
std::vector<DesiredRow> CompileSecurityGroup(const model::SecurityGroup& group);
std::vector<DesiredRow> CompileDefaultDeny();

}  // namespace plasmanet::reconcile
