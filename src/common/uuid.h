// UUIDs for object ids. New ids are time-ordered (version 7, RFC 9562): 48 bits of Unix
// milliseconds, then a 12-bit sequence within the millisecond, then 62 random bits. Ids made
// later sort later as strings, so the store's keys that end in an id (the object, its tenant
// index entry, its parent's child index) are appended at the end of their key range instead of
// landing on a random B-tree page: at 32 API clients that cut the bytes written per port by a
// quarter (docs/benchmarks.md). The random bits come from a caller-supplied generator, so tests
// can be deterministic.
//
//   UuidV7Sequence sequence;
//   std::string id = sequence.Next(absl::Now(), gen);
//
// UuidV7Sequence is not thread-safe: its owner serialises calls (IdSource holds a mutex).
#pragma once

#include <cstdint>
#include <string>

#include <absl/random/bit_gen_ref.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

namespace plasmanet {

// Makes version 7 UUIDs, "tttttttt-tttt-7sss-yxxx-xxxxxxxxxxxx" in lower-case hex, each greater
// than the one before even when the clock stands still or steps back (the sequence then counts
// on from the last millisecond used).
class UuidV7Sequence {
 public:
  std::string Next(absl::Time now, absl::BitGenRef gen);

 private:
  int64_t last_ms_ = -1;
  uint32_t sequence_ = 0;  // 12 bits
};

// True for the canonical 36-character lower- or upper-case form.
bool IsUuid(absl::string_view text);

}  // namespace plasmanet
