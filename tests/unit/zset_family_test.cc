#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <random>
#include <set>

#include "tests/unit/test_base.h"

namespace ember {
namespace {

class ZSetFamilyTest : public EngineTest {};

constexpr const char* kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

TEST_F(ZSetFamilyTest, AddScoreRankAndOrder) {
  EXPECT_EQ(Run({"ZADD", "z", "3", "c", "1", "a", "2", "b", "2", "bb"}), "4");
  EXPECT_EQ(Run({"TYPE", "z"}), "zset");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "z"}), "listpack");
  // Ties are ordered by member bytes.
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}), "[a, 1, b, 2, bb, 2, c, 3]");
  EXPECT_EQ(Run({"ZADD", "z", "1", "x", "5", "x"}), "1");  // the last score wins
  EXPECT_EQ(Run({"ZSCORE", "z", "x"}), "5");
  EXPECT_EQ(Run({"ZMSCORE", "z", "a", "nosuch", "c"}), "[1, (nil), 3]");
  EXPECT_EQ(Run({"ZRANK", "z", "bb"}), "2");
  EXPECT_EQ(Run({"ZREVRANK", "z", "bb"}), "2");
  EXPECT_EQ(Run({"ZRANK", "z", "nosuch"}), "(nil)");
  EXPECT_EQ(Run({"ZCARD", "z"}), "5");
  EXPECT_EQ(Run({"ZREM", "z", "a", "nosuch", "a"}), "1");
  EXPECT_EQ(Run({"ZCARD", "nosuch"}), "0");
  // RESP2 scores are %.17g bulk strings.
  EXPECT_EQ(Run({"ZADD", "f", "0.1", "m"}), "1");
  EXPECT_EQ(RunRaw({"ZSCORE", "f", "m"}), "$19\r\n0.10000000000000001\r\n");
  EXPECT_EQ(Run({"ZINCRBY", "f", "0.2", "m"}), "0.30000000000000004");
}

