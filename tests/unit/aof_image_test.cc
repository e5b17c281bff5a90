// The AOF base written as commands (AofCommandsImage): replaying the image through a fresh
// engine's dispatcher rebuilds exactly the dataset the snapshot saw.

#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>

#include "common/resp_parser.h"
#include "server/persist/snapshot.h"
#include "tests/tools/rdb_text.h"
#include "tests/unit/test_base.h"

namespace ember {
namespace {

// One parsed command of an image.
using Command = std::vector<std::string>;

// Splits an image into its commands; fails the test on bytes that are not whole RESP requests.
std::vector<Command> Parse(const std::string& image) {
  std::vector<Command> out;
  RequestParser parser;
  std::string_view rest = image;
  while (!rest.empty()) {
    EXPECT_TRUE(rest.starts_with("*")) << "not a RESP array at byte " << image.size() - rest.size();
    size_t consumed = 0;
    RequestParser::Status st = parser.Parse(rest, {}, &consumed);
    EXPECT_EQ(st, RequestParser::Status::kDone) << "at byte " << image.size() - rest.size();
    if (st != RequestParser::Status::kDone) break;
    out.emplace_back(parser.args().begin(), parser.args().end());
    rest.remove_prefix(consumed);
    parser.Reset();
  }
  return out;
}

// A second engine that an image is replayed into, with a clock of its own.
class Replica {
 public:
  explicit Replica(int64_t now_ms) : clock_(now_ms), engine_(&clock_) {
    engine_.Start();
    client_.id = engine_.NextClientId();
    client_.authenticated = true;
    engine_.RegisterClient(&client_);
  }
  ~Replica() { engine_.UnregisterClient(&client_); }

  // Runs every command; returns the error replies, each with its command's name.
  std::vector<std::string> Replay(const std::vector<Command>& cmds) {
    std::vector<std::string> errors;
    for (const Command& cmd : cmds) {
      std::vector<std::string_view> views(cmd.begin(), cmd.end());
      std::string out;
      ReplyBuilder rb(&out);
      engine_.Execute(client_, CmdArgs(views.data(), views.size()), rb);
      if (!out.empty() && out[0] == '-') errors.push_back(cmd[0] + ": " + out);
    }
    return errors;
  }

  Engine& engine() { return engine_; }

 private:
  ManualClock clock_;
  Engine engine_;
  ClientState client_;
};

// Every live key as KeyLine prints it, without two things a replay cannot reproduce and that
// are not the data: the representation (a collection that shrank keeps its large encoding,
// which a rebuilt one does not take) and a stream consumer's seen-time (the commands that
// recreate a consumer set it to the load time, as in Redis 7.0).
std::multiset<std::string> Dataset(Engine& engine) {
  static const std::regex kSeenTime("\":-?[0-9]+\\[");  // "consumer":seen[ ...
  std::multiset<std::string> out;
  Keyspace& ks = engine.keyspace();
  for (int db = 0; db < ks.num_dbs(); ++db) {
    ks.db(db).ForEach([&](Entry* e) {
      if (ks.db(db).IsExpired(e)) return;
      std::string line = KeyLine(db, e);
      // db "key" type encoding rest (the test's keys have no spaces).
      std::istringstream in(line);
      std::string d, key, type, encoding, rest;
      in >> d >> key >> type >> encoding;
      std::getline(in, rest);
      out.insert(d + " " + key + " " + type + std::regex_replace(rest, kSeenTime, "\":_["));
    });
  }
  return out;
}

class AofImageTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Run({"CONFIG", "SET", "save", ""});
  }

  void Ok(std::vector<std::string> args) {
    std::string reply = Run(args);
    ASSERT_FALSE(reply.starts_with("ERR") || reply.starts_with("WRONGTYPE"))
        << args[0] << ": " << reply;
  }

  // The image of the keyspace as it is now, taken in small steps.
  std::string Image(size_t budget = 3) {
    engine_.keyspace().RefreshNow();
    Snapshot snap(&engine_.keyspace(), AofCommandsImage());
    std::string image;
    while (!snap.Step(budget)) image += snap.TakeBytes();
    return image + snap.TakeBytes();
  }

