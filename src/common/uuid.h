// Random (version 4) UUIDs for object ids, drawn from a caller-supplied bit generator so tests
// can be deterministic. Thread safety is that of the generator passed in.
#pragma once

#include <string>

#include <absl/random/bit_gen_ref.h>
#include <absl/strings/string_view.h>

namespace plasmanet {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case hex.
std::string GenerateUuid(absl::BitGenRef gen);

// True for the canonical 36-character lower- or upper-case form.
bool IsUuid(absl::string_view text);

}  // namespace plasmanet
