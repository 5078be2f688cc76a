#include "service/floating_ip_service.h"

#include "common/uuid.h"
#include "model/address_parsing.h"
#include "model/external_network.h"
#include "model/port.h"

namespace plasmanet::service {

using auth::Kind;
using keys::Relation;
using store::Compare;
using store::Op;

absl::StatusOr<model::FloatingIp> FloatingIpService::Create(const RequestContext& ctx,
                                                            const model::FloatingIpSpec& spec) {
  return core_.RetryOnConflict<model::FloatingIp>("create floating ip",
                                                  [&] { return TryCreate(ctx, spec); });
}

absl::StatusOr<std::optional<model::FloatingIp>> FloatingIpService::TryCreate(
    const RequestContext& ctx, const model::FloatingIpSpec& spec) {
  PN_ASSIGN_OR_RETURN(std::optional<model::FloatingIp> replay,
                      core_.Replay<model::FloatingIp>(ctx, "CreateFloatingIp"));
  if (replay.has_value()) return replay;
  PN_ASSIGN_OR_RETURN(auth::Scope scope, auth::ResolveCreateScope(ctx.principal, ctx.scope));
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kFloatingIp, scope));
  PN_RETURN_IF_ERROR(model::ValidateFloatingIpSpec(spec));
  PN_ASSIGN_OR_RETURN(model::ExternalNetwork network,
                      core_.LoadVisible<model::ExternalNetwork>(
                          ctx.principal, Kind::kExternalNetwork, spec.external_network_id,
                          "floating_ip.external_network_id"));
  const model::SubnetFamily pool = model::AddressFamilyOf(network);

  model::FloatingIp fip;
  fip.meta.name = spec.name;
  fip.meta.labels = spec.labels;
  fip.external_network_id = network.meta.id;
  core_.StampNew(fip.meta, scope);

  store::Txn txn;
  txn.compares.push_back(Compare::ModRevisionIs(
      keys::Object(Kind::kExternalNetwork, network.meta.id), network.meta.revision));

  // The port side first: it needs no allocation, so its errors cost nothing to undo.
  if (!spec.port_id.empty()) {
    PN_ASSIGN_OR_RETURN(Target target, SelectTarget(ctx, scope, network.meta.id, spec.port_id,
                                                    spec.fixed_ip_address));
    PN_RETURN_IF_ERROR(AddMapping(fip.meta.id, spec.port_id, target, txn));
    fip.port_id = spec.port_id;
    fip.fixed_ip = target.fixed_ip;
    fip.vpc_id = target.vpc_id;
  }

  bool proposed = false;
  if (spec.floating_ip_address.empty()) {
    PN_ASSIGN_OR_RETURN(fip.address, core_.ipam().Propose(network.meta.id, pool));
    proposed = true;
  } else {
    PN_ASSIGN_OR_RETURN(fip.address, model::ParseIpField("floating_ip.floating_ip_address",
                                                         spec.floating_ip_address));
    if (!network.cidr.Contains(fip.address)) {
      return InvalidField(
          "floating_ip.floating_ip_address",
          absl::StrCat(fip.address.ToString(), " is outside ", network.cidr.ToString()));
    }
    if (std::string reason = model::ReservedAddressReason(pool, fip.address); !reason.empty()) {
      return InvalidField("floating_ip.floating_ip_address",
                          absl::StrCat(fip.address.ToString(), " ", reason));
    }
  }
  PN_ASSIGN_OR_RETURN(const int quota_guard, core_.ClaimQuota(Kind::kFloatingIp, fip.meta, txn));
  const size_t address_compare = txn.compares.size();
  txn.compares.push_back(Compare::Absent(keys::Ipam(network.meta.id, fip.address)));
  txn.compares.push_back(Compare::Absent(keys::Object(Kind::kFloatingIp, fip.meta.id)));
  txn.ops.push_back(Op::Put(keys::Ipam(network.meta.id, fip.address), fip.meta.id));
  txn.ops.push_back(Op::Put(keys::Object(Kind::kFloatingIp, fip.meta.id), model::Encode(fip)));
  txn.ops.push_back(Op::Put(keys::ScopeEntry(scope, Kind::kFloatingIp, fip.meta.id), ""));
  txn.ops.push_back(
      Op::Put(keys::Child(Relation::kNetworkFloatingIps, network.meta.id, fip.meta.id), ""));

  absl::StatusOr<store::TxnResult> result =
      core_.Commit(ctx, "CreateFloatingIp", std::move(txn), model::Encode(fip));
  core_.SettleQuota(Kind::kFloatingIp, fip.meta,
                    result.ok() && result->succeeded && !ctx.validate_only,
                    result.ok() && result->failed_compare == quota_guard);
  if (result.ok() && result->succeeded) {
    if (ctx.validate_only) {
      if (proposed) core_.ipam().Release(network.meta.id, pool, fip.address);
    } else if (!proposed) {
      core_.ipam().MarkUsed(network.meta.id, pool, fip.address);
    }
    fip.meta.revision = result->revision;
    return std::optional<model::FloatingIp>(std::move(fip));
  }
  const bool address_taken =
      result.ok() && result->failed_compare == static_cast<int>(address_compare);
  if (proposed && !address_taken) {
    core_.ipam().Release(network.meta.id, pool, fip.address);
  }
  if (!result.ok()) {
    return result.status();
  }
  if (address_taken && !proposed) {
    return FieldError(absl::StatusCode::kAlreadyExists, "floating_ip.floating_ip_address",
                      absl::StrCat(fip.address.ToString(), " is already allocated"));
  }
  return std::optional<model::FloatingIp>();
}

