#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/db/entry_table.h"

namespace ember {

// Thresholds past which a compact hash converts to a hash table, as Redis's
// hash-max-listpack-entries / hash-max-listpack-value.
struct HashLimits {
  size_t max_listpack_entries = 128;
  size_t max_listpack_value = 64;
};

// The value of a hash key. Two encodings, as in Redis:
//  - kListpack: small hashes as one buffer of [varint len][field][varint len][value] pairs in
//    insertion order (updates keep a field's place, deletes close the gap). O(n) access, but n
//    is small and it costs ~2 bytes of overhead per field.
//  - kHashtable: an EntryTable of field -> value blobs (the same blob layout as keys), O(1)
//    access, and HSCAN with SCAN's guarantees across resizes.
// It converts one way, listpack -> hashtable, when a limit is crossed. No RESP here.
class HashValue {
 public:
  enum class Encoding { kListpack, kHashtable };

  HashValue() = default;
  ~HashValue();
  HashValue(const HashValue& other);
  HashValue& operator=(const HashValue&) = delete;

  Encoding encoding() const { return table_ ? Encoding::kHashtable : Encoding::kListpack; }
  size_t size() const { return table_ ? table_->size() : count_; }

  std::optional<std::string_view> Get(std::string_view field) const;
  // Sets a field; true when the field is new.
  bool Set(std::string_view field, std::string_view value, const HashLimits& limits);
  // True when the field existed.
  bool Delete(std::string_view field);

  // fn(field, value) for every field: insertion order for listpack, table order otherwise.
  template <typename Fn>
  void ForEach(Fn&& fn) const;
  // One HSCAN step: visits a listpack entirely (returning 0) or one table bucket.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const;
  // The i-th field of a listpack, or a random one of a table (`r` random).
  std::pair<std::string_view, std::string_view> Random(uint64_t r) const;

  // Heap bytes held (for used_memory and MEMORY USAGE).
  size_t bytes() const;

 private:
  void ConvertToTable();

  std::string lp_;  // listpack bytes
  uint32_t count_ = 0;
  EntryTable* table_ = nullptr;  // owns its entries; values are stored raw (never int)
  size_t table_entry_bytes_ = 0;
};

// Decodes one listpack string at p; advances p.
std::string_view HashLpNext(const char*& p);

template <typename Fn>
void HashValue::ForEach(Fn&& fn) const {
  if (table_) {
    table_->ForEach([&](Entry* e) { fn(e->key(), e->raw_value()); });
    return;
  }
  const char* p = lp_.data();
  const char* end = p + lp_.size();
  while (p < end) {
    std::string_view f = HashLpNext(p);
    std::string_view v = HashLpNext(p);
    fn(f, v);
  }
}

template <typename Fn>
uint64_t HashValue::Scan(uint64_t cursor, Fn&& fn) const {
  if (!table_) {
    ForEach(fn);
    return 0;
  }
  return table_->ScanBucket(cursor, [&](Entry* e) { fn(e->key(), e->raw_value()); });
}

}  // namespace ember
