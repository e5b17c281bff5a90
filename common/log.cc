#include "common/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <mutex>

namespace ember {
namespace {

std::mutex log_mu;
std::atomic<int> log_level{int(LogLevel::kNotice)};
std::string log_role = "M";
std::string log_path;

}  // namespace

bool ParseLogLevel(std::string_view s, LogLevel* out) {
  static constexpr std::string_view kNames[] = {"debug", "verbose", "notice", "warning"};
  for (int i = 0; i < 4; ++i) {
    if (s == kNames[i]) {
      *out = LogLevel(i);
      return true;
    }
  }
  return false;
}

std::string_view LogLevelName(LogLevel level) {
  static constexpr std::string_view kNames[] = {"debug", "verbose", "notice", "warning"};
  return kNames[int(level)];
}

void LogInit(std::string_view role, LogLevel level, const std::string& path) {
  std::lock_guard lk(log_mu);
  log_role = std::string(role);
  log_level = int(level);
  log_path = path;
}

void LogSetLevel(LogLevel level) { log_level = int(level); }

bool LogEnabled(LogLevel level) { return int(level) >= log_level.load(std::memory_order_relaxed); }

void LogWrite(LogLevel level, std::string_view msg) {
  static constexpr char kMarks[] = {'.', '-', '*', '#'};
  timeval tv;
  gettimeofday(&tv, nullptr);
  tm tm_now;
  localtime_r(&tv.tv_sec, &tm_now);
  char stamp[64];
  size_t n = strftime(stamp, sizeof(stamp), "%d %b %Y %H:%M:%S", &tm_now);
  std::lock_guard lk(log_mu);
  FILE* f = log_path.empty() ? stdout : fopen(log_path.c_str(), "a");
  if (f == nullptr) return;
  fprintf(f, "%d:%s %.*s.%03d %c %.*s\n", int(getpid()), log_role.c_str(), int(n), stamp,
          int(tv.tv_usec / 1000), kMarks[int(level)], int(msg.size()), msg.data());
  if (f == stdout) {
    fflush(f);
  } else {
    fclose(f);
  }
}

}  // namespace ember
