#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember {

// Incremental parser for client requests: RESP multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and
// inline commands ("GET k\r\n"), with Redis's limits and error texts.
//
// The caller keeps the unparsed bytes of the request in one contiguous buffer and passes them
// from the request's first byte on every call; the parser remembers how far it got, so a
// request that arrives in many pieces is scanned once. Offsets are relative to the request's
// first byte, so the caller may move the bytes (compact its buffer) between calls.
class RequestParser {
 public:
  enum class Status { kDone, kIncomplete, kError };

  struct Limits {
    int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
    bool auth_required = false;                  // tighter limits before AUTH, as Redis
  };

  // Lines (inline requests, "*N" and "$N" headers) longer than this without a newline are a
  // protocol error, as PROTO_INLINE_MAX_SIZE in Redis.
  static constexpr size_t kMaxLine = 64 * 1024;

  // Parses one request from `data`. On kDone, `*consumed` is its length and args() holds it
  // (an empty request, such as a blank inline line, yields kDone with no args). On kError,
  // error() holds the reply text without the "-ERR " prefix and the connection must close.
  Status Parse(std::string_view data, const Limits& limits, size_t* consumed);

  // Arguments of the last kDone request; views into the `data` of that call (or into the
  // parser's own storage for inline requests). Valid until the next Parse or Reset.
  const std::vector<std::string_view>& args() const { return args_; }
  const std::string& error() const { return error_; }

  // Bytes the current partial request needs before it can complete, if known (for reading a
  // large bulk straight into place). 0 when unknown.
  size_t BytesWanted() const;

  void Reset();

 private:
  Status ParseInline(std::string_view data, const Limits& limits, size_t* consumed);
  Status ParseMultibulk(std::string_view data, const Limits& limits, size_t* consumed);
  Status Fail(std::string msg);

  // State of a multibulk request in progress.
  int64_t multibulk_left_ = -1;                   // -1: header not read yet
  int64_t bulk_len_ = -1;                         // -1: "$N" header of the next bulk not read yet
  size_t pos_ = 0;                                // bytes of the request already validated
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of complete args

  std::vector<std::string_view> args_;
  std::vector<std::string> inline_args_;
  std::string error_;
};

}  // namespace ember
