#include "service/external_network_service.h"

namespace plasmanet::service {

using auth::Kind;

absl::StatusOr<model::ExternalNetwork> ExternalNetworkService::Create(
    const RequestContext& ctx, const model::ExternalNetworkSpec& spec) {
  PN_ASSIGN_OR_RETURN(std::optional<model::ExternalNetwork> replay,
                      core_.Replay<model::ExternalNetwork>(ctx, "CreateExternalNetwork"));
  if (replay.has_value()) return *replay;
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kExternalNetwork, kPlatformScope));
  PN_ASSIGN_OR_RETURN(model::ExternalNetwork network, model::BuildExternalNetwork(spec));
  core_.StampNew(network.meta, kPlatformScope);
  PN_RETURN_IF_ERROR(core_.Insert(ctx, "CreateExternalNetwork", Kind::kExternalNetwork, network));
  LOG_INFO("external network created id={} cidr={} physical_network={}", network.meta.id,
           network.cidr.ToString(), network.physical_network);
  return network;
}

absl::StatusOr<model::ExternalNetwork> ExternalNetworkService::Update(const RequestContext& ctx,
                                                                      const std::string& id,
                                                                      const std::string& etag,
                                                                      const MetaUpdate& update) {
  return core_.Update<model::ExternalNetwork>(
      ctx, "UpdateExternalNetwork", Kind::kExternalNetwork, id, etag,
      [&](model::ExternalNetwork& network) -> absl::StatusOr<store::Txn> {
        PN_RETURN_IF_ERROR(ServiceCore::ApplyMeta(Kind::kExternalNetwork, update, network.meta));
        return store::Txn{};
      });
}

absl::StatusOr<model::ExternalNetwork> ExternalNetworkService::Get(const RequestContext& ctx,
                                                                   const std::string& id) {
  return core_.LoadVisible<model::ExternalNetwork>(ctx.principal, Kind::kExternalNetwork, id,
                                                   "external_network_id");
}

absl::StatusOr<ListPage<model::ExternalNetwork>> ExternalNetworkService::List(
    const RequestContext& ctx, const ListOptions& options, const std::string& name) {
  return core_.List<model::ExternalNetwork>(ctx.principal, Kind::kExternalNetwork, options,
                                            NameIs<model::ExternalNetwork>(name));
}

absl::Status ExternalNetworkService::Delete(const RequestContext& ctx, const std::string& id) {
  PN_ASSIGN_OR_RETURN(std::optional<std::monostate> replay,
                      core_.Replay<std::monostate>(ctx, "DeleteExternalNetwork"));
  if (replay.has_value()) return absl::OkStatus();
  PN_ASSIGN_OR_RETURN(model::ExternalNetwork network, Get(ctx, id));
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kExternalNetwork, kPlatformScope));
  PN_RETURN_IF_ERROR(
      core_.DeleteGuarded(ctx, "DeleteExternalNetwork", Kind::kExternalNetwork, network.meta,
                          {{keys::Children(keys::Relation::kNetworkFloatingIps, id),
                            absl::StrCat("external network ", id, " still has floating IPs")},
                           {keys::Children(keys::Relation::kNetworkGateways, id),
                            absl::StrCat("external network ", id,
                                         " is still the gateway of VPCs; clear their gateways "
                                         "first")}}));
  if (!ctx.validate_only) {
    core_.ipam().Forget(id);
    LOG_INFO("external network deleted id={}", id);
  }
  return absl::OkStatus();
}

}  // namespace plasmanet::service
