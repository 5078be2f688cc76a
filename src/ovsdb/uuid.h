// Uuid: an OVSDB row UUID held as 16 bytes rather than its 36-character text, because the
// replica keeps one per row and per reference (hundreds of thousands of them).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <absl/hash/hash.h>
#include <absl/strings/string_view.h>

namespace plasmanet::ovsdb {

class Uuid {
 public:
  Uuid() = default;  // the nil UUID

  // Parses the canonical 8-4-4-4-12 hex form (either case); nullopt otherwise.
  static std::optional<Uuid> Parse(absl::string_view text);

  std::string ToString() const;  // lower-case canonical form
  bool IsNil() const { return bytes_ == std::array<uint8_t, 16>{}; }

  friend bool operator==(const Uuid&, const Uuid&) = default;
  friend auto operator<=>(const Uuid&, const Uuid&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Uuid& u) {
    return H::combine_contiguous(std::move(h), u.bytes_.data(), u.bytes_.size());
  }

 private:
  std::array<uint8_t, 16> bytes_{};
};

}  // namespace plasmanet::ovsdb
