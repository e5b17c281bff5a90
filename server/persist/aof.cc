#include "server/persist/aof.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

#include "common/config_table.h"
#include "common/log.h"
#include "common/reply_builder.h"
#include "common/strings.h"
#include "server/engine.h"
#include "server/persist/persistence.h"
#include "server/persist/rdb.h"
#include "server/persist/snapshot.h"
#include "server/repl/replication.h"
#include "server/types/dump.h"

namespace ember {

namespace {

constexpr char kTempPrefix[] = "temp-";
constexpr size_t kManifestMaxLine = 1024;
constexpr size_t kReadChunk = 1 << 20;
// Longest "*<n>" / "$<n>" line accepted before its CRLF (a 64-bit number and a sign).
constexpr size_t kMaxNumberLine = 21;
// Write errors are logged when they start and then at most this often.
constexpr int64_t kErrorLogPeriodS = 30;

std::string Errno(int err) { return std::strerror(err); }

int64_t UnixSeconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

bool PathExists(const std::string& path, bool* is_dir = nullptr) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return false;
  if (is_dir != nullptr) *is_dir = S_ISDIR(st.st_mode);
  return true;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? int64_t(st.st_size) : 0;
}

std::optional<std::string> ReadWholeFile(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "can't open " + path + ": " + Errno(errno);
  out->clear();
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return "can't read " + path + ": " + Errno(err);
    }
    if (n == 0) break;
    out->append(buf, size_t(n));
  }
  close(fd);
  return std::nullopt;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      return false;
    }
    data.remove_prefix(size_t(n));
  }
  return true;
}

int SyncFd(int fd) {
  int rc;
  do {
    rc = fdatasync(fd);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

// Writes `data` to `path` through a temp file in the same directory: written, fsynced, renamed.
std::optional<std::string> WriteFileAtomically(const std::string& dir, const std::string& name,
                                               std::string_view data) {
  std::string tmp = dir + "/" + kTempPrefix + name;
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "can't create " + tmp + ": " + Errno(errno);
  if (!WriteAll(fd, data) || SyncFd(fd) != 0) {
    int err = errno;
    close(fd);
    unlink(tmp.c_str());
    return "can't write " + tmp + ": " + Errno(err);
  }
  close(fd);
  std::string path = dir + "/" + name;
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return "can't rename " + tmp + " to " + path + ": " + Errno(err);
  }
  SyncDirectory(dir);
  return std::nullopt;
}

// The replication position beside the AOF after a clean shut-down (see ReplPosition), with the
// last incr file's name and size then: it holds only while that file is exactly as it was.
struct SavedPosition {
  ReplPosition at;
  std::string incr;
  uint64_t size = 0;
};

std::string PositionFileName(std::string_view filename) {
  return std::string(filename) + ".repl-position";
}

std::string SerializePosition(const SavedPosition& p) {
  return "replid " + p.at.replid + "\noffset " + std::to_string(p.at.offset) + "\nstream-db " +
         std::to_string(p.at.stream_db) + "\nincr " + p.incr + " " + std::to_string(p.size) + "\n";
}

std::optional<SavedPosition> ParsePosition(const std::string& text) {
  std::istringstream in(text);
  std::string k1, k2, k3, k4, size;
  SavedPosition p;
  in >> k1 >> p.at.replid >> k2 >> p.at.offset >> k3 >> p.at.stream_db >> k4 >> p.incr >> size;
  auto n = ParseInt64(size);
  if (!in || k1 != "replid" || k2 != "offset" || k3 != "stream-db" || k4 != "incr" ||
      p.at.replid.size() != 40 || p.at.stream_db < 0 || !n || *n < 0) {
    return std::nullopt;
  }
  p.size = uint64_t(*n);
  return p;
}

// Files a crash left behind (a rewrite's base, the incr file of an AOF being switched on, a
// manifest being replaced): no manifest lists them.
void RemoveTempFiles(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* ent = readdir(d)) {
    std::string_view name = ent->d_name;
    if (name.starts_with(kTempPrefix)) {
      EMBER_LOG(kNotice, "Removing %s, left behind in the AOF directory", ent->d_name);
      unlinkat(dirfd(d), ent->d_name, 0);
    }
  }
  closedir(d);
}

