#include "tests/unit/test_base.h"

namespace ember {
namespace {

class TransactionTest : public EngineTest {
 protected:
  // A second client, for changes made behind the first one's back.
  std::string RunOther(std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    ReplyBuilder rb(&out);
    engine_.Execute(other_, CmdArgs(views.data(), views.size()), rb);
    return Decode(out);
  }
  void SetUp() override {
    EngineTest::SetUp();
    other_.id = engine_.NextClientId();
    other_.authenticated = true;
    engine_.RegisterClient(&other_);
  }
  void TearDown() override {
    engine_.UnregisterClient(&other_);
    EngineTest::TearDown();
  }
  ClientState other_;
};

TEST_F(TransactionTest, QueuesThenRunsEverythingEvenAfterARuntimeError) {
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"SET", "a", "x"}), "QUEUED");
  EXPECT_EQ(Run({"INCR", "a"}), "QUEUED");
  EXPECT_EQ(Run({"SET", "b", "1"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[OK, ERR value is not an integer or out of range, OK]");
  EXPECT_EQ(Run({"GET", "b"}), "1");
}

TEST_F(TransactionTest, QueueingErrorsAbortTheWholeTransaction) {
  Run({"MULTI"});
  EXPECT_EQ(Run({"SET", "a", "1"}), "QUEUED");
  EXPECT_EQ(Run({"GET"}), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Run({"EXEC"}), "EXECABORT Transaction discarded because of previous errors.");
  EXPECT_EQ(Run({"EXISTS", "a"}), "0");
  EXPECT_EQ(Run({"EXEC"}), "ERR EXEC without MULTI");
  EXPECT_EQ(Run({"DISCARD"}), "ERR DISCARD without MULTI");
}

TEST_F(TransactionTest, WatchFailsWhenAnotherClientWrites) {
  Run({"SET", "k", "1"});
  EXPECT_EQ(Run({"WATCH", "k"}), "OK");
  EXPECT_EQ(RunOther({"INCR", "k"}), "2");
  Run({"MULTI"});
  Run({"SET", "k", "mine"});
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
  EXPECT_EQ(Run({"GET", "k"}), "2");
  // The watch is gone after EXEC: the next transaction goes through.
  Run({"MULTI"});
  Run({"SET", "k", "mine"});
  EXPECT_EQ(Run({"EXEC"}), "[OK]");
}

TEST_F(TransactionTest, WatchFailsWhenTheKeyExpires) {
  Run({"SET", "k", "1", "PX", "100"});
  Run({"WATCH", "k"});
  clock_.Advance(200ms);  // expired, and nobody has touched it yet
  Run({"MULTI"});
  Run({"GET", "k"});
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
}

TEST_F(TransactionTest, WatchSurvivesUnrelatedWritesAndFlushOfOtherDbs) {
  Run({"SET", "k", "1"});
  Run({"WATCH", "k"});
  RunOther({"SET", "other", "1"});
  RunOther({"SELECT", "3"});
  RunOther({"FLUSHDB"});
  Run({"MULTI"});
  Run({"GET", "k"});
  EXPECT_EQ(Run({"EXEC"}), "[1]");
  Run({"WATCH", "k"});
  RunOther({"FLUSHALL"});
  Run({"MULTI"});
  Run({"GET", "k"});
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
}

TEST_F(TransactionTest, NestingAndWatchInsideMultiAreRefusedWithoutAborting) {
  Run({"MULTI"});
  EXPECT_EQ(Run({"MULTI"}), "ERR MULTI calls can not be nested");
  EXPECT_EQ(Run({"WATCH", "k"}), "ERR WATCH inside MULTI is not allowed");
  Run({"SET", "k", "1"});
  EXPECT_EQ(Run({"EXEC"}), "[OK]");
}

}  // namespace
}  // namespace ember
