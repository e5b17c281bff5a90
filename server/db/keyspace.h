#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "server/db/entry.h"
#include "server/db/entry_table.h"

namespace ember {

class Keyspace;

// Told about keys the keyspace removes on its own (expired, evicted), so that the removal can
// reach replicas and the AOF as a DEL, and about every change for WATCH and notifications.
class KeyspaceListener {
 public:
  virtual ~KeyspaceListener() = default;
  virtual void OnKeyExpired(int db, std::string_view key) = 0;
  virtual void OnKeyEvicted(int db, std::string_view key) = 0;
  // A key that did not exist was stored (Redis's "new" keyspace event).
  virtual void OnKeyAdded(int db, std::string_view key) = 0;
};

// A point-in-time snapshot in progress (server/persist/snapshot.h). The keyspace calls it
// before any entry the snapshot has not saved yet (its epoch is not Entry::current_epoch)
// changes or goes away, and before a whole db is emptied or swapped, so the snapshot can save
// what was there first.
class SnapshotHook {
 public:
  virtual ~SnapshotHook() = default;
  virtual void BeforeChange(int db, Entry* e) = 0;
  virtual void BeforeWholeDb(int db) = 0;
};

// One numbered database: the main table plus the table of keys that have a deadline.
// Lookups are expiry-aware: a key past its deadline is deleted (and reported) on access, as
// Redis's expireIfNeeded does. Not thread-safe: callers hold the keyspace lock.
class Db {
 public:
  Db(Keyspace* owner, int index) : owner_(owner), index_(index) {}
  ~Db() { Clear(); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  int index() const { return index_; }

  // The live entry for `key`, or nullptr when absent or expired. Updates the access clock.
  Entry* Find(std::string_view key);
  // As Find, without touching the access clock (TYPE, OBJECT, TTL ...).
  Entry* FindNoTouch(std::string_view key);
  // The stored entry even if logically expired; no side effects (WATCH bookkeeping).
  Entry* FindRaw(std::string_view key) const { return main_.Find(key, HashKey(key)); }

  // Stores `e` under its key, replacing and freeing any entry there. If the old entry had a
  // deadline and `keep_ttl`, `e` inherits it (e is rebuilt with an expire slot if needed).
  // Returns the entry now stored.
  Entry* Put(Entry* e, bool keep_ttl = false);
  // What a string write does to the key's deadline.
  enum class Ttl { kClear, kKeep, kSet };
  // Stores a string under `key` (SET, INCR, APPEND ...). An existing string entry is
  // overwritten in place when the value fits in its allocation, which makes the common cache
  // update allocation-free. `deadline` applies with Ttl::kSet. `current`, when given, is what
  // Find(key) just returned (nullptr: absent), which saves a second lookup. Returns the stored
  // entry.
  Entry* SetString(std::string_view key, std::string_view value, Entry::Repr repr, Ttl ttl,
                   int64_t deadline = 0, std::optional<Entry*> current = std::nullopt);
  Entry* SetInt(std::string_view key, int64_t value, Ttl ttl,
                std::optional<Entry*> current = std::nullopt);

  // Deletes `key`; true if it existed (expired keys count as absent).
  bool Delete(std::string_view key);
  // Removes the live entry for `key` and hands it to the caller (RENAME, MOVE).
  Entry* Detach(std::string_view key);

  // Sets or clears the deadline of the stored entry `e`. Returns the entry now stored (it is
  // rebuilt when it had no expire slot).
  Entry* SetExpire(Entry* e, int64_t at_ms);
  void Persist(Entry* e);

  size_t size() const { return main_.size(); }
  size_t expires_size() const { return expires_.size(); }
  int64_t avg_ttl_ms() const;

  // SCAN over home buckets; see EntryTable. Expired keys are skipped, not deleted.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    return main_.ScanBucket(cursor, std::forward<Fn>(fn));
  }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    main_.ForEach(std::forward<Fn>(fn));
  }
  // A random live key's entry, or nullptr.
  Entry* RandomEntry();

  // Deletes up to `budget` expired keys found from the expiry hand on; returns (checked,
  // expired).
  std::pair<size_t, size_t> ExpireCycleStep(size_t samples);
  // A sample of entries for eviction (from all keys or only keys with a deadline).
  void Sample(bool volatile_only, size_t n, std::vector<Entry*>* out);

  void Clear();
  void SwapWith(Db& other);

  // Hands every entry not yet saved by the running snapshot to it (see SnapshotHook).
  void SaveUnsaved(SnapshotHook* hook);

  bool IsExpired(const Entry* e) const;

