#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/clock.h"
#include "server/engine.h"

namespace ember {

using namespace std::chrono_literals;

// Drives the real Engine (dispatcher, keyspace, families) for one fake client, with a manual
// clock. Run() returns the reply in a compact readable form:
//   +OK -> "OK", $3 abc -> "abc", nil -> "(nil)", :5 -> "5", -ERR x -> "ERR x",
//   arrays -> "[a, b]", maps (RESP3) -> "{k: v}".
class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : engine_(&clock_) {}

  void SetUp() override {
    engine_.Start();
    client_.id = engine_.NextClientId();
    client_.authenticated = true;
    engine_.RegisterClient(&client_);
  }
  void TearDown() override { engine_.UnregisterClient(&client_); }

  std::string Run(std::vector<std::string> args) { return Decode(RunRaw(std::move(args))); }

  std::string RunRaw(std::vector<std::string> args) {
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    ReplyBuilder rb(&out);
    rb.SetResp3(client_.resp3);
    // Background jobs (BGSAVE, BGREWRITEAOF) take the lock too.
    std::lock_guard lk(engine_.mu());
    engine_.Execute(client_, CmdArgs(views.data(), views.size()), rb);
    return out;
  }

  static std::string Decode(const std::string& raw) {
    size_t pos = 0;
    std::string out = DecodeAt(raw, &pos);
    EXPECT_EQ(pos, raw.size()) << "trailing bytes in reply: " << raw;
    return out;
  }

  static std::string DecodeAt(const std::string& raw, size_t* pos) {
    size_t eol = raw.find("\r\n", *pos);
    if (eol == std::string::npos) return "<bad reply: " + raw + ">";
    char type = raw[*pos];
    std::string line = raw.substr(*pos + 1, eol - *pos - 1);
    *pos = eol + 2;
    switch (type) {
      case '+':
      case '-':
      case ':':
      case ',':
      case '#':
        return line;
      case '_':
        return "(nil)";
      case '$':
      case '=': {
        long n = std::stol(line);
        if (n < 0) return "(nil)";
        std::string s = raw.substr(*pos, size_t(n));
        *pos += size_t(n) + 2;
        return s;
      }
      case '*':
      case '~':
      case '>':
      case '%': {
        long n = std::stol(line);
        if (n < 0) return "(nil)";
        long items = type == '%' ? 2 * n : n;
        std::string s = type == '%' ? "{" : "[";
        for (long i = 0; i < items; ++i) {
          if (i) s += (type == '%' && i % 2 == 1) ? ": " : ", ";
          s += DecodeAt(raw, pos);
        }
        return s + (type == '%' ? "}" : "]");
      }
    }
    return "<bad reply: " + raw + ">";
  }

  ManualClock clock_;
  Engine engine_;
  ClientState client_;
};

}  // namespace ember
