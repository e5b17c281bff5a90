#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/db/entry_table.h"
#include "server/types/handle.h"
#include "server/types/owned_table.h"

namespace ember {

// Thresholds past which a compact sorted set converts, as Redis's zset-max-listpack-entries /
// zset-max-listpack-value.
struct ZSetLimits {
  size_t max_listpack_entries = 128;
  size_t max_listpack_value = 64;
};

// Elements are ordered by score, then by member bytes (memcmp, a prefix first), as in Redis.
inline bool ZLess(double s1, std::string_view m1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && m1 < m2);
}

// The value of a sorted-set key: an 8-byte handle inside the key's Entry, in Redis 7.0's two
// encodings:
//  - kListpack: small sets as one exactly-sized block kept in order:
//    [u32 count][u32 bytes] then [8-byte double score][varint len][member] records.
//    A null handle is empty.
//  - kSkiplist (handle tagged with bit 0): member -> score in an EntryTable (O(1) ZSCORE) and a
//    skiplist whose links carry spans, so rank lookups and rank/score/lex seeks are O(log n).
//    A skiplist node points at the member's table entry instead of copying the member.
// Everything positional is expressed in ascending ranks (0-based); range commands first turn
// their bounds into ranks with CountWhile, then Visit or RemoveRanks. No RESP here.
class ZSetValue : public EntryHandle {
 public:
  enum class Encoding { kListpack, kSkiplist };

  static void Destroy(uint64_t handle);
  static uint64_t Copy(uint64_t handle);
  static size_t Bytes(uint64_t handle);
  // A new set from elements sorted by (score, member), members unique; the encoding follows the
  // limits the way Redis picks one for a computed result (ZUNIONSTORE, ZRANGESTORE ...).
  static uint64_t Build(const std::vector<std::pair<std::string, double>>& sorted,
                        const ZSetLimits& limits);

  Encoding encoding() const {
    return IsSkiplist(load()) ? Encoding::kSkiplist : Encoding::kListpack;
  }
  size_t size() const;
  size_t bytes() const { return Bytes(load()); }

  std::optional<double> Score(std::string_view member) const;
  // Adds a member that is not present.
  void Insert(std::string_view member, double score, const ZSetLimits& limits);
  // Moves a present member to a new score.
  void Update(std::string_view member, double old_score, double new_score);
  // True when the member was there.
  bool Remove(std::string_view member);
  // Ascending rank of a member.
  std::optional<size_t> Rank(std::string_view member) const;

  // How many elements, from the lowest, satisfy pred(score, member); pred must hold for a
  // prefix of the order (score < x, member <= y ...).
  template <typename Pred>
  size_t CountWhile(Pred&& pred) const;
  // fn(member, score) for `count` elements starting at ascending rank `start`, walking up, or
  // down when `reverse`. The set must not change during the walk.
  template <typename Fn>
  void Visit(size_t start, size_t count, bool reverse, Fn&& fn) const;
  std::pair<std::string_view, double> At(size_t rank) const;
  // Removes ranks [start, end).
  void RemoveRanks(size_t start, size_t end);
  // One ZSCAN step: a listpack entirely (returning 0), or one table bucket.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const;
  // A random element (`r` random); the set must not be empty.
  std::pair<std::string_view, double> Random(uint64_t r) const;
  // Redis 7.0's SORT converts a listpack zset it sorts; Ember follows for OBJECT ENCODING.
  void ConvertToSkiplist();

 private:
  struct Node;
  struct Skiplist;
  static bool IsSkiplist(uint64_t h) { return h & 1; }
  static Skiplist* AsSkiplist(uint64_t h) { return reinterpret_cast<Skiplist*>(h & ~uint64_t(1)); }
  static char* AsListpack(uint64_t h) { return reinterpret_cast<char*>(h); }

  // Listpack helpers: record offsets in order.
  static std::vector<uint32_t> LpOffsets(const char* lp);
  static std::pair<std::string_view, double> LpAt(const char* lp, uint32_t offset);

  // Skiplist side, defined in the .cc (templates call through these).
  static size_t SlCountWhile(const Skiplist* sl, void* ctx,
                             bool (*pred)(void*, double, std::string_view));
  static const Node* SlNodeAt(const Skiplist* sl, size_t rank);
  static const Node* SlNext(const Node* n, bool reverse);
  static std::pair<std::string_view, double> SlElement(const Node* n);
  static uint64_t SlScan(const Skiplist* sl, uint64_t cursor, void* ctx,
                         void (*fn)(void*, const Entry*));
  static double EntryScore(const Entry* e);
};

template <typename Pred>
size_t ZSetValue::CountWhile(Pred&& pred) const {
  uint64_t h = load();
  if (IsSkiplist(h)) {
    return SlCountWhile(AsSkiplist(h), &pred, [](void* p, double s, std::string_view m) {
      return (*static_cast<std::remove_reference_t<Pred>*>(p))(s, m);
    });
  }
  const char* lp = AsListpack(h);
  size_t n = 0;
  for (uint32_t off : LpOffsets(lp)) {
    auto [m, s] = LpAt(lp, off);
    if (!pred(s, m)) break;
    ++n;
  }
  return n;
}

template <typename Fn>
void ZSetValue::Visit(size_t start, size_t count, bool reverse, Fn&& fn) const {
  if (count == 0) return;
  uint64_t h = load();
  if (IsSkiplist(h)) {
    const Node* n = SlNodeAt(AsSkiplist(h), start);
    for (; n != nullptr && count > 0; --count, n = SlNext(n, reverse)) {
      auto [m, s] = SlElement(n);
      fn(m, s);
    }
    return;
  }
  const char* lp = AsListpack(h);
  std::vector<uint32_t> offs = LpOffsets(lp);
  for (size_t i = start; i < offs.size() && count > 0; --count) {
    auto [m, s] = LpAt(lp, offs[i]);
    fn(m, s);
    if (reverse && i == 0) break;
    i = reverse ? i - 1 : i + 1;
  }
}

template <typename Fn>
uint64_t ZSetValue::Scan(uint64_t cursor, Fn&& fn) const {
  uint64_t h = load();
  if (IsSkiplist(h)) {
    return SlScan(AsSkiplist(h), cursor, &fn, [](void* f, const Entry* e) {
      (*static_cast<std::remove_reference_t<Fn>*>(f))(e->key(), EntryScore(e));
    });
  }
  Visit(0, size(), false, fn);
  return 0;
}

}  // namespace ember
