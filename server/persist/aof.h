#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/journal.h"

namespace ember {

class ConfigTable;
class Engine;
class Entry;
struct RestoreLimits;

// The append-only file, in Redis 7.0's multi-part layout:
//
//   <dir>/<appenddirname>/<appendfilename>.manifest     which files make up the AOF, in order
//   <dir>/<appenddirname>/<appendfilename>.<n>.base.rdb  the dataset at some point (RDB, or .aof
//                                                        with commands); at most one
//   <dir>/<appenddirname>/<appendfilename>.<n>.incr.aof  the effects logged since, oldest first;
//                                                        the last one is appended to
//
// The manifest has one line per file, `file <name> seq <n> type b|h|i` (base, history, incr),
// base first. Loading replays the base, then every incr file through the engine's dispatcher.
// Redis 7.0 reads Ember's directory and Ember reads Redis's (tests/integration/test_aof.py).
//
// Phase 1: no rewrite. A new base is only written when the AOF starts from nothing (first start
// with appendonly yes, or CONFIG SET appendonly yes), synchronously under the engine lock, in
// RDB form (aof-use-rdb-preamble is stored for the rewrite); see README "Persistence".

// ---------------------------------------------------------------------------------------------
// Configuration

// appendfsync, in the order Redis 7.0 names its values in errors.
enum class AofFsync : int { kEverysec = 0, kAlways = 1, kNo = 2 };

struct AofConfig {
  std::atomic<bool> appendonly{false};
  std::string filename = "appendonly.aof";  // appendfilename
  std::string dirname = "appendonlydir";    // appenddirname
  std::atomic<int> fsync{int(AofFsync::kEverysec)};
  std::atomic<bool> load_truncated{true};             // aof-load-truncated
  std::atomic<bool> timestamps{false};                // aof-timestamp-enabled
  std::atomic<bool> use_rdb_preamble{true};           // aof-use-rdb-preamble (phase 2)
  std::atomic<bool> rewrite_incremental_fsync{true};  // aof-rewrite-incremental-fsync (phase 2)
  std::atomic<int64_t> rewrite_percentage{100};       // auto-aof-rewrite-percentage (phase 2)
  std::atomic<int64_t> rewrite_min_size{64LL << 20};  // auto-aof-rewrite-min-size (phase 2)
};

// ---------------------------------------------------------------------------------------------
// Manifest

struct AofFileInfo {
  enum Type : char { kBase = 'b', kHistory = 'h', kIncr = 'i' };
  std::string name;
  int64_t seq = 0;
  Type type = kIncr;
};

struct AofManifest {
  std::optional<AofFileInfo> base;
  std::vector<AofFileInfo> history;
  std::vector<AofFileInfo> incrs;  // by increasing seq; the last one is appended to
  int64_t base_seq = 0;            // of the current base, 0 when there is none
  int64_t incr_seq = 0;            // highest incr seq listed

