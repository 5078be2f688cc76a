#include "daemon/reconciler_host.h"

#include <utility>

#include <absl/strings/str_cat.h>

#include "common/logging.h"

namespace plasmanet {
namespace {

constexpr absl::Duration kStoreProbeInterval = absl::Seconds(1);

}  // namespace

ReconcilerHost::ReconcilerHost(store::Store& store, service::PortService& ports,
                               ReconcilerHostOptions options)
    : store_(store), ports_(ports), options_(std::move(options)) {
  if (!options_.reconciler.has_value() || options_.etcd == nullptr) return;
  election::LeaderElectionOptions election = options_.election;
  election.replica = options_.replica;
  election_ = std::make_unique<election::LeaderElection>(
      options_.etcd, std::move(election),
      election::LeaderElectionCallbacks{
          .elected = [this](const election::LeaderTerm& term) { StartReconciler(term.epoch); },
          .deposed = [this](const std::string&) { StopReconciler(); }});
}

ReconcilerHost::~ReconcilerHost() { Stop(); }

void ReconcilerHost::Start() {
  prober_ = std::thread([this] { ProbeStore(); });
  if (!options_.reconciler.has_value()) return;
  if (election_ != nullptr) {
    election_->Start();
  } else {
    StartReconciler(/*epoch=*/0);
  }
}

void ReconcilerHost::Stop() {
  if (election_ != nullptr) {
    election_->Stop();  // stands down, which stops the reconciler
  } else {
    StopReconciler();
  }
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (prober_.joinable()) prober_.join();
}

void ReconcilerHost::ProbeStore() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    absl::StatusOr<int64_t> revision = store_.CurrentRevision();
    const absl::Time now = absl::Now();
    lock.lock();
    last_revision_ = std::move(revision);
    last_probe_ = now;
    cv_.wait_for(lock, absl::ToChronoNanoseconds(kStoreProbeInterval), [&] { return stopping_; });
  }
}

bool ReconcilerHost::running_reconciler() const {
  std::lock_guard lock(mu_);
  return reconciler_ != nullptr;
}

void ReconcilerHost::StartReconciler(int64_t epoch) {
  reconcile::ReconcilerOptions options = *options_.reconciler;
  options.fence_epoch = epoch;
  if (epoch > 0) {
    options.store_fence = election::LeaderElection::Fence(options_.election.key, epoch);
  }
  auto reconciler = std::make_unique<reconcile::Reconciler>(store_, ports_, std::move(options));
  reconciler->Start();
  std::lock_guard lock(mu_);
  reconciler_ = std::move(reconciler);
}

void ReconcilerHost::StopReconciler() {
  // Only the election's thread (or Stop, after it) starts and stops reconcilers, so the pointer
  // stays put while Stop runs; Status() keeps reporting it until it has stopped.
  reconcile::Reconciler* running = nullptr;
  {
    std::lock_guard lock(mu_);
    running = reconciler_.get();
  }
  if (running == nullptr) return;
  running->Stop();
  std::unique_ptr<reconcile::Reconciler> stopped;
  std::lock_guard lock(mu_);
  stopped = std::move(reconciler_);
}

v1::ReplicaStatus ReconcilerHost::Status() {
  v1::ReplicaStatus status;
  status.set_replica(options_.replica);
  // Role and OVN first: the store probe below may wait for an unreachable etcd, and what the
  // replica did when asked is what the caller wants to know.
  if (!options_.reconciler.has_value()) {
    status.set_role(v1::ReplicaStatus::API_ONLY);
  } else if (election_ == nullptr) {
    status.set_role(v1::ReplicaStatus::SINGLE);
    status.set_leader(options_.replica);
  } else {
    const election::LeaderStatus election = election_->status();
    status.set_role(election.leader ? v1::ReplicaStatus::LEADER : v1::ReplicaStatus::STANDBY);
    status.set_leader(election.leader_replica);
    status.set_leader_epoch(election.epoch);
    status.set_election_error(election.last_error);
  }
  {
    std::lock_guard lock(mu_);
    if (reconciler_ != nullptr) {
      v1::ReplicaStatus::Ovn* ovn = status.mutable_ovn();
      ovn->set_nb_connected(reconciler_->nb().synced());
      ovn->set_nb_remote(reconciler_->nb().current_remote());
      ovn->set_synced_revision(reconciler_->synced_revision());
      ovn->set_fenced(reconciler_->fenced());
    }
  }

  v1::ReplicaStatus::Store* store = status.mutable_store();
  store->set_backend(options_.store_backend);
  std::lock_guard lock(mu_);
  // A probe stuck on an unreachable store stops refreshing last_probe_.
  const bool fresh = absl::Now() - last_probe_ < 3 * kStoreProbeInterval;
  store->set_reachable(fresh && last_revision_.ok());
  if (last_revision_.ok()) store->set_revision(*last_revision_);
  if (!last_revision_.ok()) {
    store->set_error(std::string(last_revision_.status().message()));
  } else if (!fresh) {
    store->set_error(absl::StrCat(
        "no answer from the store for ",
        absl::FormatDuration(absl::Trunc(absl::Now() - last_probe_, absl::Milliseconds(100)))));
  }
  return status;
}

}  // namespace plasmanet
