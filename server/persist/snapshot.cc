#include "server/persist/snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "server/persist/rdb.h"

namespace ember {

namespace {

class RdbFormat : public ImageFormat {
 public:
  RdbFormat(bool compress, bool checksum,
            const std::vector<std::pair<std::string, std::string>>& aux)
      : w_(compress, checksum) {
    w_.Header();
    for (const auto& [k, v] : aux) w_.Aux(k, v);
  }
  void BeginDb(int db, uint64_t keys, uint64_t expires) override {
    w_.SelectDb(db);
    w_.ResizeDb(keys, expires);
  }
  void SelectDb(int db) override { w_.SelectDb(db); }
  bool Key(const Entry* e, int64_t now_ms) override { return w_.Key(e, now_ms); }
  void Finish() override { w_.Finish(); }
  std::string Take() override { return w_.Take(); }

 private:
  RdbWriter w_;
};

}  // namespace

std::unique_ptr<ImageFormat> RdbImage(bool compress, bool checksum,
                                      const std::vector<std::pair<std::string, std::string>>& aux) {
  return std::make_unique<RdbFormat>(compress, checksum, aux);
}

bool WriteImage(Keyspace* ks, ImageFormat* format, const std::function<bool(std::string)>& out) {
  constexpr size_t kKeysPerWrite = 1024;
  int64_t now = ks->now_ms();
  bool ok = true;
  size_t keys = 0;
  for (int db = 0; db < ks->num_dbs() && ok; ++db) {
    Db& d = ks->db(db);
    if (d.size() == 0) continue;
    format->BeginDb(db, d.size(), d.expires_size());
    d.ForEach([&](Entry* e) {
      if (!ok) return;
      format->Key(e, now);
      if (++keys % kKeysPerWrite == 0) ok = out(format->Take());
    });
  }
  if (!ok) return false;
  format->Finish();
  return out(format->Take());
}

Snapshot::Snapshot(Keyspace* ks, std::unique_ptr<ImageFormat> format)
    : ks_(ks), format_(std::move(format)), start_ms_(ks->now_ms()) {
  if (++Entry::current_epoch == 0) {
    // The epoch wrapped (once every 65535 snapshots): an entry untouched since then would
    // look saved. Reset every mark and start over from 1.
    for (int i = 0; i < ks->num_dbs(); ++i) {
      ks->db(i).ForEach([](Entry* e) { e->set_snapshot_epoch(0); });
    }
    Entry::current_epoch = 1;
  }
  epoch_ = Entry::current_epoch;
  ks_->set_snapshot(this);
}

Snapshot::~Snapshot() { Abandon(); }

void Snapshot::Abandon() {
  if (attached_ && ks_->snapshot() == this) ks_->set_snapshot(nullptr);
  attached_ = false;
}

void Snapshot::Save(int db, Entry* e) {
  e->set_snapshot_epoch(epoch_);
  if (written_db_ != db) {
    format_->SelectDb(db);
    written_db_ = db;
  }
  // A key already past its deadline at the start is not part of the image.
  if (format_->Key(e, start_ms_)) ++keys_;
}

void Snapshot::BeforeChange(int db, Entry* e) {
  if (e->snapshot_epoch() != epoch_) Save(db, e);
}

void Snapshot::BeforeWholeDb(int db) { ks_->db(db).SaveUnsaved(this); }

bool Snapshot::Step(size_t budget) {
  if (!attached_) return true;
  constexpr int64_t kSliceUs = 1000;
  int64_t started = ks_->clock().MonotonicUs();
  size_t visited = 0, buckets = 0;
  while (db_ < ks_->num_dbs()) {
    Db& d = ks_->db(db_);
    if (!db_started_) {
      if (d.size() == 0) {
        ++db_;
        continue;
      }
      format_->BeginDb(db_, d.size(), d.expires_size());
      written_db_ = db_;
      db_started_ = true;
      cursor_ = 0;
    }
    cursor_ = d.Scan(cursor_, [&](Entry* e) {
      if (e->snapshot_epoch() != epoch_) Save(db_, e);
      ++visited;
    });
    if (cursor_ == 0) {
      ++db_;
      db_started_ = false;
    }
    // Buckets are small; look at the clock only now and then.
    if (visited >= budget ||
        (++buckets % 64 == 0 && ks_->clock().MonotonicUs() - started > kSliceUs)) {
      return false;
    }
  }
  format_->Finish();
  Abandon();
  return true;
}

// ---------------------------------------------------------------------------------------------
// SnapshotJob

SnapshotJob::SnapshotJob(std::mutex& mu, const std::atomic<int>& lock_waiters, Keyspace* ks,
                         std::unique_ptr<ImageFormat> format, std::unique_ptr<ImageSink> sink)
    : mu_(mu),
      lock_waiters_(lock_waiters),
      snap_(std::make_unique<Snapshot>(ks, std::move(format))),
      sink_(std::move(sink)),
      thread_(&SnapshotJob::Run, this) {}

SnapshotJob::~SnapshotJob() { Join(); }

void SnapshotJob::Join() {
  if (thread_.joinable()) thread_.join();
}

void SnapshotJob::Abort() {
  if (over_) return;
  snap_.reset();  // detaches from the keyspace
  aborted_ = true;
}

void SnapshotJob::End(bool ok) {
  snap_.reset();
  if (!ok && !aborted_) error_ = sink_->error();
  ok_ = ok && !aborted_;
}

void SnapshotJob::Run() {
  bool ok = true, done = false;
  while (ok && !done) {
    std::string bytes;
    auto slice_start = std::chrono::steady_clock::now();
    {
      std::lock_guard lk(mu_);
      if (aborted_) break;
      done = snap_->Step(16384);
      bytes = snap_->TakeBytes();
    }
    auto released = std::chrono::steady_clock::now();
    bool contended = lock_waiters_.load(std::memory_order_relaxed) > 0;
    ok = sink_->Write(bytes);
    // std::mutex is not fair: taken again at once, slices would run back to back while
    // clients wait. When some did wait, leaving the lock alone for as long as the slice held
    // it (the write counts) caps a client's wait at about one slice. Nobody waiting, the job
    // runs flat out (a full sync's speed is the replica's time to link up).
    auto held = released - slice_start;
    auto free_so_far = std::chrono::steady_clock::now() - released;
    if (contended && held > free_so_far) std::this_thread::sleep_for(held - free_so_far);
  }
  ok = ok && done && sink_->Sync();
  {
    // Publishing happens under the lock, so that a job aborted meanwhile (SHUTDOWN saves anew)
    // never replaces a newer file.
    std::lock_guard lk(mu_);
    ok = ok && !aborted_ && sink_->Publish();
    End(ok);
  }
  // Without the lock, and before over_, so that whoever sees the job over sees it durable.
  if (ok) sink_->Published();
  sink_.reset();  // without the lock: a sink may free a large replaced file here
  std::lock_guard lk(mu_);
  over_ = true;
}

// ---------------------------------------------------------------------------------------------
// AtomicFile

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  size_t slash = path_.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path_.substr(0, slash + 1);
  static std::atomic<uint64_t> serial{0};
  temp_ = dir + "temp-" + std::to_string(getpid()) + "-" + std::to_string(++serial) + "-" +
          path_.substr(slash == std::string::npos ? 0 : slash + 1);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) {
    close(fd_);
    unlink(temp_.c_str());
  }
  if (replaced_fd_ >= 0) close(replaced_fd_);
}

