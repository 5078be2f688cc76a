#include "store/etcd/etcd_store.h"

#include <algorithm>
#include <utility>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include "common/logging.h"
#include "common/status_macros.h"
#include "store/etcd/etcd_txn.h"
#include "store/etcd/etcd_watcher.h"

namespace plasmanet::store::etcd {
namespace {

namespace pb = ::etcdserverpb;

KeyValue FromEtcd(const mvccpb::KeyValue& kv) {
  return KeyValue{.key = kv.key(),
                  .value = kv.value(),
                  .create_revision = kv.create_revision(),
                  .mod_revision = kv.mod_revision(),
                  .version = kv.version()};
}

bool SaysCompacted(const absl::Status& status) {
  return absl::StrContains(status.message(), "required revision has been compacted");
}

bool SaysFutureRevision(const absl::Status& status) {
  return absl::StrContains(status.message(), "required revision is a future revision");
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdStore>> EtcdStore::Open(absl::string_view spec) {
  PN_ASSIGN_OR_RETURN(EtcdOptions options, ParseEtcdUrl(spec));
  return Open(std::move(options));
}

absl::StatusOr<std::unique_ptr<EtcdStore>> EtcdStore::Open(EtcdOptions options) {
  PN_ASSIGN_OR_RETURN(std::shared_ptr<EtcdClient> client, EtcdClient::Connect(std::move(options)));
  std::unique_ptr<EtcdStore> store(new EtcdStore(std::move(client)));
  PN_ASSIGN_OR_RETURN(const int64_t revision, store->CurrentRevision());
  LOG_INFO("store opened backend=etcd endpoints={} revision={} retained_revisions={}",
           store->client_->options().EndpointList(), revision, store->retained_);
  return store;
}

EtcdStore::EtcdStore(std::shared_ptr<EtcdClient> client)
    : client_(std::move(client)),
      limits_{.max_txn_ops = client_->options().max_txn_ops,
              .max_request_bytes = client_->options().max_request_bytes},
      retained_(client_->options().retained_revisions) {}

EtcdStore::~EtcdStore() {
  client_->Shutdown();  // open watchers end with CANCELLED
  LOG_INFO("store closed backend=etcd endpoints={}", client_->options().EndpointList());
}

absl::StatusOr<std::optional<KeyValue>> EtcdStore::Get(absl::string_view key) {
  pb::RangeRequest request;
  request.set_key(std::string(key));
  PN_ASSIGN_OR_RETURN(pb::RangeResponse response, client_->Range(request));
  if (response.kvs_size() == 0) {
    return std::nullopt;
  }
  return FromEtcd(response.kvs(0));
}

absl::StatusOr<RangeResult> EtcdStore::Range(const RangeRequest& request) {
  auto [key, end] = PrefixRange(request.prefix);
  pb::RangeRequest read;
  // Keys after start_after: the smallest such key is start_after followed by a zero byte.
  std::string after = request.start_after.empty() ? "" : request.start_after + '\0';
  read.set_key(std::max(key, after));
  read.set_range_end(std::move(end));
  read.set_limit(std::max<int64_t>(request.limit, 0));
  PN_ASSIGN_OR_RETURN(pb::RangeResponse response, client_->Range(read));
  RangeResult result;
  result.kvs.reserve(response.kvs_size());
  for (const mvccpb::KeyValue& kv : response.kvs()) {
    result.kvs.push_back(FromEtcd(kv));
  }
  result.more = response.more();
  result.revision = response.header().revision();
  return result;
}

absl::StatusOr<int64_t> EtcdStore::CurrentRevision() {
  // Any linearizable read carries the revision; one absent key costs the least. "/" is inside
  // the key space an etcd user for PlasmaNET is granted (readwrite on the prefix "/").
  pb::RangeRequest request;
  request.set_key("/");
  request.set_count_only(true);
  PN_ASSIGN_OR_RETURN(pb::RangeResponse response, client_->Range(request));
  return response.header().revision();
}

absl::StatusOr<TxnResult> EtcdStore::Commit(Txn txn) {
  PN_ASSIGN_OR_RETURN(pb::TxnRequest request, BuildEtcdTxn(txn, limits_));
  PN_ASSIGN_OR_RETURN(pb::TxnResponse response, client_->Txn(request));
  TxnResult result{.succeeded = response.succeeded(), .revision = response.header().revision()};
  if (!result.succeeded) {
    PN_ASSIGN_OR_RETURN(result.failed_compare, FirstFailedCompare(txn, response));
    return result;
  }
  // A transaction without ops made no revision of its own: the one reported may be anyone's.
  const bool put_only =
      !txn.ops.empty() && std::all_of(txn.ops.begin(), txn.ops.end(),
                                      [](const Op& op) { return op.type == Op::Type::kPut; });
  if (put_only) {
    RememberPutOnlyRevision(result.revision);
  }
  MaybeCompact(result.revision);
  return result;
}

absl::StatusOr<std::unique_ptr<Watcher>> EtcdStore::Watch(std::string prefix,
                                                          int64_t after_revision) {
  PN_ASSIGN_OR_RETURN(std::unique_ptr<EtcdWatcher> watcher,
                      EtcdWatcher::Start(client_, std::move(prefix), after_revision));
  return std::unique_ptr<Watcher>(std::move(watcher));
}

absl::Status EtcdStore::Compact(int64_t revision) {
  return CompactThrough(revision, /*physical=*/true);
}

absl::Status EtcdStore::CompactThrough(int64_t revision, bool physical) {
  if (revision <= 0) {
    return absl::OkStatus();
  }
  // etcd keeps the revision it compacts at readable, so compacting at `revision` drops
  // everything before it, and a watch may resume from revision + 1 on. Compacting at
  // revision + 1 would look closer to the contract but lose a delete made at revision + 1:
  // etcd drops tombstones at its compaction revision, so that revision's history is incomplete.
  // A watcher whose next revision is exactly `revision` when the compaction happens is not
  // cancelled, and etcd without the fix of etcd-io/etcd#18274 may not send it a delete made at
  // that revision (etcd-io/etcd#18089): automatic compaction therefore picks revisions without
  // deletes (MaybeCompact). An explicit Compact is the caller's choice of revision.
  pb::CompactionRequest request;
  request.set_revision(revision);
  request.set_physical(physical);
  absl::StatusOr<pb::CompactionResponse> compacted = client_->Compact(request);
  if (!compacted.ok() && SaysFutureRevision(compacted.status())) {
    PN_ASSIGN_OR_RETURN(const int64_t current, CurrentRevision());
    return absl::OutOfRangeError(absl::StrCat("cannot compact revision ", revision,
                                              " beyond the current revision ", current));
  }
  if (!compacted.ok() && !SaysCompacted(compacted.status())) {
    return compacted.status();
  }
  // Already compacted that far (perhaps by another replica): nothing left to do.
  int64_t floor = compacted_through_.load();
  while (floor < revision && !compacted_through_.compare_exchange_weak(floor, revision)) {
  }
  return absl::OkStatus();
}

void EtcdStore::MaybeCompact(int64_t revision) {
  if (retained_ <= 0) {
    return;
  }
  // Compacting every retained/10 revisions keeps the requests rare while the history stays
  // between retained and 1.1 x retained revisions.
  const int64_t slack = std::max<int64_t>(1, retained_ / 10);
  if (revision - compacted_through_.load() < retained_ + slack) {
    return;
  }
  if (compacting_.exchange(true)) {
    return;  // another thread is at it
  }
  // Without a safe point at or below the target (this client made no put-only revision in the
  // window), the history grows until it has one or another replica compacts.
  const std::optional<int64_t> target = TakePutOnlyRevisionAtOrBelow(revision - retained_);
  if (target.has_value() && *target > compacted_through_.load()) {
    // Not physical: the caller's commit is done, and need not wait for etcd's cleanup.
    const absl::Status status = CompactThrough(*target, /*physical=*/false);
    if (!status.ok()) {
      LOG_WARN("store automatic compaction failed backend=etcd revision={} error=\"{}\"", *target,
               status.ToString());
    }
  }
  compacting_.store(false);
}

void EtcdStore::RememberPutOnlyRevision(int64_t revision) {
  // Sampling keeps the list near 44 entries whatever the retained window; the compaction point
  // is then at most retained/40 revisions older than it could be.
  const int64_t spacing = std::max<int64_t>(1, retained_ / 40);
  std::lock_guard lock(put_only_mu_);
  if (put_only_revisions_.empty() || revision >= put_only_revisions_.back() + spacing) {
    put_only_revisions_.push_back(revision);
  }
}

std::optional<int64_t> EtcdStore::TakePutOnlyRevisionAtOrBelow(int64_t revision) {
  std::lock_guard lock(put_only_mu_);
  std::optional<int64_t> taken;
  while (!put_only_revisions_.empty() && put_only_revisions_.front() <= revision) {
    taken = put_only_revisions_.front();
    put_only_revisions_.pop_front();
  }
  return taken;
}

}  // namespace plasmanet::store::etcd
