// Blocking commands (BLPOP & co.), Pub/Sub delivery and keyspace notifications through the real
// engine with a manual clock. Waiters and subscribers are extra ClientStates whose default
// Deliver()/Unblocked() append to `delivered`, so the bytes a connection would send are checked
// exactly.

#include "common/strings.h"
#include "tests/unit/test_base.h"

namespace ember {
namespace {

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// An array (or, with type '>', a push) of bulk strings.
std::string BulkArray(std::initializer_list<std::string_view> items, char type = '*') {
  std::string out = type + std::to_string(items.size()) + "\r\n";
  for (std::string_view s : items) out += Bulk(s);
  return out;
}

class BlockingPubSubTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    for (auto& c : others_) {
      c.id = engine_.NextClientId();
      c.authenticated = true;
      engine_.RegisterClient(&c);
    }
  }
  void TearDown() override {
    for (auto& c : others_) {
      if (registered(c)) engine_.UnregisterClient(&c);
    }
    EngineTest::TearDown();
  }
  bool registered(const ClientState& c) const { return engine_.clients().count(c.id) != 0; }

  // Runs a command for another client; returns its immediate reply bytes (empty when it
  // blocked).
  std::string RunAs(ClientState& c, std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    ReplyBuilder rb(&out);
    rb.SetResp3(c.resp3);
    engine_.Execute(c, CmdArgs(views.data(), views.size()), rb);
    return out;
  }

  void ExpireAfter(std::chrono::milliseconds d) {
    clock_.Advance(d);
    engine_.ExpireBlocked();
  }

  // Takes what was delivered to c so far.
  static std::string Take(ClientState& c) {
    std::string out;
    out.swap(c.delivered);
    return out;
  }

  ClientState others_[3];
  ClientState& w1 = others_[0];
  ClientState& w2 = others_[1];
  ClientState& w3 = others_[2];
};

// Blocking ------------------------------------------------------------------------------------

TEST_F(BlockingPubSubTest, BlpopBlocksUntilAnotherClientPushes) {
  EXPECT_EQ(RunAs(w1, {"BLPOP", "k", "0"}), "");
  EXPECT_EQ(engine_.blocked_clients(), 1u);
  ASSERT_TRUE(w1.block != nullptr);
  EXPECT_TRUE(w1.delivered.empty());
  EXPECT_EQ(Run({"RPUSH", "k", "a"}), "1");
  EXPECT_EQ(Take(w1), BulkArray({"k", "a"}));
  EXPECT_EQ(engine_.blocked_clients(), 0u);
  EXPECT_EQ(w1.block, nullptr);
  EXPECT_EQ(Run({"EXISTS", "k"}), "0");
  // Data already there: an immediate reply, no wait.
  Run({"RPUSH", "k", "b"});
  EXPECT_EQ(RunAs(w1, {"BRPOP", "k", "0"}), BulkArray({"k", "b"}));
  EXPECT_EQ(engine_.blocked_clients(), 0u);
}

TEST_F(BlockingPubSubTest, WaitersAreServedFirstComeFirstServed) {
  RunAs(w1, {"BLPOP", "k", "0"});
  RunAs(w2, {"BLPOP", "other", "k", "0"});
  RunAs(w3, {"BRPOP", "k", "0"});
  EXPECT_EQ(engine_.blocked_clients(), 3u);
  EXPECT_EQ(Run({"RPUSH", "k", "a"}), "1");
  EXPECT_EQ(Take(w1), BulkArray({"k", "a"}));
  EXPECT_TRUE(w2.delivered.empty());
  EXPECT_TRUE(w3.delivered.empty());
  // One push of several elements serves several waiters, in order.
  EXPECT_EQ(Run({"RPUSH", "k", "b", "c", "d"}), "3");
  EXPECT_EQ(Take(w2), BulkArray({"k", "b"}));
  EXPECT_EQ(Take(w3), BulkArray({"k", "d"}));  // BRPOP takes the tail
  EXPECT_EQ(Run({"LRANGE", "k", "0", "-1"}), "[c]");
  EXPECT_EQ(engine_.blocked_clients(), 0u);
}

TEST_F(BlockingPubSubTest, BlmoveServedWaiterChainsToTheDestinationsWaiter) {
  RunAs(w1, {"BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"});
  RunAs(w2, {"BLPOP", "dst", "0"});
  Run({"LPUSH", "src", "x"});
  EXPECT_EQ(Take(w1), Bulk("x"));
  EXPECT_EQ(Take(w2), BulkArray({"dst", "x"}));
  EXPECT_EQ(Run({"EXISTS", "src", "dst"}), "0");
}