 private:
  friend class Keyspace;
  void Unlink(Entry* e, uint64_t hash);  // out of both tables, accounting updated, not freed
  void Link(Entry* e, uint64_t hash);
  void ExpireNow(Entry* e, uint64_t hash);
  // Lets a running snapshot save `e` before it changes.
  inline void BeforeChange(Entry* e);
  // The in-place half of SetString/SetInt: `overwrite` rewrites the value, `create` builds a
  // new entry (with or without an expire slot) when it does not fit.
  template <typename Overwrite, typename Create>
  Entry* StoreString(std::string_view key, std::optional<Entry*> current, Ttl ttl, int64_t deadline,
                     Overwrite&& overwrite, Create&& create);

  Keyspace* owner_;
  int index_;
  EntryTable main_;
  EntryTable expires_;
  size_t expire_hand_ = 0;
};

// Eviction policies, in maxmemory-policy's order of names.
enum class EvictionPolicy {
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
  kAllkeysLru,
  kAllkeysLfu,
  kAllkeysRandom,
  kNoEviction
};

// The whole dataset: `databases` Dbs, the clock that decides expiry, the access clock for
// LRU/LFU, memory accounting and eviction. Access is serialised by one lock the server holds
// around every command (see server/server.h for the threading model).
class Keyspace {
 public:
  Keyspace(int databases, const Clock* clock);

  int num_dbs() const { return int(dbs_.size()); }
  Db& db(int i) { return *dbs_[size_t(i)]; }

  // The time commands see: set once per command (Redis's command time snapshot).
  void SetNow(int64_t now_ms) { now_ms_ = now_ms; }
  void RefreshNow() { now_ms_ = clock_->NowMs(); }
  int64_t now_ms() const { return now_ms_; }
  const Clock& clock() const { return *clock_; }

  // Replicas keep logically expired keys (the master's DEL removes them) but hide them.
  void set_expire_on_access(bool on) { expire_on_access_ = on; }
  bool expire_on_access() const { return expire_on_access_; }
  // While a log of effects is replayed (AOF loading) no key expires, not even logically: the
  // log was written while its keys were live, and its own DELs remove them.
  void set_expiry_paused(bool on) { expiry_paused_ = on; }

  void set_listener(KeyspaceListener* l) { listener_ = l; }
  // The running snapshot, or nullptr.
  void set_snapshot(SnapshotHook* s) { snapshot_ = s; }
  SnapshotHook* snapshot() const { return snapshot_; }

  void set_eviction(EvictionPolicy p, size_t samples) {
    policy_ = p;
    samples_ = samples;
  }
  EvictionPolicy policy() const { return policy_; }
  bool lfu() const {
    return policy_ == EvictionPolicy::kAllkeysLfu || policy_ == EvictionPolicy::kVolatileLfu;
  }
  // Evicts until `used()` <= `limit`; false when nothing more can go (the write gets -OOM).
  bool EvictUntil(int64_t limit, const std::function<int64_t()>& used);

  // Access clock maintenance (LRU seconds or LFU counter), called on every read or write.
  void Touch(Entry* e);
  uint64_t IdleMs(const Entry* e) const;
  int LfuCounter(const Entry* e) const;

  // A replica's full sync: every db takes `other`'s contents (same number of dbs) and `other`
  // this one's, at once. A running snapshot saves what it has not saved yet first.
  void SwapDataset(Keyspace& other);

  // Bytes held by entries and their collections.
  int64_t data_bytes() const { return data_bytes_; }
  // A collection grew or shrank in place by `delta` bytes.
  void AddDataBytes(int64_t delta) { data_bytes_ += delta; }

  // Runs the active expiry for up to `budget_us`; returns true if it stopped on the budget
  // (more expired keys are probably waiting).
  bool ActiveExpireCycle(int64_t budget_us);

  uint64_t expired_keys() const { return expired_keys_; }
  uint64_t evicted_keys() const { return evicted_keys_; }
  uint64_t keyspace_hits = 0, keyspace_misses = 0;
  void ResetStats() {
    expired_keys_ = evicted_keys_ = 0;
    keyspace_hits = keyspace_misses = 0;
  }

  uint64_t Random() { return rng_(); }

 private:
  friend class Db;
  std::vector<std::unique_ptr<Db>> dbs_;
  const Clock* clock_;
  int64_t now_ms_ = 0;
  bool expire_on_access_ = true;
  bool expiry_paused_ = false;
  KeyspaceListener* listener_ = nullptr;
  SnapshotHook* snapshot_ = nullptr;
  EvictionPolicy policy_ = EvictionPolicy::kNoEviction;
  size_t samples_ = 5;
  int64_t data_bytes_ = 0;
  uint64_t expired_keys_ = 0, evicted_keys_ = 0;
  int expire_db_cursor_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

inline void Db::BeforeChange(Entry* e) {
  if (owner_->snapshot_ != nullptr && e->snapshot_epoch() != Entry::current_epoch) {
    owner_->snapshot_->BeforeChange(index_, e);
  }
}

}  // namespace ember
