// OffsetSet: the set of used offsets of one subnet, where offset = address - network address.
//
// It is a sparse 64-ary bitset tree over the universe [0, 2^bits), 1 <= bits <= 64. Leaves are
// 64-bit words; an internal node records which children are completely set in a `full` mask and
// stores only the children that are partly set. A subtree that fills up is freed and kept as one
// bit in its parent, and one that empties is freed too, so memory follows the fragmentation of
// the set rather than its size: a fully used /8 costs one node, and an IPv6 /64 with a few ports
// costs about 600 bytes per port.
//
//   OffsetSet used(/*bits=*/8);               // a /24: offsets 0..255
//   used.Insert(0);                           // network address
//   used.Insert(1);                           // gateway
//   std::optional<uint64_t> free = used.FindFirstAbsent(2, 254);  // -> 2
//
// Cost: Insert, Erase and Contains walk one path, O(depth) with depth = ceil(bits / 6) levels
// (two when bits <= 6). FindFirstAbsent skips full subtrees by their masks: O(depth * 64) at
// worst, however many offsets are used.
//
// Thread safety: none. The owner (one allocator per subnet) serializes all calls; const methods
// may run concurrently with each other only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

namespace plasmanet::ipam {

class OffsetSet {
 public:
  // `bits` must be in [1, 64]. The set starts empty.
  explicit OffsetSet(int bits);
  ~OffsetSet();

  // Movable, so that allocators can be returned by value; a moved-from set may only be assigned
  // to or destroyed. Not copyable: a copy of a large tree should be a deliberate operation.
  OffsetSet(OffsetSet&& other) noexcept;
  OffsetSet& operator=(OffsetSet&& other) noexcept;
  OffsetSet(const OffsetSet&) = delete;
  OffsetSet& operator=(const OffsetSet&) = delete;

  // Preconditions for all methods below: every offset is < 2^bits(), and from <= to. Callers
  // check user input before it gets here, so a violation is a programming error: it fails an
  // assert() in debug builds and gives an unspecified (but memory-safe) result otherwise.

  // Adds x. Returns false, changing nothing, if x was already present.
  bool Insert(uint64_t x);

  // Removes x. Returns false, changing nothing, if x was absent.
  bool Erase(uint64_t x);

  bool Contains(uint64_t x) const;

  // The smallest x with from <= x <= to (both inclusive) that is absent, or nullopt when the
  // whole range is present.
  std::optional<uint64_t> FindFirstAbsent(uint64_t from, uint64_t to) const;

  // Number of offsets present.
  uint64_t size() const { return size_; }

  // Approximate heap bytes held by the tree (nodes and their child arrays, not allocator
  // overhead). Meant for benchmarks and capacity estimates, not for exact accounting.
  size_t MemoryBytes() const;

  int bits() const { return bits_; }

 private:
  struct Node;

  bool InRange(uint64_t x) const { return x <= max_offset_; }

  int bits_;
  uint64_t max_offset_;  // 2^bits - 1
  // Shift of the root's child index: the root's children each span 2^root_shift_ offsets.
  int root_shift_;
  uint64_t size_ = 0;
  // Always non-null except in a moved-from set. The root is never freed, even when full or
  // empty, so that the methods need no special case for it.
  std::unique_ptr<Node> root_;
};

}  // namespace plasmanet::ipam
