#include "tests/unit/test_base.h"

namespace ember {
namespace {

class ListFamilyTest : public EngineTest {};

TEST_F(ListFamilyTest, PushPopAtBothEnds) {
  EXPECT_EQ(Run({"RPUSH", "l", "b", "c"}), "2");
  EXPECT_EQ(Run({"LPUSH", "l", "a"}), "3");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[a, b, c]");
  EXPECT_EQ(Run({"LPOP", "l"}), "a");
  EXPECT_EQ(Run({"RPOP", "l", "5"}), "[c, b]");
  EXPECT_EQ(Run({"EXISTS", "l"}), "0");  // the last pop took the key with it
  EXPECT_EQ(Run({"LPOP", "l"}), "(nil)");
  EXPECT_EQ(Run({"LPOP", "l", "-1"}), "ERR value is out of range, must be positive");
}

TEST_F(ListFamilyTest, LargeListsSpanManyChunksAndKeepOrder) {
  // 20,000 elements of 100 bytes are ~250 chunks of 8 KB.
  for (int i = 0; i < 10000; ++i) {
    Run({"RPUSH", "l", std::to_string(i) + std::string(95, 'r')});
    Run({"LPUSH", "l", std::to_string(-i - 1) + std::string(95, 'l')});
  }
  EXPECT_EQ(Run({"LLEN", "l"}), "20000");
  EXPECT_EQ(Run({"LINDEX", "l", "0"}), "-10000" + std::string(95, 'l'));
  EXPECT_EQ(Run({"LINDEX", "l", "10000"}), "0" + std::string(95, 'r'));
  EXPECT_EQ(Run({"LINDEX", "l", "-1"}), "9999" + std::string(95, 'r'));
  EXPECT_EQ(Run({"LTRIM", "l", "9999", "10000"}), "OK");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}),
            "[-1" + std::string(95, 'l') + ", 0" + std::string(95, 'r') + "]");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "l"}), "quicklist");
}

TEST_F(ListFamilyTest, EditsByValueAndPosition) {
  Run({"RPUSH", "l", "a", "b", "a", "c", "a"});
  EXPECT_EQ(Run({"LREM", "l", "-2", "a"}), "2");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[a, b, c]");
  EXPECT_EQ(Run({"LINSERT", "l", "AFTER", "b", "B"}), "4");
  EXPECT_EQ(Run({"LINSERT", "l", "BEFORE", "zz", "B"}), "-1");
  EXPECT_EQ(Run({"LSET", "l", "-1", "C"}), "OK");
  EXPECT_EQ(Run({"LSET", "l", "9", "C"}), "ERR index out of range");
  EXPECT_EQ(Run({"LPOS", "l", "C"}), "3");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[a, b, B, C]");
}

TEST_F(ListFamilyTest, MovesBetweenLists) {
  Run({"RPUSH", "src", "1", "2", "3"});
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "LEFT", "RIGHT"}), "1");
  EXPECT_EQ(Run({"RPOPLPUSH", "src", "dst"}), "3");
  EXPECT_EQ(Run({"LMOVE", "src", "src", "LEFT", "RIGHT"}), "2");  // rotation of one element
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[3, 1]");
  EXPECT_EQ(Run({"LMPOP", "2", "nokey", "dst", "RIGHT", "COUNT", "5"}), "[dst, [1, 3]]");
  EXPECT_EQ(Run({"EXISTS", "dst"}), "0");
  Run({"SET", "s", "v"});
  EXPECT_EQ(Run({"LPUSH", "s", "x"}),
            "WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST_F(ListFamilyTest, MemoryAccountingFollowsTheList) {
  int64_t before = engine_.keyspace().data_bytes();
  for (int i = 0; i < 3000; ++i) Run({"RPUSH", "l", std::string(50, 'x')});
  EXPECT_GT(engine_.keyspace().data_bytes(), before + 3000 * 50);
  for (int i = 0; i < 3000; ++i) Run({"LPOP", "l"});
  EXPECT_EQ(engine_.keyspace().data_bytes(), before);
}

}  // namespace
}  // namespace ember
