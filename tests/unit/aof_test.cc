#include "server/persist/aof.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "server/types/dump.h"
#include "tests/tools/rdb_text.h"
#include "tests/unit/test_base.h"

namespace ember {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), std::streamsize(data.size()));
}

std::string Resp(std::initializer_list<std::string_view> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args) out += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
  return out;
}

std::string Select(int db) { return Resp({"SELECT", std::to_string(db)}); }

// ---------------------------------------------------------------------------------------------
// Manifest

TEST(AofManifestTest, ParsesWhatRedisWrites) {
  AofManifest m;
  ASSERT_EQ(AofManifest::Parse("file appendonly.aof.1.base.rdb seq 1 type b\n"
                               "file appendonly.aof.1.incr.aof seq 1 type i\n"
                               "file appendonly.aof.2.incr.aof seq 2 type i\n",
                               &m),
            std::nullopt);
  ASSERT_TRUE(m.base);
  EXPECT_EQ(m.base->name, "appendonly.aof.1.base.rdb");
  EXPECT_EQ(m.base_seq, 1);
  ASSERT_EQ(m.incrs.size(), 2u);
  EXPECT_EQ(m.incrs[1].name, "appendonly.aof.2.incr.aof");
  EXPECT_EQ(m.incr_seq, 2);
  EXPECT_EQ(m.Serialize(),
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n");
}

TEST(AofManifestTest, AcceptsCommentsFieldOrderQuotesAndUnknownKeys) {
  AofManifest m;
  ASSERT_EQ(AofManifest::Parse("# written by hand\n"
                               "  type i seq 7 file \"my file\\x21.aof\" extra 1  \r\n"
                               "file 'it\\'s' seq 3 type h\n"
                               "file only.incr seq 8 type i",  // no final newline
                               &m),
            std::nullopt);
  EXPECT_FALSE(m.base);
  ASSERT_EQ(m.incrs.size(), 2u);
  EXPECT_EQ(m.incrs[0].name, "my file!.aof");
  EXPECT_EQ(m.incrs[0].seq, 7);
  ASSERT_EQ(m.history.size(), 1u);
  EXPECT_EQ(m.history[0].name, "it's");
}

TEST(AofManifestTest, QuotedNamesRoundTrip) {
  AofManifest m;
  m.base = AofFileInfo{"a b\"c\\d\n\x01.rdb", 4, AofFileInfo::kBase};
  m.incrs.push_back(AofFileInfo{"plain.aof", 9, AofFileInfo::kIncr});
  AofManifest back;
  ASSERT_EQ(AofManifest::Parse(m.Serialize(), &back), std::nullopt) << m.Serialize();
  EXPECT_EQ(back.base->name, m.base->name);
  EXPECT_EQ(back.incrs[0].name, "plain.aof");
  EXPECT_THAT(m.Serialize(), StartsWith("file \"a b\\\"c\\\\d\\n\\x01.rdb\" seq 4 type b\n"));
}

TEST(AofManifestTest, RefusesWhatRedisRefuses) {
  AofManifest m;
  auto error = [&](std::string_view text) {
    auto err = AofManifest::Parse(text, &m);
    return err ? *err : std::string("(accepted)");
  };
  EXPECT_THAT(error(""), HasSubstr("lists no files"));
  EXPECT_THAT(error("# nothing\n"), HasSubstr("lists no files"));
  EXPECT_THAT(error("file a seq 1\n"), HasSubstr("line 1"));
  EXPECT_THAT(error("file a seq 1 type b extra\n"), HasSubstr("line 1"));
  EXPECT_THAT(error("file dir/a seq 1 type b\n"), HasSubstr("not a path"));
  EXPECT_THAT(error("file a seq x type b\n"), HasSubstr("bad seq"));
  EXPECT_THAT(error("file a seq 1 type z\n"), HasSubstr("unknown file type"));
  EXPECT_THAT(error("file a seq 1 type b\nfile b seq 2 type b\n"), HasSubstr("second base"));
  EXPECT_THAT(error("file a seq 2 type i\nfile b seq 2 type i\n"), HasSubstr("must increase"));
  EXPECT_THAT(error("file \"a seq 1 type i\n"), HasSubstr("line 1"));
  EXPECT_THAT(error("file a seq 1 type i\n" + std::string(2000, 'x') + "\n"),
              HasSubstr("line 2 is too long"));
}

TEST(AofManifestTest, FileNames) {
  EXPECT_EQ(AofManifestName("appendonly.aof"), "appendonly.aof.manifest");
  EXPECT_EQ(AofBaseName("appendonly.aof", 3, true), "appendonly.aof.3.base.rdb");
  EXPECT_EQ(AofBaseName("x", 1, false), "x.1.base.aof");
  EXPECT_EQ(AofIncrName("appendonly.aof", 12), "appendonly.aof.12.incr.aof");
}

// ---------------------------------------------------------------------------------------------
// Fixture: an engine whose `dir` is a temp dir of its own

class AofTest : public EngineTest {
 protected:
  void SetUp() override {
    char cwd[4096];
    cwd_ = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
    char tmpl[] = "/tmp/ember-aof-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(engine_.config_table().Set("dir", dir_, true), std::nullopt);
    EngineTest::SetUp();
  }

  void TearDown() override {
    Run({"CONFIG", "SET", "appendonly", "no"});
    for (auto& e : others_) {
      std::lock_guard lk(e->mu());
      e->aof().Close();
    }
    others_.clear();
    EngineTest::TearDown();
    if (chdir(cwd_.c_str()) != 0) ADD_FAILURE() << "chdir back failed";
    std::filesystem::remove_all(dir_);
  }

  // CONFIG SET appendonly yes, and the rewrite that starts the AOF done.
  std::string EnableAof() {
    std::string reply = Run({"CONFIG", "SET", "appendonly", "yes"});
    WaitForRewrite(engine_);
    return reply;
  }

  // Runs the persistence crons until no BGSAVE or rewrite runs or is scheduled (bounded).
  static void WaitForRewrite(Engine& e) {
    for (int i = 0; i < 10000; ++i) {
      {
        std::lock_guard lk(e.mu());
        e.persistence().Cron();
        e.aof().Cron();
        if (!e.aof().rewrite_active() && !e.aof().rewrite_scheduled() &&
            !e.persistence().job_active()) {
          return;
        }
      }
      std::this_thread::sleep_for(1ms);
    }
    ADD_FAILURE() << "the background jobs did not finish in 10 s";
  }

  std::string AofDir() const { return dir_ + "/appendonlydir"; }
  std::string Incr(int seq = 1) const {
    return AofDir() + "/appendonly.aof." + std::to_string(seq) + ".incr.aof";
  }

  // The incr file's bytes after everything pending was written.
  std::string IncrBytes(int seq = 1) {
    EXPECT_TRUE(engine_.aof().FlushForTest());
    return ReadFile(Incr(seq));
  }

  // A fresh engine on the same dir, started as ember-server starts: config, Start, LoadAof.
  // Returns the engine, or nullptr with the error in *error.
  Engine* Restart(std::string* error = nullptr,
                  std::vector<std::pair<std::string, std::string>> config = {}) {
    {
      std::lock_guard lk(engine_.mu());  // a rewrite's thread may be running
      engine_.aof().Close();
    }
    auto e = std::make_unique<Engine>(&clock_);
    EXPECT_EQ(e->config_table().Set("dir", dir_, true), std::nullopt);
    EXPECT_EQ(e->config_table().Set("appendonly", "yes", true), std::nullopt);
    for (const auto& [k, v] : config) {
      EXPECT_EQ(e->config_table().Set(k, v, true), std::nullopt) << k;
    }
    e->Start();
    auto err = LoadAof(*e);
    if (error != nullptr) *error = err.value_or("");
    if (err) {
      if (error == nullptr) ADD_FAILURE() << *err;
      return nullptr;
    }
    others_.push_back(std::move(e));
    return others_.back().get();
  }

  static std::string RunOn(Engine& e, std::vector<std::string> args) {
    ClientState client;
    client.authenticated = true;
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    ReplyBuilder rb(&out);
    e.Execute(client, CmdArgs(views.data(), views.size()), rb);
    return Decode(out);
  }

  // Lines of `actual` and `expected` that differ, shortened: readable failure messages.
  static std::string Diff(const std::vector<std::string>& actual,
                          const std::vector<std::string>& expected) {
    std::string out;
    for (const auto& l : expected) {
      if (std::find(actual.begin(), actual.end(), l) == actual.end()) {
        out += "\n  missing:    " + l.substr(0, 300);
      }
    }
    for (const auto& l : actual) {
      if (std::find(expected.begin(), expected.end(), l) == expected.end()) {
        out += "\n  unexpected: " + l.substr(0, 300);
      }
    }
    return out;
  }

  // The dataset, one KeyLine per key, sorted. Without `encodings`, the encoding word is left
  // out: a key loaded from a base may be encoded differently than the one written by commands
  // (an appended short string is raw, the same string loaded is embstr), as in Redis.
  static std::vector<std::string> Listing(Engine& e, bool encodings = true) {
    std::vector<std::string> lines;
    Keyspace& ks = e.keyspace();
    for (int db = 0; db < ks.num_dbs(); ++db) {
      ks.db(db).ForEach([&](Entry* entry) {
        std::string line = KeyLine(db, entry);
        if (!encodings) {
          // db "key" type encoding ...: the key ends at the first unescaped quote after its first.
          size_t i = line.find('"') + 1;
          while (line[i] != '"') i += line[i] == '\\' ? 2 : 1;
          size_t type_end = line.find(' ', i + 2);
          size_t enc_end = line.find(' ', type_end + 1);
          line.erase(type_end, enc_end - type_end);
        }
        lines.push_back(std::move(line));
      });
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  void FillEveryType() {
    Run({"SET", "s:int", "12345"});
    Run({"SET", "s:str", "hello", "PX", "100000"});
    std::string bin;
    for (int i = 0; i < 256; ++i) bin.push_back(char(i));
    Run({"SET", std::string("s:bin\0\r\n", 8), bin});
    Run({"APPEND", "s:str", " world"});
    Run({"INCRBYFLOAT", "s:float", "1.5"});
    Run({"SETBIT", "s:bits", "100", "1"});
    Run({"HSET", "h:small", "a", "1", "b", "two"});
    Run({"HINCRBY", "h:small", "a", "41"});
    Run({"RPUSH", "l:list", "a", "b", "c", "d"});
    Run({"LPOP", "l:list"});
    Run({"LINSERT", "l:list", "BEFORE", "c", "bb"});
    Run({"SADD", "set:ints", "3", "-1", "70000"});
    Run({"SADD", "set:strs", "x", "y", "z"});
    Run({"SPOP", "set:strs"});  // a random choice the log resolves
    Run({"ZADD", "z:small", "1", "a", "-2.5", "b", "inf", "c"});
    Run({"ZINCRBY", "z:small", "2", "a"});
    Run({"XADD", "st", "1-1", "f", "v"});
    Run({"XADD", "st", "*", "f", "v2"});
    Run({"XGROUP", "CREATE", "st", "g1", "0"});
    Run({"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "1", "STREAMS", "st", ">"});
    Run({"XGROUP", "CREATECONSUMER", "st", "g1", "idle"});
    Run({"EXPIRE", "h:small", "1000"});
    Run({"MULTI"});
    Run({"SET", "tx:a", "1"});
    Run({"INCR", "tx:a"});
    Run({"EXEC"});
    for (int i = 0; i < 600; ++i) {
      std::string n = std::to_string(i);
      Run({"HSET", "h:big", "f" + n, "v" + n});
      Run({"ZADD", "z:big", std::to_string(i * 0.5), "m" + n});
    }
    Run({"SELECT", "5"});
    Run({"SET", "db5", "five"});
    Run({"RENAME", "db5", "db5:renamed"});
    Run({"SELECT", "0"});
    Run({"SET", "gone", "x"});
    Run({"DEL", "gone"});
    Run({"SWAPDB", "0", "9"});
    Run({"SWAPDB", "0", "9"});
  }

  std::string cwd_, dir_;
  std::vector<std::unique_ptr<Engine>> others_;
};

// ---------------------------------------------------------------------------------------------
// The sink

TEST_F(AofTest, TurningOnWritesABaseAnIncrAndAManifestRedisCanRead) {
  EXPECT_EQ(Run({"CONFIG", "GET", "appendonly"}), "[appendonly, no]");
  Run({"SET", "before", "1"});
  EXPECT_EQ(EnableAof(), "OK");
  EXPECT_TRUE(engine_.aof().is_open());
  EXPECT_EQ(ReadFile(AofDir() + "/appendonly.aof.manifest"),
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
  std::string base = ReadFile(AofDir() + "/appendonly.aof.1.base.rdb");
  EXPECT_THAT(base, StartsWith("REDIS0010"));
  EXPECT_THAT(base, HasSubstr("aof-base"));
  EXPECT_THAT(base, HasSubstr("before"));  // the data at the time it was turned on
  EXPECT_EQ(IncrBytes(), "");
}

TEST_F(AofTest, SinkWritesEffectsWithSelectWhenTheDbChanges) {
  EnableAof();
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2", "EX", "10"});
  Run({"SELECT", "3"});
  Run({"SET", "c", "3"});
  Run({"GET", "c"});  // reads are not logged
  Run({"SELECT", "0"});
  Run({"INCR", "a"});
  int64_t deadline = clock_.NowMs() + 10000;
  EXPECT_EQ(IncrBytes(), Select(0) + Resp({"SET", "a", "1"}) +
                             Resp({"SET", "b", "2", "PXAT", std::to_string(deadline)}) + Select(3) +
                             Resp({"SET", "c", "3"}) + Select(0) +
                             Resp({"SET", "a", "2", "KEEPTTL"}));
}

TEST_F(AofTest, TransactionsAreLoggedInsideMultiExec) {
  EnableAof();
  Run({"MULTI"});
  Run({"SET", "a", "1"});
  Run({"GET", "a"});
  Run({"SELECT", "2"});
  Run({"INCR", "b"});
  Run({"EXEC"});
  Run({"MULTI"});
  Run({"SET", "c", "1"});  // one effect: as is, as Redis 7.0 propagates it
  Run({"EXEC"});
  Run({"SELECT", "0"});
  EXPECT_EQ(IncrBytes(), Select(0) + Resp({"MULTI"}) + Resp({"SET", "a", "1"}) + Select(2) +
                             Resp({"SET", "b", "1", "KEEPTTL"}) + Resp({"EXEC"}) +
                             Resp({"SET", "c", "1"}));
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"GET", "a"}), "1");
}

TEST_F(AofTest, ExpiredKeysAreLoggedAsDel) {
  EnableAof();
  Run({"SET", "k", "v", "PX", "50"});
  std::string before = IncrBytes();
  clock_.Advance(100ms);
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(IncrBytes(), before + Resp({"DEL", "k"}));
}

TEST_F(AofTest, TimestampAnnotationsWhenEnabled) {
  Run({"CONFIG", "SET", "aof-timestamp-enabled", "yes"});
  EnableAof();
  Run({"SET", "a", "1"});
  Run({"SET", "b", "1"});
  clock_.Advance(2s);
  Run({"SET", "c", "1"});
  std::string ts1 = "#TS:" + std::to_string(clock_.NowMs() / 1000 - 2) + "\r\n";
  std::string ts2 = "#TS:" + std::to_string(clock_.NowMs() / 1000) + "\r\n";
  EXPECT_EQ(IncrBytes(), ts1 + Select(0) + Resp({"SET", "a", "1"}) + Resp({"SET", "b", "1"}) + ts2 +
                             Resp({"SET", "c", "1"}));
  // And the loader skips them.
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"MGET", "a", "b", "c"}), "[1, 1, 1]");
}

