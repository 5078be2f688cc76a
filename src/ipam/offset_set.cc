#include "ipam/offset_set.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <utility>
#include <vector>

namespace plasmanet::ipam {
namespace {

constexpr int kFanoutBits = 6;  // 64 children per node, one per bit of a uint64_t
constexpr uint64_t kAllSet = ~uint64_t{0};

// Bits lo..hi (inclusive, lo <= hi <= 63). Written as two shifts so that no shift is by 64.
uint64_t RangeMask(unsigned lo, unsigned hi) { return (kAllSet << lo) & (kAllSet >> (63 - hi)); }

// Position of child i among the stored children, which are packed in index order.
size_t Rank(uint64_t stored, unsigned i) {
  return static_cast<size_t>(std::popcount(stored & ((uint64_t{1} << i) - 1)));
}

// Packed child arrays shrink as they empty: under churn a node that once held 64 children
// should not keep their storage forever, and an emptied set must return to its initial size.
template <typename T>
void EraseAt(std::vector<T>& v, size_t pos) {
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(pos));
  if (v.empty()) {
    std::vector<T>().swap(v);
  } else if (v.size() * 4 <= v.capacity()) {
    v.shrink_to_fit();
  }
}

}  // namespace

// A node whose children each span 2^shift offsets (shift is not stored: the walk knows it).
// Each child is in exactly one state:
//   - clear: no bit in `full` or `partial`, no storage (lazily allocated);
//   - full: bit set in `full`, no storage (collapsed);
//   - partial: bit set in `partial`, storage at Rank(partial, i) in `words` (shift == 6, the
//     children are leaf words) or in `children` (shift > 6). One of the two vectors is unused;
//     keeping both avoids a variant on every step of the walk, at 24 bytes per node.
struct OffsetSet::Node {
  uint64_t full = 0;
  uint64_t partial = 0;
  std::vector<uint64_t> words;
  std::vector<std::unique_ptr<Node>> children;

  bool IsFull() const { return full == kAllSet; }
  bool IsEmpty() const { return (full | partial) == 0; }

  // The recursive halves of the public methods, for a node whose children span 2^shift.
  bool Insert(int shift, uint64_t x);
  bool Erase(int shift, uint64_t x);
  std::optional<uint64_t> FindAbsent(int shift, uint64_t base, uint64_t from, uint64_t to) const;
  size_t Bytes() const;
};

bool OffsetSet::Node::Insert(int shift, uint64_t x) {
  const unsigned i = (x >> shift) & 63;
  const uint64_t bit = uint64_t{1} << i;
  if (full & bit) {
    return false;
  }
  const size_t rank = Rank(partial, i);

  if (shift == kFanoutBits) {
    const uint64_t leaf_bit = uint64_t{1} << (x & 63);
    if (!(partial & bit)) {
      // A single bit never fills a 64-bit word, so the new leaf is partial.
      words.insert(words.begin() + static_cast<std::ptrdiff_t>(rank), leaf_bit);
      partial |= bit;
      return true;
    }
    uint64_t& word = words[rank];
    if (word & leaf_bit) {
      return false;
    }
    word |= leaf_bit;
    if (word == kAllSet) {
      EraseAt(words, rank);
      partial &= ~bit;
      full |= bit;
    }
    return true;
  }

  if (!(partial & bit)) {
    // A subtree of 4096 or more offsets cannot fill up from one insert, so it becomes partial.
    auto child = std::make_unique<Node>();
    child->Insert(shift - kFanoutBits, x);
    children.insert(children.begin() + static_cast<std::ptrdiff_t>(rank), std::move(child));
    partial |= bit;
    return true;
  }
  Node& child = *children[rank];
  if (!child.Insert(shift - kFanoutBits, x)) {
    return false;
  }
  if (child.IsFull()) {
    EraseAt(children, rank);
    partial &= ~bit;
    full |= bit;
  }
  return true;
}

bool OffsetSet::Node::Erase(int shift, uint64_t x) {
  const unsigned i = (x >> shift) & 63;
  const uint64_t bit = uint64_t{1} << i;
  if (!((full | partial) & bit)) {
    return false;
  }
  const size_t rank = Rank(partial, i);

  if (full & bit) {
    // Expand the collapsed child into explicit storage with everything set but x. Below the
    // bottom level this materializes one path of nodes, each full except toward x.
    full &= ~bit;
    partial |= bit;
    if (shift == kFanoutBits) {
      words.insert(words.begin() + static_cast<std::ptrdiff_t>(rank), ~(uint64_t{1} << (x & 63)));
    } else {
      auto child = std::make_unique<Node>();
      child->full = kAllSet;
      child->Erase(shift - kFanoutBits, x);
      children.insert(children.begin() + static_cast<std::ptrdiff_t>(rank), std::move(child));
    }
    return true;
  }

  if (shift == kFanoutBits) {
    uint64_t& word = words[rank];
    const uint64_t leaf_bit = uint64_t{1} << (x & 63);
    if (!(word & leaf_bit)) {
      return false;
    }
    word &= ~leaf_bit;
    if (word == 0) {
      EraseAt(words, rank);
      partial &= ~bit;
    }
    return true;
  }
  Node& child = *children[rank];
  if (!child.Erase(shift - kFanoutBits, x)) {
    return false;
  }
  if (child.IsEmpty()) {
    EraseAt(children, rank);
    partial &= ~bit;
  }
  return true;
}

