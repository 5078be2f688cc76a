#include "common/uuid.h"

#include <set>

#include <absl/random/random.h>
#include <gtest/gtest.h>

namespace plasmanet {
namespace {

TEST(UuidTest, GeneratedIdsAreCanonicalVersion4AndDistinct) {
  absl::BitGen gen;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = GenerateUuid(gen);
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
    EXPECT_TRUE(seen.insert(id).second) << "duplicate " << id;
  }
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