absl::StatusOr<FloatingIpService::Target> FloatingIpService::SelectTarget(
    const RequestContext& ctx, const auth::Scope& scope, const std::string& network_id,
    const std::string& port_id, const std::string& fixed_ip) {
  PN_ASSIGN_OR_RETURN(
      model::Port port,
      core_.LoadVisible<model::Port>(ctx.principal, Kind::kPort, port_id, "floating_ip.port_id"));
  if (port.meta.org_id != scope.org_id || port.meta.project_id != scope.project_id) {
    return FieldError(absl::StatusCode::kNotFound, "floating_ip.port_id",
                      absl::StrCat("port ", port_id, " not found"));
  }
  std::optional<IpAddress> selected;
  for (const IpAddress& ip : port.fixed_ips) {
    if (fixed_ip.empty() ? ip.is_v4() : ip.ToString() == fixed_ip) {
      selected = ip;
      break;
    }
  }
  if (!selected) {
    return fixed_ip.empty()
               ? InvalidField("floating_ip.port_id", "the port has no IPv4 address")
               : InvalidField("floating_ip.fixed_ip_address",
                              absl::StrCat(fixed_ip, " is not an address of port ", port_id));
  }
  if (!selected->is_v4()) {
    return InvalidField("floating_ip.fixed_ip_address",
                        absl::StrCat(selected->ToString(),
                                     " is not IPv4: floating IPs are NAT, "
                                     "and IPv6 needs none"));
  }
  PN_ASSIGN_OR_RETURN(std::optional<model::Vpc> vpc,
                      core_.Load<model::Vpc>(Kind::kVpc, port.vpc_id));
  if (!vpc.has_value()) {
    return FieldError(absl::StatusCode::kNotFound, "floating_ip.port_id",
                      absl::StrCat("port ", port_id, " not found"));
  }
  if (!vpc->gateway.has_value() || vpc->gateway->external_network_id != network_id) {
    return FieldError(
        absl::StatusCode::kFailedPrecondition, "floating_ip.port_id",
        absl::StrCat("the port's VPC ", vpc->meta.id, " has no gateway on external network ",
                     network_id, ": attach one first (UpdateVpc, field gateway)"));
  }
  return Target{*selected, vpc->meta.id, vpc->meta.revision};
}

absl::Status FloatingIpService::AddMapping(const std::string& fip_id, const std::string& port_id,
                                           const Target& target, store::Txn& txn) {
  const std::string mapping =
      keys::Child(Relation::kPortFloatingIps, port_id, target.fixed_ip.ToString());
  PN_ASSIGN_OR_RETURN(std::optional<store::KeyValue> taken, core_.store().Get(mapping));
  if (taken.has_value() && taken->value != fip_id) {
    return FieldError(absl::StatusCode::kAlreadyExists, "floating_ip.port_id",
                      absl::StrCat(target.fixed_ip.ToString(), " of port ", port_id,
                                   " already has floating IP ", taken->value));
  }
  txn.compares.push_back(Compare::Exists(keys::Object(Kind::kPort, port_id)));
  txn.compares.push_back(
      Compare::ModRevisionIs(keys::Object(Kind::kVpc, target.vpc_id), target.vpc_revision));
  txn.compares.push_back(Compare::Absent(mapping));
  txn.ops.push_back(Op::Put(mapping, fip_id));
  txn.ops.push_back(Op::Put(keys::Child(Relation::kVpcFloatingIps, target.vpc_id, fip_id), ""));
  return absl::OkStatus();
}

