// PoolAllocator: hands out the addresses of one subnet address family from its allocation pools.
//
// Addresses are handled as offsets from the network address, in a universe of 2^universe_bits
// offsets (32 - prefix length for IPv4, 128 - prefix length for IPv6, at most 64). Allocation is
// round-robin: a cursor walks the pools in order, and each Allocate() returns the first free
// offset at or after it, wrapping around once. An offset that was released is therefore handed
// out again only after every never-used one; that keeps a new port from inheriting an address
// whose old MAC is still in a guest's ARP or neighbour cache.
//
//   std::vector<PoolAllocator::Pool> pools = {{.first = 2, .last = 254}};  // a /24
//   PN_ASSIGN_OR_RETURN(PoolAllocator alloc, PoolAllocator::Create(/*universe_bits=*/8, pools));
//   alloc.Reserve(10);                            // a port asked for this fixed address
//   std::optional<uint64_t> offset = alloc.Allocate();  // -> 2
//   alloc.Release(*offset);                       // handed out again only after 3..254
//
// Cost: Allocate() is O(pools + depth * 64) with depth = ceil(universe_bits / 6), however many
// offsets are in use; Reserve, Release and IsUsed are O(log pools + depth).
//
// Thread safety: none; the owner serializes calls. Separate allocators share no state and may be
// used from different threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include <absl/numeric/int128.h>
#include <absl/status/statusor.h>

#include "ipam/offset_set.h"

namespace plasmanet::ipam {

class PoolAllocator {
 public:
  // An inclusive range of offsets available for automatic allocation.
  struct Pool {
    uint64_t first;
    uint64_t last;
  };

  // Returns INVALID_ARGUMENT if universe_bits is outside [1, 64], if `pools` is empty, or if a
  // pool has first > last, reaches past the universe, or overlaps another pool. Pools may come in
  // any order; they are sorted here. Callers validate user input with friendlier messages first;
  // these checks are the last line of defence.
  static absl::StatusOr<PoolAllocator> Create(int universe_bits, std::vector<Pool> pools);

  // Movable (Create returns by value); a moved-from allocator may only be assigned to or
  // destroyed.
  PoolAllocator(PoolAllocator&&) noexcept = default;
  PoolAllocator& operator=(PoolAllocator&&) noexcept = default;
  PoolAllocator(const PoolAllocator&) = delete;
  PoolAllocator& operator=(const PoolAllocator&) = delete;

  // Marks and returns the first free pool offset at or after the cursor (wrapping around once),
  // and moves the cursor just past it. Returns nullopt when every pool offset is in use.
  std::optional<uint64_t> Allocate();

  // Marks `offset` used, e.g. for a fixed IP requested by the caller. It may lie outside the
  // pools (but must be inside the universe). Returns false if it was already used. The cursor
  // does not move.
  bool Reserve(uint64_t offset);

  // Frees `offset`. Returns false if it was not in use.
  bool Release(uint64_t offset);

  // Preconditions for Reserve, Release and IsUsed: offset < 2^universe_bits, checked by assert()
  // as in OffsetSet.
  bool IsUsed(uint64_t offset) const;

  // Offsets in use, inside or outside the pools.
  uint64_t used() const { return used_.size(); }

  // Total number of offsets in the pools; up to 2^64, hence 128 bits.
  absl::uint128 capacity() const { return capacity_; }

  // Approximate heap bytes held (see OffsetSet::MemoryBytes).
  size_t MemoryBytes() const;

 private:
  // A pool with the number of its offsets in use, so that Allocate() can skip a full pool
  // without searching it.
  struct PoolState {
    uint64_t first;
    uint64_t last;
    uint64_t used = 0;
  };

  PoolAllocator(int universe_bits, std::vector<PoolState> pools, absl::uint128 capacity);

  static bool IsFull(const PoolState& pool);
  // The pool holding `offset`, or nullptr when it lies between or outside the pools.
  PoolState* FindPool(uint64_t offset);
  // Moves the cursor to just past `offset`, which lies in pools_[pool].
  void AdvanceCursor(size_t pool, uint64_t offset);

  OffsetSet used_;
  std::vector<PoolState> pools_;  // sorted, disjoint, non-empty
  absl::uint128 capacity_;
  // The next offset to try; always inside pools_[cursor_pool_].
  size_t cursor_pool_ = 0;
  uint64_t cursor_;
};

}  // namespace plasmanet::ipam