TEST_F(ZSetFamilyTest, Resp3RepliesAreDoublesAndPairs) {
  client_.resp3 = true;
  Run({"ZADD", "z", "1.5", "a", "inf", "b"});
  EXPECT_EQ(RunRaw({"ZSCORE", "z", "a"}), ",1.5\r\n");
  EXPECT_EQ(RunRaw({"ZSCORE", "z", "b"}), ",inf\r\n");
  EXPECT_EQ(RunRaw({"ZSCORE", "z", "nosuch"}), "_\r\n");
  EXPECT_EQ(RunRaw({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,inf\r\n");
  EXPECT_EQ(RunRaw({"ZPOPMIN", "z"}), "*2\r\n$1\r\na\r\n,1.5\r\n");
  EXPECT_EQ(RunRaw({"ZPOPMIN", "z", "1"}), "*1\r\n*2\r\n$1\r\nb\r\n,inf\r\n");
  EXPECT_EQ(RunRaw({"ZMPOP", "1", "z", "MIN"}), "_\r\n");
}

TEST_F(ZSetFamilyTest, AddOptionsAndTheirErrors) {
  EXPECT_EQ(Run({"ZADD", "o", "NX", "1", "a"}), "1");
  EXPECT_EQ(Run({"ZADD", "o", "NX", "2", "a", "3", "b"}), "1");
  EXPECT_EQ(Run({"ZADD", "o", "XX", "CH", "5", "a", "6", "c"}), "1");
  EXPECT_EQ(Run({"ZADD", "o", "GT", "CH", "1", "a", "10", "b"}), "1");
  EXPECT_EQ(Run({"ZADD", "o", "LT", "CH", "1", "a", "20", "b"}), "1");
  EXPECT_EQ(Run({"ZRANGE", "o", "0", "-1", "WITHSCORES"}), "[a, 1, b, 10]");
  EXPECT_EQ(Run({"ZADD", "o", "NX", "XX", "1", "a"}),
            "ERR XX and NX options at the same time are not compatible");
  EXPECT_EQ(Run({"ZADD", "o", "GT", "LT", "1", "a"}),
            "ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(Run({"ZADD", "o", "NX", "GT", "1", "a"}),
            "ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(Run({"ZADD", "o", "INCR", "1", "a", "2", "b"}),
            "ERR INCR option supports a single increment-element pair");
  EXPECT_EQ(Run({"ZADD", "o", "1", "a", "CH"}), "ERR syntax error");
  EXPECT_EQ(Run({"ZADD", "o", "1", "a", "nan", "b"}), "ERR value is not a valid float");
  EXPECT_EQ(Run({"ZSCORE", "o", "a"}), "1");  // nothing was added
  EXPECT_EQ(Run({"ZADD", "o", "INCR", "2.5", "a"}), "3.5");
  EXPECT_EQ(Run({"ZADD", "o", "INCR", "NX", "1", "a"}), "(nil)");
  EXPECT_EQ(Run({"ZADD", "o", "INCR", "XX", "1", "nosuch"}), "(nil)");
  EXPECT_EQ(Run({"ZADD", "o", "INCR", "GT", "-1", "a"}), "(nil)");
  EXPECT_EQ(Run({"ZADD", "nokey", "XX", "1", "a"}), "0");
  EXPECT_EQ(Run({"EXISTS", "nokey"}), "0");
  EXPECT_EQ(Run({"ZADD", "o", "0x10", "hex"}), "1");  // strtod reads hex
  EXPECT_EQ(Run({"ZSCORE", "o", "hex"}), "16");
  EXPECT_EQ(Run({"ZADD", "o", "1e400", "x"}), "ERR value is not a valid float");
  EXPECT_EQ(Run({"ZADD", "o", " 1", "x"}), "ERR value is not a valid float");
}

TEST_F(ZSetFamilyTest, InfinitiesAndNaN) {
  EXPECT_EQ(Run({"ZADD", "f", "INCR", "inf", "m"}), "inf");
  EXPECT_EQ(Run({"ZADD", "f", "INCR", "-inf", "m"}), "ERR resulting score is not a number (NaN)");
  EXPECT_EQ(Run({"ZINCRBY", "f", "-inf", "m"}), "ERR resulting score is not a number (NaN)");
  EXPECT_EQ(Run({"ZSCORE", "f", "m"}), "inf");
  Run({"ZADD", "f", "-inf", "n", "1", "o"});
  EXPECT_EQ(Run({"ZRANGE", "f", "0", "-1"}), "[n, o, m]");
  EXPECT_EQ(Run({"ZCOUNT", "f", "-inf", "+inf"}), "3");
  EXPECT_EQ(Run({"ZCOUNT", "f", "(-inf", "(+inf"}), "1");
  // Weight 0 times an infinite score, and inf + -inf, are 0 (not NaN).
  EXPECT_EQ(Run({"ZUNION", "1", "f", "WEIGHTS", "0", "WITHSCORES"}), "[m, 0, n, 0, o, 0]");
  Run({"ZADD", "g", "-inf", "m"});
  EXPECT_EQ(Run({"ZUNION", "2", "f", "g", "WITHSCORES"}), "[n, -inf, m, 0, o, 1]");
}

TEST_F(ZSetFamilyTest, RangeCommandsAndErrors) {
  Run({"ZADD", "r", "1", "a", "2", "b", "2", "c", "3", "d", "3.5", "e", "4", "f"});
  EXPECT_EQ(Run({"ZRANGE", "r", "1", "3"}), "[b, c, d]");
  EXPECT_EQ(Run({"ZRANGE", "r", "-2", "-1", "REV"}), "[b, a]");
  EXPECT_EQ(Run({"ZREVRANGE", "r", "0", "1", "WITHSCORES"}), "[f, 4, e, 3.5]");
  EXPECT_EQ(Run({"ZRANGE", "r", "(2", "3.5", "BYSCORE"}), "[d, e]");
  EXPECT_EQ(Run({"ZRANGE", "r", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2"}), "[e, d]");
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "r", "-inf", "+inf", "LIMIT", "-1", "2"}), "[]");
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "r", "-inf", "+inf", "LIMIT", "4", "-1"}), "[e, f]");
  EXPECT_EQ(Run({"ZREVRANGEBYSCORE", "r", "2", "(1", "WITHSCORES"}), "[c, 2, b, 2]");
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "r", "", "(2"}), "[a]");  // "" reads as 0
  EXPECT_EQ(Run({"ZCOUNT", "r", "(1", "(3.5"}), "3");
  EXPECT_EQ(Run({"ZRANGE", "r", "0", "-1", "LIMIT", "0", "1"}),
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX");
  EXPECT_EQ(Run({"ZRANGE", "r", "-", "+", "BYLEX", "WITHSCORES"}),
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "r", "a", "1"}), "ERR min or max is not a float");
  EXPECT_EQ(Run({"ZRANGE", "r", "a", "1"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"ZRANGEBYLEX", "r", "a", "+"}), "ERR min or max not valid string range item");
  Run({"ZADD", "lx", "0", "a", "0", "b", "0", "c", "0", "aa"});
  EXPECT_EQ(Run({"ZRANGEBYLEX", "lx", "[a", "(b"}), "[a, aa]");
  EXPECT_EQ(Run({"ZREVRANGEBYLEX", "lx", "+", "(a", "LIMIT", "1", "5"}), "[b, aa]");
  EXPECT_EQ(Run({"ZLEXCOUNT", "lx", "-", "+"}), "4");
  EXPECT_EQ(Run({"ZREMRANGEBYLEX", "lx", "(a", "[b"}), "2");
  EXPECT_EQ(Run({"ZRANGE", "lx", "0", "-1"}), "[a, c]");
}

