#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/config_table.h"
#include "server/journal.h"

namespace ember {

class Engine;
class SnapshotJob;

// RDB persistence: the `save` rules, SAVE, BGSAVE, the dump loaded at start-up, and the state
// INFO persistence reports. A background save is a SnapshotJob (server/persist/snapshot.h):
// a thread of its own advances the snapshot in slices of about a millisecond under the engine
// lock and writes each slice's bytes out between them without the lock.
//
// Unless said otherwise, methods are called under the engine lock.
class Persistence {
 public:
  explicit Persistence(Engine* engine);
  ~Persistence();

  // save, dbfilename, rdbcompression, rdbchecksum, stop-writes-on-bgsave-error.
  void RegisterConfig(ConfigTable& t);

  // SAVE: writes the whole image now, holding the lock throughout. False with the reason.
  // `count_as_saved` false leaves rdb_changes_since_last_save alone (FLUSHALL's save).
  bool Save(std::string* error, bool count_as_saved = true);
  enum class BgStart { kStarted, kInProgress, kScheduled, kBusy, kFailed };
  // BGSAVE [SCHEDULE]: with `schedule`, a save asked for while one runs (or while the AOF is
  // rewritten: kBusy without it) starts after it. Inside EXEC it is always scheduled, as Redis
  // does (the cron starts it).
  BgStart BgSave(bool schedule, bool in_exec = false);
  bool bgsave_in_progress() const;
  // A background save's thread still runs (possibly winding down after an abort).
  bool job_active() const { return bg_ != nullptr; }
  // Abandons a running background save, which is not an error (SHUTDOWN and FLUSHALL save
  // synchronously instead, as Redis kills its child).
  void AbortBackground();
  // The save rules, a scheduled BGSAVE, and collecting a background save that ended.
  void Cron();
  // stop-writes-on-bgsave-error: the last background save failed and rules exist, so writes
  // get -MISCONF.
  bool RefusesWrites() const;
  bool has_save_rules() const { return !rules_.empty(); }
  // rdbcompression (DUMP follows it too, as in Redis).
  bool compress() const { return compress_.load(std::memory_order_relaxed); }
  bool checksum() const { return checksum_.load(std::memory_order_relaxed); }
  int64_t lastsave_s() const { return lastsave_ms_ / 1000; }
  // INFO persistence: loading and the rdb_* fields.
  void AppendInfo(std::string* out) const;

  // Ends a background save early and waits for its thread. Called without the lock.
  void StopBackground();

  // Start-up: loads dir/dbfilename if there is one, while clients get -LOADING. Called without
  // the lock (it takes it per batch of keys). False, with the reason, when the file is bad.
  bool Load(std::string* error);
  // The replication position the loaded file recorded (its repl-* AUX fields), if any.
  const std::optional<ReplPosition>& loaded_position() const { return loaded_position_; }
  bool loading() const { return loading_.load(std::memory_order_relaxed); }
  // Called before the server accepts clients, so that the first of them already gets -LOADING
  // (Load() clears it when there is no dump; EndLoading() after the AOF is loaded).
  void BeginLoading() { loading_ = true; }
  void EndLoading() { loading_ = false; }

 private:
  std::string Path() const;
  std::vector<std::pair<std::string, std::string>> AuxFields() const;
  void Collect();  // Cron's side of a finished save: status, LASTSAVE, log

  Engine* engine_;
  std::string save_text_;                           // the `save` value as given
  std::vector<std::pair<int64_t, int64_t>> rules_;  // (seconds, changes)
  std::string dbfilename_ = "dump.rdb";
  std::atomic<bool> compress_{true}, checksum_{true}, stop_writes_on_error_{true};

  int64_t lastsave_ms_ = 0;
  int64_t last_try_ms_ = 0;
  bool last_bgsave_ok_ = true;
  int64_t last_bgsave_time_s_ = -1;
  int64_t bgsave_started_ms_ = 0;
  uint64_t dirty_at_start_ = 0;
  bool scheduled_ = false;
  // A background save, until Cron collects it.
  std::unique_ptr<SnapshotJob> bg_;
  std::atomic<bool> loading_{false};
  uint64_t load_loaded_ = 0, load_expired_ = 0;
  std::optional<ReplPosition> loaded_position_;
  uint64_t rdb_saves_ = 0;
};

}  // namespace ember