  // Parses a manifest as Redis 7.0 does: '#' lines are comments, fields are key/value pairs in
  // any order (unknown keys ignored), names may be quoted; a name must not be a path, there is
  // at most one base, incr seqs increase. Returns the reason a manifest is refused.
  static std::optional<std::string> Parse(std::string_view text, AofManifest* out);
  // Base, history, then incr files, one line each, names quoted only when they need it.
  std::string Serialize() const;
  bool empty() const { return !base && history.empty() && incrs.empty(); }
};

std::string AofManifestName(std::string_view filename);  // appendonly.aof.manifest
std::string AofBaseName(std::string_view filename, int64_t seq, bool rdb);
std::string AofIncrName(std::string_view filename, int64_t seq);

// ---------------------------------------------------------------------------------------------
// Reading AOF files (loading and ember-check-aof)

// One AOF file read from start to end: an optional RDB preamble (a file that starts with
// "REDIS", as bases written with aof-use-rdb-preamble are), then commands as RESP arrays of
// bulk strings, with '#' annotation lines (aof-timestamp-enabled) between them. A MULTI ... EXEC
// block is handed over as a whole at its EXEC.
struct AofScanResult {
  enum Status {
    kOk,         // read to the end
    kTruncated,  // ends inside a command (or a MULTI without EXEC, or a zero-filled tail)
    kCorrupt,    // bad bytes before the end
    kAborted,    // the consumer refused a command (unknown command, SELECT out of range ...)
    kIoError,    // could not open or read
  };
  Status status = kOk;
  uint64_t size = 0;         // bytes in the file
  uint64_t valid_up_to = 0;  // end of the last complete command outside MULTI ... EXEC
  uint64_t commands = 0;     // commands handed over (MULTI and EXEC not counted)
  uint64_t rdb_bytes = 0;    // length of the RDB preamble, 0 without one
  uint64_t rdb_keys = 0;
  uint64_t error_offset = 0;  // kCorrupt, kAborted: where the problem is
  std::string error;          // kCorrupt, kAborted, kIoError: what it is
};

// The consumer of a scan: `cmds` is one command, or the commands of one MULTI ... EXEC block;
// `offset` is where the (first) command starts. Returns the reason to stop, if any.
using AofCommandFn = std::function<std::optional<std::string>(
    std::span<const std::vector<std::string>> cmds, uint64_t offset)>;
// A key of the RDB preamble (the callee owns the entry); returns the reason to stop, if any.
using AofKeyFn = std::function<std::optional<std::string>(int db, Entry* e)>;

// Reads `path`. Without callbacks it only validates (commands are dropped, RDB entries freed).
AofScanResult ScanAofFile(const std::string& path, const RestoreLimits& limits,
                          const AofKeyFn& on_key, const AofCommandFn& on_commands);

// ---------------------------------------------------------------------------------------------
// The log

// The AOF as a journal sink and its files. Owned by the Engine; exists whether appendonly is on
// or not.
//
// Write path. Append (under the engine lock) adds the effect's RESP, preceded by SELECT when the
// db changes, to an in-memory buffer. What happens next depends on appendfsync:
//   always    a reply may only leave once every effect logged before it is on disk. After a
//             batch, the network layer takes ReplyBarrier() (the log's end, under the engine
//             lock) and, unless Durable(barrier), holds its replies and registers WhenDurable.
//             An I/O thread whose event loop runs out of ready work calls CommitIfDue(), which
//             write()s and fsyncs everything pending for all waiting replies at once (group
//             commit, Redis's beforeSleep) and releases them; no fsync runs under the engine
//             lock, and one commit runs at a time.
//   everysec  AfterBatch() (outside the engine lock, before the replies go out) write()s the
//             buffer, as Redis does before replying; the flusher thread fsyncs once a second.
//   no        as everysec without the fsync.
// The flusher thread also writes whatever is left once a second (effects of the periodic
// cron), retries after write errors, and commits for replies still waiting.
//
// Errors. A failed or short write is undone (ftruncate to the last good size), the bytes stay
// buffered, aof_last_write_status becomes err and the dispatcher refuses writes and PING with
// "-MISCONF Errors writing to the AOF file: <reason>" until a retry (once a second) succeeds. A
// failed fsync under everysec does the same. Under always, where replies wait on the data, a
// write or fsync error ends the process, as it does Redis.
//
// Threads and locks: engine mu -> mu_ (Append). Writers (AfterBatch, CommitIfDue, the flusher)
// take write_mu_ -> mu_ to take the buffer and write it, then fsync_mu_ alone to fsync, so an
// fsync never holds up the writes of the I/O threads. Opening and closing files happen under
// the engine lock with every lock of the log taken.
class Aof : public JournalSink {
 public:
  explicit Aof(Engine* engine);
  ~Aof() override;
  Aof(const Aof&) = delete;
  Aof& operator=(const Aof&) = delete;

  // The configuration keys (Engine::RegisterConfig).
  void RegisterConfig(ConfigTable* table);
  AofConfig& config() { return config_; }
  // appendonly as configured.
  bool enabled() const { return config_.appendonly.load(); }
  // Logging to a file now.
  bool is_open() const { return open_.load(std::memory_order_acquire); }

  // From Engine::Start on, CONFIG SET appendonly switches the log on and off. (Before, the
  // setting only records the value start-up acts on.)
  void Arm() { armed_ = true; }

  // Start-up with appendonly yes (see LoadAof).
  std::optional<std::string> LoadAndOpen();
  // Starts a fresh AOF from the current dataset (a new base and incr file, a manifest listing
  // only them; older files are removed). Under the engine lock.
  std::optional<std::string> OpenFresh();
  // Writes and fsyncs what is pending and closes the file; the log stops. Under the engine lock.
  void Close();

  // JournalSink, under the engine lock.
  void Append(int db, std::span<const std::string_view> effect, std::string_view resp) override;

  // ---- The network layer

  // Under the engine lock: the log offset the replies produced now must wait for; 0 unless
  // appendfsync is always.
  uint64_t ReplyBarrier() const;
  bool Durable(uint64_t offset) const { return synced_.load(std::memory_order_acquire) >= offset; }
  // Runs `fn` once `offset` is durable: at once if it is, else from the flusher thread (so fn
  // should only post work somewhere).
  void WhenDurable(uint64_t offset, std::function<void()> fn);
  // Outside the engine lock, after a batch of requests ran: write()s the buffer (everysec, no)
  // or wakes the flusher (always).
  void AfterBatch();
  // appendfsync always, from an I/O thread with nothing else to do (its event loop found no
  // ready handler; Redis's beforeSleep): if replies are waiting and no other thread is at it,
  // write()s and fsyncs everything pending on this thread, then releases the waiters. Returns
  // whether it did. The engine lock is not held meanwhile.
  bool CommitIfDue();
  // Replies wait for the log: I/O threads must keep coming back to CommitIfDue, not sleep.
  // (Not while writes fail: the flusher retries once a second.)
  bool HasWaiters() const {
    return has_waiters_.load(std::memory_order_relaxed) &&
           !write_refused_.load(std::memory_order_relaxed);
  }

