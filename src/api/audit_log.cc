#include "api/audit_log.h"

#include <cerrno>
#include <cstring>

#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/logging.h"

namespace plasmanet::api {

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, Clock& clock) {
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  FILE* file = fd < 0 ? nullptr : fdopen(fd, "a");
  if (file == nullptr) {
    if (fd >= 0) close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot open audit log ", path, ": ", std::strerror(errno)));
  }
  LOG_INFO("audit log opened path={}", path);
  return std::unique_ptr<AuditLog>(new AuditLog(file, clock));
}

AuditLog::~AuditLog() { fclose(file_); }

void AuditLog::Record(const AuditEntry& entry, const absl::Status& result) {
  nlohmann::json line{
      {"time", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", clock_.Now(), absl::UTCTimeZone())},
      {"principal", entry.principal ? entry.principal->subject : ""},
      {"org", entry.principal ? entry.principal->scope.org_id : ""},
      {"project", entry.principal ? entry.principal->scope.project_id : ""},
      {"roles", nlohmann::json::array()},
      {"method", std::string(entry.method)},
      {"object", std::string(entry.object)},
      {"request_id", std::string(entry.request_id)},
      {"validate_only", entry.validate_only},
      {"code", absl::StatusCodeToString(result.code())},
      {"message", std::string(result.message())}};
  if (entry.principal != nullptr) {
    for (auth::Role role : entry.principal->roles) {
      line["roles"].push_back(std::string(auth::RoleName(role)));
    }
  }
  // Invalid UTF-8 from a caller must not make the line unwritable: replace it.
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mu_);
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
    LOG_ERROR("audit log write failed error=\"{}\"", std::strerror(errno));
  }
}

}  // namespace plasmanet::api
