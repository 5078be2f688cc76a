#include "ipam/pool_allocator.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include <absl/status/status.h>
#include <absl/strings/str_cat.h>

namespace plasmanet::ipam {

absl::StatusOr<PoolAllocator> PoolAllocator::Create(int universe_bits, std::vector<Pool> pools) {
  if (universe_bits < 1 || universe_bits > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("universe_bits is ", universe_bits, "; must be in [1, 64]"));
  }
  if (pools.empty()) {
    return absl::InvalidArgumentError("no allocation pools");
  }
  const uint64_t max_offset =
      universe_bits == 64 ? ~uint64_t{0} : (uint64_t{1} << universe_bits) - 1;
  for (const Pool& pool : pools) {
    if (pool.first > pool.last) {
      return absl::InvalidArgumentError(absl::StrCat("pool [", pool.first, ", ", pool.last,
                                                     "]: first offset is after last offset"));
    }
    if (pool.last > max_offset) {
      return absl::InvalidArgumentError(absl::StrCat("pool [", pool.first, ", ", pool.last,
                                                     "] reaches past the last offset ", max_offset,
                                                     " of a ", universe_bits, "-bit universe"));
    }
  }

  std::sort(pools.begin(), pools.end(),
            [](const Pool& a, const Pool& b) { return a.first < b.first; });
  std::vector<PoolState> states;
  states.reserve(pools.size());
  absl::uint128 capacity = 0;
  for (const Pool& pool : pools) {
    if (!states.empty() && pool.first <= states.back().last) {
      return absl::InvalidArgumentError(absl::StrCat("pool [", states.back().first, ", ",
                                                     states.back().last, "] overlaps pool [",
                                                     pool.first, ", ", pool.last, "]"));
    }
    states.push_back({.first = pool.first, .last = pool.last});
    capacity += absl::uint128(pool.last - pool.first) + 1;
  }
  return PoolAllocator(universe_bits, std::move(states), capacity);
}

PoolAllocator::PoolAllocator(int universe_bits, std::vector<PoolState> pools,
                             absl::uint128 capacity)
    : used_(universe_bits),
      pools_(std::move(pools)),
      capacity_(capacity),
      cursor_(pools_.front().first) {}

std::optional<uint64_t> PoolAllocator::Allocate() {
  // n + 1 steps: the cursor's pool is searched first from the cursor to its end, then every
  // other pool in order, then the cursor's pool once more from its start up to the cursor. Full
  // pools are skipped by their counts, and a search over a whole pool that is not full always
  // succeeds, so only the two partial searches of the cursor's pool can come back empty.
  const size_t n = pools_.size();
  for (size_t step = 0; step <= n; ++step) {
    const size_t index = (cursor_pool_ + step) % n;
    PoolState& pool = pools_[index];
    if (IsFull(pool)) {
      continue;
    }
    uint64_t from = pool.first;
    uint64_t to = pool.last;
    if (step == 0) {
      from = cursor_;
    } else if (step == n) {
      if (cursor_ == pool.first) {
        break;  // step 0 already searched the whole pool
      }
      to = cursor_ - 1;
    }
    if (std::optional<uint64_t> found = used_.FindFirstAbsent(from, to)) {
      used_.Insert(*found);
      ++pool.used;
      AdvanceCursor(index, *found);
      return found;
    }
  }
  return std::nullopt;
}

bool PoolAllocator::Reserve(uint64_t offset) {
  if (!used_.Insert(offset)) {
    return false;
  }
  if (PoolState* pool = FindPool(offset)) {
    ++pool->used;
  }
  return true;
}

bool PoolAllocator::Release(uint64_t offset) {
  // The cursor stays where it is: the freed offset is found again only after the cursor has
  // gone round every pool, which is what makes it "reused last".
  if (!used_.Erase(offset)) {
    return false;
  }
  if (PoolState* pool = FindPool(offset)) {
    --pool->used;
  }
  return true;
}

bool PoolAllocator::IsUsed(uint64_t offset) const { return used_.Contains(offset); }

size_t PoolAllocator::MemoryBytes() const {
  return used_.MemoryBytes() + pools_.capacity() * sizeof(PoolState);
}

bool PoolAllocator::IsFull(const PoolState& pool) {
  // Written as used - 1 == last - first because a pool spanning all 2^64 offsets has a size
  // that does not fit in 64 bits.
  return pool.used != 0 && pool.used - 1 == pool.last - pool.first;
}

PoolAllocator::PoolState* PoolAllocator::FindPool(uint64_t offset) {
  auto after =
      std::upper_bound(pools_.begin(), pools_.end(), offset,
                       [](uint64_t value, const PoolState& pool) { return value < pool.first; });
  if (after == pools_.begin()) {
    return nullptr;
  }
  PoolState& pool = *std::prev(after);
  return offset <= pool.last ? &pool : nullptr;
}

void PoolAllocator::AdvanceCursor(size_t pool, uint64_t offset) {
  if (offset != pools_[pool].last) {
    cursor_pool_ = pool;
    cursor_ = offset + 1;
    return;
  }
  cursor_pool_ = (pool + 1) % pools_.size();
  cursor_ = pools_[cursor_pool_].first;
}

}  // namespace plasmanet::ipam
