#include "service/subnet_service.h"

#include "model/address_parsing.h"

namespace plasmanet::service {

using auth::Kind;
using keys::Relation;
using store::Compare;
using store::Op;

absl::StatusOr<model::Subnet> SubnetService::Create(const RequestContext& ctx,
                                                    const model::SubnetSpec& spec) {
  return core_.RetryOnConflict<model::Subnet>("create subnet",
                                              [&] { return TryCreate(ctx, spec); });
}

absl::StatusOr<std::optional<model::Subnet>> SubnetService::TryCreate(
    const RequestContext& ctx, const model::SubnetSpec& spec) {
  PN_ASSIGN_OR_RETURN(std::optional<model::Subnet> replay,
                      core_.Replay<model::Subnet>(ctx, "CreateSubnet"));
  if (replay.has_value()) return replay;
  PN_ASSIGN_OR_RETURN(model::Vpc vpc, core_.LoadVisible<model::Vpc>(ctx.principal, Kind::kVpc,
                                                                    spec.vpc_id, "subnet.vpc_id"));
  // A subnet lives in its VPC's project, whoever creates it.
  const auth::Scope scope{vpc.meta.org_id, vpc.meta.project_id};
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kSubnet, scope));
  PN_ASSIGN_OR_RETURN(model::Subnet subnet, model::BuildSubnet(spec, vpc, limits_));

  // Siblings, and the revision they were read at: the commit is refused if any changed since.
  const std::string siblings_prefix = keys::Children(Relation::kVpcSubnets, vpc.meta.id);
  PN_ASSIGN_OR_RETURN(store::RangeResult index, core_.store().Range({.prefix = siblings_prefix}));
  std::vector<model::Subnet> siblings;
  for (const store::KeyValue& kv : index.kvs) {
    PN_ASSIGN_OR_RETURN(
        std::optional<model::Subnet> sibling,
        core_.Load<model::Subnet>(Kind::kSubnet, kv.key.substr(siblings_prefix.size())));
    if (sibling.has_value()) siblings.push_back(std::move(*sibling));
  }
  if (const model::Subnet* clash = model::FindOverlappingSubnet(subnet, siblings)) {
    const bool v4 = subnet.ipv4 && clash->ipv4 && subnet.ipv4->cidr.Overlaps(clash->ipv4->cidr);
    const model::SubnetFamily& mine = v4 ? *subnet.ipv4 : *subnet.ipv6;
    const model::SubnetFamily& theirs = v4 ? *clash->ipv4 : *clash->ipv6;
    return FieldError(absl::StatusCode::kFailedPrecondition,
                      v4 ? "subnet.ipv4_cidr" : "subnet.ipv6_cidr",
                      absl::StrCat(mine.cidr.ToString(), " overlaps ", theirs.cidr.ToString(),
                                   " of subnet ", clash->meta.id, " in the same VPC"));
  }

  core_.StampNew(subnet.meta, scope);
  store::Txn txn;
  PN_ASSIGN_OR_RETURN(const int quota_guard, core_.ClaimQuota(Kind::kSubnet, subnet.meta, txn));
  txn.compares.push_back(
      Compare::ModRevisionIs(keys::Object(Kind::kVpc, vpc.meta.id), vpc.meta.revision));
  txn.compares.push_back(Compare::PrefixUnchangedSince(siblings_prefix, index.revision));
  txn.compares.push_back(Compare::Absent(keys::Object(Kind::kSubnet, subnet.meta.id)));
  txn.ops.push_back(Op::Put(keys::Object(Kind::kSubnet, subnet.meta.id), model::Encode(subnet)));
  txn.ops.push_back(Op::Put(keys::ScopeEntry(scope, Kind::kSubnet, subnet.meta.id), ""));
  txn.ops.push_back(Op::Put(keys::Child(Relation::kVpcSubnets, vpc.meta.id, subnet.meta.id), ""));
  absl::StatusOr<store::TxnResult> committed =
      core_.Commit(ctx, "CreateSubnet", std::move(txn), model::Encode(subnet));
  core_.SettleQuota(Kind::kSubnet, subnet.meta,
                    committed.ok() && committed->succeeded && !ctx.validate_only,
                    committed.ok() && committed->failed_compare == quota_guard);
  PN_ASSIGN_OR_RETURN(store::TxnResult result, std::move(committed));
  if (!result.succeeded) {
    return std::optional<model::Subnet>();  // the VPC or its subnets changed: check again
  }
  subnet.meta.revision = result.revision;
  return std::optional<model::Subnet>(std::move(subnet));
}

absl::StatusOr<model::Subnet> SubnetService::Update(const RequestContext& ctx,
                                                    const std::string& id, const std::string& etag,
                                                    const SubnetUpdate& update) {
  return core_.Update<model::Subnet>(
      ctx, "UpdateSubnet", Kind::kSubnet, id, etag,
      [&](model::Subnet& subnet) -> absl::StatusOr<store::Txn> {
        PN_RETURN_IF_ERROR(ServiceCore::ApplyMeta(Kind::kSubnet, update.meta, subnet.meta));
        if (update.dhcp_enabled.has_value()) subnet.dhcp_enabled = *update.dhcp_enabled;
        if (update.dns_servers) {
          PN_RETURN_IF_ERROR(model::SetDnsServers(*update.dns_servers, subnet));
        }
        if (update.mtu) PN_RETURN_IF_ERROR(model::SetMtu(*update.mtu, limits_, subnet));
        if (update.host_routes) {
          PN_RETURN_IF_ERROR(model::SetHostRoutes(*update.host_routes, subnet));
        }
        return store::Txn{};
      });
}

absl::StatusOr<model::Subnet> SubnetService::Get(const RequestContext& ctx, const std::string& id) {
  return core_.LoadVisible<model::Subnet>(ctx.principal, Kind::kSubnet, id, "subnet_id");
}

absl::StatusOr<ListPage<model::Subnet>> SubnetService::List(const RequestContext& ctx,
                                                            const ListOptions& options,
                                                            const SubnetFilter& filter) {
  return core_.List<model::Subnet>(ctx.principal, Kind::kSubnet, options,
                                   [&](const model::Subnet& s) {
                                     return (filter.vpc_id.empty() || s.vpc_id == filter.vpc_id) &&
                                            (filter.name.empty() || s.meta.name == filter.name);
                                   });
}

absl::Status SubnetService::Delete(const RequestContext& ctx, const std::string& id) {
  PN_ASSIGN_OR_RETURN(std::optional<std::monostate> replay,
                      core_.Replay<std::monostate>(ctx, "DeleteSubnet"));
  if (replay.has_value()) return absl::OkStatus();
  PN_ASSIGN_OR_RETURN(model::Subnet subnet, Get(ctx, id));
  PN_RETURN_IF_ERROR(
      auth::CheckWrite(ctx.principal, Kind::kSubnet, {subnet.meta.org_id, subnet.meta.project_id}));
  PN_RETURN_IF_ERROR(core_.DeleteGuarded(
      ctx, "DeleteSubnet", Kind::kSubnet, subnet.meta,
      {{keys::Children(Relation::kSubnetPorts, id),
        absl::StrCat("subnet ", id, " still has ports; delete them first")},
       {keys::Children(Relation::kSubnetRoutes, id),
        absl::StrCat("a static route of VPC ", subnet.vpc_id, " has its next hop in subnet ", id,
                     "; remove the route first")}},
      {Op::Delete(keys::Child(Relation::kVpcSubnets, subnet.vpc_id, id))}));
  if (!ctx.validate_only) core_.ipam().Forget(id);
  return absl::OkStatus();
}

}  // namespace plasmanet::service