TEST_F(BlockingPubSubTest, TimeoutFiresAtTheDeadline) {
  RunAs(w1, {"BLPOP", "k", "1.5"});
  w2.resp3 = true;
  RunAs(w2, {"BZPOPMIN", "z", "0.5"});
  RunAs(w3, {"BLPOP", "k", "0"});
  ExpireAfter(499ms);
  EXPECT_EQ(engine_.blocked_clients(), 3u);
  ExpireAfter(1ms);
  EXPECT_EQ(Take(w2), "_\r\n");  // RESP3 null
  EXPECT_EQ(engine_.blocked_clients(), 2u);
  ExpireAfter(999ms);
  EXPECT_TRUE(w1.delivered.empty());
  ExpireAfter(1ms);
  EXPECT_EQ(Take(w1), "*-1\r\n");
  ExpireAfter(std::chrono::hours(24));  // timeout 0: forever
  EXPECT_EQ(engine_.blocked_clients(), 1u);
  EXPECT_TRUE(w3.delivered.empty());
  Run({"RPUSH", "k", "v"});
  EXPECT_EQ(Take(w3), BulkArray({"k", "v"}));
}

// Redis 7.0 times BLMOVE / BRPOPLPUSH out with a null array, as every list wait
// (replyToBlockedClientTimedOut); Ember replies a null bulk.
TEST_F(BlockingPubSubTest, BlmoveTimeoutRepliesNullArrayAsRedis70) {
  RunAs(w1, {"BLMOVE", "src", "dst", "LEFT", "LEFT", "0.1"});
  RunAs(w2, {"BRPOPLPUSH", "src", "dst", "0.1"});
  ExpireAfter(100ms);
  EXPECT_EQ(Take(w1), "*-1\r\n");
  EXPECT_EQ(Take(w2), "*-1\r\n");
}

TEST_F(BlockingPubSubTest, ClientPauseWriteHoldsWritesUntilUnpause) {
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "1000", "WRITE"}), "OK");
  EXPECT_EQ(RunAs(w1, {"SET", "k", "v"}), "");  // held
  EXPECT_EQ(RunAs(w2, {"GET", "k"}), "$-1\r\n") << "reads go on";
  EXPECT_EQ(RunAs(w3, {"INCR", "n"}), "");
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", std::to_string(w1.id)}), "0") << "a pause is not a block";
  EXPECT_EQ(Run({"CLIENT", "UNPAUSE"}), "OK");
  EXPECT_EQ(Take(w1), "+OK\r\n");
  EXPECT_EQ(Take(w3), ":1\r\n");
  EXPECT_EQ(engine_.blocked_clients(), 0u);
  // ALL holds reads too, and the pause ends by itself at its timeout.
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "500"}), "OK");
  EXPECT_EQ(RunAs(w2, {"GET", "k"}), "");
  clock_.Advance(600ms);
  engine_.Cron();
  EXPECT_EQ(Take(w2), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "-1"}), "ERR timeout is negative");
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "10", "READS"}), "ERR CLIENT PAUSE mode must be WRITE or ALL");
}

TEST_F(BlockingPubSubTest, ClientUnblock) {
  RunAs(w1, {"BLPOP", "k", "0"});
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", std::to_string(w1.id)}), "1");
  EXPECT_EQ(Take(w1), "*-1\r\n");
  RunAs(w1, {"BZPOPMAX", "z", "0"});
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", std::to_string(w1.id), "ERROR"}), "1");
  EXPECT_EQ(Take(w1), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", std::to_string(w1.id)}), "0");
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", std::to_string(w1.id), "SOON"}),
            "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  EXPECT_EQ(engine_.blocked_clients(), 0u);
  Run({"RPUSH", "k", "v"});
  EXPECT_TRUE(w1.delivered.empty());
  EXPECT_EQ(Run({"LLEN", "k"}), "1");
}

TEST_F(BlockingPubSubTest, BlockingCommandsInsideMultiDoNotWait) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"BLPOP", "k", "0"}), "QUEUED");
  EXPECT_EQ(Run({"BRPOPLPUSH", "k", "d", "0"}), "QUEUED");
  EXPECT_EQ(Run({"BZPOPMIN", "z", "0"}), "QUEUED");
  EXPECT_EQ(RunRaw({"EXEC"}), "*3\r\n*-1\r\n$-1\r\n*-1\r\n");
  EXPECT_EQ(engine_.blocked_clients(), 0u);
}

TEST_F(BlockingPubSubTest, WaitersAreServedAfterExecWithTheFinalState) {
  RunAs(w1, {"BLPOP", "k", "0"});
  RunAs(w2, {"BLPOP", "k2", "0"});
  Run({"MULTI"});
  Run({"RPUSH", "k", "a"});
  Run({"LPOP", "k"});  // k is empty again when EXEC ends
  Run({"RPUSH", "k2", "b"});
  EXPECT_EQ(Run({"EXEC"}), "[1, a, 1]");
  EXPECT_TRUE(w1.delivered.empty());
  EXPECT_NE(w1.block, nullptr);
  EXPECT_EQ(Take(w2), BulkArray({"k2", "b"}));
  EXPECT_EQ(engine_.blocked_clients(), 1u);
}

