#include "server/db/keyspace.h"

#include <cmath>

namespace ember {

// ---------------------------------------------------------------------------------------------
// Db

bool Db::IsExpired(const Entry* e) const {
  return e->has_expire() && owner_->now_ms_ > e->expire_ms() && !owner_->expiry_paused_;
}

void Db::Link(Entry* e, uint64_t hash) {
  main_.Insert(e, hash);
  if (e->has_expire()) expires_.Insert(e, hash);
  owner_->data_bytes_ += int64_t(e->TotalBytes());
}

void Db::Unlink(Entry* e, uint64_t hash) {
  BeforeChange(e);
  main_.Erase(e->key(), hash);
  if (e->has_expire()) expires_.Erase(e->key(), hash);
  owner_->data_bytes_ -= int64_t(e->TotalBytes());
}

void Db::ExpireNow(Entry* e, uint64_t hash) {
  std::string key(e->key());
  Unlink(e, hash);
  Entry::Free(e);
  ++owner_->expired_keys_;
  if (owner_->listener_) owner_->listener_->OnKeyExpired(index_, key);
}

Entry* Db::FindNoTouch(std::string_view key) {
  uint64_t hash = HashKey(key);
  Entry* e = main_.Find(key, hash);
  if (e == nullptr) return nullptr;
  // Whoever looks an entry up may change it: a snapshot saves it first.
  BeforeChange(e);
  if (!IsExpired(e)) return e;
  if (owner_->expire_on_access_) ExpireNow(e, hash);
  return nullptr;
}

Entry* Db::Find(std::string_view key) {
  Entry* e = FindNoTouch(key);
  if (e != nullptr) owner_->Touch(e);
  return e;
}

Entry* Db::Put(Entry* e, bool keep_ttl) {
  uint64_t hash = HashKey(e->key());
  if (e->access_clock() == 0) owner_->Touch(e);
  Entry* old = main_.Find(e->key(), hash);
  if (owner_->listener_ && (old == nullptr || IsExpired(old))) {
    owner_->listener_->OnKeyAdded(index_, e->key());
  }
  if (old != nullptr) {
    if (keep_ttl && old->has_expire() && !IsExpired(old)) {
      if (!e->has_expire_slot()) e = Entry::Rekey(e, e->key(), true);
      e->SetExpireMs(old->expire_ms());
    }
    Unlink(old, hash);
    Entry::Free(old);
  }
  Link(e, hash);
  return e;
}

template <typename Overwrite, typename Create>
Entry* Db::StoreString(std::string_view key, std::optional<Entry*> current, Ttl ttl,
                       int64_t deadline, Overwrite&& overwrite, Create&& create) {
  Entry* old = current ? *current : main_.Find(key, HashKey(key));
  if (old != nullptr) BeforeChange(old);
  bool live_ttl = old != nullptr && old->has_expire() && !IsExpired(old);
  bool keep = ttl == Ttl::kKeep && live_ttl;
  bool want_slot = ttl == Ttl::kSet || keep;
  if (old != nullptr && old->type() == ObjType::kString && (!want_slot || old->has_expire_slot()) &&
      overwrite(old)) {
    if (ttl == Ttl::kSet) {
      if (!old->has_expire()) expires_.Insert(old, HashKey(key));
      old->SetExpireMs(deadline);
    } else if (!keep && old->has_expire()) {
      expires_.Erase(key, HashKey(key));
      old->ClearExpire();
    }
    owner_->Touch(old);
    return old;
  }
  Entry* e = create(want_slot);
  if (ttl == Ttl::kSet) e->SetExpireMs(deadline);
  return Put(e, keep);
}

Entry* Db::SetString(std::string_view key, std::string_view value, Entry::Repr repr, Ttl ttl,
                     int64_t deadline, std::optional<Entry*> current) {
  return StoreString(
      key, current, ttl, deadline, [&](Entry* e) { return e->TryOverwrite(value, repr); },
      [&](bool slot) { return Entry::NewString(key, value, slot, repr); });
}

Entry* Db::SetInt(std::string_view key, int64_t value, Ttl ttl, std::optional<Entry*> current) {
  return StoreString(
      key, current, ttl, 0, [&](Entry* e) { return e->TryOverwriteInt(value); },
      [&](bool slot) { return Entry::NewInt(key, value, slot); });
}

bool Db::Delete(std::string_view key) {
  Entry* e = Detach(key);
  if (e == nullptr) return false;
  Entry::Free(e);
  return true;
}

Entry* Db::Detach(std::string_view key) {
  uint64_t hash = HashKey(key);
  Entry* e = main_.Find(key, hash);
  if (e == nullptr) return nullptr;
  if (IsExpired(e)) {
    if (owner_->expire_on_access_) ExpireNow(e, hash);
    return nullptr;
  }
  Unlink(e, hash);
  return e;
}

Entry* Db::SetExpire(Entry* e, int64_t at_ms) {
  uint64_t hash = HashKey(e->key());
  if (!e->has_expire_slot()) {
    Unlink(e, hash);
    e = Entry::Rekey(e, e->key(), true);
    e->SetExpireMs(at_ms);
    Link(e, hash);
    return e;
  }
  if (!e->has_expire()) expires_.Insert(e, hash);
  e->SetExpireMs(at_ms);
  return e;
}

void Db::Persist(Entry* e) {
  if (!e->has_expire()) return;
  expires_.Erase(e->key(), HashKey(e->key()));
  e->ClearExpire();
}

int64_t Db::avg_ttl_ms() const {
  // Redis estimates avg_ttl from samples; an exact mean over a bounded sample is as good.
  int64_t sum = 0, n = 0;
  size_t at = 0;
  for (int i = 0; i < 32 && expires_.size() > 0; ++i) {
    Entry* e = expires_.EntryAtOrAfter(at, &at);
    if (e == nullptr) break;
    int64_t ttl = e->expire_ms() - owner_->now_ms_;
    if (ttl > 0) {
      sum += ttl;
      ++n;
    }
    at += expires_.capacity() / 32 + 1;
  }
  return n ? sum / n : 0;
}

Entry* Db::RandomEntry() {
  // Keys with a deadline that passed are reclaimed as we meet them, as Redis's RANDOMKEY does;
  // bounded so that a db full of expired keys on a replica still answers.
  for (int tries = 0; tries < 100 && main_.size() > 0; ++tries) {
    Entry* e = main_.RandomEntry(owner_->Random());
    if (!IsExpired(e)) return e;
    if (owner_->expire_on_access_) {
      ExpireNow(e, HashKey(e->key()));
    } else if (tries == 99) {
      return e;  // all sampled keys are logically expired on a replica: Redis returns one
    }
  }
  return nullptr;
}

std::pair<size_t, size_t> Db::ExpireCycleStep(size_t samples) {
  // Background share of incremental resizes, so an idle server finishes them too.
  constexpr size_t kRehashSlots = 16384;
  main_.RehashStep(kRehashSlots);
  expires_.RehashStep(kRehashSlots);
  size_t checked = 0, expired = 0;
  // Keys don't expire by time on a replica (nor while an AOF loads): the master's DELs remove
  // them; reads hide them meanwhile.
  while (owner_->expire_on_access_ && checked < samples && expires_.size() > 0) {
    size_t at;
    Entry* e = expires_.EntryAtOrAfter(expire_hand_, &at);
    ++checked;
    if (IsExpired(e)) {
      ExpireNow(e, HashKey(e->key()));
      ++expired;
      expire_hand_ = at;  // the backward shift may have pulled the next entry into this slot
    } else {
      expire_hand_ = at + 1;
    }
  }
  main_.MaybeShrink();
  expires_.MaybeShrink();
  return {checked, expired};
}

void Db::Sample(bool volatile_only, size_t n, std::vector<Entry*>* out) {
  const EntryTable& t = volatile_only ? expires_ : main_;
  for (size_t i = 0; i < n && t.size() > 0; ++i) out->push_back(t.RandomEntry(owner_->Random()));
}

void Db::SaveUnsaved(SnapshotHook* hook) {
  main_.ForEach([&](Entry* e) {
    if (e->snapshot_epoch() != Entry::current_epoch) hook->BeforeChange(index_, e);
  });
}

void Db::Clear() {
  if (owner_->snapshot_ != nullptr) owner_->snapshot_->BeforeWholeDb(index_);
  main_.ForEach([&](Entry* e) {
    owner_->data_bytes_ -= int64_t(e->TotalBytes());
    Entry::Free(e);
  });
  main_.Clear();
  expires_.Clear();
  expire_hand_ = 0;
}

void Keyspace::SwapDataset(Keyspace& other) {
  for (int i = 0; i < num_dbs(); ++i) {
    Db& mine = db(i);
    Db& theirs = other.db(i);
    if (snapshot_ != nullptr) snapshot_->BeforeWholeDb(i);
    std::swap(mine.main_, theirs.main_);
    std::swap(mine.expires_, theirs.expires_);
    mine.expire_hand_ = theirs.expire_hand_ = 0;
  }
  std::swap(data_bytes_, other.data_bytes_);
}

void Db::SwapWith(Db& other) {
  if (owner_->snapshot_ != nullptr) {
    owner_->snapshot_->BeforeWholeDb(index_);
    owner_->snapshot_->BeforeWholeDb(other.index_);
  }
  std::swap(main_, other.main_);
  std::swap(expires_, other.expires_);
  std::swap(expire_hand_, other.expire_hand_);
}

// ---------------------------------------------------------------------------------------------
// Keyspace

namespace {
constexpr int kLfuInitVal = 5;
constexpr double kLfuLogFactor = 10;
constexpr int64_t kLfuDecayMinutes = 1;
}  // namespace

Keyspace::Keyspace(int databases, const Clock* clock) : clock_(clock) {
  for (int i = 0; i < databases; ++i) dbs_.push_back(std::make_unique<Db>(this, i));
  now_ms_ = clock_->NowMs();
}

void Keyspace::Touch(Entry* e) {
  if (!lfu()) {
    e->set_access_clock(uint32_t(now_ms_ / 1000));
    return;
  }
  uint32_t minutes = uint32_t(now_ms_ / 60000) & 0xFFFF;
  int counter = e->access_clock() == 0 ? kLfuInitVal : LfuCounter(e);
  if (counter < 255) {
    double r = double(rng_() >> 11) / double(1ULL << 53);
    double base = std::max(0, counter - kLfuInitVal);
    if (r < 1.0 / (base * kLfuLogFactor + 1)) ++counter;
  }
  e->set_access_clock((minutes << 8) | uint32_t(counter));
}

int Keyspace::LfuCounter(const Entry* e) const {
  uint32_t v = e->access_clock();
  int64_t then = v >> 8, now = (now_ms_ / 60000) & 0xFFFF;
  int64_t elapsed = now >= then ? now - then : 65536 - then + now;
  int64_t counter = int64_t(v & 0xFF) - elapsed / kLfuDecayMinutes;
  return int(std::max<int64_t>(0, counter));
}

uint64_t Keyspace::IdleMs(const Entry* e) const {
  int64_t now_s = (now_ms_ / 1000) & 0xFFFFFFFF;
  int64_t then = e->access_clock();
  return uint64_t(std::max<int64_t>(0, now_s - then)) * 1000;
}

bool Keyspace::ActiveExpireCycle(int64_t budget_us) {
  int64_t start = clock_->MonotonicUs();
  constexpr size_t kSamples = 20;
  int idle_dbs = 0;
  while (idle_dbs < num_dbs()) {
    Db& d = *dbs_[size_t(expire_db_cursor_)];
    auto [checked, expired] = d.ExpireCycleStep(kSamples);
    // Stay on a db while more than 10% of its sample was expired, as Redis does.
    if (checked == 0 || expired * 10 <= checked) {
      ++idle_dbs;
      expire_db_cursor_ = (expire_db_cursor_ + 1) % num_dbs();
    } else {
      idle_dbs = 0;
    }
    if (clock_->MonotonicUs() - start > budget_us) return true;
  }
  return false;
}

bool Keyspace::EvictUntil(int64_t limit, const std::function<int64_t()>& used) {
  if (policy_ == EvictionPolicy::kNoEviction) return used() <= limit;
  bool volatile_only = policy_ <= EvictionPolicy::kVolatileTtl;
  std::vector<Entry*> sample;
  while (used() > limit) {
    Entry* best = nullptr;
    Db* best_db = nullptr;
    double best_score = -1;
    for (auto& d : dbs_) {
      sample.clear();
      size_t n =
          (policy_ == EvictionPolicy::kAllkeysRandom || policy_ == EvictionPolicy::kVolatileRandom)
              ? 1
              : samples_;
      d->Sample(volatile_only, n, &sample);
      for (Entry* e : sample) {
        double score;  // higher = better to evict
        switch (policy_) {
          case EvictionPolicy::kAllkeysLru:
          case EvictionPolicy::kVolatileLru:
            score = double(IdleMs(e));
            break;
          case EvictionPolicy::kAllkeysLfu:
          case EvictionPolicy::kVolatileLfu:
            score = 255 - LfuCounter(e);
            break;
          case EvictionPolicy::kVolatileTtl:
            score = -double(e->expire_ms());
            break;
          default:
            score = double(rng_() >> 11);
            break;
        }
        if (best == nullptr || score > best_score) {
          best = e;
          best_db = d.get();
          best_score = score;
        }
      }
    }
    if (best == nullptr) return false;
    std::string key(best->key());
    best_db->Delete(key);
    ++evicted_keys_;
    if (listener_) listener_->OnKeyEvicted(best_db->index(), key);
  }
  return true;
}

}  // namespace ember
