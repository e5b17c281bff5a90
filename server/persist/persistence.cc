#include "server/persist/persistence.h"

#include <sys/stat.h>

#include <mutex>

#include "common/log.h"
#include "common/strings.h"
#include "server/engine.h"
#include "server/persist/rdb.h"
#include "server/persist/snapshot.h"
#include "server/repl/replication.h"

namespace ember {

namespace {

// Redis retries a failed background save from the rules only after this long.
constexpr int64_t kBgsaveRetryMs = 5000;

// "3600 1 300 100" -> {(3600, 1), (300, 100)}; "" -> none.
std::optional<std::vector<std::pair<int64_t, int64_t>>> ParseSaveRules(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  if (words.size() % 2 != 0) return std::nullopt;
  std::vector<std::pair<int64_t, int64_t>> rules;
  for (size_t k = 0; k < words.size(); k += 2) {
    auto seconds = ParseInt64(words[k]), changes = ParseInt64(words[k + 1]);
    if (!seconds || !changes || *seconds < 1 || *changes < 0) return std::nullopt;
    rules.emplace_back(*seconds, *changes);
  }
  return rules;
}

// BGSAVE's dump. Renamed into place under the engine lock, so that a save aborted meanwhile
// never replaces the newer dump of the SAVE that aborted it (SHUTDOWN, FLUSHALL); its directory
// synced after, without the lock: that fsync waits for the filesystem's journal, over 100 ms
// while other files are being written and synced, and every client waited for it at the end
// of each BGSAVE.
class DumpFile : public AtomicFile {
 public:
  using AtomicFile::AtomicFile;
  bool Publish() override { return Rename(); }
  void Published() override { SyncDir(); }
};

}  // namespace

Persistence::Persistence(Engine* engine) : engine_(engine) {
  lastsave_ms_ = engine->clock().NowMs();
  rules_ = *ParseSaveRules(save_text_ = "3600 1 300 100 60 10000");
}

Persistence::~Persistence() { StopBackground(); }

void Persistence::RegisterConfig(ConfigTable& t) {
  t.AddCustom(
      "save", save_text_, true, /*list_in_yaml=*/true,
      [this](std::string_view v) -> std::optional<std::string> {
        auto rules = ParseSaveRules(v);
        if (!rules) return "Invalid save parameters";
        rules_ = std::move(*rules);
        save_text_.clear();
        for (const auto& [s, c] : rules_) {
          save_text_ +=
              (save_text_.empty() ? "" : " ") + std::to_string(s) + " " + std::to_string(c);
        }
        return std::nullopt;
      },
      [this] { return save_text_; });
  t.AddCustom(
      "dbfilename", dbfilename_, true, false,
      [this](std::string_view v) -> std::optional<std::string> {
        if (v.empty() || v.find('/') != std::string_view::npos) {
          return "dbfilename can't be a path, just a filename";
        }
        dbfilename_ = std::string(v);
        return std::nullopt;
      },
      [this] { return dbfilename_; });
  t.MarkProtected("dbfilename");
  t.AddBool("rdbcompression", &compress_, true, true);
  t.AddBool("rdbchecksum", &checksum_, true, true);
  t.AddBool("stop-writes-on-bgsave-error", &stop_writes_on_error_, true, true);
}

std::string Persistence::Path() const {
  const std::string& dir = engine_->config().dir;
  return dir.empty() ? dbfilename_ : dir + "/" + dbfilename_;
}

std::vector<std::pair<std::string, std::string>> Persistence::AuxFields() const {
  return {{"redis-ver", kRedisVersion},
          {"redis-bits", "64"},
          {"ctime", std::to_string(engine_->clock().NowMs() / 1000)},
          {"used-mem", std::to_string(engine_->UsedMemory())},
          {"repl-stream-db", std::to_string(engine_->replication().stream_db())},
          {"repl-id", engine_->replication().replid()},
          {"repl-offset", std::to_string(engine_->replication().offset())},
          {"aof-base", "0"},
          {"ember-ver", kEmberVersion}};
}

bool Persistence::Save(std::string* error, bool count_as_saved) {
  if (bgsave_in_progress()) {
    *error = "Background save already in progress";
    return false;
  }
  uint64_t dirty = engine_->journal().dirty();
  AtomicFile file(Path());
  bool ok = file.Open();
  if (ok) {
    auto format = RdbImage(compress_, checksum_, AuxFields());
    ok = WriteImage(&engine_->keyspace(), format.get(),
                    [&](std::string bytes) { return file.Write(bytes); }) &&
         file.Commit();
  }
  if (!ok) {
    EMBER_LOG(kWarning, "%s", file.error().c_str());
    *error = "-ERR";  // Redis replies a bare -ERR to a failed SAVE
    return false;
  }
  EMBER_LOG(kNotice, "DB saved on disk");
  if (count_as_saved) engine_->journal().ConsumeDirty(dirty);
  lastsave_ms_ = engine_->clock().NowMs();
  last_bgsave_ok_ = true;
  ++rdb_saves_;
  return true;
}

bool Persistence::bgsave_in_progress() const { return bg_ && bg_->running(); }

Persistence::BgStart Persistence::BgSave(bool schedule, bool in_exec) {
  if (bgsave_in_progress()) return BgStart::kInProgress;
  if (bg_ && bg_->over()) Collect();
  // As Redis: SCHEDULE waits out another background job (Redis: another child), or an
  // abandoned save still winding down.
  // Another job: an AOF rewrite or a replica's full sync.
  bool other_job = !bg_ && engine_->SnapshotBusy();
  if (bg_ || other_job || in_exec) {
    if (!schedule && !in_exec) return other_job ? BgStart::kBusy : BgStart::kInProgress;
    scheduled_ = true;
    return BgStart::kScheduled;
  }
  auto file = std::make_unique<DumpFile>(Path());
  last_try_ms_ = engine_->clock().NowMs();
  if (!file->Open()) {
    EMBER_LOG(kWarning, "%s", file->error().c_str());
    last_bgsave_ok_ = false;
    return BgStart::kFailed;
  }
  bgsave_started_ms_ = last_try_ms_;
  dirty_at_start_ = engine_->journal().dirty();
  EMBER_LOG(kNotice, "Background saving started");
  bg_ = std::make_unique<SnapshotJob>(engine_->mu(), engine_->lock_waiters(), &engine_->keyspace(),
                                      RdbImage(compress_, checksum_, AuxFields()), std::move(file));
  return BgStart::kStarted;
}

void Persistence::AbortBackground() {
  if (!bgsave_in_progress()) return;
  EMBER_LOG(kNotice, "Background saving stopped");
  bg_->Abort();
}

void Persistence::Collect() {
  bg_->Join();  // over: the thread is exiting
  bool ok = bg_->ok(), aborted = bg_->aborted();
  if (!ok && !aborted) EMBER_LOG(kWarning, "%s", bg_->error().c_str());
  bg_.reset();
  if (aborted) return;  // not an error, and nothing was saved
  int64_t now = engine_->clock().NowMs();
  last_bgsave_time_s_ = (now - bgsave_started_ms_) / 1000;
  last_bgsave_ok_ = ok;
  if (ok) {
    engine_->journal().ConsumeDirty(dirty_at_start_);
    lastsave_ms_ = now;
    ++rdb_saves_;
    EMBER_LOG(kNotice, "Background saving terminated with success");
  } else {
    EMBER_LOG(kWarning, "Background saving error");
  }
}

void Persistence::Cron() {
  if (bg_) {
    if (!bg_->over()) return;
    Collect();
  }
  if (engine_->SnapshotBusy()) return;  // one background job at a time
  if (scheduled_) {
    scheduled_ = false;
    BgSave(false);
    return;
  }
  int64_t now = engine_->clock().NowMs();
  uint64_t dirty = engine_->journal().dirty();
  for (const auto& [seconds, changes] : rules_) {
    if (dirty >= uint64_t(changes) && now - lastsave_ms_ > seconds * 1000 &&
        (last_bgsave_ok_ || now - last_try_ms_ > kBgsaveRetryMs)) {
      EMBER_LOG(kNotice, "%lld changes in %lld seconds. Saving...", (long long)changes,
                (long long)seconds);
      BgSave(false);
      return;
    }
  }
}

bool Persistence::RefusesWrites() const {
  return stop_writes_on_error_.load(std::memory_order_relaxed) && !last_bgsave_ok_ &&
         !rules_.empty();
}

void Persistence::StopBackground() {
  SnapshotJob* job;
  {
    std::lock_guard lk(engine_->mu());
    AbortBackground();
    job = bg_.get();
  }
  if (job != nullptr) job->Join();
}

void Persistence::AppendInfo(std::string* out) const {
  auto field = [out](std::string_view name, const std::string& value) {
    out->append(name).append(":").append(value).append("\r\n");
  };
  int64_t now = engine_->clock().NowMs();
  field("loading", loading() ? "1" : "0");
  field("async_loading", "0");
  field("current_cow_peak", "0");
  field("current_cow_size", "0");
  field("current_cow_size_age", "0");
  field("current_fork_perc", "0.00");
  field("current_save_keys_processed", "0");
  field("current_save_keys_total", "0");
  field("rdb_changes_since_last_save", std::to_string(engine_->journal().dirty()));
  // Until Cron has collected a finished save, as Redis until it reaps the child: whoever sees
  // 0 here also sees the save's status, LASTSAVE and changes.
  bool running = bg_ && !bg_->aborted();
  field("rdb_bgsave_in_progress", running ? "1" : "0");
  field("rdb_last_save_time", std::to_string(lastsave_ms_ / 1000));
  field("rdb_last_bgsave_status", last_bgsave_ok_ ? "ok" : "err");
  field("rdb_last_bgsave_time_sec", std::to_string(last_bgsave_time_s_));
  field("rdb_current_bgsave_time_sec",
        std::to_string(running ? (now - bgsave_started_ms_) / 1000 : -1));
  field("rdb_saves", std::to_string(rdb_saves_));
  field("rdb_last_cow_size", "0");
  field("rdb_last_load_keys_expired", std::to_string(load_expired_));
  field("rdb_last_load_keys_loaded", std::to_string(load_loaded_));
}

bool Persistence::Load(std::string* error) {
  std::string path = Path();
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {  // nothing saved yet
    loading_ = false;
    return true;
  }
  FileSource src(path);
  if (!src.ok()) {
    *error = src.error();
    return false;
  }
  loading_ = true;
  int64_t started = engine_->clock().MonotonicUs();
  std::mutex& mu = engine_->mu();
  RdbLoader loader(&src, engine_->value_limits());
  // Keys are handed to the keyspace in batches, so that clients get -LOADING meanwhile
  // instead of waiting for the lock.
  std::vector<std::pair<int, Entry*>> batch;
  std::string fail;
  auto flush = [&] {
    std::lock_guard lk(mu);
    Keyspace& ks = engine_->keyspace();
    int64_t now = engine_->clock().NowMs();
    for (auto& [db, e] : batch) {
      if (!fail.empty() || db >= ks.num_dbs()) {
        if (fail.empty()) {
          fail =
              "FATAL: Data file was created with a Redis server configured to handle more "
              "than " +
              std::to_string(ks.num_dbs()) + " databases. Exiting";
        }
        Entry::Free(e);
        continue;
      }
      if (e->has_expire() && e->expire_ms() < now) {  // a primary drops what expired meanwhile
        Entry::Free(e);
        ++load_expired_;
        continue;
      }
      ks.db(db).Put(e);
      ++load_loaded_;
    }
    batch.clear();
  };
  ReplPosition position;
  int position_fields = 0;
  RdbLoadResult res = loader.Load(
      [&](int db, Entry* e) {
        batch.emplace_back(db, e);
        if (batch.size() >= 1024) {
          flush();
          if (!fail.empty()) loader.Fail(fail);
        }
      },
      [&](std::string_view key, std::string_view value) {
        auto n = ParseInt64(value);
        if (key == "repl-id" && value.size() == 40) {
          position.replid = std::string(value);
          ++position_fields;
        } else if (key == "repl-offset" && n && *n >= 0) {
          position.offset = uint64_t(*n);
          ++position_fields;
        } else if (key == "repl-stream-db" && n && *n >= 0 && *n < INT32_MAX) {
          position.stream_db = int(*n);
          ++position_fields;
        }
      });
  flush();
  loading_ = false;
  if (!fail.empty() && res.ok) {
    res.ok = false;
    res.error = fail;
  }
  if (!res.ok) {
    *error = "Short read or OOM loading DB. Unrecoverable error, aborting now. (" + res.error + ")";
    return false;
  }
  if (position_fields == 3) loaded_position_ = position;
  EMBER_LOG(kNotice, "DB loaded from disk: %.3f seconds",
            double(engine_->clock().MonotonicUs() - started) / 1e6);
  EMBER_LOG(kNotice, "Done loading RDB, keys loaded: %llu, keys expired: %llu.",
            (unsigned long long)load_loaded_, (unsigned long long)load_expired_);
  return true;
}

}  // namespace ember
