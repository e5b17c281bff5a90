#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "server/db/keyspace.h"

namespace ember {

// What a snapshot produces, key by key: Redis's RDB format (RdbImage), or commands for an AOF
// base written without the RDB preamble.
class ImageFormat {
 public:
  virtual ~ImageFormat() = default;
  // The walker enters `db`, which holds about `keys` keys, `expires` of them with a deadline.
  virtual void BeginDb(int db, uint64_t keys, uint64_t expires) = 0;
  // The keys that follow are in `db`.
  virtual void SelectDb(int db) = 0;
  // One key as it is now; false (nothing written) when its deadline is before `now_ms`.
  virtual bool Key(const Entry* e, int64_t now_ms) = 0;
  virtual void Finish() = 0;
  // The bytes produced since the last call.
  virtual std::string Take() = 0;
};

// The RDB file (server/persist/rdb.h) with these AUX fields.
std::unique_ptr<ImageFormat> RdbImage(bool compress, bool checksum,
                                      const std::vector<std::pair<std::string, std::string>>& aux);

// The AOF base as commands (aof-use-rdb-preamble no; server/persist/aof_image.cc): the RESP
// commands that rebuild each key, as Redis 7.0's rewriteAppendOnlyFileRio writes them: SELECT
// when the db changes; SET; RPUSH, SADD, ZADD, HMSET with at most 64 items each; XADD, XSETID,
// XGROUP CREATE, XCLAIM and XGROUP CREATECONSUMER for streams; then PEXPIREAT. No trailer.
std::unique_ptr<ImageFormat> AofCommandsImage();

// The whole keyspace as it is now, in one go, handing the bytes to `out` as they are produced
// (false from `out` stops the walk and returns false). For callers that hold the lock
// throughout (SAVE, the first AOF base): it touches no snapshot marks, so a background
// snapshot running meanwhile is not disturbed.
bool WriteImage(Keyspace* ks, ImageFormat* format, const std::function<bool(std::string)>& out);

// A point-in-time image of the whole keyspace, produced while writes go on, without
// copying the dataset and without fork.
//
// Every entry carries the epoch of the last snapshot that saved it (Entry::snapshot_epoch).
// Starting a snapshot moves Entry::current_epoch on, so no entry counts as saved; entries
// created from then on take the new epoch, because they did not exist at the snapshot's point
// in time. A walker visits the tables with SCAN's cursor (which reaches every entry present
// throughout, across resizes) and saves each unsaved entry it meets. Before anything changes or
// removes an unsaved entry, the keyspace calls the snapshot (SnapshotHook), which saves the
// entry as it still is. So every key is saved once, with its value from the snapshot's start,
// and the extra memory is the output not yet written out, not a copy of the data.
//
// Not thread-safe: every call is made under the engine lock. A background driver calls Step()
// in short slices and writes TakeBytes() out between them without the lock.
class Snapshot : public SnapshotHook {
 public:
  // Fixes the point in time: the keyspace as it is now.
  Snapshot(Keyspace* ks, std::unique_ptr<ImageFormat> format);
  ~Snapshot() override;
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  // Walks on until about `budget` entries were saved (or ~1 ms passed). True once the image
  // is complete: the trailer is written and the keyspace no longer calls this snapshot.
  bool Step(size_t budget);
  // The bytes produced since the last call.
  std::string TakeBytes() { return format_->Take(); }
  // Stops early: the keyspace no longer calls this snapshot.
  void Abandon();

  uint64_t keys_saved() const { return keys_; }

  // SnapshotHook
  void BeforeChange(int db, Entry* e) override;
  void BeforeWholeDb(int db) override;

 private:
  void Save(int db, Entry* e);

