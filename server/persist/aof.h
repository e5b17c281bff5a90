#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
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
class ImageFormat;
class SnapshotJob;
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
// Rewriting (BGREWRITEAOF, auto-aof-rewrite-*, CONFIG SET appendonly yes): at one instant,
// under the engine lock, the log moves on to a new incr file (listed in the manifest at once)
// and a Snapshot of the dataset starts; a SnapshotJob writes it in the background as the new
// base, in RDB form (aof-use-rdb-preamble yes) or as commands. Once the base is complete and
// fsynced, the manifest is switched to it and the incr files from before the instant, and the
// old base, are removed. A crash at any point leaves a manifest that loads the whole dataset.

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
  std::atomic<bool> use_rdb_preamble{true};           // aof-use-rdb-preamble
  std::atomic<bool> rewrite_incremental_fsync{true};  // aof-rewrite-incremental-fsync (accepted)
  std::atomic<int64_t> rewrite_percentage{100};       // auto-aof-rewrite-percentage
  std::atomic<int64_t> rewrite_min_size{64LL << 20};  // auto-aof-rewrite-min-size
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
// db changes, to an in-memory buffer. Replies wait for the log as Redis's do (they leave in its
// beforeSleep, after the AOF flush): after a batch, the network layer takes ReplyBarrier() (the
// log's end, under the engine lock) and holds the batch's output until Released(barrier). An
// I/O thread that runs out of ready work calls Commit(), which write()s everything pending for
// all held replies at once, and with appendfsync always fdatasync()s it too (group commit), then
// lets its held replies go. No write or fsync happens under the engine lock, and one commit runs
// at a time. So:
//   always    no reply leaves before the effects logged before it are on disk;
//   everysec  no reply leaves before they are written (a crash of the process loses nothing
//             acknowledged); the flusher thread fsyncs once a second;
//   no        as everysec, never fsynced by Ember.
// The flusher thread also writes whatever is left once a second (the cron's effects) and
// retries after write errors.
//
// Errors. A failed or short write is undone (ftruncate to the last good size), the bytes stay
// buffered, aof_last_write_status becomes err and the dispatcher refuses writes and PING with
// "-MISCONF Errors writing to the AOF file: <reason>" until a retry (once a second) succeeds;
// replies held meanwhile go out (as in Redis). A failed fsync under everysec does the same.
// Under always, where replies wait on the data, a write or fsync error ends the process, as it
// does Redis.
//
// Threads and locks: engine mu -> mu_ (Append). Writers (Commit, the flusher) take write_mu_ ->
// mu_ to take the buffer and write it, then fsync_mu_ alone to fsync, so the once-a-second fsync
// of everysec never holds up the writes of the I/O threads. Opening and closing files happen
// under the engine lock with every lock of the log taken.
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
  // Writes and fsyncs what is pending and closes the file; the log stops and a rewrite in
  // progress is abandoned. Under the engine lock. With `at` (a shut-down), records beside the
  // files that they end exactly at that replication position: the next start continues
  // replication from there (Redis 7.0 can't after loading an AOF).
  void Close(const ReplPosition* at = nullptr);
  // A replica's full sync replaced the dataset under the engine lock: what the AOF holds no
  // longer leads to it. As in Redis 7.0, the log starts again with a rewrite of the new one.
  void DatasetReplaced();
  // After LoadAndOpen: the position recorded by the clean shut-down the AOF ends at, if any.
  const std::optional<ReplPosition>& loaded_position() const { return loaded_position_; }

  // ---- Rewriting, under the engine lock

  enum class RewriteStart { kStarted, kInProgress, kScheduled, kFailed };
  // BGREWRITEAOF. Scheduled while a BGSAVE runs, and inside EXEC. With appendonly no the
  // directory gets just a new base, as in Redis 7.0.
  RewriteStart BgRewrite(bool in_exec = false);
  // A rewrite's thread still runs (possibly winding down after an abort).
  bool rewrite_active() const { return rewrite_ != nullptr; }
  bool rewrite_in_progress() const;
  bool rewrite_scheduled() const { return rewrite_scheduled_; }
  // FLUSHALL: the rewrite in progress is dropped (the snapshot would otherwise have to save the
  // whole dataset before it goes) and a new one, of the empty dataset, is scheduled.
  void RestartRewrite();
  // Collects a finished rewrite; starts a scheduled one, or one that auto-aof-rewrite-* asks for.
  void Cron();
  // Abandons a rewrite and waits for its thread: without the lock (shut-down).
  void StopRewrite();

  // JournalSink, under the engine lock.
  void Append(int db, std::span<const std::string_view> effect, std::string_view resp) override;

  // ---- The network layer

  // Under the engine lock: the log offset the output produced now waits for (0: nothing).
  uint64_t ReplyBarrier() const {
    return is_open() ? appended_.load(std::memory_order_acquire) : 0;
  }
  // Any thread: whether output that waits for `barrier` may go: the log is on disk up to it
  // (always) or written up to it (everysec, no; or writes are failing), or the log is off.
  bool Released(uint64_t barrier) const;
  // An I/O thread with nothing else to do: write()s what is pending (and fsyncs it, always),
  // unless another thread is at it or writes are failing. Returns whether it did.
  bool Commit();
  // Whether a Commit has something to do.
  bool Pending() const;

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

 private:
  friend class RewriteSink;

  std::optional<std::string> ApplyAppendonly(bool on);
  std::optional<std::string> OpenExisting();
  // A new AOF from nothing at start-up (the dataset is empty): base, incr, manifest.
  std::optional<std::string> OpenFresh();
  std::optional<std::string> CreateIncr(const std::string& name, int* fd);
  std::optional<std::string> PersistManifest(const AofManifest& m);
  std::unique_ptr<ImageFormat> BaseFormat() const;
  std::string BaseName(int64_t seq) const;
  // Starts a rewrite; `enabling`: the log is being switched on and starts with it.
  std::optional<std::string> StartRewrite(bool enabling);
  // The job's Publish, under the lock: switches the manifest to the new base. Files dropped
  // are unlinked; their descriptors go to `doomed` so the job's thread frees them.
  std::optional<std::string> FinishRewrite(std::vector<int>* doomed);
  void CollectRewrite();
  void StartLogging(int fd, uint64_t file_size);
  void StartFlusher();
  void StopFlusher();
  void FlusherLoop();
  // Takes the buffer and write()s it (and what a failed write left); with `sync`, fdatasync()s
  // everything written.
  void Flush(bool sync);
  // Under write_mu_: write()s carry_. Returns false on error (state updated, logged).
  bool WriteCarry();
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

  // Under mu_ (Append), reset under the engine lock before the sink is added.
  int selected_db_ = -1;
  int64_t last_timestamp_s_ = 0;

  // The buffer and the flusher thread.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string buf_;  // appended, not yet taken by a writer
  bool stop_flusher_ = false;
  std::thread flusher_;

  std::atomic<bool> committing_{false};  // an I/O thread is in Commit
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

  // Rewriting (under the engine lock).
  std::unique_ptr<SnapshotJob> rewrite_;
  struct RewritePlan {
    std::string dir;
    AofManifest before;       // the manifest at the start (its files go once the base is in)
    AofFileInfo base;         // the new base
    int64_t first_kept_incr;  // incr files from this seq on stay (0: none, the log is off)
    bool enabling = false;    // the log started with this rewrite, into temp_incr
    std::string temp_incr;
  } plan_;
  bool rewrite_scheduled_ = false;
  int64_t rewrite_started_ms_ = 0;
  int64_t last_rewrite_time_s_ = -1;
  bool last_rewrite_ok_ = true;
  uint64_t rewrites_ = 0;
  int64_t rewrite_failures_ = 0;  // consecutive
  int64_t next_auto_rewrite_ms_ = 0;
  int64_t rewrite_base_size_ = 0;  // aof_current_size after the last rewrite or load
  // appendonly is on but the AOF on disk does not have it yet: the next rewrite switches the
  // log on (and restarts it, if it was logging into plan_.temp_incr).
  bool awaiting_base_ = false;
  std::optional<ReplPosition> loaded_position_;
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

// Shut-down, for server/main.cc once the network layer stopped: writes and fsyncs what is
// pending and closes the file (Redis's fsync on exit).
void CloseAof(Engine& engine);

// The aof_* lines of INFO persistence.
void AppendAofInfo(const Engine& engine, std::string* out);

}  // namespace ember
