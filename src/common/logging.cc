#include "common/logging.h"

#include <string>

#include <spdlog/sinks/stdout_sinks.h>

namespace plasmanet {

bool ParseLogLevel(absl::string_view text, LogLevel* level) {
  static constexpr std::pair<absl::string_view, LogLevel> kLevels[] = {
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},   {"error", LogLevel::kError},
  };
  for (const auto& [name, value] : kLevels) {
    if (name == text) {
      *level = value;
      return true;
    }
  }
  return false;
}

void InitLogging(absl::string_view component, LogLevel level) {
  // Built outside spdlog's registry so that re-initialising (tests do) never collides on names.
  auto logger = std::make_shared<spdlog::logger>(std::string(component),
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  // ISO-8601 UTC time, level, component, message (which carries the key=value fields).
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %l " + std::string(component) + " %v",
                      spdlog::pattern_time_type::utc);
  static constexpr spdlog::level::level_enum kMap[] = {spdlog::level::trace, spdlog::level::debug,
                                                       spdlog::level::info, spdlog::level::warn,
                                                       spdlog::level::err};
  logger->set_level(kMap[static_cast<int>(level)]);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace plasmanet
