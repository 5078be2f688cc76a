// ModelCache: the reconciler's copy of the objects that compile to NB rows (VPCs, subnets,
// security groups, ports), fed by a snapshot of the store and then by its watch stream. The
// shared drop group (OwnerRef kind kDefaultDeny) exists whenever any port does.
//
// Memory is one decoded object per VPC, subnet and port; rows are compiled on demand, not
// kept, so holding 100,000 ports costs the ports themselves.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/status/status.h>

#include "model/port.h"
#include "model/security_group.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "reconcile/compile.h"
#include "store/store.h"

namespace plasmanet::reconcile {

// One store change to an object, decoded. Decoding the JSON values is most of the cost of
// following the store, so it happens on the store-watch thread (in parallel for a snapshot),
// not on the reconciler's worker.
struct ObjectChange {
  OwnerRef owner;
  int64_t mod_revision = 0;
  std::variant<std::monostate, model::Vpc, model::Subnet, model::Port, model::SecurityGroup>
      object;  // none: deleted
};

class ModelCache {
 public:
  // The store prefixes whose keys hold the objects (everything else under /v1/ is ignored).
  static const std::vector<absl::string_view>& ObjectPrefixes();
  static bool IsObjectKey(absl::string_view key);

  // nullopt for keys that hold no such object, and for values that do not decode (logged: such
  // an object cannot be compiled).
  static std::optional<ObjectChange> Decode(const store::KeyValue& kv, bool is_delete);
  // Decodes puts in order, splitting a large batch across `threads` threads.
  static std::vector<ObjectChange> DecodeAll(const std::vector<store::KeyValue>& puts, int threads);

  void Clear();
  // Applies a change. Returns the owners whose rows may have changed: none when the change is
  // older than what the cache holds (so a snapshot and a watch that overlap are harmless); with
  // the first port, the drop group too.
  std::vector<OwnerRef> Apply(ObjectChange change);

  // The rows the owner should have in NB; empty when the object does not exist.
  std::vector<DesiredRow> Compile(const OwnerRef& owner) const;

  // While a snapshot's ranges and the watch overlap, deletions are remembered so a put replayed
  // from before the delete cannot revive the object; afterwards that memory is dropped.
  void TrackDeletions(bool on);

  std::vector<OwnerRef> Owners() const;
  const model::Port* FindPort(const std::string& id) const;
  size_t size() const {
    return vpcs_.size() + subnets_.size() + groups_.size() + ports_.size() +
           (ports_.empty() ? 0 : 1);
  }

 private:
  absl::flat_hash_map<std::string, model::Vpc> vpcs_;
  absl::flat_hash_map<std::string, model::Subnet> subnets_;
  absl::flat_hash_map<std::string, model::Port> ports_;
  absl::flat_hash_map<std::string, model::SecurityGroup> groups_;
  // Revisions of deletions, so a stale put replayed after the delete does not revive it.
  absl::flat_hash_map<std::string, int64_t> deleted_at_;
  bool track_deletions_ = false;
};

}  // namespace plasmanet::reconcile