TEST_F(ZSetFamilyTest, StoreCommandsReplaceOrDeleteTheDestination) {
  Run({"ZADD", "r", "1", "a", "2", "b", "3", "c"});
  Run({"SET", "d", "str"});
  EXPECT_EQ(Run({"ZRANGESTORE", "d", "r", "0", "1"}), "2");
  EXPECT_EQ(Run({"TYPE", "d"}), "zset");
  EXPECT_EQ(Run({"ZRANGESTORE", "d", "r", "5", "10"}), "0");
  EXPECT_EQ(Run({"EXISTS", "d"}), "0");
  EXPECT_EQ(Run({"ZRANGESTORE", "d", "r", "0", "-1", "WITHSCORES"}), "ERR syntax error");
  Run({"SADD", "s", "a", "z"});
  EXPECT_EQ(Run({"ZUNIONSTORE", "u", "2", "r", "s", "WEIGHTS", "2", "1"}), "4");
  EXPECT_EQ(Run({"ZRANGE", "u", "0", "-1", "WITHSCORES"}), "[z, 1, a, 3, b, 4, c, 6]");
  EXPECT_EQ(Run({"ZINTERSTORE", "u", "2", "r", "s", "AGGREGATE", "MAX"}), "1");
  EXPECT_EQ(Run({"ZRANGE", "u", "0", "-1", "WITHSCORES"}), "[a, 1]");
  EXPECT_EQ(Run({"ZDIFFSTORE", "u", "2", "r", "r"}), "0");
  EXPECT_EQ(Run({"EXISTS", "u"}), "0");
  EXPECT_EQ(Run({"ZINTERCARD", "2", "r", "s"}), "1");
  EXPECT_EQ(Run({"ZINTERCARD", "1", "r", "LIMIT", "2"}), "2");
  EXPECT_EQ(Run({"ZINTERCARD", "1", "r", "LIMIT", "-1"}), "ERR LIMIT can't be negative");
  EXPECT_EQ(Run({"ZUNION", "0", "r"}), "ERR at least 1 input key is needed for 'zunion' command");
  EXPECT_EQ(Run({"ZUNION", "2", "r", "d", "WEIGHTS", "1"}), "ERR syntax error");
  Run({"SET", "str", "v"});
  EXPECT_EQ(Run({"ZUNION", "2", "r", "str"}), kWrongType);
  EXPECT_EQ(Run({"ZADD", "str", "1", "a"}), kWrongType);
}

