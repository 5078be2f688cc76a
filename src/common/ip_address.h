// IpAddress: an IPv4 or IPv6 address as a value type, ordered first by family then by value.
//
//   absl::StatusOr<IpAddress> a = IpAddress::Parse("10.0.0.7");
//   a->ToString();  // "10.0.0.7"
//
// Immutable and therefore thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include <absl/numeric/int128.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

namespace plasmanet {

enum class IpFamily : uint8_t { kV4 = 4, kV6 = 6 };

absl::string_view IpFamilyName(IpFamily family);  // "IPv4" / "IPv6"

class IpAddress {
 public:
  // Parses dotted-quad IPv4 or RFC 4291 IPv6 text. Errors are INVALID_ARGUMENT with a reason
  // that does not name a field; callers add the field.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);

  static IpAddress V4(uint32_t value) { return IpAddress(IpFamily::kV4, value); }
  static IpAddress V6(absl::uint128 value) { return IpAddress(IpFamily::kV6, value); }

  IpAddress() = default;  // 0.0.0.0

  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::kV4; }
  // Number of bits in an address of this family: 32 or 128.
  int bit_width() const { return is_v4() ? 32 : 128; }
  absl::uint128 value() const { return value_; }

  // Canonical text: dotted quad, or RFC 5952 compressed IPv6.
  std::string ToString() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend std::strong_ordering operator<=>(const IpAddress& a, const IpAddress& b) {
    if (a.family_ != b.family_) {
      return a.family_ <=> b.family_;
    }
    return a.value_ < b.value_   ? std::strong_ordering::less
           : a.value_ > b.value_ ? std::strong_ordering::greater
                                 : std::strong_ordering::equal;
  }

 private:
  IpAddress(IpFamily family, absl::uint128 value) : family_(family), value_(value) {}

  IpFamily family_ = IpFamily::kV4;
  absl::uint128 value_ = 0;
};

}  // namespace plasmanet
