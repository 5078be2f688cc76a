#include "ipam/pool_allocator.h"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <absl/numeric/int128.h>
#include <absl/status/status.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace plasmanet::ipam {
namespace {

using ::testing::HasSubstr;
using Pool = PoolAllocator::Pool;

constexpr uint64_t kMax64 = ~uint64_t{0};

// Creates an allocator that the test expects to be valid.
PoolAllocator MustCreate(int universe_bits, std::vector<Pool> pools) {
  absl::StatusOr<PoolAllocator> alloc = PoolAllocator::Create(universe_bits, std::move(pools));
  EXPECT_TRUE(alloc.ok()) << alloc.status();
  return std::move(alloc).value();
}

// Allocates until exhaustion and returns the offsets in order.
std::vector<uint64_t> AllocateAll(PoolAllocator& alloc) {
  std::vector<uint64_t> out;
  while (std::optional<uint64_t> offset = alloc.Allocate()) {
    out.push_back(*offset);
  }
  return out;
}

void ExpectInvalid(int universe_bits, std::vector<Pool> pools, const std::string& message) {
  absl::StatusOr<PoolAllocator> alloc = PoolAllocator::Create(universe_bits, std::move(pools));
  ASSERT_FALSE(alloc.ok());
  EXPECT_EQ(alloc.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(alloc.status().message()), HasSubstr(message));
}

TEST(PoolAllocatorTest, AllocatesSequentially) {
  PoolAllocator alloc = MustCreate(4, {{.first = 2, .last = 6}});
  EXPECT_EQ(alloc.capacity(), 5);
  EXPECT_EQ(AllocateAll(alloc), (std::vector<uint64_t>{2, 3, 4, 5, 6}));
  EXPECT_EQ(alloc.used(), 5u);
  EXPECT_TRUE(alloc.IsUsed(4));
  EXPECT_FALSE(alloc.IsUsed(1));
}

TEST(PoolAllocatorTest, SkipsReservedOffsets) {
  PoolAllocator alloc = MustCreate(4, {{.first = 2, .last = 6}});
  EXPECT_TRUE(alloc.Reserve(3));
  EXPECT_TRUE(alloc.Reserve(5));
  EXPECT_FALSE(alloc.Reserve(5));
  EXPECT_EQ(AllocateAll(alloc), (std::vector<uint64_t>{2, 4, 6}));
  EXPECT_EQ(alloc.used(), 5u);
}

TEST(PoolAllocatorTest, SkipsGapsBetweenPoolsGivenInAnyOrder) {
  PoolAllocator alloc = MustCreate(
      8, {{.first = 200, .last = 200}, {.first = 10, .last = 11}, {.first = 2, .last = 3}});
  EXPECT_EQ(alloc.capacity(), 5);
  EXPECT_EQ(AllocateAll(alloc), (std::vector<uint64_t>{2, 3, 10, 11, 200}));
}

TEST(PoolAllocatorTest, SkipsFullyReservedPool) {
  PoolAllocator alloc = MustCreate(8, {{.first = 2, .last = 3}, {.first = 10, .last = 11}});
  EXPECT_TRUE(alloc.Reserve(2));
  EXPECT_TRUE(alloc.Reserve(3));
  EXPECT_EQ(alloc.Allocate(), 10u);
  EXPECT_TRUE(alloc.Release(3));
  EXPECT_EQ(alloc.Allocate(), 11u);
  EXPECT_EQ(alloc.Allocate(), 3u);
  EXPECT_EQ(alloc.Allocate(), std::nullopt);
}

TEST(PoolAllocatorTest, ReleasedAddressIsReusedLast) {
  PoolAllocator alloc = MustCreate(4, {{.first = 2, .last = 9}});
  EXPECT_EQ(alloc.Allocate(), 2u);
  EXPECT_EQ(alloc.Allocate(), 3u);
  EXPECT_EQ(alloc.Allocate(), 4u);
  EXPECT_TRUE(alloc.Release(3));
  // 3 is free again, but every never-used offset comes first.
  EXPECT_EQ(AllocateAll(alloc), (std::vector<uint64_t>{5, 6, 7, 8, 9, 3}));
}

TEST(PoolAllocatorTest, WrapsAroundAfterRelease) {
  PoolAllocator alloc = MustCreate(8, {{.first = 2, .last = 4}, {.first = 10, .last = 12}});
  EXPECT_EQ(AllocateAll(alloc), (std::vector<uint64_t>{2, 3, 4, 10, 11, 12}));
  EXPECT_TRUE(alloc.Release(11));
  EXPECT_TRUE(alloc.Release(3));
  // The cursor went past the end of the last pool, so the search restarts at the first one.
  EXPECT_EQ(alloc.Allocate(), 3u);
  EXPECT_TRUE(alloc.Release(2));
  EXPECT_EQ(alloc.Allocate(), 11u);
  EXPECT_EQ(alloc.Allocate(), 2u);
  EXPECT_EQ(alloc.Allocate(), std::nullopt);
}

TEST(PoolAllocatorTest, WrapsAroundWithinTheCursorPool) {
  PoolAllocator alloc = MustCreate(4, {{.first = 2, .last = 9}});
  EXPECT_EQ(alloc.Allocate(), 2u);
  EXPECT_EQ(alloc.Allocate(), 3u);
  EXPECT_TRUE(alloc.Reserve(4));
  for (uint64_t x = 5; x <= 9; ++x) {
    EXPECT_TRUE(alloc.Reserve(x));
  }
  EXPECT_TRUE(alloc.Release(2));
  // Everything from the cursor (4) to the end is used; the search wraps to the start.
  EXPECT_EQ(alloc.Allocate(), 2u);
  EXPECT_EQ(alloc.Allocate(), std::nullopt);
}

TEST(PoolAllocatorTest, ExhaustedUntilSomethingIsReleased) {
  PoolAllocator alloc = MustCreate(2, {{.first = 1, .last = 2}});
  EXPECT_EQ(alloc.Allocate(), 1u);
  EXPECT_EQ(alloc.Allocate(), 2u);
  EXPECT_EQ(alloc.Allocate(), std::nullopt);
  EXPECT_EQ(alloc.Allocate(), std::nullopt);

  EXPECT_TRUE(alloc.Release(1));
  EXPECT_FALSE(alloc.Release(1));
  EXPECT_EQ(alloc.used(), 1u);
  EXPECT_EQ(alloc.Allocate(), 1u);
  EXPECT_EQ(alloc.Allocate(), std::nullopt);
}

TEST(PoolAllocatorTest, ReserveOutsidePoolsDoesNotAffectAllocation) {
  PoolAllocator alloc = MustCreate(8, {{.first = 2, .last = 4}});
  EXPECT_TRUE(alloc.Reserve(0));    // network address
  EXPECT_TRUE(alloc.Reserve(255));  // broadcast
  EXPECT_TRUE(alloc.Reserve(100));  // fixed IP outside the pool
  EXPECT_FALSE(alloc.Reserve(100));
  EXPECT_TRUE(alloc.IsUsed(100));
  EXPECT_EQ(alloc.used(), 3u);

  EXPECT_EQ(AllocateAll(alloc), (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(alloc.used(), 6u);
  EXPECT_TRUE(alloc.Release(100));
  EXPECT_FALSE(alloc.IsUsed(100));
  EXPECT_EQ(alloc.Allocate(), std::nullopt);
}

TEST(PoolAllocatorTest, ReleaseOfUnusedOffsetReturnsFalse) {
  PoolAllocator alloc = MustCreate(8, {{.first = 2, .last = 4}});
  EXPECT_FALSE(alloc.Release(3));
  EXPECT_FALSE(alloc.Release(200));
  EXPECT_EQ(alloc.used(), 0u);
  EXPECT_EQ(alloc.Allocate(), 2u);
}

TEST(PoolAllocatorTest, CreateRejectsInvalidPools) {
  ExpectInvalid(8, {}, "no allocation pools");
  ExpectInvalid(8, {{.first = 5, .last = 4}}, "pool [5, 4]: first offset is after last offset");
  ExpectInvalid(8, {{.first = 2, .last = 256}},
                "pool [2, 256] reaches past the last offset 255 of a 8-bit universe");
  ExpectInvalid(8, {{.first = 10, .last = 20}, {.first = 2, .last = 10}},
                "pool [2, 10] overlaps pool [10, 20]");
  ExpectInvalid(8, {{.first = 2, .last = 30}, {.first = 10, .last = 20}},
                "pool [2, 30] overlaps pool [10, 20]");
  ExpectInvalid(0, {{.first = 0, .last = 0}}, "universe_bits is 0; must be in [1, 64]");
  ExpectInvalid(65, {{.first = 0, .last = 0}}, "universe_bits is 65; must be in [1, 64]");
}

TEST(PoolAllocatorTest, AdjacentPoolsAreValid) {
  PoolAllocator alloc = MustCreate(8, {{.first = 5, .last = 6}, {.first = 2, .last = 4}});
  EXPECT_EQ(alloc.capacity(), 5);
  EXPECT_EQ(AllocateAll(alloc), (std::vector<uint64_t>{2, 3, 4, 5, 6}));
}

TEST(PoolAllocatorTest, CapacityOfA64BitPool) {
  PoolAllocator whole = MustCreate(64, {{.first = 0, .last = kMax64}});
  EXPECT_EQ(whole.capacity(), absl::uint128(1) << 64);
  EXPECT_EQ(whole.Allocate(), 0u);
  EXPECT_EQ(whole.Allocate(), 1u);

  PoolAllocator usual = MustCreate(64, {{.first = 2, .last = kMax64 - 1}});
  EXPECT_EQ(usual.capacity(), (absl::uint128(1) << 64) - 3);
}

TEST(PoolAllocatorTest, AllocatesUpToTheLastOffsetOf64BitUniverse) {
  PoolAllocator alloc =
      MustCreate(64, {{.first = 2, .last = 3}, {.first = kMax64 - 1, .last = kMax64}});
  EXPECT_EQ(AllocateAll(alloc), (std::vector<uint64_t>{2, 3, kMax64 - 1, kMax64}));
  EXPECT_TRUE(alloc.Release(kMax64));
  EXPECT_TRUE(alloc.Release(2));
  EXPECT_EQ(alloc.Allocate(), 2u);
  EXPECT_EQ(alloc.Allocate(), kMax64);
  EXPECT_EQ(alloc.Allocate(), std::nullopt);
  // Only four offsets in use in a 2^64 universe: a few paths of nodes.
  EXPECT_LT(alloc.MemoryBytes(), 4096u);
}

TEST(PoolAllocatorTest, MoveKeepsStateAndCursor) {
  PoolAllocator alloc = MustCreate(4, {{.first = 2, .last = 9}});
  EXPECT_EQ(alloc.Allocate(), 2u);
  PoolAllocator moved = std::move(alloc);
  EXPECT_TRUE(moved.IsUsed(2));
  EXPECT_EQ(moved.used(), 1u);
  EXPECT_EQ(moved.Allocate(), 3u);
}

}  // namespace
}  // namespace plasmanet::ipam
