// IdSource: object ids (time-ordered UUIDs, see common/uuid.h) and generated MACs. Thread-safe:
// a mutex guards the generator, which is seeded from the OS (or with a fixed seed in tests that
// want repeatable ids), and the id sequence.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include <absl/base/thread_annotations.h>
#include <absl/synchronization/mutex.h>

#include "common/clock.h"
#include "common/mac_address.h"
#include "common/uuid.h"

namespace plasmanet::service {

class IdSource {
 public:
  // `clock` must outlive this object; it dates the ids.
  explicit IdSource(Clock& clock, std::optional<uint64_t> seed = std::nullopt) : clock_(clock) {
    if (seed.has_value()) {
      gen_.seed(*seed);
      return;
    }
    // 256 bits of OS entropy: ids of two daemons must not collide by a shared small seed.
    std::random_device os;
    std::seed_seq seq{os(), os(), os(), os(), os(), os(), os(), os()};
    gen_.seed(seq);
  }

  std::string NewId() {
    absl::MutexLock lock(&mu_);
    return sequence_.Next(clock_.Now(), gen_);
  }
  MacAddress NewMac() {
    absl::MutexLock lock(&mu_);
    return MacAddress::GenerateLocal(gen_);
  }

 private:
  Clock& clock_;
  absl::Mutex mu_;
  std::mt19937_64 gen_ ABSL_GUARDED_BY(mu_);
  UuidV7Sequence sequence_ ABSL_GUARDED_BY(mu_);
};

}  // namespace plasmanet::service
