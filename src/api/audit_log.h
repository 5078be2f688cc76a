// AuditLog: one JSON line per mutating API call, in a file of its own (plasmanetd
// --audit-log FILE), for the operators who must answer "who changed what, when":
//
//   {"time":"2026-12-03T17:40:01.123Z","principal":"acme/web/3f9c...","org":"acme",
//    "project":"web","roles":["member"],"method":"CreatePort","object":"6f1e...",
//    "request_id":"","validate_only":false,"code":"OK","message":""}
//
// Refused calls are recorded too, unauthenticated ones with an empty principal. Each line is
// written and flushed before the call returns. Thread-safe: a mutex orders the lines.
#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "auth/principal.h"
#include "common/clock.h"

namespace plasmanet::api {

struct AuditEntry {
  const auth::Principal* principal = nullptr;  // null when authentication failed
  absl::string_view method;
  absl::string_view object;  // the id of the object acted on, when known
  absl::string_view request_id;
  bool validate_only = false;
};

class AuditLog {
 public:
  // Appends to `path`, creating it (mode 0600) if needed. UNAVAILABLE if it cannot be opened.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path, Clock& clock);
  ~AuditLog();

  void Record(const AuditEntry& entry, const absl::Status& result);

 private:
  AuditLog(FILE* file, Clock& clock) : file_(file), clock_(clock) {}

  std::mutex mu_;
  FILE* file_;  // guarded by mu_
  Clock& clock_;
};

}  // namespace plasmanet::api
