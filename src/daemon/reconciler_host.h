// ReconcilerHost: runs the OVN reconciler where this replica should, and reports the
// replica's role and health (StatusService.GetStatus).
//
//   - Without --ovn-nb the replica serves the API only and never runs a reconciler (API_ONLY).
//   - On the embedded store it is the only replica (the store's file lock sees to that), so it
//     runs the reconciler from the start, unfenced (SINGLE).
//   - On etcd it campaigns (election/leader_election.h) and runs a reconciler only while
//     elected (LEADER), fenced with its term's epoch; otherwise it stands by (STANDBY). A new
//     term gets a new reconciler, which resyncs NB from the store: rows another leader wrote
//     are found, not duplicated.
//
//   ReconcilerHost host(store, services.ports, {.replica = "node-a", ...});
//   host.Start();
//   v1::ReplicaStatus status = host.Status();
//   host.Stop();  // stands down (hands leadership over at once) and stops the reconciler
//
// Thread-safe.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "election/leader_election.h"
#include "plasmanet/v1/api.pb.h"
#include "reconcile/reconciler.h"
#include "service/port_service.h"
#include "store/etcd/etcd_client.h"
#include "store/store.h"

namespace plasmanet {

struct ReconcilerHostOptions {
  std::string replica;        // this replica's name
  std::string store_backend;  // "sqlite" or "etcd", for the status
  // How to run the reconciler; nullopt without --ovn-nb.
  std::optional<reconcile::ReconcilerOptions> reconciler;
  // Set on etcd: the connection the election uses (the store's).
  std::shared_ptr<store::etcd::EtcdClient> etcd;
  election::LeaderElectionOptions election;  // .replica is filled from `replica`
};

class ReconcilerHost {
 public:
  // `store` and `ports` must outlive this object.
  ReconcilerHost(store::Store& store, service::PortService& ports, ReconcilerHostOptions options);
  ~ReconcilerHost();
  ReconcilerHost(const ReconcilerHost&) = delete;
  ReconcilerHost& operator=(const ReconcilerHost&) = delete;

  void Start();
  void Stop();

  v1::ReplicaStatus Status();

  // The reconciler running now, if any (tests and benchmarks wait on it).
  bool running_reconciler() const;

 private:
  void StartReconciler(int64_t epoch);
  void StopReconciler();
  // Reads the store's revision every kStoreProbeInterval, so Status() reports reachability
  // at once instead of waiting on an unreachable etcd for the client's deadline.
  void ProbeStore();

  store::Store& store_;
  service::PortService& ports_;
  const ReconcilerHostOptions options_;
  std::unique_ptr<election::LeaderElection> election_;  // on etcd with a reconciler only

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<reconcile::Reconciler> reconciler_;  // guarded by mu_
  bool stopping_ = false;                              // guarded by mu_
  absl::StatusOr<int64_t> last_revision_ = absl::UnavailableError("not probed yet");  // mu_
  absl::Time last_probe_;  // guarded by mu_: when it answered
  std::thread prober_;
};

}  // namespace plasmanet
