#include "common/errors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace plasmanet {
namespace {

using ::testing::Optional;

TEST(ErrorsTest, InvalidFieldNamesFieldInMessageAndPayload) {
  absl::Status status = InvalidField("vpc.cidr_blocks[0]", "host bits are set");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "vpc.cidr_blocks[0]: host bits are set");
  EXPECT_THAT(ErrorField(status), Optional(std::string("vpc.cidr_blocks[0]")));
}

TEST(ErrorsTest, AnnotateKeepsCodeAndField) {
  absl::Status status = Annotate(InvalidField("port.mac", "bad"), "while creating port p-1");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "while creating port p-1: port.mac: bad");
  EXPECT_THAT(ErrorField(status), Optional(std::string("port.mac")));
}

TEST(ErrorsTest, AnnotateLeavesOkAlone) {
  EXPECT_TRUE(Annotate(absl::OkStatus(), "context").ok());
  EXPECT_EQ(ErrorField(absl::NotFoundError("x")), std::nullopt);
}

}  // namespace
}  // namespace plasmanet
