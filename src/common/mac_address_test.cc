#include "common/mac_address.h"

#include <absl/random/random.h>
#include <gtest/gtest.h>

namespace plasmanet {
namespace {

TEST(MacAddressTest, ParsesColonAndDashFormsToCanonicalText) {
  EXPECT_EQ(MacAddress::Parse("FA:16:3E:0a:0b:0c")->ToString(), "fa:16:3e:0a:0b:0c");
  EXPECT_EQ(MacAddress::Parse("fa-16-3e-0a-0b-0c")->ToString(), "fa:16:3e:0a:0b:0c");
}

TEST(MacAddressTest, RejectsMalformedText) {
  for (const char* text : {"", "fa:16:3e:0a:0b", "fa:16:3e:0a:0b:0c:0d", "fa:16-3e:0a:0b:0c",
                           "fg:16:3e:0a:0b:0c", "fa1163e0a0b0c00"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(MacAddress::Parse(text).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(MacAddressTest, FlagsMulticastAndLocal) {
  EXPECT_TRUE(MacAddress::Parse("01:00:5e:00:00:01")->is_multicast());
  EXPECT_FALSE(MacAddress::Parse("00:00:5e:00:00:01")->is_multicast());
  EXPECT_TRUE(MacAddress::Parse("02:00:00:00:00:01")->is_locally_administered());
  EXPECT_TRUE(MacAddress::Parse("00:00:00:00:00:00")->is_zero());
}

TEST(MacAddressTest, GeneratedAddressesAreLocalUnicast) {
  absl::BitGen gen;
  for (int i = 0; i < 1000; ++i) {
    MacAddress mac = MacAddress::GenerateLocal(gen);
    ASSERT_FALSE(mac.is_multicast()) << mac.ToString();
    ASSERT_TRUE(mac.is_locally_administered()) << mac.ToString();
  }
}

}  // namespace
}  // namespace plasmanet
