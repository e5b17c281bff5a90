#include "tests/unit/test_base.h"

namespace ember {
namespace {

class HashFamilyTest : public EngineTest {};

TEST_F(HashFamilyTest, SetGetDeleteKeepsInsertionOrder) {
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b", "2", "c", "3"}), "3");
  EXPECT_EQ(Run({"HSET", "h", "b", "20", "d", "4"}), "1");
  EXPECT_EQ(Run({"HGETALL", "h"}), "[a, 1, b, 20, c, 3, d, 4]");
  EXPECT_EQ(Run({"HDEL", "h", "a", "zz"}), "1");
  EXPECT_EQ(Run({"HKEYS", "h"}), "[b, c, d]");
  EXPECT_EQ(Run({"HMGET", "h", "b", "nope"}), "[20, (nil)]");
  EXPECT_EQ(Run({"HLEN", "h"}), "3");
  EXPECT_EQ(Run({"HSTRLEN", "h", "b"}), "2");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "listpack");
  EXPECT_EQ(Run({"HDEL", "h", "b", "c", "d"}), "3");
  EXPECT_EQ(Run({"EXISTS", "h"}), "0");  // the last field took the key with it
}

TEST_F(HashFamilyTest, ConvertsToHashtablePastTheLimits) {
  for (int i = 0; i < 512; ++i) Run({"HSET", "big", "f" + std::to_string(i), "v"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "listpack");
  Run({"HSET", "big", "f512", "v"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "hashtable");
  EXPECT_EQ(Run({"HLEN", "big"}), "513");
  EXPECT_EQ(Run({"HGET", "big", "f77"}), "v");
  Run({"HSET", "wide", "f", std::string(65, 'x')});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "wide"}), "hashtable");
}

TEST_F(HashFamilyTest, CountersAndErrors) {
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "5"}), "5");
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"HSET", "h", "s", "abc"}), "1");
  EXPECT_EQ(Run({"HINCRBY", "h", "s", "1"}), "ERR hash value is not an integer");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "s", "1"}), "ERR hash value is not a float");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "n", "1.5"}), "6.5");
  EXPECT_EQ(Run({"HSET", "h", "m", "9223372036854775807"}), "1");
  EXPECT_EQ(Run({"HINCRBY", "h", "m", "1"}), "ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"HSET", "h", "odd"}), "ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(Run({"HSETNX", "h", "n", "1"}), "0");
  Run({"SET", "str", "v"});
  EXPECT_EQ(Run({"HGET", "str", "f"}),
            "WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(Run({"GET", "h"}), "WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(Run({"TYPE", "h"}), "hash");
}

TEST_F(HashFamilyTest, KeyOperationsMoveTheWholeHash) {
  Run({"HSET", "h", "a", "1"});
  EXPECT_EQ(Run({"EXPIRE", "h", "100"}), "1");
  EXPECT_EQ(Run({"RENAME", "h", "g"}), "OK");
  EXPECT_EQ(Run({"TTL", "g"}), "100");
  EXPECT_EQ(Run({"COPY", "g", "c"}), "1");
  EXPECT_EQ(Run({"HSET", "c", "b", "2"}), "1");
  EXPECT_EQ(Run({"HLEN", "g"}), "1");  // the copy is deep
  EXPECT_EQ(Run({"HGETALL", "c"}), "[a, 1, b, 2]");
  clock_.Advance(101s);
  EXPECT_EQ(Run({"EXISTS", "g"}), "0");
}

TEST_F(HashFamilyTest, HscanVisitsEveryFieldOfALargeHash) {
  for (int i = 0; i < 600; ++i) Run({"HSET", "big", "f" + std::to_string(i), "v"});
  std::set<std::string> seen;
  std::string cursor = "0";
  for (int guard = 0; guard < 10000; ++guard) {
    std::string reply = Run({"HSCAN", "big", cursor, "COUNT", "7"});
    // "[cursor, [f, v, f, v ...]]"
    size_t comma = reply.find(',');
    cursor = reply.substr(1, comma - 1);
    std::string list = reply.substr(reply.find('[', 1) + 1);
    for (size_t s = 0; s < list.size();) {
      size_t e = list.find_first_of(",]", s);
      std::string item = list.substr(s, e - s);
      if (item.rfind("f", 0) == 0) seen.insert(item);
      s = e + 2;
    }
    if (cursor == "0") break;
  }
  EXPECT_EQ(seen.size(), 600u);
}

TEST_F(HashFamilyTest, MemoryAccountingFollowsTheHash) {
  int64_t before = engine_.keyspace().data_bytes();
  for (int i = 0; i < 200; ++i) Run({"HSET", "h", "f" + std::to_string(i), "value"});
  EXPECT_GT(engine_.keyspace().data_bytes(), before);
  Run({"DEL", "h"});
  EXPECT_EQ(engine_.keyspace().data_bytes(), before);
}

}  // namespace
}  // namespace ember
