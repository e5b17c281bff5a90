#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "server/db/entry_table.h"
#include "server/db/varint.h"
#include "server/types/handle.h"
#include "server/types/owned_table.h"

namespace ember {

// Thresholds past which a compact hash converts to a hash table, as Redis's
// hash-max-listpack-entries / hash-max-listpack-value.
struct HashLimits {
  size_t max_listpack_entries = 512;
  size_t max_listpack_value = 64;
};

// The value of a hash key. It is an 8-byte handle that lives inside the key's Entry (no
// separate object), pointing at one of two encodings, as in Redis:
//  - kListpack: small hashes as one exactly-sized block: [u32 count][u32 bytes] then
//    [varint len][field][varint len][value] pairs in insertion order (updates keep a field's
//    place, deletes close the gap). O(n) access for small n, ~2 bytes of overhead per field.
//    An empty hash is a null handle.
//  - kHashtable (handle tagged with bit 0): an EntryTable of field -> value blobs (the layout
//    keys use), O(1) access, and HSCAN with SCAN's guarantees across resizes.
// It converts one way, listpack -> hashtable, when a limit is crossed. No RESP here.
class HashValue : public EntryHandle {
 public:
  enum class Encoding { kListpack, kHashtable };

  // Handle management for the Entry that holds one.
  static void Destroy(uint64_t handle);
  static uint64_t Copy(uint64_t handle);
  static size_t Bytes(uint64_t handle);

  Encoding encoding() const { return IsTable(load()) ? Encoding::kHashtable : Encoding::kListpack; }
  size_t size() const;

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
  // A random field and value (`r` random); the hash must not be empty.
  std::pair<std::string_view, std::string_view> Random(uint64_t r) const;

  // Heap bytes held (for used_memory and MEMORY USAGE).
  size_t bytes() const { return Bytes(load()); }

 private:
  using Table = OwnedTable;  // values are stored raw (never int-encoded)
  static bool IsTable(uint64_t h) { return h & 1; }
  static Table* AsTable(uint64_t h) { return reinterpret_cast<Table*>(h & ~uint64_t(1)); }
  static char* AsListpack(uint64_t h) { return reinterpret_cast<char*>(h); }
  static uint32_t LpCount(const char* lp) { return lp ? Read32(lp) : 0; }
  static uint32_t LpBytes(const char* lp) { return lp ? Read32(lp + 4) : 0; }
  static uint32_t Read32(const char* p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
  }
  static void ForEachLp(const char* lp, auto&& fn);

  void ConvertToTable();
};

void HashValue::ForEachLp(const char* lp, auto&& fn) {
  if (lp == nullptr) return;
  const char* p = lp + 8;
  const char* end = lp + 8 + LpBytes(lp);
  while (p < end) {
    std::string_view f = GetLengthPrefixed(p);
    std::string_view v = GetLengthPrefixed(p);
    fn(f, v);
  }
}

template <typename Fn>
void HashValue::ForEach(Fn&& fn) const {
  uint64_t h = load();
  if (IsTable(h)) {
    AsTable(h)->entries.ForEach([&](Entry* e) { fn(e->key(), e->raw_value()); });
  } else {
    ForEachLp(AsListpack(h), fn);
  }
}

template <typename Fn>
uint64_t HashValue::Scan(uint64_t cursor, Fn&& fn) const {
  uint64_t h = load();
  if (!IsTable(h)) {
    ForEachLp(AsListpack(h), fn);
    return 0;
  }
  return AsTable(h)->entries.ScanBucket(cursor, [&](Entry* e) { fn(e->key(), e->raw_value()); });
}

}  // namespace ember
