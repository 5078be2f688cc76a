// ReadCache: decoded objects by id, for hot paths whose store transaction guards what they
// read (its revision, Compare::ModRevisionIs, or its existence).
//
// Creating a port reads its subnet, and every port of a subnet reads the same one: reading it
// from the store (cold after every commit) and decoding its JSON was 9% of plasmanetd's CPU per
// port at 32 API clients (perf, api_bench --without-ovn). A cached copy may be stale: the
// transaction's guard then fails, and the retry reads the store (callers skip the cache when
// retrying), so a stale entry costs one retry, never a wrong write.
//
//   ReadCache<model::Subnet> subnets(4096);
//   std::shared_ptr<const model::Subnet> s = subnets.Find(id);  // null on a miss
//   subnets.Put(id, std::make_shared<const model::Subnet>(std::move(loaded)));
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include <absl/container/flat_hash_map.h>

namespace plasmanet::service {

template <typename T>
class ReadCache {
 public:
  explicit ReadCache(size_t capacity) : capacity_(capacity) {}

  std::shared_ptr<const T> Find(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : it->second;
  }

  // Keeps `object` under `id`. When full, an arbitrary entry makes room: the cache serves the
  // objects in use right now, and an evicted one is read again on its next use.
  void Put(const std::string& id, std::shared_ptr<const T> object) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= capacity_ && !entries_.contains(id)) {
      entries_.erase(entries_.begin());
    }
    entries_[id] = std::move(object);
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const T>> entries_;  // guarded by mu_
};

}  // namespace plasmanet::service
