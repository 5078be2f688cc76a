// ServiceCore: what every use case shares: the store, the clock, id generation, IPAM, and the
// typed helpers that load objects with tenant scoping and retry transactions on conflict.
//
// Every use case follows the same shape (see docs/architecture.md):
//   authorize -> validate -> read what it depends on -> build ONE transaction whose compares
//   guard those reads -> commit -> on a failed compare, read again and retry (bounded).
//
// Thread-safe: the members are thread-safe and the helpers keep no state.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include "auth/authorizer.h"
#include "auth/principal.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "model/json_codec.h"
#include "service/id_source.h"
#include "service/ipam_registry.h"
#include "service/keys.h"
#include "service/quota_registry.h"
#include "service/read_cache.h"
#include "store/store.h"

namespace plasmanet::service {

// Who is asking, and for creates by platform-wide principals, in which project.
struct RequestContext {
  auth::Principal principal;
  std::optional<auth::Scope> scope;
  // Safe retries: a mutation carrying a request id already seen in the caller's project
  // within kRequestIdLifetime does nothing again and returns the first result.
  std::string request_id;
  // Run every check, including the store's compares, and change nothing.
  bool validate_only = false;
};

inline constexpr absl::Duration kRequestIdLifetime = absl::Hours(24);

// Name and labels, the fields every kind may update. Unset: unchanged.
struct MetaUpdate {
  std::optional<std::string> name;
  std::optional<model::Labels> labels;
};

struct ListOptions {
  int page_size = 0;       // 0: kDefaultPageSize; at most kMaxPageSize
  std::string page_token;  // from the previous page's next_page_token
  // Platform-wide principals may narrow a listing to one project.
  std::optional<auth::Scope> scope;
};

template <typename T>
struct ListPage {
  std::vector<T> items;
  std::string next_page_token;  // empty on the last page
};

// A List filter keeping objects named `name`, or everything when `name` is empty.
template <typename T>
std::function<bool(const T&)> NameIs(const std::string& name) {
  if (name.empty()) return nullptr;
  return [name](const T& object) { return object.meta.name == name; };
}

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;
inline constexpr int kMaxCommitAttempts = 32;

class ServiceCore {
 public:
  ServiceCore(store::Store& store, Clock& clock, IdSource& ids, IpamRegistry& ipam,
              QuotaRegistry& quota)
      : store_(store), clock_(clock), ids_(ids), ipam_(ipam), quota_(quota) {}

  store::Store& store() { return store_; }
  Clock& clock() { return clock_; }
  IdSource& ids() { return ids_; }
  IpamRegistry& ipam() { return ipam_; }

  // Claims a quota slot for a new object of `kind` (meta.quota_slot), adding its
  // create-if-absent guard and key to `txn`. Returns the guard's index in txn.compares, or -1
  // for kinds without a quota. RESOURCE_EXHAUSTED when the project's quota is used up.
  absl::StatusOr<int> ClaimQuota(auth::Kind kind, model::ObjectMeta& meta, store::Txn& txn);
  // After the commit of a claim: `kept` when the object was written; otherwise the slot is
  // returned, and forgotten altogether when `stale` (its guard failed: another server).
  void SettleQuota(auth::Kind kind, const model::ObjectMeta& meta, bool kept, bool stale);
  // Deleting an object frees its slot: the op for the transaction, then Release after it.
  void AddQuotaDelete(auth::Kind kind, const model::ObjectMeta& meta, std::vector<store::Op>& ops);
  void ReleaseQuota(auth::Kind kind, const model::ObjectMeta& meta);

  // The object, with meta.revision set, or nullopt if there is none.
  template <typename T>
  absl::StatusOr<std::optional<T>> Load(auth::Kind kind, const std::string& id);

  // The object if `principal` may read it; otherwise NOT_FOUND naming `field` (never revealing
  // that another tenant's object exists).
  template <typename T>
  absl::StatusOr<T> LoadVisible(const auth::Principal& principal, auth::Kind kind,
                                const std::string& id, absl::string_view field);

  // LoadVisible through `cache`: its copy unless `fresh` or missing, else the store's (which
  // the cache then keeps). Only for callers whose transaction guards the object's revision, and
  // that pass `fresh` when retrying after a failed guard (see ReadCache).
  template <typename T>
  absl::StatusOr<std::shared_ptr<const T>> LoadVisibleCached(const auth::Principal& principal,
                                                             auth::Kind kind, const std::string& id,
                                                             absl::string_view field,
                                                             ReadCache<T>& cache, bool fresh);

