// ModelCache: the reconciler's copy of the objects that compile to NB rows (external networks,
// VPCs, subnets, security groups, ports, floating IPs), fed by a snapshot of the store and then by
// its watch stream. The shared drop group (OwnerRef kind kDefaultDeny) exists whenever any subnet
// or port does.
//
// Some rows depend on more than their own object: a subnet's DNS row holds the names of all
// its ports, a port's row references its subnet's DHCP options. Apply therefore also returns the
// owners whose rows a change reaches (the VPC when a port's name or addresses change, the ports
// when their subnet's DHCP changes: all of them when the options appear or go, those with their
// own DHCP options row when any value it copies changes), and only then, so a port status
// change stays one owner.
//
// Memory is one decoded object per VPC, subnet and port, plus the ids of each subnet's ports;
// rows are compiled on demand, not kept, so holding 100,000 ports costs the ports themselves.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
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
  std::variant<std::monostate, model::Vpc, model::Subnet, model::Port, model::SecurityGroup,
               model::ExternalNetwork, model::FloatingIp>
      object;  // none: deleted
};

class ModelCache {
 public:
  explicit ModelCache(CompileOptions options = {}) : options_(std::move(options)) {}

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

  // The chassis that may host gateways, by physical network (from OVN Southbound: chassis
  // whose ovn-bridge-mappings name the network). Returns the VPCs whose gateway chassis
  // changed.
  std::vector<OwnerRef> SetGatewayChassis(
      absl::flat_hash_map<std::string, std::vector<std::string>> by_network);

  // While a snapshot's ranges and the watch overlap, deletions are remembered so a put replayed
  // from before the delete cannot revive the object; afterwards that memory is dropped.
  void TrackDeletions(bool on);

  std::vector<OwnerRef> Owners() const;
  const model::Port* FindPort(const std::string& id) const;
  size_t size() const {
    return networks_.size() + vpcs_.size() + subnets_.size() + groups_.size() + ports_.size() +
           fips_.size() + (HasDefaultDeny() ? 1 : 0);
  }

 private:
  bool HasDefaultDeny() const { return !subnets_.empty() || !ports_.empty(); }
  // The owners besides `owner` whose rows the change of `before` into `after` (null: absent)
  // reaches.
  void AddDependents(const model::Subnet* before, const model::Subnet* after,
                     std::vector<OwnerRef>& out) const;
  void AddDependents(const model::Port* before, const model::Port* after,
                     std::vector<OwnerRef>& out) const;
  void AddDependents(const model::Vpc* before, const model::Vpc* after,
                     std::vector<OwnerRef>& out) const;
  void AddDependents(const model::ExternalNetwork* before, const model::ExternalNetwork* after,
                     std::vector<OwnerRef>& out) const;
  // Adds the subnet's ports (`only_with_own_dhcp`: those with extra DHCP options) to `out`.
  void AddPortsOf(const std::string& subnet_id, bool only_with_own_dhcp,
                  std::vector<OwnerRef>& out) const;
  // The VPC, the DNS records of the subnet's ports and the VPC's subnets.
  SubnetContext ContextOf(const model::Subnet& subnet) const;
  VpcContext ContextOf(const model::Vpc& vpc) const;

  CompileOptions options_;
  absl::flat_hash_map<std::string, model::Vpc> vpcs_;
  absl::flat_hash_map<std::string, model::Subnet> subnets_;
  absl::flat_hash_map<std::string, model::Port> ports_;
  absl::flat_hash_map<std::string, model::SecurityGroup> groups_;
  absl::flat_hash_map<std::string, model::ExternalNetwork> networks_;
  absl::flat_hash_map<std::string, model::FloatingIp> fips_;
  // External network -> the VPCs with a gateway on it.
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> vpcs_of_network_;
  absl::flat_hash_map<std::string, std::vector<std::string>> gateway_chassis_;  // by physnet
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> subnets_of_vpc_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> ports_of_subnet_;
  // Revisions of deletions, so a stale put replayed after the delete does not revive it.
  absl::flat_hash_map<std::string, int64_t> deleted_at_;
  bool track_deletions_ = false;
};

}  // namespace plasmanet::reconcile