TEST_F(BlockingPubSubTest, ServedPopBreaksWatch) {
  RunAs(w1, {"BLMOVE", "src", "dst", "LEFT", "LEFT", "0"});
  EXPECT_EQ(RunAs(w2, {"WATCH", "dst"}), "+OK\r\n");
  Run({"RPUSH", "src", "x"});
  EXPECT_EQ(Take(w1), Bulk("x"));
  RunAs(w2, {"MULTI"});
  RunAs(w2, {"SET", "f", "1"});
  EXPECT_EQ(RunAs(w2, {"EXEC"}), "*-1\r\n");
}

TEST_F(BlockingPubSubTest, DisconnectedWaiterConsumesNothing) {
  RunAs(w1, {"BLPOP", "k", "0"});
  RunAs(w2, {"BLPOP", "k", "0"});
  engine_.UnregisterClient(&w1);
  EXPECT_EQ(engine_.blocked_clients(), 1u);
  Run({"RPUSH", "k", "a", "b"});
  EXPECT_TRUE(w1.delivered.empty());
  EXPECT_EQ(Take(w2), BulkArray({"k", "a"}));
  EXPECT_EQ(Run({"LRANGE", "k", "0", "-1"}), "[b]");
}

TEST_F(BlockingPubSubTest, ZsetWaiterIgnoresAListAndRepliesResp3Double) {
  w1.resp3 = true;
  RunAs(w1, {"BZPOPMAX", "z", "0"});
  Run({"RPUSH", "z", "x"});
  EXPECT_TRUE(w1.delivered.empty());
  Run({"DEL", "z"});
  Run({"ZADD", "z", "2.5", "m"});
  EXPECT_EQ(Take(w1), "*3\r\n" + Bulk("z") + Bulk("m") + ",2.5\r\n");
}

// Pub/Sub ---------------------------------------------------------------------------------------

TEST_F(BlockingPubSubTest, PublishDeliversResp2AndResp3) {
  EXPECT_EQ(RunAs(w1, {"SUBSCRIBE", "ch"}), "*3\r\n" + Bulk("subscribe") + Bulk("ch") + ":1\r\n");
  w2.resp3 = true;
  EXPECT_EQ(RunAs(w2, {"SUBSCRIBE", "ch"}), ">3\r\n" + Bulk("subscribe") + Bulk("ch") + ":1\r\n");
  EXPECT_EQ(RunAs(w3, {"PSUBSCRIBE", "c*"}), "*3\r\n" + Bulk("psubscribe") + Bulk("c*") + ":1\r\n");
  EXPECT_EQ(Run({"PUBLISH", "ch", "hi"}), "3");
  EXPECT_EQ(Take(w1), BulkArray({"message", "ch", "hi"}));
  EXPECT_EQ(Take(w2), BulkArray({"message", "ch", "hi"}, '>'));
  EXPECT_EQ(Take(w3), BulkArray({"pmessage", "c*", "ch", "hi"}));
  EXPECT_EQ(Run({"PUBLISH", "other", "x"}), "0");
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB", "ch", "none"}), "[ch, 2, none, 0]");
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT"}), "1");
  // RESP2 subscribed mode refuses other commands; PING answers ["pong", ""].
  EXPECT_EQ(RunAs(w1, {"GET", "k"}),
            "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context\r\n");
  EXPECT_EQ(RunAs(w1, {"PING"}), BulkArray({"pong", ""}));
  EXPECT_EQ(RunAs(w2, {"GET", "k"}), "_\r\n");  // RESP3: allowed
  // A RESP3 subscriber publishing to itself gets the push before the reply.
  EXPECT_EQ(RunAs(w2, {"PUBLISH", "ch", "me"}), BulkArray({"message", "ch", "me"}, '>') + ":3\r\n");
  Take(w1);
  Take(w3);
  engine_.UnregisterClient(&w1);
  EXPECT_EQ(Run({"PUBLISH", "ch", "x"}), "2");
}

// Redis 7.0's PUBSUB NUMSUB is a flat array in RESP3 as well.
TEST_F(BlockingPubSubTest, PubsubNumsubIsAnArrayInResp3) {
  RunAs(w1, {"SUBSCRIBE", "ch"});
  client_.resp3 = true;
  EXPECT_EQ(RunRaw({"PUBSUB", "NUMSUB", "ch"}), "*2\r\n" + Bulk("ch") + ":1\r\n");
}

