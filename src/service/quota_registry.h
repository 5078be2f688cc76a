// QuotaRegistry: per-project limits on how many objects of each kind may exist, enforced the
// way IPAM enforces addresses. A project with a quota of N ports has N slot keys
// /v1/quota/<org>/<project>/port/<k>, k < N; a create claims a free slot with a create-if-absent
// compare in its own transaction, a delete frees it. So the limit is strict, also with several
// API servers, and creates in one project never contend on a shared counter key.
//
// In memory, a PoolAllocator per (project, kind) proposes free slots without scanning; it is
// loaded from the slot keys on first use and dropped when a compare shows it stale. Which slot
// an object holds means nothing, so proposals are random: servers sharing a store then rarely
// propose the same slot.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <tuple>

#include <absl/status/statusor.h>

#include "auth/authorizer.h"
#include "auth/principal.h"
#include "common/clock.h"
#include "ipam/pool_allocator.h"
#include "store/store.h"

namespace plasmanet::service {

// Default limits per project; every project gets these.
struct Quotas {
  int64_t vpcs = 50;
  int64_t subnets = 500;
  int64_t ports = 20'000;
  int64_t security_groups = 500;
  int64_t floating_ips = 500;

  // The limit for `kind`; external networks have none (admins only).
  int64_t Of(auth::Kind kind) const;
};

class QuotaRegistry {
 public:
  // `store` and `clock` must outlive this object.
  QuotaRegistry(store::Store& store, Quotas quotas, Clock& clock)
      : store_(store), clock_(clock), quotas_(quotas) {}

  // A free slot of `scope`'s quota for `kind`, marked used in memory. RESOURCE_EXHAUSTED when
  // the project has as many objects as its quota allows. -1 for kinds without a quota. Slots
  // freed by another server are learnt by re-reading the store when every slot looks used
  // (at most once per IpamRegistry::kRefreshInterval).
  absl::StatusOr<int64_t> Propose(const auth::Scope& scope, auth::Kind kind);
  // Returns a slot (its object was deleted, or its claim failed).
  void Release(const auth::Scope& scope, auth::Kind kind, int64_t slot);
  // Drops the allocator of (scope, kind): the store showed it stale.
  void Forget(const auth::Scope& scope, auth::Kind kind);

  const Quotas& quotas() const { return quotas_; }

 private:
  struct Entry {
    std::mutex mu;
    std::unique_ptr<ipam::PoolAllocator> allocator;  // guarded by mu; null until loaded
    absl::Time loaded_at;                            // guarded by mu
    std::mt19937_64 rng{std::random_device{}()};     // guarded by mu
  };
  using Key = std::tuple<std::string, std::string, auth::Kind>;

  std::shared_ptr<Entry> EntryFor(const Key& key);
  absl::Status Load(const auth::Scope& scope, auth::Kind kind, Entry& entry);

  store::Store& store_;
  Clock& clock_;
  const Quotas quotas_;
  std::mutex map_mu_;
  std::map<Key, std::shared_ptr<Entry>> entries_;  // guarded by map_mu_
};

}  // namespace plasmanet::service
