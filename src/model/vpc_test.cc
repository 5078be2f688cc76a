#include "model/vpc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::model {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(VpcTest, AcceptsDualStackBlocks) {
  absl::StatusOr<Vpc> vpc = BuildVpc({.name = "prod", .cidr_blocks = {"10.0.0.0/16", "fd00::/48"}});
  ASSERT_TRUE(vpc.ok()) << vpc.status();
  EXPECT_EQ(vpc->block(IpFamily::kV4)->ToString(), "10.0.0.0/16");
  EXPECT_EQ(vpc->block(IpFamily::kV6)->ToString(), "fd00::/48");
  EXPECT_EQ(vpc->meta.name, "prod");
}

TEST(VpcTest, RefusesBadBlocksNamingTheField) {
  struct Case {
    std::vector<std::string> blocks;
    std::string field;
    std::string reason;
  };
  const Case cases[] = {
      {{}, "vpc.cidr_blocks", "at least one"},
      {{"10.0.0.1/16"}, "vpc.cidr_blocks[0]", "host bits set; the network is 10.0.0.0/16"},
      {{"10.0.0.0/30"}, "vpc.cidr_blocks[0]", "from /8 to /29"},
      {{"10.0.0.0/7"}, "vpc.cidr_blocks[0]", "from /8 to /29"},
      {{"fd00::/65"}, "vpc.cidr_blocks[0]", "from /8 to /64"},
      {{"10.0.0.0/16", "10.1.0.0/16"}, "vpc.cidr_blocks[1]", "at most one IPv4"},
      {{"10.0.0.0/16", "fd00::/48", "fd01::/48"}, "vpc.cidr_blocks", "at most two"},
      {{"127.0.0.0/8"}, "vpc.cidr_blocks[0]", "reserved range 127.0.0.0/8"},
      {{"169.254.0.0/16"}, "vpc.cidr_blocks[0]", "reserved range"},
      {{"224.0.0.0/8"}, "vpc.cidr_blocks[0]", "reserved range 224.0.0.0/4"},
      {{"fe80::/16"}, "vpc.cidr_blocks[0]", "reserved range fe80::/10"},
      {{"banana"}, "vpc.cidr_blocks[0]", "CIDR notation"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field + " " + c.reason);
    absl::StatusOr<Vpc> vpc = BuildVpc({.cidr_blocks = c.blocks});
    EXPECT_THAT(vpc, HasFieldError(kInvalid, c.field));
    EXPECT_THAT(vpc, StatusIs(kInvalid, HasSubstr(c.reason)));
  }
}

TEST(VpcTest, RefusesLongNamesAndBadLabels) {
  EXPECT_THAT(BuildVpc({.name = std::string(256, 'a'), .cidr_blocks = {"10.0.0.0/16"}}),
              HasFieldError(kInvalid, "vpc.name"));
  EXPECT_THAT(BuildVpc({.name = "a\nb", .cidr_blocks = {"10.0.0.0/16"}}),
              HasFieldError(kInvalid, "vpc.name"));
  EXPECT_THAT(BuildVpc({.labels = {{"bad key", "v"}}, .cidr_blocks = {"10.0.0.0/16"}}),
              HasFieldError(kInvalid, "vpc.labels[bad key]"));
  EXPECT_THAT(BuildVpc({.labels = {{"", "v"}}, .cidr_blocks = {"10.0.0.0/16"}}),
              HasFieldError(kInvalid, "vpc.labels[]"));
  Labels many;
  for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = "v";
  EXPECT_THAT(BuildVpc({.labels = many, .cidr_blocks = {"10.0.0.0/16"}}),
              HasFieldError(kInvalid, "vpc.labels"));
}

}  // namespace
}  // namespace plasmanet::model
