// Snapshots: the image a snapshot produces is the dataset as it was when the snapshot started,
// whatever the commands run while it is being walked.

#include "server/persist/snapshot.h"

#include <random>
#include <set>
#include <sstream>

#include "server/persist/rdb.h"
#include "tests/tools/rdb_text.h"
#include "tests/unit/test_base.h"

namespace ember {
namespace {

class SnapshotTest : public EngineTest {
 protected:
  // Every live key as "db key type expire value" (the representation left out: a loaded
  // collection takes the compact form its size allows, which one that shrank may not have).
  std::multiset<std::string> Dataset() {
    std::multiset<std::string> out;
    Keyspace& ks = engine_.keyspace();
    for (int db = 0; db < ks.num_dbs(); ++db) {
      ks.db(db).ForEach([&](Entry* e) {
        if (!ks.db(db).IsExpired(e)) out.insert(WithoutEncoding(KeyLine(db, e)));
      });
    }
    return out;
  }

  static std::string WithoutEncoding(const std::string& line) {
    // db "key" type encoding ...: the test's keys have no spaces.
    std::istringstream in(line);
    std::string db, key, type, encoding;
    in >> db >> key >> type >> encoding;
    std::string rest;
    std::getline(in, rest);
    return db + " " + key + " " + type + rest;
  }

  std::multiset<std::string> Load(const std::string& image) {
    std::multiset<std::string> out;
    StringSource src(image);
    RdbLoader loader(&src, engine_.value_limits());
    RdbLoadResult res = loader.Load(
        [&](int db, Entry* e) {
          out.insert(WithoutEncoding(KeyLine(db, e)));
          Entry::Free(e);
        },
        {});
    EXPECT_TRUE(res.ok) << res.error;
    return out;
  }

  std::string Key(std::mt19937& rng, const char* prefix) {
    return prefix + std::to_string(rng() % 40);
  }

  // One random write (or read: a read may save an entry early, which must not matter).
  void RandomCommand(std::mt19937& rng) {
    std::string n = std::to_string(rng() % 1000);
    switch (rng() % 22) {
      case 0:
        Run({"SET", Key(rng, "s"), "v" + n});
        break;
      case 1:
        Run({"INCR", Key(rng, "i")});
        break;
      case 2:
        Run({"APPEND", Key(rng, "s"), n});
        break;
      case 3:
        Run({"DEL", Key(rng, "s"), Key(rng, "h")});
        break;
      case 4:
        Run({"HSET", Key(rng, "h"), "f" + n, n});
        break;
      case 5:
        Run({"HDEL", Key(rng, "h"), "f" + n});
        break;
      case 6:
        Run({"RPUSH", Key(rng, "l"), n, n});
        break;
      case 7:
        Run({"LPOP", Key(rng, "l")});
        break;
      case 8:
        Run({"SADD", Key(rng, "t"), n});
        break;
      case 9:
        Run({"SPOP", Key(rng, "t")});
        break;
      case 10:
        Run({"ZADD", Key(rng, "z"), n, "m" + n});
        break;
      case 11:
        Run({"ZINCRBY", Key(rng, "z"), "1.5", "m" + std::to_string(rng() % 5)});
        break;
      case 12:
        Run({"XADD", Key(rng, "x"), "*", "f", n});
        break;
      case 13:
        Run({"RENAME", Key(rng, "s"), Key(rng, "s")});
        break;
      case 14:
        Run({"PEXPIRE", Key(rng, "s"), std::to_string(1 + rng() % 50)});
        break;
      case 15:
        Run({"PERSIST", Key(rng, "s")});
        break;
      case 16:
        Run({"SELECT", std::to_string(rng() % 3)});
        break;
      case 17:
        Run({"MOVE", Key(rng, "h"), std::to_string(rng() % 3)});
        break;
      case 18:
        Run({"COPY", Key(rng, "l"), Key(rng, "l"), "REPLACE"});
        break;
      case 19:
        Run({"GET", Key(rng, "s")});
        break;
      case 20:
        clock_.Advance(std::chrono::milliseconds(rng() % 20));
        engine_.Cron();  // active expiry
        break;
      case 21:
        if (rng() % 50 == 0) {
          Run({"SWAPDB", std::to_string(rng() % 3), std::to_string(rng() % 3)});
        } else if (rng() % 50 == 0) {
          Run({"FLUSHDB"});
        }
        break;
    }
  }
};

TEST_F(SnapshotTest, ImageIsThePointInTimeWhileCommandsRun) {
  Run({"CONFIG", "SET", "save", ""});
  for (unsigned seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    Run({"FLUSHALL"});
    for (int i = 0; i < 3000; ++i) RandomCommand(rng);
    engine_.keyspace().RefreshNow();
    std::multiset<std::string> expected = Dataset();
    Snapshot snap(&engine_.keyspace(), RdbImage(/*compress=*/seed % 2 == 0, true, {}));
    std::string image;
    bool done = false;
    while (!done) {
      done = snap.Step(1 + rng() % 8);
      image += snap.TakeBytes();
      for (int k = rng() % 6; k > 0; --k) RandomCommand(rng);
    }
    EXPECT_EQ(Load(image), expected) << "seed " << seed;
    EXPECT_EQ(engine_.keyspace().snapshot(), nullptr);
  }
}

// A key changed before the walker reaches it is saved as it was; one created meanwhile is not
// saved at all; one deleted meanwhile still is.
TEST_F(SnapshotTest, SavesOldValuesNotNewKeys) {
  Run({"SET", "a", "old"});
  Run({"RPUSH", "l", "1", "2"});
  Run({"SET", "gone", "x"});
  Snapshot snap(&engine_.keyspace(), RdbImage(false, true, {{"redis-ver", "7.0.15"}}));
  Run({"SET", "a", "new"});
  Run({"RPUSH", "l", "3"});
  Run({"DEL", "gone"});
  Run({"SET", "fresh", "y"});
  while (!snap.Step(1)) {
  }
  std::multiset<std::string> got = Load(snap.TakeBytes());
  EXPECT_EQ(got,
            (std::multiset<std::string>{R"(0 "a" string -1 "old")", R"(0 "gone" string -1 "x")",
                                        R"(0 "l" list -1 ["1","2"])"}));
  EXPECT_EQ(Run({"GET", "a"}), "new");
}

TEST_F(SnapshotTest, FlushAllDuringASnapshotKeepsTheImage) {
  Run({"CONFIG", "SET", "save", ""});
  for (int i = 0; i < 100; ++i) Run({"SET", "k" + std::to_string(i), "v"});
  Snapshot snap(&engine_.keyspace(), RdbImage(false, true, {}));
  snap.Step(10);
  Run({"FLUSHALL"});
  Run({"SET", "after", "v"});
  while (!snap.Step(10)) {
  }
  EXPECT_EQ(Load(snap.TakeBytes()).size(), 100u);
}

}  // namespace
}  // namespace ember
