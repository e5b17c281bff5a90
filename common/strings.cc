#include "common/strings.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ember {

namespace {
inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
}  // namespace

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = char(c - 32);
  }
  return out;
}

std::optional<uint64_t> ParseUint64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  if (s.size() <= 19) {  // cannot overflow: no per-digit check (request headers take this path)
    uint64_t v = 0;
    for (char c : s) {
      unsigned d = unsigned(c - '0');
      if (d > 9) return std::nullopt;
      v = v * 10 + d;
    }
    return v;
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = uint64_t(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<int64_t> ParseInt64(std::string_view s) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (neg && s == "0") return std::nullopt;  // Redis rejects "-0"
  auto u = ParseUint64(s);
  if (!u) return std::nullopt;
  if (neg) {
    if (*u > uint64_t(INT64_MAX) + 1) return std::nullopt;
    return int64_t(0 - *u);
  }
  if (*u > uint64_t(INT64_MAX)) return std::nullopt;
  return int64_t(*u);
}

std::optional<long double> ParseLongDouble(std::string_view s) {
  constexpr size_t kMaxChars = 5 * 1024;
  if (s.empty() || s.size() >= kMaxChars) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char buf[kMaxChars];
  memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end;
  errno = 0;
  long double v = strtold(buf, &end);
  if (size_t(end - buf) != s.size() || errno == ERANGE || std::isnan(v)) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty() || s.size() >= 5 * 1024) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  std::string buf(s);
  char* end;
  errno = 0;
  double v = strtod(buf.c_str(), &end);
  if (size_t(end - buf.c_str()) != s.size() || std::isnan(v)) return std::nullopt;
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || std::fpclassify(v) == FP_ZERO)) {
    return std::nullopt;
  }
  return v;
}

std::string FormatLongDouble(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[5 * 1024 + 64];
  int n = snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n <= 0 || size_t(n) >= sizeof(buf)) return "0";
  std::string out(buf, size_t(n));
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[128];
  int n = snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf, size_t(n));
}

namespace {
struct Unit {
  std::string_view suffix;
  int64_t multiplier;
};

// "<digits><unit>" -> digits * multiplier of the unit (case-insensitive), within int64.
std::optional<int64_t> ParseWithUnit(std::string_view s, std::initializer_list<Unit> units) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  std::string unit = ToLower(s.substr(digits));
  for (const Unit& u : units) {
    if (unit != u.suffix) continue;
    auto n = ParseUint64(s.substr(0, digits));
    if (!n || *n > uint64_t(INT64_MAX) / uint64_t(u.multiplier)) return std::nullopt;
    return int64_t(*n) * u.multiplier;
  }
  return std::nullopt;
}
}  // namespace

std::optional<int64_t> ParseMemory(std::string_view s) {
  return ParseWithUnit(s, {{"", 1},
                           {"b", 1},
                           {"k", 1000},
                           {"kb", 1024},
                           {"m", 1000 * 1000},
                           {"mb", 1024 * 1024},
                           {"g", 1000LL * 1000 * 1000},
                           {"gb", 1024LL * 1024 * 1024}});
}

std::optional<int64_t> ParseDurationMs(std::string_view s, int64_t default_unit_ms) {
  return ParseWithUnit(
      s, {{"", default_unit_ms}, {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}});
}

namespace {
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }
}  // namespace

std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  std::vector<std::string> out;
  size_t p = 0;
  const size_t n = line.size();
  while (true) {
    while (p < n && IsSpace(line[p])) ++p;
    if (p >= n) return out;
    std::string cur;
    bool in_dq = false, in_sq = false;
    while (true) {
      if (in_dq) {
        if (p >= n) return std::nullopt;
        if (line[p] == '\\' && p + 3 < n && line[p + 1] == 'x' && HexDigit(line[p + 2]) >= 0 &&
            HexDigit(line[p + 3]) >= 0) {
          cur.push_back(char(HexDigit(line[p + 2]) * 16 + HexDigit(line[p + 3])));
          p += 3;
        } else if (line[p] == '\\' && p + 1 < n) {
          ++p;
          char c = line[p];
          switch (c) {
            case 'n':
              c = '\n';
              break;
            case 'r':
              c = '\r';
              break;
            case 't':
              c = '\t';
              break;
            case 'b':
              c = '\b';
              break;
            case 'a':
              c = '\a';
              break;
            default:
              break;
          }
          cur.push_back(c);
        } else if (line[p] == '"') {
          // A closing quote must be followed by a space or the end.
          if (p + 1 < n && !IsSpace(line[p + 1])) return std::nullopt;
          in_dq = false;
        } else {
          cur.push_back(line[p]);
        }
      } else if (in_sq) {
        if (p >= n) return std::nullopt;
        if (line[p] == '\\' && p + 1 < n && line[p + 1] == '\'') {
          ++p;
          cur.push_back('\'');
        } else if (line[p] == '\'') {
          if (p + 1 < n && !IsSpace(line[p + 1])) return std::nullopt;
          in_sq = false;
        } else {
          cur.push_back(line[p]);
        }
      } else {
        if (p >= n) break;
        char c = line[p];
        if (IsSpace(c)) break;
        if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          cur.push_back(c);
        }
      }
      if (p < n) ++p;
    }
    out.push_back(std::move(cur));
  }
}

