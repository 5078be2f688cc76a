#include "model/meta.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::model {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::IsOk;

TEST(MetaTest, AcceptsLimitsExactly) {
  EXPECT_THAT(ValidateNameAndLabels("x", std::string(255, 'n'),
                                    {{std::string(63, 'k'), std::string(255, 'v')}}),
              IsOk());
  EXPECT_THAT(ValidateNameAndLabels("x", "", {}), IsOk());
  EXPECT_THAT(ValidateNameAndLabels("x", "ünïcode name", {{"team/app.v-1_2", ""}}), IsOk());
}

TEST(MetaTest, RefusesOversizedLabelParts) {
  EXPECT_THAT(
      ValidateNameAndLabels("x", "", {{std::string(64, 'k'), ""}}),
      HasFieldError(absl::StatusCode::kInvalidArgument, "x.labels[" + std::string(64, 'k') + "]"));
  EXPECT_THAT(ValidateNameAndLabels("x", "", {{"k", std::string(256, 'v')}}),
              HasFieldError(absl::StatusCode::kInvalidArgument, "x.labels[k]"));
  EXPECT_THAT(ValidateNameAndLabels("x", "", {{"k", "tab\there"}}),
              HasFieldError(absl::StatusCode::kInvalidArgument, "x.labels[k]"));
}

TEST(MetaTest, ScopeIds) {
  EXPECT_TRUE(IsValidScopeId("acme-corp.eu_1"));
  EXPECT_FALSE(IsValidScopeId(""));
  EXPECT_FALSE(IsValidScopeId("a/b"));
  EXPECT_FALSE(IsValidScopeId(std::string(65, 'a')));
}

}  // namespace
}  // namespace plasmanet::model
