#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "server/db/entry_table.h"
#include "server/types/handle.h"
#include "server/types/owned_table.h"

namespace ember {

// The value of a set key: an 8-byte handle inside the key's Entry, in Redis 7.0's two
// encodings:
//  - kIntset: sets of integers up to set-max-intset-entries, as one exactly-sized sorted array
//    of int64 ([u32 count][values]); membership by binary search. A null handle is empty.
//  - kHashtable (handle tagged with bit 0): an EntryTable of member blobs (the layout keys use,
//    with an empty value).
// Conversion is one way, intset -> hashtable. No RESP here.
class SetValue : public EntryHandle {
 public:
  enum class Encoding { kIntset, kHashtable };

  static void Destroy(uint64_t handle);
  static uint64_t Copy(uint64_t handle);
  static size_t Bytes(uint64_t handle);

  Encoding encoding() const { return IsTable(load()) ? Encoding::kHashtable : Encoding::kIntset; }
  size_t size() const;
  bool Contains(std::string_view member) const;
  // True when the member was added. `max_intset` is set-max-intset-entries.
  bool Add(std::string_view member, size_t max_intset);
  bool Remove(std::string_view member);
  // fn(member) for every member: ascending for intset, table order otherwise.
  template <typename Fn>
  void ForEach(Fn&& fn) const;
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const;
  // A random member (`r` random); the set must not be empty.
  std::string Random(uint64_t r) const;
  size_t bytes() const { return Bytes(load()); }

 private:
  using Table = OwnedTable;
  static bool IsTable(uint64_t h) { return h & 1; }
  static Table* AsTable(uint64_t h) { return reinterpret_cast<Table*>(h & ~uint64_t(1)); }
  static char* AsIntset(uint64_t h) { return reinterpret_cast<char*>(h); }
  static uint32_t Count(const char* is) {
    uint32_t n = 0;
    if (is) memcpy(&n, is, 4);
    return n;
  }
  static int64_t IntAt(const char* is, size_t i) {
    int64_t v;
    memcpy(&v, is + 4 + 8 * i, 8);
    return v;
  }
  void ConvertToTable();
};

std::string SetIntToString(int64_t v);

template <typename Fn>
void SetValue::ForEach(Fn&& fn) const {
  uint64_t h = load();
  if (IsTable(h)) {
    AsTable(h)->entries.ForEach([&](Entry* e) { fn(e->key()); });
    return;
  }
  const char* is = AsIntset(h);
  for (uint32_t i = 0; i < Count(is); ++i) {
    std::string s = SetIntToString(IntAt(is, i));
    fn(std::string_view(s));
  }
}

template <typename Fn>
uint64_t SetValue::Scan(uint64_t cursor, Fn&& fn) const {
  uint64_t h = load();
  if (!IsTable(h)) {
    ForEach(fn);
    return 0;
  }
  return AsTable(h)->entries.ScanBucket(cursor, [&](Entry* e) { fn(e->key()); });
}

}  // namespace ember
