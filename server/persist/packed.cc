#include "server/persist/packed.h"

#include <charconv>
#include <cstring>

#include "common/strings.h"

namespace ember {

namespace {

uint32_t Le16(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8; }
uint32_t Le32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint64_t Le64(const uint8_t* p) { return uint64_t(Le32(p)) | uint64_t(Le32(p + 4)) << 32; }
uint32_t Be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(char((v >> (8 * i)) & 0xFF));
}

// Bytes of a listpack backlen for an element of `size` bytes. The thresholds are Redis's (a
// 16383-byte element takes three bytes), so that blobs compare byte for byte.
size_t BacklenSize(uint64_t size) {
  if (size <= 127) return 1;
  if (size < 16383) return 2;
  if (size < 2097151) return 3;
  if (size < 268435455) return 4;
  return 5;
}

// Reads a backlen that ends at `last` (inclusive) and starts no earlier than `first`.
bool DecodeBacklen(const uint8_t* first, const uint8_t* last, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (last < first) return false;
    v |= uint64_t(*last & 127) << shift;
    if (!(*last & 128)) {
      *out = v;
      return true;
    }
    --last;
  }
  return false;
}

}  // namespace

std::string PackedValue::ToString() const {
  std::string s;
  AppendTo(&s);
  return s;
}

void PackedValue::AppendTo(std::string* out) const {
  if (!is_int) {
    out->append(str);
    return;
  }
  char buf[24];
  char* end = std::to_chars(buf, buf + sizeof(buf), num).ptr;
  out->append(buf, size_t(end - buf));
}

// ---------------------------------------------------------------------------------------------
// Listpack

ListpackReader::ListpackReader(std::string_view blob) {
  const auto* b = reinterpret_cast<const uint8_t*>(blob.data());
  if (blob.size() < 7) {
    Fail("listpack shorter than its header");
    return;
  }
  if (Le32(b) != blob.size()) {
    Fail("listpack total bytes " + std::to_string(Le32(b)) + " differ from its size " +
         std::to_string(blob.size()));
    return;
  }
  if (b[blob.size() - 1] != 0xFF) {
    Fail("listpack without its terminator");
    return;
  }
  header_count_ = Le16(b + 4);
  p_ = b + 6;
  end_ = b + blob.size() - 1;
}

bool ListpackReader::Fail(std::string reason) {
  if (error_.empty()) error_ = std::move(reason);
  p_ = end_;
  return false;
}

bool ListpackReader::Next(PackedValue* v) {
  if (!ok()) return false;
  if (p_ == end_) {
    if (header_count_ != 65535 && header_count_ != seen_) {
      return Fail("listpack holds " + std::to_string(seen_) + " elements, its header says " +
                  std::to_string(header_count_));
    }
    return false;
  }
  const uint8_t* p = p_;
  size_t avail = size_t(end_ - p);
  uint8_t b = p[0];
  size_t head;       // encoding and length bytes
  uint64_t len = 0;  // string bytes
  auto need = [&](size_t n) { return avail >= n; };
  v->is_int = true;
  if ((b & 0x80) == 0) {
    head = 1;
    v->num = b & 0x7F;
  } else if ((b & 0xC0) == 0x80) {
    head = 1;
    len = b & 0x3F;
    v->is_int = false;
  } else if ((b & 0xE0) == 0xC0) {
    head = 2;
    if (!need(2)) return Fail("truncated listpack element");
    int64_t u = int64_t(b & 0x1F) << 8 | p[1];
    v->num = u >= (1 << 12) ? u - (1 << 13) : u;
  } else if ((b & 0xF0) == 0xE0) {
    head = 2;
    if (!need(2)) return Fail("truncated listpack element");
    len = uint64_t(b & 0x0F) << 8 | p[1];
    v->is_int = false;
  } else if (b == 0xF0) {
    head = 5;
    if (!need(5)) return Fail("truncated listpack element");
    len = Le32(p + 1);
    v->is_int = false;
  } else if (b == 0xF1) {
    head = 3;
    if (!need(3)) return Fail("truncated listpack element");
    v->num = int16_t(Le16(p + 1));
  } else if (b == 0xF2) {
    head = 4;
    if (!need(4)) return Fail("truncated listpack element");
    uint32_t u = Le16(p + 1) | uint32_t(p[3]) << 16;
    v->num = u >= (1u << 23) ? int64_t(u) - (int64_t(1) << 24) : int64_t(u);
  } else if (b == 0xF3) {
    head = 5;
    if (!need(5)) return Fail("truncated listpack element");
    v->num = int32_t(Le32(p + 1));
  } else if (b == 0xF4) {
    head = 9;
    if (!need(9)) return Fail("truncated listpack element");
    v->num = int64_t(Le64(p + 1));
  } else {
    return Fail("bad listpack element encoding " + std::to_string(b));
  }
  uint64_t size = head + len;
  size_t backlen = BacklenSize(size);
  if (size > avail || backlen > avail - size) return Fail("listpack element overruns the blob");
  uint64_t recorded;
  if (!DecodeBacklen(p + size, p + size + backlen - 1, &recorded) || recorded != size) {
    return Fail("listpack element with a wrong backlen");
  }
  if (!v->is_int) v->str = std::string_view(reinterpret_cast<const char*>(p + head), len);
  p_ = p + size + backlen;
  ++seen_;
  return true;
}

