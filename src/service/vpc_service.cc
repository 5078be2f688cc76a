#include "service/vpc_service.h"

#include <set>

#include "model/address_parsing.h"

namespace plasmanet::service {

using auth::Kind;
using keys::Relation;
using store::Compare;
using store::Op;

absl::StatusOr<model::Vpc> VpcService::Create(const RequestContext& ctx,
                                              const model::VpcSpec& spec) {
  PN_ASSIGN_OR_RETURN(std::optional<model::Vpc> replay, core_.Replay<model::Vpc>(ctx, "CreateVpc"));
  if (replay.has_value()) return *replay;
  PN_ASSIGN_OR_RETURN(auth::Scope scope, auth::ResolveCreateScope(ctx.principal, ctx.scope));
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kVpc, scope));
  PN_ASSIGN_OR_RETURN(model::Vpc vpc, model::BuildVpc(spec));
  core_.StampNew(vpc.meta, scope);
  store::Txn txn;
  std::optional<Proposal> proposed;
  if (spec.gateway) PN_RETURN_IF_ERROR(ChangeGateway(ctx, spec.gateway, vpc, txn, &proposed));
  const absl::Status inserted = core_.Insert(ctx, "CreateVpc", Kind::kVpc, vpc, std::move(txn));
  if (proposed && (!inserted.ok() || ctx.validate_only)) {
    core_.ipam().Release(proposed->network_id, proposed->pool, proposed->address);
  }
  PN_RETURN_IF_ERROR(inserted);
  return vpc;
}

absl::StatusOr<model::Vpc> VpcService::Update(const RequestContext& ctx, const std::string& id,
                                              const std::string& etag, const VpcUpdate& update) {
  std::optional<Proposal> proposed;
  auto release = [&] {
    if (proposed) core_.ipam().Release(proposed->network_id, proposed->pool, proposed->address);
    proposed.reset();
  };
  // The gateway the update cleared or moved away, whose address goes back to its pool.
  std::optional<model::VpcGateway> replaced;
  absl::StatusOr<model::Vpc> updated = core_.Update<model::Vpc>(
      ctx, "UpdateVpc", Kind::kVpc, id, etag, [&](model::Vpc& vpc) -> absl::StatusOr<store::Txn> {
        release();  // a previous attempt's commit failed: its address was not taken
        replaced.reset();
        PN_RETURN_IF_ERROR(ServiceCore::ApplyMeta(Kind::kVpc, update.meta, vpc.meta));
        store::Txn txn;
        if (update.gateway) {
          const std::optional<model::VpcGateway> old = vpc.gateway;
          PN_RETURN_IF_ERROR(ChangeGateway(ctx, *update.gateway, vpc, txn, &proposed));
          if (old &&
              (!vpc.gateway || vpc.gateway->external_network_id != old->external_network_id)) {
            replaced = old;
          }
        }
        if (update.static_routes) PN_RETURN_IF_ERROR(ChangeRoutes(*update.static_routes, vpc, txn));
        return txn;
      });
  if (!updated.ok() || ctx.validate_only) {
    release();
    return updated;
  }
  if (replaced) {
    // Committed: the old address's key is gone from the store, so IPAM may hand it out again.
    absl::StatusOr<std::optional<model::ExternalNetwork>> network =
        core_.Load<model::ExternalNetwork>(Kind::kExternalNetwork, replaced->external_network_id);
    if (network.ok() && network->has_value()) {
      core_.ipam().Release(replaced->external_network_id, model::AddressFamilyOf(**network),
                           replaced->external_ip);
    }
  }
  return updated;
}