  // Replays `image` into a fresh engine whose clock is a second ahead, and expects its dataset
  // to be this engine's.
  void ExpectReplayMatches(const std::string& image) {
    std::vector<Command> cmds = Parse(image);
    Replica replica(clock_.NowMs() + 1000);
    EXPECT_THAT(replica.Replay(cmds), ::testing::IsEmpty());
    std::multiset<std::string> want = Dataset(engine_), got = Dataset(replica.engine());
    EXPECT_EQ(got.size(), want.size());
    // Line by line, so a difference shows as one key rather than two whole datasets.
    std::vector<std::string> missing, extra;
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                        std::back_inserter(missing));
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(),
                        std::back_inserter(extra));
    EXPECT_THAT(missing, ::testing::IsEmpty()) << "keys the replay lost or changed";
    EXPECT_THAT(extra, ::testing::IsEmpty()) << "keys as the replay made them";
  }

  void BuildStreams() {
    // A stream over several nodes, with deleted entries (the first, some in the middle, the
    // last) and fields holding binary bytes.
    for (int i = 1; i <= 250; ++i) {
      std::string id = std::to_string(1000 + i / 3) + "-" + std::to_string(i % 3);
      std::vector<std::string> cmd{"XADD", "st", id, "n", std::to_string(i)};
      if (i % 7 == 0) {
        cmd.push_back(std::string("bin\r\n\0", 6));
        cmd.push_back(std::string(i, 'x'));
      }
      Ok(cmd);
    }
    for (std::string id : {"1000-1", "1010-0", "1010-1", "1050-2", "1083-2"}) {
      Ok({"XDEL", "st", id});
    }
    // Groups: one with a PEL over two consumers (deliveries at different times, one claimed
    // again, some acknowledged) and an idle consumer; one with entries-read unknown; one with
    // a binary name.
    Ok({"XGROUP", "CREATE", "st", "g1", "0"});
    Ok({"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "st", ">"});
    clock_.Advance(1500ms);
    Ok({"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "st", ">"});
    clock_.Advance(700ms);
    Ok({"XCLAIM", "st", "g1", "bob", "0", "1001-0", "RETRYCOUNT", "7"});
    Ok({"XACK", "st", "g1", "1002-0"});
    Ok({"XGROUP", "CREATECONSUMER", "st", "g1", "carol"});
    Ok({"XGROUP", "CREATE", "st", "g2", "1040-1"});
    Ok({"XGROUP", "CREATE", "st", std::string("g\r\n\0", 4), "$"});
    Ok({"XREADGROUP", "GROUP", std::string("g\r\n\0", 4), std::string("c\0", 2), "STREAMS", "st",
        "0"});
    Ok({"XGROUP", "SETID", "st", "g2", "1060-0", "ENTRIESREAD", "170"});

    // Empty streams: one made by MKSTREAM (last-id 0-0) with a group and consumers; one whose
    // entries were all deleted or trimmed (last-id, entries-added and max-deleted-id kept).
    Ok({"XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"});
    Ok({"XGROUP", "CREATECONSUMER", "empty", "g", "idle"});
    Ok({"XADD", "drained", "5-1", "a", "1"});
    Ok({"XADD", "drained", "6-0", "a", "2"});
    Ok({"XADD", "drained", "7-0", "a", "3"});
    Ok({"XDEL", "drained", "6-0"});
    Ok({"XTRIM", "drained", "MAXLEN", "0"});
    Ok({"XADD", "timed", "*", "k", "v"});
    Ok({"PEXPIRE", "timed", "50000"});
  }

  // Every type, small and large encodings, in three dbs.
  void BuildDataset() {
    // db 0: strings.
    Ok({"SET", "int", "12345"});
    Ok({"SET", "neg", "-9223372036854775808"});
    Ok({"SET", "notint", "007"});
    Ok({"SET", "empty", ""});
    Ok({"SET", std::string("bin\r\n\0key", 9), std::string("\0\r\n$3\r\n*", 9)});
    Ok({"SET", "big", std::string(100000, 'b')});
    Ok({"SET", "appended", "1"});
    Ok({"APPEND", "appended", "2"});
    Ok({"SET", "ttl", "v", "PX", "60000"});
    Ok({"SET", "gone", "v", "PX", "10"});  // expired before the image: left out

    // db 1: lists, sets, hashes.
    Ok({"SELECT", "1"});
    Ok({"RPUSH", "small", "a", "1", std::string("\r\n\0", 3), ""});
    for (int i = 0; i < 200; ++i) Ok({"RPUSH", "list200", "e" + std::to_string(i)});
    for (int i = 0; i < 64; ++i) Ok({"LPUSH", "list64", std::to_string(i)});
    Ok({"RPUSH", "biglist", std::string(20000, 'L'), "x", std::string(9000, 'M')});
    Ok({"SADD", "ints", "1", "-5", "300"});
    for (int i = 0; i < 600; ++i) Ok({"SADD", "ints600", std::to_string(i * 7 - 1000)});
    for (int i = 0; i < 129; ++i) Ok({"SADD", "strs", "m" + std::to_string(i)});
    Ok({"SADD", "binset", std::string("a\0b", 3), "\r\n"});
    Ok({"HSET", "h", "f", "v", "n", "10", std::string("\0", 1), std::string("\r\n", 2)});
    for (int i = 0; i < 130; ++i) {
      Ok({"HSET", "h130", "f" + std::to_string(i), std::string(size_t(i), 'v')});
    }
    for (int i = 0; i < 600; ++i) Ok({"HSET", "h600", std::to_string(i), "v"});
    Ok({"EXPIRE", "h600", "3600"});

    // db 5: sorted sets, streams.
    Ok({"SELECT", "5"});
    Ok({"ZADD", "z", "0.1", "a", "-0", "b", "1e300", "c", "inf", "d", "-inf", "e", "0", "f"});
    Ok({"ZADD", "z", "2.5", std::string("\r\n\0", 3), "-1.7976931348623157e308", "min",
        "4.9406564584124654e-324", "denorm", "0.30000000000000004", "sum"});
    for (int i = 0; i < 300; ++i) {
      Ok({"ZADD", "z300", std::to_string(i % 17) + "." + std::to_string(i),
          "m" + std::to_string(i)});
    }
    Ok({"ZADD", "zlong", "1", std::string(100, 'x'), "2", "y"});
    BuildStreams();
    Ok({"SELECT", "0"});
    clock_.Advance(20ms);
  }
};

TEST_F(AofImageTest, ReplayRebuildsEveryType) {
  BuildDataset();
  EXPECT_EQ(Dataset(engine_).size(), 26u);
  // Both representations of each collection type are in the image.
  Run({"SELECT", "1"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "ints"}), "intset");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "ints600"}), "hashtable");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "listpack");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h130"}), "hashtable");
  Run({"SELECT", "5"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "z"}), "listpack");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "z300"}), "skiplist");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "zlong"}), "skiplist");
  std::string image = Image();
  ExpectReplayMatches(image);
  // The expired key is not in the image at all.
  EXPECT_EQ(image.find("gone"), std::string::npos);
}

