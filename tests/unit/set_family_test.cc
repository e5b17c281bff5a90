#include "tests/unit/test_base.h"

namespace ember {
namespace {

class SetFamilyTest : public EngineTest {};

TEST_F(SetFamilyTest, IntsetUntilANonIntegerOrTooMany) {
  EXPECT_EQ(Run({"SADD", "s", "3", "1", "2", "2"}), "3");
  EXPECT_EQ(Run({"SMEMBERS", "s"}), "[1, 2, 3]");  // intsets are sorted
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "intset");
  EXPECT_EQ(Run({"SADD", "s", "x"}), "1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "hashtable");
  EXPECT_EQ(Run({"SISMEMBER", "s", "2"}), "1");
  for (int i = 0; i < 513; ++i) Run({"SADD", "big", std::to_string(i)});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "hashtable");
  EXPECT_EQ(Run({"SCARD", "big"}), "513");
}

TEST_F(SetFamilyTest, Algebra) {
  Run({"SADD", "a", "1", "2", "3", "4"});
  Run({"SADD", "b", "3", "4", "5"});
  EXPECT_EQ(Run({"SINTER", "a", "b"}), "[3, 4]");
  EXPECT_EQ(Run({"SDIFF", "a", "b"}), "[1, 2]");
  EXPECT_EQ(Run({"SUNIONSTORE", "u", "a", "b"}), "5");
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "LIMIT", "1"}), "1");
  EXPECT_EQ(Run({"SINTERSTORE", "u", "a", "nokey"}), "0");
  EXPECT_EQ(Run({"EXISTS", "u"}), "0");
  Run({"SET", "str", "v"});
  EXPECT_EQ(Run({"SINTER", "a", "str"}),
            "WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST_F(SetFamilyTest, PopAndMove) {
  Run({"SADD", "a", "1", "2", "3"});
  EXPECT_EQ(Run({"SMOVE", "a", "b", "1"}), "1");
  EXPECT_EQ(Run({"SMOVE", "a", "b", "9"}), "0");
  std::string popped = Run({"SPOP", "a"});
  EXPECT_TRUE(popped == "2" || popped == "3") << popped;
  EXPECT_EQ(Run({"SCARD", "a"}), "1");
  EXPECT_EQ(Run({"SPOP", "a", "5"}).size(), 3u);  // "[x]"
  EXPECT_EQ(Run({"EXISTS", "a"}), "0");
  EXPECT_EQ(Run({"SPOP", "b", "-1"}), "ERR value is out of range, must be positive");
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

TEST_F(EngineTest, HugeRandomPickCountsAreRefusedInsteadOfExhaustingMemory) {
  Run({"SADD", "s", "a"});
  Run({"HSET", "h", "f", "v"});
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "-9223372036854775807"}), "ERR value is out of range");
  EXPECT_EQ(Run({"HRANDFIELD", "h", "-9223372036854775807"}), "ERR value is out of range");
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "-3"}), "[a, a, a]");
}

}  // namespace
}  // namespace ember
