#include "election/leader_election.h"

#include <algorithm>
#include <utility>

#include <absl/strings/str_cat.h>
#include <pthread.h>

#include "common/logging.h"

namespace plasmanet::election {
namespace {

namespace pb = ::etcdserverpb;

int64_t TtlSeconds(const LeaderElectionOptions& options) {
  return absl::ToInt64Seconds(options.ttl);
}

}  // namespace

LeaderElection::LeaderElection(std::shared_ptr<store::etcd::EtcdClient> etcd,
                               LeaderElectionOptions options, LeaderElectionCallbacks callbacks)
    : etcd_(std::move(etcd)), options_(std::move(options)), callbacks_(std::move(callbacks)) {}

LeaderElection::~LeaderElection() { Stop(); }

absl::Status LeaderElection::Validate(const LeaderElectionOptions& options) {
  if (options.replica.empty()) {
    return absl::InvalidArgumentError("leader election: the replica needs a name");
  }
  if (options.ttl < absl::Seconds(2) || options.ttl != absl::Seconds(TtlSeconds(options))) {
    return absl::InvalidArgumentError(
        absl::StrCat("leader election: the lease TTL must be whole seconds, at least 2; got ",
                     absl::FormatDuration(options.ttl)));
  }
  if (options.margin <= absl::ZeroDuration() || options.margin >= options.ttl / 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader election: the margin must be positive and under a third of the TTL; got ",
        absl::FormatDuration(options.margin)));
  }
  return absl::OkStatus();
}

void LeaderElection::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "pn-election");
    Run();
  });
}

void LeaderElection::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

LeaderStatus LeaderElection::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

store::Compare LeaderElection::Fence(const std::string& key, int64_t epoch) {
  return store::Compare{key, false, store::Compare::Target::kCreateRevision,
                        store::Compare::Op::kEqual, epoch};
}

bool LeaderElection::SleepUnlessStopping(absl::Duration d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(d, absl::ZeroDuration())),
               [&] { return stopping_; });
  return !stopping_;
}

void LeaderElection::SetError(const absl::Status& status) {
  std::lock_guard lock(mu_);
  status_.last_error = std::string(status.message());
}

void LeaderElection::Run() {
  LOG_INFO("leader election started replica={} key={} ttl={}", options_.replica, options_.key,
           absl::FormatDuration(options_.ttl));
  std::string last_leader;
  std::string last_failure;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    absl::StatusOr<std::optional<Won>> won = Campaign();
    if (!won.ok()) {
      // Once per kind of failure, not at every poll.
      if (won.status().message() != last_failure) {
        LOG_WARN("leader election cannot reach etcd replica={} error=\"{}\"", options_.replica,
                 std::string(won.status().message()));
        last_failure = std::string(won.status().message());
      }
      SetError(won.status());
      SleepUnlessStopping(options_.poll);
      continue;
    }
    last_failure.clear();
    if (!won->has_value()) {
      const std::string leader = status().leader_replica;
      if (leader != last_leader) {
        LOG_INFO("leader election: standing by replica={} leader={}", options_.replica, leader);
        last_leader = leader;
      }
      SleepUnlessStopping(options_.poll);
      continue;
    }
    last_leader.clear();
    const std::string why = Lead((*won)->term, (*won)->lease);
    LOG_INFO("leader election: leadership lost replica={} epoch={} why=\"{}\"", options_.replica,
             (*won)->term.epoch, why);
    // Revoking deletes the key at once, so a resignation hands over within one poll.
    Revoke((*won)->lease);
  }
  LOG_INFO("leader election stopped replica={}", options_.replica);
}

