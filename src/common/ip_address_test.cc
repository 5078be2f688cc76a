#include "common/ip_address.h"

#include <gtest/gtest.h>

namespace plasmanet {
namespace {

TEST(IpAddressTest, RoundTripsBothFamilies) {
  EXPECT_EQ(IpAddress::Parse("10.1.2.3")->ToString(), "10.1.2.3");
  EXPECT_EQ(IpAddress::Parse("10.1.2.3")->value(), 0x0a010203);
  EXPECT_EQ(IpAddress::Parse("FD00:0:0:0::1")->ToString(), "fd00::1");
  EXPECT_EQ(IpAddress::Parse("fd00::1")->family(), IpFamily::kV6);
  EXPECT_EQ(IpAddress::Parse("::ffff:1.2.3.4")->family(), IpFamily::kV6);
}

TEST(IpAddressTest, RejectsMalformedText) {
  for (const char* text : {"", "10.0.0", "10.0.0.256", "10.0.0.1/24", "fd00:::1", "hello",
                           " 10.0.0.1", "010.0.0.1x"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<IpAddress> parsed = IpAddress::Parse(text);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(IpAddressTest, OrdersByFamilyThenValue) {
  EXPECT_LT(*IpAddress::Parse("10.0.0.1"), *IpAddress::Parse("10.0.0.2"));
  EXPECT_LT(*IpAddress::Parse("255.255.255.255"), *IpAddress::Parse("::"));
}

}  // namespace
}  // namespace plasmanet
