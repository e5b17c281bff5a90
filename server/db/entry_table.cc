#include "server/db/entry_table.h"

#include <sys/mman.h>

#include <cassert>
#include <cstdlib>
#include <utility>

namespace ember {

namespace {
constexpr size_t kMinCapacity = 8;
constexpr size_t kRehashSlotsPerWrite = 64;
}  // namespace

// ---------------------------------------------------------------------------------------------
// Slots

EntryTable::Slots::Slots(size_t n) : n_(n) {
  size_t bytes = n * sizeof(uint64_t);
  if (bytes >= (1 << 20)) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) abort();
    data_ = static_cast<uint64_t*>(p);
    mapped_ = true;
  } else {
    data_ = static_cast<uint64_t*>(calloc(n, sizeof(uint64_t)));
    if (data_ == nullptr) abort();
  }
}

EntryTable::Slots::~Slots() {
  if (data_ == nullptr) return;
  if (mapped_) {
    munmap(data_, n_ * sizeof(uint64_t));
  } else {
    free(data_);
  }
}

EntryTable::Slots& EntryTable::Slots::operator=(Slots&& o) noexcept {
  if (this != &o) {
    this->~Slots();
    data_ = std::exchange(o.data_, nullptr);
    n_ = std::exchange(o.n_, 0);
    mapped_ = o.mapped_;
  }
  return *this;
}

// ---------------------------------------------------------------------------------------------
// Array

int64_t EntryTable::Array::IndexOf(std::string_view key, uint64_t hash) const {
  if (size == 0) return -1;
  uint64_t tag = Tag(hash);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    uint64_t s = slots[i];
    if (s == 0) return -1;
    if ((s >> 48) == tag && Ptr(s)->key() == key) return int64_t(i);
  }
}

void EntryTable::Array::Put(uint64_t slot, uint64_t hash) {
  size_t i = hash & mask;
  while (slots[i] != 0) i = (i + 1) & mask;
  slots[i] = slot;
  ++size;
}

void EntryTable::Array::RemoveAt(size_t i) {
  size_t hole = i;
  for (size_t j = (hole + 1) & mask; slots[j] != 0; j = (j + 1) & mask) {
    size_t home = Home(slots[j]);
    // The entry at j may move to the hole unless its home lies cyclically in (hole, j].
    bool stays = (hole <= j) ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      slots[hole] = slots[j];
      hole = j;
    }
  }
  slots[hole] = 0;
  --size;
}

// ---------------------------------------------------------------------------------------------
// EntryTable

Entry* EntryTable::Find(std::string_view key, uint64_t hash) const {
  int64_t i = cur_.IndexOf(key, hash);
  if (i >= 0) return Ptr(cur_.slots[size_t(i)]);
  i = old_.IndexOf(key, hash);
  return i >= 0 ? Ptr(old_.slots[size_t(i)]) : nullptr;
}

void EntryTable::StartResize(size_t new_capacity) {
  if (rehashing()) RehashStep(SIZE_MAX);  // finish the previous one first
  old_ = std::move(cur_);
  cur_ = Array{};
  cur_.slots = Slots(new_capacity);
  cur_.mask = new_capacity - 1;
  migrate_pos_ = 0;
}

void EntryTable::RehashStep(size_t budget) {
  while (old_.size > 0 && budget-- > 0) {
    size_t i = migrate_pos_;
    uint64_t s = old_.slots[i];
    if (s == 0) {
      ++migrate_pos_;
      continue;
    }
    // RemoveAt may pull a later entry into slot i: stay on i until it is empty.
    old_.RemoveAt(i);
    cur_.Put(s, HashKey(Ptr(s)->key()));
  }
  if (rehashing() && old_.size == 0) old_ = Array{};
}

void EntryTable::Insert(Entry* e, uint64_t hash) {
  assert((reinterpret_cast<uint64_t>(e) & ~kPtrMask) == 0);
  if (rehashing()) RehashStep(kRehashSlotsPerWrite);
  if (cur_.slots.empty()) {
    StartResize(kMinCapacity);
  } else if ((size() + 1) * 4 > cur_.slots.size() * 3) {
    StartResize(cur_.slots.size() * 2);
    RehashStep(kRehashSlotsPerWrite);
  }
  cur_.Put(MakeSlot(e, hash), hash);
}

Entry* EntryTable::Erase(std::string_view key, uint64_t hash) {
  if (rehashing()) RehashStep(kRehashSlotsPerWrite);
  for (Array* a : {&cur_, &old_}) {
    int64_t i = a->IndexOf(key, hash);
    if (i < 0) continue;
    Entry* found = Ptr(a->slots[size_t(i)]);
    a->RemoveAt(size_t(i));
    return found;
  }
  return nullptr;
}

Entry* EntryTable::EntryAtOrAfter(size_t index, size_t* found_at) const {
  const Array& a = old_.size > 0 ? old_ : cur_;
  if (a.size == 0) return nullptr;
  for (size_t i = index & a.mask;; i = (i + 1) & a.mask) {
    if (a.slots[i] != 0) {
      if (found_at) *found_at = i;
      return Ptr(a.slots[i]);
    }
  }
}

Entry* EntryTable::RandomEntry(uint64_t r) const {
  if (size() == 0) return nullptr;
  // Pick the array in proportion to its entries, then probe random slots: walking forward from
  // one slot would favour entries that follow long empty stretches.
  const Array& a = (r % size()) < old_.size ? old_ : cur_;
  r = r * 6364136223846793005ULL + 1442695040888963407ULL;
  for (int tries = 0; tries < 64; ++tries) {
    uint64_t s = a.slots[(r >> 16) & a.mask];
    if (s != 0) return Ptr(s);
    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
  }
  size_t at;
  return a.size > 0 ? EntryAtOrAfter(r >> 16, &at) : nullptr;
}

void EntryTable::Clear() {
  cur_ = Array{};
  old_ = Array{};
  migrate_pos_ = 0;
}

void EntryTable::MaybeShrink() {
  if (rehashing() || cur_.slots.size() <= kMinCapacity || size() * 10 >= cur_.slots.size()) {
    return;
  }
  size_t cap = kMinCapacity;
  while (size() * 4 >= cap * 3 / 2) cap *= 2;  // land at <= 50% load
  if (cap < cur_.slots.size()) StartResize(cap);
}

}  // namespace ember
