#include "service/external_network_service.h"

namespace plasmanet::service {

using auth::Kind;
using store::Compare;
using store::Op;

absl::StatusOr<model::ExternalNetwork> ExternalNetworkService::Create(
    const RequestContext& ctx, const model::ExternalNetworkSpec& spec) {
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kExternalNetwork, kPlatformScope));
  PN_ASSIGN_OR_RETURN(model::ExternalNetwork network, model::BuildExternalNetwork(spec));
  core_.StampNew(network.meta, kPlatformScope);
  store::Txn txn;
  txn.compares.push_back(Compare::Absent(keys::Object(Kind::kExternalNetwork, network.meta.id)));
  txn.ops.push_back(
      Op::Put(keys::Object(Kind::kExternalNetwork, network.meta.id), model::Encode(network)));
  PN_ASSIGN_OR_RETURN(store::TxnResult result, core_.store().Commit(std::move(txn)));
  if (!result.succeeded) {
    return absl::AbortedError("external network id collision; retry the request");
  }
  network.meta.revision = result.revision;
  LOG_INFO("external network created id={} cidr={} physical_network={}", network.meta.id,
           network.cidr.ToString(), network.physical_network);
  return network;
}

absl::StatusOr<model::ExternalNetwork> ExternalNetworkService::Get(const RequestContext& ctx,
                                                                   const std::string& id) {
  return core_.LoadVisible<model::ExternalNetwork>(ctx.principal, Kind::kExternalNetwork, id,
                                                   "external_network_id");
}

absl::StatusOr<ListPage<model::ExternalNetwork>> ExternalNetworkService::List(
    const RequestContext& ctx, const ListOptions& options) {
  return core_.List<model::ExternalNetwork>(ctx.principal, Kind::kExternalNetwork, options);
}

absl::Status ExternalNetworkService::Delete(const RequestContext& ctx, const std::string& id) {
  PN_ASSIGN_OR_RETURN(model::ExternalNetwork network, Get(ctx, id));
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kExternalNetwork, kPlatformScope));
  store::Txn txn;
  txn.compares.push_back(
      Compare::ModRevisionIs(keys::Object(Kind::kExternalNetwork, id), network.meta.revision));
  txn.compares.push_back(
      Compare::PrefixEmpty(keys::Children(keys::Relation::kNetworkFloatingIps, id)));
  txn.ops.push_back(Op::Delete(keys::Object(Kind::kExternalNetwork, id)));
  PN_ASSIGN_OR_RETURN(store::TxnResult result, core_.store().Commit(std::move(txn)));
  if (result.failed_compare == 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("external network ", id, " still has floating IPs"));
  }
  if (!result.succeeded) {
    return absl::AbortedError(absl::StrCat("external network ", id, " changed; retry"));
  }
  core_.ipam().Forget(id);
  LOG_INFO("external network deleted id={}", id);
  return absl::OkStatus();
}

}  // namespace plasmanet::service
