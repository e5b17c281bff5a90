#include "tests/unit/test_base.h"

namespace ember {
namespace {

class ServerFamilyTest : public EngineTest {};

TEST_F(ServerFamilyTest, PingEcho) {
  EXPECT_EQ(Run({"PING"}), "PONG");
  EXPECT_EQ(Run({"PING", "hi"}), "hi");
  EXPECT_EQ(Run({"ECHO", "x"}), "x");
}

TEST_F(ServerFamilyTest, AuthFlow) {
  EXPECT_EQ(Run({"AUTH", "x"}),
            "ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?");
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", "s3cret"}), "OK");
  client_.authenticated = false;
  EXPECT_EQ(Run({"GET", "k"}), "NOAUTH Authentication required.");
  EXPECT_EQ(Run({"AUTH", "wrong"}),
            "WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(Run({"AUTH", "default", "s3cret"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
}

TEST_F(ServerFamilyTest, HelloSwitchesToResp3) {
  std::string reply = Run({"HELLO", "3"});
  EXPECT_THAT(reply, ::testing::HasSubstr("proto: 3"));
  EXPECT_TRUE(client_.resp3);
  EXPECT_EQ(RunRaw({"GET", "nokey"}), "_\r\n");
  EXPECT_EQ(Run({"HELLO", "4"}), "NOPROTO unsupported protocol version");
}

TEST_F(ServerFamilyTest, ProtectedConfigsNeedEnableProtectedConfigs) {
  const std::string refused =
      "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected "
      "config";
  EXPECT_EQ(Run({"CONFIG", "GET", "enable-protected-configs"}), "[enable-protected-configs, no]");
  EXPECT_EQ(Run({"CONFIG", "SET", "dbfilename", "x.rdb"}), refused);
  EXPECT_EQ(Run({"CONFIG", "SET", "dir", "/"}),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected "
            "config");
  EXPECT_EQ(Run({"CONFIG", "SET", "enable-protected-configs", "yes"}),
            "ERR CONFIG SET failed (possibly related to argument 'enable-protected-configs') - "
            "can't set immutable config");
  // local: only clients on loopback.
  ASSERT_EQ(engine_.config_table().Set("enable-protected-configs", "local", true), std::nullopt);
  client_.addr = "10.1.2.3:5000";
  EXPECT_EQ(Run({"CONFIG", "SET", "dbfilename", "x.rdb"}), refused);
  client_.addr = "127.0.0.1:5000";
  EXPECT_EQ(Run({"CONFIG", "SET", "dbfilename", "x.rdb"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "dbfilename"}), "[dbfilename, x.rdb]");
}

TEST_F(ServerFamilyTest, ConfigGetSet) {
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", "256mb"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "maxmemory"}), "[maxmemory, 268435456]");
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", "lots"}),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be "
            "a memory value");
  EXPECT_EQ(Run({"CONFIG", "SET", "nosuch", "1"}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(Run({"CONFIG", "SET", "databases", "4"}),
            "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set "
            "immutable config");
}

TEST_F(ServerFamilyTest, MaxmemoryEvictsWithAllkeysLru) {
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}), "OK");
  engine_.RefreshMemory();
  int64_t base = engine_.UsedMemory();
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", std::to_string(base + 200'000)}), "OK");
  for (int i = 0; i < 20000; ++i) {
    ASSERT_EQ(Run({"SET", "key:" + std::to_string(i), std::string(100, 'v')}), "OK");
  }
  EXPECT_LT(engine_.keyspace().db(0).size(), 20000u);
  EXPECT_GT(engine_.keyspace().evicted_keys(), 0u);
}

TEST_F(ServerFamilyTest, MaxmemoryNoevictionRefusesWrites) {
  engine_.RefreshMemory();
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", std::to_string(engine_.UsedMemory() + 50'000)}),
            "OK");
  std::string last;
  for (int i = 0; i < 5000 && last != "OOM command not allowed when used memory > 'maxmemory'.";
       ++i) {
    last = Run({"SET", "key:" + std::to_string(i), std::string(100, 'v')});
  }
  EXPECT_EQ(last, "OOM command not allowed when used memory > 'maxmemory'.");
  EXPECT_EQ(Run({"GET", "key:0"}), std::string(100, 'v'));  // reads still work
}

TEST_F(ServerFamilyTest, InfoHasRedisFields) {
  Run({"SET", "k", "v", "EX", "100"});
  std::string info = Run({"INFO"});
  EXPECT_THAT(info, ::testing::HasSubstr("redis_version:7.0.15\r\n"));
  EXPECT_THAT(info, ::testing::HasSubstr("role:master\r\n"));
  EXPECT_THAT(info, ::testing::HasSubstr("db0:keys=1,expires=1,avg_ttl="));
  EXPECT_THAT(Run({"INFO", "keyspace"}), ::testing::StartsWith("# Keyspace\r\n"));
}

}  // namespace
}  // namespace ember

namespace ember {
namespace {

class EvictionTest : public EngineTest {};

TEST_F(EvictionTest, LfuCounterGrowsWithAccessAndObjectFreqReportsIt) {
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}), "OK");
  Run({"SET", "hot", "1"});
  Run({"SET", "cold", "1"});
  for (int i = 0; i < 200; ++i) Run({"GET", "hot"});
  int hot = std::stoi(Run({"OBJECT", "FREQ", "hot"}));
  int cold = std::stoi(Run({"OBJECT", "FREQ", "cold"}));
  EXPECT_GT(hot, cold);
  EXPECT_THAT(Run({"OBJECT", "IDLETIME", "hot"}), ::testing::StartsWith("ERR An LFU"));
}

TEST_F(EvictionTest, VolatileTtlEvictsTheSoonestDeadlineFirst) {
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory-policy", "volatile-ttl"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory-samples", "64"}), "OK");
  Run({"SET", "forever", std::string(1000, 'x')});
  Run({"SET", "soon", "x", "EX", "10"});
  Run({"SET", "later", "x", "EX", "10000"});
  engine_.RefreshMemory();
  // Just below what is used now: one eviction is enough.
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory", std::to_string(engine_.UsedMemory() - 1)}), "OK");
  Run({"PING"});
  EXPECT_EQ(Run({"EXISTS", "soon"}), "0");
  EXPECT_EQ(Run({"EXISTS", "forever"}), "1");
}

}  // namespace
}  // namespace ember
