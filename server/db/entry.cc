#include "server/db/entry.h"

#include <malloc.h>

#include <charconv>
#include <cstdlib>
#include <random>

#include "common/strings.h"
#include "server/db/varint.h"
#include "server/types/hash_value.h"
#include "server/types/list_value.h"
#include "server/types/set_value.h"
#include "server/types/zset_value.h"
#include "server/types/stream_value.h"

namespace ember {

std::string_view ObjTypeName(ObjType t) {
  switch (t) {
    case ObjType::kString:
      return "string";
    case ObjType::kList:
      return "list";
    case ObjType::kSet:
      return "set";
    case ObjType::kZSet:
      return "zset";
    case ObjType::kHash:
      return "hash";
    case ObjType::kStream:
      return "stream";
  }
  return "none";
}

namespace {

// Redis stores a string as an integer when it is the canonical form of an int64 (at most 20
// chars, no leading zeros or '+').
bool CanonicalInt(std::string_view s, int64_t* out) {
  if (s.size() > 20) return false;
  auto v = ParseInt64(s);
  if (!v) return false;
  *out = *v;
  return true;
}

constexpr size_t kEmbstrMax = 44;  // Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT

}  // namespace

Entry* Entry::Alloc(std::string_view key, size_t value_bytes, bool with_expire_slot,
                    uint8_t type_enc, uint8_t** value_out) {
  size_t size =
      kHeader + (with_expire_slot ? 8 : 0) + VarintSize(key.size()) + key.size() + value_bytes;
  auto* p = static_cast<uint8_t*>(malloc(size));
  if (p == nullptr) abort();
  p[0] = type_enc;
  p[1] = with_expire_slot ? kExpireSlot : 0;
  memcpy(p + 2, &current_epoch, 2);
  memset(p + 4, 0, 4);
  uint8_t* q = p + kHeader;
  if (with_expire_slot) {
    memset(q, 0, 8);
    q += 8;
  }
  q = PutVarint(q, key.size());
  memcpy(q, key.data(), key.size());
  *value_out = q + key.size();
  return reinterpret_cast<Entry*>(p);
}

Entry* Entry::NewString(std::string_view key, std::string_view value, bool with_expire_slot,
                        Repr repr) {
  int64_t iv;
  if (repr == Repr::kAuto && CanonicalInt(value, &iv)) return NewInt(key, iv, with_expire_slot);
  StrEnc enc = (repr != Repr::kRaw && value.size() <= kEmbstrMax) ? StrEnc::kEmbstr : StrEnc::kRaw;
  uint8_t* v;
  Entry* e = Alloc(key, VarintSize(value.size()) + value.size(), with_expire_slot,
                   uint8_t(ObjType::kString) | uint8_t(uint8_t(enc) << 4), &v);
  v = PutVarint(v, value.size());
  memcpy(v, value.data(), value.size());
  return e;
}

Entry* Entry::NewInt(std::string_view key, int64_t value, bool with_expire_slot) {
  uint8_t* v;
  Entry* e = Alloc(key, 8, with_expire_slot,
                   uint8_t(ObjType::kString) | uint8_t(uint8_t(StrEnc::kInt) << 4), &v);
  memcpy(v, &value, 8);
  return e;
}

namespace {
// Type dispatch for collection values: the one place that knows every value class.
void DestroyObject(ObjType type, uint64_t handle) {
  switch (type) {
    case ObjType::kHash:
      HashValue::Destroy(handle);
      break;
    case ObjType::kList:
      ListValue::Destroy(handle);
      break;
    case ObjType::kSet:
      SetValue::Destroy(handle);
      break;
    case ObjType::kZSet:
      ZSetValue::Destroy(handle);
      break;
    case ObjType::kStream:
      StreamValue::Destroy(handle);
      break;
    default:
      break;
  }
}

uint64_t CopyObject(ObjType type, uint64_t handle) {
  switch (type) {
    case ObjType::kHash:
      return HashValue::Copy(handle);
    case ObjType::kList:
      return ListValue::Copy(handle);
    case ObjType::kSet:
      return SetValue::Copy(handle);
    case ObjType::kZSet:
      return ZSetValue::Copy(handle);
    case ObjType::kStream:
      return StreamValue::Copy(handle);
    default:
      abort();
  }
}

size_t ObjectBytes(ObjType type, uint64_t handle) {
  switch (type) {
    case ObjType::kHash:
      return HashValue::Bytes(handle);
    case ObjType::kList:
      return ListValue::Bytes(handle);
    case ObjType::kSet:
      return SetValue::Bytes(handle);
    case ObjType::kZSet:
      return ZSetValue::Bytes(handle);
    case ObjType::kStream:
      return StreamValue::Bytes(handle);
    default:
      return 0;
  }
}
}  // namespace

Entry* Entry::NewObject(std::string_view key, ObjType type, uint64_t handle,
                        bool with_expire_slot) {
  uint8_t* v;
  Entry* e = Alloc(key, sizeof(handle), with_expire_slot, uint8_t(type), &v);
  memcpy(v, &handle, sizeof(handle));
  return e;
}

uint64_t Entry::handle() const {
  uint64_t h;
  memcpy(&h, ValuePtr(), sizeof(h));
  return h;
}

// The same value under `key` with the given layout; a collection gets `handle`.
Entry* Entry::Relayout(const Entry* e, std::string_view key, bool with_expire_slot,
                       uint64_t handle) {
  Entry* out;
  if (e->type() != ObjType::kString) {
    out = NewObject(key, e->type(), handle, with_expire_slot);
  } else if (e->is_int()) {
    out = NewInt(key, e->int_value(), with_expire_slot);
  } else {
    std::string_view raw = e->raw_value();
    uint8_t* v;
    out = Alloc(key, VarintSize(raw.size()) + raw.size(), with_expire_slot, e->bytes()[0], &v);
    v = PutVarint(v, raw.size());
    memcpy(v, raw.data(), raw.size());
  }
  out->set_access_clock(e->access_clock());
  if (with_expire_slot && e->has_expire()) out->SetExpireMs(e->expire_ms());
  return out;
}

Entry* Entry::Rekey(Entry* e, std::string_view key, bool with_expire_slot) {
  Entry* out = Relayout(e, key, with_expire_slot, e->type() == ObjType::kString ? 0 : e->handle());
  free(e);  // the block only: a collection now belongs to `out`
  return out;
}

Entry* Entry::CloneWithKey(const Entry* e, std::string_view key, bool with_expire_slot) {
  uint64_t handle = e->type() == ObjType::kString ? 0 : CopyObject(e->type(), e->handle());
  return Relayout(e, key, with_expire_slot, handle);
}

void Entry::Free(Entry* e) {
  if (e->type() != ObjType::kString) DestroyObject(e->type(), e->handle());
  free(e);
}

size_t Entry::TotalBytes() const {
  size_t n = AllocSize();
  if (type() != ObjType::kString) n += ObjectBytes(type(), handle());
  return n;
}

bool Entry::TryOverwriteInt(int64_t value) {
  size_t prefix = size_t(ValuePtr() - bytes());
  if (prefix + 8 > AllocSize()) return false;
  bytes()[0] = uint8_t(ObjType::kString) | uint8_t(uint8_t(StrEnc::kInt) << 4);
  memcpy(bytes() + prefix, &value, 8);
  return true;
}

bool Entry::TryOverwrite(std::string_view value, Repr repr) {
  int64_t iv;
  if (repr == Repr::kAuto && CanonicalInt(value, &iv)) return TryOverwriteInt(iv);
  StrEnc enc = (repr != Repr::kRaw && value.size() <= kEmbstrMax) ? StrEnc::kEmbstr : StrEnc::kRaw;
  size_t prefix = size_t(ValuePtr() - bytes());
  if (prefix + VarintSize(value.size()) + value.size() > AllocSize()) return false;
  bytes()[0] = uint8_t(ObjType::kString) | uint8_t(uint8_t(enc) << 4);
  uint8_t* v = PutVarint(bytes() + prefix, value.size());
  memmove(v, value.data(), value.size());
  return true;
}

std::string_view Entry::key() const {
  const uint8_t* p = bytes() + kHeader + (has_expire_slot() ? 8 : 0);
  uint64_t len;
  p = GetVarint(p, &len);
  return std::string_view(reinterpret_cast<const char*>(p), len);
}

const uint8_t* Entry::ValuePtr() const {
  std::string_view k = key();
  return reinterpret_cast<const uint8_t*>(k.data() + k.size());
}

int64_t Entry::expire_ms() const {
  int64_t v;
  memcpy(&v, bytes() + kHeader, 8);
  return v;
}

void Entry::SetExpireMs(int64_t ms) {
  memcpy(bytes() + kHeader, &ms, 8);
  bytes()[1] |= kExpireSet;
}

uint32_t Entry::access_clock() const {
  uint32_t v;
  memcpy(&v, bytes() + 4, 4);
  return v;
}

void Entry::set_access_clock(uint32_t v) { memcpy(bytes() + 4, &v, 4); }

int64_t Entry::int_value() const {
  int64_t v;
  memcpy(&v, ValuePtr(), 8);
  return v;
}

std::string_view Entry::raw_value() const {
  uint64_t len;
  const uint8_t* p = GetVarint(ValuePtr(), &len);
  return std::string_view(reinterpret_cast<const char*>(p), len);
}

std::string Entry::StringValue() const {
  if (!is_int()) return std::string(raw_value());
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), int_value());
  return std::string(buf, r.ptr);
}

size_t Entry::StringLength() const {
  if (!is_int()) return raw_value().size();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), int_value());
  return size_t(r.ptr - buf);
}

size_t Entry::AllocSize() const { return malloc_usable_size(const_cast<Entry*>(this)); }

namespace {
uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = __uint128_t(a) * b;
  return uint64_t(r) ^ uint64_t(r >> 64);
}

uint64_t HashSeed() {
  static const uint64_t seed = [] {
    std::random_device rd;
    return (uint64_t(rd()) << 32) ^ rd();
  }();
  return seed;
}
}  // namespace

uint64_t HashKey(std::string_view key) {
  static const uint64_t seed = HashSeed();
  const auto* p = reinterpret_cast<const uint8_t*>(key.data());
  size_t n = key.size();
  uint64_t h = seed ^ (uint64_t(n) * 0x9E3779B97F4A7C15ULL);
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = Mix(h ^ w, 0xA0761D6478BD642FULL);
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  memcpy(&tail, p, n);
  h = Mix(h ^ tail, 0xE7037ED1A0B428DBULL);
  return Mix(h, 0x8EBC6AF09C88C6E3ULL);
}

}  // namespace ember
