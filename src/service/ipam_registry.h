// IpamRegistry: the in-memory half of IPAM. For each address pool owner (a subnet, or an
// external network for floating IPs) and family it keeps a PoolAllocator that proposes free
// addresses without scanning. The store is the arbiter: a proposal becomes an allocation only
// when the transaction creating /v1/ipam/<owner>/<address> commits (see keys.h).
//
//   PN_ASSIGN_OR_RETURN(IpAddress ip, ipam.Propose(subnet.meta.id, *subnet.ipv4));
//   ... commit with Compare::Absent(keys::Ipam(subnet_id, ip)) ...
//   if (failed) ipam.Release(subnet_id, *subnet.ipv4, ip);   // not ours after all
//
// An allocator is built lazily, on first use after start, from the owner's /v1/ipam keys, so a
// restart never forgets an address. With several API servers on one store (issue #10) another
// server's allocations are learnt when a compare fails (MarkUsed); addresses they free are
// learnt when the owner is reloaded, which a pool that looks full does before it answers
// RESOURCE_EXHAUSTED (at most once per kRefreshInterval, so a full pool is not re-read per
// request). So, by design, an address another server freed may be refused as exhausted for up
// to kRefreshInterval; free addresses left unproposed in a pool that is not full cost nothing.
// Feeding allocators from the store watch instead would learn frees at once, at the price of
// every server decoding every other server's IPAM traffic.
//
// Thread-safe: one mutex per allocator, so different subnets never contend.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>

#include <absl/status/statusor.h>

#include "common/clock.h"
#include "common/ip_address.h"
#include "ipam/pool_allocator.h"
#include "model/subnet.h"
#include "store/store.h"

namespace plasmanet::service {

class IpamRegistry {
 public:
  // `store` and `clock` must outlive this object. `shared`: other servers allocate from the
  // same store (several replicas on etcd), so every proposal is scattered (see Propose).
  IpamRegistry(store::Store& store, Clock& clock, bool shared = false)
      : store_(store), clock_(clock), shared_(shared) {}

  // How old an allocator must be before a full pool is re-read from the store.
  static constexpr absl::Duration kRefreshInterval = absl::Seconds(1);

  // A free pool address of `family`'s family, marked used in memory. RESOURCE_EXHAUSTED when
  // every pool address is used. Normally the next free address after the last one handed out;
  // with `scatter`, a random free one, for retries after losing a race to another server that
  // walks the same sequence. On a shared store every proposal is scattered: servers walking one
  // sequence proposed the same addresses, and half of all creates with three replicas lost a
  // race and went again (bench/ha_bench: 1.46 etcd transactions per port).
  absl::StatusOr<IpAddress> Propose(const std::string& owner, const model::SubnetFamily& family,
                                    bool scatter = false);
  // Marks `address` used in memory. False if it already was.
  absl::StatusOr<bool> ProposeSpecific(const std::string& owner, const model::SubnetFamily& family,
                                       const IpAddress& address);
  // Learns that `address` is used (a compare said so).
  void MarkUsed(const std::string& owner, const model::SubnetFamily& family,
                const IpAddress& address);
  // Returns `address` to the free set (its allocation failed, or its owner object was deleted).
  void Release(const std::string& owner, const model::SubnetFamily& family,
               const IpAddress& address);
  // Drops the allocators of `owner`: after its deletion, or when they proved stale (another
  // server allocated from the same pool); the next use reloads them from the store.
  void Forget(const std::string& owner);

 private:
  struct Entry {
    std::mutex mu;
    std::unique_ptr<ipam::PoolAllocator> allocator;  // guarded by mu; null until loaded
    absl::Time loaded_at;                            // guarded by mu
    std::mt19937_64 rng{std::random_device{}()};     // guarded by mu; for scatter
  };

  // An entry, kept alive while locked even if Forget drops it from the map meanwhile.
  struct Locked {
    std::shared_ptr<Entry> entry;
    std::unique_lock<std::mutex> lock;  // declared after entry: released before it
    ipam::PoolAllocator& allocator() { return *entry->allocator; }
  };

  // The entry of (owner, family), loaded from the store; returned locked.
  absl::StatusOr<Locked> Acquire(const std::string& owner, const model::SubnetFamily& family);
  absl::StatusOr<std::unique_ptr<ipam::PoolAllocator>> Load(const std::string& owner,
                                                            const model::SubnetFamily& family);

  store::Store& store_;
  Clock& clock_;
  const bool shared_;
  std::mutex map_mu_;
  std::map<std::pair<std::string, IpFamily>, std::shared_ptr<Entry>> entries_;  // by map_mu_
};

}  // namespace plasmanet::service
