// SqliteStore: the embedded Store backend, for a single plasmanetd.
//
// Durability: WAL journal with synchronous=FULL, so a transaction is on disk when Commit
// returns and survives kill -9 and power loss.
//
// Throughput: one writer thread applies queued transactions in batches (group commit). Each
// transaction of a batch runs under its own SAVEPOINT, so one failing compare or error rolls
// back only that transaction, and the whole batch shares one COMMIT and hence one fsync.
// Reads use a pool of separate read-only connections and never wait for the writer (WAL).
// The WAL is copied back into the database file by a WalCheckpointer thread, not the writer.
//
// Tables: kv (current state), changes (the event log Watch reads; trimmed by Compact and by
// automatic compaction that keeps the last `retained_revisions`), meta (revision, compacted).
//
// One process at a time: Open takes an exclusive lock on "<path>.lock" and fails with
// FAILED_PRECONDITION while another process holds it (the kernel drops it if that process dies).
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "store/sqlite/sqlite_connection.h"
#include "store/sqlite/wal_checkpointer.h"
#include "store/store.h"

namespace plasmanet::store::sqlite {

struct SqliteStoreOptions {
  // Most transactions applied under one COMMIT.
  size_t max_batch = 512;
  // Change history kept for watchers; older revisions are compacted automatically.
  int64_t retained_revisions = 100'000;
};

class SqliteStore final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(absl::string_view path,
                                                           SqliteStoreOptions options = {});
  ~SqliteStore() override;

  absl::StatusOr<std::optional<KeyValue>> Get(absl::string_view key) override;
  absl::StatusOr<RangeResult> Range(const RangeRequest& request) override;
  absl::StatusOr<TxnResult> Commit(Txn txn) override;
  absl::StatusOr<std::unique_ptr<Watcher>> Watch(std::string prefix,
                                                 int64_t after_revision) override;
  absl::StatusOr<int64_t> CurrentRevision() override;
  absl::Status Compact(int64_t revision) override;

  // Number of SQLite COMMITs issued by the writer, for tests and benchmarks of group commit.
  int64_t commits_for_test() const;
  // Background WAL checkpoints run so far.
  int64_t checkpoints_for_test() const;

 private:
  class SqliteWatcher;
  struct Pending {
    Txn txn;
    std::promise<absl::StatusOr<TxnResult>> result;
  };
  // A read connection borrowed from the pool, returned on destruction.
  class ReadLease;

  SqliteStore(std::string path, SqliteStoreOptions options, ConnectionPtr writer, int lock_fd);

  absl::Status InitSchema();
  void WriterLoop();
  void ApplyBatch(std::vector<Pending>& batch);
  void FinishCheckpoint();
  absl::StatusOr<TxnResult> ApplyOne(const Txn& txn, int64_t& revision);
  absl::StatusOr<bool> Holds(const Compare& compare);
  absl::Status Put(const std::string& key, const std::string& value, int64_t revision, int64_t seq);
  absl::Status Delete(const std::string& key, int64_t revision, int64_t seq, bool& deleted);
  absl::StatusOr<ReadLease> Lease();
  void Return(ConnectionPtr connection);

  // Constant after construction.
  const std::string path_;
  const SqliteStoreOptions options_;

  // flock'ed "<path>.lock": the in-memory revision is only right if one process writes.
  const int lock_fd_;

  // Owned by the writer thread alone.
  ConnectionPtr writer_;
  int64_t commits_since_compaction_ = 0;
  int wal_frames_ = 0;  // the WAL's size after the last commit

  // Queue from Commit() callers to the writer thread.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;  // guarded by queue_mu_
  bool closing_ = false;       // guarded by queue_mu_

  // Published state, read by Watchers. Also guarded by state_mu_: revision_, compacted_.
  mutable std::mutex state_mu_;
  std::condition_variable state_cv_;
  int64_t revision_ = 0;
  int64_t compacted_ = 0;
  int64_t commits_ = 0;
  bool state_closing_ = false;

  std::mutex pool_mu_;
  std::vector<ConnectionPtr> read_pool_;  // guarded by pool_mu_

  // Stopped after the writer thread, before the writer connection closes.
  std::unique_ptr<WalCheckpointer> checkpointer_;
  std::thread writer_thread_;
};

}  // namespace plasmanet::store::sqlite