TEST_F(AofTest, RepliesWaitForACommitThatFsyncsOnlyWithAlways) {
  Aof& aof = engine_.aof();
  EXPECT_EQ(aof.ReplyBarrier(), 0u);  // off: nothing to wait for
  Run({"CONFIG", "SET", "appendfsync", "always"});
  EnableAof();
  EXPECT_EQ(aof.ReplyBarrier(), 0u);  // nothing logged yet
  EXPECT_FALSE(aof.Pending());
  EXPECT_FALSE(aof.Commit());
  Run({"SET", "a", "1"});
  uint64_t barrier = aof.ReplyBarrier();
  ASSERT_GT(barrier, 0u);
  EXPECT_FALSE(aof.Released(barrier));
  EXPECT_TRUE(aof.Pending());
  EXPECT_EQ(ReadFile(Incr()), "");  // nothing is written before a commit
  EXPECT_TRUE(aof.Commit());
  EXPECT_TRUE(aof.Released(barrier));
  EXPECT_FALSE(aof.Pending());
  EXPECT_FALSE(aof.Commit());
  EXPECT_EQ(ReadFile(Incr()), Select(0) + Resp({"SET", "a", "1"}));
  EXPECT_THAT(Run({"INFO", "persistence"}), HasSubstr("aof_buffer_length:0\r\n"));

  // everysec: released once written; the fsync waits for the flusher's tick.
  Run({"CONFIG", "SET", "appendfsync", "everysec"});
  Run({"SET", "a", "2"});
  barrier = aof.ReplyBarrier();
  EXPECT_FALSE(aof.Released(barrier));
  EXPECT_THAT(Run({"INFO", "persistence"}), Not(HasSubstr("aof_buffer_length:0\r\n")));
  EXPECT_TRUE(aof.Commit());
  EXPECT_TRUE(aof.Released(barrier));
  EXPECT_EQ(ReadFile(Incr()), Select(0) + Resp({"SET", "a", "1"}) + Resp({"SET", "a", "2"}));
  // Switching to always now asks for the fsync of what was only written.
  Run({"CONFIG", "SET", "appendfsync", "always"});
  EXPECT_FALSE(aof.Released(barrier));
  EXPECT_TRUE(aof.Commit());
  EXPECT_TRUE(aof.Released(barrier));
}

