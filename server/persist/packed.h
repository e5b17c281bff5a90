#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

// Redis's packed containers as RDB files carry them inside strings, written here from their
// layouts (all multi-byte integers little-endian unless said otherwise):
//
//  listpack  [u32 total bytes][u16 count, 65535 = unknown] elements... [0xFF]
//            element = encoding (+ length) + data + backlen (the element's size so far,
//            1-5 bytes of 7 bits, readable right to left). Encodings: 0xxxxxxx 7-bit uint;
//            10xxxxxx 6-bit string length; 110xxxxx +1 13-bit int; 1110xxxx +1 12-bit string
//            length (high bits first); 0xF0 +4 32-bit string length; 0xF1/F2/F3/F4 16/24/32/64-bit
//            ints. Used by Redis >= 7.0 for small hashes and zsets, list nodes and stream nodes.
//  ziplist   [u32 bytes][u32 tail offset][u16 count] entries... [0xFF], entry = prevlen (1 byte,
//            or 0xFE + u32) + encoding + data. Encodings: 00xxxxxx 6-bit string length;
//            01xxxxxx +1 14-bit (big-endian); 0x80 + u32 big-endian; 0xC0/D0/E0/F0/FE int16/32/
//            64/24/8; 0xF1..0xFD the immediates 0..12. Redis < 7.0's small containers.
//  zipmap    [u8 count] (len key len free value free-bytes)... [0xFF], len = 1 byte < 254 or
//            0xFE + u32. Redis < 2.6's small hashes.
//  intset    [u32 width 2/4/8][u32 count] sorted unique ints of that width.
//
// The readers validate everything they touch (sizes against the blob, counts, terminators,
// backlens and prevlens) and report a malformed blob instead of reading outside it.

// One element of a packed container: a string (viewing the blob) or an integer.
struct PackedValue {
  bool is_int = false;
  int64_t num = 0;
  std::string_view str;

  std::string ToString() const;
  // Appends the element as Redis reads it back (integers in decimal).
  void AppendTo(std::string* out) const;
};

class ListpackReader {
 public:
  // Checks the header: total bytes equal to the blob's size, a terminator as the last byte.
  explicit ListpackReader(std::string_view blob);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // The number of elements the header announces (65535 when unknown).
  uint32_t header_count() const { return header_count_; }
  // Reads the next element. False at the terminator (then ok() says whether the element count
  // matched the header) or on a malformed element (ok() false).
  bool Next(PackedValue* v);

 private:
  bool Fail(std::string reason);
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;  // the terminator
  uint32_t header_count_ = 0;
  uint32_t seen_ = 0;
  std::string error_;
};

class ZiplistReader {
 public:
  explicit ZiplistReader(std::string_view blob);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool Next(PackedValue* v);

 private:
  bool Fail(std::string reason);
  const uint8_t* base_ = nullptr;
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;  // the terminator
  uint32_t tail_ = 0;
  uint32_t header_count_ = 0;
  uint32_t seen_ = 0;
  size_t prev_size_ = 0;
  size_t last_offset_ = 0;
  std::string error_;
};

class ZipmapReader {
 public:
  explicit ZipmapReader(std::string_view blob);
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  // The next field and value; false at the end or on a malformed entry (ok() false).
  bool Next(std::string_view* field, std::string_view* value);

 private:
  bool Fail(std::string reason);
  bool Length(uint32_t* len);
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;  // one past the blob
  std::string error_;
};

// Decodes an intset; false when the blob is not one (bad width, size, or values not strictly
// ascending).
bool ReadIntset(std::string_view blob, std::vector<int64_t>* out, std::string* error);
// An intset of ascending unique values, in the narrowest width that holds them all.
std::string BuildIntset(const std::vector<int64_t>& sorted);

// Builds a listpack. Strings that are canonical decimal integers are stored as integers, as
// Redis's lpAppend does, so the blob reads back the same either way.
class ListpackBuilder {
 public:
  ListpackBuilder();
  void Add(std::string_view s);
  void AddInt(int64_t v);
  uint32_t count() const { return count_; }
  // Bytes the finished blob will have.
  size_t bytes() const { return buf_.size() + 1; }
  // The size an element adds (encoding, data, backlen).
  static size_t ElementSize(std::string_view s);
  static size_t IntElementSize(int64_t v);
  // The finished listpack; the builder is empty again afterwards.
  std::string Finish();

 private:
  void Backlen(size_t element_size);
  std::string buf_;
  uint32_t count_ = 0;
};

}  // namespace ember
