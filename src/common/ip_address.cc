#include "common/ip_address.h"

#include <array>

#include <absl/strings/str_cat.h>
#include <arpa/inet.h>

namespace plasmanet {

absl::string_view IpFamilyName(IpFamily family) {
  return family == IpFamily::kV4 ? "IPv4" : "IPv6";
}

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short, so a copy is cheap.
  std::string copy(text);
  if (copy.find(':') == std::string::npos) {
    in_addr v4;
    if (copy.empty() || inet_pton(AF_INET, copy.c_str(), &v4) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not an IP address"));
    }
    return IpAddress::V4(ntohl(v4.s_addr));
  }
  std::array<uint8_t, 16> bytes;
  if (inet_pton(AF_INET6, copy.c_str(), bytes.data()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not an IP address"));
  }
  uint64_t high = 0;
  uint64_t low = 0;
  for (int i = 0; i < 8; ++i) {
    high = (high << 8) | bytes[i];
    low = (low << 8) | bytes[i + 8];
  }
  return IpAddress::V6(absl::MakeUint128(high, low));
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    in_addr v4;
    v4.s_addr = htonl(static_cast<uint32_t>(absl::Uint128Low64(value_)));
    return inet_ntop(AF_INET, &v4, buf, sizeof(buf));
  }
  std::array<uint8_t, 16> bytes;
  uint64_t high = absl::Uint128High64(value_);
  uint64_t low = absl::Uint128Low64(value_);
  for (int i = 7; i >= 0; --i) {
    bytes[i] = static_cast<uint8_t>(high);
    bytes[i + 8] = static_cast<uint8_t>(low);
    high >>= 8;
    low >>= 8;
  }
  return inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
}

}  // namespace plasmanet