// Keyspace notifications -----------------------------------------------------------------------

TEST_F(BlockingPubSubTest, KeyspaceNotificationsBytes) {
  RunAs(w1, {"PSUBSCRIBE", "__key*__:*"});
  Run({"SET", "k", "v"});
  EXPECT_TRUE(w1.delivered.empty()) << "notifications are off by default";
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "KEA"}), "OK");
  Run({"SET", "k", "v"});
  EXPECT_EQ(Take(w1), BulkArray({"pmessage", "__key*__:*", "__keyspace@0__:k", "set"}) +
                          BulkArray({"pmessage", "__key*__:*", "__keyevent@0__:set", "k"}));
  Run({"PEXPIRE", "k", "100"});
  EXPECT_EQ(Take(w1), BulkArray({"pmessage", "__key*__:*", "__keyspace@0__:k", "expire"}) +
                          BulkArray({"pmessage", "__key*__:*", "__keyevent@0__:expire", "k"}));
  clock_.Advance(101ms);  // a key lives through its deadline millisecond, as in Redis
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(Take(w1), BulkArray({"pmessage", "__key*__:*", "__keyspace@0__:k", "expired"}) +
                          BulkArray({"pmessage", "__key*__:*", "__keyevent@0__:expired", "k"}));
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "Ez"}), "OK");
  Run({"SET", "s", "v"});
  Run({"ZADD", "z", "1", "m"});
  EXPECT_EQ(Take(w1), BulkArray({"pmessage", "__key*__:*", "__keyevent@0__:zadd", "z"}));
  Run({"SELECT", "3"});
  Run({"ZADD", "z", "1", "m"});
  EXPECT_EQ(Take(w1), BulkArray({"pmessage", "__key*__:*", "__keyevent@3__:zadd", "z"}));
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", ""}), "OK");
  Run({"ZADD", "z", "2", "n"});
  EXPECT_TRUE(w1.delivered.empty());
}

// Redis sends "del" after the pop that emptied a key (listpack/list/hash/zset/set).
TEST_F(BlockingPubSubTest, NotifiesDelWhenAPopEmptiesTheKey) {
  Run({"CONFIG", "SET", "notify-keyspace-events", "Eg"});
  RunAs(w1, {"SUBSCRIBE", "__keyevent@0__:del"});
  Run({"RPUSH", "l", "only"});
  Run({"LPOP", "l"});
  EXPECT_EQ(Take(w1), BulkArray({"message", "__keyevent@0__:del", "l"}));
  Run({"HSET", "h", "f", "1"});
  Run({"HDEL", "h", "f"});
  EXPECT_EQ(Take(w1), BulkArray({"message", "__keyevent@0__:del", "h"}));
}

// Commands recorded as another command announce Redis's event for them; "new" comes before the
// command's own event, "keymiss" from read lookups only.
TEST_F(BlockingPubSubTest, RewrittenCommandsAnnounceRedisEvents) {
  Run({"CONFIG", "SET", "notify-keyspace-events", "E$szgnm"});
  RunAs(w1, {"PSUBSCRIBE", "__keyevent@0__:*"});
  auto ev = [](std::string_view event, std::string_view key) {
    std::string channel = StrCat("__keyevent@0__:", event);
    return BulkArray({"pmessage", "__keyevent@0__:*", channel, key});
  };
  Run({"INCR", "n"});
  EXPECT_EQ(Take(w1), ev("new", "n") + ev("incrby", "n"));
  Run({"INCRBYFLOAT", "n", "1.5"});
  EXPECT_EQ(Take(w1), ev("incrbyfloat", "n"));
  Run({"GET", "nosuch"});
  EXPECT_EQ(Take(w1), ev("keymiss", "nosuch"));
  Run({"DEL", "nosuch"});
  EXPECT_TRUE(w1.delivered.empty()) << "a write's lookup is not a keymiss";
  Run({"SADD", "a", "1", "2"});
  Run({"SADD", "b", "2"});
  Take(w1);
  Run({"SINTERSTORE", "d", "a", "b"});
  EXPECT_EQ(Take(w1), ev("new", "d") + ev("sinterstore", "d"));
  Run({"SINTERSTORE", "d", "a", "b"});
  EXPECT_EQ(Take(w1), ev("sinterstore", "d")) << "no \"new\" when the destination existed";
  Run({"SINTERSTORE", "d", "a", "nosuch"});
  EXPECT_EQ(Take(w1), ev("keymiss", "nosuch") + ev("del", "d"));
  Run({"ZINCRBY", "z", "1", "m"});
  EXPECT_EQ(Take(w1), ev("new", "z") + ev("zincr", "z"));
}

}  // namespace
}  // namespace ember
