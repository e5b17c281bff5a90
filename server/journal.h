#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember {

// "SELECT db" as RESP: what a sink writes before an effect in another db than the last one.
std::string SelectCommand(int db);

// A point of the replication stream a dataset on disk matches exactly: the replication id,
// the offset of the next byte, and the db the stream is in there (its last SELECT). An RDB
// file carries it in its AUX fields (repl-id, repl-offset, repl-stream-db); an AOF beside its
// files after a clean shut-down. A node restarted from either continues replication from it.
struct ReplPosition {
  std::string replid;
  uint64_t offset = 0;
  int stream_db = 0;
};

// Receives every effect in order, serialised as RESP, with the db it applies to. The AOF and
// the replication backlog (later) are sinks.
class JournalSink {
 public:
  virtual ~JournalSink() = default;
  virtual void Append(int db, std::span<const std::string_view> effect, std::string_view resp) = 0;
};

// The write path's single exit: handlers record the effect they made (not the request), the
// keyspace records the keys it expired or evicted, and the journal counts them (`dirty`, for
// save rules and INFO) and feeds its sinks (the AOF; the replication log, which counts the
// offset). Called under the keyspace lock.
class Journal {
 public:
  void Append(int db, std::span<const std::string_view> effect);
  // EXEC: the effects of a transaction reach the sinks together, wrapped in MULTI ... EXEC when
  // there is more than one (as Redis 7.0 propagates them), so that a log cut inside it (a crash
  // mid-write) loses the whole transaction on reload, never half of it.
  void BeginTransaction() { in_transaction_ = true; }
  void EndTransaction();
  void AddSink(JournalSink* sink) { sinks_.push_back(sink); }
  void RemoveSink(JournalSink* sink) { std::erase(sinks_, sink); }

  uint64_t dirty() const { return dirty_; }
  void ResetDirty() { dirty_ = 0; }
  // A save captured `n` changes: they no longer count as unsaved.
  void ConsumeDirty(uint64_t n) { dirty_ -= std::min(n, dirty_); }

 private:
  void Emit(int db, std::span<const std::string_view> effect);

  std::vector<JournalSink*> sinks_;
  bool in_transaction_ = false;
  std::vector<std::pair<int, std::vector<std::string>>> transaction_;
  uint64_t dirty_ = 0;
  std::string scratch_;
};

}  // namespace ember
