// EtcdStore: the Store backend for several plasmanetd replicas, on an etcd v3 cluster (3.4 or
// later). Store's semantics are etcd's, so most calls map one to one:
//   - Commit is one etcd Txn (etcd_txn.h), its revision the response header's; a transaction
//     that changes nothing does not advance etcd's revision either;
//   - Range, Get and CurrentRevision are linearizable etcd Ranges: they need the quorum, and
//     fail with UNAVAILABLE without it rather than answer from a stale member;
//   - Watch is an etcd watch that survives member failures (etcd_watcher.h);
//   - Compact(r) compacts etcd at r: etcd keeps r itself readable, but a watch never needs it
//     (Watch(prefix, r) starts at r + 1), and Watch(prefix, after) fails for any after < r.
//
// Revisions are etcd's: a new cluster starts at revision 1, not 0.
//
// Automatic compaction keeps the last `retained_revisions` revisions, as the SQLite backend
// does: once a commit sees the revision more than retained_revisions plus a tenth past the last
// compaction, that commit compacts to about retained_revisions behind it (etcd's compaction is
// cheap to request and runs in the background). Replicas each do so; a compaction another
// replica already passed is refused by etcd and ignored here. It compacts only at a revision
// made by one of this client's own transactions that deleted nothing: etcd releases without
// the fix of etcd-io/etcd#18274 (2024; Debian 12 ships 3.4.23) drop a delete's tombstone when
// compacting at the delete's revision, and a watcher lagging exactly there then never hears of
// the delete (etcd-io/etcd#18089). A revision that holds only puts has no tombstone to lose.
//
// Operators: etcd refuses transactions over its --max-txn-ops (default 128) and requests over
// --max-request-bytes (default 1.5 MiB); the store URL carries the same numbers so that such a
// transaction fails here with a message naming them (etcd_options.h). Leave etcd's
// --auto-compaction-retention unset, or set the URL's retained-revisions=0 to rely on it.
//
// Thread-safe. Watchers may outlive the store; they fail with CANCELLED once it is destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "store/etcd/etcd_client.h"
#include "store/etcd/etcd_options.h"
#include "store/etcd/etcd_txn.h"
#include "store/store.h"

namespace plasmanet::store::etcd {

class EtcdStore final : public Store {
 public:
  // Opens the store named by `spec`, a store URL without its "etcd:" prefix (syntax in
  // etcd_options.h). INVALID_ARGUMENT for a bad URL; UNAVAILABLE if the cluster does not answer.
  static absl::StatusOr<std::unique_ptr<EtcdStore>> Open(absl::string_view spec);
  static absl::StatusOr<std::unique_ptr<EtcdStore>> Open(EtcdOptions options);
  ~EtcdStore() override;

  absl::StatusOr<std::optional<KeyValue>> Get(absl::string_view key) override;
  absl::StatusOr<RangeResult> Range(const RangeRequest& request) override;
  absl::StatusOr<TxnResult> Commit(Txn txn) override;
  absl::StatusOr<std::unique_ptr<Watcher>> Watch(std::string prefix,
                                                 int64_t after_revision) override;
  absl::StatusOr<int64_t> CurrentRevision() override;
  absl::Status Compact(int64_t revision) override;

  // The connection, for what Store does not cover (leases, for leader election).
  const std::shared_ptr<EtcdClient>& client() const { return client_; }

 private:
  explicit EtcdStore(std::shared_ptr<EtcdClient> client);

  // Drops history up to and including `revision` (Store terms); quietly OK if it already is.
  absl::Status CompactThrough(int64_t revision, bool physical);
  // Automatic compaction after a commit that saw `revision`.
  void MaybeCompact(int64_t revision);

  // Notes `revision`, made by a committed transaction of this client that deleted nothing, as
  // a safe compaction point (one in every retained/40 revisions or so is kept).
  void RememberPutOnlyRevision(int64_t revision);
  // The newest remembered safe compaction point at or below `revision`, forgetting it and the
  // older ones; nullopt if there is none.
  std::optional<int64_t> TakePutOnlyRevisionAtOrBelow(int64_t revision);

  const std::shared_ptr<EtcdClient> client_;
  const EtcdTxnLimits limits_;
  const int64_t retained_;

  // The history floor this client last compacted to, and whether a compaction is under way.
  std::atomic<int64_t> compacted_through_{0};
  std::atomic<bool> compacting_{false};

  std::mutex put_only_mu_;
  std::deque<int64_t> put_only_revisions_;  // ascending
};

}  // namespace plasmanet::store::etcd