TEST_F(AofTest, TurningOffReleasesHeldRepliesAndTurningOnStartsAFreshBase) {
  Run({"CONFIG", "SET", "appendfsync", "always"});
  EnableAof();
  Run({"SET", "a", "1"});
  uint64_t barrier = engine_.aof().ReplyBarrier();
  EXPECT_FALSE(engine_.aof().Released(barrier));
  EXPECT_EQ(Run({"CONFIG", "SET", "appendonly", "no"}), "OK");
  EXPECT_TRUE(engine_.aof().Released(barrier));
  EXPECT_FALSE(engine_.aof().is_open());
  EXPECT_EQ(ReadFile(Incr()), Select(0) + Resp({"SET", "a", "1"}));  // flushed on the way out
  Run({"SET", "b", "2"});                                            // not logged
  EXPECT_EQ(EnableAof(), "OK");
  EXPECT_EQ(ReadFile(AofDir() + "/appendonly.aof.manifest"),
            "file appendonly.aof.2.base.rdb seq 2 type b\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n");
  EXPECT_FALSE(std::filesystem::exists(Incr(1)));
  EXPECT_FALSE(std::filesystem::exists(AofDir() + "/appendonly.aof.1.base.rdb"));
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"MGET", "a", "b"}), "[1, 2]");
}

