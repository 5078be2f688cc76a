// JSON encoding of model objects, the format of values in the store.
//
//   std::string value = Encode(port);
//   absl::StatusOr<Port> back = Decode<Port>(value);
//
// JSON keeps the stored values readable with ordinary tools (sqlite3, etcdctl) and lets fields
// be added without a schema migration: unknown fields are ignored, missing ones default.
// meta.revision is not encoded; the store supplies it. Thread-safe (no shared state).
#pragma once

#include <string>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

namespace plasmanet::model {

// Defined for Vpc, Subnet, Port, SecurityGroup, ExternalNetwork and FloatingIp.
template <typename T>
std::string Encode(const T& object);

// DATA_LOSS when `json` is not a valid encoding of T (a corrupt store value).
template <typename T>
absl::StatusOr<T> Decode(absl::string_view json);

}  // namespace plasmanet::model
