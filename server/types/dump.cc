#include "server/types/dump.h"

#include <cmath>
#include <cstring>

#include "server/db/varint.h"
#include "server/types/list_value.h"
#include "server/types/set_value.h"
#include "server/types/stream_value.h"

namespace ember {

namespace {

constexpr uint16_t kFormatVersion = 1;

void PutString(std::string* out, std::string_view s) {
  char len[10];
  out->append(len, PutVarint(len, s.size()));
  out->append(s);
}

void PutNumber(std::string* out, uint64_t v) {
  char buf[10];
  out->append(buf, PutVarint(buf, v));
}

void PutId(std::string* out, StreamId id) {
  PutNumber(out, id.ms);
  PutNumber(out, id.seq);
}

// A stream body: its live entries, its counters, then each group with its consumers and PEL.
void DumpStream(std::string* out, const Stream& s) {
  PutNumber(out, s.length());
  s.Range(StreamId::Min(), StreamId::Max(), false, [&](StreamId id, StreamFields fields) {
    PutId(out, id);
    PutNumber(out, fields.size());
    fields.ForEach([&](std::string_view f, std::string_view v) {
      PutString(out, f);
      PutString(out, v);
    });
    return true;
  });
  PutId(out, s.last_id());
  PutNumber(out, s.entries_added());
  PutId(out, s.max_deleted_id());
  PutNumber(out, s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    PutString(out, name);
    PutId(out, g->last_id);
    PutNumber(out, uint64_t(g->entries_read + 1));
    PutNumber(out, g->consumers.size());
    for (const auto& [cname, c] : g->consumers) {
      PutString(out, cname);
      PutNumber(out, uint64_t(c->seen_time));
    }
    PutNumber(out, g->pel.size());
    for (const auto& [id, p] : g->pel) {
      PutId(out, id);
      PutNumber(out, uint64_t(p.delivery_time));
      PutNumber(out, p.delivery_count);
      PutString(out, p.consumer->name);
    }
  }
}

// Bounds-checked reader for payload bodies.
class Reader {
 public:
  explicit Reader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}
  bool Varint(uint64_t* v) {
    uint64_t out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      uint8_t b = uint8_t(*p_++);
      out |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) {
        *v = out;
        return true;
      }
    }
    return false;
  }
  bool String(std::string_view* s) {
    uint64_t n;
    if (!Varint(&n) || n > uint64_t(end_ - p_)) return false;
    *s = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool Bytes(size_t n, std::string_view* s) {
    if (n > size_t(end_ - p_)) return false;
    *s = std::string_view(p_, n);
    p_ += n;
    return true;
  }
  bool Id(StreamId* id) { return Varint(&id->ms) && Varint(&id->seq); }
  bool done() const { return p_ == end_; }

 private:
  const char* p_;
  const char* end_;
};

// Rebuilds a stream from DumpStream's body; false on a malformed one.
bool RestoreStream(Reader& r, Stream* s) {
  uint64_t n, nfields;
  StreamId id, prev;
  std::vector<std::string_view> fields;
  if (!r.Varint(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    if (!r.Id(&id) || (i > 0 && id <= prev) || id.IsZero() || !r.Varint(&nfields)) return false;
    fields.resize(2 * nfields);
    for (auto& f : fields) {
      if (!r.String(&f)) return false;
    }
    s->Append(id, fields);
    prev = id;
  }
  uint64_t added, groups;
  if (!r.Id(&id) || (n > 0 && id < prev) || !r.Varint(&added) || added < n) return false;
  s->set_last_id(id);
  s->set_entries_added(added);
  if (!r.Id(&id)) return false;
  s->set_max_deleted_id(id);
  if (!r.Varint(&groups)) return false;
  for (uint64_t i = 0; i < groups; ++i) {
    std::string_view name, cname;
    uint64_t read, consumers, pending, seen, count;
    if (!r.String(&name) || !r.Id(&id) || !r.Varint(&read)) return false;
    StreamGroup* g = s->CreateGroup(name, id, int64_t(read) - 1);
    if (g == nullptr || !r.Varint(&consumers)) return false;
    for (uint64_t j = 0; j < consumers; ++j) {
      bool created;
      if (!r.String(&cname) || !r.Varint(&seen)) return false;
      g->GetOrCreateConsumer(cname, int64_t(seen), &created);
      if (!created) return false;
    }
    if (!r.Varint(&pending)) return false;
    for (uint64_t j = 0; j < pending; ++j) {
      uint64_t time;
      if (!r.Id(&id) || !r.Varint(&time) || !r.Varint(&count) || !r.String(&cname)) return false;
      StreamConsumer* c = g->FindConsumer(cname);
      if (c == nullptr || !g->pel.emplace(id, StreamPending{int64_t(time), count, c}).second) {
        return false;
      }
      c->pel.insert(id);
    }
  }
  return true;
}

}  // namespace

