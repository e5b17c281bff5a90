#pragma once

#include <cstddef>
#include <string_view>

#include "server/db/entry_table.h"

namespace ember {

// An EntryTable that owns its entries, and counts the bytes they hold: the hashtable encoding
// of hashes (field -> value blobs) and sets (member blobs with an empty value).
struct OwnedTable {
  EntryTable entries;
  size_t entry_bytes = 0;

  OwnedTable() = default;
  OwnedTable(const OwnedTable&) = delete;
  OwnedTable& operator=(const OwnedTable&) = delete;
  ~OwnedTable() {
    entries.ForEach([](Entry* e) { Entry::Free(e); });
  }

  void Add(Entry* e, uint64_t hash) {
    entry_bytes += e->AllocSize();
    entries.Insert(e, hash);
  }
  // Frees the entry under `key`; false when there is none.
  bool Remove(std::string_view key, uint64_t hash) {
    Entry* e = entries.Erase(key, hash);
    if (e == nullptr) return false;
    entry_bytes -= e->AllocSize();
    Entry::Free(e);
    return true;
  }
  OwnedTable* Copy() const {
    auto* t = new OwnedTable;
    entries.ForEach(
        [&](Entry* e) { t->Add(Entry::CloneWithKey(e, e->key(), false), HashKey(e->key())); });
    return t;
  }
  size_t Bytes() const {
    return sizeof(*this) + entries.capacity() * sizeof(uint64_t) + entry_bytes;
  }
};

}  // namespace ember
