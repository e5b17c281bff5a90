#include "tests/unit/test_base.h"

namespace ember {
namespace {

// Collects the effects writes propagate, as space-joined lines.
class RecordingSink : public JournalSink {
 public:
  void Append(int, std::span<const std::string_view> effect, std::string_view) override {
    std::string line;
    for (auto a : effect) line += (line.empty() ? "" : " ") + std::string(a);
    lines.push_back(line);
  }
  std::vector<std::string> lines;
};

class StreamFamilyTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    engine_.journal().AddSink(&sink_);
  }
  int64_t Now() const { return clock_.NowMs(); }
  RecordingSink sink_;
};

TEST_F(StreamFamilyTest, AutoIdsComeFromTheInjectedClock) {
  clock_.SetMs(5000);
  EXPECT_EQ(Run({"XADD", "s", "*", "f", "v"}), "5000-0");
  EXPECT_EQ(Run({"XADD", "s", "*", "f", "v"}), "5000-1");
  clock_.SetMs(4000);  // the clock went back: the sequence goes on
  EXPECT_EQ(Run({"XADD", "s", "*", "f", "v"}), "5000-2");
  EXPECT_EQ(Run({"XADD", "s", "7000-*", "f", "v"}), "7000-0");
  EXPECT_EQ(Run({"XADD", "s", "7000-*", "f", "v"}), "7000-1");
  EXPECT_EQ(Run({"XADD", "s", "6000-*", "f", "v"}),
            "ERR The ID specified in XADD is equal or smaller than the target stream top item");
  EXPECT_EQ(Run({"XLEN", "s"}), "5");
  EXPECT_EQ(Run({"TYPE", "s"}), "stream");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "stream");
  // The effect names the id that was generated.
  EXPECT_EQ(sink_.lines.front(), "XADD s 5000-0 f v");
}

TEST_F(StreamFamilyTest, IdErrors) {
  EXPECT_EQ(Run({"XADD", "s", "0-0", "f", "v"}),
            "ERR The ID specified in XADD must be greater than 0-0");
  EXPECT_EQ(Run({"EXISTS", "s"}), "0");
  EXPECT_EQ(Run({"XADD", "s", "1-x", "f", "v"}),
            "ERR Invalid stream ID specified as stream command argument");
  EXPECT_EQ(Run({"XADD", "s", "18446744073709551615-18446744073709551615", "f", "v"}),
            "18446744073709551615-18446744073709551615");
  EXPECT_EQ(Run({"XADD", "s", "*", "f", "v"}),
            "ERR The stream has exhausted the last possible ID, unable to add more items");
  EXPECT_EQ(Run({"XADD", "s", "*", "f"}), "ERR wrong number of arguments for 'xadd' command");
  EXPECT_EQ(Run({"XADD", "n", "NOMKSTREAM", "*", "f", "v"}), "(nil)");
  EXPECT_EQ(Run({"XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"}),
            "ERR invalid start ID for the interval");
}

TEST_F(StreamFamilyTest, RangesExclusiveBoundsAndCount) {
  for (int i = 1; i <= 5; ++i) Run({"XADD", "s", std::to_string(i) + "-1", "f", std::to_string(i)});
  EXPECT_EQ(Run({"XRANGE", "s", "(2-1", "4"}), "[[3-1, [f, 3]], [4-1, [f, 4]]]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "+", "-", "COUNT", "2"}), "[[5-1, [f, 5]], [4-1, [f, 4]]]");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "COUNT", "0"}), "(nil)");
  EXPECT_EQ(Run({"XDEL", "s", "3-1", "9-9"}), "1");
  EXPECT_EQ(Run({"XRANGE", "s", "2", "4"}), "[[2-1, [f, 2]], [4-1, [f, 4]]]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "4", "2"}), "[[4-1, [f, 4]], [2-1, [f, 2]]]");
}

TEST_F(StreamFamilyTest, ApproximateTrimDropsWholeNodesOnly) {
  for (int i = 1; i <= 250; ++i) Run({"XADD", "s", std::to_string(i), "f", "v"});
  // Nodes hold 100 entries: ~ keeps the node that straddles the threshold.
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "~", "120"}), "100");
  EXPECT_EQ(Run({"XLEN", "s"}), "150");
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "=", "120"}), "30");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "COUNT", "1"}), "[[131-0, [f, v]]]");
  EXPECT_EQ(Run({"XTRIM", "s", "MINID", "200"}), "69");
  EXPECT_EQ(sink_.lines.back(), "XTRIM s MAXLEN = 51");
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "1", "LIMIT", "5"}),
            "ERR syntax error, LIMIT cannot be used without the special ~ option");
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "0", "300", "f", "v"}), "300-0");
  EXPECT_EQ(Run({"XLEN", "s"}), "0");
  EXPECT_EQ(Run({"EXISTS", "s"}), "1");  // an empty stream stays
}