ListpackBuilder::ListpackBuilder() { buf_.assign(6, '\0'); }

size_t ListpackBuilder::IntElementSize(int64_t v) {
  size_t size = (v >= 0 && v <= 127)                 ? 1
                : (v >= -4096 && v <= 4095)          ? 2
                : (v >= -32768 && v <= 32767)        ? 3
                : (v >= -8388608 && v <= 8388607)    ? 4
                : (v >= INT32_MIN && v <= INT32_MAX) ? 5
                                                     : 9;
  return size + BacklenSize(size);
}

size_t ListpackBuilder::ElementSize(std::string_view s) {
  if (auto n = ParseInt64(s)) return IntElementSize(*n);
  size_t size = s.size() + (s.size() < 64 ? 1 : s.size() < 4096 ? 2 : 5);
  return size + BacklenSize(size);
}

void ListpackBuilder::Backlen(size_t size) {
  size_t n = BacklenSize(size);
  for (size_t i = 0; i < n; ++i) {
    size_t shift = 7 * (n - 1 - i);
    uint8_t byte = uint8_t((size >> shift) & 127);
    if (i > 0) byte |= 128;
    buf_.push_back(char(byte));
  }
  ++count_;
}

void ListpackBuilder::Add(std::string_view s) {
  if (auto n = ParseInt64(s)) return AddInt(*n);
  size_t start = buf_.size();
  if (s.size() < 64) {
    buf_.push_back(char(0x80 | s.size()));
  } else if (s.size() < 4096) {
    buf_.push_back(char(0xE0 | (s.size() >> 8)));
    buf_.push_back(char(s.size() & 0xFF));
  } else {
    buf_.push_back(char(0xF0));
    PutLe(&buf_, s.size(), 4);
  }
  buf_.append(s);
  Backlen(buf_.size() - start);
}

void ListpackBuilder::AddInt(int64_t v) {
  size_t start = buf_.size();
  if (v >= 0 && v <= 127) {
    buf_.push_back(char(v));
  } else if (v >= -4096 && v <= 4095) {
    uint64_t u = v < 0 ? uint64_t((int64_t(1) << 13) + v) : uint64_t(v);
    buf_.push_back(char(0xC0 | (u >> 8)));
    buf_.push_back(char(u & 0xFF));
  } else if (v >= -32768 && v <= 32767) {
    buf_.push_back(char(0xF1));
    PutLe(&buf_, uint64_t(v), 2);
  } else if (v >= -8388608 && v <= 8388607) {
    buf_.push_back(char(0xF2));
    PutLe(&buf_, uint64_t(v), 3);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    buf_.push_back(char(0xF3));
    PutLe(&buf_, uint64_t(v), 4);
  } else {
    buf_.push_back(char(0xF4));
    PutLe(&buf_, uint64_t(v), 8);
  }
  Backlen(buf_.size() - start);
}

