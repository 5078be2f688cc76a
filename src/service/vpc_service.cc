#include "service/vpc_service.h"

namespace plasmanet::service {

using auth::Kind;
using store::Compare;
using store::Op;

absl::StatusOr<model::Vpc> VpcService::Create(const RequestContext& ctx,
                                              const model::VpcSpec& spec) {
  PN_ASSIGN_OR_RETURN(auth::Scope scope, auth::ResolveCreateScope(ctx.principal, ctx.scope));
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kVpc, scope));
  PN_ASSIGN_OR_RETURN(model::Vpc vpc, model::BuildVpc(spec));
  core_.StampNew(vpc.meta, scope);

  store::Txn txn;
  txn.compares.push_back(Compare::Absent(keys::Object(Kind::kVpc, vpc.meta.id)));
  txn.ops.push_back(Op::Put(keys::Object(Kind::kVpc, vpc.meta.id), model::Encode(vpc)));
  txn.ops.push_back(Op::Put(keys::ScopeEntry(scope, Kind::kVpc, vpc.meta.id), ""));
  PN_ASSIGN_OR_RETURN(store::TxnResult result, core_.store().Commit(std::move(txn)));
  if (!result.succeeded) {
    return absl::AbortedError("vpc id collision; retry the request");
  }
  vpc.meta.revision = result.revision;
  return vpc;
}

absl::StatusOr<model::Vpc> VpcService::Get(const RequestContext& ctx, const std::string& id) {
  return core_.LoadVisible<model::Vpc>(ctx.principal, Kind::kVpc, id, "vpc_id");
}

absl::StatusOr<ListPage<model::Vpc>> VpcService::List(const RequestContext& ctx,
                                                      const ListOptions& options) {
  return core_.List<model::Vpc>(ctx.principal, Kind::kVpc, options);
}

absl::Status VpcService::Delete(const RequestContext& ctx, const std::string& id) {
  PN_ASSIGN_OR_RETURN(model::Vpc vpc, Get(ctx, id));
  const auth::Scope scope{vpc.meta.org_id, vpc.meta.project_id};
  PN_RETURN_IF_ERROR(auth::CheckWrite(ctx.principal, Kind::kVpc, scope));

  store::Txn txn;
  txn.compares.push_back(Compare::ModRevisionIs(keys::Object(Kind::kVpc, id), vpc.meta.revision));
  txn.compares.push_back(Compare::PrefixEmpty(keys::Children(keys::Relation::kVpcSubnets, id)));
  txn.ops.push_back(Op::Delete(keys::Object(Kind::kVpc, id)));
  txn.ops.push_back(Op::Delete(keys::ScopeEntry(scope, Kind::kVpc, id)));
  PN_ASSIGN_OR_RETURN(store::TxnResult result, core_.store().Commit(std::move(txn)));
  if (result.failed_compare == 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("vpc ", id, " still has subnets; delete them first"));
  }
  if (!result.succeeded) {
    return absl::AbortedError(absl::StrCat("vpc ", id, " changed during the delete; retry"));
  }
  return absl::OkStatus();
}

}  // namespace plasmanet::service
