// MacAddress: a 48-bit Ethernet address as a value type.
//
//   absl::StatusOr<MacAddress> m = MacAddress::Parse("fa:16:3e:00:00:01");
//   MacAddress r = MacAddress::GenerateLocal(gen);  // random, locally administered, unicast
//
// Immutable and therefore thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include <absl/random/bit_gen_ref.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

namespace plasmanet {

class MacAddress {
 public:
  // Accepts six colon- or dash-separated hex octets. INVALID_ARGUMENT otherwise.
  static absl::StatusOr<MacAddress> Parse(absl::string_view text);
  // A random locally administered unicast address (first octet xxxxxx10). Locally administered
  // addresses cannot collide with a vendor's burnt-in addresses on a provider network.
  static MacAddress GenerateLocal(absl::BitGenRef gen);

  MacAddress() = default;
  explicit MacAddress(uint64_t value) : value_(value & 0xffff'ffff'ffffULL) {}

  uint64_t value() const { return value_; }
  bool is_multicast() const { return (value_ >> 40) & 0x01; }
  bool is_locally_administered() const { return (value_ >> 40) & 0x02; }
  bool is_zero() const { return value_ == 0; }

  // Lower-case "aa:bb:cc:dd:ee:ff", the form OVN expects.
  std::string ToString() const;

  friend bool operator==(const MacAddress&, const MacAddress&) = default;
  friend auto operator<=>(const MacAddress&, const MacAddress&) = default;

 private:
  uint64_t value_ = 0;
};

}  // namespace plasmanet
