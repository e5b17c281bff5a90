#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

// ASCII case-insensitive equality, as Redis compares command names and options.
bool EqualsNoCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);

// Concatenates strings and string views (C++20 has no string + string_view).
template <typename... Parts>
std::string StrCat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

// Strict integer parsing with Redis's string2ll rules: optional '-', no '+', no spaces, no leading
// zeros, must fit in int64.
std::optional<int64_t> ParseInt64(std::string_view s);
std::optional<uint64_t> ParseUint64(std::string_view s);

// Redis's string2ld (INCRBYFLOAT): strtold over the whole string, no leading space, no NaN.
std::optional<long double> ParseLongDouble(std::string_view s);
// Redis's string2d (scores, floats): strtod over the whole string, no leading space, no NaN.
std::optional<double> ParseDouble(std::string_view s);

// Redis's ld2string in "human" mode: fixed notation with 17 decimals, trailing zeros trimmed.
std::string FormatLongDouble(long double v);
// Redis's double replies: "%.17g", with "inf"/"-inf".
std::string FormatDouble(double v);

// "256mb", "1gb", "100", "10k" -> bytes (Redis's memtoull: b k kb m mb g gb, case-insensitive).
std::optional<int64_t> ParseMemory(std::string_view s);
// "5s", "100ms", "2m", "1h", or a bare number of `default_unit_ms` units -> milliseconds.
std::optional<int64_t> ParseDurationMs(std::string_view s, int64_t default_unit_ms);

// Redis's sdssplitargs: splits an inline command line honouring "double" (with \n \r \t \b \a
// \\ \" \xHH escapes) and 'single' quotes. nullopt on unbalanced quotes.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line);

// The addresses of `bind`, in redis.conf's syntax: space-separated; "*" is every IPv4 address
// (0.0.0.0), "::*" every IPv6 one (::); a leading '-' makes an address optional (skipped when it
// can't be bound).
struct BindAddress {
  std::string ip;
  bool optional = false;
};
std::vector<BindAddress> ParseBind(std::string_view bind);

// Redis's stringmatchlen: glob with * ? [abc] [^a] [a-z] and \ escapes.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace ember
