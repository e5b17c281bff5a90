#include "common/strings.h"

#include <gtest/gtest.h>

namespace ember {
namespace {

TEST(StringsTest, ParseInt64IsStrictLikeRedis) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(ParseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_FALSE(ParseInt64("9223372036854775808"));
  EXPECT_FALSE(ParseInt64("-0"));
  EXPECT_FALSE(ParseInt64("01"));
  EXPECT_FALSE(ParseInt64("+1"));
  EXPECT_FALSE(ParseInt64(" 1"));
  EXPECT_FALSE(ParseInt64(""));
}

TEST(StringsTest, FormatLongDoubleTrimsZeros) {
  EXPECT_EQ(FormatLongDouble(10.5L), "10.5");
  EXPECT_EQ(FormatLongDouble(5200.0L), "5200");
  EXPECT_EQ(FormatLongDouble(-0.0L), "0");
}

TEST(StringsTest, MemoryAndDurationUnits) {
  EXPECT_EQ(ParseMemory("256mb"), 256LL * 1024 * 1024);
  EXPECT_EQ(ParseMemory("1GB"), 1024LL * 1024 * 1024);
  EXPECT_EQ(ParseMemory("10k"), 10000);
  EXPECT_EQ(ParseMemory("100"), 100);
  EXPECT_FALSE(ParseMemory("10q"));
  EXPECT_FALSE(ParseMemory("-1"));
  EXPECT_EQ(ParseDurationMs("5s", 1), 5000);
  EXPECT_EQ(ParseDurationMs("100ms", 1000), 100);
  EXPECT_EQ(ParseDurationMs("7", 1000), 7000);
  EXPECT_FALSE(ParseDurationMs("x", 1));
}

TEST(StringsTest, GlobMatchesRedisSyntax) {
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h\\*llo", "h*llo"));
  EXPECT_FALSE(GlobMatch("h\\*llo", "hello"));
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("HELLO", "hello", /*nocase=*/true));
  // Pathological patterns end in bounded time.
  EXPECT_FALSE(GlobMatch(std::string(60, '*') + "a*a*a*a*a*a*b", std::string(60, 'a')));
}

TEST(StringsTest, SplitArgsLikeSdssplitargs) {
  auto v = SplitArgs("set k \"v\\n\\x41\" 'it\\'s'");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<std::string>{"set", "k", "v\nA", "it's"}));
  EXPECT_FALSE(SplitArgs("\"unterminated"));
  EXPECT_FALSE(SplitArgs("\"closed\"x"));
}

}  // namespace
TEST(StringsTest, ParseBindReadsRedisConfSyntax) {
  auto a = ParseBind("  127.0.0.1\t-::1 *  ::* ");
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].ip, "127.0.0.1");
  EXPECT_FALSE(a[0].optional);
  EXPECT_EQ(a[1].ip, "::1");
  EXPECT_TRUE(a[1].optional);
  EXPECT_EQ(a[2].ip, "0.0.0.0");
  EXPECT_EQ(a[3].ip, "::");
  EXPECT_TRUE(ParseBind("").empty());
}

}  // namespace ember
