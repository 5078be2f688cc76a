// The VPC router's own rows (static routes, the gateway: HA group, gateway port, default route,
// SNAT, the peer on the external switch), external networks, and floating IPs. See compile.h.
#include <algorithm>

#include <absl/strings/str_cat.h>

#include "reconcile/compile.h"
#include "reconcile/compile_rows.h"

namespace plasmanet::reconcile {

using internal::ExternalIds;
using internal::LocalMac;
using internal::StableHash;
using internal::WithRowName;

MacAddress GatewayPortMac(absl::string_view vpc_id) {
  return LocalMac(StableHash("gateway/", vpc_id));
}
MacAddress FloatingIpMac(absl::string_view floating_ip_id) {
  return LocalMac(StableHash("fip/", floating_ip_id));
}

std::string ExternalSwitchName(absl::string_view network_id) {
  return absl::StrCat("pn-ext-", network_id);
}
std::string GatewayRouterPortName(absl::string_view vpc_id) {
  return absl::StrCat("pn-lrp-gw-", vpc_id);
}
std::string HaChassisGroupName(absl::string_view vpc_id) { return absl::StrCat("pn-ha-", vpc_id); }

std::vector<std::string> GatewayChassisFor(absl::string_view vpc_id,
                                           std::vector<std::string> candidates) {
  if (candidates.empty()) return candidates;
  std::sort(candidates.begin(), candidates.end());
  const size_t first = StableHash("gateway-chassis/", vpc_id) % candidates.size();
  std::rotate(candidates.begin(), candidates.begin() + static_cast<ptrdiff_t>(first),
              candidates.end());
  return candidates;
}

namespace {

DesiredRow StaticRouteRow(const std::string& name, const std::string& router,
                          const IpPrefix& destination, const IpAddress& nexthop,
                          const ovsdb::Datum& external_ids) {
  DesiredRow route{.table = NbTable::kStaticRoute, .name = name, .parent = router};
  route.columns["ip_prefix"] = ovsdb::Datum::String(destination.ToString());
  route.columns["nexthop"] = ovsdb::Datum::String(nexthop.ToString());
  route.columns["external_ids"] = WithRowName(external_ids, name);
  return route;
}

DesiredRow NatRow(const std::string& name, const std::string& router, absl::string_view type,
                  const IpAddress& external_ip, const std::string& logical_ip,
                  const ovsdb::Datum& external_ids) {
  DesiredRow nat{.table = NbTable::kNat, .name = name, .parent = router};
  nat.columns["type"] = ovsdb::Datum::String(std::string(type));
  nat.columns["external_ip"] = ovsdb::Datum::String(external_ip.ToString());
  nat.columns["logical_ip"] = ovsdb::Datum::String(logical_ip);
  nat.columns["external_ids"] = WithRowName(external_ids, name);
  return nat;
}

}  // namespace

std::vector<DesiredRow> CompileExternalNetwork(const model::ExternalNetwork& network) {
  const OwnerRef owner{OwnerRef::Kind::kExternalNetwork, network.meta.id};
  const ovsdb::Datum external_ids = ExternalIds(owner, network.meta);
  DesiredRow ls{.table = NbTable::kLogicalSwitch, .name = ExternalSwitchName(network.meta.id)};
  ls.columns["name"] = ovsdb::Datum::String(ls.name);
  ls.columns["external_ids"] = external_ids;
  // The localnet port is where the overlay meets the provider bridge: on every chassis whose
  // ovn-bridge-mappings name the physical network, traffic of this switch leaves untunnelled.
  DesiredRow localnet{.table = NbTable::kLogicalSwitchPort,
                      .name = absl::StrCat(ls.name, "-localnet"),
                      .parent = ls.name};
  localnet.columns["name"] = ovsdb::Datum::String(localnet.name);
  localnet.columns["type"] = ovsdb::Datum::String("localnet");
  localnet.columns["addresses"] = ovsdb::Datum::StringSet({"unknown"});
  localnet.columns["options"] =
      ovsdb::Datum::StringMap({{"network_name", network.physical_network}});
  localnet.columns["external_ids"] = external_ids;
  return {std::move(ls), std::move(localnet)};
}

std::vector<DesiredRow> CompileVpc(const model::Vpc& vpc, const VpcContext& context) {
  const OwnerRef owner{OwnerRef::Kind::kVpc, vpc.meta.id};
  const ovsdb::Datum external_ids = ExternalIds(owner, vpc.meta);
  const std::string router_name = RouterName(vpc.meta.id);
  std::vector<DesiredRow> rows;
  DesiredRow router{.table = NbTable::kLogicalRouter, .name = router_name};
  router.columns["name"] = ovsdb::Datum::String(router.name);
  router.columns["external_ids"] = external_ids;
  rows.push_back(std::move(router));
  const std::string route_prefix = absl::StrCat("pn-route-", vpc.meta.id, "-");
  for (const model::StaticRoute& r : vpc.static_routes) {
    rows.push_back(StaticRouteRow(absl::StrCat(route_prefix, r.destination.ToString()), router_name,
                                  r.destination, r.nexthop, external_ids));
  }
  if (!vpc.gateway || context.network == nullptr) return rows;
  const model::VpcGateway& gateway = *vpc.gateway;
  const model::ExternalNetwork& network = *context.network;

  // The chassis that may host the gateway, first (the port references the group).
  const std::string group_name = HaChassisGroupName(vpc.meta.id);
  if (!context.gateway_chassis.empty()) {
    DesiredRow group{.table = NbTable::kHaChassisGroup, .name = group_name};
    group.columns["name"] = ovsdb::Datum::String(group_name);
    group.columns["external_ids"] = external_ids;
    rows.push_back(std::move(group));
    const int count = static_cast<int>(context.gateway_chassis.size());
    for (int i = 0; i < count; ++i) {
      const std::string& chassis = context.gateway_chassis[static_cast<size_t>(i)];
      DesiredRow member{.table = NbTable::kHaChassis,
                        .name = absl::StrCat(group_name, "-", chassis),
                        .parent = group_name};
      member.columns["chassis_name"] = ovsdb::Datum::String(chassis);
      member.columns["priority"] = ovsdb::Datum::Integer(count - i);  // highest first
      member.columns["external_ids"] = WithRowName(external_ids, member.name);
      rows.push_back(std::move(member));
    }
  }

  DesiredRow lrp{.table = NbTable::kLogicalRouterPort,
                 .name = GatewayRouterPortName(vpc.meta.id),
                 .parent = router_name};
  lrp.columns["name"] = ovsdb::Datum::String(lrp.name);
  lrp.columns["mac"] = ovsdb::Datum::String(GatewayPortMac(vpc.meta.id).ToString());
  lrp.columns["networks"] = ovsdb::Datum::StringSet(
      {absl::StrCat(gateway.external_ip.ToString(), "/", network.cidr.length())});
  lrp.columns["external_ids"] = external_ids;
  std::vector<RowRef>& group_ref = lrp.refs["ha_chassis_group"];
  if (!context.gateway_chassis.empty()) group_ref.push_back({NbTable::kHaChassisGroup, group_name});
  const std::string lrp_name = lrp.name;
  rows.push_back(std::move(lrp));

  rows.push_back(StaticRouteRow(absl::StrCat(route_prefix, "default"), router_name,
                                *IpPrefix::Parse("0.0.0.0/0"), network.gateway_ip, external_ids));
  if (gateway.snat_enabled) {
    if (std::optional<IpPrefix> block = vpc.block(IpFamily::kV4)) {
      rows.push_back(NatRow(absl::StrCat("pn-snat-", vpc.meta.id), router_name, "snat",
                            gateway.external_ip, block->ToString(), external_ids));
    }
  }

  // The router's side of the external switch. Its name carries the network, so moving the
  // gateway to another network replaces the port instead of re-parenting it.
  const std::string ext_switch = ExternalSwitchName(network.meta.id);
  DesiredRow peer{.table = NbTable::kLogicalSwitchPort,
                  .name = absl::StrCat("pn-gw-", vpc.meta.id, "-", network.meta.id),
                  .parent = ext_switch};
  peer.columns["name"] = ovsdb::Datum::String(peer.name);
  peer.columns["type"] = ovsdb::Datum::String("router");
  peer.columns["addresses"] = ovsdb::Datum::StringSet({"router"});
  // nat-addresses=router: the gateway chassis announces (gratuitous ARP) the router's NAT
  // addresses on the provider network, so upstream switches learn where they are.
  peer.columns["options"] =
      ovsdb::Datum::StringMap({{"router-port", lrp_name}, {"nat-addresses", "router"}});
  peer.columns["external_ids"] = external_ids;
  rows.push_back(std::move(peer));
  return rows;
}

std::vector<DesiredRow> CompileFloatingIp(const model::FloatingIp& fip) {
  if (fip.port_id.empty() || !fip.fixed_ip || fip.vpc_id.empty()) return {};
  const OwnerRef owner{OwnerRef::Kind::kFloatingIp, fip.meta.id};
  DesiredRow nat =
      NatRow(absl::StrCat("pn-fip-", fip.meta.id), RouterName(fip.vpc_id), "dnat_and_snat",
             fip.address, fip.fixed_ip->ToString(), ExternalIds(owner, fip.meta));
  // With the port and a MAC of its own the NAT is distributed: done on the chassis the port is
  // bound to, which answers ARP for the address on the provider network.
  nat.columns["logical_port"] = ovsdb::Datum::String(fip.port_id);
  nat.columns["external_mac"] = ovsdb::Datum::String(FloatingIpMac(fip.meta.id).ToString());
  return {std::move(nat)};
}

}  // namespace plasmanet::reconcile
