#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/db/entry.h"

namespace ember {

// A hash table of Entry pointers keyed by the entries' own keys: open addressing with linear
// probing, backward-shift deletion (no tombstones), power-of-two capacity, load <= 3/4.
//
// Each 8-byte slot holds the pointer in its low 48 bits and the top 16 bits of the key's hash
// above, so a probe rejects most non-matching slots without touching the entry.
//
// Resizing is incremental, as Redis's dict rehashing: a resize starts a new array and every
// write (and the cron, through RehashStep) moves a few slots of the old one over, so no single
// operation pays for the whole table (a one-shot resize at 1.5M keys stalled for 135 ms).
// Meanwhile lookups consult both arrays.
//
// Scan() walks "home buckets" (hash & mask) in Redis's reverse-binary cursor order. An entry
// lives at or after its home bucket with no empty slot between, so one bucket's entries are
// found by walking its run; buckets split and merge by their low bits on resize, and while two
// arrays exist the scan covers a bucket of the smaller one together with all its expansions in
// the larger (Redis's dictScan). So a full scan returns every entry present from start to end.
//
// The table does not own the entries.
class EntryTable {
 public:
  EntryTable() = default;
  EntryTable(const EntryTable&) = delete;
  EntryTable& operator=(const EntryTable&) = delete;
  EntryTable(EntryTable&&) noexcept = default;
  EntryTable& operator=(EntryTable&&) noexcept = default;

  Entry* Find(std::string_view key, uint64_t hash) const;
  // `e`'s key must not be present.
  void Insert(Entry* e, uint64_t hash);
  // Removes and returns the entry with `key`, or nullptr.
  Entry* Erase(std::string_view key, uint64_t hash);

  size_t size() const { return cur_.size + old_.size; }
  size_t capacity() const { return cur_.slots.size(); }
  bool rehashing() const { return !old_.slots.empty(); }
  // Moves up to `slots` slots of a resize in progress; the cron calls it.
  void RehashStep(size_t slots);

  // Visits the entries of one cursor position and returns the next cursor (0 when done).
  template <typename Fn>
  uint64_t ScanBucket(uint64_t cursor, Fn&& fn) const;

  // A random entry (`r` a random number); nullptr when empty.
  Entry* RandomEntry(uint64_t r) const;
  // An entry at or after position `index` (for sampling and the expiry hand), or nullptr.
  Entry* EntryAtOrAfter(size_t index, size_t* found_at) const;

  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Array* a : {&old_, &cur_}) {
      for (uint64_t s : a->slots) {
        if (s != 0) fn(Ptr(s));
      }
    }
  }

  // Drops every slot (does not free the entries).
  void Clear();
  // Starts shrinking when very sparse (after mass deletion). Cheap to call often.
  void MaybeShrink();

 private:
  // Zero-filled slot memory. Large arrays are mapped from the kernel, whose pages are zeroed
  // on first touch, so starting a resize does not memset tens of megabytes in one go.
  class Slots {
   public:
    Slots() = default;
    explicit Slots(size_t n);
    ~Slots();
    Slots(Slots&& o) noexcept : data_(o.data_), n_(o.n_), mapped_(o.mapped_) {
      o.data_ = nullptr;
      o.n_ = 0;
    }
    Slots& operator=(Slots&& o) noexcept;
    size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }
    uint64_t& operator[](size_t i) { return data_[i]; }
    uint64_t operator[](size_t i) const { return data_[i]; }
    const uint64_t* begin() const { return data_; }
    const uint64_t* end() const { return data_ + n_; }

   private:
    uint64_t* data_ = nullptr;
    size_t n_ = 0;
    bool mapped_ = false;
  };

  // One open-addressing array.
  struct Array {
    Slots slots;
    size_t mask = 0;
    size_t size = 0;

    size_t Home(uint64_t slot) const { return HashKey(Ptr(slot)->key()) & mask; }
    // Index of the slot holding `key`, or -1.
    int64_t IndexOf(std::string_view key, uint64_t hash) const;
    void Put(uint64_t slot, uint64_t hash);
    // Empties slot `i`, pulling later members of its run back (backward shift).
    void RemoveAt(size_t i);
    template <typename Fn>
    void ForBucket(size_t bucket, Fn&& fn) const;
  };

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
  void StartResize(size_t new_capacity);

  Array cur_;               // where inserts go
  Array old_;               // the array being emptied into cur_ during a resize
  size_t migrate_pos_ = 0;  // old_ slots below this are empty
};

template <typename Fn>
void EntryTable::Array::ForBucket(size_t bucket, Fn&& fn) const {
  if (slots.empty()) return;
  for (size_t i = bucket & mask; slots[i] != 0; i = (i + 1) & mask) {
    if (Home(slots[i]) == (bucket & mask)) fn(Ptr(slots[i]));
    if (((i + 1) & mask) == (bucket & mask)) break;  // full-array wrap guard
  }
}

template <typename Fn>
uint64_t EntryTable::ScanBucket(uint64_t v, Fn&& fn) const {
  if (!rehashing()) {
    if (cur_.slots.empty()) return 0;
    cur_.ForBucket(v, fn);
    v |= ~uint64_t(cur_.mask);
    return ReverseBits(ReverseBits(v) + 1);
  }
  // Two arrays: the smaller one's bucket, then every bucket of the larger one that expands it.
  const Array& small = cur_.mask < old_.mask ? cur_ : old_;
  const Array& large = cur_.mask < old_.mask ? old_ : cur_;
  uint64_t m0 = small.mask, m1 = large.mask;
  small.ForBucket(v & m0, fn);
  do {
    large.ForBucket(v & m1, fn);
    v |= ~m1;
    v = ReverseBits(ReverseBits(v) + 1);
  } while (v & (m0 ^ m1));
  return v;
}

}  // namespace ember
