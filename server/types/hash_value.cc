#include "server/types/hash_value.h"

#include <malloc.h>

#include <cstdlib>

#include "server/db/varint.h"

namespace ember {

namespace {

void Write32(char* p, uint32_t v) { memcpy(p, &v, 4); }

// Where `field` sits in a listpack: offsets (from the block start) of its record, its value
// record and the record after; field_at == 0 when absent.
struct LpHit {
  size_t field_at = 0, value_at = 0, end_at = 0;
};

LpHit LpFind(const char* lp, std::string_view field) {
  if (lp == nullptr) return {};
  uint32_t bytes;
  memcpy(&bytes, lp + 4, 4);
  const char* p = lp + 8;
  const char* end = p + bytes;
  while (p < end) {
    const char* rec = p;
    std::string_view f = GetLengthPrefixed(p);
    const char* val = p;
    GetLengthPrefixed(p);
    if (f == field) return {size_t(rec - lp), size_t(val - lp), size_t(p - lp)};
  }
  return {};
}

}  // namespace

void HashValue::Destroy(uint64_t h) {
  if (IsTable(h)) return delete AsTable(h);
  free(AsListpack(h));
}

uint64_t HashValue::Copy(uint64_t h) {
  if (IsTable(h)) return reinterpret_cast<uint64_t>(AsTable(h)->Copy()) | 1;
  char* lp = AsListpack(h);
  if (lp == nullptr) return 0;
  size_t n = 8 + LpBytes(lp);
  char* copy = static_cast<char*>(malloc(n));
  if (copy == nullptr) abort();
  memcpy(copy, lp, n);
  return reinterpret_cast<uint64_t>(copy);
}

size_t HashValue::Bytes(uint64_t h) {
  if (IsTable(h)) return AsTable(h)->Bytes();
  return AsListpack(h) ? malloc_usable_size(AsListpack(h)) : 0;
}

size_t HashValue::size() const {
  uint64_t h = load();
  return IsTable(h) ? AsTable(h)->entries.size() : LpCount(AsListpack(h));
}

std::optional<std::string_view> HashValue::Get(std::string_view field) const {
  uint64_t h = load();
  if (IsTable(h)) {
    Entry* e = AsTable(h)->entries.Find(field, HashKey(field));
    if (e == nullptr) return std::nullopt;
    return e->raw_value();
  }
  char* lp = AsListpack(h);
  LpHit hit = LpFind(lp, field);
  if (hit.field_at == 0) return std::nullopt;
  const char* p = lp + hit.value_at;
  return GetLengthPrefixed(p);
}

bool HashValue::Set(std::string_view field, std::string_view value, const HashLimits& limits) {
  if (!IsTable(load()) &&
      (field.size() > limits.max_listpack_value || value.size() > limits.max_listpack_value)) {
    ConvertToTable();
  }
  uint64_t h = load();
  if (IsTable(h)) {
    Table* t = AsTable(h);
    uint64_t hash = HashKey(field);
    bool existed = t->Remove(field, hash);
    t->Add(Entry::NewString(field, value, false, Entry::Repr::kNoInt), hash);
    return !existed;
  }
  char* lp = AsListpack(h);
  uint32_t count = LpCount(lp), bytes = LpBytes(lp);
  LpHit hit = LpFind(lp, field);
  size_t value_rec = VarintSize(value.size()) + value.size();
  if (hit.field_at != 0) {
    // Replace the value record in place, resizing the block to the exact new length.
    size_t old_rec = hit.end_at - hit.value_at;
    size_t tail = 8 + bytes - hit.end_at;
    size_t new_total = 8 + bytes - old_rec + value_rec;
    if (value_rec < old_rec) memmove(lp + hit.value_at + value_rec, lp + hit.end_at, tail);
    lp = static_cast<char*>(realloc(lp, new_total));
    if (lp == nullptr) abort();
    if (value_rec > old_rec) memmove(lp + hit.value_at + value_rec, lp + hit.end_at, tail);
    PutVarint(lp + hit.value_at, value.size());
    memcpy(lp + hit.value_at + VarintSize(value.size()), value.data(), value.size());
    Write32(lp + 4, uint32_t(new_total - 8));
    store(reinterpret_cast<uint64_t>(lp));
    return false;
  }
  size_t add = VarintSize(field.size()) + field.size() + value_rec;
  lp = static_cast<char*>(realloc(lp, 8 + bytes + add));
  if (lp == nullptr) abort();
  char* p = lp + 8 + bytes;
  p = PutVarint(p, field.size());
  memcpy(p, field.data(), field.size());
  p = PutVarint(p + field.size(), value.size());
  memcpy(p, value.data(), value.size());
  Write32(lp, count + 1);
  Write32(lp + 4, uint32_t(bytes + add));
  store(reinterpret_cast<uint64_t>(lp));
  if (count + 1 > limits.max_listpack_entries) ConvertToTable();
  return true;
}

bool HashValue::Delete(std::string_view field) {
  uint64_t h = load();
  if (IsTable(h)) {
    return AsTable(h)->Remove(field, HashKey(field));
  }
  char* lp = AsListpack(h);
  LpHit hit = LpFind(lp, field);
  if (hit.field_at == 0) return false;
  uint32_t count = LpCount(lp), bytes = LpBytes(lp);
  if (count == 1) {
    free(lp);
    store(0);
    return true;
  }
  size_t rec = hit.end_at - hit.field_at;
  memmove(lp + hit.field_at, lp + hit.end_at, 8 + bytes - hit.end_at);
  lp = static_cast<char*>(realloc(lp, 8 + bytes - rec));
  Write32(lp, count - 1);
  Write32(lp + 4, uint32_t(bytes - rec));
  store(reinterpret_cast<uint64_t>(lp));
  return true;
}

std::pair<std::string_view, std::string_view> HashValue::Random(uint64_t r) const {
  uint64_t h = load();
  if (IsTable(h)) {
    Entry* e = AsTable(h)->entries.RandomEntry(r);
    return {e->key(), e->raw_value()};
  }
  const char* lp = AsListpack(h);
  size_t target = r % LpCount(lp);
  const char* p = lp + 8;
  for (size_t i = 0;; ++i) {
    std::string_view f = GetLengthPrefixed(p);
    std::string_view v = GetLengthPrefixed(p);
    if (i == target) return {f, v};
  }
}

void HashValue::ConvertToTable() {
  uint64_t h = load();
  auto* t = new Table;
  ForEachLp(AsListpack(h), [&](std::string_view f, std::string_view v) {
    t->Add(Entry::NewString(f, v, false, Entry::Repr::kNoInt), HashKey(f));
  });
  free(AsListpack(h));
  store(reinterpret_cast<uint64_t>(t) | 1);
}

}  // namespace ember
