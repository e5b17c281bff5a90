#include "server/types/dump.h"

#include "tests/unit/test_base.h"

namespace ember {
namespace {

class DumpTest : public EngineTest {};

TEST(Crc64Test, MatchesRedisCheckValue) {
  // Redis's crc64 test vector (src/crc64.c): crc64("123456789") = 0xe9c6d914c4b8d9ca.
  EXPECT_EQ(Crc64("123456789"), 0xe9c6d914c4b8d9caULL);
}

TEST_F(DumpTest, EveryTypeRoundTrips) {
  Run({"SET", "s", "hello"});
  Run({"HSET", "h", "a", "1", "b", "2"});
  Run({"RPUSH", "l", "x", "y", "z"});
  Run({"SADD", "st", "3", "1", "2"});
  for (std::string key : {"s", "h", "l", "st"}) {
    std::string payload = Run({"DUMP", key});
    EXPECT_EQ(Run({"RESTORE", key + "2", "0", payload}), "OK") << key;
    EXPECT_EQ(Run({"TYPE", key + "2"}), Run({"TYPE", key}));
  }
  EXPECT_EQ(Run({"HGETALL", "h2"}), "[a, 1, b, 2]");
  EXPECT_EQ(Run({"LRANGE", "l2", "0", "-1"}), "[x, y, z]");
  EXPECT_EQ(Run({"SMEMBERS", "st2"}), "[1, 2, 3]");
  EXPECT_EQ(Run({"GET", "s2"}), "hello");
}

TEST_F(DumpTest, RestoreChecksItsInputs) {
  Run({"SET", "s", "v"});
  std::string payload = Run({"DUMP", "s"});
  EXPECT_EQ(Run({"RESTORE", "s", "0", payload}), "BUSYKEY Target key name already exists.");
  EXPECT_EQ(Run({"RESTORE", "t", "-1", payload}), "ERR Invalid TTL value, must be >= 0");
  std::string broken = payload;
  broken[1] ^= 1;
  EXPECT_EQ(Run({"RESTORE", "t", "0", broken}), "ERR DUMP payload version or checksum are wrong");
  EXPECT_EQ(Run({"RESTORE", "t", "0", "short"}), "ERR DUMP payload version or checksum are wrong");
  EXPECT_EQ(Run({"RESTORE", "s", "5000", payload, "REPLACE"}), "OK");
  EXPECT_EQ(Run({"PTTL", "s"}), "5000");
  EXPECT_EQ(Run({"DUMP", "nokey"}), "(nil)");
}

}  // namespace
}  // namespace ember