std::string ListpackBuilder::Finish() {
  buf_.push_back(char(0xFF));
  std::string out = std::move(buf_);
  uint32_t total = uint32_t(out.size());
  uint32_t count = count_ < 65535 ? count_ : 65535;
  for (int i = 0; i < 4; ++i) out[size_t(i)] = char((total >> (8 * i)) & 0xFF);
  out[4] = char(count & 0xFF);
  out[5] = char(count >> 8);
  buf_.assign(6, '\0');
  count_ = 0;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ziplist

ZiplistReader::ZiplistReader(std::string_view blob) {
  const auto* b = reinterpret_cast<const uint8_t*>(blob.data());
  if (blob.size() < 11) {
    Fail("ziplist shorter than its header");
    return;
  }
  if (Le32(b) != blob.size()) {
    Fail("ziplist total bytes differ from its size");
    return;
  }
  if (b[blob.size() - 1] != 0xFF) {
    Fail("ziplist without its terminator");
    return;
  }
  base_ = b;
  tail_ = Le32(b + 4);
  header_count_ = Le16(b + 8);
  p_ = b + 10;
  end_ = b + blob.size() - 1;
}

bool ZiplistReader::Fail(std::string reason) {
  if (error_.empty()) error_ = std::move(reason);
  p_ = end_;
  return false;
}

bool ZiplistReader::Next(PackedValue* v) {
  if (!ok()) return false;
  if (p_ == end_) {
    if (header_count_ != 65535 && header_count_ != seen_) {
      return Fail("ziplist entry count differs from its header");
    }
    if (tail_ != (seen_ == 0 ? 10 : last_offset_)) return Fail("ziplist tail offset is wrong");
    return false;
  }
  const uint8_t* p = p_;
  size_t avail = size_t(end_ - p);
  size_t prevlen_size = p[0] < 254 ? 1 : 5;
  if (p[0] == 255) return Fail("ziplist terminator inside the entries");
  if (avail < prevlen_size + 1) return Fail("truncated ziplist entry");
  uint32_t prevlen = prevlen_size == 1 ? p[0] : Le32(p + 1);
  if (prevlen != prev_size_) return Fail("ziplist entry with a wrong prevlen");
  const uint8_t* q = p + prevlen_size;
  avail -= prevlen_size;
  uint8_t e = q[0];
  size_t head = 1;
  uint64_t len = 0;
  v->is_int = true;
  switch (e >> 6) {
    case 0:
      len = e & 0x3F;
      v->is_int = false;
      break;
    case 1:
      head = 2;
      if (avail < 2) return Fail("truncated ziplist entry");
      len = uint64_t(e & 0x3F) << 8 | q[1];
      v->is_int = false;
      break;
    case 2:
      head = 5;
      if (avail < 5) return Fail("truncated ziplist entry");
      len = Be32(q + 1);
      v->is_int = false;
      break;
    default:
      if (e == 0xC0) {
        len = 2;
      } else if (e == 0xD0) {
        len = 4;
      } else if (e == 0xE0) {
        len = 8;
      } else if (e == 0xF0) {
        len = 3;
      } else if (e == 0xFE) {
        len = 1;
      } else if (e >= 0xF1 && e <= 0xFD) {
        len = 0;
      } else {
        return Fail("bad ziplist entry encoding " + std::to_string(e));
      }
  }
  if (len > avail - head) return Fail("ziplist entry overruns the blob");
  const uint8_t* data = q + head;
  if (v->is_int) {
    switch (e) {
      case 0xC0:
        v->num = int16_t(Le16(data));
        break;
      case 0xD0:
        v->num = int32_t(Le32(data));
        break;
      case 0xE0:
        v->num = int64_t(Le64(data));
        break;
      case 0xF0: {
        uint32_t u = Le16(data) | uint32_t(data[2]) << 16;
        v->num = u >= (1u << 23) ? int64_t(u) - (int64_t(1) << 24) : int64_t(u);
        break;
      }
      case 0xFE:
        v->num = int8_t(data[0]);
        break;
      default:
        v->num = (e & 0x0F) - 1;
    }
  } else {
    v->str = std::string_view(reinterpret_cast<const char*>(data), len);
  }
  size_t total = prevlen_size + head + len;
  last_offset_ = size_t(p - base_);
  prev_size_ = total;
  p_ = p + total;
  ++seen_;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Zipmap

ZipmapReader::ZipmapReader(std::string_view blob) {
  const auto* b = reinterpret_cast<const uint8_t*>(blob.data());
  if (blob.size() < 2) {
    Fail("zipmap shorter than its header");
    return;
  }
  p_ = b + 1;
  end_ = b + blob.size();
}

bool ZipmapReader::Fail(std::string reason) {
  if (error_.empty()) error_ = std::move(reason);
  p_ = end_;
  return false;
}

bool ZipmapReader::Length(uint32_t* len) {
  if (p_ == end_) return Fail("truncated zipmap entry");
  if (*p_ < 254) {
    *len = *p_++;
    return true;
  }
  if (*p_ == 255 || end_ - p_ < 5) return Fail("bad zipmap length");
  *len = Le32(p_ + 1);
  p_ += 5;
  return true;
}

bool ZipmapReader::Next(std::string_view* field, std::string_view* value) {
  if (!ok()) return false;
  if (p_ == end_) return Fail("zipmap without its terminator");
  if (*p_ == 255) {
    if (++p_ != end_) return Fail("bytes after the zipmap terminator");
    return false;
  }
  uint32_t klen, vlen;
  if (!Length(&klen)) return false;
  if (klen > size_t(end_ - p_)) return Fail("zipmap key overruns the blob");
  *field = std::string_view(reinterpret_cast<const char*>(p_), klen);
  p_ += klen;
  if (!Length(&vlen)) return false;
  if (p_ == end_) return Fail("truncated zipmap entry");
  uint32_t free = *p_++;
  if (uint64_t(vlen) + free > size_t(end_ - p_)) return Fail("zipmap value overruns the blob");
  *value = std::string_view(reinterpret_cast<const char*>(p_), vlen);
  p_ += vlen + free;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Intset

bool ReadIntset(std::string_view blob, std::vector<int64_t>* out, std::string* error) {
  const auto* b = reinterpret_cast<const uint8_t*>(blob.data());
  if (blob.size() < 8) {
    *error = "intset shorter than its header";
    return false;
  }
  uint32_t width = Le32(b), count = Le32(b + 4);
  if (width != 2 && width != 4 && width != 8) {
    *error = "intset with a bad width " + std::to_string(width);
    return false;
  }
  if (8 + uint64_t(count) * width != blob.size()) {
    *error = "intset size does not match its count";
    return false;
  }
  out->clear();
  out->reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* p = b + 8 + size_t(i) * width;
    int64_t v = width == 2 ? int16_t(Le16(p)) : width == 4 ? int32_t(Le32(p)) : int64_t(Le64(p));
    if (!out->empty() && v <= out->back()) {
      *error = "intset values not strictly ascending";
      return false;
    }
    out->push_back(v);
  }
  return true;
}

std::string BuildIntset(const std::vector<int64_t>& sorted) {
  int width = 2;
  for (int64_t v : sorted) {
    if (v < INT32_MIN || v > INT32_MAX) {
      width = 8;
      break;
    }
    if (v < INT16_MIN || v > INT16_MAX) width = 4;
  }
  std::string out;
  out.reserve(8 + sorted.size() * size_t(width));
  PutLe(&out, uint64_t(width), 4);
  PutLe(&out, sorted.size(), 4);
  for (int64_t v : sorted) PutLe(&out, uint64_t(v), width);
  return out;
}

}  // namespace ember