TEST_F(StreamFamilyTest, ReadFromSeveralStreams) {
  Run({"XADD", "a", "1-1", "f", "a1"});
  Run({"XADD", "b", "2-1", "f", "b1"});
  EXPECT_EQ(Run({"XREAD", "COUNT", "1", "STREAMS", "a", "b", "nokey", "0", "0", "0"}),
            "[[a, [[1-1, [f, a1]]]], [b, [[2-1, [f, b1]]]]]");
  EXPECT_EQ(Run({"XREAD", "STREAMS", "a", "$"}), "(nil)");
  // Nothing to serve with BLOCK: the client waits (no reply) until its deadline.
  EXPECT_EQ(RunRaw({"XREAD", "BLOCK", "100", "STREAMS", "a", "$"}), "");
  clock_.Advance(std::chrono::milliseconds(101));
  engine_.ExpireBlocked();
  EXPECT_EQ(client_.delivered, "*-1\r\n");
  EXPECT_EQ(Run({"XREAD", "BLOCK", "-1", "STREAMS", "a", "$"}), "ERR timeout is negative");
  EXPECT_EQ(Run({"XREAD", "BLOCK", "x", "STREAMS", "a", "$"}),
            "ERR timeout is not an integer or out of range");
  EXPECT_EQ(Run({"XREAD", "STREAMS", "a", "b", "0"}),
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
  client_.resp3 = true;
  EXPECT_EQ(Run({"XREAD", "STREAMS", "a", "0"}), "{a: [[1-1, [f, a1]]]}");
  EXPECT_EQ(Run({"XREAD", "STREAMS", "a", "$"}), "(nil)");
}

TEST_F(StreamFamilyTest, ConsumerGroupDeliveryAckAndPending) {
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$"}),
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically.");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}), "OK");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$"}),
            "BUSYGROUP Consumer Group name already exists");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"}),
            "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option");
  Run({"XADD", "s", "1-1", "f", "1"});
  Run({"XADD", "s", "2-1", "f", "2"});
  sink_.lines.clear();
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"}),
            "[[s, [[1-1, [f, 1]]]]]");
  EXPECT_EQ(sink_.lines,
            (std::vector<std::string>{"XGROUP CREATECONSUMER s g alice",
                                      "XCLAIM s g alice 0 1-1 TIME " + std::to_string(Now()) +
                                          " RETRYCOUNT 1 FORCE JUSTID LASTID 1-1",
                                      "XGROUP SETID s g 1-1 ENTRIESREAD 1"}));
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"}),
            "[[s, [[2-1, [f, 2]]]]]");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"}), "(nil)");
  clock_.Advance(1500ms);
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[2, 1-1, 2-1, [[alice, 1], [bob, 1]]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "IDLE", "1000", "-", "+", "10", "bob"}),
            "[[2-1, bob, 1500, 1]]");
  // History: the consumer's own pending entries, each delivery counted.
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"}),
            "[[s, [[1-1, [f, 1]]]]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "+", "10", "alice"}), "[[1-1, alice, 0, 2]]");
  Run({"XDEL", "s", "1-1"});
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"}),
            "[[s, [[1-1, (nil)]]]]");
  EXPECT_EQ(Run({"XACK", "s", "g", "1-1", "1-1", "9-9"}), "1");
  EXPECT_EQ(Run({"XINFO", "GROUPS", "s"}),
            "[[name, g, consumers, 2, pending, 1, last-delivered-id, 2-1, entries-read, 2, lag, "
            "0]]");
  clock_.Advance(250ms);
  EXPECT_EQ(Run({"XINFO", "CONSUMERS", "s", "g"}),
            "[[name, alice, pending, 0, idle, 250], [name, bob, pending, 1, idle, 1750]]");
}

// XCLAIM ... FORCE makes a PEL entry for an entry nobody was delivered; Redis starts its
// delivery count at 1, then counts the claim itself unless JUSTID.
TEST_F(StreamFamilyTest, ClaimForceCreatesAPendingEntryDeliveredOnce) {
  Run({"XADD", "s", "1-0", "f", "v"});
  Run({"XADD", "s", "2-0", "f", "v"});
  Run({"XADD", "s", "3-0", "f", "v"});
  Run({"XGROUP", "CREATE", "s", "g", "$"});
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "c", "0", "1-0", "JUSTID"}), "[]");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "c", "0", "1-0", "FORCE", "JUSTID"}), "[1-0]");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "c", "0", "2-0", "FORCE"}), "[[2-0, [f, v]]]");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "c", "0", "3-0", "FORCE", "JUSTID", "RETRYCOUNT", "5"}),
            "[3-0]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "+", "10"}),
            "[[1-0, c, 0, 1], [2-0, c, 0, 2], [3-0, c, 0, 5]]");
}

