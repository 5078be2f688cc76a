// EtcdWatcher: a store::Watcher over one etcd Watch stream, resumed on another member when the
// stream breaks.
//
//   PN_ASSIGN_OR_RETURN(std::unique_ptr<EtcdWatcher> w, EtcdWatcher::Start(client, "/v1/", rev));
//   PN_ASSIGN_OR_RETURN(std::vector<Event> events, w->Next(absl::Seconds(1)));
//
// A reader thread owns the stream. It asks etcd for every change under the prefix from
// after_revision + 1, with the previous value of each key (a delete event carries the value the
// key had) and with etcd's periodic progress notifications, and queues the events for Next().
// It remembers the revision up to which it has seen everything (the last event's, or a progress
// notification's). When the stream breaks (the member died, restarted or lost its leader) it
// opens a new stream through EtcdClient, which picks a member that answers, and asks again from
// the revision after that one: the consumer sees no gap and no repeat. Only errors that a new
// stream cannot mend end the watcher: OUT_OF_RANGE once the history it still needs was
// compacted, PERMISSION_DENIED if etcd refuses the watch after a fresh token, CANCELLED when the
// client shuts down.
//
// While the consumer lags, at most kMaxQueued events wait in memory; the reader then stops
// reading and gRPC's flow control holds etcd back.
//
// Next() is for one consumer thread at a time; destroying the watcher stops the reader thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>

#include "store/etcd/etcd_client.h"
#include "store/store.h"

namespace plasmanet::store::etcd {

class EtcdWatcher final : public Watcher {
 public:
  // Checks that revision after_revision + 1 is still in etcd's history (OUT_OF_RANGE if it was
  // compacted), then starts the reader thread and waits, up to the client's timeout, for etcd to
  // accept the watch. UNAVAILABLE if no member does.
  static absl::StatusOr<std::unique_ptr<EtcdWatcher>> Start(std::shared_ptr<EtcdClient> client,
                                                            std::string prefix,
                                                            int64_t after_revision);
  ~EtcdWatcher() override;

  absl::StatusOr<std::vector<Event>> Next(absl::Duration timeout) override;

 private:
  static constexpr size_t kMaxQueued = 10'000;

  EtcdWatcher(std::shared_ptr<EtcdClient> client, std::string prefix, int64_t after_revision);

  // The reader thread: runs one stream after another until a terminal error or the destructor.
  void Run();
  // Opens a stream, creates the watch from next_revision_ and reads until the stream ends.
  // Returns OK when a new stream may mend things, or the error that ends the watcher.
  absl::Status RunStream();
  // Handles one message; false when the stream must end, with the verdict in `verdict`.
  bool Handle(const etcdserverpb::WatchResponse& response, const WatchStream& stream,
              absl::Status& verdict);
  // After etcd refused `stale_token`: a fresh one, or the error that ends the watcher.
  absl::Status Reauthenticate(const std::string& stale_token);
  void Fail(absl::Status status);

  // Constant after construction.
  const std::shared_ptr<EtcdClient> client_;
  const std::string prefix_;

  // Owned by the reader thread.
  int64_t next_revision_;  // the first revision not yet seen in full
  bool auth_retried_ = false;
  bool lost_ = false;  // the last stream broke and no new one was accepted yet

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;       // guarded by mu_
  absl::Status error_;             // guarded by mu_: set once, ends the watcher
  bool created_ = false;           // guarded by mu_: etcd accepted the first watch
  bool stopping_ = false;          // guarded by mu_
  WatchStream* stream_ = nullptr;  // guarded by mu_: the open stream, for the destructor

  std::thread thread_;
};

}  // namespace plasmanet::store::etcd
