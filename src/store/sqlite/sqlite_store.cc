#include "store/sqlite/sqlite_store.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <absl/strings/str_cat.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/logging.h"
#include "common/status_macros.h"

namespace plasmanet::store::sqlite {
namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL,
  create_revision INTEGER NOT NULL,
  mod_revision INTEGER NOT NULL,
  version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
  revision INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  key TEXT NOT NULL,
  value BLOB,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (revision, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('compacted', 0);
)sql";

// WAL frames (pages) committed between two background checkpoints: SQLite's own default.
constexpr int kCheckpointFrames = 1000;
// WAL size (frames) at which the writer copies back the rest itself, so the log can restart.
constexpr int kRestartFrames = 4 * kCheckpointFrames;

// Builds "key >= ?1 AND key < ?2" for a prefix, or "key >= ?1" when it has no upper bound.
std::string PrefixCondition(const std::string& end) {
  return end.empty() ? "key >= ?1" : "key >= ?1 AND key < ?2";
}

int64_t ReadMeta(Connection& db, const char* name) {
  Statement& s = db.Prepare("SELECT value FROM meta WHERE name = ?1");
  s.Bind(1, name);
  int64_t value = s.Step() == SQLITE_ROW ? s.ColumnInt(0) : 0;
  s.Reset();
  return value;
}

}  // namespace

class SqliteStore::ReadLease {
 public:
  ReadLease(SqliteStore* store, ConnectionPtr connection)
      : store_(store), connection_(std::move(connection)) {}
  ReadLease(ReadLease&&) = default;
  ~ReadLease() {
    if (connection_ != nullptr) store_->Return(std::move(connection_));
  }
  Connection& operator*() { return *connection_; }
  Connection* operator->() { return connection_.get(); }

 private:
  SqliteStore* store_;
  ConnectionPtr connection_;
};

// Reads the changes table from its own connection, waking when the writer publishes a revision.
class SqliteStore::SqliteWatcher final : public Watcher {
 public:
  SqliteWatcher(SqliteStore* store, std::string prefix, int64_t after)
      : store_(store), prefix_(std::move(prefix)), end_(PrefixEnd(prefix_)), after_(after) {}

