#include "tests/unit/test_base.h"

namespace ember {
namespace {

class SortTest : public EngineTest {};

TEST_F(SortTest, NumericAlphaLimitAndDesc) {
  Run({"RPUSH", "l", "3", "1", "2", "10"});
  EXPECT_EQ(Run({"SORT", "l"}), "[1, 2, 3, 10]");
  EXPECT_EQ(Run({"SORT", "l", "ALPHA"}), "[1, 10, 2, 3]");
  EXPECT_EQ(Run({"SORT", "l", "DESC", "LIMIT", "1", "2"}), "[3, 2]");
  Run({"RPUSH", "w", "b", "a"});
  EXPECT_EQ(Run({"SORT", "w"}), "ERR One or more scores can't be converted into double");
  EXPECT_EQ(Run({"SORT_RO", "l", "STORE", "x"}), "ERR syntax error");
}

TEST_F(SortTest, ByAndGetPatternsIncludingHashFields) {
  Run({"RPUSH", "users", "a", "b", "c"});
  Run({"MSET", "age_a", "30", "age_b", "20", "age_c", "25"});
  Run({"HSET", "user_a", "name", "Ann"});
  Run({"HSET", "user_c", "name", "Cid"});
  EXPECT_EQ(Run({"SORT", "users", "BY", "age_*", "GET", "#", "GET", "user_*->name"}),
            "[b, (nil), c, Cid, a, Ann]");
  EXPECT_EQ(Run({"SORT", "users", "BY", "nosort"}), "[a, b, c]");
  EXPECT_EQ(Run({"SORT", "users", "BY", "age_*", "STORE", "out"}), "3");
  EXPECT_EQ(Run({"LRANGE", "out", "0", "-1"}), "[b, c, a]");
}

}  // namespace
}  // namespace ember
