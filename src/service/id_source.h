// IdSource: object ids and generated MACs. Thread-safe: a mutex guards the generator, which is
// seeded from the OS (or with a fixed seed in tests that want repeatable ids).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include <absl/base/thread_annotations.h>
#include <absl/synchronization/mutex.h>

#include "common/mac_address.h"
#include "common/uuid.h"

namespace plasmanet::service {

class IdSource {
 public:
  explicit IdSource(std::optional<uint64_t> seed = std::nullopt) {
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
    return GenerateUuid(gen_);
  }
  MacAddress NewMac() {
    absl::MutexLock lock(&mu_);
    return MacAddress::GenerateLocal(gen_);
  }

 private:
  absl::Mutex mu_;
  std::mt19937_64 gen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace plasmanet::service
