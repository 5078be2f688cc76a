#include "common/uuid.h"

#include <algorithm>
#include <array>

#include <absl/random/distributions.h>

namespace plasmanet {

std::string UuidV7Sequence::Next(absl::Time now, absl::BitGenRef gen) {
  constexpr uint32_t kSequenceLimit = 1u << 12;
  const int64_t ms = std::max<int64_t>(absl::ToUnixMillis(now), 0);
  if (ms > last_ms_) {
    last_ms_ = ms;
    // A random start within the millisecond's lower half keeps ids of two daemons made in the
    // same millisecond from sharing a prefix, and leaves room to count up.
    sequence_ = absl::Uniform<uint32_t>(gen, 0, kSequenceLimit / 2);
  } else if (++sequence_ == kSequenceLimit) {
    ++last_ms_;  // 4,096 ids in one millisecond: borrow the next one
    sequence_ = 0;
  }
  const uint64_t time = static_cast<uint64_t>(last_ms_) & ((uint64_t{1} << 48) - 1);
  const uint64_t random = absl::Uniform<uint64_t>(gen);

  std::array<uint8_t, 16> bytes;
  for (int i = 0; i < 6; ++i) {
    bytes[i] = static_cast<uint8_t>(time >> (40 - 8 * i));
  }
  bytes[6] = static_cast<uint8_t>(0x70 | (sequence_ >> 8));  // version 7
  bytes[7] = static_cast<uint8_t>(sequence_);
  for (int i = 8; i < 16; ++i) {
    bytes[i] = static_cast<uint8_t>(random >> (8 * (15 - i)));
  }
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  // RFC 9562 variant

  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0x0f]);
  }
  return out;
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') {
        return false;
      }
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace plasmanet
