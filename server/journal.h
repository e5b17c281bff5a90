#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

// Receives every effect in order, serialised as RESP, with the db it applies to. The AOF and
// the replication backlog (later) are sinks.
class JournalSink {
 public:
  virtual ~JournalSink() = default;
  virtual void Append(int db, std::span<const std::string_view> effect, std::string_view resp) = 0;
};

// The write path's single exit: handlers record the effect they made (not the request), the
// keyspace records the keys it expired or evicted, and the journal counts them (`dirty`, for
// save rules and INFO) and feeds its sinks. The offset is the byte count of the effect stream
// (master_repl_offset). Called under the keyspace lock.
class Journal {
 public:
  void Append(int db, std::span<const std::string_view> effect);
  void AddSink(JournalSink* sink) { sinks_.push_back(sink); }
  void RemoveSink(JournalSink* sink) { std::erase(sinks_, sink); }

  uint64_t dirty() const { return dirty_; }
  void ResetDirty() { dirty_ = 0; }
  // A save captured `n` changes: they no longer count as unsaved.
  void ConsumeDirty(uint64_t n) { dirty_ -= std::min(n, dirty_); }
  uint64_t offset() const { return offset_; }

 private:
  std::vector<JournalSink*> sinks_;
  uint64_t dirty_ = 0;
  uint64_t offset_ = 0;
  std::string scratch_;
};

}  // namespace ember
