#include "model/address_parsing.h"

#include <string>

#include "common/errors.h"

namespace plasmanet::model {

absl::StatusOr<IpAddress> ParseIpField(absl::string_view field, absl::string_view text) {
  absl::StatusOr<IpAddress> address = IpAddress::Parse(text);
  if (!address.ok()) {
    return InvalidField(field, address.status().message());
  }
  return address;
}

absl::StatusOr<IpPrefix> ParsePrefixField(absl::string_view field, absl::string_view text) {
  absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(text);
  if (!prefix.ok()) {
    return InvalidField(field, prefix.status().message());
  }
  return prefix;
}

absl::StatusOr<MacAddress> ParseMacField(absl::string_view field, absl::string_view text) {
  absl::StatusOr<MacAddress> mac = MacAddress::Parse(text);
  if (!mac.ok()) {
    return InvalidField(field, mac.status().message());
  }
  return mac;
}

bool IsReservedRange(const IpPrefix& prefix, std::string* range) {
  static constexpr const char* kReserved[] = {
      "0.0.0.0/8",   "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4",
      "240.0.0.0/4", "::/8",        "fe80::/10",      "ff00::/8",
  };
  for (const char* text : kReserved) {
    const IpPrefix reserved = *IpPrefix::Parse(text);
    if (reserved.Overlaps(prefix)) {
      *range = text;
      return true;
    }
  }
  return false;
}

}  // namespace plasmanet::model