TEST_F(AofTest, ConfigKeys) {
  EXPECT_EQ(Run({"CONFIG", "GET", "appendfsync"}), "[appendfsync, everysec]");
  EXPECT_EQ(Run({"CONFIG", "SET", "appendfsync", "sometimes"}),
            "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) "
            "must be one of the following: everysec, always, no");
  EXPECT_EQ(Run({"CONFIG", "SET", "appendfilename", "x.aof"}),
            "ERR CONFIG SET failed (possibly related to argument 'appendfilename') - can't set "
            "immutable config");
  EXPECT_EQ(engine_.config_table().Set("appendfilename", "a/b", true),
            "appendfilename can't be a path, just a filename");
  EXPECT_EQ(engine_.config_table().Set("appenddirname", "..", true),
            "appenddirname can't be a path, just a dirname");
  EXPECT_EQ(Run({"CONFIG", "GET", "auto-aof-rewrite-min-size"}),
            "[auto-aof-rewrite-min-size, 67108864]");
  for (const char* key :
       {"aof-load-truncated", "aof-use-rdb-preamble", "aof-timestamp-enabled",
        "auto-aof-rewrite-percentage", "appenddirname", "aof-rewrite-incremental-fsync"}) {
    EXPECT_THAT(Run({"CONFIG", "GET", key}), StartsWith(std::string("[") + key + ", ")) << key;
  }
}

TEST_F(AofTest, WriteErrorsRefuseWritesPingAndExecWithWritesUntilAWriteWorks) {
  EnableAof();
  Run({"SET", "a", "1"});
  ASSERT_TRUE(engine_.aof().FlushForTest());
  Run({"MULTI"});
  Run({"SET", "queued", "1"});  // queued before the error
  // RLIMIT_FSIZE at the incr file's size: the next write() fails with EFBIG, as on a full disk.
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit limit = saved;
  limit.rlim_cur = std::filesystem::file_size(Incr());
  signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  ClientState other;
  other.authenticated = true;
  auto run_other = [&](std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    ReplyBuilder rb(&out);
    engine_.Execute(other, CmdArgs(views.data(), views.size()), rb);
    return Decode(out);
  };
  EXPECT_EQ(run_other({"SET", "b", "2"}), "OK");
  bool flushed = engine_.aof().FlushForTest();
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  EXPECT_FALSE(flushed);
  EXPECT_THAT(run_other({"INFO", "persistence"}), HasSubstr("aof_last_write_status:err"));
  const std::string misconf = "MISCONF Errors writing to the AOF file: File too large";
  EXPECT_EQ(run_other({"SET", "c", "3"}), misconf);
  EXPECT_EQ(run_other({"PING"}), misconf);
  EXPECT_EQ(run_other({"GET", "a"}), "1");
  EXPECT_EQ(Run({"EXEC"}),
            "EXECABORT Transaction discarded because of: MISCONF Errors writing to the AOF file: "
            "File too large");
  EXPECT_EQ(std::filesystem::file_size(Incr()), limit.rlim_cur);  // nothing half-written
  // The limit is gone: the next attempt writes what was kept, and writes are accepted again.
  EXPECT_TRUE(engine_.aof().FlushForTest());
  EXPECT_THAT(run_other({"INFO", "persistence"}), HasSubstr("aof_last_write_status:ok"));
  EXPECT_EQ(run_other({"SET", "c", "3"}), "OK");
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"MGET", "a", "b", "c", "queued"}), "[1, 2, 3, (nil)]");
}

TEST_F(AofTest, UnwritableDirectoryRefusesToTurnOn) {
  WriteFile(AofDir(), "a file where the directory should be");
  EXPECT_EQ(EnableAof(),
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn "
            "on AOF. Check server logs.");
  EXPECT_EQ(Run({"CONFIG", "GET", "appendonly"}), "[appendonly, no]");
  EXPECT_FALSE(engine_.aof().is_open());
}

TEST_F(AofTest, InfoPersistenceFields) {
  std::string off = Run({"INFO", "persistence"});
  EXPECT_THAT(off, HasSubstr("aof_enabled:0\r\n"));
  EXPECT_THAT(off, HasSubstr("aof_last_write_status:ok\r\n"));
  EXPECT_THAT(off, Not(HasSubstr("aof_current_size")));
  EnableAof();
  Run({"SET", "a", "1"});
  std::string on = Run({"INFO", "persistence"});
  for (const char* field :
       {"aof_enabled:1", "aof_rewrite_in_progress:0", "aof_rewrite_scheduled:0",
        "aof_last_rewrite_time_sec:0", "aof_current_rewrite_time_sec:-1",
        "aof_last_bgrewrite_status:ok",
        "aof_rewrites:1",  // the one that turned it on "aof_last_write_status:ok",
        "aof_last_cow_size:0", "aof_pending_rewrite:0",
        "aof_buffer_length:", "aof_pending_bio_fsync:0", "aof_delayed_fsync:0"}) {
    EXPECT_THAT(on, HasSubstr(std::string(field))) << field;
  }
  ASSERT_TRUE(engine_.aof().FlushForTest());
  auto base = std::filesystem::file_size(AofDir() + "/appendonly.aof.1.base.rdb");
  EXPECT_THAT(on, HasSubstr("aof_base_size:" + std::to_string(base) + "\r\n"));
  std::string size = "aof_current_size:" + std::to_string(base + IncrBytes().size()) + "\r\n";
  EXPECT_THAT(Run({"INFO", "persistence"}), HasSubstr(size));
  EXPECT_THAT(Run({"INFO", "persistence"}), HasSubstr("aof_buffer_length:0\r\n"));
}

