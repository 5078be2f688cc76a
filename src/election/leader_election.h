// LeaderElection: which of several plasmanetd replicas on one etcd runs the OVN reconciler.
//
// Every replica serves the API; exactly one at a time may write OVN Northbound and the ports'
// data-plane status. A replica becomes leader by creating the leader key with a lease of its
// own (create-if-absent, one etcd transaction), keeps the lease alive every ttl/3, and stands
// down when it cannot renew in time. The others check the key every `poll` and campaign once
// it is gone: when the leader resigns (Stop revokes its lease) at once, when it dies or loses
// etcd after the lease's TTL.
//
// A term is named by its epoch: the leader key's create revision, unique to the term and
// greater than every earlier term's. Writes only the leader may make carry it as a fence:
//   - store writes compare the leader key's create revision with the epoch (Fence below), in
//     the same etcd transaction, so a deposed leader's write fails instead of landing;
//   - OVN writes carry it in NB itself (the reconciler's fence_epoch), so a transaction a
//     deposed leader sends late, after the new leader claimed NB, is refused by ovsdb-server.
// The local deadline only makes a deposed leader stop early; the fences make it safe.
//
// Timing: `deposed` is called once the lease may have run out: at the send time of the last
// renewal that etcd acknowledged, plus the TTL it granted, less `margin`. etcd counts the TTL
// from when it received that renewal, which is later, so this replica stops first. A renewal
// blocked on an unreachable etcd does not delay the call (a separate thread renews).
//
//   LeaderElection election(etcd, {.replica = "node-a:7070"}, {
//       .elected = [&](const LeaderTerm& term) { StartReconciler(term.epoch); },
//       .deposed = [&](const std::string& why) { StopReconciler(); }});
//   election.Start();
//   ...
//   election.Stop();  // deposed() if leading, the lease revoked so another takes over at once
//
// Thread-safe. The callbacks run on the election's thread, one at a time, elected and deposed
// alternating; deposed must return only once this replica has stopped acting as leader.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <absl/status/status.h>
#include <absl/time/time.h>

#include "store/etcd/etcd_client.h"
#include "store/store.h"

namespace plasmanet::election {

struct LeaderElectionOptions {
  // Outside the objects' "/v1/" range, so store watchers never see it.
  std::string key = "/plasmanet/leader";
  // This replica's name, the key's value while it leads (shown by GetStatus on every replica).
  std::string replica;
  // Lease time to live; etcd counts in whole seconds (at least 2 here).
  absl::Duration ttl = absl::Seconds(5);
  // How long before the lease may run out this replica stops acting as leader.
  absl::Duration margin = absl::Milliseconds(500);
  // How often a replica that does not lead checks whether the key is gone.
  absl::Duration poll = absl::Milliseconds(250);
};

struct LeaderTerm {
  int64_t epoch = 0;  // the leader key's create revision
  std::string replica;
};

struct LeaderElectionCallbacks {
  std::function<void(const LeaderTerm&)> elected;
  std::function<void(const std::string& why)> deposed;
};

struct LeaderStatus {
  bool leader = false;         // this replica leads
  int64_t epoch = 0;           // the current term's epoch, as last seen (0: none known)
  std::string leader_replica;  // the leading replica's name, as last seen ("" if none)
  std::string last_error;      // why the last campaign or renewal failed, if it did
};

class LeaderElection {
 public:
  // `etcd` is shared with the store; it must stay connected while the election runs.
  LeaderElection(std::shared_ptr<store::etcd::EtcdClient> etcd, LeaderElectionOptions options,
                 LeaderElectionCallbacks callbacks);
  ~LeaderElection();
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  // INVALID_ARGUMENT for a TTL under 2 s, a margin not below ttl/3, or an empty replica name.
  static absl::Status Validate(const LeaderElectionOptions& options);

  void Start();
  // Stands down if leading (deposed, then the lease is revoked) and stops campaigning.
  void Stop();

  LeaderStatus status() const;

  // A compare that holds only while the term with `epoch` lasts: the leader key exists and was
  // created at `epoch`.
  static store::Compare Fence(const std::string& key, int64_t epoch);

 private:
  struct Won {
    LeaderTerm term;
    int64_t lease;
  };

  void Run();
  // One attempt to become leader: the term and its lease if it won.
  absl::StatusOr<std::optional<Won>> Campaign();
  // Leads until the lease or the key is lost or Stop is called; the reason.
  std::string Lead(const LeaderTerm& term, int64_t lease);
  // Renews `lease` every ttl/3 until `stop` is set, moving valid_until_ forward.
  void Renew(int64_t lease, int64_t epoch, const bool& stop);
  // Waits up to `d`, or until Stop; false once stopping.
  bool SleepUnlessStopping(absl::Duration d);
  void Revoke(int64_t lease);
  void SetError(const absl::Status& status);

  const std::shared_ptr<store::etcd::EtcdClient> etcd_;
  const LeaderElectionOptions options_;
  const LeaderElectionCallbacks callbacks_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;   // guarded by mu_
  LeaderStatus status_;     // guarded by mu_
  absl::Time valid_until_;  // guarded by mu_: while leading, the lease surely lasts until then
  std::string lost_;        // guarded by mu_: set by the renewer when the term is over
  std::thread thread_;
};

}  // namespace plasmanet::election