// RPUSH, SADD, ZADD and HMSET carry at most 64 items each, in as few commands as that allows;
// SELECT comes only when the db changes; every key's commands follow each other.
TEST_F(AofImageTest, CommandShapes) {
  BuildDataset();
  std::vector<Command> cmds = Parse(Image());
  std::map<std::string, std::vector<size_t>> items;  // key -> items per command
  std::vector<std::string> selects;
  std::string last_key;
  std::set<std::string> done_keys;  // db:key
  for (const Command& c : cmds) {
    if (c[0] == "SELECT") {
      selects.push_back(c[1]);
      continue;
    }
    ASSERT_GE(c.size(), 2u);
    ASSERT_FALSE(selects.empty()) << "a key before the first SELECT";
    // XGROUP <sub> key ...
    std::string key = c[0] == "XGROUP" ? c[2] : c[1];
    std::string db_key = selects.back() + ":" + key;
    if (db_key != last_key) {
      EXPECT_TRUE(done_keys.insert(db_key).second) << "commands for " << key << " are split";
      last_key = db_key;
    }
    if (c[0] == "RPUSH" || c[0] == "SADD") items[key].push_back(c.size() - 2);
    if (c[0] == "ZADD" || c[0] == "HMSET") {
      EXPECT_EQ(c.size() % 2, 0u);
      items[key].push_back((c.size() - 2) / 2);
    }
  }
  EXPECT_EQ(selects, (std::vector<std::string>{"0", "1", "5"}));
  using V = std::vector<size_t>;
  EXPECT_EQ(items["list200"], (V{64, 64, 64, 8}));
  EXPECT_EQ(items["list64"], (V{64}));
  EXPECT_EQ(items["small"], (V{4}));
  EXPECT_EQ(items["ints600"], (V{64, 64, 64, 64, 64, 64, 64, 64, 64, 24}));
  EXPECT_EQ(items["strs"], (V{64, 64, 1}));
  EXPECT_EQ(items["h130"], (V{64, 64, 2}));
  EXPECT_EQ(items["z300"], (V{64, 64, 64, 64, 44}));
  EXPECT_EQ(items["z"], (V{10}));
}