void AtomicFile::Fail(const char* what) {
  error_ = std::string(what) + " " + temp_ + ": " + strerror(errno);
}

bool AtomicFile::Open() {
  fd_ = open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    Fail("Failed opening the temp RDB file");
    return false;
  }
  return true;
}

bool AtomicFile::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      Fail("Write error saving DB on disk:");
      return false;
    }
    bytes.remove_prefix(size_t(n));
  }
  return true;
}

bool AtomicFile::Sync() {
  if (fsync(fd_) != 0) {
    Fail("Failed to fsync");
    return false;
  }
  return true;
}

bool AtomicFile::Publish() {
  if (!Rename()) return false;
  SyncDir();
  return true;
}

bool AtomicFile::Rename() {
  close(fd_);
  fd_ = -1;
  replaced_fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (rename(temp_.c_str(), path_.c_str()) != 0) {
    error_ = "Error moving temp DB file " + temp_ + " on the final destination " + path_ + ": " +
             strerror(errno);
    unlink(temp_.c_str());
    return false;
  }
  return true;
}

void AtomicFile::SyncDir() {
  // The rename itself must survive a crash: sync the directory.
  size_t slash = path_.rfind('/');
  SyncDirectory(slash == std::string::npos ? "." : path_.substr(0, slash + 1));
}

void SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

}  // namespace ember
