#include "tests/unit/test_base.h"

namespace ember {
namespace {

class GenericFamilyTest : public EngineTest {};

TEST_F(GenericFamilyTest, ExpireOptions) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "XX"}), "0");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "NX"}), "1");
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "GT"}), "0");
  EXPECT_EQ(Run({"EXPIRE", "k", "200", "GT"}), "1");
  EXPECT_EQ(Run({"EXPIRE", "k", "300", "LT"}), "0");
  EXPECT_EQ(Run({"TTL", "k"}), "200");
  EXPECT_EQ(Run({"PTTL", "k"}), "200000");
  EXPECT_EQ(Run({"EXPIRE", "k", "1", "NX", "XX"}),
            "ERR NX and XX, GT or LT options at the same time are not compatible");
  EXPECT_EQ(Run({"EXPIRE", "k", "1", "FOO"}), "ERR Unsupported option FOO");
  EXPECT_EQ(Run({"PERSIST", "k"}), "1");
  EXPECT_EQ(Run({"TTL", "k"}), "-1");
  EXPECT_EQ(Run({"TTL", "nokey"}), "-2");
  EXPECT_EQ(Run({"EXPIRE", "k", "-1"}), "1");
  EXPECT_EQ(Run({"EXISTS", "k"}), "0");
}

TEST_F(GenericFamilyTest, ExpireTimeIsAbsolute) {
  clock_.SetMs(1'000'000'000'000);
  EXPECT_EQ(Run({"SET", "k", "v", "PXAT", "1000000005000"}), "OK");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), "1000000005000");
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), "1000000005");
}

TEST_F(GenericFamilyTest, ActiveExpiryReclaimsWithoutAccess) {
  for (int i = 0; i < 2000; ++i) Run({"SET", "session:" + std::to_string(i), "x", "PX", "100"});
  Run({"SET", "keep", "x"});
  clock_.Advance(200ms);
  // No command touches the sessions: only the cron cycle can reclaim them.
  for (int i = 0; i < 200 && engine_.keyspace().db(0).size() > 1; ++i) engine_.Cron();
  EXPECT_EQ(engine_.keyspace().db(0).size(), 1u);
  EXPECT_EQ(Run({"GET", "keep"}), "x");
}

TEST_F(GenericFamilyTest, KeysAndScan) {
  Run({"MSET", "hello", "1", "hallo", "2", "hxllo", "3", "other", "4"});
  EXPECT_THAT(Run({"KEYS", "h[ae]llo"}), ::testing::AnyOf("[hello, hallo]", "[hallo, hello]"));
  std::set<std::string> seen;
  std::string cursor = "0";
  for (int guard = 0; guard < 1000; ++guard) {
    std::string raw = RunRaw({"SCAN", cursor, "MATCH", "h*", "COUNT", "2"});
    // Reply: *2 $n cursor *m keys...
    size_t pos = 0;
    std::string decoded = DecodeAt(raw, &pos);
    size_t comma = decoded.find(',');
    cursor = decoded.substr(1, comma - 1);
    size_t lb = decoded.find('[', 1), rb = decoded.find(']', lb);
    std::string list = decoded.substr(lb + 1, rb - lb - 1);
    for (size_t s = 0; s < list.size();) {
      size_t e = list.find(", ", s);
      seen.insert(list.substr(s, e == std::string::npos ? std::string::npos : e - s));
      if (e == std::string::npos) break;
      s = e + 2;
    }
    if (cursor == "0") break;
  }
  EXPECT_EQ(seen, (std::set<std::string>{"hello", "hallo", "hxllo"}));
  EXPECT_EQ(Run({"SCAN", "abc"}), "ERR invalid cursor");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "0"}), "ERR syntax error");
}

TEST_F(GenericFamilyTest, RenameCopyMove) {
  EXPECT_EQ(Run({"RENAME", "nokey", "x"}), "ERR no such key");
  Run({"SET", "a", "1", "EX", "100"});
  EXPECT_EQ(Run({"RENAME", "a", "b"}), "OK");
  EXPECT_EQ(Run({"TTL", "b"}), "100");
  Run({"SET", "c", "3"});
  EXPECT_EQ(Run({"RENAMENX", "b", "c"}), "0");
  EXPECT_EQ(Run({"COPY", "b", "c"}), "0");
  EXPECT_EQ(Run({"COPY", "b", "c", "REPLACE"}), "1");
  EXPECT_EQ(Run({"GET", "c"}), "1");
  EXPECT_EQ(Run({"COPY", "b", "b"}), "ERR source and destination objects are the same");
  EXPECT_EQ(Run({"COPY", "b", "b", "DB", "1"}), "1");
  EXPECT_EQ(Run({"MOVE", "c", "2"}), "1");
  EXPECT_EQ(Run({"SELECT", "2"}), "OK");
  EXPECT_EQ(Run({"GET", "c"}), "1");
  EXPECT_EQ(Run({"SELECT", "16"}), "ERR DB index is out of range");
}

TEST_F(GenericFamilyTest, DatabasesAreSeparate) {
  Run({"SET", "k", "0"});
  Run({"SELECT", "1"});
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  Run({"SET", "k", "1"});
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "0");
  EXPECT_EQ(Run({"DBSIZE"}), "1");
  EXPECT_EQ(Run({"FLUSHALL"}), "OK");
  EXPECT_EQ(Run({"DBSIZE"}), "0");
  EXPECT_EQ(Run({"FLUSHDB", "LAZY"}), "ERR syntax error");
}

TEST_F(GenericFamilyTest, TypeObjectAndDispatcherErrors) {
  Run({"SET", "i", "123"});
  Run({"SET", "e", "abc"});
  Run({"SET", "r", std::string(50, 'x')});
  EXPECT_EQ(Run({"TYPE", "i"}), "string");
  EXPECT_EQ(Run({"TYPE", "zz"}), "none");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "i"}), "int");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "e"}), "embstr");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "r"}), "raw");
  EXPECT_EQ(Run({"OBJECT", "FREQ", "i"}).rfind("ERR An LFU maxmemory policy is not selected", 0),
            0u);
  clock_.Advance(5s);
  EXPECT_EQ(Run({"OBJECT", "IDLETIME", "i"}), "5");
  EXPECT_EQ(Run({"OBJECT", "FOO", "i"}), "ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
  EXPECT_EQ(Run({"GET"}), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Run({"OBJECT", "ENCODING"}),
            "ERR wrong number of arguments for 'object|encoding' command");
  EXPECT_EQ(Run({"NOPE", "a", "b"}),
            "ERR unknown command 'NOPE', with args beginning with: 'a' 'b' ");
}

}  // namespace
}  // namespace ember