TEST_F(ZSetFamilyTest, PopsAndMpop) {
  Run({"ZADD", "p", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(Run({"ZPOPMIN", "p"}), "[a, 1]");
  EXPECT_EQ(Run({"ZPOPMAX", "p", "0"}), "[]");
  EXPECT_EQ(Run({"ZPOPMAX", "p", "-1"}), "ERR value is out of range, must be positive");
  EXPECT_EQ(Run({"ZMPOP", "2", "nosuch", "p", "MAX", "COUNT", "5"}), "[p, [[c, 3], [b, 2]]]");
  EXPECT_EQ(Run({"EXISTS", "p"}), "0");
  EXPECT_EQ(Run({"ZMPOP", "1", "p", "MIN"}), "(nil)");
  EXPECT_EQ(Run({"ZMPOP", "0", "p", "MIN"}), "ERR numkeys should be greater than 0");
  EXPECT_EQ(Run({"ZMPOP", "1", "p", "MIN", "COUNT", "0"}), "ERR count should be greater than 0");
}

TEST_F(ZSetFamilyTest, EncodingConversions) {
  std::vector<std::string> args = {"ZADD", "big"};
  for (int i = 0; i < 128; ++i) {
    args.push_back(std::to_string(i));
    args.push_back("m" + std::to_string(i));
  }
  Run(args);
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "listpack");
  EXPECT_EQ(Run({"ZADD", "big", "1000", "last"}), "1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "skiplist");
  EXPECT_EQ(Run({"ZRANK", "big", "last"}), "128");
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "big", "0", "125"}), "126");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "skiplist");  // never converts back
  EXPECT_EQ(Run({"ZRANGE", "big", "0", "-1"}), "[m126, m127, last]");
  // A stored result that fits is a listpack again.
  EXPECT_EQ(Run({"ZUNIONSTORE", "small", "1", "big"}), "3");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "small"}), "listpack");

  Run({"ZADD", "v", "1", std::string(64, 'x')});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "v"}), "listpack");
  Run({"ZADD", "v", "2", std::string(65, 'y')});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "v"}), "skiplist");
  EXPECT_EQ(Run({"ZRANK", "v", std::string(65, 'y')}), "1");

  EXPECT_EQ(Run({"CONFIG", "SET", "zset-max-listpack-entries", "2"}), "OK");
  Run({"ZADD", "c", "1", "a", "2", "b"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "c"}), "listpack");
  Run({"ZADD", "c", "3", "c"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "c"}), "skiplist");
}

TEST_F(ZSetFamilyTest, DumpRestoreRoundTrip) {
  Run({"ZADD", "src", "1", "a", "2.5", "b", "-inf", "c"});
  std::string payload = Run({"DUMP", "src"});
  EXPECT_EQ(Run({"RESTORE", "dst", "0", payload}), "OK");
  EXPECT_EQ(Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), "[c, -inf, a, 1, b, 2.5]");
  EXPECT_EQ(Run({"RESTORE", "dst", "0", payload}), "BUSYKEY Target key name already exists.");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "dst"}), "listpack");
  std::vector<std::string> args = {"ZADD", "bigsrc"};
  for (int i = 0; i < 200; ++i) {
    args.push_back(std::to_string(i % 17));
    args.push_back("m" + std::to_string(i));
  }
  Run(args);
  EXPECT_EQ(Run({"RESTORE", "bigdst", "0", Run({"DUMP", "bigsrc"})}), "OK");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "bigdst"}), "skiplist");
  EXPECT_EQ(Run({"ZRANGE", "bigdst", "0", "-1", "WITHSCORES"}),
            Run({"ZRANGE", "bigsrc", "0", "-1", "WITHSCORES"}));
  EXPECT_EQ(Run({"ZRANK", "bigdst", "m16"}), Run({"ZRANK", "bigsrc", "m16"}));
}

