// The replication log (backlog + replicas' output buffer) on its own, and what the dispatcher
// does with replication settings on a node without replicas: WAIT with the injected clock,
// -NOREPLICAS, -MASTERDOWN, -READONLY, and the AOF replay's exemption from them. Replicas
// themselves are real processes in tests/integration/test_replication*.py.

#include "server/repl/replication.h"

#include "server/repl/repl_log.h"
#include "tests/unit/test_base.h"

namespace ember {
namespace {

using Clock = std::chrono::steady_clock;

std::string ReadAll(ReplicationLog& log, ReplicationLog::Cursor* c) {
  std::string out;
  EXPECT_TRUE(log.Read(c, 1 << 30, &out, Clock::now()));
  return out;
}

TEST(ReplicationLogTest, ReadersGetEveryByteFromTheirOffset) {
  ReplicationLog log;
  log.set_backlog_size(1 << 20);
  log.Append("hello ");
  auto c = log.Attach(2);
  log.Append("world");
  EXPECT_EQ(log.end(), 11u);
  EXPECT_EQ(ReadAll(log, c.get()), "llo world");
  EXPECT_EQ(ReadAll(log, c.get()), "");
  log.Detach(c);
}

TEST(ReplicationLogTest, BacklogKeepsItsSizeAndPartialResyncNeedsIt) {
  ReplicationLog log;
  log.set_backlog_size(100 * 1024);
  std::string chunk(1000, 'x');
  for (int i = 0; i < 500; ++i) log.Append(chunk);  // 500 KB through a 100 KB backlog
  EXPECT_EQ(log.end(), 500000u);
  EXPECT_EQ(log.held(), 100u * 1024);
  EXPECT_TRUE(log.Contains(log.end() - 100 * 1024));
  EXPECT_FALSE(log.Contains(log.end() - 100 * 1024 - 1));
  EXPECT_TRUE(log.Contains(log.end()));
  EXPECT_FALSE(log.Contains(log.end() + 1));
}

TEST(ReplicationLogTest, AnAttachedReaderKeepsItsBytesUntilItReadsThem) {
  ReplicationLog log;
  log.set_backlog_size(16 * 1024);
  auto c = log.Attach(0);
  std::string chunk(1000, 'y');
  for (int i = 0; i < 200; ++i) log.Append(chunk);
  EXPECT_EQ(log.Pinned(*c), 200000u - 16 * 1024);
  EXPECT_EQ(ReadAll(log, c.get()).size(), 200000u);
  EXPECT_EQ(log.Pinned(*c), 0u);
  log.Detach(c);
  EXPECT_EQ(log.held(), 16u * 1024);
}

TEST(ReplicationLogTest, AReaderPinningMoreThanTheLimitIsCut) {
  ReplicationLog log;
  log.set_backlog_size(16 * 1024);
  log.set_replica_limit(50 * 1000);
  auto slow = log.Attach(0);
  auto fast = log.Attach(0);
  std::string chunk(1000, 'z');
  // Inside the backlog a reader costs nothing: no cut however far behind it is there.
  for (int i = 0; i < 16; ++i) log.Append(chunk);
  EXPECT_FALSE(log.WasCut(*slow));
  for (int i = 0; i < 100; ++i) {
    log.Append(chunk);
    ReadAll(log, fast.get());
  }
  EXPECT_TRUE(log.WasCut(*slow));
  EXPECT_FALSE(log.WasCut(*fast));
  std::string out;
  EXPECT_FALSE(log.Read(slow.get(), 100, &out, Clock::now()));
  // Its bytes are gone: the log holds the backlog only.
  EXPECT_EQ(log.held(), 16u * 1024);
  log.Detach(fast);
}

TEST(ReplicationLogTest, WakeAllEndsAWaitEarlyAndResetCutsEveryone) {
  ReplicationLog log;
  auto c = log.Attach(0);
  log.WakeAll();
  std::string out = "junk";
  auto started = Clock::now();
  EXPECT_TRUE(log.Read(c.get(), 100, &out, Clock::now() + std::chrono::seconds(30)));
  EXPECT_EQ(out, "");
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(5));
  log.Append("abc");
  log.Reset(1000);
  EXPECT_EQ(log.start(), 1000u);
  EXPECT_EQ(log.end(), 1000u);
  EXPECT_TRUE(log.WasCut(*c));
}

// ---- The dispatcher

class ReplicationDispatchTest : public EngineTest {};

TEST_F(ReplicationDispatchTest, WaitWithoutReplicasTimesOutWithZero) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"WAIT", "0", "0"}), "0");
  EXPECT_EQ(Run({"WAIT", "1", "-1"}), "ERR timeout is negative");
  EXPECT_EQ(Run({"WAIT", "1", "x"}), "ERR timeout is not an integer or out of range");
  EXPECT_EQ(Run({"WAIT", "x", "1"}), "ERR value is not an integer or out of range");
  // Blocks until its deadline on the injected clock, then answers how many acknowledged.
  EXPECT_EQ(RunRaw({"WAIT", "1", "100"}), "");
  ASSERT_TRUE(client_.block);
  clock_.Advance(99ms);
  {
    std::lock_guard lk(engine_.mu());
    engine_.ExpireBlocked();
  }
  EXPECT_EQ(client_.delivered, "");
  clock_.Advance(1ms);
  {
    std::lock_guard lk(engine_.mu());
    engine_.ExpireBlocked();
  }
  EXPECT_EQ(client_.delivered, ":0\r\n");
  EXPECT_FALSE(client_.block);
  // Inside MULTI it answers at once.
  client_.delivered.clear();
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"WAIT", "1", "0"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[0]");
}