absl::Status VpcService::ChangeGateway(const RequestContext& ctx,
                                       const std::optional<model::VpcGatewaySpec>& spec,
                                       model::Vpc& vpc, store::Txn& txn,
                                       std::optional<Proposal>* proposed) {
  const std::optional<model::VpcGateway> old = vpc.gateway;
  const bool same_network = old && spec && old->external_network_id == spec->external_network_id;
  if (same_network) {  // only SNAT may change; the address stays
    vpc.gateway->snat_enabled = spec->snat_enabled;
    return absl::OkStatus();
  }
  if (old) {
    // The floating IPs of the VPC's ports are NATed by this gateway: they would stop working.
    const std::string fips = keys::Children(Relation::kVpcFloatingIps, vpc.meta.id);
    PN_ASSIGN_OR_RETURN(store::RangeResult mapped,
                        core_.store().Range({.prefix = fips, .limit = 1}));
    if (!mapped.kvs.empty()) {
      return FieldError(absl::StatusCode::kFailedPrecondition, "vpc.gateway",
                        absl::StrCat("floating IP ", mapped.kvs[0].key.substr(fips.size()),
                                     " is associated with a port of VPC ", vpc.meta.id,
                                     " through this gateway; disassociate it first"));
    }
    txn.compares.push_back(Compare::PrefixEmpty(fips));
    txn.ops.push_back(Op::Delete(keys::Ipam(old->external_network_id, old->external_ip)));
    txn.ops.push_back(
        Op::Delete(keys::Child(Relation::kNetworkGateways, old->external_network_id, vpc.meta.id)));
    vpc.gateway.reset();
  }
  if (!spec) return absl::OkStatus();
  if (spec->external_network_id.empty()) {
    return InvalidField("vpc.gateway.external_network_id", "is required");
  }
  PN_ASSIGN_OR_RETURN(model::ExternalNetwork network,
                      core_.LoadVisible<model::ExternalNetwork>(
                          ctx.principal, Kind::kExternalNetwork, spec->external_network_id,
                          "vpc.gateway.external_network_id"));
  if (network.cidr.family() != IpFamily::kV4) {
    return InvalidField("vpc.gateway.external_network_id",
                        absl::StrCat("external network ", network.meta.id,
                                     " is IPv6; gateways SNAT IPv4 and need an IPv4 network"));
  }
  const model::SubnetFamily pool = model::AddressFamilyOf(network);
  PN_ASSIGN_OR_RETURN(IpAddress address, core_.ipam().Propose(network.meta.id, pool));
  *proposed = Proposal{network.meta.id, pool, address};
  txn.compares.push_back(Compare::ModRevisionIs(
      keys::Object(Kind::kExternalNetwork, network.meta.id), network.meta.revision));
  txn.compares.push_back(Compare::Absent(keys::Ipam(network.meta.id, address)));
  txn.ops.push_back(Op::Put(keys::Ipam(network.meta.id, address), vpc.meta.id));
  txn.ops.push_back(
      Op::Put(keys::Child(Relation::kNetworkGateways, network.meta.id, vpc.meta.id), ""));
  vpc.gateway = model::VpcGateway{network.meta.id, address, spec->snat_enabled};
  return absl::OkStatus();
}