std::string DumpValue(const Entry* e) {
  std::string out;
  out.push_back(char(e->type()));
  switch (e->type()) {
    case ObjType::kString:
      PutString(&out, e->StringValue());
      break;
    case ObjType::kHash: {
      const HashValue* h = e->As<HashValue>();
      char len[10];
      out.append(len, PutVarint(len, h->size()));
      h->ForEach([&](std::string_view f, std::string_view v) {
        PutString(&out, f);
        PutString(&out, v);
      });
      break;
    }
    case ObjType::kList: {
      const ListValue* l = e->As<ListValue>();
      char len[10];
      out.append(len, PutVarint(len, l->size()));
      if (l->size() > 0) {
        l->ForRange(0, l->size() - 1, [&](size_t, std::string_view v) { PutString(&out, v); });
      }
      break;
    }
    case ObjType::kSet: {
      const SetValue* s = e->As<SetValue>();
      char len[10];
      out.append(len, PutVarint(len, s->size()));
      s->ForEach([&](std::string_view m) { PutString(&out, m); });
      break;
    }
    case ObjType::kZSet: {
      const ZSetValue* z = e->As<ZSetValue>();
      char len[10];
      out.append(len, PutVarint(len, z->size()));
      z->Visit(0, z->size(), false, [&](std::string_view m, double s) {
        PutString(&out, m);
        out.append(reinterpret_cast<const char*>(&s), 8);
      });
      break;
    }
    case ObjType::kStream:
      DumpStream(&out, *e->As<StreamValue>()->get());
      break;
    default:
      break;
  }
  uint16_t version = kFormatVersion;
  out.append(reinterpret_cast<const char*>(&version), 2);
  uint64_t crc = Crc64(out);
  out.append(reinterpret_cast<const char*>(&crc), 8);
  return out;
}

Entry* RestoreValue(std::string_view key, std::string_view payload, const RestoreLimits& limits,
                    std::string* error) {
  if (payload.size() < 11) {
    *error = "DUMP payload version or checksum are wrong";
    return nullptr;
  }
  uint16_t version;
  uint64_t crc;
  memcpy(&version, payload.data() + payload.size() - 10, 2);
  memcpy(&crc, payload.data() + payload.size() - 8, 8);
  if (version != kFormatVersion || crc != Crc64(payload.substr(0, payload.size() - 8))) {
    *error = "DUMP payload version or checksum are wrong";
    return nullptr;
  }
  auto type = ObjType(uint8_t(payload[0]));
  Reader r(payload.substr(1, payload.size() - 11));
  *error = "Bad data format";
  std::string_view a, b;
  uint64_t n;
  Entry* e = nullptr;
  switch (type) {
    case ObjType::kString:
      if (!r.String(&a) || !r.done()) return nullptr;
      return Entry::NewString(key, a, false);
    case ObjType::kHash:
    case ObjType::kList:
    case ObjType::kSet:
      if (!r.Varint(&n) || n == 0) return nullptr;
      e = Entry::NewObject(key, type, 0, false);
      for (uint64_t i = 0; i < n; ++i) {
        bool ok = r.String(&a);
        if (ok && type == ObjType::kHash) ok = r.String(&b);
        if (!ok) {
          Entry::Free(e);
          return nullptr;
        }
        if (type == ObjType::kHash) {
          e->As<HashValue>()->Set(a, b, limits.hash);
        } else if (type == ObjType::kList) {
          e->As<ListValue>()->PushBack(a);
        } else {
          e->As<SetValue>()->Add(a, limits.max_intset);
        }
      }
      if (!r.done()) {
        Entry::Free(e);
        return nullptr;
      }
      return e;
    case ObjType::kZSet: {
      if (!r.Varint(&n) || n == 0) return nullptr;
      std::vector<std::pair<std::string, double>> els;
      for (uint64_t i = 0; i < n; ++i) {
        std::string_view score;
        if (!r.String(&a) || !r.Bytes(8, &score)) return nullptr;
        double s;
        memcpy(&s, score.data(), 8);
        if (std::isnan(s) || (!els.empty() && !ZLess(els.back().second, els.back().first, s, a))) {
          return nullptr;  // out of order or repeated
        }
        els.emplace_back(a, s);
      }
      if (!r.done()) return nullptr;
      return Entry::NewObject(key, type, ZSetValue::Build(els, limits.zset), false);
    }
    case ObjType::kStream:
      e = Entry::NewObject(key, type, StreamValue::New(), false);
      if (!RestoreStream(r, e->As<StreamValue>()->get()) || !r.done()) {
        Entry::Free(e);
        return nullptr;
      }
      return e;
    default:
      return nullptr;
  }
}

}  // namespace ember