TEST_F(ReplicationDispatchTest, ClientUnblockEndsAWait) {
  EXPECT_EQ(RunRaw({"WAIT", "1", "0"}), "");
  ClientState other;
  other.id = engine_.NextClientId();
  other.authenticated = true;
  engine_.RegisterClient(&other);
  std::string out;
  ReplyBuilder rb(&out);
  std::vector<std::string> args = {"CLIENT", "UNBLOCK", std::to_string(client_.id), "ERROR"};
  std::vector<std::string_view> views(args.begin(), args.end());
  {
    std::lock_guard lk(engine_.mu());
    engine_.Execute(other, CmdArgs(views.data(), views.size()), rb);
  }
  EXPECT_EQ(out, ":1\r\n");
  EXPECT_EQ(client_.delivered, "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
  engine_.UnregisterClient(&other);
}

TEST_F(ReplicationDispatchTest, MinReplicasToWriteRefusesWritesNotReads) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "SET", "min-replicas-to-write", "1"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "w"}), "NOREPLICAS Not enough good replicas to write.");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"INCR", "n"}), "NOREPLICAS Not enough good replicas to write.");
  EXPECT_EQ(Run({"EXEC"}), "EXECABORT Transaction discarded because of previous errors.");
  // The AOF's replay at start-up is not refused.
  client_.loader = true;
  EXPECT_EQ(Run({"SET", "k", "x"}), "OK");
  client_.loader = false;
  // max-lag 0 switches the check off, as in Redis.
  EXPECT_EQ(Run({"CONFIG", "SET", "min-replicas-max-lag", "0"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "y"}), "OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "min-slaves-max-lag"}), "[min-slaves-max-lag, 0]");
}

TEST_F(ReplicationDispatchTest, AReplicaWithItsLinkDownAndServeStaleNo) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  // Not started (no service, no link): the link is down.
  EXPECT_EQ(Run({"REPLICAOF", "127.0.0.1", "1"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");  // replica-serve-stale-data yes
  EXPECT_EQ(Run({"SET", "k", "w"}), "READONLY You can't write against a read only replica.");
  EXPECT_EQ(Run({"WAIT", "1", "0"}).substr(0, 40), "ERR WAIT cannot be used with replica ins");
  EXPECT_EQ(Run({"CONFIG", "SET", "replica-serve-stale-data", "no"}), "OK");
  const std::string down =
      "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
  EXPECT_EQ(Run({"GET", "k"}), down);
  EXPECT_EQ(Run({"PING"}), down);
  EXPECT_EQ(Run({"ECHO", "x"}), "x");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), down);
  EXPECT_EQ(Run({"EXEC"}), "EXECABORT Transaction discarded because of previous errors.");
  EXPECT_THAT(Run({"INFO", "replication"}), ::testing::HasSubstr("master_link_status:down"));
  // The AOF's replay is neither stale-refused nor read-only.
  client_.loader = true;
  EXPECT_EQ(Run({"SET", "k", "x"}), "OK");
  client_.loader = false;
  EXPECT_EQ(Run({"REPLICAOF", "NO", "ONE"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "x");
}

TEST_F(ReplicationDispatchTest, BacklogStartsWithTheFirstReplicaAndRestoreKeepsThePosition) {
  // A master that never had a replica keeps no backlog (Redis: repl_backlog_active:0).
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_THAT(Run({"INFO", "replication"}), ::testing::HasSubstr("repl_backlog_active:0"));
  EXPECT_THAT(Run({"INFO", "replication"}), ::testing::HasSubstr("master_repl_offset:0"));
  // Loaded from a file that recorded a position: kept as the secondary id. (The stream itself
  // needs the started service: tests/integration/test_replication_recovery.py.)
  {
    std::lock_guard lk(engine_.mu());
    engine_.replication().Restore({std::string(40, 'a'), 5000, 3});
  }
  std::string info = Run({"INFO", "replication"});
  EXPECT_THAT(info, ::testing::HasSubstr("master_replid2:" + std::string(40, 'a')));
  EXPECT_THAT(info, ::testing::HasSubstr("second_repl_offset:5001"));
  EXPECT_THAT(info, ::testing::HasSubstr("master_repl_offset:5000"));
  EXPECT_THAT(info, ::testing::HasSubstr("repl_backlog_active:1"));
  EXPECT_THAT(info, ::testing::HasSubstr("repl_backlog_first_byte_offset:5001"));
}

}  // namespace
}  // namespace ember
