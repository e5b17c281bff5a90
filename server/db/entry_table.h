#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "server/db/entry.h"

namespace ember {

// An open-addressing hash table of Entry pointers keyed by the entries' own keys: linear
// probing, backward-shift deletion (no tombstones), power-of-two capacity, load <= 3/4.
//
// Each 8-byte slot holds the pointer in its low 48 bits and the top 16 bits of the key's hash
// above, so a probe rejects most non-matching slots without touching the entry.
//
// Scan() walks "home buckets" (hash & mask) in Redis's reverse-binary cursor order. Since an
// entry lives at or after its home bucket with no empty slot between, one bucket's entries are
// found by walking its run; and since buckets split and merge by their low bits on resize, a
// full scan returns every entry present from start to end, as Redis's SCAN promises.
//
// The table does not own the entries.
class EntryTable {
 public:
  EntryTable() = default;
  EntryTable(const EntryTable&) = delete;
  EntryTable& operator=(const EntryTable&) = delete;
  EntryTable(EntryTable&& o) noexcept;
  EntryTable& operator=(EntryTable&& o) noexcept;

  Entry* Find(std::string_view key, uint64_t hash) const;
  // `e`'s key must not be present.
  void Insert(Entry* e, uint64_t hash);
  // Removes and returns the entry with `key`, or nullptr.
  Entry* Erase(std::string_view key, uint64_t hash);
  // Swaps in `replacement` (same key) for `current`. Returns false if `current` isn't here.
  bool Replace(const Entry* current, Entry* replacement, uint64_t hash);

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }
  size_t MemoryUsage() const { return slots_.capacity() * sizeof(uint64_t); }

  // Visits the entries of one home bucket and returns the next cursor (0 when done).
  template <typename Fn>
  uint64_t ScanBucket(uint64_t cursor, Fn&& fn) const;

  // A slot chosen uniformly among the capacity, then walked forward to an entry; nullptr when
  // empty. `r` is a random number.
  Entry* RandomEntry(uint64_t r) const;
  // Entry at or after slot `index % capacity` (for sampling), or nullptr if empty.
  Entry* EntryAtOrAfter(size_t index, size_t* found_at) const;

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (uint64_t s : slots_) {
      if (s != 0) fn(Ptr(s));
    }
  }

  // Drops every slot (does not free the entries).
  void Clear();
  // Shrinks when very sparse (after mass deletion). Cheap to call often.
  void MaybeShrink();

 private:
  static uint64_t ReverseBits(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  }
  static constexpr uint64_t kPtrMask = (uint64_t(1) << 48) - 1;
  static Entry* Ptr(uint64_t slot) { return reinterpret_cast<Entry*>(slot & kPtrMask); }
  static uint64_t Tag(uint64_t hash) { return hash >> 48; }
  static uint64_t MakeSlot(Entry* e, uint64_t hash) {
    return reinterpret_cast<uint64_t>(e) | (Tag(hash) << 48);
  }
  size_t Home(uint64_t slot) const { return HashKey(Ptr(slot)->key()) & mask_; }
  void Resize(size_t new_capacity);
  void InsertSlot(uint64_t slot, uint64_t hash);

  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

template <typename Fn>
uint64_t EntryTable::ScanBucket(uint64_t cursor, Fn&& fn) const {
  if (slots_.empty()) return 0;
  size_t bucket = cursor & mask_;
  for (size_t i = bucket; slots_[i] != 0; i = (i + 1) & mask_) {
    if (Home(slots_[i]) == bucket) fn(Ptr(slots_[i]));
    if (((i + 1) & mask_) == bucket) break;  // full table wrap guard
  }
  // Reverse-binary increment of the cursor over the bits of mask_ (Redis's dictScan).
  uint64_t v = cursor | ~uint64_t(mask_);
  v = ReverseBits(v);
  v++;
  return ReverseBits(v);
}

}  // namespace ember
