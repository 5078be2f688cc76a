#include "common/errors.h"

#include <absl/strings/cord.h>
#include <absl/strings/str_cat.h>

namespace plasmanet {

absl::Status FieldError(absl::StatusCode code, absl::string_view field, absl::string_view reason) {
  absl::Status status(code, absl::StrCat(field, ": ", reason));
  status.SetPayload(kFieldPayloadUrl, absl::Cord(field));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view reason) {
  return FieldError(absl::StatusCode::kInvalidArgument, field, reason);
}

std::optional<std::string> ErrorField(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kFieldPayloadUrl);
  if (!payload.has_value()) {
    return std::nullopt;
  }
  return std::string(*payload);
}

absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) {
    return status;
  }
  absl::Status annotated(status.code(), absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    annotated.SetPayload(url, payload);
  });
  return annotated;
}

}  // namespace plasmanet
