#include "common/resp_parser.h"

#include <gtest/gtest.h>

namespace ember {
namespace {

using Status = RequestParser::Status;

class RespParserTest : public ::testing::Test {
 protected:
  // Parses `data` fed in pieces of `step` bytes; returns the args of the first request.
  Status Feed(const std::string& data, size_t step, std::vector<std::string>* out) {
    std::string buf;
    for (size_t i = 0; i < data.size(); i += step) {
      buf += data.substr(i, step);
      size_t consumed = 0;
      Status s = parser_.Parse(buf, limits_, &consumed);
      if (s == Status::kIncomplete) continue;
      if (s == Status::kDone) {
        out->assign(parser_.args().begin(), parser_.args().end());
        EXPECT_EQ(consumed, data.size());
      }
      return s;
    }
    return Status::kIncomplete;
  }

  RequestParser parser_;
  RequestParser::Limits limits_;
};

TEST_F(RespParserTest, MultibulkInOnePiece) {
  std::vector<std::string> args;
  EXPECT_EQ(Feed("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 1000, &args), Status::kDone);
  EXPECT_EQ(args, (std::vector<std::string>{"GET", "k"}));
}

TEST_F(RespParserTest, MultibulkByteByByte) {
  std::vector<std::string> args;
  EXPECT_EQ(Feed("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nva\r\nl\r\n", 1, &args), Status::kDone);
  EXPECT_EQ(args, (std::vector<std::string>{"SET", "k", "va\r\nl"}));
}

TEST_F(RespParserTest, InlineWithQuotes) {
  std::vector<std::string> args;
  EXPECT_EQ(Feed("SET k \"a b\\x41\" 'c d'\r\n", 3, &args), Status::kDone);
  EXPECT_EQ(args, (std::vector<std::string>{"SET", "k", "a bA", "c d"}));
}

TEST_F(RespParserTest, InlineBareNewline) {
  std::vector<std::string> args;
  EXPECT_EQ(Feed("PING\n", 100, &args), Status::kDone);
  EXPECT_EQ(args, (std::vector<std::string>{"PING"}));
}

TEST_F(RespParserTest, ErrorsMatchRedis) {
  struct Case {
    std::string input, error;
  } cases[] = {
      {"*abc\r\n", "Protocol error: invalid multibulk length"},
      {"*3000000000\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\n+x\r\n", "Protocol error: expected '$', got '+'"},
      {"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$999999999999\r\n", "Protocol error: invalid bulk length"},
      {"SET \"unterminated\r\n", "Protocol error: unbalanced quotes in request"},
  };
  for (const auto& c : cases) {
    RequestParser p;
    size_t consumed;
    EXPECT_EQ(p.Parse(c.input, limits_, &consumed), Status::kError) << c.input;
    EXPECT_EQ(p.error(), c.error) << c.input;
  }
}

TEST_F(RespParserTest, UnauthenticatedLimits) {
  limits_.auth_required = true;
  size_t consumed;
  EXPECT_EQ(parser_.Parse("*11\r\n", limits_, &consumed), Status::kError);
  EXPECT_EQ(parser_.error(), "Protocol error: unauthenticated multibulk length");
  EXPECT_EQ(parser_.Parse("*1\r\n$16385\r\n", limits_, &consumed), Status::kError);
  EXPECT_EQ(parser_.error(), "Protocol error: unauthenticated bulk length");
}

TEST_F(RespParserTest, LongLinesWithoutNewlineAreRefused) {
  size_t consumed;
  std::string big(RequestParser::kMaxLine + 1, 'a');
  EXPECT_EQ(parser_.Parse(big, limits_, &consumed), Status::kError);
  EXPECT_EQ(parser_.error(), "Protocol error: too big inline request");
  EXPECT_EQ(parser_.Parse("*" + big, limits_, &consumed), Status::kError);
  EXPECT_EQ(parser_.error(), "Protocol error: too big mbulk count string");
}

TEST_F(RespParserTest, EmptyMultibulkIsSkipped) {
  size_t consumed;
  EXPECT_EQ(parser_.Parse("*0\r\n*-1\r\n", limits_, &consumed), Status::kDone);
  EXPECT_EQ(consumed, 4u);
  EXPECT_TRUE(parser_.args().empty());
}

TEST_F(RespParserTest, LargeBulkKnowsHowMuchItWants) {
  size_t consumed;
  EXPECT_EQ(parser_.Parse("*1\r\n$100000\r\nabc", limits_, &consumed), Status::kIncomplete);
  EXPECT_EQ(parser_.BytesWanted(), 4u + 9u + 100000u + 2u);  // "*1\r\n" "$100000\r\n" data CRLF
}

}  // namespace
}  // namespace ember
