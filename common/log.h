#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace ember {

// Redis's log levels, in order. A message is written when its level >= the configured one.
enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Parses "debug" | "verbose" | "notice" | "warning"; false on anything else.
bool ParseLogLevel(std::string_view s, LogLevel* out);
std::string_view LogLevelName(LogLevel level);

// Process-wide logger writing lines in Redis's shape: "pid:role dd Mon yyyy hh:mm:ss.mmm * msg".
// Thread-safe. An empty path logs to stdout.
void LogInit(std::string_view role, LogLevel level, const std::string& path);
void LogSetLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void LogWrite(LogLevel level, std::string_view msg);

template <typename... Args>
void Log(LogLevel level, const char* fmt, Args... args) {
  if (!LogEnabled(level)) return;
  char buf[1024];
  int n = std::snprintf(buf, sizeof(buf), fmt, args...);
  if (n < 0) return;
  LogWrite(level, std::string_view(buf, n < int(sizeof(buf)) ? size_t(n) : sizeof(buf) - 1));
}
#define EMBER_LOG(level, ...) ::ember::Log(::ember::LogLevel::level, __VA_ARGS__)

}  // namespace ember
