#include "tests/unit/test_base.h"

namespace ember {
namespace {

class StringFamilyTest : public EngineTest {};

TEST_F(StringFamilyTest, SetGet) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GET", "k"}), "v");
  EXPECT_EQ(Run({"GET", "missing"}), "(nil)");
}

TEST_F(StringFamilyTest, ExpireRemovesKeyAfterDeadline) {
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "20"}), "OK");
  clock_.Advance(10ms);
  EXPECT_EQ(Run({"GET", "k"}), "v");
  clock_.Advance(11ms);  // Redis expires a key once now > deadline
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
}

TEST_F(StringFamilyTest, SetOptions) {
  EXPECT_EQ(Run({"SET", "k", "v", "NX"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "w", "NX"}), "(nil)");
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET"}), "v");
  EXPECT_EQ(Run({"SET", "absent", "w", "XX"}), "(nil)");
  EXPECT_EQ(Run({"SET", "k", "v", "NX", "XX"}), "ERR syntax error");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "PX", "10"}), "ERR syntax error");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0"}), "ERR invalid expire time in 'set' command");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "x"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "100"}), "OK");
  EXPECT_EQ(Run({"SET", "k", "v2", "KEEPTTL"}), "OK");
  EXPECT_EQ(Run({"TTL", "k"}), "100");
  EXPECT_EQ(Run({"SET", "k", "v3"}), "OK");
  EXPECT_EQ(Run({"TTL", "k"}), "-1");
}

TEST_F(StringFamilyTest, Counters) {
  EXPECT_EQ(Run({"INCR", "c"}), "1");
  EXPECT_EQ(Run({"INCRBY", "c", "41"}), "42");
  EXPECT_EQ(Run({"DECRBY", "c", "2"}), "40");
  EXPECT_EQ(Run({"SET", "c", "9223372036854775807"}), "OK");
  EXPECT_EQ(Run({"INCR", "c"}), "ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"SET", "s", "abc"}), "OK");
  EXPECT_EQ(Run({"INCR", "s"}), "ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"SET", "f", "10.50"}), "OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.1"}), "10.6");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-5"}), "5.6");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "inf"}), "ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"INCRBYFLOAT", "s", "1"}), "ERR value is not a valid float");
}

TEST_F(StringFamilyTest, CounterKeepsTtl) {
  EXPECT_EQ(Run({"SET", "c", "1", "EX", "50"}), "OK");
  EXPECT_EQ(Run({"INCR", "c"}), "2");
  EXPECT_EQ(Run({"TTL", "c"}), "50");
}

TEST_F(StringFamilyTest, MultiKey) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2"}), "OK");
  EXPECT_EQ(Run({"MGET", "a", "b", "c"}), "[1, 2, (nil)]");
  EXPECT_EQ(Run({"MSETNX", "c", "3", "a", "9"}), "0");
  EXPECT_EQ(Run({"MSETNX", "c", "3", "d", "4"}), "1");
  EXPECT_EQ(Run({"MSET", "a"}), "ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Run({"MSET", "a", "1", "b"}), "ERR wrong number of arguments for 'mset' command");
}

TEST_F(StringFamilyTest, Ranges) {
  EXPECT_EQ(Run({"APPEND", "s", "Hello"}), "5");
  EXPECT_EQ(Run({"APPEND", "s", " World"}), "11");
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "4"}), "Hello");
  EXPECT_EQ(Run({"GETRANGE", "s", "-5", "-1"}), "World");
  EXPECT_EQ(Run({"GETRANGE", "s", "5", "1"}), "");
  EXPECT_EQ(Run({"SETRANGE", "s", "6", "Redis"}), "11");
  EXPECT_EQ(Run({"GET", "s"}), "Hello Redis");
  EXPECT_EQ(Run({"SETRANGE", "n", "3", "x"}), "4");
  EXPECT_EQ(Run({"GET", "n"}), std::string("\0\0\0x", 4));
  EXPECT_EQ(Run({"STRLEN", "s"}), "11");
  EXPECT_EQ(Run({"SETRANGE", "s", "-1", "x"}), "ERR offset is out of range");
}

TEST_F(StringFamilyTest, Bits) {
  EXPECT_EQ(Run({"SETBIT", "b", "7", "1"}), "0");
  EXPECT_EQ(Run({"SETBIT", "b", "7", "1"}), "1");
  EXPECT_EQ(Run({"GETBIT", "b", "7"}), "1");
  EXPECT_EQ(Run({"GETBIT", "b", "100"}), "0");
  EXPECT_EQ(Run({"SETBIT", "b", "7", "2"}), "ERR bit is not an integer or out of range");
  EXPECT_EQ(Run({"SETBIT", "b", "-1", "1"}), "ERR bit offset is not an integer or out of range");
  EXPECT_EQ(Run({"SET", "f", "foobar"}), "OK");
  EXPECT_EQ(Run({"BITCOUNT", "f"}), "26");
  EXPECT_EQ(Run({"BITCOUNT", "f", "1", "1"}), "6");
  EXPECT_EQ(Run({"BITCOUNT", "f", "5", "30", "BIT"}), "17");
  EXPECT_EQ(Run({"SET", "p", std::string("\xff\xf0\x00", 3)}), "OK");
  EXPECT_EQ(Run({"BITPOS", "p", "0"}), "12");
  EXPECT_EQ(Run({"BITPOS", "p", "1", "2"}), "-1");
  EXPECT_EQ(Run({"BITPOS", "p", "1", "7", "15", "BIT"}), "7");
}

TEST_F(StringFamilyTest, WrongType) {
  // No other type exists yet in this layer: exercise the check through OBJECT-free paths.
  EXPECT_EQ(Run({"SET", "k", "v"}), "OK");
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST", "EX", "1"}), "ERR syntax error");
  EXPECT_EQ(Run({"GETEX", "k", "EX", "100"}), "v");
  EXPECT_EQ(Run({"TTL", "k"}), "100");
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST"}), "v");
  EXPECT_EQ(Run({"TTL", "k"}), "-1");
  EXPECT_EQ(Run({"GETDEL", "k"}), "v");
  EXPECT_EQ(Run({"EXISTS", "k"}), "0");
}

}  // namespace
}  // namespace ember
