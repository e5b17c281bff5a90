#include "server/persist/lzf.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ember {

namespace {

constexpr size_t kMaxLiteralRun = 32;
constexpr size_t kMaxDistance = 8192;
constexpr size_t kMinMatch = 3;
constexpr size_t kMaxMatch = 7 + 255 + 2;

}  // namespace

size_t LzfCompress(std::string_view in, char* out, size_t out_cap) {
  const auto* ip = reinterpret_cast<const uint8_t*>(in.data());
  const size_t n = in.size();
  if (n == 0 || n >= UINT32_MAX) return 0;  // positions are kept as 32 bits
  // A hash of the next three bytes -> the last position they were seen at. The table grows with
  // the input (up to 16K slots) so that short strings do not pay for clearing a large one.
  int bits = 4;
  while (bits < 14 && (size_t(1) << bits) < n) ++bits;
  constexpr uint32_t kEmpty = UINT32_MAX;
  std::vector<uint32_t> table(size_t(1) << bits, kEmpty);
  auto hash = [&](size_t i) {
    uint32_t v = uint32_t(ip[i]) << 16 | uint32_t(ip[i + 1]) << 8 | ip[i + 2];
    return (v * 2654435761u) >> (32 - bits);
  };

  size_t op = 0;
  size_t lit_start = 0;
  auto flush_literals = [&](size_t end) {
    while (lit_start < end) {
      size_t run = std::min(kMaxLiteralRun, end - lit_start);
      if (op + 1 + run > out_cap) return false;
      out[op++] = char(run - 1);
      memcpy(out + op, ip + lit_start, run);
      op += run;
      lit_start += run;
    }
    return true;
  };

  size_t i = 0;
  while (i + kMinMatch <= n) {
    uint32_t h = hash(i);
    uint32_t cand = table[h];
    table[h] = uint32_t(i);
    if (cand == kEmpty || i - cand > kMaxDistance || memcmp(ip + cand, ip + i, kMinMatch) != 0) {
      ++i;
      continue;
    }
    size_t max_len = std::min(kMaxMatch, n - i);
    size_t len = kMinMatch;
    while (len < max_len && ip[cand + len] == ip[i + len]) ++len;
    if (!flush_literals(i)) return 0;
    size_t dist = i - cand - 1;  // 0 .. 8191
    size_t code = len - 2;       // 1 .. 262
    if (code < 7) {
      if (op + 2 > out_cap) return 0;
      out[op++] = char(code << 5 | dist >> 8);
    } else {
      if (op + 3 > out_cap) return 0;
      out[op++] = char(7 << 5 | dist >> 8);
      out[op++] = char(code - 7);
    }
    out[op++] = char(dist & 0xFF);
    // Index the positions the match covered, so later data can refer into it.
    for (size_t k = i + 1; k < i + len && k + kMinMatch <= n; ++k) table[hash(k)] = uint32_t(k);
    i += len;
    lit_start = i;
  }
  if (!flush_literals(n)) return 0;
  return op;
}

bool LzfDecompress(std::string_view in, char* out, size_t out_len) {
  const auto* ip = reinterpret_cast<const uint8_t*>(in.data());
  const size_t n = in.size();
  size_t i = 0, op = 0;
  while (i < n) {
    size_t ctrl = ip[i++];
    if (ctrl < 32) {
      size_t run = ctrl + 1;
      if (run > n - i || run > out_len - op) return false;
      memcpy(out + op, ip + i, run);
      i += run;
      op += run;
      continue;
    }
    size_t len = ctrl >> 5;
    if (i == n) return false;
    if (len == 7) {
      len += ip[i++];
      if (i == n) return false;
    }
    size_t back = ((ctrl & 31) << 8 | ip[i++]) + 1;
    len += 2;
    if (back > op || len > out_len - op) return false;
    for (size_t k = 0; k < len; ++k, ++op) out[op] = out[op - back];
  }
  return op == out_len;
}

}  // namespace ember
