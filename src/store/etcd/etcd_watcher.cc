#include "store/etcd/etcd_watcher.h"

#include <algorithm>
#include <utility>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include "common/logging.h"
#include "common/status_macros.h"
#include "store/etcd/etcd_txn.h"

namespace plasmanet::store::etcd {
namespace {

namespace pb = ::etcdserverpb;

Event ToEvent(const mvccpb::Event& e) {
  Event out;
  out.kv.key = e.kv().key();
  out.kv.mod_revision = e.kv().mod_revision();
  if (e.type() == mvccpb::Event::DELETE) {
    // etcd's delete event has the key and the deleting revision; the value it had comes with
    // prev_kv. create_revision and version stay zero, as for a missing key.
    out.type = Event::Type::kDelete;
    out.kv.value = e.prev_kv().value();
  } else {
    out.type = Event::Type::kPut;
    out.kv.value = e.kv().value();
    out.kv.create_revision = e.kv().create_revision();
    out.kv.version = e.kv().version();
  }
  return out;
}

absl::Status Compacted(int64_t wanted, int64_t oldest) {
  return absl::OutOfRangeError(
      absl::StrCat("revision ", wanted, " was compacted; the oldest available is ", oldest));
}

}  // namespace

EtcdWatcher::EtcdWatcher(std::shared_ptr<EtcdClient> client, std::string prefix,
                         int64_t after_revision)
    : client_(std::move(client)),
      prefix_(std::move(prefix)),
      next_revision_(std::max<int64_t>(after_revision + 1, 1)) {}

absl::StatusOr<std::unique_ptr<EtcdWatcher>> EtcdWatcher::Start(std::shared_ptr<EtcdClient> client,
                                                                std::string prefix,
                                                                int64_t after_revision) {
  // etcd would accept a watch from a compacted revision and cancel it a moment later; a read at
  // `after_revision` says at once whether the store's history still reaches back to it (the
  // store compacts etcd at its own floor, see EtcdStore::Compact).
  if (after_revision > 0) {
    pb::RangeRequest probe;
    probe.set_key(PrefixRange(prefix).first);
    probe.set_count_only(true);
    probe.set_revision(after_revision);
    absl::StatusOr<pb::RangeResponse> read = client->Range(probe);
    if (!read.ok() && absl::StrContains(read.status().message(), "compacted")) {
      return absl::OutOfRangeError(absl::StrCat("revision ", after_revision + 1,
                                                " was compacted: ", read.status().message()));
    }
    // A future revision is fine: the watch waits for it.
    if (!read.ok() && !absl::StrContains(read.status().message(), "future revision")) {
      return read.status();
    }
  }

  const absl::Duration timeout = client->options().timeout;
  std::unique_ptr<EtcdWatcher> watcher(
      new EtcdWatcher(std::move(client), std::move(prefix), after_revision));
  watcher->thread_ = std::thread([w = watcher.get()] { w->Run(); });
  std::unique_lock lock(watcher->mu_);
  watcher->cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                        [&] { return watcher->created_ || !watcher->error_.ok(); });
  if (watcher->created_) {
    lock.unlock();
    return watcher;
  }
  absl::Status error =
      !watcher->error_.ok()
          ? watcher->error_
          : absl::UnavailableError(absl::StrCat(
                "etcd did not accept a watch on '", watcher->prefix_, "' within ",
                absl::FormatDuration(timeout), " at ", watcher->client_->options().EndpointList()));
  lock.unlock();
  return error;  // the destructor stops the reader thread
}

EtcdWatcher::~EtcdWatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (stream_ != nullptr) {
      stream_->Cancel();
    }
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

absl::StatusOr<std::vector<Event>> EtcdWatcher::Next(absl::Duration timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration())),
               [this] { return !events_.empty() || !error_.ok(); });
  if (events_.empty()) {
    if (!error_.ok()) {
      return error_;
    }
    return std::vector<Event>();
  }
  std::vector<Event> out(std::make_move_iterator(events_.begin()),
                         std::make_move_iterator(events_.end()));
  events_.clear();
  lock.unlock();
  cv_.notify_all();  // the reader may be waiting for room
  return out;
}

absl::Status EtcdWatcher::Reauthenticate(const std::string& stale_token) {
  absl::Status status = client_->Reauthenticate(stale_token);
  // Unreachable members are no reason to give up: the next stream tries again.
  return absl::IsUnavailable(status) ? absl::OkStatus() : status;
}

void EtcdWatcher::Fail(absl::Status status) {
  {
    std::lock_guard lock(mu_);
    if (error_.ok()) {
      error_ = std::move(status);
    }
  }
  cv_.notify_all();
}

void EtcdWatcher::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (true) {
    const absl::Status verdict = RunStream();
    {
      std::unique_lock lock(mu_);
      if (stopping_) {
        return;
      }
    }
    if (!verdict.ok()) {
      Fail(verdict);
      return;
    }
    if (client_->closed()) {
      Fail(absl::CancelledError("store is closing"));
      return;
    }
    // A fresh stream right away usually lands on a live member; back off only if it keeps
    // failing, so that a cluster that is down is not hammered.
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, absl::ToChronoNanoseconds(backoff), [this] { return stopping_; })) {
      return;
    }
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