// The AOF directory, created when missing.
std::optional<std::string> MakeDir(const std::string& dir) {
  bool is_dir = false;
  if (PathExists(dir, &is_dir)) {
    if (!is_dir) return "The AOF directory " + dir + " exists and is not a directory";
  } else if (mkdir(dir.c_str(), 0755) != 0) {
    return "Can't create the AOF directory " + dir + ": " + Errno(errno);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Manifest lines

// A file name as a manifest word: bare when it is plain printable text, else double-quoted with
// escapes (what SplitArgs reads back, and Redis too).
std::string ManifestWord(std::string_view name) {
  bool plain = !name.empty();
  for (unsigned char c : name) {
    if (c == '\\' || c == '"' || c == '\'' || !std::isprint(c) || std::isspace(c)) plain = false;
  }
  if (plain) return std::string(name);
  std::string out = "\"";
  for (unsigned char c : name) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (std::isprint(c)) {
          out += char(c);
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          out += buf;
        }
    }
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------------------------
// Reading a command stream

// Reads RESP commands from an open file, from a given offset, through a buffer that grows only
// as far as the command being read needs. Lengths are checked against the file's size before
// anything is read or allocated for them.
class CommandReader {
 public:
  enum class Result { kCommand, kEnd, kTruncated, kCorrupt, kIoError };

  CommandReader(int fd, uint64_t size, uint64_t offset) : fd_(fd), size_(size), buf_off_(offset) {}

  Result Next() {
    args_.clear();
    if (pos_ > kReadChunk) {  // drop what was consumed
      buf_.erase(0, pos_);
      buf_off_ += pos_;
      pos_ = 0;
    }
    for (;;) {
      start_ = offset();
      if (!Want(1)) return io_error_.empty() ? Result::kEnd : Result::kIoError;
      if (buf_[pos_] != '#') break;
      // An annotation line ("#TS:<unix time>"), up to its newline.
      size_t eol;
      for (size_t len = 1;; ++len) {
        if (!Want(len + 1)) return Fail(Result::kTruncated, "");
        if (buf_[pos_ + len] == '\n') {
          eol = pos_ + len;
          break;
        }
        if (len > kManifestMaxLine) return Fail(Result::kCorrupt, "annotation line too long");
      }
      pos_ = eol + 1;
    }
    if (buf_[pos_] != '*') return Fail(Result::kCorrupt, "expected '*' at the start of a command");
    int64_t argc;
    if (Result r = Number(&argc); r != Result::kCommand) return r;
    if (argc < 1) return Fail(Result::kCorrupt, "bad argument count", start_);
    for (int64_t i = 0; i < argc; ++i) {
      if (!Want(1)) return Fail(Result::kTruncated, "");
      if (buf_[pos_] != '$') return Fail(Result::kCorrupt, "expected '$' before an argument");
      uint64_t at = offset();
      int64_t len;
      if (Result r = Number(&len); r != Result::kCommand) return r;
      if (len < 0) return Fail(Result::kCorrupt, "bad argument length", at);
      if (!Want(size_t(len) + 2)) return Fail(Result::kTruncated, "");
      if (buf_[pos_ + size_t(len)] != '\r' || buf_[pos_ + size_t(len) + 1] != '\n') {
        pos_ += size_t(len);
        return Fail(Result::kCorrupt, "argument not followed by CRLF");
      }
      args_.emplace_back(buf_.data() + pos_, size_t(len));
      pos_ += size_t(len) + 2;
    }
    return Result::kCommand;
  }

  std::vector<std::string>& args() { return args_; }
  // Where the command last returned (or the problem's command) starts.
  uint64_t command_start() const { return start_; }
  // End of what was consumed.
  uint64_t offset() const { return buf_off_ + pos_; }
  uint64_t error_offset() const { return error_offset_; }
  const std::string& error() const { return error_; }

  // After kCorrupt: whether the problem is a run of zero bytes that goes on to the end of the
  // file, starting inside the command no later than the bad byte (or the CRLF pair it starts).
  // That is the tail a crash leaves when a file's new size reached the disk before its data
  // did: a truncation.
  bool ZeroTail() {
    size_t from = size_t(start_ - buf_off_);
    size_t limit = std::min(buf_.size(), size_t(error_offset_ - buf_off_) + 2);
    const char* z = from < limit
                        ? static_cast<const char*>(memchr(buf_.data() + from, 0, limit - from))
                        : nullptr;
    if (z == nullptr) return false;
    pos_ = size_t(z - buf_.data());
    return RestIsZero();
  }

 private:
  bool RestIsZero() {
    for (;;) {
      for (size_t i = pos_; i < buf_.size(); ++i) {
        if (buf_[i] != '\0') return false;
      }
      buf_off_ += buf_.size();
      buf_.clear();
      pos_ = 0;
      if (offset() >= size_) return true;
      if (!Want(std::min<uint64_t>(kReadChunk, size_ - offset()))) return false;
    }
  }

  Result Fail(Result r, std::string what, std::optional<uint64_t> at = std::nullopt) {
    error_ = std::move(what);
    error_offset_ = at ? *at : offset();
    return r;
  }

  // Reads "<integer>\r\n" after the type byte at pos_.
  Result Number(int64_t* out) {
    uint64_t at = offset();
    for (size_t len = 0;; ++len) {
      if (!Want(len + 2)) return Fail(Result::kTruncated, "");
      char c = buf_[pos_ + 1 + len];
      if (c == '\r') {
        if (!Want(len + 3)) return Fail(Result::kTruncated, "");
        if (buf_[pos_ + 2 + len] != '\n') {
          pos_ += len + 2;
          return Fail(Result::kCorrupt, "expected LF after CR");
        }
        auto n = ParseInt64(std::string_view(buf_.data() + pos_ + 1, len));
        if (!n) return Fail(Result::kCorrupt, "bad number", at);
        *out = *n;
        pos_ += len + 3;
        return Result::kCommand;
      }
      bool ok = std::isdigit(static_cast<unsigned char>(c)) || (len == 0 && c == '-');
      if (!ok || len >= kMaxNumberLine) {
        pos_ += 1 + len;
        return Fail(Result::kCorrupt, "bad number");
      }
    }
  }

  // Makes n bytes from pos_ available; false when the file has fewer (or a read failed).
  bool Want(size_t n) {
    if (buf_.size() - pos_ >= n) return true;
    if (offset() + n > size_) return false;
    while (buf_.size() - pos_ < n) {
      size_t old = buf_.size();
      size_t chunk = std::max(kReadChunk, n - (old - pos_));
      buf_.resize(old + chunk);
      ssize_t r;
      do {
        r = pread(fd_, buf_.data() + old, chunk, off_t(buf_off_ + old));
      } while (r < 0 && errno == EINTR);
      buf_.resize(old + size_t(std::max<ssize_t>(r, 0)));
      if (r < 0) io_error_ = Errno(errno);
      if (r <= 0) return false;
    }
    return true;
  }

  int fd_;
  uint64_t size_;
  std::string buf_;
  size_t pos_ = 0;
  uint64_t buf_off_;  // file offset of buf_[0]
  uint64_t start_ = 0;
  std::vector<std::string> args_;
  std::string error_;
  uint64_t error_offset_ = 0;
  std::string io_error_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Manifest

std::string AofManifestName(std::string_view filename) { return StrCat(filename, ".manifest"); }

std::string AofBaseName(std::string_view filename, int64_t seq, bool rdb) {
  return StrCat(filename, ".", std::to_string(seq), ".base", rdb ? ".rdb" : ".aof");
}

std::string AofIncrName(std::string_view filename, int64_t seq) {
  return StrCat(filename, ".", std::to_string(seq), ".incr.aof");
}

std::optional<std::string> AofManifest::Parse(std::string_view text, AofManifest* out) {
  AofManifest m;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++line_no;
    std::string where = "line " + std::to_string(line_no);
    if (line.size() > kManifestMaxLine) return where + " is too long";
    if (!line.empty() && line[0] == '#') continue;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
      line.remove_suffix(1);
    }
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) {
      line.remove_prefix(1);
    }
    if (line.empty()) continue;
    auto words = SplitArgs(line);  // Redis reads manifests with sdssplitargs
    // At least file, seq and type; more pairs are allowed (later Redis versions may add some).
    if (!words || words->size() < 6 || words->size() % 2 != 0) {
      return where + ": expected 'file <name> seq <n> type <b|h|i>'";
    }
    AofFileInfo info;
    bool have_name = false, have_seq = false, have_type = false;
    for (size_t i = 0; i < words->size(); i += 2) {
      const std::string& key = (*words)[i];
      const std::string& value = (*words)[i + 1];
      if (EqualsNoCase(key, "file")) {
        if (value.empty() || value.find('/') != std::string::npos) {
          return where + ": the file name must be a plain name, not a path";
        }
        info.name = value;
        have_name = true;
      } else if (EqualsNoCase(key, "seq")) {
        auto seq = ParseInt64(value);
        if (!seq || *seq <= 0) return where + ": bad seq '" + value + "'";
        info.seq = *seq;
        have_seq = true;
      } else if (EqualsNoCase(key, "type")) {
        if (value.size() != 1) return where + ": bad type '" + value + "'";
        info.type = AofFileInfo::Type(value[0]);
        have_type = true;
      }
    }
    if (!have_name || !have_seq || !have_type) {
      return where + ": expected 'file <name> seq <n> type <b|h|i>'";
    }
    switch (info.type) {
      case AofFileInfo::kBase:
        if (m.base) return where + ": a second base file";
        m.base_seq = info.seq;
        m.base = std::move(info);
        break;
      case AofFileInfo::kHistory:
        m.history.push_back(std::move(info));
        break;
      case AofFileInfo::kIncr:
        if (info.seq <= m.incr_seq) return where + ": incr file seqs must increase";
        m.incr_seq = info.seq;
        m.incrs.push_back(std::move(info));
        break;
      default:
        return where + ": unknown file type '" + std::string(1, char(info.type)) + "'";
    }
  }
  if (m.empty()) return "the manifest lists no files";
  *out = std::move(m);
  return std::nullopt;
}

