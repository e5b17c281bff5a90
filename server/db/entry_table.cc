#include "server/db/entry_table.h"

#include <cassert>
#include <utility>

namespace ember {

namespace {
constexpr size_t kMinCapacity = 8;
}

EntryTable::EntryTable(EntryTable&& o) noexcept
    : slots_(std::move(o.slots_)), mask_(o.mask_), size_(o.size_) {
  o.mask_ = 0;
  o.size_ = 0;
}

EntryTable& EntryTable::operator=(EntryTable&& o) noexcept {
  slots_ = std::move(o.slots_);
  mask_ = std::exchange(o.mask_, 0);
  size_ = std::exchange(o.size_, 0);
  o.slots_.clear();
  return *this;
}

Entry* EntryTable::Find(std::string_view key, uint64_t hash) const {
  if (size_ == 0) return nullptr;
  uint64_t tag = Tag(hash);
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    uint64_t s = slots_[i];
    if (s == 0) return nullptr;
    if ((s >> 48) == tag && Ptr(s)->key() == key) return Ptr(s);
  }
}

void EntryTable::InsertSlot(uint64_t slot, uint64_t hash) {
  size_t i = hash & mask_;
  while (slots_[i] != 0) i = (i + 1) & mask_;
  slots_[i] = slot;
}

void EntryTable::Insert(Entry* e, uint64_t hash) {
  assert((reinterpret_cast<uint64_t>(e) & ~kPtrMask) == 0);
  if ((size_ + 1) * 4 > slots_.size() * 3) {
    Resize(slots_.empty() ? kMinCapacity : slots_.size() * 2);
  }
  InsertSlot(MakeSlot(e, hash), hash);
  ++size_;
}

Entry* EntryTable::Erase(std::string_view key, uint64_t hash) {
  if (size_ == 0) return nullptr;
  uint64_t tag = Tag(hash);
  size_t i = hash & mask_;
  for (;; i = (i + 1) & mask_) {
    uint64_t s = slots_[i];
    if (s == 0) return nullptr;
    if ((s >> 48) == tag && Ptr(s)->key() == key) break;
  }
  Entry* found = Ptr(slots_[i]);
  // Backward shift: pull later members of the run into the hole when their home allows it.
  size_t hole = i;
  for (size_t j = (hole + 1) & mask_; slots_[j] != 0; j = (j + 1) & mask_) {
    size_t home = Home(slots_[j]);
    // The entry at j may move to the hole unless its home lies cyclically in (hole, j].
    bool stays = (hole <= j) ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = 0;
  --size_;
  return found;
}

bool EntryTable::Replace(const Entry* current, Entry* replacement, uint64_t hash) {
  if (size_ == 0) return false;
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    uint64_t s = slots_[i];
    if (s == 0) return false;
    if (Ptr(s) == current) {
      slots_[i] = MakeSlot(replacement, hash);
      return true;
    }
  }
}

Entry* EntryTable::EntryAtOrAfter(size_t index, size_t* found_at) const {
  if (size_ == 0) return nullptr;
  for (size_t i = index & mask_;; i = (i + 1) & mask_) {
    if (slots_[i] != 0) {
      if (found_at) *found_at = i;
      return Ptr(slots_[i]);
    }
  }
}

Entry* EntryTable::RandomEntry(uint64_t r) const {
  if (size_ == 0) return nullptr;
  // Probe random slots first: walking forward from one slot would favour entries that
  // follow long empty stretches.
  for (int tries = 0; tries < 64; ++tries) {
    uint64_t s = slots_[r & mask_];
    if (s != 0) return Ptr(s);
    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
    r ^= r >> 29;
  }
  return EntryAtOrAfter(r, nullptr);
}

void EntryTable::Clear() {
  slots_.clear();
  slots_.shrink_to_fit();
  mask_ = 0;
  size_ = 0;
}

void EntryTable::MaybeShrink() {
  if (slots_.size() <= kMinCapacity || size_ * 10 >= slots_.size()) return;
  size_t cap = kMinCapacity;
  while (size_ * 4 >= cap * 3 / 2) cap *= 2;  // land at <= 50% load
  if (cap < slots_.size()) Resize(cap);
}

void EntryTable::Resize(size_t new_capacity) {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(new_capacity, 0);
  mask_ = new_capacity - 1;
  for (uint64_t s : old) {
    if (s != 0) InsertSlot(s, HashKey(Ptr(s)->key()));
  }
}

}  // namespace ember