  // ---- The dispatcher and INFO

  // Writes are refused while this is set (Redis's writeCommandsDeniedByDiskError).
  bool write_refused() const { return write_refused_.load(std::memory_order_relaxed); }
  // "-MISCONF Errors writing to the AOF file: <strerror>".
  std::string WriteRefusedError() const;
  // The aof_* fields of INFO persistence, in Redis 7.0's order.
  void AppendInfo(std::string* out) const;

  // ---- Tests

  // Writes and fsyncs everything pending, whatever the policy (false on error).
  bool FlushForTest();
  uint64_t appended() const { return appended_.load(); }
  std::string incr_path() const;
  std::string dir_path() const { return dir_; }

 private:
  std::optional<std::string> ApplyAppendonly(bool on);
  std::optional<std::string> OpenExisting();
  std::optional<std::string> CreateIncr(int64_t seq, int* fd);
  std::optional<std::string> PersistManifest(const AofManifest& m);
  std::optional<std::string> WriteRdbBase(const std::string& path);
  void StartLogging(int fd, uint64_t file_size);
  void StartFlusher();
  void StopFlusher();
  void FlusherLoop();
  // Takes the buffer and write()s it (and what a failed write left); with `sync`, fdatasync()s
  // everything written, then releases the waiters now covered.
  size_t Flush(bool sync);  // returns how many waiters it released
  // Under write_mu_: write()s carry_. Returns false on error (state updated, logged).
  bool WriteCarry();
  size_t ReleaseWaiters();
  void Fatal(const char* what, int err);
  AofFsync policy() const { return AofFsync(config_.fsync.load(std::memory_order_relaxed)); }

  Engine* engine_;
  AofConfig config_;
  bool armed_ = false;
  std::atomic<bool> open_{false};

  // Files (changed under the engine lock with write_mu_ and fsync_mu_ held).
  std::string dir_;  // absolute path of the AOF directory while open
  AofManifest manifest_;
  int fd_ = -1;             // the incr file appended to
  uint64_t file_size_ = 0;  // its size (under write_mu_)

  // Under the engine lock.
  int selected_db_ = -1;
  int64_t last_timestamp_s_ = 0;
  std::string scratch_;

  // The buffer and the waiters.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string buf_;  // appended, not yet taken by a writer
  struct Waiter {
    uint64_t offset;
    std::function<void()> fn;
  };
  std::vector<Waiter> waiters_;
  std::atomic<bool> has_waiters_{false};
  bool commit_running_ = false;  // an I/O thread is in CommitIfDue
  bool stop_flusher_ = false;
  std::thread flusher_;

  std::mutex write_mu_;
  std::string carry_;  // taken from buf_, not yet written (a failed write keeps it here)
  std::mutex fsync_mu_;

  // Offsets in the logical stream of every byte ever appended (they keep growing across
  // close and reopen, so a barrier taken before stays meaningful).
  std::atomic<uint64_t> appended_{0};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> synced_{0};

  // Sizes and status for INFO.
  std::atomic<int64_t> base_size_{0};
  std::atomic<int64_t> incr_size_{0};  // bytes in the incr files, the open one included
  std::atomic<bool> write_refused_{false};
  std::atomic<bool> write_failing_{false};  // the last write failed (aof_last_write_status)
  std::atomic<bool> fsync_failing_{false};  // the last fsync failed (everysec)
  std::atomic<int> last_errno_{0};
  std::atomic<bool> fsync_in_progress_{false};
  int64_t last_error_log_s_ = 0;  // under write_mu_
};

// Start-up with appendonly yes, for server/main.cc: loads the AOF directory (manifest, base,
// incr files) into the engine through its dispatcher, as a client of its own, taking the
// engine lock for short stretches (a network layer may answer -LOADING meanwhile). Nothing
// expires while the log is replayed. A truncated last file is cut back to its last complete
// command when aof-load-truncated allows (with a warning), else start-up stops; corruption
// anywhere stops it with the file and byte offset. Then opens the last incr file for appending
// (creating base, incr and manifest when there was no AOF) and starts logging. A lone
// <dir>/<appendfilename> of Redis 6 is loaded and moved into the directory as its base.
// Returns the reason start-up must stop, for the caller to log.
std::optional<std::string> LoadAof(Engine& engine);

// The aof_* lines of INFO persistence.
void AppendAofInfo(const Engine& engine, std::string* out);

}  // namespace ember