TEST_F(ZSetFamilyTest, SortOverZSets) {
  Run({"ZADD", "so", "3", "10", "1", "2", "2", "30"});
  EXPECT_EQ(Run({"SORT", "so"}), "[2, 10, 30]");
  EXPECT_EQ(Run({"SORT", "so", "BY", "nosort"}), "[2, 30, 10]");  // the zset's own order
  EXPECT_EQ(Run({"SORT", "so", "BY", "nosort", "DESC", "LIMIT", "0", "2"}), "[10, 30]");
}

// ---------------------------------------------------------------------------------------------
// Replies where Ember differs from Redis 7.0 (found by tests/integration/differential.py). Each
// expectation is Redis 7.0.15's reply.

TEST_F(ZSetFamilyTest, ZmpopBreaksWatch) {
  Run({"ZADD", "t", "1", "a", "2", "b"});
  EXPECT_EQ(Run({"WATCH", "t"}), "OK");
  EXPECT_EQ(Run({"ZMPOP", "1", "t", "MAX"}), "[t, [[b, 2]]]");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"ZCARD", "t"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
}

TEST_F(ZSetFamilyTest, ZrangestoreDoesNotTouchTheSource) {
  Run({"ZADD", "t", "1", "a", "2", "b"});
  EXPECT_EQ(Run({"WATCH", "t"}), "OK");
  EXPECT_EQ(Run({"ZRANGESTORE", "t2", "t", "0", "-1"}), "2");
  EXPECT_EQ(Run({"MULTI"}), "OK");
  EXPECT_EQ(Run({"ZCARD", "t"}), "QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[2]");
}

TEST_F(ZSetFamilyTest, ZrandmemberOfTheWholeSetIsInDescendingOrder) {
  Run({"ZADD", "r", "3", "c", "1", "a", "2", "b"});
  EXPECT_EQ(Run({"ZRANDMEMBER", "r", "3"}), "[c, b, a]");
  EXPECT_EQ(Run({"ZRANDMEMBER", "r", "10", "WITHSCORES"}), "[c, 3, b, 2, a, 1]");
}

TEST_F(ZSetFamilyTest, ListpackStoresMinusZeroAsZero) {
  Run({"ZADD", "z", "-0", "m"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "z"}), "listpack");
  EXPECT_EQ(Run({"ZSCORE", "z", "m"}), "0");
  EXPECT_EQ(Run({"ZINCRBY", "z", "-0", "m"}), "0");
}

TEST_F(ZSetFamilyTest, ZscanScoreText) {
  // A listpack keeps integral scores within +-2^62 as integers.
  Run({"ZADD", "lp", "1e17", "a"});
  EXPECT_EQ(Run({"ZSCAN", "lp", "0"}), "[0, [a, 100000000000000000]]");
  // A skiplist prints them with d2string: -0 keeps its sign.
  Run({"CONFIG", "SET", "zset-max-listpack-entries", "0"});
  Run({"ZADD", "sk", "-0", "m"});
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "sk"}), "skiplist");
  EXPECT_EQ(Run({"ZSCAN", "sk", "0"}), "[0, [m, -0]]");
}

TEST_F(ZSetFamilyTest, SortConvertsAListpackToASkiplist) {
  Run({"ZADD", "so", "1", "5", "2", "3"});
  EXPECT_EQ(Run({"SORT", "so", "BY", "nosort"}), "[5, 3]");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "so"}), "skiplist");
}

