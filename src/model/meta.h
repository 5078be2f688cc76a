// ObjectMeta: the fields every PlasmaNET object carries, and their validation.
//
// Identity (id, org_id, project_id) is set by the service layer, never by the caller. name and
// labels come from the caller and are checked by ValidateNameAndLabels. `revision` is the store
// revision of the object's last change and doubles as its etag; it is not part of the encoded
// value because it is only known after the store commits.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <absl/status/status.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

namespace plasmanet::model {

using Labels = std::map<std::string, std::string>;

struct ObjectMeta {
  std::string id;
  std::string name;
  std::string org_id;
  std::string project_id;
  absl::Time created_at = absl::UnixEpoch();
  absl::Time updated_at = absl::UnixEpoch();
  int64_t revision = 0;
  Labels labels;
  // The quota slot the object holds in its project (see service/quota_registry.h); -1: none.
  int64_t quota_slot = -1;
};

inline constexpr size_t kMaxNameBytes = 255;
inline constexpr size_t kMaxLabels = 64;
inline constexpr size_t kMaxLabelKeyBytes = 63;
inline constexpr size_t kMaxLabelValueBytes = 255;
inline constexpr size_t kMaxScopeIdBytes = 64;

// Checks `name` (at most 255 bytes, no control characters) and `labels` (at most 64; keys 1-63
// bytes of [A-Za-z0-9._/-]; values at most 255 bytes, no control characters). `kind` prefixes
// the field names in errors ("port.name").
absl::Status ValidateNameAndLabels(absl::string_view kind, const std::string& name,
                                   const Labels& labels);

// Checks free text such as a description or device id: at most `max_bytes`, no control chars.
absl::Status ValidateText(absl::string_view field, const std::string& text, size_t max_bytes);

// Org and project ids come from authenticated principals: 1-64 bytes of [A-Za-z0-9._-].
bool IsValidScopeId(absl::string_view id);

}  // namespace plasmanet::model
