#include "service/vpc_service.h"

namespace plasmanet::service {

using auth::Kind;

absl::StatusOr<model::Vpc> VpcService::Create(const RequestContext& ctx,
                                              const model::VpcSpec& spec) {
  PN_ASSIGN_OR_RETURN(std::optional<model::Vpc> replay, core_.Replay<model::Vpc>(ctx, "CreateVpc"));
  if (replay.has_value()) return *replay;
  PN_ASSIGN_OR_RETURN(auth::Scope scope, auth::ResolveCreateScope(ctx.principal, ctx.scope));
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kVpc, scope));
  PN_ASSIGN_OR_RETURN(model::Vpc vpc, model::BuildVpc(spec));
  core_.StampNew(vpc.meta, scope);
  PN_RETURN_IF_ERROR(core_.Insert(ctx, "CreateVpc", Kind::kVpc, vpc));
  return vpc;
}

absl::StatusOr<model::Vpc> VpcService::Update(const RequestContext& ctx, const std::string& id,
                                              const std::string& etag, const MetaUpdate& update) {
  return core_.Update<model::Vpc>(
      ctx, "UpdateVpc", Kind::kVpc, id, etag, [&](model::Vpc& vpc) -> absl::StatusOr<store::Txn> {
        PN_RETURN_IF_ERROR(ServiceCore::ApplyMeta(Kind::kVpc, update, vpc.meta));
        return store::Txn{};
      });
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
  return core_.DeleteGuarded(ctx, "DeleteVpc", Kind::kVpc, vpc.meta,
                             {{keys::Children(keys::Relation::kVpcSubnets, id),
                               absl::StrCat("vpc ", id, " still has subnets; delete them first")}});
}

}  // namespace plasmanet::service
