// NbFence: keeps a deposed leader's late transactions out of OVN Northbound.
//
// With several plasmanetd replicas, the elected one runs the reconciler (election/). Standing
// down at its lease's deadline stops a leader's new transactions, but one already on its way
// (or delayed by a slow network) could still land after the next leader has started. So the
// leader's epoch is written into NB itself: the first transaction of its term (the claim) sets
// NB_Global external_ids:plasmanet:leader-epoch to the epoch, and every later transaction of
// the term starts with a `wait` that holds only while the key still has that value. The next
// leader's claim changes it, after which ovsdb-server refuses whatever the old one sends. A
// claim never lowers the epoch: a replica that finds a newer one in NB knows it was deposed.
//
//   NbFence fence(term.epoch);
//   PN_ASSIGN_OR_RETURN(nlohmann::json claim, fence.ClaimOps(replica));   // once per term
//   ops.insert(ops.begin(), fence.GuardOp());                              // every transaction
//   if (NbFence::RefusedByGuard(status)) { ... deposed ... }
//
// Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <nlohmann/json.hpp>

#include "ovsdb/replica.h"

namespace plasmanet::reconcile {

inline constexpr char kLeaderEpochKey[] = "plasmanet:leader-epoch";

class NbFence {
 public:
  explicit NbFence(int64_t epoch) : epoch_(epoch) {}

  int64_t epoch() const { return epoch_; }

  // The operations that claim NB for this epoch, given NB_Global as `replica` holds it: insert
  // the row if there is none, else set the key, provided NB_Global's external_ids are still
  // what the replica says (a concurrent claim makes the transaction fail, and the caller reads
  // again). FAILED_PRECONDITION if NB already holds a newer epoch.
  absl::StatusOr<nlohmann::json> ClaimOps(const ovsdb::Replica& replica) const;

  // The `wait` that goes first in every transaction of the term.
  nlohmann::json GuardOp() const;

  // Whether ovsdb-server refused a transaction because of its first operation, the guard.
  static bool RefusedByGuard(const absl::Status& status);

 private:
  const int64_t epoch_;
};

}  // namespace plasmanet::reconcile
