#include "model/meta.h"

#include <absl/strings/str_cat.h>

#include "common/errors.h"

namespace plasmanet::model {
namespace {

bool HasControlCharacter(absl::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

bool IsLabelKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '/' || c == '-';
}

}  // namespace

absl::Status ValidateText(absl::string_view field, const std::string& text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return InvalidField(field, absl::StrCat("is ", text.size(), " bytes long; at most ", max_bytes,
                                            " are allowed"));
  }
  if (HasControlCharacter(text)) {
    return InvalidField(field, "must not contain control characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateNameAndLabels(absl::string_view kind, const std::string& name,
                                   const Labels& labels) {
  if (absl::Status s = ValidateText(absl::StrCat(kind, ".name"), name, kMaxNameBytes); !s.ok()) {
    return s;
  }
  if (labels.size() > kMaxLabels) {
    return InvalidField(absl::StrCat(kind, ".labels"),
                        absl::StrCat("has ", labels.size(), " labels; at most ", kMaxLabels));
  }
  for (const auto& [key, value] : labels) {
    const std::string field = absl::StrCat(kind, ".labels[", key, "]");
    if (key.empty() || key.size() > kMaxLabelKeyBytes) {
      return InvalidField(
          field, absl::StrCat("label keys must be 1 to ", kMaxLabelKeyBytes, " bytes long"));
    }
    for (char c : key) {
      if (!IsLabelKeyChar(c)) {
        return InvalidField(field, "label keys may only contain letters, digits and . _ / -");
      }
    }
    if (absl::Status s = ValidateText(field, value, kMaxLabelValueBytes); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

bool IsValidScopeId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxScopeIdBytes) {
    return false;
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace plasmanet::model