absl::StatusOr<model::FloatingIp> FloatingIpService::Update(const RequestContext& ctx,
                                                            const std::string& id,
                                                            const std::string& etag,
                                                            const FloatingIpUpdate& update) {
  return core_.Update<model::FloatingIp>(
      ctx, "UpdateFloatingIp", Kind::kFloatingIp, id, etag,
      [&](model::FloatingIp& fip) -> absl::StatusOr<store::Txn> {
        PN_RETURN_IF_ERROR(ServiceCore::ApplyMeta(Kind::kFloatingIp, update.meta, fip.meta));
        store::Txn txn;
        if (!update.port_id.has_value() && !update.fixed_ip_address.has_value()) return txn;
        const std::string port_id = update.port_id.value_or(fip.port_id);
        if (port_id.empty() && update.fixed_ip_address.value_or("") != "") {
          return InvalidField("floating_ip.fixed_ip_address", "needs a port_id");
        }
        std::optional<Target> target;
        if (!port_id.empty()) {
          if (!IsUuid(port_id)) {
            return InvalidField("floating_ip.port_id",
                                absl::StrCat("'", port_id, "' is not a port id"));
          }
          PN_ASSIGN_OR_RETURN(target, SelectTarget(ctx, {fip.meta.org_id, fip.meta.project_id},
                                                   fip.external_network_id, port_id,
                                                   update.fixed_ip_address.value_or("")));
        }
        const std::optional<IpAddress> fixed =
            target ? std::optional<IpAddress>(target->fixed_ip) : std::nullopt;
        if (fip.port_id == port_id && fip.fixed_ip == fixed) return txn;  // no change
        if (fip.fixed_ip.has_value()) {
          txn.ops.push_back(Op::Delete(
              keys::Child(Relation::kPortFloatingIps, fip.port_id, fip.fixed_ip->ToString())));
          // A move between two ports of one VPC keeps the VPC's index key (AddMapping puts it
          // again): a transaction names a key once, as etcd requires.
          if (!target || target->vpc_id != fip.vpc_id) {
            txn.ops.push_back(
                Op::Delete(keys::Child(Relation::kVpcFloatingIps, fip.vpc_id, fip.meta.id)));
          }
        }
        if (target.has_value()) {
          PN_RETURN_IF_ERROR(AddMapping(fip.meta.id, port_id, *target, txn));
        }
        fip.port_id = target ? port_id : "";
        fip.fixed_ip = fixed;
        fip.vpc_id = target ? target->vpc_id : "";
        return txn;
      });
}

absl::StatusOr<model::FloatingIp> FloatingIpService::Get(const RequestContext& ctx,
                                                         const std::string& id) {
  return core_.LoadVisible<model::FloatingIp>(ctx.principal, Kind::kFloatingIp, id,
                                              "floating_ip_id");
}

absl::StatusOr<ListPage<model::FloatingIp>> FloatingIpService::List(const RequestContext& ctx,
                                                                    const ListOptions& options,
                                                                    const std::string& port_id) {
  return core_.List<model::FloatingIp>(
      ctx.principal, Kind::kFloatingIp, options,
      [&](const model::FloatingIp& f) { return port_id.empty() || f.port_id == port_id; });
}

absl::Status FloatingIpService::Delete(const RequestContext& ctx, const std::string& id) {
  PN_ASSIGN_OR_RETURN(std::optional<std::monostate> replay,
                      core_.Replay<std::monostate>(ctx, "DeleteFloatingIp"));
  if (replay.has_value()) return absl::OkStatus();
  PN_ASSIGN_OR_RETURN(model::FloatingIp fip, Get(ctx, id));
  const auth::Scope scope{fip.meta.org_id, fip.meta.project_id};
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kFloatingIp, scope));
  store::Txn txn;
  txn.compares.push_back(
      Compare::ModRevisionIs(keys::Object(Kind::kFloatingIp, id), fip.meta.revision));
  txn.ops.push_back(Op::Delete(keys::Object(Kind::kFloatingIp, id)));
  txn.ops.push_back(Op::Delete(keys::ScopeEntry(scope, Kind::kFloatingIp, id)));
  txn.ops.push_back(
      Op::Delete(keys::Child(Relation::kNetworkFloatingIps, fip.external_network_id, id)));
  txn.ops.push_back(Op::Delete(keys::Ipam(fip.external_network_id, fip.address)));
  core_.AddQuotaDelete(Kind::kFloatingIp, fip.meta, txn.ops);
  if (fip.fixed_ip.has_value()) {
    txn.ops.push_back(
        Op::Delete(keys::Child(Relation::kPortFloatingIps, fip.port_id, fip.fixed_ip->ToString())));
    txn.ops.push_back(Op::Delete(keys::Child(Relation::kVpcFloatingIps, fip.vpc_id, id)));
  }
  PN_ASSIGN_OR_RETURN(store::TxnResult result,
                      core_.Commit(ctx, "DeleteFloatingIp", std::move(txn)));
  if (!result.succeeded) {
    return absl::AbortedError(
        absl::StrCat("floating ip ", id, " changed during the delete; retry"));
  }
  if (ctx.validate_only) {
    return absl::OkStatus();
  }
  core_.ReleaseQuota(Kind::kFloatingIp, fip.meta);
  PN_ASSIGN_OR_RETURN(
      std::optional<model::ExternalNetwork> network,
      core_.Load<model::ExternalNetwork>(Kind::kExternalNetwork, fip.external_network_id));
  if (network.has_value()) {
    core_.ipam().Release(fip.external_network_id, model::AddressFamilyOf(*network), fip.address);
  }
  return absl::OkStatus();
}

}  // namespace plasmanet::service