  // A page of the objects of `kind` that `principal` may read and `keep` accepts.
  template <typename T>
  absl::StatusOr<ListPage<T>> List(const auth::Principal& principal, auth::Kind kind,
                                   const ListOptions& options,
                                   const std::function<bool(const T&)>& keep = nullptr);

  // Runs `attempt` until it returns a value or an error. An attempt returns nullopt when a
  // compare failed because something it read changed; it is then run again on fresh reads.
  // ABORTED after kMaxCommitAttempts.
  template <typename T>
  absl::StatusOr<T> RetryOnConflict(
      absl::string_view what, const std::function<absl::StatusOr<std::optional<T>>()>& attempt);

  // Fills identity and timestamps of a new object's meta.
  void StampNew(model::ObjectMeta& meta, const auth::Scope& scope);

  // The first result of `method` under ctx.request_id, if this request was already carried
  // out: the object it returned (T = model type), or std::monostate for methods without one.
  // INVALID_ARGUMENT if the id was used for another method or is malformed.
  template <typename T>
  absl::StatusOr<std::optional<T>> Replay(const RequestContext& ctx, absl::string_view method);

  // Commits the transaction of `method`. With ctx.request_id, also records `result` (the
  // encoded object returned, or empty) under it, atomically; a concurrent request with the same
  // id is ABORTED (retrying then replays). With ctx.validate_only, evaluates the compares and
  // writes nothing. Callers skip their side effects (IPAM) when validate_only is set.
  absl::StatusOr<store::TxnResult> Commit(const RequestContext& ctx, absl::string_view method,
                                          store::Txn txn, const std::string& result = "");

  // Read-modify-write of one object: loads it (NOT_FOUND unless visible), checks the caller
  // may change it and that `etag`, when given, is its current revision (ABORTED otherwise),
  // lets `change` validate and modify it (returning any extra compares and ops, for indexes),
  // and commits under a guard on the revision read, retrying if it moved.
  template <typename T>
  absl::StatusOr<T> Update(const RequestContext& ctx, absl::string_view method, auth::Kind kind,
                           const std::string& id, const std::string& etag,
                           const std::function<absl::StatusOr<store::Txn>(T&)>& change);

  // Deletes request_id records older than kRequestIdLifetime (and unreadable ones), each only
  // if unchanged since read, so an id reused meanwhile keeps its fresh record. Returns how many
  // went. Records are otherwise only overwritten when their id is reused.
  absl::StatusOr<int64_t> SweepExpiredRequests();

  // Applies and validates a MetaUpdate on `meta` of an object of `kind`.
  static absl::Status ApplyMeta(auth::Kind kind, const MetaUpdate& update, model::ObjectMeta& meta);

  // Commits a new object (already stamped) with its scope index entry, plus `txn`'s own
  // compares and ops, and sets its revision. For objects whose creation reads nothing that
  // could change: a failed compare can only be an id collision, which is ABORTED.
  template <typename T>
  absl::Status Insert(const RequestContext& ctx, absl::string_view method, auth::Kind kind,
                      T& object, store::Txn txn = {});

  // A child relation that must be empty before its parent may go, and what to say if not.
  struct MustBeEmpty {
    std::string prefix;
    std::string message;
  };
  // Deletes an object read at `meta.revision`, with its scope index entry and `extra_ops`,
  // provided every `must_be_empty` prefix is empty (FAILED_PRECONDITION with its message
  // otherwise) and the object did not change since it was read (ABORTED otherwise).
  absl::Status DeleteGuarded(const RequestContext& ctx, absl::string_view method, auth::Kind kind,
                             const model::ObjectMeta& meta,
                             const std::vector<MustBeEmpty>& must_be_empty,
                             std::vector<store::Op> extra_ops = {});

 private:
  struct RequestRecord {
    std::string result;  // what Commit recorded
    int64_t revision;    // the revision of the original commit
  };
  absl::StatusOr<std::optional<RequestRecord>> FindRequest(const RequestContext& ctx,
                                                           absl::string_view method);
  // The NOT_FOUND of an object the caller may not see, the same whether it exists or not.
  static absl::Status NotVisible(auth::Kind kind, const std::string& id, absl::string_view field);

  // One page of keys to list: a tenant's scope index, or the objects themselves.
  absl::StatusOr<std::vector<store::KeyValue>> ScanIds(const auth::Principal& principal,
                                                       auth::Kind kind, const ListOptions& options,
                                                       std::string* last_key, bool* more);