  absl::StatusOr<std::vector<Event>> Next(absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      int64_t target;
      {
        std::unique_lock lock(store_->state_mu_);
        store_->state_cv_.wait_for(
            lock, absl::ToChronoNanoseconds(std::max(deadline - absl::Now(), absl::ZeroDuration())),
            [&] { return store_->revision_ > after_ || store_->state_closing_; });
        PN_RETURN_IF_ERROR(CheckLocked());
        if (store_->revision_ <= after_) {
          return std::vector<Event>();  // timed out
        }
        // Read whole revisions, a bounded number at a time, so a page never splits one.
        target = std::min(store_->revision_, after_ + kRevisionsPerRead);
      }
      PN_ASSIGN_OR_RETURN(std::vector<Event> events, Read(target));
      {
        // Compaction publishes its new floor before it deletes rows, so a floor above our
        // position now means rows may be missing from what we read.
        std::lock_guard lock(store_->state_mu_);
        PN_RETURN_IF_ERROR(CheckLocked());
      }
      after_ = target;
      if (!events.empty() || absl::Now() >= deadline) {
        return events;
      }
    }
  }

 private:
  SqliteStore* store_;
  const std::string prefix_;
  const std::string end_;
  int64_t after_;

  static constexpr int64_t kRevisionsPerRead = 256;

  absl::Status CheckLocked() {
    if (store_->state_closing_) {
      return absl::CancelledError("store is closing");
    }
    if (after_ < store_->compacted_) {
      return absl::OutOfRangeError(absl::StrCat("revision ", after_ + 1,
                                                " was compacted; the oldest available is ",
                                                store_->compacted_ + 1));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<Event>> Read(int64_t target) {
    PN_ASSIGN_OR_RETURN(ReadLease db, store_->Lease());
    Statement& s = db->Prepare(
        "SELECT revision, key, value, deleted, create_revision, version FROM changes "
        "WHERE revision > ?3 AND revision <= ?4 AND " +
        PrefixCondition(end_) + " ORDER BY revision, seq");
    s.Bind(1, prefix_);
    if (!end_.empty()) s.Bind(2, end_);
    s.Bind(3, after_);
    s.Bind(4, target);
    std::vector<Event> events;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      Event e;
      e.kv.mod_revision = s.ColumnInt(0);
      e.kv.key = s.ColumnText(1);
      e.kv.value = s.ColumnText(2);
      e.type = s.ColumnInt(3) ? Event::Type::kDelete : Event::Type::kPut;
      e.kv.create_revision = s.ColumnInt(4);
      e.kv.version = s.ColumnInt(5);
      events.push_back(std::move(e));
    }
    absl::Status status = rc == SQLITE_DONE ? absl::OkStatus() : s.Error(rc);
    s.Reset();
    PN_RETURN_IF_ERROR(status);
    return events;
  }
};

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(absl::string_view path,
                                                               SqliteStoreOptions options) {
  if (path.empty()) {
    return absl::InvalidArgumentError("sqlite store: a database path is required");
  }
  const std::string lock_path = absl::StrCat(path, ".lock");
  const int lock_fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open ", lock_path, ": ", std::strerror(errno)));
  }
  if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    close(lock_fd);
    return absl::FailedPreconditionError(
        absl::StrCat("sqlite store ", path, " is in use by another process"));
  }
  absl::StatusOr<ConnectionPtr> writer = Connection::Open(std::string(path), false);
  if (!writer.ok()) {
    close(lock_fd);
    return writer.status();
  }
  std::unique_ptr<SqliteStore> store(
      new SqliteStore(std::string(path), options, std::move(*writer), lock_fd));
  PN_RETURN_IF_ERROR(store->InitSchema());
  PN_ASSIGN_OR_RETURN(ConnectionPtr checkpoint_connection,
                      Connection::Open(store->path_, /*read_only=*/false));
  // A connection learns that the database is in WAL mode on its first read.
  PN_RETURN_IF_ERROR(checkpoint_connection->Exec("SELECT COUNT(*) FROM meta"));
  store->checkpointer_ =
      std::make_unique<WalCheckpointer>(std::move(checkpoint_connection), kCheckpointFrames);
  // Replaces SQLite's automatic checkpoint in the writer (a connection has one WAL hook). It
  // runs on the writer thread, inside each COMMIT.
  sqlite3_wal_hook(
      store->writer_->handle(),
      [](void* self, sqlite3*, const char*, int frames) {
        auto* owner = static_cast<SqliteStore*>(self);
        owner->wal_frames_ = frames;
        owner->checkpointer_->Notify(frames);
        return SQLITE_OK;
      },
      store.get());
  store->writer_thread_ = std::thread([s = store.get()] {
    pthread_setname_np(pthread_self(), "pn-store-write");
    s->WriterLoop();
  });
  LOG_INFO("store opened backend=sqlite path={} revision={} compacted={}", store->path_,
           store->revision_, store->compacted_);
  return store;
}

SqliteStore::SqliteStore(std::string path, SqliteStoreOptions options, ConnectionPtr writer,
                         int lock_fd)
    : path_(std::move(path)), options_(options), lock_fd_(lock_fd), writer_(std::move(writer)) {}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(queue_mu_);
    closing_ = true;
  }
  queue_cv_.notify_all();
  if (writer_thread_.joinable()) writer_thread_.join();
  checkpointer_.reset();
  {
    std::lock_guard lock(state_mu_);
    state_closing_ = true;
  }
  state_cv_.notify_all();
  read_pool_.clear();
  writer_.reset();
  close(lock_fd_);  // releases the flock
  LOG_INFO("store closed backend=sqlite path={} revision={}", path_, revision_);
}

