#include "daemon/reconciler_host.h"

#include <utility>

#include "common/logging.h"

namespace plasmanet {

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
  std::unique_ptr<reconcile::Reconciler> reconciler;
  {
    std::lock_guard lock(mu_);
    reconciler = std::move(reconciler_);
  }
  if (reconciler != nullptr) reconciler->Stop();
}

v1::ReplicaStatus ReconcilerHost::Status() {
  v1::ReplicaStatus status;
  status.set_replica(options_.replica);
  v1::ReplicaStatus::Store* store = status.mutable_store();
  store->set_backend(options_.store_backend);
  absl::StatusOr<int64_t> revision = store_.CurrentRevision();
  store->set_reachable(revision.ok());
  if (revision.ok()) {
    store->set_revision(*revision);
  } else {
    store->set_error(std::string(revision.status().message()));
  }

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

  std::lock_guard lock(mu_);
  if (reconciler_ != nullptr) {
    v1::ReplicaStatus::Ovn* ovn = status.mutable_ovn();
    ovn->set_nb_connected(reconciler_->nb().synced());
    ovn->set_nb_remote(reconciler_->nb().current_remote());
    ovn->set_synced_revision(reconciler_->synced_revision());
    ovn->set_fenced(reconciler_->fenced());
  }
  return status;
}

}  // namespace plasmanet
