#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ember {

// LEB128 lengths, as every compact encoding in server/ writes them (entries, listpacks,
// quicklist records): 7 bits per byte, low bits first, high bit = more bytes follow.

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

template <typename Byte>
Byte* PutVarint(Byte* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = Byte(v | 0x80);
    v >>= 7;
  }
  *p++ = Byte(v);
  return p;
}

template <typename Byte>
const Byte* GetVarint(const Byte* p, uint64_t* v) {
  uint64_t out = 0;
  int shift = 0;
  while (static_cast<uint8_t>(*p) & 0x80) {
    out |= uint64_t(static_cast<uint8_t>(*p++) & 0x7F) << shift;
    shift += 7;
  }
  *v = out | (uint64_t(static_cast<uint8_t>(*p++)) << shift);
  return p;
}

// Reads a varint length and the bytes it announces at p; advances p past them.
inline std::string_view GetLengthPrefixed(const char*& p) {
  uint64_t n;
  p = GetVarint(p, &n);
  std::string_view s(p, n);
  p += n;
  return s;
}

}  // namespace ember