std::string AofManifest::Serialize() const {
  std::string out;
  auto line = [&](const AofFileInfo& f, char type) {
    out += StrCat("file ", ManifestWord(f.name), " seq ", std::to_string(f.seq), " type ");
    out += type;
    out += '\n';
  };
  if (base) line(*base, AofFileInfo::kBase);
  for (const auto& f : history) line(f, AofFileInfo::kHistory);
  for (const auto& f : incrs) line(f, AofFileInfo::kIncr);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scanning a file

AofScanResult ScanAofFile(const std::string& path, const RestoreLimits& limits,
                          const AofKeyFn& on_key, const AofCommandFn& on_commands) {
  AofScanResult res;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    res.status = AofScanResult::kIoError;
    res.error = "can't open " + path + ": " + Errno(errno);
    if (fd >= 0) close(fd);
    return res;
  }
  res.size = uint64_t(st.st_size);
  uint64_t start = 0;
  char magic[5];
  if (res.size >= 5 && pread(fd, magic, 5, 0) == 5 && memcmp(magic, "REDIS", 5) == 0) {
    FileSource src(path);
    RdbLoader loader(&src, limits);
    bool refused = false;
    RdbLoadResult r = loader.Load(
        [&](int db, Entry* e) {
          if (!on_key) return Entry::Free(e);
          if (auto err = on_key(db, e)) {
            refused = true;
            loader.Fail(*err);
          }
        },
        nullptr);
    if (!r.ok) {
      close(fd);
      res.status = refused ? AofScanResult::kAborted : AofScanResult::kCorrupt;
      res.error = "RDB preamble: " + r.error;
      res.error_offset = r.bytes;
      return res;
    }
    res.rdb_bytes = start = r.bytes;
    res.rdb_keys = r.keys;
  }

  CommandReader reader(fd, res.size, start);
  res.valid_up_to = start;
  std::vector<std::vector<std::string>> block;  // commands of an open MULTI
  bool in_multi = false;
  uint64_t multi_start = 0;
  auto stop = [&](AofScanResult::Status status, std::string error, uint64_t at) {
    res.status = status;
    res.error = std::move(error);
    res.error_offset = at;
  };
  for (bool done = false; !done;) {
    switch (reader.Next()) {
      case CommandReader::Result::kCommand: {
        auto& args = reader.args();
        if (EqualsNoCase(args[0], "multi")) {
          if (in_multi) {
            stop(AofScanResult::kCorrupt, "MULTI inside MULTI", reader.command_start());
            done = true;
            break;
          }
          in_multi = true;
          multi_start = reader.command_start();
        } else if (EqualsNoCase(args[0], "exec")) {
          if (!in_multi) {
            stop(AofScanResult::kCorrupt, "EXEC without MULTI", reader.command_start());
            done = true;
            break;
          }
          in_multi = false;
          if (on_commands && !block.empty()) {
            if (auto err = on_commands(block, multi_start)) {
              stop(AofScanResult::kAborted, *err, multi_start);
              done = true;
              break;
            }
          }
          res.commands += block.size();
          block.clear();
          res.valid_up_to = reader.offset();
        } else if (in_multi) {
          block.push_back(std::move(args));
        } else {
          if (on_commands) {
            if (auto err = on_commands(std::span(&args, 1), reader.command_start())) {
              stop(AofScanResult::kAborted, *err, reader.command_start());
              done = true;
              break;
            }
          }
          ++res.commands;
          res.valid_up_to = reader.offset();
        }
        break;
      }
      case CommandReader::Result::kEnd:
        if (in_multi) {
          stop(AofScanResult::kTruncated,
               "MULTI at offset " + std::to_string(multi_start) + " has no EXEC", multi_start);
        }
        done = true;
        break;
      case CommandReader::Result::kTruncated:
        stop(AofScanResult::kTruncated,
             "incomplete command at offset " + std::to_string(reader.command_start()),
             reader.command_start());
        done = true;
        break;
      case CommandReader::Result::kCorrupt: {
        uint64_t at = reader.error_offset();
        std::string what = reader.error();
        if (reader.ZeroTail()) {
          stop(AofScanResult::kTruncated,
               "zero bytes from offset " + std::to_string(at) + " to the end",
               reader.command_start());
        } else {
          stop(AofScanResult::kCorrupt, what, at);
        }
        done = true;
        break;
      }
      case CommandReader::Result::kIoError:
        stop(AofScanResult::kIoError, "read error in " + path, reader.offset());
        done = true;
        break;
    }
  }
  close(fd);
  return res;
}

// ---------------------------------------------------------------------------------------------
// Replaying into the engine

namespace {

// Replays logged effects into the engine as a client of its own, holding the engine lock in
// stretches of a few ms. Nothing expires meanwhile (the log was written while its keys were
// live; its own DELs remove them) and nothing is evicted or refused for maxmemory (as Redis
// loads everything, then evicts). The counters that running commands bumps (commandstats,
// total_commands_processed, errorstats, keyspace hits) are put back afterwards: as in Redis,
// replayed commands are not client traffic. rdb_changes_since_last_save does count them, as it
// does in Redis.
class Replayer {
 public:
  explicit Replayer(Engine& engine) : engine_(engine), lk_(engine.mu(), std::defer_lock) {
    Lock();
    Keyspace& ks = engine_.keyspace();
    expire_on_access_ = ks.expire_on_access();
    ks.set_expire_on_access(false);
    ks.set_expiry_paused(true);
    // Everything is loaded, whatever maxmemory says (Redis evicts once it serves commands).
    maxmemory_ = engine_.config().maxmemory.exchange(0);
    stats_ = engine_.stats();
    hits_ = ks.keyspace_hits;
    misses_ = ks.keyspace_misses;
    for (auto& [name, cmd] : engine_.registry().all()) SaveCounters(cmd);
    client_.id = engine_.NextClientId();
    client_.authenticated = true;
    client_.loader = true;
    client_.name = "aof-loader";
  }

  ~Replayer() {
    if (!lk_.owns_lock()) lk_.lock();
    Keyspace& ks = engine_.keyspace();
    ks.set_expiry_paused(false);
    ks.set_expire_on_access(expire_on_access_);
    engine_.config().maxmemory = maxmemory_;
    engine_.stats() = stats_;
    ks.keyspace_hits = hits_;
    ks.keyspace_misses = misses_;
    for (auto& [cmd, c] : counters_) {
      cmd->calls = c[0];
      cmd->cycles = c[1];
      cmd->failed_calls = c[2];
      cmd->rejected_calls = c[3];
    }
    if (client_.block) engine_.CancelBlock(client_);
    engine_.Unwatch(client_);
  }

  // Every file is read by a client of its own in Redis: each starts in db 0.
  void StartFile(std::string file) {
    file_ = std::move(file);
    client_.db = 0;
    client_.in_multi = false;
  }

