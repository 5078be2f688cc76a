// IpPrefix: a CIDR block ("10.0.0.0/16", "fd00::/48") whose host bits are zero.
//
//   absl::StatusOr<IpPrefix> p = IpPrefix::Parse("10.0.0.0/24");
//   p->Contains(*IpAddress::Parse("10.0.0.9"));   // true
//   p->AddressAt(5).ToString();                   // "10.0.0.5"
//
// Offsets (AddressAt/OffsetOf) count addresses from the network address and are limited to
// 64 bits, which covers every subnet PlasmaNET accepts (IPv6 subnets are /64 or longer).
// Immutable and therefore thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "common/ip_address.h"

namespace plasmanet {

class IpPrefix {
 public:
  // Parses "ADDRESS/LENGTH". Refuses host bits set (naming the network the caller probably
  // meant), a missing or out-of-range length, and malformed addresses.
  static absl::StatusOr<IpPrefix> Parse(absl::string_view text);

  // Precondition: `length` fits the family and the host bits of `network` are zero.
  IpPrefix(IpAddress network, int length) : network_(network), length_(length) {}
  IpPrefix() = default;

  const IpAddress& network() const { return network_; }
  int length() const { return length_; }
  IpFamily family() const { return network_.family(); }
  int host_bits() const { return network_.bit_width() - length_; }

  // Last address of the block (the IPv4 broadcast address).
  IpAddress last() const;

  bool Contains(const IpAddress& address) const;
  bool Contains(const IpPrefix& other) const;
  bool Overlaps(const IpPrefix& other) const;

  // The address `offset` places after the network address. Precondition: offset < size.
  IpAddress AddressAt(uint64_t offset) const;
  // Inverse of AddressAt. Precondition: Contains(address) and host_bits() <= 64.
  uint64_t OffsetOf(const IpAddress& address) const;

  std::string ToString() const;

  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;

 private:
  absl::uint128 HostMask() const;

  IpAddress network_;
  int length_ = 0;
};

}  // namespace plasmanet