absl::Status EtcdWatcher::RunStream() {
  absl::StatusOr<std::unique_ptr<WatchStream>> opened = client_->OpenWatch();
  if (!opened.ok()) {
    if (absl::IsCancelled(opened.status())) {
      return absl::CancelledError("store is closing");
    }
    std::lock_guard lock(mu_);
    // Before the first acceptance Start() is waiting for a verdict; afterwards keep trying.
    return created_ ? absl::OkStatus() : opened.status();
  }
  std::unique_ptr<WatchStream> stream = *std::move(opened);
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      return absl::OkStatus();
    }
    stream_ = stream.get();
  }

  pb::WatchRequest create;
  pb::WatchCreateRequest* request = create.mutable_create_request();
  auto [key, end] = PrefixRange(prefix_);
  request->set_key(std::move(key));
  request->set_range_end(std::move(end));
  request->set_start_revision(next_revision_);
  request->set_prev_kv(true);
  request->set_progress_notify(true);

  absl::Status verdict;
  bool handled_end = false;
  if (stream->Write(create)) {
    pb::WatchResponse response;
    while (stream->Read(&response)) {
      if (!Handle(response, *stream, verdict)) {
        handled_end = true;
        break;
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    stream_ = nullptr;
    if (stopping_) {
      return absl::OkStatus();
    }
  }
  if (handled_end) {
    return verdict;  // the destructor of `stream` cancels it
  }
  const absl::Status ended = stream->Finish();
  if (client_->closed()) {
    return absl::CancelledError("store is closing");
  }
  if (absl::IsUnauthenticated(ended)) {
    PN_RETURN_IF_ERROR(Reauthenticate(stream->token()));
  }
  client_->ReportFailure(stream->endpoint_index(), ended.message());
  // One line when the watch breaks; failed attempts to resume it only at debug level.
  if (!lost_) {
    LOG_INFO("etcd watch lost prefix={} endpoint={} next_revision={} error=\"{}\"", prefix_,
             stream->endpoint().url, next_revision_, std::string(ended.message()));
  } else {
    LOG_DEBUG("etcd watch still lost prefix={} endpoint={} error=\"{}\"", prefix_,
              stream->endpoint().url, std::string(ended.message()));
  }
  lost_ = true;
  return absl::OkStatus();
}

bool EtcdWatcher::Handle(const pb::WatchResponse& response, const WatchStream& stream,
                         absl::Status& verdict) {
  if (response.canceled()) {
    if (response.compact_revision() > 0) {
      verdict = Compacted(next_revision_, response.compact_revision());
      return false;
    }
    // etcd cancels a watch it does not permit, which is also how an expired token shows.
    const bool auth = absl::StrContains(response.cancel_reason(), "permission denied") ||
                      absl::StrContains(response.cancel_reason(), "auth token");
    if (auth && auth_retried_) {
      verdict = absl::PermissionDeniedError(absl::StrCat("etcd refused a watch on '", prefix_,
                                                         "' at ", stream.endpoint().url, ": ",
                                                         response.cancel_reason()));
      return false;
    }
    if (auth) {
      auth_retried_ = true;
      verdict = Reauthenticate(stream.token());
      return false;
    }
    // Any other cancellation (a member shutting down, say) is mended like a broken stream.
    if (!lost_) {
      LOG_INFO("etcd watch cancelled prefix={} endpoint={} next_revision={} reason=\"{}\"", prefix_,
               stream.endpoint().url, next_revision_, response.cancel_reason());
    }
    lost_ = true;
    client_->ReportFailure(stream.endpoint_index(), response.cancel_reason());
    verdict = absl::OkStatus();
    return false;
  }
  if (response.created()) {
    auth_retried_ = false;
    bool first;
    {
      std::lock_guard lock(mu_);
      first = !created_;
      created_ = true;
    }
    if (first) {
      cv_.notify_all();
    } else if (lost_) {
      LOG_INFO("etcd watch resumed prefix={} revision={} endpoint={}", prefix_, next_revision_,
               stream.endpoint().url);
    }
    lost_ = false;
    return true;
  }
  if (response.events_size() == 0) {
    // A progress notification: everything up to header.revision has been sent.
    next_revision_ = std::max(next_revision_, response.header().revision() + 1);
    return true;
  }
  std::unique_lock lock(mu_);
  for (const mvccpb::Event& e : response.events()) {
    events_.push_back(ToEvent(e));
  }
  next_revision_ = std::max(next_revision_, events_.back().kv.mod_revision + 1);
  lock.unlock();
  cv_.notify_all();
  lock.lock();
  cv_.wait(lock, [this] { return events_.size() < kMaxQueued || stopping_; });
  return !stopping_;
}

}  // namespace plasmanet::store::etcd
