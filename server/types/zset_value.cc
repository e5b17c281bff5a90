#include "server/types/zset_value.h"

#include <malloc.h>

#include <cstdlib>

#include "server/db/varint.h"

namespace ember {

namespace {

constexpr int kMaxLevel = 32;

uint32_t Read32(const char* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
void Write32(char* p, uint32_t v) { memcpy(p, &v, 4); }

void* Alloc(size_t n) {
  void* p = malloc(n);
  if (p == nullptr) abort();
  return p;
}

// Levels with p = 1/4, as Redis: a fresh xorshift stream per thread.
int RandomLevel() {
  thread_local uint64_t state = 0x9E3779B97F4A7C15ULL ^ reinterpret_cast<uint64_t>(&state);
  int level = 1;
  while (level < kMaxLevel) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    if ((state & 3) != 0) break;
    ++level;
  }
  return level;
}

Entry* NewMember(std::string_view member, double score) {
  return Entry::NewString(member, std::string_view(reinterpret_cast<const char*>(&score), 8), false,
                          Entry::Repr::kRaw);
}

}  // namespace

struct ZSetValue::Node {
  double score;
  Entry* member;  // owned by the skiplist's table
  Node* backward;
  uint32_t level;
  struct Link {
    Node* forward;
    uint64_t span;  // how many ranks the link jumps
  } links[];

  std::string_view key() const { return member->key(); }
  static size_t SizeFor(int level) { return sizeof(Node) + size_t(level) * sizeof(Link); }
};

struct ZSetValue::Skiplist {
  OwnedTable dict;  // member -> 8 raw bytes of score
  Node* header;
  Node* tail = nullptr;
  size_t length = 0;
  int level = 1;
  size_t node_bytes = 0;

  Skiplist() {
    header = static_cast<Node*>(Alloc(Node::SizeFor(kMaxLevel)));
    header->member = nullptr;
    header->backward = nullptr;
    header->level = kMaxLevel;
    for (int i = 0; i < kMaxLevel; ++i) header->links[i] = {nullptr, 0};
  }
  ~Skiplist() {
    for (Node* n = header; n != nullptr;) {
      Node* next = n->links[0].forward;
      free(n);
      n = next;
    }
  }

  void Insert(Entry* e, double score) {
    std::string_view member = e->key();
    Node* update[kMaxLevel];
    uint64_t rank[kMaxLevel];
    Node* x = header;
    for (int i = level - 1; i >= 0; --i) {
      rank[i] = i == level - 1 ? 0 : rank[i + 1];
      for (Node* f; (f = x->links[i].forward) && ZLess(f->score, f->key(), score, member);) {
        rank[i] += x->links[i].span;
        x = f;
      }
      update[i] = x;
    }
    int lvl = RandomLevel();
    if (lvl > level) {
      for (int i = level; i < lvl; ++i) {
        rank[i] = 0;
        update[i] = header;
        header->links[i].span = length;
      }
      level = lvl;
    }
    size_t bytes = Node::SizeFor(lvl);
    x = static_cast<Node*>(Alloc(bytes));
    node_bytes += bytes;
    x->score = score;
    x->member = e;
    x->level = uint32_t(lvl);
    for (int i = 0; i < lvl; ++i) {
      x->links[i].forward = update[i]->links[i].forward;
      update[i]->links[i].forward = x;
      x->links[i].span = update[i]->links[i].span - (rank[0] - rank[i]);
      update[i]->links[i].span = rank[0] - rank[i] + 1;
    }
    for (int i = lvl; i < level; ++i) update[i]->links[i].span++;
    x->backward = update[0] == header ? nullptr : update[0];
    if (x->links[0].forward) {
      x->links[0].forward->backward = x;
    } else {
      tail = x;
    }
    ++length;
  }

