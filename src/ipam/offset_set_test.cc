#include "ipam/offset_set.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace plasmanet::ipam {
namespace {

constexpr uint64_t kMax64 = ~uint64_t{0};

uint64_t MaxOffset(int bits) { return bits == 64 ? kMax64 : (uint64_t{1} << bits) - 1; }

TEST(OffsetSetTest, StartsEmpty) {
  OffsetSet set(24);
  EXPECT_EQ(set.bits(), 24);
  EXPECT_EQ(set.size(), 0u);
  EXPECT_FALSE(set.Contains(0));
  EXPECT_FALSE(set.Contains(MaxOffset(24)));
  EXPECT_EQ(set.FindFirstAbsent(0, MaxOffset(24)), 0u);
  EXPECT_EQ(set.FindFirstAbsent(MaxOffset(24), MaxOffset(24)), MaxOffset(24));
}

// Offsets at word and subtree edges, for universes that are smaller than a word, exactly one
// word, just over one word, a multiple of 6 bits, and the full 64 bits.
TEST(OffsetSetTest, InsertEraseContainsAtBoundaries) {
  for (int bits : {1, 6, 7, 24, 64}) {
    SCOPED_TRACE("bits=" + std::to_string(bits));
    const uint64_t max = MaxOffset(bits);
    std::set<uint64_t> edges;
    for (uint64_t x : {uint64_t{0}, uint64_t{63}, uint64_t{64}, uint64_t{4095}, uint64_t{4096}}) {
      if (x <= max) {
        edges.insert(x);
      }
    }
    edges.insert(max);

    OffsetSet set(bits);
    const size_t empty_bytes = set.MemoryBytes();
    for (uint64_t x : edges) {
      EXPECT_TRUE(set.Insert(x)) << x;
      EXPECT_FALSE(set.Insert(x)) << x;
    }
    EXPECT_EQ(set.size(), edges.size());
    for (uint64_t x : edges) {
      EXPECT_TRUE(set.Contains(x)) << x;
      // Neighbours that are not edges themselves stay absent.
      if (x > 0 && !edges.contains(x - 1)) {
        EXPECT_FALSE(set.Contains(x - 1)) << x - 1;
        EXPECT_EQ(set.FindFirstAbsent(x - 1, x), x - 1);
      }
      if (x < max && !edges.contains(x + 1)) {
        EXPECT_FALSE(set.Contains(x + 1)) << x + 1;
        EXPECT_EQ(set.FindFirstAbsent(x, x + 1), x + 1);
      }
      EXPECT_EQ(set.FindFirstAbsent(x, x), std::nullopt) << x;
    }
    for (uint64_t x : edges) {
      EXPECT_TRUE(set.Erase(x)) << x;
      EXPECT_FALSE(set.Erase(x)) << x;
      EXPECT_FALSE(set.Contains(x)) << x;
    }
    EXPECT_EQ(set.size(), 0u);
    EXPECT_EQ(set.MemoryBytes(), empty_bytes);
  }
}

TEST(OffsetSetTest, OneBitUniverse) {
  OffsetSet set(1);
  EXPECT_TRUE(set.Insert(1));
  EXPECT_EQ(set.FindFirstAbsent(0, 1), 0u);
  EXPECT_EQ(set.FindFirstAbsent(1, 1), std::nullopt);
  EXPECT_TRUE(set.Insert(0));
  EXPECT_EQ(set.FindFirstAbsent(0, 1), std::nullopt);
  EXPECT_EQ(set.size(), 2u);
}

TEST(OffsetSetTest, FindFirstAbsentSkipsFullSubtrees) {
  OffsetSet set(24);
  // [0, 2^18) fills root child 0 completely; [2^18, 2^18 + 3 * 4096 + 10) fills three 4096
  // subtrees and part of a word below them.
  const uint64_t end = (uint64_t{1} << 18) + 3 * 4096 + 10;
  for (uint64_t x = 0; x < end; ++x) {
    ASSERT_TRUE(set.Insert(x));
  }
  EXPECT_EQ(set.size(), end);
  EXPECT_EQ(set.FindFirstAbsent(0, MaxOffset(24)), end);
  EXPECT_EQ(set.FindFirstAbsent(12345, MaxOffset(24)), end);
  EXPECT_EQ(set.FindFirstAbsent(0, end - 1), std::nullopt);
  EXPECT_EQ(set.FindFirstAbsent(end, end), end);
  EXPECT_EQ(set.FindFirstAbsent(end + 100, MaxOffset(24)), end + 100);
}

TEST(OffsetSetTest, FindFirstAbsentAtRangeEnds) {
  OffsetSet set(12);
  // Everything but the first and last offsets of the universe.
  for (uint64_t x = 1; x < 4095; ++x) {
    ASSERT_TRUE(set.Insert(x));
  }
  EXPECT_EQ(set.FindFirstAbsent(0, 4095), 0u);
  EXPECT_EQ(set.FindFirstAbsent(1, 4095), 4095u);
  EXPECT_EQ(set.FindFirstAbsent(1, 4094), std::nullopt);
  EXPECT_EQ(set.FindFirstAbsent(4095, 4095), 4095u);
  EXPECT_EQ(set.FindFirstAbsent(0, 0), 0u);
  EXPECT_EQ(set.FindFirstAbsent(63, 64), std::nullopt);  // across a word edge

  // A hole in the middle of a word, found from either side of it.
  ASSERT_TRUE(set.Erase(2000));
  EXPECT_EQ(set.FindFirstAbsent(1, 4094), 2000u);
  EXPECT_EQ(set.FindFirstAbsent(2000, 2000), 2000u);
  EXPECT_EQ(set.FindFirstAbsent(1, 1999), std::nullopt);
  EXPECT_EQ(set.FindFirstAbsent(2001, 4094), std::nullopt);
}

TEST(OffsetSetTest, FindFirstAbsentAtTopOf64BitUniverse) {
  OffsetSet set(64);
  const uint64_t low = kMax64 - 127;
  for (uint64_t x = low;; ++x) {
    ASSERT_TRUE(set.Insert(x));
    if (x == kMax64) {
      break;
    }
  }
  EXPECT_EQ(set.size(), 128u);
  EXPECT_TRUE(set.Contains(kMax64));
  EXPECT_EQ(set.FindFirstAbsent(low, kMax64), std::nullopt);
  EXPECT_EQ(set.FindFirstAbsent(kMax64, kMax64), std::nullopt);
  EXPECT_EQ(set.FindFirstAbsent(low - 1, kMax64), low - 1);
  EXPECT_EQ(set.FindFirstAbsent(0, kMax64), 0u);

  ASSERT_TRUE(set.Erase(kMax64));
  EXPECT_EQ(set.FindFirstAbsent(low, kMax64), kMax64);
}

TEST(OffsetSetTest, FullUniverseIsOneNode) {
  for (int bits : {6, 12}) {
    SCOPED_TRACE("bits=" + std::to_string(bits));
    OffsetSet set(bits);
    const size_t empty_bytes = set.MemoryBytes();
    for (uint64_t x = 0; x <= MaxOffset(bits); ++x) {
      ASSERT_TRUE(set.Insert(x));
    }
    EXPECT_EQ(set.size(), MaxOffset(bits) + 1);
    EXPECT_EQ(set.FindFirstAbsent(0, MaxOffset(bits)), std::nullopt);
    EXPECT_EQ(set.MemoryBytes(), empty_bytes);
  }
}

TEST(OffsetSetTest, FullSubtreesAreCollapsed) {
  OffsetSet set(18);
  const size_t empty_bytes = set.MemoryBytes();
  const uint64_t universe = uint64_t{1} << 18;
  for (uint64_t x = 0; x < universe; x += 2) {
    ASSERT_TRUE(set.Insert(x));
  }
  // Every word is half full: 4096 words below 64 nodes.
  const size_t half_bytes = set.MemoryBytes();
  EXPECT_GE(half_bytes, 4096 * sizeof(uint64_t));

  for (uint64_t x = 1; x < universe; x += 2) {
    ASSERT_TRUE(set.Insert(x));
  }
  EXPECT_EQ(set.size(), universe);
  // Fully set, the whole tree is the root's `full` mask.
  EXPECT_EQ(set.MemoryBytes(), empty_bytes);
  EXPECT_LT(set.MemoryBytes() * 100, half_bytes);
}

TEST(OffsetSetTest, ErasingFromFullSubtreeExpandsOnePath) {
  OffsetSet set(18);
  const size_t empty_bytes = set.MemoryBytes();
  const uint64_t universe = uint64_t{1} << 18;
  for (uint64_t x = 0; x < universe; ++x) {
    ASSERT_TRUE(set.Insert(x));
  }

  ASSERT_TRUE(set.Erase(12345));
  EXPECT_FALSE(set.Contains(12345));
  EXPECT_TRUE(set.Contains(12344));
  EXPECT_TRUE(set.Contains(12346));
  EXPECT_EQ(set.size(), universe - 1);
  EXPECT_EQ(set.FindFirstAbsent(0, universe - 1), 12345u);
  // Root, one node and one word: far below the 32 KiB of a flat bitmap.
  EXPECT_LT(set.MemoryBytes(), 1024u);

  ASSERT_TRUE(set.Insert(12345));
  EXPECT_EQ(set.MemoryBytes(), empty_bytes);
}

TEST(OffsetSetTest, EmptiedSubtreesAreFreed) {
  OffsetSet set(20);
  const size_t empty_bytes = set.MemoryBytes();
  std::mt19937_64 rng(7);
  std::vector<uint64_t> values;
  for (int i = 0; i < 20000; ++i) {
    const uint64_t x = rng() % (uint64_t{1} << 20);
    if (set.Insert(x)) {
      values.push_back(x);
    }
  }
  EXPECT_GT(set.MemoryBytes(), 100 * empty_bytes);
  for (uint64_t x : values) {
    ASSERT_TRUE(set.Erase(x));
  }
  EXPECT_EQ(set.size(), 0u);
  EXPECT_EQ(set.MemoryBytes(), empty_bytes);
  EXPECT_EQ(set.FindFirstAbsent(0, MaxOffset(20)), 0u);
}

TEST(OffsetSetTest, Sparse64BitSetStaysSmall) {
  OffsetSet set(64);
  const size_t empty_bytes = set.MemoryBytes();
  std::mt19937_64 rng(11);
  std::vector<uint64_t> values;
  for (int i = 0; i < 100; ++i) {
    values.push_back(rng());
    ASSERT_TRUE(set.Insert(values.back()));
  }
  // Each isolated offset costs a path of nine nodes and one word below the root (about 600
  // bytes), not anything proportional to the universe.
  EXPECT_LT(set.MemoryBytes(), 100 * 1024u);
  for (uint64_t x : values) {
    EXPECT_TRUE(set.Contains(x));
    EXPECT_EQ(set.FindFirstAbsent(x, kMax64), x == kMax64 ? std::nullopt : std::optional(x + 1));
    ASSERT_TRUE(set.Erase(x));
  }
  EXPECT_EQ(set.MemoryBytes(), empty_bytes);
}

TEST(OffsetSetTest, MoveTransfersContents) {
  OffsetSet set(16);
  ASSERT_TRUE(set.Insert(5));
  OffsetSet moved(std::move(set));
  EXPECT_TRUE(moved.Contains(5));
  EXPECT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved.bits(), 16);

