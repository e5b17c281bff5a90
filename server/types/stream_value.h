#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/db/varint.h"
#include "server/types/handle.h"

namespace ember {

// A stream entry id: milliseconds and a sequence number, ordered as a 128-bit number.
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  static constexpr StreamId Min() { return {0, 0}; }
  static constexpr StreamId Max() { return {UINT64_MAX, UINT64_MAX}; }
  auto operator<=>(const StreamId&) const = default;
  bool IsZero() const { return ms == 0 && seq == 0; }
  // The next / previous id; false (and unchanged) at the ends of the id space.
  bool Incr();
  bool Decr();
  std::string ToString() const;
};

// One entry's field/value pairs, as stored in a node: a view that stays valid until the stream
// changes.
class StreamFields {
 public:
  StreamFields(const char* p, uint64_t n) : p_(p), n_(n) {}
  uint64_t size() const { return n_; }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    const char* p = p_;
    for (uint64_t i = 0; i < n_; ++i) {
      std::string_view f = GetLengthPrefixed(p);
      std::string_view v = GetLengthPrefixed(p);
      fn(f, v);
    }
  }

 private:
  const char* p_;
  uint64_t n_;
};

// Consumer groups (Redis's streamCG). The group's PEL holds every entry delivered and not yet
// acknowledged, ordered by id; each consumer holds the ids of the PEL entries it owns.
struct StreamConsumer {
  std::string name;
  int64_t seen_time = 0;  // ms of the consumer's last read or claim
  std::set<StreamId> pel;
};

struct StreamPending {
  int64_t delivery_time = 0;  // ms of the last delivery
  uint64_t delivery_count = 0;
  StreamConsumer* consumer = nullptr;
};

inline constexpr int64_t kInvalidEntriesRead = -1;

struct StreamGroup {
  StreamId last_id;
  int64_t entries_read = kInvalidEntriesRead;  // logical reads counter, -1 when unknown
  std::map<StreamId, StreamPending> pel;
  std::map<std::string, std::unique_ptr<StreamConsumer>, std::less<>> consumers;

  StreamConsumer* FindConsumer(std::string_view name) const;
  // The consumer `name`, created with seen time `now` when new (`*created` tells).
  StreamConsumer* GetOrCreateConsumer(std::string_view name, int64_t now, bool* created);
  // Drops the consumer and its pending entries; returns how many it had pending.
  size_t DeleteConsumer(std::string_view name);
};

// A stream: entries in id order, kept in nodes of up to kNodeMaxEntries entries (or
// kNodeMaxBytes bytes) each, in an ordered map keyed by the node's first id, as Redis keeps
// listpacks in a radix tree. A node is one contiguous buffer of records
//   [flags][varint ms - node ms][varint seq][varint field count]([len][field][len][value])*
// so an entry costs a few bytes besides its data. XADD appends to the last node (amortised
// O(1)); a range seeks its first node in O(log n) and walks on. XDEL only flags a record as
// deleted (a node whose entries are all deleted goes); trimming drops whole nodes from the
// front and, when exact, flags entries within the first node left. No RESP here.
class Stream {
 public:
  static constexpr uint32_t kNodeMaxEntries = 100;  // Redis's stream-node-max-entries
  static constexpr size_t kNodeMaxBytes = 4096;     // Redis's stream-node-max-bytes

  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  uint64_t length() const { return length_; }
  size_t node_count() const { return nodes_.size(); }
  StreamId last_id() const { return last_id_; }
  StreamId first_id() const { return first_id_; }  // recorded-first-entry-id
  StreamId max_deleted_id() const { return max_deleted_id_; }
  uint64_t entries_added() const { return entries_added_; }
  void set_last_id(StreamId id) { last_id_ = id; }
  void set_max_deleted_id(StreamId id) { max_deleted_id_ = id; }
  void set_entries_added(uint64_t n) { entries_added_ = n; }

  // Appends an entry; the caller checked id > last_id(). `fields` alternates field, value.
  void Append(StreamId id, std::span<const std::string_view> fields);
  // Flags the entry as deleted; false when there is none.
  bool Delete(StreamId id);
  bool Contains(StreamId id) const;

  enum class TrimBy { kMaxLen, kMinId };
  // Redis's trimming: whole nodes from the front while they fit the threshold and `limit`
  // (entries, 0 = none); then, unless `approx`, entries of the first remaining node. Returns
  // how many entries went.
  uint64_t Trim(TrimBy by, uint64_t maxlen, StreamId minid, bool approx, uint64_t limit);

