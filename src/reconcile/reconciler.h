// Reconciler: keeps OVN Northbound equal to what the store says, always.
//
// Level-triggered. Inputs only mark owners (a VPC, subnet or port) dirty: a store change marks
// its object, an NB change marks the owner of the row it touched (ours or someone else's
// edit), a full resync marks everything. One worker thread turns dirty owners into
// transactions: compile the owner (pure), diff against the NB replica (TxnBuilder), send. While
// a transaction is in flight new changes accumulate, so the next one carries all of them
// (natural batching, capped at max_rows_per_txn rows). Because ovsdb-server reports a
// transaction's effects before its reply, the replica is current when the next diff runs.
//
//   store watch -> ModelCache --+
//                               +--> dirty owners -> TxnBuilder -> ovsdb::Client::Transact
//   NB monitor  -> NbIndex -----+
//                  NbIndex: Logical_Switch_Port.up -> PortService::RecordBinding (ACTIVE/DOWN)
//   SB monitor  -> SbBindings: Port_Binding.chassis ------^ (binding_chassis, optional)
//
// A transaction the server refuses (not one cut off by a lost connection) is retried one owner
// per transaction, so one bad owner cannot hold back the rest; the owner refused alone is
// logged, its port (if it is one) marked ERROR, and retried when its object changes or at the
// next audit.
//
// An owned row changed or deleted by someone else is restored by the next pass (milliseconds)
// and logged once as drift; rows without plasmanet:owner are never touched. A periodic audit
// re-diffs everything as a safety net.
//
// With several replicas on one store, only the elected leader runs a reconciler (election/),
// started with its term's epoch: the first transaction claims NB for the epoch and every
// transaction asserts it (nb_fence.h), and port status writes compare the leader key in the
// store (store_fence). A reconciler that finds itself fenced out stops writing and says so
// (fenced()); the daemon then has a newer leader elsewhere. With the embedded SQLite store a
// single daemon owns the store and runs unfenced.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <absl/time/time.h>

#include "ovsdb/client.h"
#include "reconcile/model_cache.h"
#include "reconcile/nb_fence.h"
#include "reconcile/nb_index.h"
#include "reconcile/sb_bindings.h"
#include "service/port_service.h"
#include "store/store.h"

namespace plasmanet::reconcile {

struct ReconcilerOptions {
  std::vector<ovsdb::Remote> nb_remotes;
  ovsdb::TlsFiles tls;
  // Optional: OVN Southbound, read for the chassis each port is bound to (binding_chassis) and
  // for the chassis that can host VPC gateways. Without it gateways get no chassis.
  std::vector<ovsdb::Remote> sb_remotes;
  ovsdb::TlsFiles sb_tls;
  CompileOptions compile;  // DNS zone and servers, MTU and lease defaults
  size_t max_rows_per_txn = 5000;
  absl::Duration transact_timeout = absl::Seconds(60);
  absl::Duration audit_interval = absl::Minutes(5);
  absl::Duration probe_interval = absl::Seconds(5);
  absl::Duration backoff_max = absl::Seconds(8);
  // The leader's term (0: no election, write unfenced) and the store compare that holds only
  // during it (election::LeaderElection::Fence).
  int64_t fence_epoch = 0;
  std::optional<store::Compare> store_fence;
};

struct ReconcilerStats {
  int64_t transactions = 0;
  int64_t failed_transactions = 0;
  int64_t rows_inserted = 0;
  int64_t rows_updated = 0;
  int64_t rows_deleted = 0;
  int64_t drift_repairs = 0;   // owners whose rows someone else had changed
  int64_t status_updates = 0;  // port status changes written to the store
  int64_t full_resyncs = 0;
};

class Reconciler final : private ovsdb::ClientListener {
 public:
  Reconciler(store::Store& store, service::PortService& ports, ReconcilerOptions options);
  ~Reconciler() override;
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  void Start();
  void Stop();

