#include "service/ipam_registry.h"

#include <absl/strings/str_cat.h>

#include "common/logging.h"
#include "common/status_macros.h"
#include "service/keys.h"

namespace plasmanet::service {
namespace {

std::vector<ipam::PoolAllocator::Pool> Pools(const model::SubnetFamily& family) {
  std::vector<ipam::PoolAllocator::Pool> pools;
  for (const model::AddressRange& r : family.pools) {
    pools.push_back({family.cidr.OffsetOf(r.first), family.cidr.OffsetOf(r.last)});
  }
  return pools;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ipam::PoolAllocator>> IpamRegistry::Load(
    const std::string& owner, const model::SubnetFamily& family) {
  PN_ASSIGN_OR_RETURN(ipam::PoolAllocator allocator,
                      ipam::PoolAllocator::Create(family.cidr.host_bits(), Pools(family)));
  auto out = std::make_unique<ipam::PoolAllocator>(std::move(allocator));
  store::RangeRequest request{.prefix = keys::IpamPrefix(owner), .limit = 10'000};
  size_t loaded = 0;
  while (true) {
    PN_ASSIGN_OR_RETURN(store::RangeResult page, store_.Range(request));
    for (const store::KeyValue& kv : page.kvs) {
      absl::StatusOr<IpAddress> ip = IpAddress::Parse(kv.key.substr(request.prefix.size()));
      if (ip.ok() && family.cidr.Contains(*ip)) {
        out->Reserve(family.cidr.OffsetOf(*ip));
        ++loaded;
      }
    }
    if (!page.more) break;
    request.start_after = page.kvs.back().key;
  }
  LOG_DEBUG("ipam allocator loaded owner={} cidr={} used={}", owner, family.cidr.ToString(),
            loaded);
  return out;
}

absl::StatusOr<IpamRegistry::Locked> IpamRegistry::Acquire(const std::string& owner,
                                                           const model::SubnetFamily& family) {
  Locked locked;
  {
    std::lock_guard lock(map_mu_);
    std::shared_ptr<Entry>& slot = entries_[{owner, family.cidr.family()}];
    if (slot == nullptr) slot = std::make_shared<Entry>();
    locked.entry = slot;
  }
  locked.lock = std::unique_lock(locked.entry->mu);
  if (locked.entry->allocator == nullptr) {
    PN_ASSIGN_OR_RETURN(locked.entry->allocator, Load(owner, family));
    locked.entry->loaded_at = clock_.Now();
  }
  return locked;
}

absl::StatusOr<IpAddress> IpamRegistry::Propose(const std::string& owner,
                                                const model::SubnetFamily& family, bool scatter) {
  PN_ASSIGN_OR_RETURN(Locked locked, Acquire(owner, family));
  if (scatter || shared_) {
    // A few random probes; in a nearly full pool they miss and the sequential walk decides.
    for (int probe = 0; probe < 4; ++probe) {
      const model::AddressRange& pool = family.pools[locked.entry->rng() % family.pools.size()];
      const uint64_t first = family.cidr.OffsetOf(pool.first);
      const uint64_t span = family.cidr.OffsetOf(pool.last) - first;
      const uint64_t offset =
          first + (span == ~uint64_t{0} ? locked.entry->rng() : locked.entry->rng() % (span + 1));
      if (locked.allocator().Reserve(offset)) {
        return family.cidr.AddressAt(offset);
      }
    }
  }
  std::optional<uint64_t> offset = locked.allocator().Allocate();
  if (!offset.has_value() && clock_.Now() - locked.entry->loaded_at >= kRefreshInterval) {
    // Full in memory; another server may have freed addresses since the load.
    PN_ASSIGN_OR_RETURN(locked.entry->allocator, Load(owner, family));
    locked.entry->loaded_at = clock_.Now();
    offset = locked.allocator().Allocate();
  }
  if (!offset.has_value()) {
    return absl::ResourceExhaustedError(absl::StrCat("no free ", IpFamilyName(family.cidr.family()),
                                                     " address left in ", family.cidr.ToString()));
  }
  return family.cidr.AddressAt(*offset);
}

absl::StatusOr<bool> IpamRegistry::ProposeSpecific(const std::string& owner,
                                                   const model::SubnetFamily& family,
                                                   const IpAddress& address) {
  PN_ASSIGN_OR_RETURN(Locked locked, Acquire(owner, family));
  return locked.allocator().Reserve(family.cidr.OffsetOf(address));
}

void IpamRegistry::MarkUsed(const std::string& owner, const model::SubnetFamily& family,
                            const IpAddress& address) {
  // A failed load needs no update: the next Acquire loads the truth from the store.
  if (absl::StatusOr<Locked> locked = Acquire(owner, family); locked.ok()) {
    locked->allocator().Reserve(family.cidr.OffsetOf(address));
  }
}

void IpamRegistry::Release(const std::string& owner, const model::SubnetFamily& family,
                           const IpAddress& address) {
  if (absl::StatusOr<Locked> locked = Acquire(owner, family); locked.ok()) {
    locked->allocator().Release(family.cidr.OffsetOf(address));
  }
}

void IpamRegistry::Forget(const std::string& owner) {
  std::lock_guard lock(map_mu_);
  entries_.erase({owner, IpFamily::kV4});
  entries_.erase({owner, IpFamily::kV6});
}

}  // namespace plasmanet::service