  // Unlinks and frees the node for (score, member); the table entry stays. False if absent.
  bool Unlink(double score, std::string_view member) {
    Node* update[kMaxLevel];
    Node* x = header;
    for (int i = level - 1; i >= 0; --i) {
      for (Node* f; (f = x->links[i].forward) && ZLess(f->score, f->key(), score, member);) x = f;
      update[i] = x;
    }
    x = x->links[0].forward;
    if (x == nullptr || x->score != score || x->key() != member) return false;
    for (int i = 0; i < level; ++i) {
      if (update[i]->links[i].forward == x) {
        update[i]->links[i].span += x->links[i].span - 1;
        update[i]->links[i].forward = x->links[i].forward;
      } else {
        update[i]->links[i].span -= 1;
      }
    }
    if (x->links[0].forward) {
      x->links[0].forward->backward = x->backward;
    } else {
      tail = x->backward;
    }
    while (level > 1 && header->links[level - 1].forward == nullptr) --level;
    --length;
    node_bytes -= Node::SizeFor(int(x->level));
    free(x);
    return true;
  }

  void Add(std::string_view member, double score) {
    Entry* e = NewMember(member, score);
    dict.Add(e, HashKey(member));
    Insert(e, score);
  }
};

double ZSetValue::EntryScore(const Entry* e) {
  double s;
  memcpy(&s, e->raw_value().data(), 8);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Listpack

std::vector<uint32_t> ZSetValue::LpOffsets(const char* lp) {
  std::vector<uint32_t> offs;
  if (lp == nullptr) return offs;
  uint32_t n = Read32(lp);
  offs.reserve(n);
  const char* p = lp + 8;
  for (uint32_t i = 0; i < n; ++i) {
    offs.push_back(uint32_t(p - lp));
    p += 8;
    GetLengthPrefixed(p);
  }
  return offs;
}

std::pair<std::string_view, double> ZSetValue::LpAt(const char* lp, uint32_t offset) {
  const char* p = lp + offset;
  double s;
  memcpy(&s, p, 8);
  p += 8;
  return {GetLengthPrefixed(p), s};
}

namespace {

size_t RecordSize(std::string_view member) { return 8 + VarintSize(member.size()) + member.size(); }

// Inserts a record at byte `at` of a listpack (possibly null), returning the new block.
char* LpInsertAt(char* lp, size_t at, std::string_view member, double score) {
  if (score == 0) score = 0;  // Redis's listpack keeps scores as text, where -0 reads back as 0
  uint32_t count = lp ? Read32(lp) : 0, bytes = lp ? Read32(lp + 4) : 0;
  if (lp == nullptr) at = 8;
  size_t rec = RecordSize(member);
  lp = static_cast<char*>(realloc(lp, 8 + bytes + rec));
  if (lp == nullptr) abort();
  memmove(lp + at + rec, lp + at, 8 + bytes - at);
  char* p = lp + at;
  memcpy(p, &score, 8);
  p = PutVarint(p + 8, member.size());
  memcpy(p, member.data(), member.size());
  Write32(lp, count + 1);
  Write32(lp + 4, uint32_t(bytes + rec));
  return lp;
}

// Removes the bytes [from, to) holding `n` records; frees the block when nothing is left.
char* LpErase(char* lp, size_t from, size_t to, uint32_t n) {
  uint32_t count = Read32(lp), bytes = Read32(lp + 4);
  if (count == n) {
    free(lp);
    return nullptr;
  }
  memmove(lp + from, lp + to, 8 + bytes - to);
  lp = static_cast<char*>(realloc(lp, 8 + bytes - (to - from)));
  if (lp == nullptr) abort();
  Write32(lp, count - n);
  Write32(lp + 4, uint32_t(bytes - (to - from)));
  return lp;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Handle management

void ZSetValue::Destroy(uint64_t h) {
  if (IsSkiplist(h)) return delete AsSkiplist(h);
  free(AsListpack(h));
}

uint64_t ZSetValue::Copy(uint64_t h) {
  if (IsSkiplist(h)) {
    const Skiplist* from = AsSkiplist(h);
    auto* to = new Skiplist;
    for (const Node* n = from->header->links[0].forward; n; n = n->links[0].forward) {
      to->Add(n->key(), n->score);
    }
    return reinterpret_cast<uint64_t>(to) | 1;
  }
  const char* lp = AsListpack(h);
  if (lp == nullptr) return 0;
  size_t n = 8 + Read32(lp + 4);
  char* copy = static_cast<char*>(Alloc(n));
  memcpy(copy, lp, n);
  return reinterpret_cast<uint64_t>(copy);
}

size_t ZSetValue::Bytes(uint64_t h) {
  if (IsSkiplist(h)) {
    const Skiplist* sl = AsSkiplist(h);
    return sizeof(Skiplist) + Node::SizeFor(kMaxLevel) + sl->node_bytes + sl->dict.Bytes();
  }
  return h == 0 ? 0 : malloc_usable_size(AsListpack(h));
}

uint64_t ZSetValue::Build(const std::vector<std::pair<std::string, double>>& sorted,
                          const ZSetLimits& limits) {
  bool compact = sorted.size() <= limits.max_listpack_entries;
  size_t bytes = 0;
  for (const auto& [m, s] : sorted) {
    compact = compact && m.size() <= limits.max_listpack_value;
    bytes += RecordSize(m);
  }
  if (sorted.empty()) return 0;
  if (!compact) {
    auto* sl = new Skiplist;
    for (const auto& [m, s] : sorted) sl->Add(m, s);
    return reinterpret_cast<uint64_t>(sl) | 1;
  }
  char* lp = static_cast<char*>(Alloc(8 + bytes));
  Write32(lp, uint32_t(sorted.size()));
  Write32(lp + 4, uint32_t(bytes));
  char* p = lp + 8;
  for (const auto& [m, s] : sorted) {
    double score = s == 0 ? 0 : s;  // as LpInsertAt
    memcpy(p, &score, 8);
    p = PutVarint(p + 8, m.size());
    memcpy(p, m.data(), m.size());
    p += m.size();
  }
  return reinterpret_cast<uint64_t>(lp);
}

// ---------------------------------------------------------------------------------------------
// Operations

size_t ZSetValue::size() const {
  uint64_t h = load();
  if (IsSkiplist(h)) return AsSkiplist(h)->length;
  return h == 0 ? 0 : Read32(AsListpack(h));
}

std::optional<double> ZSetValue::Score(std::string_view member) const {
  uint64_t h = load();
  if (IsSkiplist(h)) {
    Entry* e = AsSkiplist(h)->dict.entries.Find(member, HashKey(member));
    if (e == nullptr) return std::nullopt;
    return EntryScore(e);
  }
  const char* lp = AsListpack(h);
  for (uint32_t off : LpOffsets(lp)) {
    auto [m, s] = LpAt(lp, off);
    if (m == member) return s;
  }
  return std::nullopt;
}

void ZSetValue::Insert(std::string_view member, double score, const ZSetLimits& limits) {
  if (!IsSkiplist(load()) &&
      (size() + 1 > limits.max_listpack_entries || member.size() > limits.max_listpack_value)) {
    ConvertToSkiplist();
  }
  uint64_t h = load();
  if (IsSkiplist(h)) return AsSkiplist(h)->Add(member, score);
  char* lp = AsListpack(h);
  size_t at = lp ? 8 + Read32(lp + 4) : 8;
  for (uint32_t off : LpOffsets(lp)) {
    auto [m, s] = LpAt(lp, off);
    if (ZLess(score, member, s, m)) {
      at = off;
      break;
    }
  }
  store(reinterpret_cast<uint64_t>(LpInsertAt(lp, at, member, score)));
}

void ZSetValue::Update(std::string_view member, double old_score, double new_score) {
  uint64_t h = load();
  if (IsSkiplist(h)) {
    Skiplist* sl = AsSkiplist(h);
    Entry* e = sl->dict.entries.Find(member, HashKey(member));
    sl->Unlink(old_score, member);
    e->TryOverwrite(std::string_view(reinterpret_cast<const char*>(&new_score), 8),
                    Entry::Repr::kRaw);
    sl->Insert(e, new_score);
    return;
  }
  std::string copy(member);
  Remove(copy);
  Insert(copy, new_score, ZSetLimits{SIZE_MAX, SIZE_MAX});
}

bool ZSetValue::Remove(std::string_view member) {
  uint64_t h = load();
  if (IsSkiplist(h)) {
    Skiplist* sl = AsSkiplist(h);
    uint64_t hash = HashKey(member);
    Entry* e = sl->dict.entries.Find(member, hash);
    if (e == nullptr) return false;
    sl->Unlink(EntryScore(e), member);
    sl->dict.Remove(member, hash);
    return true;
  }
  char* lp = AsListpack(h);
  std::vector<uint32_t> offs = LpOffsets(lp);
  for (size_t i = 0; i < offs.size(); ++i) {
    if (LpAt(lp, offs[i]).first != member) continue;
    size_t end = i + 1 < offs.size() ? offs[i + 1] : 8 + Read32(lp + 4);
    store(reinterpret_cast<uint64_t>(LpErase(lp, offs[i], end, 1)));
    return true;
  }
  return false;
}

std::optional<size_t> ZSetValue::Rank(std::string_view member) const {
  std::optional<double> score = Score(member);
  if (!score) return std::nullopt;
  return CountWhile([&](double s, std::string_view m) { return ZLess(s, m, *score, member); });
}

std::pair<std::string_view, double> ZSetValue::At(size_t rank) const {
  std::pair<std::string_view, double> out;
  Visit(rank, 1, false, [&](std::string_view m, double s) { out = {m, s}; });
  return out;
}

void ZSetValue::RemoveRanks(size_t start, size_t end) {
  if (start >= end) return;
  uint64_t h = load();
  if (IsSkiplist(h)) {
    std::vector<std::string> members;
    members.reserve(end - start);
    Visit(start, end - start, false, [&](std::string_view m, double) { members.emplace_back(m); });
    for (const auto& m : members) Remove(m);
    return;
  }
  char* lp = AsListpack(h);
  std::vector<uint32_t> offs = LpOffsets(lp);
  size_t to = end < offs.size() ? offs[end] : 8 + Read32(lp + 4);
  store(reinterpret_cast<uint64_t>(LpErase(lp, offs[start], to, uint32_t(end - start))));
}

std::pair<std::string_view, double> ZSetValue::Random(uint64_t r) const {
  uint64_t h = load();
  if (IsSkiplist(h)) {
    Entry* e = AsSkiplist(h)->dict.entries.RandomEntry(r);
    return {e->key(), EntryScore(e)};
  }
  return At(r % size());
}

void ZSetValue::ConvertToSkiplist() {
  uint64_t h = load();
  if (IsSkiplist(h)) return;
  auto* sl = new Skiplist;
  Visit(0, size(), false, [&](std::string_view m, double s) { sl->Add(m, s); });
  free(AsListpack(h));
  store(reinterpret_cast<uint64_t>(sl) | 1);
}

// ---------------------------------------------------------------------------------------------
// Skiplist walks behind the templates

size_t ZSetValue::SlCountWhile(const Skiplist* sl, void* ctx,
                               bool (*pred)(void*, double, std::string_view)) {
  size_t rank = 0;
  const Node* x = sl->header;
  for (int i = sl->level - 1; i >= 0; --i) {
    for (const Node* f; (f = x->links[i].forward) && pred(ctx, f->score, f->key());) {
      rank += x->links[i].span;
      x = f;
    }
  }
  return rank;
}

const ZSetValue::Node* ZSetValue::SlNodeAt(const Skiplist* sl, size_t rank) {
  uint64_t target = rank + 1, traversed = 0;
  const Node* x = sl->header;
  for (int i = sl->level - 1; i >= 0; --i) {
    while (x->links[i].forward && traversed + x->links[i].span <= target) {
      traversed += x->links[i].span;
      x = x->links[i].forward;
    }
    if (traversed == target) return x;
  }
  return nullptr;
}

const ZSetValue::Node* ZSetValue::SlNext(const Node* n, bool reverse) {
  return reverse ? n->backward : n->links[0].forward;
}

std::pair<std::string_view, double> ZSetValue::SlElement(const Node* n) {
  return {n->key(), n->score};
}

uint64_t ZSetValue::SlScan(const Skiplist* sl, uint64_t cursor, void* ctx,
                           void (*fn)(void*, const Entry*)) {
  return sl->dict.entries.ScanBucket(cursor, [&](Entry* e) { fn(ctx, e); });
}

}  // namespace ember
