#include "common/uuid.h"

#include <set>

#include <absl/random/random.h>
#include <gtest/gtest.h>

namespace plasmanet {
namespace {

const absl::Time kNoon = absl::FromUnixMillis(1'796'400'000'123);

TEST(UuidTest, GeneratedIdsAreCanonicalVersion7AndDistinct) {
  absl::BitGen gen;
  UuidV7Sequence sequence;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = sequence.Next(kNoon + absl::Milliseconds(i / 10), gen);
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '7') << id;
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
    EXPECT_TRUE(seen.insert(id).second) << "duplicate " << id;
  }
}

TEST(UuidTest, IdsStartWithTheirMillisecond) {
  absl::BitGen gen;
  UuidV7Sequence sequence;
  // 1,796,400,000,123 ms is 0x01a2_41c8_ac7b.
  EXPECT_EQ(sequence.Next(kNoon, gen).substr(0, 13), "01a241c8-ac7b");
}

TEST(UuidTest, LaterIdsSortLaterEvenWhenTheClockStandsStillOrStepsBack) {
  absl::BitGen gen;
  UuidV7Sequence sequence;
  std::string previous = sequence.Next(kNoon, gen);
  // 10,000 ids in one millisecond overflow the 12-bit sequence twice; then the clock steps
  // back a second, as after an NTP correction.
  for (int i = 0; i < 12'000; ++i) {
    const absl::Time now = i < 10'000 ? kNoon : kNoon - absl::Seconds(1);
    std::string id = sequence.Next(now, gen);
    ASSERT_LT(previous, id) << "after " << i << " ids";
    previous = std::move(id);
  }
  // Once the clock passes the borrowed milliseconds, ids take its time again.
  EXPECT_EQ(sequence.Next(kNoon + absl::Seconds(1), gen).substr(0, 13), "01a241c8-b063");
}

TEST(UuidTest, RejectsMalformedIds) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400"));   // one short
  EXPECT_FALSE(IsUuid("123e4567xe89b-12d3-a456-426614174000"));  // bad separator
  EXPECT_FALSE(IsUuid("123e4567-e89b-12d3-a456-42661417400g"));  // bad digit
  EXPECT_TRUE(IsUuid("123E4567-E89B-12D3-A456-426614174000"));
}

}  // namespace
}  // namespace plasmanet
