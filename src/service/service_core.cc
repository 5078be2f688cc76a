#include "service/service_core.h"

#include <absl/strings/match.h>

namespace plasmanet::service {

void ServiceCore::StampNew(model::ObjectMeta& meta, const auth::Scope& scope) {
  meta.id = ids_.NewId();
  meta.org_id = scope.org_id;
  meta.project_id = scope.project_id;
  meta.created_at = meta.updated_at = clock_.Now();
}

absl::Status ServiceCore::DeleteGuarded(auth::Kind kind, const model::ObjectMeta& meta,
                                        const std::vector<MustBeEmpty>& must_be_empty,
                                        std::vector<store::Op> extra_ops) {
  const auth::Scope scope{meta.org_id, meta.project_id};
  store::Txn txn;
  txn.compares.push_back(store::Compare::ModRevisionIs(keys::Object(kind, meta.id), meta.revision));
  for (const MustBeEmpty& guard : must_be_empty) {
    txn.compares.push_back(store::Compare::PrefixEmpty(guard.prefix));
  }
  txn.ops = std::move(extra_ops);
  txn.ops.push_back(store::Op::Delete(keys::Object(kind, meta.id)));
  txn.ops.push_back(store::Op::Delete(keys::ScopeEntry(scope, kind, meta.id)));
  PN_ASSIGN_OR_RETURN(store::TxnResult result, store_.Commit(std::move(txn)));
  if (result.failed_compare >= 1) {
    return absl::FailedPreconditionError(must_be_empty[result.failed_compare - 1].message);
  }
  if (!result.succeeded) {
    return absl::AbortedError(
        absl::StrCat(auth::KindName(kind), " ", meta.id, " changed during the delete; retry"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<store::KeyValue>> ServiceCore::ScanIds(const auth::Principal& principal,
                                                                  auth::Kind kind,
                                                                  const ListOptions& options,
                                                                  std::string* last_key,
                                                                  bool* more) {
  // Project principals read their scope index; platform-wide ones the whole kind, unless they
  // narrow it to a project. External networks are shared, so everyone reads the whole kind.
  std::string prefix;
  if (kind == auth::Kind::kExternalNetwork) {
    prefix = keys::KindPrefix(kind);
  } else if (!principal.platform_wide()) {
    prefix = keys::ScopePrefix(principal.scope, kind);
  } else if (options.scope.has_value()) {
    prefix = keys::ScopePrefix(*options.scope, kind);
  } else {
    prefix = keys::KindPrefix(kind);
  }
  if (!options.page_token.empty() && !absl::StartsWith(options.page_token, prefix)) {
    return InvalidField("page_token", "does not belong to this listing");
  }
  PN_ASSIGN_OR_RETURN(
      store::RangeResult result,
      store_.Range({.prefix = prefix, .start_after = options.page_token, .limit = kMaxPageSize}));
  *more = result.more;
  *last_key = result.kvs.empty() ? options.page_token : result.kvs.back().key;
  return std::move(result.kvs);
}

}  // namespace plasmanet::service