namespace {
// `give_up` is set when the pattern after a '*' failed to match at every position of the rest
// of the string: then no earlier '*' can help by matching more characters, and the caller
// stops trying. Without it, patterns like "a*a*a*a*b" take exponential time.
bool GlobMatchImpl(const char* pat, size_t plen, const char* str, size_t slen, bool nocase,
                   bool* give_up, int nesting) {
  if (nesting > 1000) return false;  // bound the recursion depth, as Redis does
  while (plen > 0 && slen > 0) {
    switch (pat[0]) {
      case '*':
        while (plen > 1 && pat[1] == '*') {
          ++pat;
          --plen;
        }
        if (plen == 1) return true;
        while (slen > 0) {
          if (GlobMatchImpl(pat + 1, plen - 1, str, slen, nocase, give_up, nesting + 1)) {
            return true;
          }
          if (*give_up) return false;
          ++str;
          --slen;
        }
        *give_up = true;
        return false;
      case '?':
        ++str;
        --slen;
        break;
      case '[': {
        ++pat;
        --plen;
        bool negate = plen > 0 && pat[0] == '^';
        if (negate) {
          ++pat;
          --plen;
        }
        bool match = false;
        while (true) {
          if (plen == 0) {
            // Unterminated class: Redis treats the end of pattern as closing it.
            break;
          }
          if (pat[0] == '\\' && plen >= 2) {
            ++pat;
            --plen;
            if (pat[0] == str[0]) match = true;
          } else if (pat[0] == ']') {
            break;
          } else if (plen >= 3 && pat[1] == '-') {
            char start = pat[0], end = pat[2], c = str[0];
            if (start > end) std::swap(start, end);
            if (nocase) {
              start = Lower(start);
              end = Lower(end);
              c = Lower(c);
            }
            pat += 2;
            plen -= 2;
            if (c >= start && c <= end) match = true;
          } else if (nocase ? Lower(pat[0]) == Lower(str[0]) : pat[0] == str[0]) {
            match = true;
          }
          ++pat;
          --plen;
        }
        if (plen == 0) {
          // Keep pat pointing at a virtual ']' so the shared advance below is a no-op.
          ++plen;
          --pat;
        }
        if (negate) match = !match;
        if (!match) return false;
        ++str;
        --slen;
        break;
      }
      case '\\':
        if (plen >= 2) {
          ++pat;
          --plen;
        }
        [[fallthrough]];
      default:
        if (nocase ? Lower(pat[0]) != Lower(str[0]) : pat[0] != str[0]) return false;
        ++str;
        --slen;
        break;
    }
    ++pat;
    --plen;
    if (slen == 0) {
      while (plen > 0 && pat[0] == '*') {
        ++pat;
        --plen;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}
}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  bool give_up = false;
  return GlobMatchImpl(pattern.data(), pattern.size(), str.data(), str.size(), nocase, &give_up, 0);
}

std::vector<BindAddress> ParseBind(std::string_view bind) {
  std::vector<BindAddress> out;
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  size_t i = 0;
  while (i < bind.size()) {
    if (space(bind[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < bind.size() && !space(bind[j])) ++j;
    std::string_view word = bind.substr(i, j - i);
    i = j;
    BindAddress a;
    if (word[0] == '-') {
      a.optional = true;
      word.remove_prefix(1);
    }
    a.ip = word == "*" ? "0.0.0.0" : word == "::*" ? "::" : std::string(word);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace ember
