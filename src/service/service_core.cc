#include "service/service_core.h"

#include <absl/strings/match.h>
#include <nlohmann/json.hpp>

namespace plasmanet::service {

void ServiceCore::StampNew(model::ObjectMeta& meta, const auth::Scope& scope) {
  meta.id = ids_.NewId();
  meta.org_id = scope.org_id;
  meta.project_id = scope.project_id;
  meta.created_at = meta.updated_at = clock_.Now();
}

namespace {

bool IsRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

constexpr absl::string_view kRequestPrefix = "/v1/requests/";

// Request ids are scoped to the caller's project: one project's ids never replay another's.
std::string RequestKey(const RequestContext& ctx) {
  return absl::StrCat(kRequestPrefix, ctx.principal.scope.org_id, "/",
                      ctx.principal.scope.project_id, "/", ctx.request_id);
}

}  // namespace

absl::StatusOr<std::optional<ServiceCore::RequestRecord>> ServiceCore::FindRequest(
    const RequestContext& ctx, absl::string_view method) {
  if (ctx.request_id.empty() || ctx.validate_only) {
    return std::optional<RequestRecord>();
  }
  if (!IsRequestId(ctx.request_id)) {
    return InvalidField("request_id", "must be 1-128 characters of letters, digits, - _ .");
  }
  PN_ASSIGN_OR_RETURN(std::optional<store::KeyValue> kv, store_.Get(RequestKey(ctx)));
  if (!kv.has_value()) {
    return std::optional<RequestRecord>();
  }
  nlohmann::json record = nlohmann::json::parse(kv->value, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded() || !record.contains("method") || !record.contains("at")) {
    return absl::DataLossError(absl::StrCat("corrupt request record ", kv->key));
  }
  if (absl::FromUnixSeconds(record["at"].get<int64_t>()) + kRequestIdLifetime < clock_.Now()) {
    return std::optional<RequestRecord>();  // expired: the id may be used afresh
  }
  if (record["method"].get<std::string>() != method) {
    return InvalidField("request_id",
                        absl::StrCat("was already used for ", record["method"].get<std::string>()));
  }
  return std::optional<RequestRecord>(
      RequestRecord{record.value("result", std::string()), kv->mod_revision});
}

absl::StatusOr<int64_t> ServiceCore::SweepExpiredRequests() {
  const absl::Time now = clock_.Now();
  int64_t swept = 0;
  store::RangeRequest request{.prefix = std::string(kRequestPrefix), .limit = 1000};
  while (true) {
    PN_ASSIGN_OR_RETURN(store::RangeResult page, store_.Range(request));
    for (const store::KeyValue& kv : page.kvs) {
      nlohmann::json record = nlohmann::json::parse(kv.value, nullptr, /*allow_exceptions=*/false);
      const bool readable =
          !record.is_discarded() && record.contains("at") && record["at"].is_number_integer();
      if (readable &&
          absl::FromUnixSeconds(record["at"].get<int64_t>()) + kRequestIdLifetime >= now) {
        continue;
      }
      PN_ASSIGN_OR_RETURN(store::TxnResult deleted,
                          store_.Commit({{store::Compare::ModRevisionIs(kv.key, kv.mod_revision)},
                                         {store::Op::Delete(kv.key)}}));
      if (deleted.succeeded) ++swept;
    }
    if (!page.more) return swept;
    request.start_after = page.kvs.back().key;
  }
}

absl::StatusOr<store::TxnResult> ServiceCore::Commit(const RequestContext& ctx,
                                                     absl::string_view method, store::Txn txn,
                                                     const std::string& result) {
  if (ctx.validate_only) {
    txn.ops.clear();  // the compares still run, atomically, against the current state
    return store_.Commit(std::move(txn));
  }
  if (ctx.request_id.empty()) {
    return store_.Commit(std::move(txn));
  }
  if (!IsRequestId(ctx.request_id)) {
    return InvalidField("request_id", "must be 1-128 characters of letters, digits, - _ .");
  }
  // Recorded in the same transaction as the change itself: exactly once, even across crashes.
  // Expired records are deleted by SweepExpiredRequests.
  const std::string key = RequestKey(ctx);
  PN_ASSIGN_OR_RETURN(std::optional<store::KeyValue> previous, store_.Get(key));
  txn.compares.push_back(previous.has_value()
                             ? store::Compare::ModRevisionIs(key, previous->mod_revision)
                             : store::Compare::Absent(key));
  nlohmann::json record{{"method", std::string(method)},
                        {"at", absl::ToUnixSeconds(clock_.Now())},
                        {"result", result}};
  txn.ops.push_back(store::Op::Put(key, record.dump()));
  const int request_compare = static_cast<int>(txn.compares.size()) - 1;
  PN_ASSIGN_OR_RETURN(store::TxnResult committed, store_.Commit(std::move(txn)));
  if (committed.failed_compare == request_compare) {
    return absl::AbortedError(
        absl::StrCat("request ", ctx.request_id, " is being carried out by another call; retry"));
  }
  return committed;
}

absl::Status ServiceCore::NotVisible(auth::Kind kind, const std::string& id,
                                     absl::string_view field) {
  return FieldError(absl::StatusCode::kNotFound, field,
                    absl::StrCat(auth::KindName(kind), " ", id, " not found"));
}

absl::StatusOr<int> ServiceCore::ClaimQuota(auth::Kind kind, model::ObjectMeta& meta,
                                            store::Txn& txn) {
  const auth::Scope scope{meta.org_id, meta.project_id};
  PN_ASSIGN_OR_RETURN(meta.quota_slot, quota_.Propose(scope, kind));
  if (meta.quota_slot < 0) return -1;
  const std::string key = keys::QuotaSlot(scope, kind, meta.quota_slot);
  txn.compares.push_back(store::Compare::Absent(key));
  txn.ops.push_back(store::Op::Put(key, meta.id));
  return static_cast<int>(txn.compares.size()) - 1;
}

void ServiceCore::SettleQuota(auth::Kind kind, const model::ObjectMeta& meta, bool kept,
                              bool stale) {
  if (kept || meta.quota_slot < 0) return;
  const auth::Scope scope{meta.org_id, meta.project_id};
  if (stale) {
    quota_.Forget(scope, kind);
  } else {
    quota_.Release(scope, kind, meta.quota_slot);
  }
}

void ServiceCore::AddQuotaDelete(auth::Kind kind, const model::ObjectMeta& meta,
                                 std::vector<store::Op>& ops) {
  if (meta.quota_slot < 0) return;
  ops.push_back(
      store::Op::Delete(keys::QuotaSlot({meta.org_id, meta.project_id}, kind, meta.quota_slot)));
}

void ServiceCore::ReleaseQuota(auth::Kind kind, const model::ObjectMeta& meta) {
  quota_.Release({meta.org_id, meta.project_id}, kind, meta.quota_slot);
}

absl::Status ServiceCore::ApplyMeta(auth::Kind kind, const MetaUpdate& update,
                                    model::ObjectMeta& meta) {
  PN_RETURN_IF_ERROR(model::ValidateNameAndLabels(
      auth::KindName(kind), update.name.value_or(meta.name), update.labels.value_or(meta.labels)));
  if (update.name.has_value()) meta.name = *update.name;
  if (update.labels.has_value()) meta.labels = *update.labels;
  return absl::OkStatus();
}

absl::Status ServiceCore::DeleteGuarded(const RequestContext& ctx, absl::string_view method,
                                        auth::Kind kind, const model::ObjectMeta& meta,
                                        const std::vector<MustBeEmpty>& must_be_empty,
                                        std::vector<store::Op> extra_ops) {
  const auth::Scope scope{meta.org_id, meta.project_id};
  store::Txn txn;
  txn.compares.push_back(store::Compare::ModRevisionIs(keys::Object(kind, meta.id), meta.revision));
  for (const MustBeEmpty& guard : must_be_empty) {
    txn.compares.push_back(store::Compare::PrefixEmpty(guard.prefix));
  }
  txn.ops = std::move(extra_ops);
  AddQuotaDelete(kind, meta, txn.ops);
  txn.ops.push_back(store::Op::Delete(keys::Object(kind, meta.id)));
  txn.ops.push_back(store::Op::Delete(keys::ScopeEntry(scope, kind, meta.id)));
  PN_ASSIGN_OR_RETURN(store::TxnResult result, Commit(ctx, method, std::move(txn)));
  if (result.failed_compare >= 1) {
    return absl::FailedPreconditionError(must_be_empty[result.failed_compare - 1].message);
  }
  if (!result.succeeded) {
    return absl::AbortedError(
        absl::StrCat(auth::KindName(kind), " ", meta.id, " changed during the delete; retry"));
  }
  if (!ctx.validate_only) ReleaseQuota(kind, meta);
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
