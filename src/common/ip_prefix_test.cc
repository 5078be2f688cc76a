#include "common/ip_prefix.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace plasmanet {
namespace {

using ::testing::HasSubstr;

IpPrefix P(const char* text) { return *IpPrefix::Parse(text); }
IpAddress A(const char* text) { return *IpAddress::Parse(text); }

TEST(IpPrefixTest, ParsesAndPrintsBothFamilies) {
  EXPECT_EQ(P("10.0.0.0/16").ToString(), "10.0.0.0/16");
  EXPECT_EQ(P("fd00:1::/64").ToString(), "fd00:1::/64");
  EXPECT_EQ(P("0.0.0.0/0").host_bits(), 32);
  EXPECT_EQ(P("fd00::/64").host_bits(), 64);
}

TEST(IpPrefixTest, HostBitsSetNamesTheNetwork) {
  absl::StatusOr<IpPrefix> parsed = IpPrefix::Parse("10.0.0.1/24");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr("the network is 10.0.0.0/24"));
  EXPECT_THAT(IpPrefix::Parse("fd00::1/64").status().message(), HasSubstr("fd00::/64"));
}

TEST(IpPrefixTest, RejectsBadLengthsAndForms) {
  for (const char* text : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x",
                           "fd00::/129", "x/8", "10.0.0.0/0008"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(IpPrefix::Parse(text).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(IpPrefixTest, ContainmentAndOverlap) {
  EXPECT_TRUE(P("10.0.0.0/16").Contains(A("10.0.255.255")));
  EXPECT_FALSE(P("10.0.0.0/16").Contains(A("10.1.0.0")));
  EXPECT_FALSE(P("10.0.0.0/16").Contains(A("::a00:0")));  // other family
  EXPECT_TRUE(P("10.0.0.0/16").Contains(P("10.0.4.0/24")));
  EXPECT_FALSE(P("10.0.4.0/24").Contains(P("10.0.0.0/16")));
  EXPECT_TRUE(P("10.0.4.0/24").Overlaps(P("10.0.0.0/16")));
  EXPECT_FALSE(P("10.0.4.0/24").Overlaps(P("10.0.5.0/24")));
  EXPECT_TRUE(P("0.0.0.0/0").Contains(A("1.2.3.4")));
}

TEST(IpPrefixTest, OffsetsMapToAddressesAndBack) {
  IpPrefix v4 = P("10.0.0.0/8");
  EXPECT_EQ(v4.AddressAt(0x010203).ToString(), "10.1.2.3");
  EXPECT_EQ(v4.OffsetOf(A("10.1.2.3")), 0x010203u);
  EXPECT_EQ(v4.last().ToString(), "10.255.255.255");
  IpPrefix v6 = P("fd00:0:0:1::/64");
  EXPECT_EQ(v6.AddressAt(~uint64_t{0}).ToString(), "fd00::1:ffff:ffff:ffff:ffff");
  EXPECT_EQ(v6.OffsetOf(A("fd00:0:0:1::5")), 5u);
  EXPECT_EQ(v6.last().ToString(), "fd00::1:ffff:ffff:ffff:ffff");
}

}  // namespace
}  // namespace plasmanet