  Keyspace* ks_;
  std::unique_ptr<ImageFormat> format_;
  int64_t start_ms_;
  uint16_t epoch_;
  int db_ = 0;               // the db the walker is in
  bool db_started_ = false;  // its SELECTDB/RESIZEDB are out
  uint64_t cursor_ = 0;
  int written_db_ = -1;  // the db of the last SELECTDB written
  uint64_t keys_ = 0;
  bool attached_ = true;
};

// Where a background snapshot's bytes go (a file for BGSAVE and the AOF rewrite).
class ImageSink {
 public:
  // Runs on the job's thread, without the lock: a sink may free what is slow to free there.
  virtual ~ImageSink() = default;
  // Without the lock.
  virtual bool Write(std::string_view bytes) = 0;
  // Without the lock, after the last bytes: makes them durable.
  virtual bool Sync() = 0;
  // Under the lock, unless the job was aborted: puts the image in place.
  virtual bool Publish() = 0;
  // Without the lock, after Publish() succeeded and before the job is over: the part of
  // making the image durable that may wait on the disk and need not hold clients up.
  virtual void Published() {}
  virtual const std::string& error() const = 0;
};

// A Snapshot written to a sink by a thread of its own: slices of about a millisecond under the
// engine lock, each slice's bytes written out between them without it. One runs at a time
// (the keyspace has one SnapshotHook): BGSAVE and BGREWRITEAOF wait for each other.
//
// Under the engine lock unless said otherwise.
class SnapshotJob {
 public:
  // Fixes the point in time (the keyspace as it is now) and starts the thread. `lock_waiters`
  // counts the clients waiting for `mu` (Engine::lock_waiters).
  SnapshotJob(std::mutex& mu, const std::atomic<int>& lock_waiters, Keyspace* ks,
              std::unique_ptr<ImageFormat> format, std::unique_ptr<ImageSink> sink);
  // Waits for the thread: never under the lock.
  ~SnapshotJob();
  SnapshotJob(const SnapshotJob&) = delete;
  SnapshotJob& operator=(const SnapshotJob&) = delete;

  // Stops early: the keyspace no longer calls the snapshot at once, the sink is not published.
  void Abort();
  // The snapshot is still being taken (not over, not aborted).
  bool running() const { return snap_ != nullptr; }
  // The thread's work is over (done, failed or aborted): Join() returns at once.
  bool over() const { return over_; }
  bool ok() const { return ok_; }
  bool aborted() const { return aborted_; }
  const std::string& error() const { return error_; }
  // Waits for the thread to exit. Called without the lock, or once over().
  void Join();

 private:
  void Run();
  void End(bool ok);  // under the lock

  std::mutex& mu_;
  const std::atomic<int>& lock_waiters_;
  std::unique_ptr<Snapshot> snap_;
  std::unique_ptr<ImageSink> sink_;  // the thread's, destroyed on it
  bool over_ = false, ok_ = false, aborted_ = false;
  std::string error_;
  std::thread thread_;
};

// fsyncs a directory, so that a rename or a new file in it survives a crash.
void SyncDirectory(const std::string& dir);

// A file written under a temporary name, fsynced and renamed over `path` on Commit(), so a
// crash mid-save never leaves a partial file where a complete one is expected.
class AtomicFile : public ImageSink {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile() override;  // an uncommitted file is removed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // False, with error(), when the temporary file cannot be created or written.
  bool Open();
  bool Write(std::string_view bytes) override;
  // Sync() makes the bytes durable; Publish() renames the file into place and syncs the
  // directory, so that the rename survives a crash. Commit() does both.
  // A file replaced by Publish() is freed by the destructor, not by the rename: freeing a
  // large file's blocks takes a while, and Publish() may run under the engine lock.
  bool Sync() override;
  bool Publish() override;
  bool Commit() { return Sync() && Publish(); }
  const std::string& error() const override { return error_; }
  const std::string& path() const { return path_; }

 protected:
  // Publish() in its two steps, for a sink that keeps the second out of the engine lock: the
  // directory's fsync waits for the filesystem's journal, which takes over 100 ms while other
  // files are being written and synced (ext4), where the rename takes a few ms at most.
  bool Rename();
  void SyncDir();

 private:
  void Fail(const char* what);

  std::string path_, temp_;
  int fd_ = -1;
  int replaced_fd_ = -1;  // keeps the replaced file's blocks until the destructor
  std::string error_;
};

}  // namespace ember