TEST_F(ZSetFamilyTest, ScoreBoundStopsAtNul) {
  // Redis runs strtod over the C string, which ends at the first NUL byte.
  Run({"ZADD", "r", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(Run({"ZCOUNT", "r", std::string("1\0x", 3), "2"}), "2");
}

// ---------------------------------------------------------------------------------------------
// Randomized model test: ZADD/ZREM/ZINCRBY against std::set<(score, member)>, checking ranks and
// ranges at both encodings (the listpack, and the skiplist with its spans).

struct ModelParam {
  int listpack_entries;  // zset-max-listpack-entries
  int members;           // size of the member pool
  int ops;
};

class ZSetModelTest : public EngineTest, public ::testing::WithParamInterface<ModelParam> {};

std::string Fmt(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

TEST_P(ZSetModelTest, MatchesModel) {
  const ModelParam p = GetParam();
  ASSERT_EQ(Run({"CONFIG", "SET", "zset-max-listpack-entries", std::to_string(p.listpack_entries)}),
            "OK");
  std::mt19937 rng(12345 + p.listpack_entries * 31 + p.members);
  std::set<std::pair<double, std::string>> order;
  std::map<std::string, double> scores;
  auto rnd = [&](int n) { return int(rng() % unsigned(n)); };
  // Scores collide a lot (ties order by member) and are halves, so sums stay exact.
  auto score = [&]() { return double(rnd(41) - 20) / 2; };
  auto member = [&]() { return "m" + std::to_string(rnd(p.members)); };
  auto set_score = [&](const std::string& m, double s) {
    auto it = scores.find(m);
    if (it != scores.end()) order.erase({it->second, m});
    scores[m] = s;
    order.insert({s, m});
  };
  auto range_reply = [](auto first, auto last, bool withscores) {
    std::string s = "[";
    for (auto it = first; it != last; ++it) {
      if (s.size() > 1) s += ", ";
      s += it->second;
      if (withscores) s += ", " + Fmt(it->first);
    }
    return s + "]";
  };
  auto bound = [&](double* v, bool* excl) {
    *v = double(rnd(25) - 12) / 2;
    *excl = rnd(3) == 0;
    return (*excl ? "(" : "") + Fmt(*v);
  };

  for (int op = 0; op < p.ops; ++op) {
    SCOPED_TRACE("op " + std::to_string(op));
    int r = rnd(100);
    if (r < 45) {
      std::vector<std::string> args = {"ZADD", "z"};
      std::map<std::string, double> batch;
      for (int i = 0, n = 1 + rnd(3); i < n; ++i) {
        std::string m = member();
        double s = score();
        args.push_back(Fmt(s));
        args.push_back(m);
        batch[m] = s;
      }
      int added = 0;
      for (auto& [m, s] : batch) added += !scores.count(m);
      for (auto& [m, s] : batch) set_score(m, s);
      ASSERT_EQ(Run(args), std::to_string(added));
    } else if (r < 65) {
      std::string m = member();
      int removed = int(scores.count(m));
      if (removed) {
        order.erase({scores[m], m});
        scores.erase(m);
      }
      ASSERT_EQ(Run({"ZREM", "z", m}), std::to_string(removed));
    } else if (r < 80) {
      std::string m = member();
      double inc = score();
      double s = (scores.count(m) ? scores[m] : 0) + inc;
      set_score(m, s);
      ASSERT_EQ(Run({"ZINCRBY", "z", Fmt(inc), m}), Fmt(s));
    } else if (r < 81 && !order.empty()) {
      // An occasional rank-range removal exercises RemoveRanks.
      int n = int(order.size());
      int a = rnd(n), b = a + rnd(4);
      int removed = std::min(b, n - 1) - a + 1;
      auto first = std::next(order.begin(), a);
      auto last = std::next(first, removed);
      for (auto it = first; it != last; ++it) scores.erase(it->second);
      order.erase(first, last);
      ASSERT_EQ(Run({"ZREMRANGEBYRANK", "z", std::to_string(a), std::to_string(b)}),
                std::to_string(removed));
    }

    // Checks after every operation.
    ASSERT_EQ(Run({"ZCARD", "z"}), std::to_string(order.size()));
    std::string m = member();
    if (scores.count(m)) {
      size_t rank = size_t(std::distance(order.begin(), order.find({scores[m], m})));
      ASSERT_EQ(Run({"ZRANK", "z", m}), std::to_string(rank));
      ASSERT_EQ(Run({"ZREVRANK", "z", m}), std::to_string(order.size() - 1 - rank));
      ASSERT_EQ(Run({"ZSCORE", "z", m}), Fmt(scores[m]));
    } else {
      ASSERT_EQ(Run({"ZRANK", "z", m}), "(nil)");
    }
    if (order.empty()) {
      ASSERT_EQ(Run({"EXISTS", "z"}), "0");
      continue;
    }
    int n = int(order.size());
    // ZRANGE by index (start/stop possibly negative or out of range).
    int start = rnd(n + 4) - 2, stop = rnd(n + 4) - 2;
    int s0 = start < 0 ? std::max(0, n + start) : start;
    int s1 = stop < 0 ? n + stop : std::min(stop, n - 1);
    bool ws = rnd(2);
    std::vector<std::string> zr = {"ZRANGE", "z", std::to_string(start), std::to_string(stop)};
    if (ws) zr.push_back("WITHSCORES");
    std::string want = "[]";
    if (s0 <= s1 && s0 < n)
      want = range_reply(std::next(order.begin(), s0), std::next(order.begin(), s1 + 1), ws);
    ASSERT_EQ(Run(zr), want);
    // ZREVRANGE over the same indexes, counted from the top.
    std::vector<std::pair<double, std::string>> rev(order.rbegin(), order.rend());
    want = "[]";
    if (s0 <= s1 && s0 < n) want = range_reply(rev.begin() + s0, rev.begin() + s1 + 1, false);
    ASSERT_EQ(Run({"ZREVRANGE", "z", std::to_string(start), std::to_string(stop)}), want);
    // ZCOUNT and ZRANGEBYSCORE (with LIMIT) over a random score range.
    double lo, hi;
    bool lo_ex, hi_ex;
    std::string lo_s = bound(&lo, &lo_ex), hi_s = bound(&hi, &hi_ex);
    std::vector<std::pair<double, std::string>> in;
    for (auto& e : order)
      if ((lo_ex ? e.first > lo : e.first >= lo) && (hi_ex ? e.first < hi : e.first <= hi))
        in.push_back(e);
    ASSERT_EQ(Run({"ZCOUNT", "z", lo_s, hi_s}), std::to_string(in.size()));
    int offset = rnd(4), count = rnd(6) - 1;
    size_t from = std::min(in.size(), size_t(offset));
    size_t to = count < 0 ? in.size() : std::min(in.size(), from + size_t(count));
    ASSERT_EQ(Run({"ZRANGEBYSCORE", "z", lo_s, hi_s, "WITHSCORES", "LIMIT", std::to_string(offset),
                   std::to_string(count)}),
              range_reply(in.begin() + from, in.begin() + to, true));
    std::vector<std::pair<double, std::string>> in_rev(in.rbegin(), in.rend());
    to = count < 0 ? in.size() : std::min(in.size(), from + size_t(count));
    ASSERT_EQ(Run({"ZREVRANGEBYSCORE", "z", hi_s, lo_s, "LIMIT", std::to_string(offset),
                   std::to_string(count)}),
              range_reply(in_rev.begin() + from, in_rev.begin() + to, false));
    if (op % 50 == 0) {
      // The whole set, now and then.
      ASSERT_EQ(Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
                range_reply(order.begin(), order.end(), true));
    }
  }
  if (p.listpack_entries == 0) {
    EXPECT_EQ(Run({"OBJECT", "ENCODING", "z"}), "skiplist");
  }
}

INSTANTIATE_TEST_SUITE_P(ZSetEncodings, ZSetModelTest,
                         ::testing::Values(ModelParam{128, 60, 3000},   // listpack throughout
                                           ModelParam{0, 60, 3000},     // skiplist throughout
                                           ModelParam{16, 40, 3000},    // converts early
                                           ModelParam{128, 400, 4000},  // converts at 129
                                           ModelParam{0, 2000, 6000}),  // tall skiplist
                         [](const auto& info) {
                           return "lp" + std::to_string(info.param.listpack_entries) + "_m" +
                                  std::to_string(info.param.members);
                         });

}  // namespace
}  // namespace ember