  std::optional<std::string> Commands(std::span<const std::vector<std::string>> cmds,
                                      uint64_t offset) {
    for (const auto& cmd : cmds) {
      Yield();
      views_.assign(cmd.begin(), cmd.end());
      if (engine_.registry().Find(cmd[0]) == nullptr) {
        return "unknown command '" + cmd[0].substr(0, 128) + "'";
      }
      reply_.clear();
      ReplyBuilder rb(&reply_);
      engine_.ExecuteInBatch(client_, CmdArgs(views_.data(), views_.size()), rb);
      if (client_.block) engine_.CancelBlock(client_);
      if (reply_.empty() || reply_[0] != '-') continue;
      std::string_view text = std::string_view(reply_).substr(1);
      if (text.size() >= 2) text.remove_suffix(2);
      if (EqualsNoCase(cmd[0], "select")) {
        return "SELECT " + (cmd.size() > 1 ? cmd[1] : std::string()) +
               " failed: " + std::string(text);
      }
      if (++failed_ <= 5) {
        EMBER_LOG(kWarning, "AOF %s: the command at offset %llu (%s) failed: %.*s", file_.c_str(),
                  (unsigned long long)offset, cmd[0].substr(0, 64).c_str(), int(text.size()),
                  text.data());
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> Key(int db, Entry* e) {
    Yield();
    if (db < 0 || db >= engine_.keyspace().num_dbs()) {
      Entry::Free(e);
      return "DB index " + std::to_string(db) + " is out of range (databases " +
             std::to_string(engine_.keyspace().num_dbs()) + ")";
    }
    engine_.keyspace().db(db).Put(e);
    return std::nullopt;
  }

  uint64_t failed() const { return failed_; }

 private:
  void Lock() {
    lk_.lock();
    engine_.BeginBatch();
    locked_at_ = std::chrono::steady_clock::now();
  }

  // Lets other threads (a network layer answering -LOADING) have the lock now and then.
  void Yield() {
    if (++since_check_ < 256) return;
    since_check_ = 0;
    if (std::chrono::steady_clock::now() - locked_at_ < std::chrono::milliseconds(5)) return;
    lk_.unlock();
    std::this_thread::yield();
    Lock();
  }

  void SaveCounters(CommandId& cmd) {
    counters_.push_back({&cmd, {cmd.calls, cmd.cycles, cmd.failed_calls, cmd.rejected_calls}});
    for (auto& [name, sub] : cmd.subcommands) SaveCounters(sub);
  }

  Engine& engine_;
  std::unique_lock<std::mutex> lk_;
  std::chrono::steady_clock::time_point locked_at_;
  int since_check_ = 0;
  ClientState client_;
  std::string file_;
  std::vector<std::string_view> views_;
  std::string reply_;
  uint64_t failed_ = 0;
  bool expire_on_access_ = true;
  int64_t maxmemory_ = 0;
  ServerStats stats_;
  uint64_t hits_ = 0, misses_ = 0;
  std::vector<std::pair<CommandId*, std::array<uint64_t, 4>>> counters_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Aof: configuration

Aof::Aof(Engine* engine) : engine_(engine) {}

Aof::~Aof() {
  StopRewrite();
  if (!open_) return;
  StopFlusher();
  Flush(true);
  std::lock_guard w(write_mu_);
  std::lock_guard f(fsync_mu_);
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void Aof::RegisterConfig(ConfigTable* t) {
  auto& c = config_;
  t->AddCustom(
      "appendonly", "no", true, false,
      [this](std::string_view v) -> std::optional<std::string> {
        bool on;
        if (EqualsNoCase(v, "yes")) {
          on = true;
        } else if (EqualsNoCase(v, "no")) {
          on = false;
        } else {
          return "argument must be 'yes' or 'no'";
        }
        if (armed_) {
          if (auto err = ApplyAppendonly(on)) return err;
        }
        config_.appendonly = on;
        return std::nullopt;
      },
      [this] { return std::string(config_.appendonly ? "yes" : "no"); });
  // Redis 7.0's checks and words.
  auto plain_name = [](std::string* target, const char* key, const char* noun) {
    return [target, key, noun](std::string_view v) -> std::optional<std::string> {
      if (v.empty() || v.find('/') != std::string_view::npos || v == "." || v == "..") {
        return StrCat(key, " can't be a path, just a ", noun);
      }
      *target = std::string(v);
      return std::nullopt;
    };
  };
  t->AddCustom("appendfilename", "appendonly.aof", false, false,
               plain_name(&c.filename, "appendfilename", "filename"), [&c] { return c.filename; });
  t->AddCustom("appenddirname", "appendonlydir", false, false,
               plain_name(&c.dirname, "appenddirname", "dirname"), [&c] { return c.dirname; });
  t->AddEnum("appendfsync", &c.fsync, {"everysec", "always", "no"}, int(AofFsync::kEverysec), true);
  t->AddBool("aof-load-truncated", &c.load_truncated, true, true);
  t->AddBool("aof-timestamp-enabled", &c.timestamps, false, true);
  t->AddBool("aof-use-rdb-preamble", &c.use_rdb_preamble, true, true);
  t->AddBool("aof-rewrite-incremental-fsync", &c.rewrite_incremental_fsync, true, true);
  t->AddInt("auto-aof-rewrite-percentage", &c.rewrite_percentage, 100, 0, INT32_MAX, true);
  t->AddMemory("auto-aof-rewrite-min-size", &c.rewrite_min_size, 64LL << 20, 0, true);
}

std::optional<std::string> Aof::ApplyAppendonly(bool on) {
  if (!on) {
    if (!is_open() && !awaiting_base_) return std::nullopt;
    Close();
    EMBER_LOG(kNotice, "AOF turned off");
    return std::nullopt;
  }
  if (is_open() || awaiting_base_) return std::nullopt;
  // As Redis: the AOF starts with a rewrite; while another one (or a BGSAVE) runs, once that is
  // over.
  if (rewrite_ || engine_->SnapshotBusy()) {
    if (rewrite_in_progress()) rewrite_->Abort();
    awaiting_base_ = true;
    rewrite_scheduled_ = true;
    EMBER_LOG(kNotice, "AOF turned on: the rewrite that starts it is scheduled");
    return std::nullopt;
  }
  if (auto err = StartRewrite(true)) {
    EMBER_LOG(kWarning, "Can't turn the AOF on: %s", err->c_str());
    return "Unable to turn on AOF. Check server logs.";
  }
  EMBER_LOG(kNotice, "AOF turned on: %s", dir_.c_str());
  return std::nullopt;
}

void Aof::DatasetReplaced() {
  if (!is_open() && !awaiting_base_) return;
  Close();
  ApplyAppendonly(true);
}

// ---------------------------------------------------------------------------------------------
// Aof: start-up

std::optional<std::string> Aof::LoadAndOpen() {
  if (!enabled() || is_open()) return std::nullopt;
  const ServerConfig& cfg = engine_->config();
  std::string dir = cfg.dir + "/" + config_.dirname;
  std::string manifest_path = dir + "/" + AofManifestName(config_.filename);
  std::string legacy_path = cfg.dir + "/" + config_.filename;
  bool is_dir = false;
  bool have_dir = PathExists(dir, &is_dir);
  if (have_dir && !is_dir) return "The AOF directory " + dir + " exists and is not a directory";

  if (have_dir) RemoveTempFiles(dir);
  // Read once: from the first write on, the AOF is past the position it names.
  std::optional<SavedPosition> saved;
  std::string position_path = dir + "/" + PositionFileName(config_.filename);
  std::string position_text;
  if (have_dir && PathExists(position_path) && !ReadWholeFile(position_path, &position_text)) {
    saved = ParsePosition(position_text);
    unlink(position_path.c_str());
  }
  AofManifest m;
  bool legacy = false;
  if (PathExists(manifest_path)) {
    std::string text;
    if (auto err = ReadWholeFile(manifest_path, &text))
      return "Can't read the AOF manifest: " + *err;
    if (auto err = AofManifest::Parse(text, &m)) {
      return "Bad AOF manifest " + manifest_path + ": " + *err;
    }
    // A Redis 6 AOF being moved in: the manifest naming it was written, the move was not.
    if (m.base && m.base->name == config_.filename && !PathExists(dir + "/" + m.base->name) &&
        PathExists(legacy_path)) {
      if (rename(legacy_path.c_str(), (dir + "/" + m.base->name).c_str()) != 0) {
        return "Can't move " + legacy_path + " into " + dir + ": " + Errno(errno);
      }
      SyncDirectory(dir);
    }
  } else {
    bool legacy_is_dir = false;
    legacy = PathExists(legacy_path, &legacy_is_dir) && !legacy_is_dir;
  }

  std::vector<std::string> files;
  if (legacy) {
    files.push_back(legacy_path);
  } else {
    if (m.base) files.push_back(dir + "/" + m.base->name);
    for (const auto& f : m.incrs) files.push_back(dir + "/" + f.name);
  }

  if (!files.empty()) {
    auto started = std::chrono::steady_clock::now();
    RestoreLimits limits;
    {
      std::lock_guard lk(engine_->mu());
      limits = engine_->value_limits();
    }
    uint64_t total_commands = 0, total_keys = 0, failed = 0;
    {
      Replayer replay(*engine_);
      for (size_t i = 0; i < files.size(); ++i) {
        const std::string& path = files[i];
        bool last = i + 1 == files.size();
        if (!PathExists(path)) return "The AOF file " + path + " doesn't exist";
        replay.StartFile(path);
        auto file_start = std::chrono::steady_clock::now();
        AofScanResult res = ScanAofFile(
            path, limits, [&](int db, Entry* e) { return replay.Key(db, e); },
            [&](std::span<const std::vector<std::string>> cmds, uint64_t offset) {
              return replay.Commands(cmds, offset);
            });
        total_commands += res.commands;
        total_keys += res.rdb_keys;
        std::string fix_hint = "make a backup of it, then check it with ember-check-aof " +
                               (legacy ? path : manifest_path);
        switch (res.status) {
          case AofScanResult::kOk:
            break;
          case AofScanResult::kTruncated:
            if (!last) {
              return "The AOF file " + path + " is truncated (" + res.error +
                     ") but is not the last file of the AOF: " + fix_hint;
            }
            if (!config_.load_truncated) {
              return "The AOF file " + path + " ends early (" + res.error + "): " + fix_hint +
                     " --fix, or set aof-load-truncated yes to load it up to its last complete "
                     "command";
            }
            EMBER_LOG(kWarning, "!!! The AOF file %s ends early: %s !!!", path.c_str(),
                      res.error.c_str());
            EMBER_LOG(kWarning,
                      "!!! Cutting %s at offset %llu, after its last complete command "
                      "(%llu bytes dropped) !!!",
                      path.c_str(), (unsigned long long)res.valid_up_to,
                      (unsigned long long)(res.size - res.valid_up_to));
            if (truncate(path.c_str(), off_t(res.valid_up_to)) != 0) {
              return "Can't truncate the AOF file " + path + ": " + Errno(errno);
            }
            EMBER_LOG(kWarning, "AOF %s loaded anyway because aof-load-truncated is enabled",
                      path.c_str());
            break;
          case AofScanResult::kCorrupt:
            return "Bad file format reading the AOF file " + path + " at offset " +
                   std::to_string(res.error_offset) + ": " + res.error + " (valid up to offset " +
                   std::to_string(res.valid_up_to) + "); " + fix_hint;
          case AofScanResult::kAborted:
            return "Can't replay the AOF file " + path + ": " + res.error + " (offset " +
                   std::to_string(res.error_offset) + ")";
          case AofScanResult::kIoError:
            return "Can't read the AOF file " + path + ": " + res.error;
        }
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - file_start).count();
        EMBER_LOG(kNotice, "DB loaded from %s %s: %llu keys, %llu commands, %.3f seconds",
                  legacy ? "AOF" : (i == 0 && m.base ? "base file" : "incr file"),
                  path.substr(path.rfind('/') + 1).c_str(), (unsigned long long)res.rdb_keys,
                  (unsigned long long)res.commands, secs);
      }
      failed = replay.failed();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string failures = failed ? ", " + std::to_string(failed) + " failed" : "";
    EMBER_LOG(kNotice, "DB loaded from append only file: %.3f seconds (%llu keys, %llu commands%s)",
              secs, (unsigned long long)total_keys, (unsigned long long)total_commands,
              failures.c_str());
  }

  std::lock_guard lk(engine_->mu());
  if (legacy) {
    // Redis 6's single file becomes the base of a directory, as Redis 7.0 upgrades it: the
    // manifest first (so that a crash before the move is finished by the next start).
    if (!have_dir && mkdir(dir.c_str(), 0755) != 0) {
      return "Can't create the AOF directory " + dir + ": " + Errno(errno);
    }
    dir_ = dir;
    AofManifest up;
    up.base = AofFileInfo{config_.filename, 1, AofFileInfo::kBase};
    up.base_seq = 1;
    if (auto err = PersistManifest(up)) return *err;
    if (rename(legacy_path.c_str(), (dir + "/" + config_.filename).c_str()) != 0) {
      return "Can't move " + legacy_path + " into " + dir + ": " + Errno(errno);
    }
    SyncDirectory(dir);
    SyncDirectory(cfg.dir);
    EMBER_LOG(kNotice, "Moved the AOF file %s into %s as its base", legacy_path.c_str(),
              dir.c_str());
    manifest_ = up;
    return OpenExisting();
  }
  if (files.empty()) return OpenFresh();
  dir_ = dir;
  manifest_ = m;
  if (auto err = OpenExisting()) return err;
  if (saved && !manifest_.incrs.empty() && manifest_.incrs.back().name == saved->incr &&
      file_size_ == saved->size) {
    loaded_position_ = saved->at;
  }
  return std::nullopt;
}

std::optional<std::string> LoadAof(Engine& engine) { return engine.aof().LoadAndOpen(); }

void CloseAof(Engine& engine) {
  {
    std::lock_guard lk(engine.mu());
    if (engine.aof().is_open()) {
      EMBER_LOG(kNotice, "Writing and fsyncing the AOF before exit");
    }
    ReplPosition at = engine.replication().position();
    engine.aof().Close(&at);
  }
  engine.aof().StopRewrite();
}

// Opens the last incr file of manifest_ for appending, or a new one when there is none.
std::optional<std::string> Aof::OpenExisting() {
  int fd = -1;
  int64_t last_size = 0;
  if (manifest_.incrs.empty()) {
    int64_t seq = manifest_.incr_seq + 1;
    if (auto err = CreateIncr(AofIncrName(config_.filename, seq), &fd)) return err;
    AofManifest m = manifest_;
    m.incrs.push_back(AofFileInfo{AofIncrName(config_.filename, seq), seq, AofFileInfo::kIncr});
    m.incr_seq = seq;
    if (auto err = PersistManifest(m)) {
      close(fd);
      unlink((dir_ + "/" + m.incrs.back().name).c_str());
      return err;
    }
    manifest_ = m;
    EMBER_LOG(kNotice, "Creating AOF incr file %s on server start",
              manifest_.incrs.back().name.c_str());
  } else {
    std::string path = dir_ + "/" + manifest_.incrs.back().name;
    fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return "Can't open the AOF file " + path + " for appending: " + Errno(errno);
    last_size = FileSize(path);
    EMBER_LOG(kNotice, "Opening AOF incr file %s on server start",
              manifest_.incrs.back().name.c_str());
  }
  base_size_ = manifest_.base ? FileSize(dir_ + "/" + manifest_.base->name) : 0;
  int64_t incrs = 0;
  for (const auto& f : manifest_.incrs) incrs += FileSize(dir_ + "/" + f.name);
  incr_size_ = incrs;
  rewrite_base_size_ = base_size_ + incrs;
  StartLogging(fd, uint64_t(last_size));
  return std::nullopt;
}

std::optional<std::string> Aof::CreateIncr(const std::string& name, int* fd) {
  std::string path = dir_ + "/" + name;
  *fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (*fd < 0) return "Can't create the AOF file " + path + ": " + Errno(errno);
  return std::nullopt;
}

std::optional<std::string> Aof::PersistManifest(const AofManifest& m) {
  if (auto err = WriteFileAtomically(dir_, AofManifestName(config_.filename), m.Serialize())) {
    return "Can't write the AOF manifest: " + *err;
  }
  return std::nullopt;
}

// What Redis writes as a base: an RDB file with its "aof-base" AUX field (aof-use-rdb-preamble
// yes, following rdbcompression and rdbchecksum), else commands.
std::unique_ptr<ImageFormat> Aof::BaseFormat() const {
  if (!config_.use_rdb_preamble) return AofCommandsImage();
  const Persistence& p = engine_->persistence();
  return RdbImage(p.compress(), p.checksum(),
                  {{"redis-ver", kRedisVersion},
                   {"redis-bits", "64"},
                   {"ctime", std::to_string(engine_->clock().NowMs() / 1000)},
                   {"used-mem", std::to_string(engine_->UsedMemory())},
                   {"aof-base", "1"}});
}

std::string Aof::BaseName(int64_t seq) const {
  return AofBaseName(config_.filename, seq, config_.use_rdb_preamble);
}

// Start-up without an AOF: the dataset is empty (nothing was loaded), so the base is written
// here and now.
std::optional<std::string> Aof::OpenFresh() {
  std::string dir = engine_->config().dir + "/" + config_.dirname;
  if (auto err = MakeDir(dir)) return err;
  dir_ = dir;
  AofManifest m;
  m.base = AofFileInfo{BaseName(1), 1, AofFileInfo::kBase};
  m.base_seq = 1;
  m.incrs.push_back(AofFileInfo{AofIncrName(config_.filename, 1), 1, AofFileInfo::kIncr});
  m.incr_seq = 1;
  AtomicFile base(dir + "/" + m.base->name);
  auto format = BaseFormat();
  if (!base.Open() ||
      !WriteImage(&engine_->keyspace(), format.get(),
                  [&](std::string bytes) { return base.Write(bytes); }) ||
      !base.Commit()) {
    return "Can't write the AOF base file: " + base.error();
  }
  int fd;
  if (auto err = CreateIncr(m.incrs[0].name, &fd)) return err;
  if (auto err = PersistManifest(m)) {
    close(fd);
    return err;
  }
  EMBER_LOG(kNotice, "Creating AOF base file %s on server start", m.base->name.c_str());
  EMBER_LOG(kNotice, "Creating AOF incr file %s on server start", m.incrs[0].name.c_str());
  manifest_ = m;
  base_size_ = FileSize(dir + "/" + m.base->name);
  incr_size_ = 0;
  rewrite_base_size_ = base_size_;
  StartLogging(fd, 0);
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Aof: rewriting

// The new base of a rewrite: a file whose publication also switches the manifest, and which
// frees the files the switch dropped on the job's thread, without the lock.
class RewriteSink : public AtomicFile {
 public:
  RewriteSink(Aof* aof, std::string path) : AtomicFile(std::move(path)), aof_(aof) {}
  ~RewriteSink() override {
    if (old_incr_fd_ >= 0) close(old_incr_fd_);
    for (int fd : doomed_) close(fd);
  }

  // The incr file the log left when the rewrite started.
  void set_old_incr(int fd) { old_incr_fd_ = fd; }

  bool Write(std::string_view bytes) override {
    // The incr file the log left at the start is complete: make it durable (it precedes the
    // new incr file in the manifest) and let it go, as Redis does in the background.
    if (old_incr_fd_ >= 0) {
      SyncFd(old_incr_fd_);
      close(old_incr_fd_);
      old_incr_fd_ = -1;
    }
    return AtomicFile::Write(bytes);
  }

  bool Publish() override {
    if (!AtomicFile::Publish()) return false;
    if (auto err = aof_->FinishRewrite(&doomed_)) {
      error_ = *err;
      unlink(path().c_str());
      return false;
    }
    return true;
  }

  const std::string& error() const override {
    return error_.empty() ? AtomicFile::error() : error_;
  }

 private:
  Aof* aof_;
  int old_incr_fd_ = -1;
  std::vector<int> doomed_;
  std::string error_;
};

bool Aof::rewrite_in_progress() const { return rewrite_ && rewrite_->running(); }

Aof::RewriteStart Aof::BgRewrite(bool in_exec) {
  if (rewrite_in_progress()) return RewriteStart::kInProgress;
  if (rewrite_ && rewrite_->over()) CollectRewrite();
  if (rewrite_ || engine_->SnapshotBusy() || in_exec) {
    rewrite_scheduled_ = true;
    return RewriteStart::kScheduled;
  }
  if (auto err = StartRewrite(awaiting_base_)) {
    EMBER_LOG(kWarning, "Can't rewrite the append only file in background: %s", err->c_str());
    return RewriteStart::kFailed;
  }
  return RewriteStart::kStarted;
}

std::optional<std::string> Aof::StartRewrite(bool enabling) {
  std::string dir = engine_->config().dir + "/" + config_.dirname;
  if (auto err = MakeDir(dir)) return err;
  // Retrying the rewrite that switches the log on: the log restarts with the new snapshot.
  if (enabling) Close();
  RewritePlan plan;
  plan.dir = dir;
  plan.enabling = enabling;
  if (is_open()) {
    plan.before = manifest_;
  } else {
    // The AOF on disk, if any: its seqs go on and its files go once the new base is in.
    std::string text;
    std::string path = dir + "/" + AofManifestName(config_.filename);
    if (!PathExists(path) || ReadWholeFile(path, &text) || AofManifest::Parse(text, &plan.before)) {
      plan.before = AofManifest{};
    }
  }
  int64_t base_seq = plan.before.base_seq + 1;
  plan.base = AofFileInfo{BaseName(base_seq), base_seq, AofFileInfo::kBase};
  auto sink = std::make_unique<RewriteSink>(this, dir + "/" + plan.base.name);
  if (!sink->Open()) return sink->error();

  int new_fd = -1;
  if (is_open()) {
    // Everything logged so far goes to the current incr file; from now on, to a new one that
    // the manifest lists at once, so a crash mid-rewrite still loads everything.
    Flush(policy() == AofFsync::kAlways);
    {
      // Bytes that failed to reach the file are in the snapshot: they must not go to the new
      // incr file too. Wait until the log can be written.
      std::lock_guard w(write_mu_);
      if (!carry_.empty()) return "the AOF can't be written at the moment";
    }
    int64_t seq = manifest_.incr_seq + 1;
    AofManifest m = manifest_;
    m.incrs.push_back(AofFileInfo{AofIncrName(config_.filename, seq), seq, AofFileInfo::kIncr});
    m.incr_seq = seq;
    if (auto err = CreateIncr(m.incrs.back().name, &new_fd)) return err;
    if (auto err = PersistManifest(m)) {
      close(new_fd);
      unlink((dir_ + "/" + m.incrs.back().name).c_str());
      return err;
    }
    plan.first_kept_incr = seq;
    manifest_ = m;
    int old_fd;
    {
      std::lock_guard w(write_mu_);
      std::lock_guard f(fsync_mu_);
      old_fd = fd_;
      fd_ = new_fd;
      file_size_ = 0;
    }
    sink->set_old_incr(old_fd);
    selected_db_ = -1;  // the new file starts with a SELECT
    EMBER_LOG(kNotice, "Creating AOF incr file %s on background rewrite",
              m.incrs.back().name.c_str());
  } else if (enabling) {
    // The log starts now, into a file no manifest lists until the base is in (as Redis's
    // temp-<appendfilename>.incr).
    dir_ = dir;
    plan.temp_incr = StrCat(kTempPrefix, config_.filename, ".incr");
    if (auto err = CreateIncr(plan.temp_incr, &new_fd)) return err;
    EMBER_LOG(kNotice, "Creating AOF incr file %s on background rewrite", plan.temp_incr.c_str());
  }
  plan_ = std::move(plan);
  rewrite_started_ms_ = engine_->clock().NowMs();
  // The same instant: the snapshot's point in time is where the new incr file starts.
  rewrite_ = std::make_unique<SnapshotJob>(engine_->mu(), engine_->lock_waiters(),
                                           &engine_->keyspace(), BaseFormat(), std::move(sink));
  if (enabling) {
    manifest_ = plan_.before;
    StartLogging(new_fd, 0);
    awaiting_base_ = true;
  }
  EMBER_LOG(kNotice, "Background append only file rewriting started");
  return std::nullopt;
}

std::optional<std::string> Aof::FinishRewrite(std::vector<int>* doomed) {
  const RewritePlan& plan = plan_;
  AofManifest m;
  m.base = plan.base;
  m.base_seq = plan.base.seq;
  m.incr_seq = plan.before.incr_seq;
  std::string old_dir = dir_;
  dir_ = plan.dir;  // PersistManifest writes there
  if (plan.enabling) {
    int64_t seq = plan.before.incr_seq + 1;
    AofFileInfo incr{AofIncrName(config_.filename, seq), seq, AofFileInfo::kIncr};
    if (rename((plan.dir + "/" + plan.temp_incr).c_str(), (plan.dir + "/" + incr.name).c_str())) {
      return "Can't rename " + plan.temp_incr + " to " + incr.name + ": " + Errno(errno);
    }
    m.incrs.push_back(incr);
    m.incr_seq = seq;
    awaiting_base_ = false;
  } else if (is_open()) {
    for (const auto& f : manifest_.incrs) {
      if (f.seq >= plan.first_kept_incr) m.incrs.push_back(f);
    }
    m.incr_seq = manifest_.incr_seq;
  }
  if (auto err = PersistManifest(m)) {
    dir_ = old_dir;
    return err;
  }
  std::vector<std::string> dropped;
  if (plan.before.base) dropped.push_back(plan.before.base->name);
  for (const auto& f : plan.before.history) dropped.push_back(f.name);
  for (const auto& f : plan.before.incrs) {
    if (!plan.first_kept_incr || f.seq < plan.first_kept_incr) dropped.push_back(f.name);
  }
  for (const auto& name : dropped) {
    if (name == m.base->name) continue;
    std::string path = plan.dir + "/" + name;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (unlink(path.c_str()) == 0) {
      EMBER_LOG(kNotice, "Removing the history file %s", name.c_str());
    }
    if (fd >= 0) doomed->push_back(fd);
  }
  SyncDirectory(plan.dir);
  if (is_open()) manifest_ = m;
  base_size_ = FileSize(plan.dir + "/" + m.base->name);
  int64_t incrs = 0;
  for (const auto& f : m.incrs) incrs += FileSize(plan.dir + "/" + f.name);
  incr_size_ = incrs;
  rewrite_base_size_ = base_size_ + incrs;
  return std::nullopt;
}

void Aof::CollectRewrite() {
  rewrite_->Join();  // over: the thread is exiting
  bool ok = rewrite_->ok(), aborted = rewrite_->aborted();
  std::string error = rewrite_->error();
  rewrite_.reset();
  if (aborted) return;
  int64_t now = engine_->clock().NowMs();
  last_rewrite_time_s_ = (now - rewrite_started_ms_) / 1000;
  last_rewrite_ok_ = ok;
  if (ok) {
    ++rewrites_;
    rewrite_failures_ = 0;
    EMBER_LOG(kNotice, "Background AOF rewrite finished successfully");
    return;
  }
  ++rewrite_failures_;
  EMBER_LOG(kWarning, "Background AOF rewrite failed: %s", error.c_str());
  // As Redis: after three failures in a row, automatic rewrites wait, 1 minute then doubling
  // up to an hour.
  if (rewrite_failures_ >= 3) {
    int64_t minutes =
        std::min<int64_t>(60, int64_t(1) << std::min<int64_t>(6, rewrite_failures_ - 3));
    next_auto_rewrite_ms_ = now + minutes * 60'000;
    EMBER_LOG(kWarning, "Background AOF rewrite has repeatedly failed, will retry in %lld minutes",
              (long long)minutes);
  }
  // appendonly yes waits for a base: try again.
  if (awaiting_base_) rewrite_scheduled_ = true;
}

void Aof::RestartRewrite() {
  if (!rewrite_in_progress()) return;
  rewrite_->Abort();
  rewrite_scheduled_ = true;
}

void Aof::Cron() {
  if (rewrite_) {
    if (!rewrite_->over()) return;
    CollectRewrite();
  }
  if (engine_->SnapshotBusy()) return;  // one background job at a time
  if (rewrite_scheduled_) {
    rewrite_scheduled_ = false;
    BgRewrite();
    return;
  }
  int64_t perc = config_.rewrite_percentage.load();
  int64_t size = base_size_.load() + incr_size_.load();
  int64_t now = engine_->clock().NowMs();
  if (!is_open() || perc <= 0 || size <= config_.rewrite_min_size.load() ||
      now < next_auto_rewrite_ms_) {
    return;
  }
  int64_t base = rewrite_base_size_ > 0 ? rewrite_base_size_ : 1;
  int64_t growth = size * 100 / base - 100;
  if (growth < perc) return;
  EMBER_LOG(kNotice, "Starting automatic rewriting of AOF on %lld%% growth", (long long)growth);
  BgRewrite();
}

void Aof::StopRewrite() {
  SnapshotJob* job;
  {
    std::lock_guard lk(engine_->mu());
    if (rewrite_in_progress()) rewrite_->Abort();
    job = rewrite_.get();
  }
  if (job != nullptr) job->Join();
}

// ---------------------------------------------------------------------------------------------
// Aof: logging

void Aof::StartLogging(int fd, uint64_t file_size) {
  {
    std::lock_guard w(write_mu_);
    std::lock_guard f(fsync_mu_);
    std::lock_guard lk(mu_);
    fd_ = fd;
    file_size_ = file_size;
    buf_.clear();
    carry_.clear();
    uint64_t end = appended_.load();
    written_ = end;
    synced_ = end;
    write_failing_ = false;
    fsync_failing_ = false;
    write_refused_ = false;
  }
  selected_db_ = -1;
  last_timestamp_s_ = 0;
  engine_->journal().AddSink(this);
  open_ = true;
  StartFlusher();
}

void Aof::Close(const ReplPosition* at) {
  // As Redis kills the rewriting child when the AOF goes off.
  if (rewrite_in_progress()) rewrite_->Abort();
  bool complete = !awaiting_base_;  // else the log goes to a temp file without a base yet
  awaiting_base_ = false;
  if (!is_open()) return;
  StopFlusher();
  Flush(true);
  engine_->journal().RemoveSink(this);
  if (at != nullptr && complete && !write_failing_ && !fsync_failing_ && !manifest_.incrs.empty()) {
    std::lock_guard w(write_mu_);
    SavedPosition p{*at, manifest_.incrs.back().name, file_size_};
    if (auto err =
            WriteFileAtomically(dir_, PositionFileName(config_.filename), SerializePosition(p))) {
      EMBER_LOG(kWarning, "Can't record the replication position beside the AOF: %s", err->c_str());
    }
  }
  {
    std::lock_guard w(write_mu_);
    std::lock_guard f(fsync_mu_);
    std::lock_guard lk(mu_);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    open_ = false;
    // Nothing is promised once the log is off: whoever waits goes on.
    buf_.clear();
    carry_.clear();
    written_ = appended_.load();
    synced_ = appended_.load();
    write_refused_ = false;
  }
}

void Aof::Append(int db, std::span<const std::string_view>, std::string_view resp) {
  std::lock_guard lk(mu_);
  size_t before = buf_.size();
  if (config_.timestamps.load(std::memory_order_relaxed)) {
    int64_t now_s = engine_->clock().NowMs() / 1000;
    if (now_s > last_timestamp_s_) {
      buf_ += "#TS:" + std::to_string(now_s) + "\r\n";
      last_timestamp_s_ = now_s;
    }
  }
  if (db != selected_db_) {
    buf_ += SelectCommand(db);
    selected_db_ = db;
  }
  buf_.append(resp);
  appended_.fetch_add(buf_.size() - before, std::memory_order_release);
}

bool Aof::Released(uint64_t barrier) const {
  if (!is_open()) return true;
  if (policy() == AofFsync::kAlways) return synced_.load(std::memory_order_acquire) >= barrier;
  return written_.load(std::memory_order_acquire) >= barrier ||
         write_refused_.load(std::memory_order_relaxed);
}

bool Aof::Pending() const {
  if (!is_open()) return false;
  uint64_t end = appended_.load(std::memory_order_acquire);
  const auto& done = policy() == AofFsync::kAlways ? synced_ : written_;
  return done.load(std::memory_order_acquire) < end;
}

bool Aof::Commit() {
  if (!Pending() || write_refused_.load(std::memory_order_relaxed)) return false;
  bool idle = false;
  if (!committing_.compare_exchange_strong(idle, true)) return false;
  Flush(policy() == AofFsync::kAlways);
  committing_ = false;
  return true;
}

void Aof::StartFlusher() {
  {
    std::lock_guard lk(mu_);
    stop_flusher_ = false;
  }
  flusher_ = std::thread([this] { FlusherLoop(); });
}

void Aof::StopFlusher() {
  {
    std::lock_guard lk(mu_);
    stop_flusher_ = true;
    cv_.notify_one();
  }
  if (flusher_.joinable()) flusher_.join();
}

// Once a second: the fsync of everysec, the write of whatever is left (the cron's effects) for
// every policy, the retry after a write error.
void Aof::FlusherLoop() {
  using clock = std::chrono::steady_clock;
  std::unique_lock lk(mu_);
  auto next_tick = clock::now() + std::chrono::seconds(1);
  while (!stop_flusher_) {
    if (clock::now() < next_tick) {
      cv_.wait_until(lk, next_tick);
      continue;
    }
    next_tick = clock::now() + std::chrono::seconds(1);
    lk.unlock();
    Flush(policy() != AofFsync::kNo);
    lk.lock();
  }
}

bool Aof::FlushForTest() {
  Flush(true);
  return !write_refused_ && written_ == appended_;
}

void Aof::Flush(bool sync) {
  uint64_t target;
  {
    std::lock_guard w(write_mu_);
    if (fd_ < 0) return;
    {
      std::lock_guard lk(mu_);
      if (carry_.empty()) {
        carry_.swap(buf_);
      } else {
        carry_.append(buf_);
        buf_.clear();
      }
    }
    if (!carry_.empty() && !WriteCarry()) return;
    target = written_.load();
  }
  if (sync && target > synced_.load()) {
    std::lock_guard f(fsync_mu_);
    if (fd_ >= 0 && target > synced_.load()) {
      fsync_in_progress_ = true;
      int rc = SyncFd(fd_);
      int err = errno;
      fsync_in_progress_ = false;
      if (rc != 0) {
        if (policy() == AofFsync::kAlways) Fatal("fsync", err);
        EMBER_LOG(kWarning, "Can't fsync the AOF file: %s; writes are refused until it works",
                  Errno(err).c_str());
        last_errno_ = err;
        fsync_failing_ = true;
        write_refused_ = true;
        return;
      }
      if (fsync_failing_.exchange(false)) {
        EMBER_LOG(kWarning, "The AOF file can be fsynced again: writes are accepted");
        write_refused_ = write_failing_.load();
      }
      synced_.store(target, std::memory_order_release);
    }
  }
}

bool Aof::WriteCarry() {
  size_t done = 0;
  int err = 0;
  while (done < carry_.size()) {
    ssize_t n = write(fd_, carry_.data() + done, carry_.size() - done);
    if (n > 0) {
      done += size_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      err = n < 0 ? errno : ENOSPC;
      break;
    }
  }
  if (done == carry_.size()) {
    written_.fetch_add(done, std::memory_order_release);
    incr_size_ += int64_t(done);
    file_size_ += done;
    carry_.clear();
    if (write_failing_.exchange(false)) {
      EMBER_LOG(kWarning, "The AOF write error is over: writes are accepted again");
      write_refused_ = fsync_failing_.load();
    }
    return true;
  }
  if (policy() == AofFsync::kAlways) Fatal("write", err);
  if (done > 0) {
    // Take back the half-written command so that a retry appends it whole; if that fails too,
    // keep what got written and retry with the rest.
    if (ftruncate(fd_, off_t(file_size_)) == 0) {
      done = 0;
    } else {
      EMBER_LOG(kWarning, "Can't remove a partial write from the AOF file: %s",
                Errno(errno).c_str());
      written_.fetch_add(done, std::memory_order_release);
      incr_size_ += int64_t(done);
      file_size_ += done;
      carry_.erase(0, done);
    }
  }
  last_errno_ = err;
  write_refused_ = true;
  bool starting = !write_failing_.exchange(true);
  int64_t now = UnixSeconds();
  if (starting || now - last_error_log_s_ >= kErrorLogPeriodS) {
    last_error_log_s_ = now;
    EMBER_LOG(kWarning,
              "Error writing to the AOF file: %s (%zu bytes pending); writes are refused until a "
              "retry succeeds",
              Errno(err).c_str(), carry_.size());
  }
  return false;
}

void Aof::Fatal(const char* what, int err) {
  EMBER_LOG(kWarning,
            "Can't %s the AOF file (%s) with appendfsync always: replies wait for it, so the "
            "server can't go on. Exiting...",
            what, Errno(err).c_str());
  _exit(1);
}

std::string Aof::WriteRefusedError() const {
  return "-MISCONF Errors writing to the AOF file: " + Errno(last_errno_.load());
}

// ---------------------------------------------------------------------------------------------
// INFO

void Aof::AppendInfo(std::string* out) const {
  auto field = [out](std::string_view name, const std::string& value) {
    out->append(name);
    out->push_back(':');
    out->append(value);
    out->append("\r\n");
  };
  bool open = is_open();
  bool failing = write_failing_.load() || fsync_failing_.load();
  field("aof_enabled", enabled() ? "1" : "0");  // on while it loads, too, as in Redis
  // Until Cron has collected a finished rewrite, as Redis until it reaps the child.
  bool running = rewrite_ && !rewrite_->aborted();
  int64_t now = engine_->clock().NowMs();
  field("aof_rewrite_in_progress", running ? "1" : "0");
  field("aof_rewrite_scheduled", rewrite_scheduled_ ? "1" : "0");
  field("aof_last_rewrite_time_sec", std::to_string(last_rewrite_time_s_));
  field("aof_current_rewrite_time_sec",
        std::to_string(running ? (now - rewrite_started_ms_) / 1000 : -1));
  field("aof_last_bgrewrite_status", last_rewrite_ok_ ? "ok" : "err");
  field("aof_rewrites", std::to_string(rewrites_));
  field("aof_rewrites_consecutive_failures", std::to_string(rewrite_failures_));
  field("aof_last_write_status", failing ? "err" : "ok");
  field("aof_last_cow_size", "0");
  if (!open) return;
  field("aof_current_size", std::to_string(base_size_.load() + incr_size_.load()));
  field("aof_base_size", std::to_string(base_size_.load()));
  field("aof_pending_rewrite", rewrite_scheduled_ ? "1" : "0");
  field("aof_buffer_length", std::to_string(appended_.load() - written_.load()));
  field("aof_pending_bio_fsync", fsync_in_progress_.load() ? "1" : "0");
  field("aof_delayed_fsync", "0");
}

void AppendAofInfo(const Engine& engine, std::string* out) { engine.aof().AppendInfo(out); }

}  // namespace ember
