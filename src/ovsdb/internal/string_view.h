// Debian 12's abseil defines its own absl::string_view rather than aliasing std::string_view,
// while simdjson hands out std::string_view; this converts at the seam without copying.
#pragma once

#include <string_view>

#include <absl/strings/string_view.h>

namespace plasmanet::ovsdb::internal {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace plasmanet::ovsdb::internal
