#include "common/resp_parser.h"

#include <cstring>

#include "common/strings.h"

namespace ember {

namespace {
constexpr int64_t kMaxUnauthMultibulk = 10;
constexpr int64_t kMaxUnauthBulk = 16384;
constexpr int64_t kIntMax = 2147483647;

// Fast path for a well-formed "<digits>\r\n" at p (the common case of every header): the value
// and the position after the CRLF, or -1 when anything is unusual (the caller then takes the
// general path, which decides between incomplete and Redis's exact error).
int64_t QuickLength(const char* p, const char* end, const char** after) {
  const char* q = p;
  int64_t v = 0;
  while (q < end && q - p < 18 && unsigned(*q - '0') <= 9) v = v * 10 + (*q++ - '0');
  if (q == p || (q - p > 1 && *p == '0') || end - q < 2 || q[0] != '\r' || q[1] != '\n') return -1;
  *after = q + 2;
  return v;
}
}  // namespace

void RequestParser::Reset() {
  multibulk_left_ = -1;
  bulk_len_ = -1;
  pos_ = 0;
  spans_.clear();
}

RequestParser::Status RequestParser::Fail(std::string msg) {
  error_ = "Protocol error: " + msg;
  Reset();
  return Status::kError;
}

size_t RequestParser::BytesWanted() const {
  if (bulk_len_ < 0) return 0;
  return pos_ + size_t(bulk_len_) + 2;
}

RequestParser::Status RequestParser::Parse(std::string_view data, const Limits& limits,
                                           size_t* consumed) {
  args_.clear();
  if (data.empty()) return Status::kIncomplete;
  if (data[0] == '*') return ParseMultibulk(data, limits, consumed);
  return ParseInline(data, limits, consumed);
}

RequestParser::Status RequestParser::ParseInline(std::string_view data, const Limits& limits,
                                                 size_t* consumed) {
  (void)limits;
  size_t nl = data.find('\n');
  if (nl == std::string_view::npos) {
    if (data.size() > kMaxLine) return Fail("too big inline request");
    return Status::kIncomplete;
  }
  std::string_view line = data.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  auto split = SplitArgs(line);
  if (!split) return Fail("unbalanced quotes in request");
  inline_args_ = std::move(*split);
  for (const auto& a : inline_args_) args_.emplace_back(a);
  *consumed = nl + 1;
  Reset();
  return Status::kDone;
}

RequestParser::Status RequestParser::ParseMultibulk(std::string_view data, const Limits& limits,
                                                    size_t* consumed) {
  if (multibulk_left_ < 0) {
    const char* nl = static_cast<const char*>(memchr(data.data(), '\r', data.size()));
    if (nl == nullptr) {
      if (data.size() > kMaxLine) return Fail("too big mbulk count string");
      return Status::kIncomplete;
    }
    size_t line_end = size_t(nl - data.data());
    if (line_end + 1 >= data.size()) return Status::kIncomplete;  // need the '\n' too
    auto n = ParseInt64(data.substr(1, line_end - 1));
    if (!n || *n > kIntMax) return Fail("invalid multibulk length");
    if (*n > kMaxUnauthMultibulk && limits.auth_required) {
      return Fail("unauthenticated multibulk length");
    }
    pos_ = line_end + 2;
    if (*n <= 0) {
      *consumed = pos_;
      Reset();
      return Status::kDone;
    }
    multibulk_left_ = *n;
    spans_.clear();
    spans_.reserve(size_t(std::min<int64_t>(*n, 1024)));
  }

  while (multibulk_left_ > 0) {
    if (bulk_len_ < 0) {
      if (pos_ >= data.size()) return Status::kIncomplete;
      const char* start = data.data() + pos_;
      const char* after;
      int64_t quick =
          *start == '$' ? QuickLength(start + 1, data.data() + data.size(), &after) : -1;
      if (quick >= 0 && quick <= limits.max_bulk_len &&
          !(quick > kMaxUnauthBulk && limits.auth_required)) {
        bulk_len_ = quick;
        pos_ = size_t(after - data.data());
      }
    }
    if (bulk_len_ < 0) {
      const char* start = data.data() + pos_;
      const char* nl = static_cast<const char*>(memchr(start, '\r', data.size() - pos_));
      if (nl == nullptr) {
        if (data.size() - pos_ > kMaxLine) return Fail("too big bulk count string");
        return Status::kIncomplete;
      }
      size_t line_end = size_t(nl - data.data());
      if (line_end + 1 >= data.size()) return Status::kIncomplete;
      if (*start != '$') return Fail(std::string("expected '$', got '") + *start + "'");
      auto n = ParseInt64(data.substr(pos_ + 1, line_end - pos_ - 1));
      if (!n || *n < 0 || *n > limits.max_bulk_len) return Fail("invalid bulk length");
      if (*n > kMaxUnauthBulk && limits.auth_required) {
        return Fail("unauthenticated bulk length");
      }
      bulk_len_ = *n;
      pos_ = line_end + 2;
    }
    if (data.size() - pos_ < size_t(bulk_len_) + 2) return Status::kIncomplete;
    spans_.emplace_back(pos_, size_t(bulk_len_));
    pos_ += size_t(bulk_len_) + 2;  // Redis does not check the trailing CRLF bytes either
    bulk_len_ = -1;
    --multibulk_left_;
  }
  args_.reserve(spans_.size());
  for (auto [off, len] : spans_) args_.emplace_back(data.data() + off, len);
  *consumed = pos_;
  Reset();
  return Status::kDone;
}

}  // namespace ember