  // Waits until NB holds every store change up to `revision` (and the reconciler has nothing
  // left to do). For tests, benchmarks and callers that want to wait for programming.
  bool WaitForRevision(int64_t revision, absl::Duration timeout);
  // The store revision whose state NB is known to hold (0: not yet in sync).
  int64_t synced_revision() const;
  ReconcilerStats stats() const;
  // True once NB was claimed for this reconciler's epoch (always true without a fence)...
  bool claimed() const { return claimed_.load(); }
  // ...and once a newer leader's claim has shut it out: it writes nothing more.
  bool fenced() const { return fenced_.load(); }
  const ovsdb::Client& nb() const { return *client_; }

 private:
  // ClientListener, on the client's I/O thread: queue and wake the worker.
  void OnSynced(bool full) override;
  void OnRowsChanged(const std::vector<ovsdb::RowChange>& changes) override;
  void OnDisconnected(const absl::Status& why) override;

  void WatchStore();  // store thread: snapshot, then the watch stream, decoded
  void Work();        // worker thread
  // Takes the queued inputs and turns them into dirty owners.
  void Absorb(std::unique_lock<std::mutex>& lock);
  // Sends transactions until nothing is dirty, something is blocked, or a transaction fails.
  void ReconcileDirty();
  // Brings the index up to date with NB changes and marks the owners they touched.
  void ApplyNbChanges(const std::vector<ovsdb::RowChange>& changes);
  void UpdatePortStatuses();
  // Claims NB for the fence's epoch; sets claimed_ or fenced_, or schedules a retry.
  void ClaimNb();
  void Fenced(absl::string_view why);

  store::Store& store_;
  service::PortService& ports_;
  ReconcilerOptions options_;
  std::unique_ptr<ovsdb::Client> client_;
  std::unique_ptr<SbBindings> sb_;  // null without sb_remotes

  // Inputs, guarded by mu_.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  struct StoreInput {
    bool snapshot = false;              // a full read: replace the cache
    std::vector<ObjectChange> changes;  // in revision order, decoded by the store thread
    int64_t revision = 0;
  };
  std::vector<StoreInput> store_inputs_;
  bool nb_full_sync_ = false;
  bool nb_resynced_ = false;  // (re)connected, full or not: dirty owners can be sent again
  int64_t nb_syncs_ = 0;      // OnSynced calls so far
  std::vector<ovsdb::RowChange> nb_changes_;
  std::vector<std::string> sb_changed_ports_;
  std::optional<SbBindings::GatewayChassis> sb_gateway_chassis_;  // new gateway candidates
  int64_t synced_revision_ = 0;
  std::condition_variable synced_cv_;
  ReconcilerStats stats_;

  const std::optional<NbFence> fence_;
  std::atomic<bool> claimed_{false};
  std::atomic<bool> fenced_{false};

  // Worker state.
  int64_t absorbed_syncs_ = 0;  // nb_syncs_ when Absorb last took the NB inputs
  ModelCache cache_;
  NbIndex index_;
  std::set<OwnerRef> dirty_;                // ordered: VPCs, then subnets, then ports
  std::set<OwnerRef> drift_suspects_;       // dirtied by NB changes only
  std::set<OwnerRef> blocked_;              // waiting for a parent row
  std::set<std::string> status_checks_;     // port ids whose NB up state may have changed
  std::set<OwnerRef> suspects_;             // of a refused batch: sent one per transaction
  std::set<OwnerRef> refused_;              // refused alone: wait for a change or the audit
  std::vector<std::string> refused_ports_;  // to be marked ERROR
  int64_t seen_revision_ = 0;               // newest store revision absorbed
  int64_t snapshot_revision_ = 0;
  // The first store snapshot is absorbed: until then the model cache is empty, and a diff
  // would delete every row NB holds for us.
  bool store_loaded_ = false;
  absl::Time retry_at_ = absl::InfinitePast();
  absl::Duration backoff_ = absl::ZeroDuration();
  absl::Time next_audit_ = absl::InfiniteFuture();
  // A full resync in progress: when it started and the counters then, for its summary line.
  std::optional<absl::Time> resync_started_;
  ReconcilerStats resync_base_;

  std::thread store_thread_;
  std::thread worker_thread_;
};

}  // namespace plasmanet::reconcile
