#include "store/sqlite/wal_checkpointer.h"

#include <algorithm>

#include <pthread.h>

#include "common/logging.h"

namespace plasmanet::store::sqlite {

WalCheckpointer::WalCheckpointer(ConnectionPtr connection, int threshold_frames)
    : threshold_frames_(threshold_frames), connection_(std::move(connection)) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "pn-store-ckpt");
    Loop();
  });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void WalCheckpointer::Notify(int frames) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    // The writer restarted the log from its start: what was copied back is gone with it.
    if (frames < frames_) checkpointed_ = 0;
    frames_ = frames;
    wake = frames_ - checkpointed_ >= threshold_frames_;
  }
  if (wake) cv_.notify_one();
}

int64_t WalCheckpointer::checkpoints_for_test() const {
  std::lock_guard lock(mu_);
  return checkpoints_;
}

void WalCheckpointer::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || frames_ - checkpointed_ >= threshold_frames_; });
    if (stopping_) return;
    lock.unlock();
    int log_frames = 0;
    int copied_frames = 0;
    const int rc = sqlite3_wal_checkpoint_v2(
        connection_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied_frames);
    lock.lock();
    ++checkpoints_;
    if (rc == SQLITE_OK && log_frames < 0) {
      // Not in WAL mode (yet): nothing this thread could copy.
      checkpointed_ = frames_;
    } else if (rc == SQLITE_OK) {
      // Frames a reader still needed stay in the log: they are retried once enough new frames
      // arrive, rather than in a loop while that reader holds them.
      checkpointed_ = copied_frames < log_frames ? std::max(frames_, log_frames) : copied_frames;
    } else {
      // SQLITE_BUSY: another checkpoint ran (only at close). Anything else is an I/O error the
      // writer meets on its own; wait for more frames before trying again.
      LOG_WARN("store checkpoint failed backend=sqlite error=\"{}\"",
               sqlite3_errmsg(connection_->handle()));
      checkpointed_ = frames_;
    }
  }
}

}  // namespace plasmanet::store::sqlite
