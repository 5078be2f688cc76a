// Structured logging for PlasmaNET, backed by spdlog.
//
//   InitLogging("plasmanetd", LogLevel::kInfo);
//   LOG_INFO("store opened path={} revision={}", path, rev);
//
// Messages use key=value fields. INFO is for state changes an operator wants to see (started,
// connected, leader gained); per-object work goes to DEBUG, per-row detail to TRACE. The
// macros are thread-safe (spdlog's default logger is).
#pragma once

#include <absl/strings/string_view.h>
#include <spdlog/spdlog.h>

namespace plasmanet {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };

// Parses "trace", "debug", "info", "warn", "error".
bool ParseLogLevel(absl::string_view text, LogLevel* level);

// Installs a stderr logger named `component` as the default. Safe to call more than once.
void InitLogging(absl::string_view component, LogLevel level);

}  // namespace plasmanet

#define LOG_TRACE(...) ::spdlog::trace(__VA_ARGS__)
#define LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
