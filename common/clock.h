#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace ember {

// A cheap tick counter for measuring short durations (command times): the TSC where there is
// one, else the monotonic clock in ns. Convert with a rate measured against a Clock.
inline uint64_t CycleCount() {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// The one source of time for expiry, idle times and INFO. Tests inject a ManualClock so that
// they can move time without sleeping.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the Unix epoch (what EXPIREAT and TIME speak).
  virtual int64_t NowMs() const = 0;
  // Wall-clock microseconds since the Unix epoch.
  virtual int64_t NowUs() const = 0;
  // Monotonic microseconds, for durations that must not jump with the wall clock.
  virtual int64_t MonotonicUs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override { return NowUs() / 1000; }
  int64_t NowUs() const override {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  }
  int64_t MonotonicUs() const override {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
  }
};

// A clock that only moves when told to. Safe to read from several threads.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_us_(start_ms * 1000) {}
  int64_t NowMs() const override { return now_us_.load() / 1000; }
  int64_t NowUs() const override { return now_us_.load(); }
  int64_t MonotonicUs() const override { return now_us_.load(); }
  void Advance(std::chrono::microseconds d) { now_us_ += d.count(); }
  void SetMs(int64_t ms) { now_us_ = ms * 1000; }

 private:
  std::atomic<int64_t> now_us_;
};

}  // namespace ember
