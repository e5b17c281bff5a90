#include "server/types/stream_value.h"

#include <array>
#include <charconv>
#include <cstdlib>

namespace ember {

// ---------------------------------------------------------------------------------------------
// StreamId

bool StreamId::Incr() {
  if (seq != UINT64_MAX) {
    ++seq;
    return true;
  }
  if (ms == UINT64_MAX) return false;
  ++ms;
  seq = 0;
  return true;
}

bool StreamId::Decr() {
  if (seq != 0) {
    --seq;
    return true;
  }
  if (ms == 0) return false;
  --ms;
  seq = UINT64_MAX;
  return true;
}

std::string StreamId::ToString() const {
  char buf[48];
  char* p = std::to_chars(buf, buf + 24, ms).ptr;
  *p++ = '-';
  p = std::to_chars(p, buf + sizeof(buf), seq).ptr;
  return std::string(buf, p);
}

// ---------------------------------------------------------------------------------------------
// Groups

StreamConsumer* StreamGroup::FindConsumer(std::string_view name) const {
  auto it = consumers.find(name);
  return it == consumers.end() ? nullptr : it->second.get();
}

StreamConsumer* StreamGroup::GetOrCreateConsumer(std::string_view name, int64_t now,
                                                 bool* created) {
  *created = false;
  if (StreamConsumer* c = FindConsumer(name)) return c;
  auto c = std::make_unique<StreamConsumer>();
  c->name = std::string(name);
  c->seen_time = now;
  StreamConsumer* raw = c.get();
  consumers.emplace(c->name, std::move(c));
  *created = true;
  return raw;
}

size_t StreamGroup::DeleteConsumer(std::string_view name) {
  auto it = consumers.find(name);
  if (it == consumers.end()) return 0;
  size_t pending = it->second->pel.size();
  for (StreamId id : it->second->pel) pel.erase(id);
  consumers.erase(it);
  return pending;
}

StreamGroup* Stream::FindGroup(std::string_view name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second.get();
}

StreamGroup* Stream::CreateGroup(std::string_view name, StreamId last_id, int64_t entries_read) {
  if (groups_.find(name) != groups_.end()) return nullptr;
  auto g = std::make_unique<StreamGroup>();
  g->last_id = last_id;
  g->entries_read = entries_read;
  StreamGroup* raw = g.get();
  groups_.emplace(std::string(name), std::move(g));
  return raw;
}

bool Stream::DestroyGroup(std::string_view name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) return false;
  groups_.erase(it);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Entries

Stream::Record Stream::ReadRecord(const Node& n, const char* p) {
  Record r;
  r.flags = p;
  r.deleted = uint8_t(*p++) & kDeleted;
  uint64_t ms_delta, seq;
  p = GetVarint(p, &ms_delta);
  p = GetVarint(p, &seq);
  r.id = {n.first.ms + ms_delta, seq};
  p = GetVarint(p, &r.nfields);
  r.fields = p;
  for (uint64_t i = 0; i < 2 * r.nfields; ++i) GetLengthPrefixed(p);
  r.end = p;
  return r;
}

void Stream::AddNodeBytes(const Node& n, int sign) {
  size_t b = sizeof(Node) + n.data.capacity() + 48;  // 48: the map's tree node
  node_bytes_ = sign > 0 ? node_bytes_ + b : node_bytes_ - b;
}

void Stream::Append(StreamId id, std::span<const std::string_view> fields) {
  size_t bytes = 1 + 2 * 10 + VarintSize(fields.size() / 2);
  for (auto f : fields) bytes += VarintSize(f.size()) + f.size();
  Node* n = nodes_.empty() ? nullptr : nodes_.rbegin()->second.get();
  if (n != nullptr && (n->total >= kNodeMaxEntries || n->data.size() + bytes > kNodeMaxBytes)) {
    n = nullptr;
  }
  if (n == nullptr) {
    auto node = std::make_unique<Node>();
    node->first = id;
    n = node.get();
    nodes_.emplace(id, std::move(node));
  } else {
    AddNodeBytes(*n, -1);
  }
  char head[31];
  char* p = head;
  *p++ = 0;
  p = PutVarint(p, id.ms - n->first.ms);
  p = PutVarint(p, id.seq);
  p = PutVarint(p, fields.size() / 2);
  n->data.append(head, size_t(p - head));
  for (auto f : fields) {
    char len[10];
    n->data.append(len, PutVarint(len, f.size()));
    n->data.append(f);
  }
  n->last = id;
  ++n->live;
  ++n->total;
  AddNodeBytes(*n, +1);
  ++length_;
  ++entries_added_;
  last_id_ = id;
  if (length_ == 1) first_id_ = id;
}

void Stream::FlagDeleted(Node& n, const Record& rec) {
  n.data[size_t(rec.flags - n.data.data())] |= char(kDeleted);
  --n.live;
  --length_;
}

bool Stream::Delete(StreamId id) {
  auto it = nodes_.upper_bound(id);
  if (it == nodes_.begin()) return false;
  --it;
  Node& n = *it->second;
  if (n.last < id) return false;
  const char* p = n.data.data();
  const char* stop = p + n.data.size();
  while (p < stop) {
    Record r = ReadRecord(n, p);
    p = r.end;
    if (r.deleted || r.id < id) continue;
    if (r.id > id) return false;
    FlagDeleted(n, r);
    if (n.live == 0) {
      AddNodeBytes(n, -1);
      nodes_.erase(it);
    }
    if (id > max_deleted_id_) max_deleted_id_ = id;
    if (length_ == 0) {
      first_id_ = {};
    } else if (id == first_id_) {
      RefreshFirstId();
    }
    return true;
  }
  return false;
}

bool Stream::Contains(StreamId id) const {
  bool found = false;
  Range(id, id, false, [&](StreamId, StreamFields) {
    found = true;
    return false;
  });
  return found;
}

void Stream::RefreshFirstId() {
  first_id_ = {};
  Range(StreamId::Min(), StreamId::Max(), false, [&](StreamId id, StreamFields) {
    first_id_ = id;
    return false;
  });
}

uint64_t Stream::Trim(TrimBy by, uint64_t maxlen, StreamId minid, bool approx, uint64_t limit) {
  uint64_t deleted = 0;
  while (!nodes_.empty()) {
    if (by == TrimBy::kMaxLen && length_ <= maxlen) break;
    auto it = nodes_.begin();
    Node& n = *it->second;
    if (limit != 0 && deleted + n.live > limit) break;
    bool whole = by == TrimBy::kMaxLen ? length_ - n.live >= maxlen : n.last < minid;
    if (whole) {
      length_ -= n.live;
      deleted += n.live;
      AddNodeBytes(n, -1);
      nodes_.erase(it);
      continue;
    }
    if (approx) break;
    const char* p = n.data.data();
    const char* stop = p + n.data.size();
    while (p < stop) {
      Record r = ReadRecord(n, p);
      p = r.end;
      if (by == TrimBy::kMaxLen ? length_ <= maxlen : r.id >= minid) break;
      if (r.deleted) continue;
      FlagDeleted(n, r);
      ++deleted;
    }
    break;
  }
  if (deleted > 0) RefreshFirstId();
  return deleted;
}

// ---------------------------------------------------------------------------------------------
// Logical read counters (lag)

bool Stream::RangeHasTombstones(StreamId start, StreamId end) const {
  if (length_ == 0 || max_deleted_id_.IsZero()) return false;
  if (first_id_ > max_deleted_id_) return false;
  return start <= max_deleted_id_ && max_deleted_id_ <= end;
}

int64_t Stream::EstimateDistanceFromFirstEverEntry(StreamId id) const {
  if (entries_added_ == 0) return 0;
  if (length_ == 0 && id <= last_id_) return int64_t(entries_added_);
  if (id == last_id_) return int64_t(entries_added_);
  if (id > last_id_) return kInvalidEntriesRead;
  if (max_deleted_id_.IsZero() || max_deleted_id_ < first_id_) {
    if (id < first_id_) return int64_t(entries_added_ - length_);
    if (id == first_id_) return int64_t(entries_added_ - length_ + 1);
  }
  return kInvalidEntriesRead;
}

std::optional<int64_t> Stream::Lag(const StreamGroup& g) const {
  if (entries_added_ == 0) return 0;
  if (g.entries_read != kInvalidEntriesRead && !RangeHasTombstones(g.last_id, StreamId::Max())) {
    return int64_t(entries_added_) - g.entries_read;
  }
  int64_t read = EstimateDistanceFromFirstEverEntry(g.last_id);
  if (read == kInvalidEntriesRead) return std::nullopt;
  return int64_t(entries_added_) - read;
}

// ---------------------------------------------------------------------------------------------
// Copies and accounting

std::unique_ptr<Stream> Stream::Clone() const {
  auto s = std::make_unique<Stream>();
  for (const auto& [key, n] : nodes_) s->nodes_.emplace(key, std::make_unique<Node>(*n));
  s->length_ = length_;
  s->last_id_ = last_id_;
  s->first_id_ = first_id_;
  s->max_deleted_id_ = max_deleted_id_;
  s->entries_added_ = entries_added_;
  s->node_bytes_ = node_bytes_;
  for (const auto& [name, g] : groups_) {
    StreamGroup* copy = s->CreateGroup(name, g->last_id, g->entries_read);
    for (const auto& [cname, c] : g->consumers) {
      bool created;
      StreamConsumer* cc = copy->GetOrCreateConsumer(cname, c->seen_time, &created);
      cc->pel = c->pel;
    }
    for (const auto& [id, p] : g->pel) {
      copy->pel[id] = {p.delivery_time, p.delivery_count, copy->FindConsumer(p.consumer->name)};
    }
  }
  return s;
}

size_t Stream::Bytes() const {
  // Tree nodes of std::map / std::set cost about 48 bytes besides their value.
  size_t n = sizeof(*this) + node_bytes_;
  for (const auto& [name, g] : groups_) {
    n += sizeof(StreamGroup) + 48 + name.capacity();
    n += g->pel.size() * (48 + sizeof(StreamId) + sizeof(StreamPending));
    for (const auto& [cname, c] : g->consumers) {
      n += sizeof(StreamConsumer) + 64 + 2 * cname.capacity();
      n += c->pel.size() * (32 + sizeof(StreamId));
    }
  }
  return n;
}

namespace {
using Key = std::array<uint8_t, 16>;

Key BigEndian(StreamId id) {
  Key k;
  for (int i = 0; i < 8; ++i) {
    k[size_t(i)] = uint8_t(id.ms >> (56 - 8 * i));
    k[size_t(8 + i)] = uint8_t(id.seq >> (56 - 8 * i));
  }
  return k;
}

// Nodes of a compressed radix tree holding keys[lo, hi) (sorted, distinct, 16 bytes) below
// a node at `depth`: a chain without branches is one compressed node, a branch point one node
// whose children start one byte further, each key its own leaf.
uint64_t RaxNodes(const std::vector<Key>& keys, size_t lo, size_t hi, size_t depth) {
  if (depth == 16) return 1;
  size_t common = depth;
  while (common < 16 && keys[lo][common] == keys[hi - 1][common]) ++common;
  if (common > depth) return 1 + RaxNodes(keys, lo, hi, common);
  uint64_t n = 1;
  size_t i = lo;
  while (i < hi) {
    size_t j = i;
    while (j < hi && keys[j][depth] == keys[i][depth]) ++j;
    n += RaxNodes(keys, i, j, depth + 1);
    i = j;
  }
  return n;
}
}  // namespace

uint64_t Stream::RadixTreeNodes() const {
  if (nodes_.empty()) return 1;
  std::vector<Key> keys;
  keys.reserve(nodes_.size());
  for (const auto& [id, n] : nodes_) keys.push_back(BigEndian(id));
  return RaxNodes(keys, 0, keys.size(), 0);
}

// ---------------------------------------------------------------------------------------------
// StreamValue

uint64_t StreamValue::New() { return reinterpret_cast<uint64_t>(new Stream); }

void StreamValue::Destroy(uint64_t h) { delete reinterpret_cast<Stream*>(h); }

uint64_t StreamValue::Copy(uint64_t h) {
  return reinterpret_cast<uint64_t>(reinterpret_cast<Stream*>(h)->Clone().release());
}

size_t StreamValue::Bytes(uint64_t h) { return reinterpret_cast<Stream*>(h)->Bytes(); }

}  // namespace ember
