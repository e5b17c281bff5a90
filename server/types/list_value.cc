#include "server/types/list_value.h"

#include "server/db/varint.h"

namespace ember {

namespace {

// Bytes of a whole record for a value of n bytes.
size_t RecordSize(size_t n) {
  size_t body = VarintSize(n) + n;
  return body + VarintSize(body);
}

void AppendRecord(std::string* out, std::string_view v) {
  char len[10];
  out->append(len, PutVarint(len, v.size()));
  out->append(v);
  // backlen: the body length as a varint stored in reverse, so it reads from the end.
  char back[10];
  char* end = PutVarint(back, VarintSize(v.size()) + v.size());
  while (end != back) out->push_back(*--end);
}

std::string Record(std::string_view v) {
  std::string r;
  r.reserve(RecordSize(v.size()));
  AppendRecord(&r, v);
  return r;
}

// The start of the record that ends at `end`.
const char* RecordBefore(const char* end) {
  const char* p = end - 1;
  size_t body = size_t(static_cast<unsigned char>(*p) & 0x7F);
  int shift = 7;
  while (static_cast<unsigned char>(*p) & 0x80) {
    --p;
    body |= size_t(static_cast<unsigned char>(*p) & 0x7F) << shift;
    shift += 7;
  }
  return p - body;
}

}  // namespace

std::string_view ListNext(const char*& p) {
  const char* start = p;
  std::string_view s = GetLengthPrefixed(p);
  p += VarintSize(size_t(p - start));  // skip the backlen
  return s;
}

void ListValue::Destroy(uint64_t handle) { delete reinterpret_cast<Rep*>(handle); }

uint64_t ListValue::Copy(uint64_t handle) {
  Rep* r = reinterpret_cast<Rep*>(handle);
  return r ? reinterpret_cast<uint64_t>(new Rep(*r)) : 0;
}

size_t ListValue::Bytes(uint64_t handle) {
  Rep* r = reinterpret_cast<Rep*>(handle);
  return r ? sizeof(Rep) + r->bytes + r->chunks.size() * sizeof(Chunk) : 0;
}

void ListValue::Account(Rep* r, const Chunk& c, int sign) {
  r->bytes += sign * int64_t(c.data.capacity());
}

ListValue::Rep* ListValue::MutableRep() {
  if (rep() == nullptr) store(reinterpret_cast<uint64_t>(new Rep));
  return rep();
}

void ListValue::PushBack(std::string_view v) {
  Rep* r = MutableRep();
  size_t rec = RecordSize(v.size());
  if (r->chunks.empty() ||
      r->chunks.back().data.size() - r->chunks.back().head + rec > kChunkBytes) {
    r->chunks.emplace_back();
  }
  Chunk& c = r->chunks.back();
  Account(r, c, -1);
  AppendRecord(&c.data, v);
  Account(r, c, +1);
  ++c.count;
  ++r->size;
}

void ListValue::PushFront(std::string_view v) {
  Rep* r = MutableRep();
  size_t rec = RecordSize(v.size());
  if (r->chunks.empty() ||
      r->chunks.front().data.size() - r->chunks.front().head + rec > kChunkBytes) {
    r->chunks.emplace_front();
  }
  Chunk& c = r->chunks.front();
  Account(r, c, -1);
  if (c.head >= rec) {
    c.head -= uint32_t(rec);  // reuse what earlier pops left at the front
    std::string r2 = Record(v);
    memcpy(c.data.data() + c.head, r2.data(), rec);
  } else {
    c.data.erase(0, c.head);
    c.head = 0;
    c.data.insert(0, Record(v));
  }
  Account(r, c, +1);
  ++c.count;
  ++r->size;
}

std::string ListValue::PopFront() {
  Rep* r = rep();
  Chunk& c = r->chunks.front();
  const char* p = c.data.data() + c.head;
  std::string out(ListNext(p));
  c.head = uint32_t(p - c.data.data());
  --c.count;
  --r->size;
  if (c.count == 0) {
    Account(r, c, -1);
    r->chunks.pop_front();
  } else if (c.head > c.data.size() / 2) {
    Account(r, c, -1);
    c.data.erase(0, c.head);
    c.head = 0;
    c.data.shrink_to_fit();
    Account(r, c, +1);
  }
  if (r->size == 0) {
    delete r;
    store(0);
  }
  return out;
}

std::string ListValue::PopBack() {
  Rep* r = rep();
  Chunk& c = r->chunks.back();
  const char* last = RecordBefore(c.data.data() + c.data.size());
  const char* q = last;
  std::string out(ListNext(q));
  c.data.resize(size_t(last - c.data.data()));
  --c.count;
  --r->size;
  if (c.count == 0) {
    Account(r, c, -1);
    r->chunks.pop_back();
  }
  if (r->size == 0) {
    delete r;
    store(0);
  }
  return out;
}

std::string_view ListValue::At(size_t index) const {
  std::string_view out;
  ForRange(index, index, [&](size_t, std::string_view v) { out = v; });
  return out;
}

std::vector<std::string> ListValue::Items() const {
  std::vector<std::string> items;
  items.reserve(size());
  if (size() > 0)
    ForRange(0, size() - 1, [&](size_t, std::string_view v) { items.emplace_back(v); });
  return items;
}

void ListValue::Rebuild(const std::vector<std::string>& items) {
  Destroy(load());
  store(0);
  for (const auto& v : items) PushBack(v);
}

void ListValue::Set(size_t index, std::string_view v) {
  std::vector<std::string> items = Items();
  items[index] = std::string(v);
  Rebuild(items);
}

void ListValue::Trim(size_t start, size_t end) {
  size_t n = size();
  if (start > end || start >= n) {
    Rebuild({});
    return;
  }
  size_t drop_back = n - 1 - std::min(end, n - 1);
  for (size_t i = 0; i < start; ++i) PopFront();
  for (size_t i = 0; i < drop_back; ++i) PopBack();
}

size_t ListValue::Remove(std::string_view v, int64_t count) {
  std::vector<std::string> items = Items();
  size_t removed = 0;
  size_t limit = count == 0 ? SIZE_MAX : size_t(count < 0 ? -count : count);
  std::vector<bool> drop(items.size(), false);
  if (count >= 0) {
    for (size_t i = 0; i < items.size() && removed < limit; ++i) {
      if (items[i] == v) drop[i] = true, ++removed;
    }
  } else {
    for (size_t i = items.size(); i-- > 0 && removed < limit;) {
      if (items[i] == v) drop[i] = true, ++removed;
    }
  }
  if (removed == 0) return 0;
  std::vector<std::string> kept;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!drop[i]) kept.push_back(std::move(items[i]));
  }
  Rebuild(kept);
  return removed;
}

bool ListValue::Insert(std::string_view pivot, std::string_view v, bool before) {
  std::vector<std::string> items = Items();
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i] != pivot) continue;
    items.insert(items.begin() + int64_t(before ? i : i + 1), std::string(v));
    Rebuild(items);
    return true;
  }
  return false;
}

}  // namespace ember
