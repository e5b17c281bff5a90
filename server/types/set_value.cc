#include "server/types/set_value.h"

#include <malloc.h>

#include <charconv>
#include <cstdlib>

#include "common/strings.h"

namespace ember {

namespace {

// Redis keeps a member in an intset when it is the canonical text of an int64.
bool AsInt(std::string_view s, int64_t* out) {
  if (s.size() > 20) return false;
  auto v = ParseInt64(s);
  if (!v) return false;
  *out = *v;
  return true;
}

// Index of the first value >= v in the intset.
size_t LowerBound(const char* is, uint32_t n, int64_t v) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int64_t m;
    memcpy(&m, is + 4 + 8 * mid, 8);
    if (m < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace

std::string SetIntToString(int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

void SetValue::Destroy(uint64_t h) {
  if (IsTable(h)) return delete AsTable(h);
  free(AsIntset(h));
}

uint64_t SetValue::Copy(uint64_t h) {
  if (IsTable(h)) return reinterpret_cast<uint64_t>(AsTable(h)->Copy()) | 1;
  const char* is = AsIntset(h);
  if (is == nullptr) return 0;
  size_t n = 4 + 8 * size_t(Count(is));
  char* copy = static_cast<char*>(malloc(n));
  if (copy == nullptr) abort();
  memcpy(copy, is, n);
  return reinterpret_cast<uint64_t>(copy);
}

size_t SetValue::Bytes(uint64_t h) {
  if (IsTable(h)) return AsTable(h)->Bytes();
  return AsIntset(h) ? malloc_usable_size(AsIntset(h)) : 0;
}

size_t SetValue::size() const {
  uint64_t h = load();
  return IsTable(h) ? AsTable(h)->entries.size() : Count(AsIntset(h));
}

bool SetValue::Contains(std::string_view member) const {
  uint64_t h = load();
  if (IsTable(h)) return AsTable(h)->entries.Find(member, HashKey(member)) != nullptr;
  int64_t v;
  if (!AsInt(member, &v)) return false;
  const char* is = AsIntset(h);
  uint32_t n = Count(is);
  size_t i = LowerBound(is, n, v);
  return i < n && IntAt(is, i) == v;
}

bool SetValue::Add(std::string_view member, size_t max_intset) {
  uint64_t h = load();
  int64_t v;
  if (!IsTable(h)) {
    if (!AsInt(member, &v)) {
      ConvertToTable();
      h = load();
    } else {
      char* is = AsIntset(h);
      uint32_t n = Count(is);
      size_t i = is ? LowerBound(is, n, v) : 0;
      if (i < n && IntAt(is, i) == v) return false;
      is = static_cast<char*>(realloc(is, 4 + 8 * (size_t(n) + 1)));
      if (is == nullptr) abort();
      memmove(is + 4 + 8 * (i + 1), is + 4 + 8 * i, 8 * (n - i));
      memcpy(is + 4 + 8 * i, &v, 8);
      uint32_t count = n + 1;
      memcpy(is, &count, 4);
      store(reinterpret_cast<uint64_t>(is));
      if (count > max_intset) ConvertToTable();
      return true;
    }
  }
  Table* t = AsTable(h);
  uint64_t hash = HashKey(member);
  if (t->entries.Find(member, hash) != nullptr) return false;
  t->Add(Entry::NewString(member, "", false, Entry::Repr::kNoInt), hash);
  return true;
}

bool SetValue::Remove(std::string_view member) {
  uint64_t h = load();
  if (IsTable(h)) {
    return AsTable(h)->Remove(member, HashKey(member));
  }
  int64_t v;
  if (!AsInt(member, &v)) return false;
  char* is = AsIntset(h);
  uint32_t n = Count(is);
  size_t i = is ? LowerBound(is, n, v) : 0;
  if (i >= n || IntAt(is, i) != v) return false;
  if (n == 1) {
    free(is);
    store(0);
    return true;
  }
  memmove(is + 4 + 8 * i, is + 4 + 8 * (i + 1), 8 * (n - i - 1));
  uint32_t count = n - 1;
  memcpy(is, &count, 4);
  is = static_cast<char*>(realloc(is, 4 + 8 * size_t(count)));
  store(reinterpret_cast<uint64_t>(is));
  return true;
}

std::string SetValue::Random(uint64_t r) const {
  uint64_t h = load();
  if (IsTable(h)) return std::string(AsTable(h)->entries.RandomEntry(r)->key());
  const char* is = AsIntset(h);
  return SetIntToString(IntAt(is, r % Count(is)));
}

void SetValue::ConvertToTable() {
  uint64_t h = load();
  auto* t = new Table;
  const char* is = AsIntset(h);
  for (uint32_t i = 0; i < Count(is); ++i) {
    std::string m = SetIntToString(IntAt(is, i));
    t->Add(Entry::NewString(m, "", false, Entry::Repr::kNoInt), HashKey(m));
  }
  free(AsIntset(h));
  store(reinterpret_cast<uint64_t>(t) | 1);
}

}  // namespace ember