TEST_F(StreamFamilyTest, ClaimRespectsMinIdleOnTheInjectedClock) {
  Run({"XADD", "s", "1-1", "f", "1"});
  Run({"XADD", "s", "2-1", "f", "2"});
  Run({"XADD", "s", "3-1", "f", "3"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  clock_.Advance(100ms);
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "200", "1-1"}), "[]");
  clock_.Advance(100ms);
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "200", "1-1", "JUSTID"}), "[1-1]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "+", "10", "bob"}), "[[1-1, bob, 0, 1]]");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "0", "2-1", "IDLE", "5000", "RETRYCOUNT", "9"}),
            "[[2-1, [f, 2]]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "+", "10", "bob"}),
            "[[1-1, bob, 0, 1], [2-1, bob, 5000, 9]]");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "0", "1-1", "FOO"}),
            "ERR Unrecognized XCLAIM option 'FOO'");
  // XAUTOCLAIM: a cursor, the claimed entries, and the ids deleted from the stream meanwhile.
  Run({"XDEL", "s", "3-1"});
  clock_.Advance(1000ms);
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "carol", "500", "0", "COUNT", "1"}),
            "[2-1, [[1-1, [f, 1]]], []]");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "carol", "500", "2-1"}), "[0-0, [[2-1, [f, 2]]], [3-1]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[2, 1-1, 2-1, [[carol, 2]]]");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "0"}),
            "ERR COUNT must be > 0");
}

TEST_F(StreamFamilyTest, LagAndEntriesRead) {
  for (int i = 1; i <= 4; ++i) Run({"XADD", "s", std::to_string(i), "f", "v"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"});
  EXPECT_EQ(Run({"XINFO", "GROUPS", "s"}),
            "[[name, g, consumers, 1, pending, 1, last-delivered-id, 1-0, entries-read, 1, lag, "
            "3]]");
  Run({"XDEL", "s", "3-0"});  // a tombstone ahead of the group: the lag is unknown
  EXPECT_EQ(Run({"XINFO", "GROUPS", "s"}),
            "[[name, g, consumers, 1, pending, 1, last-delivered-id, 1-0, entries-read, 1, lag, "
            "(nil)]]");
}

TEST_F(StreamFamilyTest, DumpRestoreAndCopyKeepGroupsAndPel) {
  Run({"XADD", "s", "1-1", "a", "1", "b", "2"});
  Run({"XADD", "s", "2-1", "c", "3"});
  Run({"XDEL", "s", "2-1"});
  Run({"XGROUP", "CREATE", "s", "g", "0"});
  Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  Run({"XGROUP", "CREATECONSUMER", "s", "g", "bob"});
  std::string full = Run({"XINFO", "STREAM", "s", "FULL"});
  EXPECT_EQ(Run({"COPY", "s", "c"}), "1");
  EXPECT_EQ(Run({"XINFO", "STREAM", "c", "FULL"}), full);
  std::string payload = Decode(RunRaw({"DUMP", "s"}));
  EXPECT_EQ(Run({"RESTORE", "r", "0", payload}), "OK");
  EXPECT_EQ(Run({"XINFO", "STREAM", "r", "FULL"}), full);
  EXPECT_EQ(Run({"TYPE", "r"}), "stream");
  // The copies are independent.
  Run({"XACK", "c", "g", "1-1"});
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[1, 1-1, 1-1, [[alice, 1]]]");
  EXPECT_EQ(Run({"XPENDING", "c", "g"}), "[0, (nil), (nil), (nil)]");
  // An empty stream round-trips too.
  Run({"XADD", "e", "MAXLEN", "0", "5-5", "f", "v"});
  EXPECT_EQ(Run({"RESTORE", "e2", "0", Decode(RunRaw({"DUMP", "e"}))}), "OK");
  EXPECT_EQ(Run({"XINFO", "STREAM", "e2"}), Run({"XINFO", "STREAM", "e"}));
}

TEST_F(StreamFamilyTest, MemoryIsAccounted) {
  int64_t before = engine_.keyspace().data_bytes();
  for (int i = 1; i <= 1000; ++i) {
    Run({"XADD", "s", std::to_string(i), "field", std::string(20, 'x')});
  }
  int64_t grown = engine_.keyspace().data_bytes() - before;
  EXPECT_GT(grown, 1000 * 20);
  EXPECT_LT(grown, 1000 * 60);  // a few bytes per entry besides its data
  std::string usage = Run({"MEMORY", "USAGE", "s"});
  EXPECT_GT(std::stoll(usage), 1000 * 20);
  Run({"DEL", "s"});
  EXPECT_EQ(engine_.keyspace().data_bytes(), before);
}

TEST_F(StreamFamilyTest, WrongType) {
  Run({"SET", "k", "v"});
  const std::string kWrong = "WRONGTYPE Operation against a key holding the wrong kind of value";
  EXPECT_EQ(Run({"XADD", "k", "*", "f", "v"}), kWrong);
  EXPECT_EQ(Run({"XRANGE", "k", "-", "+"}), kWrong);
  EXPECT_EQ(Run({"XREAD", "STREAMS", "k", "0"}), kWrong);
  EXPECT_EQ(Run({"XINFO", "STREAM", "k"}), kWrong);
  EXPECT_EQ(Run({"XINFO", "STREAM", "nokey"}), "ERR no such key");
}

}  // namespace
}  // namespace ember