TEST_F(AofImageTest, StreamCommands) {
  Ok({"XGROUP", "CREATE", "e", "g", "$", "MKSTREAM"});
  Ok({"XGROUP", "CREATECONSUMER", "e", "g", "c"});
  Ok({"XADD", "s", "1-1", "f", "v"});
  Ok({"XADD", "s", "2-0", "f", "w"});
  Ok({"XDEL", "s", "2-0"});
  Ok({"XGROUP", "CREATE", "s", "g", "0"});
  Ok({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  std::vector<Command> cmds = Parse(Image());
  std::vector<std::string> lines;
  for (const Command& c : cmds) {
    std::string line;
    for (const std::string& a : c) line += (line.empty() ? "" : " ") + a;
    lines.push_back(line);
  }
  std::string t = std::to_string(clock_.NowMs());
  // The keys come in table order: compare each key's commands.
  std::vector<std::string> e_cmds, s_cmds;
  for (const std::string& l : lines) {
    if (l.find(" e ") != std::string::npos) e_cmds.push_back(l);
    if (l.find(" s ") != std::string::npos) s_cmds.push_back(l);
  }
  EXPECT_EQ(e_cmds, (std::vector<std::string>{
                        "XADD e MAXLEN 0 0-1 x y",
                        "XSETID e 0-0 ENTRIESADDED 0 MAXDELETEDID 0-0",
                        "XGROUP CREATE e g 0-0 ENTRIESREAD -1",
                        "XGROUP CREATECONSUMER e g c",
                    }));
  EXPECT_EQ(s_cmds, (std::vector<std::string>{
                        "XADD s 1-1 f v",
                        "XSETID s 2-0 ENTRIESADDED 2 MAXDELETEDID 2-0",
                        "XGROUP CREATE s g 1-1 ENTRIESREAD -1",
                        "XCLAIM s g alice 0 1-1 TIME " + t + " RETRYCOUNT 1 JUSTID FORCE",
                    }));
}

// XCLAIM drops a pending entry whose stream entry is gone instead of claiming it, in Ember as
// in Redis 7.0: such an entry cannot be carried by commands. The image leaves it out and still
// creates its consumer; everything else about the group survives.
TEST_F(AofImageTest, PendingEntryOfADeletedEntryIsLeftOut) {
  Ok({"XADD", "s", "1-0", "f", "v"});
  Ok({"XADD", "s", "2-0", "f", "v"});
  Ok({"XGROUP", "CREATE", "s", "g", "0"});
  Ok({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"});
  Ok({"XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", ">"});
  Ok({"XDEL", "s", "1-0"});
  std::string image = Image();
  std::vector<std::string> claimed, consumers;
  for (const Command& c : Parse(image)) {
    if (c[0] == "XCLAIM") claimed.push_back(c[3] + " " + c[5]);
    if (c[0] == "XGROUP" && c[1] == "CREATECONSUMER") consumers.push_back(c[4]);
  }
  EXPECT_EQ(claimed, (std::vector<std::string>{"bob 2-0"}));
  EXPECT_EQ(consumers, (std::vector<std::string>{"alice"}));
  Replica replica(clock_.NowMs());
  EXPECT_THAT(replica.Replay(Parse(image)), ::testing::IsEmpty());
  // What the replay cannot carry, dropped here too.
  Ok({"XACK", "s", "g", "1-0"});
  EXPECT_EQ(Dataset(replica.engine()), Dataset(engine_));
}

// Keys changed, created and deleted while the image is taken: the replay is the dataset as it
// was when the snapshot started, and the SELECTs follow the walker and the pre-write saves
// across dbs.
TEST_F(AofImageTest, ImageIsThePointInTimeWhileCommandsRun) {
  for (unsigned seed = 1; seed <= 10; ++seed) {
    std::mt19937 rng(seed);
    Run({"FLUSHALL"});
    auto random_command = [&] {
      std::string db = std::to_string(rng() % 3), k = "k" + std::to_string(rng() % 30),
                  n = std::to_string(rng() % 1000);
      Run({"SELECT", db});
      switch (rng() % 8) {
        case 0:
          return Run({"SET", k, n});
        case 1:
          return Run({"RPUSH", k, n, n + "x"});
        case 2:
          return Run({"SADD", k, n});
        case 3:
          return Run({"ZADD", k, n + ".5", n});
        case 4:
          return Run({"HSET", k, n, n});
        case 5:
          return Run({"XADD", k, "*", "f", n});
        case 6:
          return Run({"DEL", k});
        default:
          return Run({"PEXPIRE", k, std::to_string(100000 + rng() % 1000)});
      }
    };
    for (int i = 0; i < 1500; ++i) random_command();
    engine_.keyspace().RefreshNow();
    std::multiset<std::string> before = Dataset(engine_);
    Snapshot snap(&engine_.keyspace(), AofCommandsImage());
    std::string image;
    while (!snap.Step(1 + rng() % 5)) {
      image += snap.TakeBytes();
      for (int k = rng() % 5; k > 0; --k) random_command();
    }
    image += snap.TakeBytes();
    Replica replica(clock_.NowMs());
    EXPECT_THAT(replica.Replay(Parse(image)), ::testing::IsEmpty()) << "seed " << seed;
    EXPECT_EQ(Dataset(replica.engine()), before) << "seed " << seed;
  }
}

}  // namespace
}  // namespace ember
