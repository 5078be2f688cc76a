// Parsing helpers that turn caller-supplied text into typed addresses, with errors that name
// the field. Shared by the validation of every object kind.
#pragma once

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "common/ip_address.h"
#include "common/ip_prefix.h"
#include "common/mac_address.h"

namespace plasmanet::model {

absl::StatusOr<IpAddress> ParseIpField(absl::string_view field, absl::string_view text);
absl::StatusOr<IpPrefix> ParsePrefixField(absl::string_view field, absl::string_view text);
absl::StatusOr<MacAddress> ParseMacField(absl::string_view field, absl::string_view text);

// True if `prefix` lies in a range that cannot carry tenant traffic: this-network, loopback,
// link-local, multicast and reserved (IPv4 0/8, 127/8, 169.254/16, 224/4, 240/4; IPv6 ::/8,
// fe80::/10, ff00::/8). Returns the offending range's text in *range when true.
bool IsReservedRange(const IpPrefix& prefix, std::string* range);

}  // namespace plasmanet::model