absl::Status SqliteStore::InitSchema() {
  // WAL lets readers run beside the writer; FULL syncs the WAL on every commit, which is what
  // makes an acknowledged write survive power loss, not only a process crash.
  PN_RETURN_IF_ERROR(writer_->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  PN_RETURN_IF_ERROR(writer_->Exec(kSchema));
  revision_ = ReadMeta(*writer_, "revision");
  compacted_ = ReadMeta(*writer_, "compacted");
  return absl::OkStatus();
}

absl::StatusOr<SqliteStore::ReadLease> SqliteStore::Lease() {
  {
    std::lock_guard lock(pool_mu_);
    if (!read_pool_.empty()) {
      ConnectionPtr c = std::move(read_pool_.back());
      read_pool_.pop_back();
      return ReadLease(this, std::move(c));
    }
  }
  PN_ASSIGN_OR_RETURN(ConnectionPtr c, Connection::Open(path_, true));
  return ReadLease(this, std::move(c));
}

void SqliteStore::Return(ConnectionPtr connection) {
  std::lock_guard lock(pool_mu_);
  read_pool_.push_back(std::move(connection));
}

absl::StatusOr<std::optional<KeyValue>> SqliteStore::Get(absl::string_view key) {
  PN_ASSIGN_OR_RETURN(ReadLease db, Lease());
  Statement& s =
      db->Prepare("SELECT value, create_revision, mod_revision, version FROM kv WHERE key = ?1");
  s.Bind(1, key);
  const int rc = s.Step();
  std::optional<KeyValue> out;
  if (rc == SQLITE_ROW) {
    out =
        KeyValue{std::string(key), s.ColumnText(0), s.ColumnInt(1), s.ColumnInt(2), s.ColumnInt(3)};
  }
  absl::Status status = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? absl::OkStatus() : s.Error(rc);
  s.Reset();
  PN_RETURN_IF_ERROR(status);
  return out;
}

absl::StatusOr<RangeResult> SqliteStore::Range(const RangeRequest& request) {
  PN_ASSIGN_OR_RETURN(ReadLease db, Lease());
  // One read transaction, so the page and its revision are consistent.
  PN_RETURN_IF_ERROR(db->Exec("BEGIN"));
  const std::string end = PrefixEnd(request.prefix);
  Statement& s =
      db->Prepare("SELECT key, value, create_revision, mod_revision, version FROM kv WHERE " +
                  PrefixCondition(end) + " AND key > ?3 ORDER BY key LIMIT ?4");
  s.Bind(1, request.prefix);
  if (!end.empty()) s.Bind(2, end);
  s.Bind(3, request.start_after);
  // Read one extra row to learn whether more follow.
  s.Bind(4, request.limit > 0 ? request.limit + 1 : int64_t{-1});
  RangeResult result;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    result.kvs.push_back(
        KeyValue{s.ColumnText(0), s.ColumnText(1), s.ColumnInt(2), s.ColumnInt(3), s.ColumnInt(4)});
  }
  absl::Status status = rc == SQLITE_DONE ? absl::OkStatus() : s.Error(rc);
  s.Reset();
  result.revision = ReadMeta(*db, "revision");
  absl::Status end_status = db->Exec("COMMIT");
  PN_RETURN_IF_ERROR(status);
  PN_RETURN_IF_ERROR(end_status);
  if (request.limit > 0 && static_cast<int64_t>(result.kvs.size()) > request.limit) {
    result.kvs.pop_back();
    result.more = true;
  }
  return result;
}

absl::StatusOr<int64_t> SqliteStore::CurrentRevision() {
  std::lock_guard lock(state_mu_);
  return revision_;
}

int64_t SqliteStore::checkpoints_for_test() const { return checkpointer_->checkpoints_for_test(); }

int64_t SqliteStore::commits_for_test() const {
  std::lock_guard lock(state_mu_);
  return commits_;
}

absl::StatusOr<TxnResult> SqliteStore::Commit(Txn txn) {
  std::future<absl::StatusOr<TxnResult>> result;
  {
    std::lock_guard lock(queue_mu_);
    if (closing_) {
      return absl::UnavailableError("store is closing");
    }
    queue_.push_back(Pending{std::move(txn), {}});
    result = queue_.back().result.get_future();
  }
  queue_cv_.notify_one();
  return result.get();
}

absl::Status SqliteStore::Compact(int64_t revision) {
  std::lock_guard state(state_mu_);
  if (revision > revision_) {
    return absl::OutOfRangeError(absl::StrCat("cannot compact revision ", revision,
                                              " beyond the current revision ", revision_));
  }
  if (revision <= compacted_) {
    return absl::OkStatus();
  }
  // Watchers see the new floor at once; the writer deletes the rows with its next batch.
  compacted_ = revision;
  return absl::OkStatus();
}

void SqliteStore::WriterLoop() {
  while (true) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty() && closing_) {
        return;
      }
      const size_t n = std::min(queue_.size(), options_.max_batch);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    ApplyBatch(batch);
    if (wal_frames_ >= kRestartFrames) FinishCheckpoint();
  }
}