  OffsetSet assigned(8);
  assigned = std::move(moved);
  EXPECT_TRUE(assigned.Contains(5));
  EXPECT_EQ(assigned.bits(), 16);
}

TEST(OffsetSetDeathTest, OffsetOutsideUniverseIsAProgrammingError) {
  OffsetSet set(8);
  // Release builds skip the assert; the call must still not touch memory it does not own.
  EXPECT_DEBUG_DEATH(set.Insert(256), "InRange");
  EXPECT_DEBUG_DEATH(set.FindFirstAbsent(10, 9), "from <= to");
}

// Differential test against std::set. Values come from a few narrow regions so that words and
// 4096-offset subtrees fill up, collapse and get split again; phases alternate between filling
// (inserts and allocator-style "insert the first absent") and draining.
struct Region {
  uint64_t start;
  uint64_t width;
};

std::optional<uint64_t> ReferenceFirstAbsent(const std::set<uint64_t>& ref, uint64_t from,
                                             uint64_t to) {
  uint64_t x = from;
  for (auto it = ref.lower_bound(from); it != ref.end() && *it == x; ++it) {
    if (x == to) {
      return std::nullopt;
    }
    ++x;
  }
  return x;
}

void RunDifferential(int bits, const std::vector<Region>& regions, uint64_t seed) {
  constexpr int kOps = 200'000;
  constexpr int kPhaseOps = 20'000;
  OffsetSet set(bits);
  const size_t empty_bytes = set.MemoryBytes();
  std::set<uint64_t> ref;
  std::mt19937_64 rng(seed);

  for (int op = 0; op < kOps; ++op) {
    const bool filling = (op / kPhaseOps) % 2 == 0;
    const Region& region = regions[rng() % regions.size()];
    const uint64_t region_last = region.start + (region.width - 1);
    const uint64_t x = region.start + rng() % region.width;
    const unsigned dice = rng() % 100;

    if (dice < (filling ? 35u : 10u)) {
      ASSERT_EQ(set.Insert(x), ref.insert(x).second) << "insert " << x;
    } else if (dice < (filling ? 80u : 20u)) {
      const std::optional<uint64_t> found = set.FindFirstAbsent(x, region_last);
      ASSERT_EQ(found, ReferenceFirstAbsent(ref, x, region_last)) << "allocate from " << x;
      if (found) {
        ASSERT_TRUE(set.Insert(*found));
        ref.insert(*found);
      }
    } else if (dice < (filling ? 85u : 75u)) {
      ASSERT_EQ(set.Erase(x), ref.erase(x) == 1) << "erase " << x;
    } else if (dice < 90) {
      ASSERT_EQ(set.Contains(x), ref.contains(x)) << "contains " << x;
    } else {
      // Some searches run to the end of the universe, past the region.
      const uint64_t to =
          dice < 95 ? x + std::min(rng() % region.width, region_last - x) : MaxOffset(bits);
      ASSERT_EQ(set.FindFirstAbsent(x, to), ReferenceFirstAbsent(ref, x, to))
          << "find " << x << ".." << to;
    }
    ASSERT_EQ(set.size(), ref.size());
  }

  for (uint64_t x : ref) {
    ASSERT_TRUE(set.Contains(x)) << x;
  }
  for (uint64_t x : ref) {
    ASSERT_TRUE(set.Erase(x)) << x;
  }
  EXPECT_EQ(set.size(), 0u);
  EXPECT_EQ(set.MemoryBytes(), empty_bytes);
}

TEST(OffsetSetTest, MatchesStdSetOn20BitUniverse) {
  const uint64_t half = uint64_t{1} << 19;
  RunDifferential(20, {{0, 5000}, {half - 2500, 5000}, {MaxOffset(20) - 4999, 5000}}, 1);
}

TEST(OffsetSetTest, MatchesStdSetOn13BitUniverse) {
  // The whole universe is one region, so the root itself fills up; 13 bits leaves the root
  // with only two of its 64 children inside the universe.
  RunDifferential(13, {{0, uint64_t{1} << 13}}, 2);
}

TEST(OffsetSetTest, MatchesStdSetOn64BitUniverse) {
  const uint64_t two_32 = uint64_t{1} << 32;
  const uint64_t two_63 = uint64_t{1} << 63;
  RunDifferential(
      64, {{0, 5000}, {two_32 - 2500, 5000}, {two_63 - 2500, 5000}, {kMax64 - 4999, 5000}}, 3);
}

}  // namespace
}  // namespace plasmanet::ipam
