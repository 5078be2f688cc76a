#include "common/ip_prefix.h"

#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

namespace plasmanet {

absl::StatusOr<IpPrefix> IpPrefix::Parse(absl::string_view text) {
  const size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not in CIDR notation (ADDRESS/LENGTH)"));
  }
  absl::StatusOr<IpAddress> address = IpAddress::Parse(text.substr(0, slash));
  if (!address.ok()) {
    return address.status();
  }
  int length = -1;
  absl::string_view length_text = text.substr(slash + 1);
  if (length_text.empty() || length_text.size() > 3 || !absl::SimpleAtoi(length_text, &length) ||
      length < 0 || length > address->bit_width()) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' has an invalid prefix length; ",
                                                   IpFamilyName(address->family()), " allows 0 to ",
                                                   address->bit_width()));
  }
  IpPrefix prefix(*address, length);
  const absl::uint128 host = address->value() & prefix.HostMask();
  if (host != 0) {
    IpAddress network =
        address->is_v4()
            ? IpAddress::V4(static_cast<uint32_t>(address->value() & ~prefix.HostMask()))
            : IpAddress::V6(address->value() & ~prefix.HostMask());
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' has host bits set; the network is ", IpPrefix(network, length).ToString()));
  }
  return prefix;
}

absl::uint128 IpPrefix::HostMask() const {
  const int bits = host_bits();
  if (bits == 0) {
    return 0;
  }
  if (bits >= 128) {
    return ~absl::uint128(0);
  }
  return (absl::uint128(1) << bits) - 1;
}

IpAddress IpPrefix::last() const {
  const absl::uint128 value = network_.value() | HostMask();
  return network_.is_v4() ? IpAddress::V4(static_cast<uint32_t>(value)) : IpAddress::V6(value);
}

bool IpPrefix::Contains(const IpAddress& address) const {
  return address.family() == family() && (address.value() & ~HostMask()) == network_.value();
}

bool IpPrefix::Contains(const IpPrefix& other) const {
  return other.family() == family() && other.length_ >= length_ && Contains(other.network_);
}

bool IpPrefix::Overlaps(const IpPrefix& other) const {
  return Contains(other) || other.Contains(*this);
}

IpAddress IpPrefix::AddressAt(uint64_t offset) const {
  const absl::uint128 value = network_.value() + offset;
  return network_.is_v4() ? IpAddress::V4(static_cast<uint32_t>(value)) : IpAddress::V6(value);
}

uint64_t IpPrefix::OffsetOf(const IpAddress& address) const {
  return absl::Uint128Low64(address.value() - network_.value());
}

std::string IpPrefix::ToString() const { return absl::StrCat(network_.ToString(), "/", length_); }

}  // namespace plasmanet
