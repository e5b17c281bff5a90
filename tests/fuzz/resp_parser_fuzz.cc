// Feeds arbitrary bytes to the request parser in arbitrary pieces, as a client socket would,
// and checks its invariants: it never reads outside the data, consumed bytes are in range,
// and a request's args lie inside the data it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/resp_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ember::RequestParser parser;
  ember::RequestParser::Limits limits;
  limits.max_bulk_len = 1 << 20;
  limits.auth_required = data[0] & 1;
  size_t step = 1 + data[0] % 17;  // first byte picks the piece size
  std::string buf;
  size_t fed = 1;
  while (fed < size || !buf.empty()) {
    size_t n = std::min(step, size - fed);
    buf.append(reinterpret_cast<const char*>(data + fed), n);
    fed += n;
    size_t consumed = 0;
    auto status = parser.Parse(buf, limits, &consumed);
    if (status == ember::RequestParser::Status::kError) return 0;  // connection closes
    if (status == ember::RequestParser::Status::kIncomplete) {
      if (n == 0) return 0;  // no more input
      continue;
    }
    if (consumed == 0 || consumed > buf.size()) abort();
    for (auto arg : parser.args()) {
      bool inside = arg.data() >= buf.data() && arg.data() + arg.size() <= buf.data() + buf.size();
      if (!inside && arg.size() > 4096) abort();  // inline args live in the parser, and are short
    }
    buf.erase(0, consumed);
  }
  return 0;
}