absl::Status VpcService::ChangeRoutes(const std::vector<model::StaticRouteSpec>& specs,
                                      model::Vpc& vpc, store::Txn& txn) {
  PN_ASSIGN_OR_RETURN(std::vector<model::StaticRoute> routes, model::BuildStaticRoutes(specs, vpc));
  // Which subnet holds each next hop: only an address inside a subnet can be reached.
  const std::string subnets_prefix = keys::Children(Relation::kVpcSubnets, vpc.meta.id);
  PN_ASSIGN_OR_RETURN(store::RangeResult index, core_.store().Range({.prefix = subnets_prefix}));
  std::vector<model::Subnet> subnets;
  for (const store::KeyValue& kv : index.kvs) {
    PN_ASSIGN_OR_RETURN(
        std::optional<model::Subnet> subnet,
        core_.Load<model::Subnet>(Kind::kSubnet, kv.key.substr(subnets_prefix.size())));
    if (subnet.has_value()) subnets.push_back(std::move(*subnet));
  }
  auto holder = [&](const IpAddress& ip) -> const model::Subnet* {
    for (const model::Subnet& subnet : subnets) {
      const std::optional<model::SubnetFamily>& family = subnet.family(ip.family());
      if (family && family->cidr.Contains(ip)) return &subnet;
    }
    return nullptr;
  };
  std::set<std::string> before, after;
  for (const model::StaticRoute& route : vpc.static_routes) {
    if (const model::Subnet* s = holder(route.nexthop)) before.insert(s->meta.id);
  }
  for (size_t i = 0; i < routes.size(); ++i) {
    const std::string field = absl::StrCat("vpc.static_routes[", i, "].nexthop");
    const IpAddress& nexthop = routes[i].nexthop;
    const model::Subnet* subnet = holder(nexthop);
    if (subnet == nullptr) {
      return FieldError(
          absl::StatusCode::kFailedPrecondition, field,
          absl::StrCat(nexthop.ToString(), " is in none of VPC ", vpc.meta.id, "'s subnets"));
    }
    if (nexthop == subnet->family(nexthop.family())->gateway) {
      return InvalidField(field, absl::StrCat(nexthop.ToString(), " is the gateway of subnet ",
                                              subnet->meta.id, ", the router itself"));
    }
    after.insert(subnet->meta.id);
  }
  // The subnets holding next hops cannot be deleted while a route uses them.
  txn.compares.push_back(Compare::PrefixUnchangedSince(subnets_prefix, index.revision));
  for (const std::string& id : after) {
    txn.compares.push_back(Compare::Exists(keys::Object(Kind::kSubnet, id)));
    if (!before.contains(id)) {
      txn.ops.push_back(Op::Put(keys::Child(Relation::kSubnetRoutes, id, vpc.meta.id), ""));
    }
  }
  for (const std::string& id : before) {
    if (!after.contains(id)) {
      txn.ops.push_back(Op::Delete(keys::Child(Relation::kSubnetRoutes, id, vpc.meta.id)));
    }
  }
  vpc.static_routes = std::move(routes);
  return absl::OkStatus();
}

absl::StatusOr<model::Vpc> VpcService::Get(const RequestContext& ctx, const std::string& id) {
  return core_.LoadVisible<model::Vpc>(ctx.principal, Kind::kVpc, id, "vpc_id");
}

absl::StatusOr<ListPage<model::Vpc>> VpcService::List(const RequestContext& ctx,
                                                      const ListOptions& options,
                                                      const std::string& name) {
  return core_.List<model::Vpc>(ctx.principal, Kind::kVpc, options, NameIs<model::Vpc>(name));
}

absl::Status VpcService::Delete(const RequestContext& ctx, const std::string& id) {
  PN_ASSIGN_OR_RETURN(std::optional<std::monostate> replay,
                      core_.Replay<std::monostate>(ctx, "DeleteVpc"));
  if (replay.has_value()) return absl::OkStatus();
  PN_ASSIGN_OR_RETURN(model::Vpc vpc, Get(ctx, id));
  PN_RETURN_IF_ERROR(
      auth::CheckWrite(ctx.principal, Kind::kVpc, {vpc.meta.org_id, vpc.meta.project_id}));
  // Routes need subnets, so a VPC without subnets has none; only the gateway is left to undo.
  std::vector<store::Op> extra;
  if (vpc.gateway) {
    extra.push_back(
        Op::Delete(keys::Ipam(vpc.gateway->external_network_id, vpc.gateway->external_ip)));
    extra.push_back(
        Op::Delete(keys::Child(Relation::kNetworkGateways, vpc.gateway->external_network_id, id)));
  }
  PN_RETURN_IF_ERROR(
      core_.DeleteGuarded(ctx, "DeleteVpc", Kind::kVpc, vpc.meta,
                          {{keys::Children(Relation::kVpcSubnets, id),
                            absl::StrCat("vpc ", id, " still has subnets; delete them first")},
                           {keys::Children(Relation::kVpcFloatingIps, id),
                            absl::StrCat("vpc ", id, " still has floating IPs associated")}},
                          std::move(extra)));
  if (vpc.gateway && !ctx.validate_only) {
    PN_ASSIGN_OR_RETURN(std::optional<model::ExternalNetwork> network,
                        core_.Load<model::ExternalNetwork>(Kind::kExternalNetwork,
                                                           vpc.gateway->external_network_id));
    if (network.has_value()) {
      core_.ipam().Release(network->meta.id, model::AddressFamilyOf(*network),
                           vpc.gateway->external_ip);
    }
  }
  return absl::OkStatus();
}

}  // namespace plasmanet::service
