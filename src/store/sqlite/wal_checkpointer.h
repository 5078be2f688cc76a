// WalCheckpointer: copies the SQLite write-ahead log back into the database file on a thread
// of its own, so the store's writer thread never does it.
//
// SQLite's default checkpoints in the committing connection once the WAL passes 1,000 pages:
// the writer then spends its time copying pages and syncing the database file while every
// queued transaction waits. With the writer's automatic checkpoint turned off, the writer only
// reports the WAL's size after each commit (Notify) and this thread runs a PASSIVE checkpoint
// on its own connection when the WAL has grown by `threshold_frames`. A passive checkpoint
// runs beside the writer and readers (WAL mode allows one checkpointer at a time, alongside
// them); the writer restarts the log from its start once everything is copied back.
//
//   WalCheckpointer checkpointer(std::move(connection), /*threshold_frames=*/1000);
//   sqlite3_wal_hook(writer, &OnWalCommit, &checkpointer);  // calls Notify(frames)
//
// Thread-safe: Notify may be called from any thread; the destructor stops the thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "store/sqlite/sqlite_connection.h"

namespace plasmanet::store::sqlite {

class WalCheckpointer {
 public:
  // `connection` is a writable connection to the database, used by this object alone.
  WalCheckpointer(ConnectionPtr connection, int threshold_frames);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // The WAL now holds `frames` frames; wakes the thread when enough of them are new.
  void Notify(int frames);

  // Checkpoints done so far, for tests.
  int64_t checkpoints_for_test() const;

 private:
  void Loop();

  const int threshold_frames_;
  ConnectionPtr connection_;  // owned by the thread

  mutable std::mutex mu_;
  std::condition_variable cv_;
  int frames_ = 0;           // guarded by mu_: the WAL's size at the last commit
  int checkpointed_ = 0;     // guarded by mu_: frames copied back by the last checkpoint
  bool stopping_ = false;    // guarded by mu_
  int64_t checkpoints_ = 0;  // guarded by mu_

  std::thread thread_;
};

}  // namespace plasmanet::store::sqlite
