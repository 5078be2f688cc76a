// The store's key layout. Every key PlasmaNET writes is built here, so the layout can be read
// (and changed) in one place.
//
//   /v1/<kind>/<id>                          the object (JSON)
//   /v1/scope/<org>/<project>/<kind>/<id>    listing a tenant's objects without a full scan
//   /v1/index/<relation>/<parent>/<child>    "which children does this parent have"; deletes
//                                            of parents compare these prefixes empty
//   /v1/ipam/<pool owner>/<address>          one key per used address, value = owner object id;
//                                            created only if absent: the uniqueness guarantee
//   /v1/mac/<subnet>/<mac>                   one key per used MAC on a segment
//   /v1/default_sg/<org>/<project>           id of the project's default security group
//   /v1/quota/<org>/<project>/<kind>/<slot>  one key per object counted by a quota
#pragma once

#include <string>

#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "auth/authorizer.h"
#include "auth/principal.h"
#include "common/ip_address.h"
#include "common/mac_address.h"

namespace plasmanet::service::keys {

inline std::string KindPrefix(auth::Kind kind) {
  return absl::StrCat("/v1/", auth::KindName(kind), "s/");
}
inline std::string Object(auth::Kind kind, absl::string_view id) {
  return absl::StrCat(KindPrefix(kind), id);
}
inline std::string ScopePrefix(const auth::Scope& scope, auth::Kind kind) {
  return absl::StrCat("/v1/scope/", scope.org_id, "/", scope.project_id, "/", auth::KindName(kind),
                      "/");
}
inline std::string ScopeEntry(const auth::Scope& scope, auth::Kind kind, absl::string_view id) {
  return absl::StrCat(ScopePrefix(scope, kind), id);
}

// Relations between objects; the parent's deletion is refused while the prefix is not empty.
enum class Relation {
  kVpcSubnets,
  kSubnetPorts,
  kGroupPorts,
  kGroupReferences,
  kPortFloatingIps,
  kNetworkFloatingIps,
  // VPCs with a gateway on an external network, and the floating IPs a VPC's router NATs: an
  // external network keeps its VPCs, a gateway its floating IPs.
  kNetworkGateways,
  kVpcFloatingIps,
  // Subnets holding the next hop of a VPC static route (child: the VPC).
  kSubnetRoutes
};
inline absl::string_view RelationName(Relation r) {
  switch (r) {
    case Relation::kVpcSubnets:
      return "vpc_subnets";
    case Relation::kSubnetPorts:
      return "subnet_ports";
    case Relation::kGroupPorts:
      return "group_ports";
    case Relation::kGroupReferences:
      return "group_references";
    case Relation::kPortFloatingIps:
      return "port_floating_ips";
    case Relation::kNetworkFloatingIps:
      return "network_floating_ips";
    case Relation::kNetworkGateways:
      return "network_gateways";
    case Relation::kVpcFloatingIps:
      return "vpc_floating_ips";
    case Relation::kSubnetRoutes:
      return "subnet_routes";
  }
  return "unknown";
}
inline std::string Children(Relation r, absl::string_view parent) {
  return absl::StrCat("/v1/index/", RelationName(r), "/", parent, "/");
}
inline std::string Child(Relation r, absl::string_view parent, absl::string_view child) {
  return absl::StrCat(Children(r, parent), child);
}

inline std::string IpamPrefix(absl::string_view pool_owner) {
  return absl::StrCat("/v1/ipam/", pool_owner, "/");
}
inline std::string Ipam(absl::string_view pool_owner, const IpAddress& address) {
  return absl::StrCat(IpamPrefix(pool_owner), address.ToString());
}
inline std::string Mac(absl::string_view subnet_id, const MacAddress& mac) {
  return absl::StrCat("/v1/mac/", subnet_id, "/", mac.ToString());
}
inline std::string QuotaPrefix(const auth::Scope& scope, auth::Kind kind) {
  return absl::StrCat("/v1/quota/", scope.org_id, "/", scope.project_id, "/", auth::KindName(kind),
                      "/");
}
inline std::string QuotaSlot(const auth::Scope& scope, auth::Kind kind, int64_t slot) {
  return absl::StrCat(QuotaPrefix(scope, kind), slot);
}
inline std::string DefaultGroup(const auth::Scope& scope) {
  return absl::StrCat("/v1/default_sg/", scope.org_id, "/", scope.project_id);
}

}  // namespace plasmanet::service::keys