// ---------------------------------------------------------------------------------------------
// Rewriting

class AofRewriteTest : public AofTest {
 protected:
  std::string Manifest() { return ReadFile(AofDir() + "/appendonly.aof.manifest"); }

  // BGREWRITEAOF with the lock held across the start and `then` (commands run under the same
  // lock, before the job's first slice): deterministic interleavings.
  Aof::RewriteStart StartThen(const std::function<void()>& then = {}) {
    std::lock_guard lk(engine_.mu());
    Aof::RewriteStart r = engine_.aof().BgRewrite();
    if (then) then();
    return r;
  }

  // Commands from the fixture's client while the caller holds the lock.
  std::string Locked(std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    ReplyBuilder rb(&out);
    engine_.Execute(client_, CmdArgs(views.data(), views.size()), rb);
    return Decode(out);
  }

  void FillMany(int n, const std::string& prefix = "k") {
    for (int i = 0; i < n; ++i) {
      std::string k = prefix + std::to_string(i);
      Run({"SET", k, std::to_string(i)});
      if (i % 10 == 0) Run({"HSET", "h" + k, "f", "v"});
    }
  }
};

TEST_F(AofRewriteTest, ANewBaseReplacesTheOldFilesAndWritesDuringItGoToTheNewIncr) {
  EnableAof();
  FillEveryType();
  FillMany(20000);
  ASSERT_EQ(Manifest(),
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
  ASSERT_EQ(StartThen([&] {
              EXPECT_EQ(engine_.aof().BgRewrite(), Aof::RewriteStart::kInProgress);
              // The new incr file is listed at once: a crash now loads old files, then it.
              EXPECT_EQ(Manifest(),
                        "file appendonly.aof.1.base.rdb seq 1 type b\n"
                        "file appendonly.aof.1.incr.aof seq 1 type i\n"
                        "file appendonly.aof.2.incr.aof seq 2 type i\n");
              Locked({"INCR", "k1"});  // before the snapshot saw it
            }),
            Aof::RewriteStart::kStarted);
  EXPECT_THAT(Run({"INFO", "persistence"}), HasSubstr("aof_rewrite_in_progress:1"));
  // Writes while the job walks: changes, removals, new keys.
  for (int i = 0; i < 20000; i += 7) {
    std::string k = "k" + std::to_string(i);
    Run({"APPEND", k, "+"});
    if (i % 3 == 0) Run({"DEL", "hk" + std::to_string(i)});
    Run({"SET", "new" + std::to_string(i), "x"});
  }
  Run({"INCR", "k1"});
  WaitForRewrite(engine_);
  EXPECT_EQ(Manifest(),
            "file appendonly.aof.2.base.rdb seq 2 type b\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n");
  EXPECT_FALSE(std::filesystem::exists(AofDir() + "/appendonly.aof.1.base.rdb"));
  EXPECT_FALSE(std::filesystem::exists(Incr(1)));
  std::string info = Run({"INFO", "persistence"});
  EXPECT_THAT(info, HasSubstr("aof_rewrite_in_progress:0"));
  EXPECT_THAT(info, HasSubstr("aof_rewrites:2"));
  EXPECT_THAT(info, HasSubstr("aof_last_bgrewrite_status:ok"));
  EXPECT_EQ(Run({"GET", "k1"}), "3");
  auto expected = Listing(engine_, false);
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  auto actual = Listing(*e, false);
  EXPECT_EQ(actual.size(), expected.size());
  EXPECT_TRUE(actual == expected) << Diff(actual, expected);
}

TEST_F(AofRewriteTest, WithoutThePreambleTheBaseIsCommands) {
  Run({"CONFIG", "SET", "aof-use-rdb-preamble", "no"});
  FillEveryType();
  EnableAof();
  EXPECT_EQ(Manifest(),
            "file appendonly.aof.1.base.aof seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
  std::string base = ReadFile(AofDir() + "/appendonly.aof.1.base.aof");
  EXPECT_THAT(base, StartsWith("*2\r\n$6\r\nSELECT\r\n"));
  Run({"SET", "after", "1"});
  auto expected = Listing(engine_, false);
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  auto actual = Listing(*e, false);
  EXPECT_TRUE(actual == expected) << Diff(actual, expected);
}

TEST_F(AofRewriteTest, AnAbandonedRewriteLeavesAnAofThatLoadsEverything) {
  EnableAof();
  FillMany(5000);
  StartThen([&] { Locked({"SET", "during", "1"}); });
  Run({"INCR", "k5"});
  // Restart closes the log, which abandons the rewrite wherever it is.
  auto expected = Listing(engine_, false);
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  auto actual = Listing(*e, false);
  EXPECT_TRUE(actual == expected) << Diff(actual, expected);
  for (const auto& entry : std::filesystem::directory_iterator(AofDir())) {
    EXPECT_THAT(entry.path().filename().string(), Not(StartsWith("temp-")));
  }
}

TEST_F(AofRewriteTest, WithAppendonlyNoTheDirectoryGetsJustABase) {
  FillMany(100);
  EXPECT_EQ(Run({"BGREWRITEAOF"}), "Background append only file rewriting started");
  WaitForRewrite(engine_);
  EXPECT_EQ(Manifest(), "file appendonly.aof.1.base.rdb seq 1 type b\n");
  EXPECT_FALSE(engine_.aof().is_open());
  // Loading it (appendonly yes at start-up) brings the data back and adds an incr file.
  auto expected = Listing(engine_, false);
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(Listing(*e, false) == expected);
}

TEST_F(AofRewriteTest, BgsaveAndBgrewriteaofWaitForEachOther) {
  EnableAof();
  FillMany(20000);
  {
    std::lock_guard lk(engine_.mu());
    EXPECT_EQ(engine_.aof().BgRewrite(), Aof::RewriteStart::kStarted);
    EXPECT_EQ(Locked({"BGSAVE"}),
              "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
              "SCHEDULE in order to schedule a BGSAVE whenever possible.");
    EXPECT_EQ(Locked({"BGSAVE", "SCHEDULE"}), "Background saving scheduled");
    EXPECT_EQ(Locked({"BGREWRITEAOF"}),
              "ERR Background append only file rewriting already in progress");
  }
  WaitForRewrite(engine_);
  // The scheduled BGSAVE starts from the cron once the rewrite is over; a rewrite asked for
  // meanwhile is scheduled behind it.
  {
    std::lock_guard lk(engine_.mu());
    engine_.persistence().Cron();
    EXPECT_TRUE(engine_.persistence().bgsave_in_progress());
    EXPECT_EQ(Locked({"BGREWRITEAOF"}), "Background append only file rewriting scheduled");
  }
  WaitForRewrite(engine_);
  EXPECT_THAT(Run({"INFO", "persistence"}), HasSubstr("aof_rewrites:3"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/dump.rdb"));
}

TEST_F(AofRewriteTest, InsideExecBothAreScheduled) {
  EnableAof();
  Run({"MULTI"});
  Run({"BGSAVE"});
  Run({"BGREWRITEAOF"});
  EXPECT_EQ(Run({"EXEC"}),
            "[Background saving scheduled, Background append only file rewriting scheduled]");
  EXPECT_FALSE(engine_.persistence().job_active());
  EXPECT_FALSE(engine_.aof().rewrite_active());
  WaitForRewrite(engine_);  // the crons start them, one after the other
  std::string info = Run({"INFO", "persistence"});
  EXPECT_THAT(info, HasSubstr("rdb_saves:1"));
  EXPECT_THAT(info, HasSubstr("aof_rewrites:2"));
}

TEST_F(AofRewriteTest, FlushallRestartsTheRewrite) {
  EnableAof();
  FillMany(20000);
  StartThen([&] { Locked({"FLUSHALL"}); });
  EXPECT_THAT(Run({"INFO", "persistence"}), HasSubstr("aof_rewrite_scheduled:1"));
  Run({"SET", "after", "1"});
  WaitForRewrite(engine_);
  EXPECT_THAT(Run({"INFO", "persistence"}), HasSubstr("aof_rewrites:2"));
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"DBSIZE"}), "1");
}

TEST_F(AofRewriteTest, AutomaticRewriteOnGrowth) {
  EnableAof();
  FillMany(1000);
  Run({"CONFIG", "SET", "auto-aof-rewrite-min-size", "1kb"});
  Run({"CONFIG", "SET", "auto-aof-rewrite-percentage", "0"});  // off
  ASSERT_TRUE(engine_.aof().FlushForTest());
  {
    std::lock_guard lk(engine_.mu());
    engine_.aof().Cron();
    EXPECT_FALSE(engine_.aof().rewrite_active());
  }
  Run({"CONFIG", "SET", "auto-aof-rewrite-percentage", "100"});
  {
    std::lock_guard lk(engine_.mu());
    engine_.aof().Cron();  // the base was of an empty dataset: grown far more than 100%
    EXPECT_TRUE(engine_.aof().rewrite_active());
  }
  WaitForRewrite(engine_);
  // Now the base holds the data and the incr file is empty: no growth, no rewrite.
  {
    std::lock_guard lk(engine_.mu());
    engine_.aof().Cron();
    EXPECT_FALSE(engine_.aof().rewrite_active());
  }
  EXPECT_THAT(Run({"INFO", "persistence"}), HasSubstr("aof_rewrites:2"));
}

TEST_F(AofRewriteTest, TurningOnWhileABgsaveRunsWaitsForIt) {
  FillMany(20000);
  {
    std::lock_guard lk(engine_.mu());
    EXPECT_EQ(Locked({"BGSAVE"}), "Background saving started");
    EXPECT_EQ(Locked({"CONFIG", "SET", "appendonly", "yes"}), "OK");
    EXPECT_FALSE(engine_.aof().is_open());
    EXPECT_TRUE(engine_.aof().rewrite_scheduled());
  }
  WaitForRewrite(engine_);
  EXPECT_TRUE(engine_.aof().is_open());
  Run({"SET", "after", "1"});
  auto expected = Listing(engine_, false);
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(Listing(*e, false) == expected);
}

// ---------------------------------------------------------------------------------------------
// Reading files

class AofScanTest : public AofTest {
 protected:
  AofScanResult Scan(std::string_view bytes, std::vector<std::string>* names = nullptr) {
    std::string path = dir_ + "/scan.aof";
    WriteFile(path, bytes);
    return ScanAofFile(path, RestoreLimits{}, nullptr,
                       [&](std::span<const std::vector<std::string>> cmds, uint64_t) {
                         std::string joined;
                         for (const auto& c : cmds) joined += (joined.empty() ? "" : "+") + c[0];
                         if (names != nullptr) names->push_back(joined);
                         return std::nullopt;
                       });
  }
};

TEST_F(AofScanTest, ReadsCommandsAnnotationsAndTransactions) {
  std::vector<std::string> names;
  std::string file = Select(0) + "#TS:1700000000\r\n" + Resp({"SET", "a", "1"}) + Resp({"MULTI"}) +
                     Resp({"INCR", "a"}) + Resp({"DEL", "b"}) + Resp({"EXEC"}) +
                     Resp({"SET", "", ""});
  AofScanResult r = Scan(file, &names);
  EXPECT_EQ(r.status, AofScanResult::kOk) << r.error;
  EXPECT_EQ(r.size, file.size());
  EXPECT_EQ(r.valid_up_to, file.size());
  EXPECT_EQ(r.commands, 5u);
  EXPECT_EQ(names, (std::vector<std::string>{"SELECT", "SET", "INCR+DEL", "SET"}));
  EXPECT_EQ(Scan("").status, AofScanResult::kOk);
}

TEST_F(AofScanTest, ATruncatedTailIsFoundAtEveryCut) {
  std::string good = Select(0) + Resp({"SET", "key", "value"});
  std::string last = Resp({"RPUSH", "list", "element"});
  for (size_t cut = 1; cut < last.size(); ++cut) {
    std::vector<std::string> names;
    AofScanResult r = Scan(good + last.substr(0, cut), &names);
    EXPECT_EQ(r.status, AofScanResult::kTruncated) << cut;
    EXPECT_EQ(r.valid_up_to, good.size()) << cut;
    EXPECT_EQ(r.error, "incomplete command at offset " + std::to_string(good.size())) << cut;
    EXPECT_EQ(names.size(), 2u) << cut;  // the complete ones were handed over
  }
}

TEST_F(AofScanTest, AnUnfinishedTransactionIsATruncation) {
  std::vector<std::string> names;
  std::string good = Select(0) + Resp({"SET", "a", "1"});
  AofScanResult r = Scan(good + Resp({"MULTI"}) + Resp({"INCR", "a"}), &names);
  EXPECT_EQ(r.status, AofScanResult::kTruncated);
  EXPECT_EQ(r.valid_up_to, good.size());
  EXPECT_THAT(r.error, HasSubstr("has no EXEC"));
  EXPECT_EQ(names, (std::vector<std::string>{"SELECT", "SET"}));  // INCR never ran
}

TEST_F(AofScanTest, ZeroFilledTailIsATruncation) {
  std::string good = Select(0) + Resp({"SET", "a", "1"});
  AofScanResult r = Scan(good + std::string(4096, '\0'));
  EXPECT_EQ(r.status, AofScanResult::kTruncated);
  EXPECT_EQ(r.valid_up_to, good.size());
  std::string half = Resp({"SET", "b", "2"}).substr(0, 12);
  r = Scan(good + half + std::string(100, '\0'));
  EXPECT_EQ(r.status, AofScanResult::kTruncated);
  EXPECT_EQ(r.valid_up_to, good.size());
}

TEST_F(AofScanTest, CorruptionInTheMiddleGivesItsOffset) {
  std::string good = Select(0) + Resp({"SET", "a", "1"});
  std::string after = Resp({"SET", "b", "2"});
  struct Case {
    std::string bad;
    uint64_t offset;  // from the start of `bad`
    const char* what;
  } cases[] = {
      {"+OK\r\n", 0, "expected '*'"},
      {"*x\r\n", 1, "bad number"},
      {"*0\r\n", 0, "bad argument count"},
      {"*1\r\n:5\r\n", 4, "expected '$'"},
      {"*1\r\n$2\r\nabc\r\n", 10, "not followed by CRLF"},
      {"*1\r\n$-1\r\n", 4, "bad argument length"},
      {"*1\r\n$3x\r\n", 6, "bad number"},
      {"*1\r\n$3\rx", 7, "expected LF"},
      {Resp({"EXEC"}), 0, "EXEC without MULTI"},
      {Resp({"MULTI"}) + Resp({"MULTI"}), 15, "MULTI inside MULTI"},
  };
  for (const auto& c : cases) {
    AofScanResult r = Scan(good + c.bad + after);
    EXPECT_EQ(r.status, AofScanResult::kCorrupt) << c.bad;
    EXPECT_EQ(r.error_offset, good.size() + c.offset) << c.bad << ": " << r.error;
    EXPECT_THAT(r.error, HasSubstr(c.what)) << c.bad;
    EXPECT_EQ(r.valid_up_to, good.size()) << c.bad;
  }
}

TEST_F(AofScanTest, RdbPreambleThenCommands) {
  Run({"SET", "from-rdb", "1"});
  EnableAof();
  std::string rdb = ReadFile(AofDir() + "/appendonly.aof.1.base.rdb");
  std::vector<std::string> names;
  AofScanResult r = Scan(rdb + Select(0) + Resp({"SET", "tail", "1"}), &names);
  EXPECT_EQ(r.status, AofScanResult::kOk) << r.error;
  EXPECT_EQ(r.rdb_bytes, rdb.size());
  EXPECT_EQ(r.rdb_keys, 1u);
  EXPECT_EQ(names, (std::vector<std::string>{"SELECT", "SET"}));
  std::string broken = rdb;
  broken[rdb.size() - 3] ^= 0x55;  // the checksum
  r = Scan(broken);
  EXPECT_EQ(r.status, AofScanResult::kCorrupt);
  EXPECT_THAT(r.error, HasSubstr("RDB preamble"));
}

// ---------------------------------------------------------------------------------------------
// Loading

TEST_F(AofTest, EveryTypeRoundTripsThroughTheLog) {
  EnableAof();
  FillEveryType();
  std::vector<std::string> before = Listing(engine_);
  ASSERT_GE(before.size(), 15u);
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(Diff(Listing(*e), before), "");
  // Replayed commands are not client traffic (as in Redis): no commandstats for them.
  EXPECT_THAT(RunOn(*e, {"INFO", "commandstats"}), Not(HasSubstr("cmdstat_hset")));
  EXPECT_THAT(RunOn(*e, {"INFO", "stats"}), HasSubstr("total_commands_processed:1\r\n"));
  // And the loaded server logs on: a second restart sees its writes too.
  RunOn(*e, {"SET", "after", "restart"});
  e->aof().Close();
  Engine* e2 = Restart();
  ASSERT_NE(e2, nullptr);
  EXPECT_EQ(RunOn(*e2, {"GET", "after"}), "restart");
  EXPECT_EQ(Listing(*e2).size(), before.size() + 1);
}

TEST_F(AofTest, BaseTakenWhenTurnedOnIsLoadedBeforeTheIncr) {
  FillEveryType();  // before the AOF exists: it goes into the base
  EnableAof();
  Run({"HSET", "h:small", "c", "3"});
  // Strings edited in place are raw; loaded from an RDB they are embstr, in Redis as here.
  auto listing = [](Engine& e) {
    std::vector<std::string> lines = Listing(e);
    for (auto& l : lines) {
      if (auto at = l.find(" string raw "); at != std::string::npos) l.replace(at, 12, " string ");
      if (auto at = l.find(" string embstr "); at != std::string::npos)
        l.replace(at, 15, " string ");
    }
    return lines;
  };
  std::vector<std::string> before = listing(engine_);
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(Diff(listing(*e), before), "");
}

TEST_F(AofTest, ReplayDoesNotResurrectKeysThatExpiredSince) {
  EnableAof();
  Run({"SET", "k", "v", "PX", "1000"});
  Run({"APPEND", "k", "+more"});  // logged while k was live
  Run({"RPUSH", "l", "a"});
  Run({"PEXPIRE", "l", "1000"});
  Run({"RPUSH", "l", "b"});
  clock_.Advance(5s);  // both deadlines are past when the log is replayed
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  // Replayed as logged (k = "v+more" with its deadline, not a fresh "+more" without one), then
  // expired as Redis expires keys it loaded.
  EXPECT_EQ(RunOn(*e, {"GET", "k"}), "(nil)");
  EXPECT_EQ(RunOn(*e, {"EXISTS", "l"}), "0");
  EXPECT_EQ(RunOn(*e, {"DBSIZE"}), "0");
}

TEST_F(AofTest, EverythingIsLoadedWhateverMaxmemorySays) {
  EnableAof();
  for (int i = 0; i < 200; ++i) Run({"SET", "k" + std::to_string(i), std::string(1000, 'x')});
  Engine* e = Restart(nullptr, {{"maxmemory", "1"}, {"maxmemory-policy", "noeviction"}});
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"DBSIZE"}), "200");
  EXPECT_EQ(RunOn(*e, {"CONFIG", "GET", "maxmemory"}), "[maxmemory, 1]");
  EXPECT_THAT(RunOn(*e, {"SET", "more", "x"}), StartsWith("OOM"));
}