  store::Store& store_;
  Clock& clock_;
  IdSource& ids_;
  IpamRegistry& ipam_;
  QuotaRegistry& quota_;
};

// ---------------------------------------------------------------------------------------------
// Template definitions.

template <typename T>
absl::StatusOr<std::optional<T>> ServiceCore::Load(auth::Kind kind, const std::string& id) {
  PN_ASSIGN_OR_RETURN(std::optional<store::KeyValue> kv, store_.Get(keys::Object(kind, id)));
  if (!kv.has_value()) {
    return std::optional<T>();
  }
  PN_ASSIGN_OR_RETURN(T object, model::Decode<T>(kv->value));
  object.meta.revision = kv->mod_revision;
  return std::optional<T>(std::move(object));
}

template <typename T>
absl::StatusOr<T> ServiceCore::LoadVisible(const auth::Principal& principal, auth::Kind kind,
                                           const std::string& id, absl::string_view field) {
  if (id.empty() || id.size() > 64 || id.find('/') != std::string::npos) {
    return NotVisible(kind, id, field);
  }
  PN_ASSIGN_OR_RETURN(std::optional<T> object, Load<T>(kind, id));
  if (!object.has_value() ||
      !auth::CanRead(principal, kind, {object->meta.org_id, object->meta.project_id})) {
    return NotVisible(kind, id, field);
  }
  return std::move(*object);
}

template <typename T>
absl::StatusOr<std::shared_ptr<const T>> ServiceCore::LoadVisibleCached(
    const auth::Principal& principal, auth::Kind kind, const std::string& id,
    absl::string_view field, ReadCache<T>& cache, bool fresh) {
  if (!fresh) {
    if (std::shared_ptr<const T> cached = cache.Find(id)) {
      // Owners never change, so even a stale copy says who may see the object.
      if (!auth::CanRead(principal, kind, {cached->meta.org_id, cached->meta.project_id})) {
        return NotVisible(kind, id, field);
      }
      return cached;
    }
  }
  PN_ASSIGN_OR_RETURN(T object, LoadVisible<T>(principal, kind, id, field));
  auto shared = std::make_shared<const T>(std::move(object));
  cache.Put(id, shared);
  return shared;
}

template <typename T>
absl::StatusOr<ListPage<T>> ServiceCore::List(const auth::Principal& principal, auth::Kind kind,
                                              const ListOptions& options,
                                              const std::function<bool(const T&)>& keep) {
  const int page_size =
      options.page_size <= 0 ? kDefaultPageSize : std::min(options.page_size, kMaxPageSize);
  if (options.page_size < 0) {
    return InvalidField("page_size", "must not be negative");
  }
  ListPage<T> page;
  ListOptions scan = options;
  while (true) {
    std::string last_key;
    bool more = false;
    PN_ASSIGN_OR_RETURN(std::vector<store::KeyValue> ids,
                        ScanIds(principal, kind, scan, &last_key, &more));
    const std::string objects_prefix = keys::KindPrefix(kind);
    for (const store::KeyValue& entry : ids) {
      std::optional<T> object;
      if (entry.key.compare(0, objects_prefix.size(), objects_prefix) == 0) {
        // Scanning the objects themselves: the value is the object, no second read.
        PN_ASSIGN_OR_RETURN(object, model::Decode<T>(entry.value));
        object->meta.revision = entry.mod_revision;
      } else {
        // Scanning a tenant's index: load each object it names.
        PN_ASSIGN_OR_RETURN(object, Load<T>(kind, entry.key.substr(entry.key.rfind('/') + 1)));
      }
      scan.page_token = entry.key;
      if (!object.has_value() ||
          !auth::CanRead(principal, kind, {object->meta.org_id, object->meta.project_id}) ||
          (keep && !keep(*object))) {
        continue;  // deleted since the scan, or filtered out
      }
      page.items.push_back(std::move(*object));
      if (static_cast<int>(page.items.size()) == page_size) {
        page.next_page_token = entry.key;
        return page;
      }
    }
    if (!more) {
      return page;
    }
    scan.page_token = last_key;
  }
}

template <typename T>
absl::StatusOr<std::optional<T>> ServiceCore::Replay(const RequestContext& ctx,
                                                     absl::string_view method) {
  PN_ASSIGN_OR_RETURN(std::optional<RequestRecord> record, FindRequest(ctx, method));
  if (!record.has_value()) {
    return std::optional<T>();
  }
  if constexpr (std::is_same_v<T, std::monostate>) {
    return std::optional<T>(std::monostate());
  } else {
    PN_ASSIGN_OR_RETURN(T object, model::Decode<T>(record->result));
    object.meta.revision = record->revision;
    return std::optional<T>(std::move(object));
  }
}

template <typename T>
absl::Status ServiceCore::Insert(const RequestContext& ctx, absl::string_view method,
                                 auth::Kind kind, T& object, store::Txn extra) {
  const auth::Scope scope{object.meta.org_id, object.meta.project_id};
  for (int attempt = 0; attempt < kMaxCommitAttempts; ++attempt) {
    store::Txn txn = extra;
    PN_ASSIGN_OR_RETURN(int quota_guard, ClaimQuota(kind, object.meta, txn));
    txn.compares.push_back(store::Compare::Absent(keys::Object(kind, object.meta.id)));
    txn.ops.push_back(store::Op::Put(keys::Object(kind, object.meta.id), model::Encode(object)));
    txn.ops.push_back(store::Op::Put(keys::ScopeEntry(scope, kind, object.meta.id), ""));
    absl::StatusOr<store::TxnResult> result =
        Commit(ctx, method, std::move(txn), model::Encode(object));
    const bool written = result.ok() && result->succeeded && !ctx.validate_only;
    const bool stale = result.ok() && quota_guard >= 0 && result->failed_compare == quota_guard;
    SettleQuota(kind, object.meta, written, stale);
    PN_RETURN_IF_ERROR(result.status());
    if (stale) continue;  // another server took the slot: reload and claim another
    if (!result->succeeded) {
      return absl::AbortedError(
          absl::StrCat(auth::KindName(kind), " id collision; retry the request"));
    }
    object.meta.revision = result->revision;
    return absl::OkStatus();
  }
  return absl::AbortedError(absl::StrCat(method, ": quota slots keep changing; retry"));
}

template <typename T>
absl::StatusOr<T> ServiceCore::Update(const RequestContext& ctx, absl::string_view method,
                                      auth::Kind kind, const std::string& id,
                                      const std::string& etag,
                                      const std::function<absl::StatusOr<store::Txn>(T&)>& change) {
  PN_ASSIGN_OR_RETURN(std::optional<T> replay, Replay<T>(ctx, method));
  if (replay.has_value()) return std::move(*replay);
  return RetryOnConflict<T>(method, [&]() -> absl::StatusOr<std::optional<T>> {
    PN_ASSIGN_OR_RETURN(T object, LoadVisible<T>(ctx.principal, kind, id,
                                                 absl::StrCat(auth::KindName(kind), "_id")));
    PN_RETURN_IF_ERROR(
        auth::CheckWrite(ctx.principal, kind, {object.meta.org_id, object.meta.project_id}));
    if (!etag.empty() && etag != absl::StrCat(object.meta.revision)) {
      return absl::AbortedError(absl::StrCat(auth::KindName(kind), " ", id, " changed: etag ", etag,
                                             " is stale, the current one is ",
                                             object.meta.revision));
    }
    PN_ASSIGN_OR_RETURN(store::Txn txn, change(object));
    object.meta.updated_at = clock_.Now();
    const std::string key = keys::Object(kind, id);
    txn.compares.push_back(store::Compare::ModRevisionIs(key, object.meta.revision));
    const std::string encoded = model::Encode(object);
    txn.ops.push_back(store::Op::Put(key, encoded));
    PN_ASSIGN_OR_RETURN(store::TxnResult result, Commit(ctx, method, std::move(txn), encoded));
    if (!result.succeeded) {
      return std::optional<T>();
    }
    object.meta.revision = result.revision;
    return std::optional<T>(std::move(object));
  });
}

template <typename T>
absl::StatusOr<T> ServiceCore::RetryOnConflict(
    absl::string_view what, const std::function<absl::StatusOr<std::optional<T>>()>& attempt) {
  for (int i = 0; i < kMaxCommitAttempts; ++i) {
    PN_ASSIGN_OR_RETURN(std::optional<T> result, attempt());
    if (result.has_value()) {
      return std::move(*result);
    }
  }
  return absl::AbortedError(absl::StrCat(what, ": gave up after ", kMaxCommitAttempts,
                                         " attempts; the objects it depends on keep changing"));
}

}  // namespace plasmanet::service
