#include "server/types/hash_value.h"

#include <cstring>

namespace ember {

namespace {

void PutLen(std::string* out, size_t n) {
  while (n >= 0x80) {
    out->push_back(char(n | 0x80));
    n >>= 7;
  }
  out->push_back(char(n));
}

void PutString(std::string* out, std::string_view s) {
  PutLen(out, s.size());
  out->append(s);
}

// Finds `field` in a listpack: the offset of its field record and of the record after its value,
// or npos.
struct LpHit {
  size_t field_at = std::string::npos;
  size_t value_at = 0;
  size_t end_at = 0;
};

LpHit LpFind(const std::string& lp, std::string_view field) {
  const char* base = lp.data();
  const char* p = base;
  const char* end = base + lp.size();
  while (p < end) {
    const char* rec = p;
    std::string_view f = HashLpNext(p);
    const char* val = p;
    HashLpNext(p);
    if (f == field) return {size_t(rec - base), size_t(val - base), size_t(p - base)};
  }
  return {};
}

}  // namespace

std::string_view HashLpNext(const char*& p) {
  size_t n = 0;
  int shift = 0;
  while (static_cast<unsigned char>(*p) & 0x80) {
    n |= size_t(static_cast<unsigned char>(*p++) & 0x7F) << shift;
    shift += 7;
  }
  n |= size_t(static_cast<unsigned char>(*p++)) << shift;
  std::string_view s(p, n);
  p += n;
  return s;
}

HashValue::~HashValue() {
  if (table_) {
    table_->ForEach([](Entry* e) { Entry::Free(e); });
    delete table_;
  }
}

HashValue::HashValue(const HashValue& other) : lp_(other.lp_), count_(other.count_) {
  if (other.table_) {
    table_ = new EntryTable();
    table_entry_bytes_ = other.table_entry_bytes_;
    other.table_->ForEach([&](Entry* e) {
      table_->Insert(Entry::CloneWithKey(e, e->key(), false), HashKey(e->key()));
    });
  }
}

std::optional<std::string_view> HashValue::Get(std::string_view field) const {
  if (table_) {
    Entry* e = table_->Find(field, HashKey(field));
    if (e == nullptr) return std::nullopt;
    // Values are stored raw (never int-encoded) so that a view can be returned.
    return e->raw_value();
  }
  LpHit hit = LpFind(lp_, field);
  if (hit.field_at == std::string::npos) return std::nullopt;
  const char* p = lp_.data() + hit.value_at;
  return HashLpNext(p);
}

bool HashValue::Set(std::string_view field, std::string_view value, const HashLimits& limits) {
  if (!table_ &&
      (field.size() > limits.max_listpack_value || value.size() > limits.max_listpack_value)) {
    ConvertToTable();
  }
  if (table_) {
    uint64_t hash = HashKey(field);
    Entry* old = table_->Erase(field, hash);
    if (old) {
      table_entry_bytes_ -= old->AllocSize();
      Entry::Free(old);
    }
    Entry* e = Entry::NewString(field, value, false, Entry::Repr::kNoInt);
    table_entry_bytes_ += e->AllocSize();
    table_->Insert(e, hash);
    return old == nullptr;
  }
  LpHit hit = LpFind(lp_, field);
  if (hit.field_at != std::string::npos) {
    std::string rec;
    PutString(&rec, value);
    lp_.replace(hit.value_at, hit.end_at - hit.value_at, rec);
    return false;
  }
  PutString(&lp_, field);
  PutString(&lp_, value);
  ++count_;
  if (count_ > limits.max_listpack_entries) ConvertToTable();
  return true;
}

bool HashValue::Delete(std::string_view field) {
  if (table_) {
    Entry* old = table_->Erase(field, HashKey(field));
    if (old == nullptr) return false;
    table_entry_bytes_ -= old->AllocSize();
    Entry::Free(old);
    return true;
  }
  LpHit hit = LpFind(lp_, field);
  if (hit.field_at == std::string::npos) return false;
  lp_.erase(hit.field_at, hit.end_at - hit.field_at);
  --count_;
  return true;
}

std::pair<std::string_view, std::string_view> HashValue::Random(uint64_t r) const {
  if (table_) {
    Entry* e = table_->RandomEntry(r);
    return {e->key(), e->raw_value()};
  }
  size_t target = r % count_;
  const char* p = lp_.data();
  for (size_t i = 0;; ++i) {
    std::string_view f = HashLpNext(p);
    std::string_view v = HashLpNext(p);
    if (i == target) return {f, v};
  }
}

size_t HashValue::bytes() const {
  size_t n = sizeof(HashValue) + lp_.capacity();
  if (table_) n += sizeof(EntryTable) + table_->capacity() * sizeof(uint64_t) + table_entry_bytes_;
  return n;
}

void HashValue::ConvertToTable() {
  auto* table = new EntryTable();
  ForEach([&](std::string_view f, std::string_view v) {
    Entry* e = Entry::NewString(f, v, false, Entry::Repr::kNoInt);
    table_entry_bytes_ += e->AllocSize();
    table->Insert(e, HashKey(f));
  });
  table_ = table;
  lp_.clear();
  lp_.shrink_to_fit();
  count_ = 0;
}

}  // namespace ember