// Smallest absent offset in [from, to] under this node, which starts at `base`; the range must
// lie within the node. Candidates come from the masks, so full children cost nothing. A child
// that is not full and lies wholly inside the range always holds an answer; only the children
// clipped by `from` or `to` can come back empty. So a search visits at most three nodes per
// level (those holding `from` and `to`, and the one that answers), never the used offsets.
std::optional<uint64_t> OffsetSet::Node::FindAbsent(int shift, uint64_t base, uint64_t from,
                                                    uint64_t to) const {
  const auto lo = static_cast<unsigned>((from - base) >> shift);
  const auto hi = static_cast<unsigned>((to - base) >> shift);
  uint64_t candidates = ~full & RangeMask(lo, hi);
  const uint64_t child_span_minus_1 = (uint64_t{1} << shift) - 1;

  for (; candidates != 0; candidates &= candidates - 1) {
    const auto i = static_cast<unsigned>(std::countr_zero(candidates));
    const uint64_t child_base = base + (uint64_t{i} << shift);
    const uint64_t child_from = std::max(from, child_base);
    if (!(partial & (uint64_t{1} << i))) {
      return child_from;  // a clear child: its first offset in range is absent
    }
    const uint64_t child_to = std::min(to, child_base + child_span_minus_1);
    const size_t rank = Rank(partial, i);
    if (shift == kFanoutBits) {
      const uint64_t absent =
          ~words[rank] & RangeMask(static_cast<unsigned>(child_from - child_base),
                                   static_cast<unsigned>(child_to - child_base));
      if (absent != 0) {
        return child_base + static_cast<uint64_t>(std::countr_zero(absent));
      }
    } else if (auto found = children[rank]->FindAbsent(shift - kFanoutBits, child_base, child_from,
                                                       child_to)) {
      return found;
    }
  }
  return std::nullopt;
}

size_t OffsetSet::Node::Bytes() const {
  size_t bytes = sizeof(Node) + words.capacity() * sizeof(uint64_t) +
                 children.capacity() * sizeof(std::unique_ptr<Node>);
  for (const auto& child : children) {
    bytes += child->Bytes();
  }
  return bytes;
}

OffsetSet::OffsetSet(int bits) : bits_(bits), root_(std::make_unique<Node>()) {
  assert(bits >= 1 && bits <= 64);
  // Clamped so that a bad `bits` in a release build cannot cause shifts by 64 or more.
  const int clamped = std::clamp(bits, 1, 64);
  max_offset_ = clamped == 64 ? kAllSet : (uint64_t{1} << clamped) - 1;
  // ceil(bits / 6) levels, the last being leaf words. A universe of at most 64 offsets would fit
  // in a single word; it gets a root node above that word anyway, so that every walk starts at
  // a node. The extra node is 64 bytes, paid only by such tiny universes.
  const int levels = std::max(2, (clamped + kFanoutBits - 1) / kFanoutBits);
  root_shift_ = (levels - 1) * kFanoutBits;
}

OffsetSet::~OffsetSet() = default;
OffsetSet::OffsetSet(OffsetSet&& other) noexcept = default;
OffsetSet& OffsetSet::operator=(OffsetSet&& other) noexcept = default;

bool OffsetSet::Insert(uint64_t x) {
  assert(InRange(x));
  if (!root_->Insert(root_shift_, x)) {
    return false;
  }
  ++size_;
  return true;
}

bool OffsetSet::Erase(uint64_t x) {
  assert(InRange(x));
  if (!root_->Erase(root_shift_, x)) {
    return false;
  }
  --size_;
  return true;
}

bool OffsetSet::Contains(uint64_t x) const {
  assert(InRange(x));
  const Node* node = root_.get();
  for (int shift = root_shift_;; shift -= kFanoutBits) {
    const unsigned i = (x >> shift) & 63;
    const uint64_t bit = uint64_t{1} << i;
    if (node->full & bit) {
      return true;
    }
    if (!(node->partial & bit)) {
      return false;
    }
    const size_t rank = Rank(node->partial, i);
    if (shift == kFanoutBits) {
      return (node->words[rank] >> (x & 63)) & 1;
    }
    node = node->children[rank].get();
  }
}

std::optional<uint64_t> OffsetSet::FindFirstAbsent(uint64_t from, uint64_t to) const {
  assert(from <= to);
  assert(InRange(to));
  // The same checks again for release builds: the walk shifts by amounts derived from `to`, and
  // a bad range must not turn into undefined behaviour.
  if (from > to || from > max_offset_) {
    return std::nullopt;
  }
  return root_->FindAbsent(root_shift_, 0, from, std::min(to, max_offset_));
}

size_t OffsetSet::MemoryBytes() const { return root_ ? root_->Bytes() : 0; }

}  // namespace plasmanet::ipam
