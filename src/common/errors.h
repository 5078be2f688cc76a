// Error constructors shared by every layer. Input errors name the offending field so that the
// API layer can report it to the caller (google.rpc.BadRequest style) and so that a human
// reading the message knows what to fix.
//
//   return InvalidField("subnet.ipv4_cidr", "host bits are set; did you mean 10.0.0.0/24?");
//   // -> INVALID_ARGUMENT "subnet.ipv4_cidr: host bits are set; did you mean 10.0.0.0/24?"
//
// The field path is also attached as a status payload under kFieldPayloadUrl, so transports can
// read it without parsing the message.
#pragma once

#include <optional>
#include <string>

#include <absl/status/status.h>
#include <absl/strings/string_view.h>

namespace plasmanet {

inline constexpr absl::string_view kFieldPayloadUrl = "type.plasmanet.dev/field";

// INVALID_ARGUMENT for `field`, with `reason` in the message and the field as payload.
absl::Status InvalidField(absl::string_view field, absl::string_view reason);

// Same shape for the other codes that concern one field of the request.
absl::Status FieldError(absl::StatusCode code, absl::string_view field, absl::string_view reason);

// The field attached by InvalidField/FieldError, if any.
std::optional<std::string> ErrorField(const absl::Status& status);

// Prefixes the message of a non-OK status with `context` ("while creating port p-1: ..."),
// keeping code and payloads. OK passes through unchanged.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace plasmanet
