// ModelCache: the reconciler's copy of the objects that compile to NB rows (VPCs, subnets,
// ports), fed by a snapshot of the store and then by its watch stream.
//
// Memory is one decoded object per VPC, subnet and port; rows are compiled on demand, not
// kept, so holding 100,000 ports costs the ports themselves.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>

#include "model/port.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "reconcile/compile.h"
#include "store/store.h"

namespace plasmanet::reconcile {

class ModelCache {
 public:
  // The store prefixes whose keys hold the objects (everything else under /v1/ is ignored).
  static bool IsObjectKey(absl::string_view key);

  void Clear();
  // Applies a stored object (put, or delete with is_delete). Returns the owner whose rows may
  // have changed, or nullopt for keys that hold no such object. Changes older than what the
  // cache holds are ignored, so a snapshot and a watch that overlap are harmless. A value that
  // does not decode is logged and skipped (it cannot be compiled).
  std::optional<OwnerRef> Apply(const store::KeyValue& kv, bool is_delete);

  // The rows the owner should have in NB; empty when the object does not exist.
  std::vector<DesiredRow> Compile(const OwnerRef& owner) const;

  // While a snapshot's ranges and the watch overlap, deletions are remembered so a put replayed
  // from before the delete cannot revive the object; afterwards that memory is dropped.
  void TrackDeletions(bool on);

  std::vector<OwnerRef> Owners() const;
  const model::Port* FindPort(const std::string& id) const;
  size_t size() const { return vpcs_.size() + subnets_.size() + ports_.size(); }

 private:
  absl::flat_hash_map<std::string, model::Vpc> vpcs_;
  absl::flat_hash_map<std::string, model::Subnet> subnets_;
  absl::flat_hash_map<std::string, model::Port> ports_;
  // Revisions of deletions, so a stale put replayed after the delete does not revive it.
  absl::flat_hash_map<std::string, int64_t> deleted_at_;
  bool track_deletions_ = false;
};

}  // namespace plasmanet::reconcile