TEST_F(AofTest, TruncatedLastCommandLoadsWithTheWarningAndIsCut) {
  EnableAof();
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  std::string bytes = IncrBytes();
  engine_.aof().Close();
  size_t good = bytes.size() - Resp({"SET", "b", "2"}).size();
  WriteFile(Incr(), bytes.substr(0, bytes.size() - 5));
  std::string error;
  EXPECT_EQ(Restart(&error, {{"aof-load-truncated", "no"}}), nullptr);
  EXPECT_THAT(error, HasSubstr("appendonly.aof.1.incr.aof ends early"));
  EXPECT_THAT(error, HasSubstr("ember-check-aof"));
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"MGET", "a", "b"}), "[1, (nil)]");
  EXPECT_EQ(std::filesystem::file_size(Incr()), good);  // cut after the last complete command
  RunOn(*e, {"SET", "c", "3"});
  ASSERT_TRUE(e->aof().FlushForTest());
  EXPECT_EQ(ReadFile(Incr()), bytes.substr(0, good) + Select(0) + Resp({"SET", "c", "3"}));
}

TEST_F(AofTest, CorruptionInTheMiddleRefusesToStartNamingFileAndOffset) {
  EnableAof();
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  std::string bytes = IncrBytes();
  engine_.aof().Close();
  size_t at = Select(0).size() + 2;  // inside "*3" of the first SET
  bytes[at - 1] = '?';
  WriteFile(Incr(), bytes);
  std::string error;
  EXPECT_EQ(Restart(&error), nullptr);
  EXPECT_THAT(error, HasSubstr("appendonly.aof.1.incr.aof at offset " +
                               std::to_string(Select(0).size() + 1)));
  EXPECT_EQ(ReadFile(Incr()), bytes);  // left as it was
}