void SqliteStore::FinishCheckpoint() {
  // The log restarts from its start only when a write begins with every frame copied back,
  // which the background checkpointer never sees while commits keep coming. Copying the few
  // frames it has not reached yet, here, between two batches, lets the next batch restart it.
  // SQLITE_BUSY means the background checkpoint is running: try again after the next batch.
  int log_frames = 0;
  int copied_frames = 0;
  const int rc = sqlite3_wal_checkpoint_v2(writer_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                           &log_frames, &copied_frames);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    LOG_WARN("store checkpoint failed backend=sqlite error=\"{}\"",
             sqlite3_errmsg(writer_->handle()));
  }
}

void SqliteStore::ApplyBatch(std::vector<Pending>& batch) {
  int64_t compact_to;
  int64_t revision;
  {
    std::lock_guard lock(state_mu_);
    revision = revision_;
    compact_to = compacted_;
  }
  const int64_t start_revision = revision;
  std::vector<absl::StatusOr<TxnResult>> results;
  results.reserve(batch.size());

  // Automatic compaction keeps the change log bounded. The new floor is published before the
  // rows go, so a watcher reading concurrently notices that it may have missed some.
  if (revision + static_cast<int64_t>(batch.size()) - compact_to > options_.retained_revisions) {
    compact_to = std::min(
        revision, revision + static_cast<int64_t>(batch.size()) - options_.retained_revisions);
    std::lock_guard lock(state_mu_);
    compacted_ = std::max(compacted_, compact_to);
  }
  absl::Status batch_status = writer_->Exec("BEGIN IMMEDIATE");
  if (batch_status.ok()) {
    for (Pending& p : batch) {
      results.push_back(ApplyOne(p.txn, revision));
    }
    Statement& trim = writer_->Prepare("DELETE FROM changes WHERE revision <= ?1");
    trim.Bind(1, compact_to);
    Statement& meta =
        writer_->Prepare("UPDATE meta SET value = CASE name WHEN 'revision' THEN ?1 ELSE ?2 END");
    meta.Bind(1, revision);
    meta.Bind(2, compact_to);
    batch_status = trim.Run();
    if (batch_status.ok()) batch_status = meta.Run();
    if (batch_status.ok()) batch_status = writer_->Exec("COMMIT");
    if (!batch_status.ok()) {
      writer_->Exec("ROLLBACK").IgnoreError();  // best effort: the batch already failed
    }
  }
  if (!batch_status.ok()) {
    LOG_ERROR("store batch failed backend=sqlite transactions={} error=\"{}\"", batch.size(),
              batch_status.ToString());
    revision = start_revision;
  }
  {
    std::lock_guard lock(state_mu_);
    revision_ = revision;
    compacted_ = std::max(compacted_, compact_to);
    ++commits_;
  }
  state_cv_.notify_all();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch_status.ok()) {
      batch[i].result.set_value(
          absl::UnavailableError(absl::StrCat("store commit failed: ", batch_status.message())));
    } else {
      batch[i].result.set_value(std::move(results[i]));
    }
  }
}

absl::StatusOr<TxnResult> SqliteStore::ApplyOne(const Txn& txn, int64_t& revision) {
  TxnResult result;
  for (size_t i = 0; i < txn.compares.size(); ++i) {
    PN_ASSIGN_OR_RETURN(bool holds, Holds(txn.compares[i]));
    if (!holds) {
      result.failed_compare = static_cast<int>(i);
      result.revision = revision;
      return result;
    }
  }
  // The savepoint lets one transaction fail without undoing the rest of the batch.
  PN_RETURN_IF_ERROR(writer_->Exec("SAVEPOINT txn"));
  const int64_t next = revision + 1;
  bool changed = false;
  absl::Status status;
  for (size_t seq = 0; seq < txn.ops.size() && status.ok(); ++seq) {
    const Op& op = txn.ops[seq];
    if (op.type == Op::Type::kPut) {
      status = Put(op.key, op.value, next, static_cast<int64_t>(seq));
      changed = true;
    } else {
      bool deleted = false;
      status = Delete(op.key, next, static_cast<int64_t>(seq), deleted);
      changed = changed || deleted;
    }
  }
  if (!status.ok()) {
    writer_->Exec("ROLLBACK TO txn; RELEASE txn").IgnoreError();  // the error is returned below
    return status;
  }
  PN_RETURN_IF_ERROR(writer_->Exec("RELEASE txn"));
  if (changed) {
    revision = next;
  }
  result.succeeded = true;
  result.revision = revision;
  return result;
}

