#include "service/quota_registry.h"

#include <bit>

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "service/ipam_registry.h"
#include "service/keys.h"

namespace plasmanet::service {

int64_t Quotas::Of(auth::Kind kind) const {
  switch (kind) {
    case auth::Kind::kVpc:
      return vpcs;
    case auth::Kind::kSubnet:
      return subnets;
    case auth::Kind::kPort:
      return ports;
    case auth::Kind::kSecurityGroup:
      return security_groups;
    case auth::Kind::kFloatingIp:
      return floating_ips;
    case auth::Kind::kExternalNetwork:
      return -1;
  }
  return -1;
}

std::shared_ptr<QuotaRegistry::Entry> QuotaRegistry::EntryFor(const Key& key) {
  std::lock_guard lock(map_mu_);
  std::shared_ptr<Entry>& slot = entries_[key];
  if (slot == nullptr) slot = std::make_shared<Entry>();
  return slot;
}

absl::Status QuotaRegistry::Load(const auth::Scope& scope, auth::Kind kind, Entry& entry) {
  const int64_t limit = quotas_.Of(kind);
  const int bits = std::max(1, static_cast<int>(std::bit_width(static_cast<uint64_t>(limit - 1))));
  PN_ASSIGN_OR_RETURN(ipam::PoolAllocator allocator,
                      ipam::PoolAllocator::Create(bits, {{0, static_cast<uint64_t>(limit - 1)}}));
  entry.allocator = std::make_unique<ipam::PoolAllocator>(std::move(allocator));
  entry.loaded_at = clock_.Now();
  store::RangeRequest request{.prefix = keys::QuotaPrefix(scope, kind), .limit = 10'000};
  while (true) {
    PN_ASSIGN_OR_RETURN(store::RangeResult page, store_.Range(request));
    for (const store::KeyValue& kv : page.kvs) {
      uint64_t slot = 0;
      // Slots at or above a lowered quota still hold objects but free no capacity below it.
      if (absl::SimpleAtoi(kv.key.substr(request.prefix.size()), &slot) &&
          slot < static_cast<uint64_t>(limit)) {
        entry.allocator->Reserve(slot);
      }
    }
    if (!page.more) return absl::OkStatus();
    request.start_after = page.kvs.back().key;
  }
}

absl::StatusOr<int64_t> QuotaRegistry::Propose(const auth::Scope& scope, auth::Kind kind) {
  const int64_t limit = quotas_.Of(kind);
  if (limit < 0) return -1;
  if (limit == 0) {
    return absl::ResourceExhaustedError(absl::StrCat("the quota of ", auth::KindName(kind),
                                                     " objects is 0 for project ", scope.org_id,
                                                     "/", scope.project_id));
  }
  std::shared_ptr<Entry> entry = EntryFor({scope.org_id, scope.project_id, kind});
  std::lock_guard lock(entry->mu);
  if (entry->allocator == nullptr) {
    absl::Status loaded = Load(scope, kind, *entry);
    if (!loaded.ok()) {
      entry->allocator.reset();
      return loaded;
    }
  }
  // A few random probes; in a nearly full quota they miss and the sequential walk decides.
  for (int probe = 0; probe < 4; ++probe) {
    const uint64_t candidate = entry->rng() % static_cast<uint64_t>(limit);
    if (entry->allocator->Reserve(candidate)) return static_cast<int64_t>(candidate);
  }
  std::optional<uint64_t> slot = entry->allocator->Allocate();
  if (!slot.has_value() && clock_.Now() - entry->loaded_at >= IpamRegistry::kRefreshInterval) {
    // Full in memory; another server may have deleted objects since the load.
    absl::Status loaded = Load(scope, kind, *entry);
    if (!loaded.ok()) {
      entry->allocator.reset();
      return loaded;
    }
    slot = entry->allocator->Allocate();
  }
  if (!slot.has_value()) {
    return absl::ResourceExhaustedError(absl::StrCat("quota exceeded: project ", scope.org_id, "/",
                                                     scope.project_id, " may have at most ", limit,
                                                     " ", auth::KindName(kind), " objects"));
  }
  return static_cast<int64_t>(*slot);
}

void QuotaRegistry::Release(const auth::Scope& scope, auth::Kind kind, int64_t slot) {
  if (slot < 0 || slot >= quotas_.Of(kind)) return;
  std::shared_ptr<Entry> entry = EntryFor({scope.org_id, scope.project_id, kind});
  std::lock_guard lock(entry->mu);
  if (entry->allocator != nullptr) entry->allocator->Release(static_cast<uint64_t>(slot));
}

void QuotaRegistry::Forget(const auth::Scope& scope, auth::Kind kind) {
  std::lock_guard lock(map_mu_);
  entries_.erase({scope.org_id, scope.project_id, kind});
}

}  // namespace plasmanet::service