absl::StatusOr<std::optional<LeaderElection::Won>> LeaderElection::Campaign() {
  // Who leads now? A cheap read first: standbys poll, and most polls find a leader.
  pb::RangeRequest read;
  read.set_key(options_.key);
  absl::StatusOr<pb::RangeResponse> current = etcd_->Range(read);
  if (!current.ok()) return current.status();
  if (current->kvs_size() > 0) {
    const auto& kv = current->kvs(0);
    if (kv.lease() == 0) {
      // No lease holds it, so it would never go away (a copy from another store, or written by
      // hand): remove it if it is still that key, and campaign at the next poll.
      LOG_WARN("leader election removes a leader key without a lease key={} value={}", options_.key,
               kv.value());
      pb::TxnRequest remove;
      pb::Compare* unchanged = remove.add_compare();
      unchanged->set_key(options_.key);
      unchanged->set_target(pb::Compare::MOD);
      unchanged->set_result(pb::Compare::EQUAL);
      unchanged->set_mod_revision(kv.mod_revision());
      remove.add_success()->mutable_request_delete_range()->set_key(options_.key);
      absl::StatusOr<pb::TxnResponse> removed = etcd_->Txn(remove);
      if (!removed.ok()) return removed.status();
      return std::optional<Won>();
    }
    std::lock_guard lock(mu_);
    status_.leader = false;
    status_.epoch = kv.create_revision();
    status_.leader_replica = kv.value();
    status_.last_error.clear();
    return std::optional<Won>();
  }

  // Nobody leads: a lease, then the key with it, if still nobody has created it.
  const absl::Time sent = absl::Now();
  pb::LeaseGrantRequest grant_request;
  grant_request.set_ttl(TtlSeconds(options_));
  absl::StatusOr<pb::LeaseGrantResponse> grant = etcd_->LeaseGrant(grant_request);
  if (!grant.ok()) return grant.status();
  if (!grant->error().empty()) return absl::UnavailableError(grant->error());
  const int64_t lease = grant->id();

  pb::TxnRequest claim;
  pb::Compare* absent = claim.add_compare();
  absent->set_key(options_.key);
  absent->set_target(pb::Compare::CREATE);
  absent->set_result(pb::Compare::EQUAL);
  absent->set_create_revision(0);
  pb::PutRequest* put = claim.add_success()->mutable_request_put();
  put->set_key(options_.key);
  put->set_value(options_.replica);
  put->set_lease(lease);
  absl::StatusOr<pb::TxnResponse> claimed = etcd_->Txn(claim);
  if (!claimed.ok() || !claimed->succeeded()) {
    Revoke(lease);  // unused (it would also expire by itself)
    if (!claimed.ok()) return claimed.status();
    return std::optional<Won>();  // another replica was quicker; the next poll says who
  }
  Won won{.term = {.epoch = claimed->header().revision(), .replica = options_.replica},
          .lease = lease};
  std::lock_guard lock(mu_);
  status_ =
      LeaderStatus{.leader = true, .epoch = won.term.epoch, .leader_replica = options_.replica};
  valid_until_ = sent + absl::Seconds(grant->ttl());
  lost_.clear();
  return std::optional<Won>(std::move(won));
}

std::string LeaderElection::Lead(const LeaderTerm& term, int64_t lease) {
  LOG_INFO("leader election: leadership gained replica={} epoch={}", options_.replica, term.epoch);
  if (callbacks_.elected) callbacks_.elected(term);

  // Renewals run on a thread of their own: one blocked on an unreachable etcd must not keep
  // this thread from standing down at the deadline.
  bool stop_renewing = false;
  std::thread renewer([&] {
    pthread_setname_np(pthread_self(), "pn-lease-renew");
    Renew(lease, term.epoch, stop_renewing);
  });
  std::string why;
  {
    std::unique_lock lock(mu_);
    while (true) {
      if (stopping_) {
        why = "stopping";
        break;
      }
      if (!lost_.empty()) {
        why = lost_;
        break;
      }
      const absl::Time deadline = valid_until_ - options_.margin;
      if (absl::Now() >= deadline) {
        why = absl::StrCat("lease not renewed in time (", status_.last_error, ")");
        break;
      }
      cv_.wait_for(lock, absl::ToChronoNanoseconds(deadline - absl::Now()));
    }
    stop_renewing = true;
    // Said at once: the renewer may be stuck in a call to an unreachable etcd for a while.
    status_.leader = false;
  }
  cv_.notify_all();
  if (callbacks_.deposed) callbacks_.deposed(why);
  renewer.join();
  return why;
}

void LeaderElection::Renew(int64_t lease, int64_t epoch, const bool& stop) {
  const absl::Duration interval = options_.ttl / 3;
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, absl::ToChronoNanoseconds(interval), [&] { return stop; });
      if (stop) return;
    }
    const absl::Time sent = absl::Now();
    absl::StatusOr<pb::LeaseKeepAliveResponse> renewed = etcd_->LeaseKeepAliveOnce(lease);
    // The key must still be ours: an operator may delete it to force a new election.
    pb::RangeRequest read;
    read.set_key(options_.key);
    absl::StatusOr<pb::RangeResponse> key =
        renewed.ok() ? etcd_->Range(read) : absl::StatusOr<pb::RangeResponse>(renewed.status());
    std::lock_guard lock(mu_);
    if (!renewed.ok() || !key.ok()) {
      status_.last_error = std::string((renewed.ok() ? key.status() : renewed.status()).message());
      continue;  // the deadline decides
    }
    if (renewed->ttl() <= 0) {
      lost_ = "the lease expired";
    } else if (key->kvs_size() == 0 || key->kvs(0).create_revision() != epoch) {
      lost_ = "the leader key was deleted or replaced";
    } else {
      valid_until_ = std::max(valid_until_, sent + absl::Seconds(renewed->ttl()));
      status_.last_error.clear();
      continue;
    }
    cv_.notify_all();
    return;
  }
}

void LeaderElection::Revoke(int64_t lease) {
  pb::LeaseRevokeRequest revoke;
  revoke.set_id(lease);
  absl::StatusOr<pb::LeaseRevokeResponse> revoked = etcd_->LeaseRevoke(revoke);
  if (!revoked.ok()) {
    // The lease runs out by itself after its TTL; the next leader just waits that long.
    LOG_WARN("leader election cannot revoke its lease replica={} error=\"{}\"", options_.replica,
             std::string(revoked.status().message()));
  }
}

}  // namespace plasmanet::election