absl::StatusOr<bool> SqliteStore::Holds(const Compare& c) {
  const char* column = c.target == Compare::Target::kVersion          ? "version"
                       : c.target == Compare::Target::kCreateRevision ? "create_revision"
                                                                      : "mod_revision";
  int64_t count = 0;
  int64_t min = 0;
  int64_t max = 0;
  if (!c.prefix) {
    Statement& s = writer_->Prepare(absl::StrCat("SELECT ", column, " FROM kv WHERE key = ?1"));
    s.Bind(1, c.key);
    if (s.Step() == SQLITE_ROW) {
      count = 1;
      min = max = s.ColumnInt(0);
    }
    s.Reset();
  } else {
    const std::string end = PrefixEnd(c.key);
    Statement& s = writer_->Prepare(absl::StrCat("SELECT COUNT(*), MIN(", column, "), MAX(", column,
                                                 ") FROM kv WHERE ", PrefixCondition(end)));
    s.Bind(1, c.key);
    if (!end.empty()) s.Bind(2, end);
    const int rc = s.Step();
    if (rc != SQLITE_ROW) {
      absl::Status error = s.Error(rc);
      s.Reset();
      return error;
    }
    count = s.ColumnInt(0);
    min = s.ColumnInt(1);
    max = s.ColumnInt(2);
    s.Reset();
  }
  return CompareHolds(c, CompareTargetRange{.count = count, .min = min, .max = max});
}

absl::Status SqliteStore::Put(const std::string& key, const std::string& value, int64_t revision,
                              int64_t seq) {
  Statement& upsert = writer_->Prepare(
      "INSERT INTO kv (key, value, create_revision, mod_revision, version) "
      "VALUES (?1, ?2, ?3, ?3, 1) ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
      "mod_revision = excluded.mod_revision, version = version + 1 "
      "RETURNING create_revision, version");
  upsert.Bind(1, key);
  upsert.Bind(2, value);
  upsert.Bind(3, revision);
  const int rc = upsert.Step();
  if (rc != SQLITE_ROW) {
    absl::Status error = upsert.Error(rc);
    upsert.Reset();
    return error;
  }
  const int64_t create_revision = upsert.ColumnInt(0);
  const int64_t version = upsert.ColumnInt(1);
  upsert.Reset();

  Statement& log = writer_->Prepare(
      "INSERT INTO changes (revision, seq, key, value, deleted, create_revision, version) "
      "VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)");
  log.Bind(1, revision);
  log.Bind(2, seq);
  log.Bind(3, key);
  log.Bind(4, value);
  log.Bind(5, create_revision);
  log.Bind(6, version);
  return log.Run();
}

absl::Status SqliteStore::Delete(const std::string& key, int64_t revision, int64_t seq,
                                 bool& deleted) {
  Statement& del = writer_->Prepare("DELETE FROM kv WHERE key = ?1 RETURNING value");
  del.Bind(1, key);
  const int rc = del.Step();
  deleted = rc == SQLITE_ROW;
  const std::string previous = deleted ? del.ColumnText(0) : std::string();
  absl::Status status = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? absl::OkStatus() : del.Error(rc);
  while (rc == SQLITE_ROW && del.Step() == SQLITE_ROW) {
  }
  del.Reset();
  PN_RETURN_IF_ERROR(status);
  if (!deleted) {
    return absl::OkStatus();  // deleting a missing key is a no-op and no event, as in etcd
  }
  // The event keeps the value before the delete: a watcher needs it to know what went away.
  Statement& log = writer_->Prepare(
      "INSERT INTO changes (revision, seq, key, value, deleted, create_revision, version) "
      "VALUES (?1, ?2, ?3, ?4, 1, 0, 0)");
  log.Bind(1, revision);
  log.Bind(2, seq);
  log.Bind(3, key);
  log.Bind(4, previous);
  return log.Run();
}

absl::StatusOr<std::unique_ptr<Watcher>> SqliteStore::Watch(std::string prefix,
                                                            int64_t after_revision) {
  {
    std::lock_guard lock(state_mu_);
    if (after_revision < compacted_) {
      return absl::OutOfRangeError(absl::StrCat("revision ", after_revision + 1,
                                                " was compacted; the oldest available is ",
                                                compacted_ + 1));
    }
  }
  return std::unique_ptr<Watcher>(new SqliteWatcher(this, std::move(prefix), after_revision));
}

}  // namespace plasmanet::store::sqlite