TEST_F(AofTest, UnknownCommandsAndBadSelectsStopTheLoad) {
  EnableAof();
  engine_.aof().Close();
  WriteFile(Incr(), Select(0) + Resp({"SET", "a", "1"}) + Resp({"FROBNICATE", "x"}));
  std::string error;
  EXPECT_EQ(Restart(&error), nullptr);
  EXPECT_THAT(error, HasSubstr("unknown command 'FROBNICATE'"));
  EXPECT_THAT(error, HasSubstr("offset " +
                               std::to_string(Select(0).size() + Resp({"SET", "a", "1"}).size())));
  WriteFile(Incr(), Select(99));
  EXPECT_EQ(Restart(&error), nullptr);
  EXPECT_THAT(error, HasSubstr("SELECT 99 failed"));
  // A command that fails (as it may in a log written by a client's transaction) is only logged.
  WriteFile(Incr(),
            Select(0) + Resp({"SET", "s", "x"}) + Resp({"INCR", "s"}) + Resp({"SET", "t", "y"}));
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"MGET", "s", "t"}), "[x, y]");
}

TEST_F(AofTest, AManifestWithoutIncrGetsOneAndAMissingFileIsAnError) {
  Run({"SET", "k", "v"});
  EnableAof();
  engine_.aof().Close();
  WriteFile(AofDir() + "/appendonly.aof.manifest", "file appendonly.aof.1.base.rdb seq 1 type b\n");
  std::filesystem::remove(Incr());
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"GET", "k"}), "v");
  // Numbered after the highest incr seq the manifest had, as Redis does.
  EXPECT_EQ(ReadFile(AofDir() + "/appendonly.aof.manifest"),
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
  e->aof().Close();
  std::filesystem::remove(Incr(1));
  std::string error;
  EXPECT_EQ(Restart(&error), nullptr);
  EXPECT_THAT(error, HasSubstr("appendonly.aof.1.incr.aof doesn't exist"));
}

TEST_F(AofTest, ARedis6AofIsLoadedAndMovedIntoTheDirectory) {
  WriteFile(dir_ + "/appendonly.aof",
            Select(0) + Resp({"SET", "old", "style"}) + Select(2) + Resp({"RPUSH", "l", "x"}));
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"GET", "old"}), "style");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/appendonly.aof"));
  EXPECT_TRUE(std::filesystem::exists(AofDir() + "/appendonly.aof"));
  EXPECT_EQ(ReadFile(AofDir() + "/appendonly.aof.manifest"),
            "file appendonly.aof seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
  RunOn(*e, {"SET", "new", "1"});
  e->aof().Close();
  Engine* e2 = Restart();
  ASSERT_NE(e2, nullptr);
  EXPECT_EQ(RunOn(*e2, {"MGET", "old", "new"}), "[style, 1]");
}

TEST_F(AofTest, NoAofAtAllStartsEmptyWithFreshFiles) {
  Engine* e = Restart();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(RunOn(*e, {"DBSIZE"}), "0");
  EXPECT_EQ(ReadFile(AofDir() + "/appendonly.aof.manifest"),
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n");
}

}  // namespace
}  // namespace ember