  // fn(id, fields) for the live entries with start <= id <= end, ascending (or descending when
  // `rev`), until fn returns false.
  template <typename Fn>
  void Range(StreamId start, StreamId end, bool rev, Fn&& fn) const;

  // Whether a deleted entry may lie in [start, end] (Redis's streamRangeHasTombstones).
  bool RangeHasTombstones(StreamId start, StreamId end) const;
  // The logical position of `id` counted from the first entry ever added, or
  // kInvalidEntriesRead when it cannot be known (streamEstimateDistanceFromFirstEverEntry).
  int64_t EstimateDistanceFromFirstEverEntry(StreamId id) const;
  // The group lag XINFO reports, nullopt when unknown.
  std::optional<int64_t> Lag(const StreamGroup& g) const;

  // Consumer groups, by name.
  using Groups = std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>>;
  const Groups& groups() const { return groups_; }
  StreamGroup* FindGroup(std::string_view name) const;
  // nullptr when a group of that name exists.
  StreamGroup* CreateGroup(std::string_view name, StreamId last_id, int64_t entries_read);
  bool DestroyGroup(std::string_view name);

  std::unique_ptr<Stream> Clone() const;
  // Heap bytes held (nodes, groups, PELs).
  size_t Bytes() const;
  // Estimated nodes of Redis's radix tree over the node keys (XINFO's radix-tree-nodes).
  uint64_t RadixTreeNodes() const;

 private:
  struct Node {
    StreamId first;  // the map key: the id of the first record ever written to the node
    uint32_t live = 0;
    uint32_t total = 0;  // live + flagged deleted
    StreamId last;       // id of the last record written
    std::string data;
  };
  static constexpr uint8_t kDeleted = 1;
  struct Record {
    StreamId id;
    bool deleted;
    const char* flags;  // points at the flags byte
    const char* fields;
    uint64_t nfields;
    const char* end;
  };
  static Record ReadRecord(const Node& n, const char* p);
  // Flags `rec` deleted in node `n` (non-const data), updating the counters.
  void FlagDeleted(Node& n, const Record& rec);
  void RefreshFirstId();
  void AddNodeBytes(const Node& n, int sign);

  std::map<StreamId, std::unique_ptr<Node>> nodes_;
  uint64_t length_ = 0;
  StreamId last_id_, first_id_, max_deleted_id_;
  uint64_t entries_added_ = 0;
  size_t node_bytes_ = 0;
  Groups groups_;
};

// The value of a stream key: an 8-byte handle inside the key's Entry pointing at a Stream.
// Unlike the other collections a stream may be empty and still exist.
class StreamValue : public EntryHandle {
 public:
  static uint64_t New();
  static void Destroy(uint64_t handle);
  static uint64_t Copy(uint64_t handle);
  static size_t Bytes(uint64_t handle);

  Stream* get() const { return reinterpret_cast<Stream*>(load()); }
  Stream* operator->() const { return get(); }
  size_t bytes() const { return Bytes(load()); }
};

template <typename Fn>
void Stream::Range(StreamId start, StreamId end, bool rev, Fn&& fn) const {
  if (start > end || nodes_.empty()) return;
  if (!rev) {
    auto it = nodes_.upper_bound(start);
    if (it != nodes_.begin()) --it;
    for (; it != nodes_.end() && it->first <= end; ++it) {
      const Node& n = *it->second;
      if (n.last < start) continue;
      const char* p = n.data.data();
      const char* stop = p + n.data.size();
      while (p < stop) {
        Record r = ReadRecord(n, p);
        p = r.end;
        if (r.deleted || r.id < start) continue;
        if (r.id > end) return;
        if (!fn(r.id, StreamFields(r.fields, r.nfields))) return;
      }
    }
    return;
  }
  auto it = nodes_.upper_bound(end);
  std::vector<Record> recs;
  while (it != nodes_.begin()) {
    --it;
    const Node& n = *it->second;
    if (n.last < start) return;
    recs.clear();
    const char* p = n.data.data();
    const char* stop = p + n.data.size();
    while (p < stop) {
      recs.push_back(ReadRecord(n, p));
      p = recs.back().end;
    }
    for (auto r = recs.rbegin(); r != recs.rend(); ++r) {
      if (r->deleted || r->id > end) continue;
      if (r->id < start) return;
      if (!fn(r->id, StreamFields(r->fields, r->nfields))) return;
    }
  }
}

}  // namespace ember
