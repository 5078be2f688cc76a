#include "common/mac_address.h"

#include <absl/random/distributions.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

namespace plasmanet {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<MacAddress> MacAddress::Parse(absl::string_view text) {
  // "aa:bb:cc:dd:ee:ff": 6 pairs of hex digits with a separator after each of the first five.
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a MAC address"));
  };
  if (text.size() != 17) {
    return bad();
  }
  const char separator = text[2];
  if (separator != ':' && separator != '-') {
    return bad();
  }
  uint64_t value = 0;
  for (int octet = 0; octet < 6; ++octet) {
    const size_t at = octet * 3;
    if (octet < 5 && text[at + 2] != separator) {
      return bad();
    }
    const int high = HexDigit(text[at]);
    const int low = HexDigit(text[at + 1]);
    if (high < 0 || low < 0) {
      return bad();
    }
    value = (value << 8) | static_cast<uint64_t>(high << 4 | low);
  }
  return MacAddress(value);
}

MacAddress MacAddress::GenerateLocal(absl::BitGenRef gen) {
  uint64_t value = absl::Uniform<uint64_t>(gen) & 0xffff'ffff'ffffULL;
  value &= ~(uint64_t{0x01} << 40);  // unicast
  value |= uint64_t{0x02} << 40;     // locally administered
  return MacAddress(value);
}

std::string MacAddress::ToString() const {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", (value_ >> 40) & 0xff,
                         (value_ >> 32) & 0xff, (value_ >> 24) & 0xff, (value_ >> 16) & 0xff,
                         (value_ >> 8) & 0xff, value_ & 0xff);
}

}  // namespace plasmanet
