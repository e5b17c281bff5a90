#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace ember {

// The replication stream of this node: every byte a replica must apply, addressed by its
// offset since the replication id began (master_repl_offset). It is the backlog partial
// resyncs are served from and, at the same time, the output buffer of every replica: as in
// Redis 7.0, one copy of the bytes is shared by all, in blocks, and a block is freed once it
// is both older than the backlog (repl-backlog-size) and behind every replica still attached.
// A replica that keeps more than its limit alive beyond the backlog (client-output-buffer-limit
// replica) is detached (cut off; it will resync) so that it does not keep memory alive.
//
// Appends come from the engine (under its lock); readers are the threads that send to
// replicas. The log has a mutex of its own: senders never take the engine lock.
class ReplicationLog {
 public:
  ReplicationLog();

  // A reader's position: the next offset it sends. Created by Attach, owned by the caller.
  struct Cursor {
    uint64_t next = 0;   // changed by Read only
    bool cut = false;    // detached for lagging too far (or the log restarted)
    bool woken = false;  // WakeAll: the next Read returns at once
  };

  // Appends bytes at end(). Wakes waiting readers.
  void Append(std::string_view bytes);
  // Forgets everything and starts again at `offset` (a full sync on a replica, a new
  // replication id): every cursor is cut.
  void Reset(uint64_t offset);

  uint64_t start() const;  // first offset still held
  // Offset of the next byte appended (master_repl_offset). Without the lock: every write
  // command reads it (ClientState::woff).
  uint64_t end() const;
  uint64_t held() const;  // bytes held (repl_backlog_histlen)
  // What the cursor costs: the bytes it has not read that the backlog would not keep anyway.
  // The replica limits apply to this, so a replica continuing from inside the backlog is never
  // cut off for the backlog's bytes it has yet to read.
  uint64_t Pinned(const Cursor& c) const;
  bool WasCut(const Cursor& c) const;
  // Whether a reader could start at `offset` (partial resync): start() <= offset <= end().
  bool Contains(uint64_t offset) const;

  // A reader from `offset` (which must be Contained): its bytes are kept until it reads them
  // or is cut.
  std::shared_ptr<Cursor> Attach(uint64_t offset);
  void Detach(const std::shared_ptr<Cursor>& c);
  // Cuts a reader off now: its next Read returns false, so nothing appended from here on
  // reaches it (a promotion: the bytes after it belong to a new replication id).
  void Cut(const std::shared_ptr<Cursor>& c);

  // Copies up to `max` bytes from the cursor's position into `out` and moves the cursor on,
  // waiting until `deadline` for bytes when there are none. False when the cursor was cut
  // (or the deadline passed with nothing: `out` empty, true).
  bool Read(Cursor* c, size_t max, std::string* out,
            std::chrono::steady_clock::time_point deadline);
  // Makes every reader's Read (the one waiting, or the next) return at once, with what there
  // is: the sender has something else to do (stop, ask for an ack). Ends a Linger too.
  void WakeAll();
  // Waits `d` for more bytes to pile up (appends don't end it; WakeAll and a cut do).
  void Linger(Cursor* c, std::chrono::microseconds d);

  // repl-backlog-size and the replica output limit (0: none).
  void set_backlog_size(uint64_t bytes);
  void set_replica_limit(uint64_t bytes);

 private:
  struct Block {
    uint64_t offset;  // of data[0]
    std::string data;
  };
  void TrimLocked();
  uint64_t PinnedLocked(const Cursor& c) const;
  uint64_t WindowStartLocked() const;  // first offset the backlog keeps

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Block> blocks_;
  uint64_t start_ = 0;
  std::atomic<uint64_t> end_{0};  // changed under mu_
  uint64_t backlog_size_ = 1 << 20;
  uint64_t replica_limit_ = 0;
  std::list<std::shared_ptr<Cursor>> cursors_;
  int waiting_ = 0;  // readers in Read's wait
};

}  // namespace ember
