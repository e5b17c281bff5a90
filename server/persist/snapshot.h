#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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

// A file written under a temporary name, fsynced and renamed over `path` on Commit(), so a
// crash mid-save never leaves a partial file where a complete one is expected.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // an uncommitted file is removed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // False, with error(), when the temporary file cannot be created or written.
  bool Open();
  bool Write(std::string_view bytes);
  // Sync() makes the bytes durable; Publish() renames the file into place. Commit() does both.
  // A file replaced by Publish() is freed by the destructor, not by the rename: freeing a
  // large file's blocks takes a while, and Publish() may run under the engine lock.
  bool Sync();
  bool Publish();
  bool Commit() { return Sync() && Publish(); }
  const std::string& error() const { return error_; }

 private:
  void Fail(const char* what);

  std::string path_, temp_;
  int fd_ = -1;
  int replaced_fd_ = -1;  // keeps the replaced file's blocks until the destructor
  std::string error_;
};

}  // namespace ember
