#include "server/persist/rdb.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "common/crc64.h"
#include "common/strings.h"
#include "server/persist/lzf.h"
#include "server/persist/packed.h"
#include "server/types/hash_value.h"
#include "server/types/list_value.h"
#include "server/types/set_value.h"
#include "server/types/stream_value.h"
#include "server/types/zset_value.h"

namespace ember {

namespace {

// Object types and opcodes (the RDB format's numbers).
enum RdbType : uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZSet = 3,
  kTypeHash = 4,
  kTypeZSet2 = 5,
  kTypeModulePreGa = 6,
  kTypeModule2 = 7,
  kTypeHashZipmap = 9,
  kTypeListZiplist = 10,
  kTypeSetIntset = 11,
  kTypeZSetZiplist = 12,
  kTypeHashZiplist = 13,
  kTypeListQuicklist = 14,
  kTypeStreamListpacks = 15,
  kTypeHashListpack = 16,
  kTypeZSetListpack = 17,
  kTypeListQuicklist2 = 18,
  kTypeStreamListpacks2 = 19,
  kTypeSetListpack = 20,
  kTypeStreamListpacks3 = 21,
};

enum RdbOpcode : uint8_t {
  kOpFunction2 = 245,
  kOpFunctionPreGa = 246,
  kOpModuleAux = 247,
  kOpIdle = 248,
  kOpFreq = 249,
  kOpAux = 250,
  kOpResizeDb = 251,
  kOpExpireTimeMs = 252,
  kOpExpireTime = 253,
  kOpSelectDb = 254,
  kOpEof = 255,
};

// Quicklist node containers (LIST_QUICKLIST_2).
constexpr uint64_t kContainerPlain = 1;
constexpr uint64_t kContainerPacked = 2;

// Stream entry flags inside a node listpack.
constexpr int64_t kStreamItemDeleted = 1;
constexpr int64_t kStreamItemSameFields = 2;

// Redis's defaults for node sizes: list-max-listpack-size -2 (8 KB), quicklist's plain-node
// threshold (1 GB), stream-node-max-entries / stream-node-max-bytes.
constexpr size_t kListNodeBytes = 8192;
constexpr size_t kListPlainThreshold = size_t(1) << 30;
constexpr size_t kStreamNodeEntries = 100;
constexpr size_t kStreamNodeBytes = 4096;

// Redis keeps a hash or zset that arrives packed (ziplist, listpack) packed unless it has too
// many elements: it does not look at their lengths. Ember follows, up to a length its own
// compact form handles comfortably.
constexpr size_t kPackedValueLimit = size_t(1) << 30;

// A listpack counts its bytes in 32 bits. A compact Ember value too large for one (only
// possible with huge *-max-listpack-value settings) is written in the plain encoding instead.
constexpr size_t kMaxListpackBytes = UINT32_MAX;

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(char((v >> (8 * i)) & 0xFF));
}

void PutBe(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(char((v >> (8 * i)) & 0xFF));
}

uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(p[i])) << (8 * i);
  return v;
}

uint64_t GetBe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | uint8_t(p[i]);
  return v;
}

// A stream id as Redis keys its radix trees and PELs: 128 bits, big-endian.
std::string EncodeStreamId(StreamId id) {
  std::string out;
  PutBe(&out, id.ms, 8);
  PutBe(&out, id.seq, 8);
  return out;
}

StreamId DecodeStreamId(const char* p) { return {GetBe(p, 8), GetBe(p + 8, 8)}; }

// A key for an error message: at most 64 bytes, non-printable bytes as \xHH.
std::string Printable(std::string_view s) {
  std::string out = "'";
  for (unsigned char c : s.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
      out.push_back(char(c));
    } else {
      char buf[5];
      snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out + (s.size() > 64 ? "'..." : "'");
}

std::string IntText(int64_t v) {
  char buf[24];
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
}

// A zset score in a listpack, as Redis's zzlInsert stores it: integral values within 2^52 as
// integers, others as their "%.17g" text ("inf", "-inf", "-0" spelled out).
void AddScore(ListpackBuilder* lp, double s) {
  if (s == 0 && std::signbit(s)) return lp->Add("-0");
  if (std::isinf(s)) return lp->Add(s > 0 ? "inf" : "-inf");
  if (s > -4503599627370495.0 && s < 4503599627370496.0 && s == std::trunc(s)) {
    return lp->AddInt(int64_t(s));
  }
  char buf[64];
  int n = snprintf(buf, sizeof(buf), "%.17g", s);
  lp->Add(std::string_view(buf, size_t(n)));
}

// Splits a list into quicklist nodes the way the writer stores them, calling
// on_node(elements, plain) once per node. Both of the writer's passes (count, then write) use
// it, so they agree.
template <typename Fn>
void ForEachListNode(const ListValue* l, Fn&& on_node) {
  std::vector<std::string_view> node;
  size_t bytes = 7;  // listpack header and terminator
  auto flush = [&] {
    if (!node.empty()) on_node(node, false);
    node.clear();
    bytes = 7;
  };
  if (l->size() == 0) return;
  l->ForRange(0, l->size() - 1, [&](size_t, std::string_view v) {
    if (v.size() >= kListPlainThreshold) {
      flush();
      node.push_back(v);
      on_node(node, true);
      node.clear();
      return;
    }
    size_t add = ListpackBuilder::ElementSize(v);
    if (!node.empty() && bytes + add > kListNodeBytes) flush();
    node.push_back(v);
    bytes += add;
  });
  flush();
}

struct StreamItem {
  StreamId id;
  StreamFields fields;
};

bool SameFields(const std::vector<std::string_view>& master, const StreamFields& fields) {
  if (fields.size() != master.size()) return false;
  size_t i = 0;
  bool same = true;
  fields.ForEach([&](std::string_view f, std::string_view) { same = same && f == master[i++]; });
  return same;
}

// Splits a stream's live entries into listpack nodes of up to kStreamNodeEntries entries or
// about kStreamNodeBytes bytes, calling on_node(items, master_fields) per node; like
// ForEachListNode, the same split serves both writer passes.
template <typename Fn>
void ForEachStreamNode(const Stream& s, Fn&& on_node) {
  std::vector<StreamItem> items;
  std::vector<std::string_view> master;
  size_t bytes = 0;
  auto size_int = ListpackBuilder::IntElementSize;
  auto flush = [&] {
    if (!items.empty()) on_node(items, master);
    items.clear();
    master.clear();
  };
  s.Range(StreamId::Min(), StreamId::Max(), false, [&](StreamId id, StreamFields fields) {
    if (!items.empty() && (items.size() >= kStreamNodeEntries || bytes >= kStreamNodeBytes)) {
      flush();
    }
    if (items.empty()) {
      // Header, terminator, and the master entry: count, deleted, field count, fields, 0.
      bytes = 7 + 2 + 2 + size_int(int64_t(fields.size())) + 2;
      fields.ForEach([&](std::string_view f, std::string_view) {
        master.push_back(f);
        bytes += ListpackBuilder::ElementSize(f);
      });
    }
    const StreamId& first = items.empty() ? id : items.front().id;
    bytes += 2 + size_int(int64_t(id.ms - first.ms)) + size_int(int64_t(id.seq - first.seq));
    bool same = SameFields(master, fields);
    if (!same) bytes += size_int(int64_t(fields.size()));
    fields.ForEach([&](std::string_view f, std::string_view v) {
      if (!same) bytes += ListpackBuilder::ElementSize(f);
      bytes += ListpackBuilder::ElementSize(v);
    });
    bytes += 2;  // lp-count
    items.push_back({id, fields});
    return true;
  });
  flush();
}

// The listpack of one stream node in Redis's layout:
//   master entry: count, deleted, field count, fields..., 0
//   each entry:   flags, ms - master ms, seq - master seq, [field count, field, value ...
//                 | value ... when the fields are the master's], lp-count
std::string BuildStreamNode(const std::vector<StreamItem>& items,
                            const std::vector<std::string_view>& master) {
  ListpackBuilder lp;
  StreamId first = items.front().id;
  lp.AddInt(int64_t(items.size()));
  lp.AddInt(0);
  lp.AddInt(int64_t(master.size()));
  for (std::string_view f : master) lp.Add(f);
  lp.AddInt(0);
  for (const StreamItem& item : items) {
    bool same = SameFields(master, item.fields);
    lp.AddInt(same ? kStreamItemSameFields : 0);
    lp.AddInt(int64_t(item.id.ms - first.ms));
    lp.AddInt(int64_t(item.id.seq - first.seq));
    int64_t n = int64_t(item.fields.size());
    if (!same) lp.AddInt(n);
    item.fields.ForEach([&](std::string_view f, std::string_view v) {
      if (!same) lp.Add(f);
      lp.Add(v);
    });
    lp.AddInt(same ? n + 3 : 2 * n + 4);
  }
  return lp.Finish();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Writer

// Brackets one public call: whatever the call appended is added to the checksum and the byte
// count when it ends. The caller may have drained buffer_ since the previous call, so the
// mark restarts at its current end.
class RdbWriter::Scope {
 public:
  explicit Scope(RdbWriter* w) : w_(w) { w_->mark_ = w_->buf_.size(); }
  ~Scope() {
    std::string_view added(w_->buf_.data() + w_->mark_, w_->buf_.size() - w_->mark_);
    if (w_->checksum_) w_->crc_ = Crc64(w_->crc_, added);
    w_->total_ += added.size();
    w_->mark_ = w_->buf_.size();
  }

 private:
  RdbWriter* w_;
};

RdbWriter::RdbWriter(bool compress, bool checksum) : compress_(compress), checksum_(checksum) {}

std::string RdbWriter::Take() {
  std::string out = std::move(buf_);
  buf_.clear();
  mark_ = 0;
  return out;
}

void RdbWriter::Header() {
  Scope scope(this);
  char magic[16];
  snprintf(magic, sizeof(magic), "REDIS%04d", kRdbVersion);
  buf_.append(magic, 9);
}

void RdbWriter::Aux(std::string_view key, std::string_view value) {
  Scope scope(this);
  Byte(kOpAux);
  String(key);
  String(value);
}

void RdbWriter::Aux(std::string_view key, int64_t value) { Aux(key, IntText(value)); }

void RdbWriter::SelectDb(int db) {
  Scope scope(this);
  Byte(kOpSelectDb);
  Len(uint64_t(db));
}

void RdbWriter::ResizeDb(uint64_t keys, uint64_t expires) {
  Scope scope(this);
  Byte(kOpResizeDb);
  Len(keys);
  Len(expires);
}

void RdbWriter::Finish() {
  Scope scope(this);
  Byte(kOpEof);
  // The CRC covers everything up to and including the EOF opcode, so fold that in first.
  uint64_t crc = checksum_ ? Crc64(crc_, std::string_view(buf_.data() + mark_, 1)) : 0;
  PutLe(&buf_, crc, 8);
}

void RdbWriter::Len(uint64_t len) {
  if (len < 64) {
    Byte(uint8_t(len));
  } else if (len < 16384) {
    Byte(uint8_t(0x40 | (len >> 8)));
    Byte(uint8_t(len & 0xFF));
  } else if (len <= UINT32_MAX) {
    Byte(0x80);
    PutBe(&buf_, len, 4);
  } else {
    Byte(0x81);
    PutBe(&buf_, len, 8);
  }
}

// Redis's rdbSaveRawString: short canonical integers in 32 bits as 0xC0-0xC2 + 1/2/4 bytes,
// strings over 20 bytes LZF-compressed when that saves at least 4 bytes, others raw.
void RdbWriter::String(std::string_view s) {
  if (s.size() <= 11) {
    if (auto v = ParseInt64(s); v && *v >= INT32_MIN && *v <= INT32_MAX) {
      if (*v >= INT8_MIN && *v <= INT8_MAX) {
        Byte(0xC0);
        PutLe(&buf_, uint64_t(*v), 1);
      } else if (*v >= INT16_MIN && *v <= INT16_MAX) {
        Byte(0xC1);
        PutLe(&buf_, uint64_t(*v), 2);
      } else {
        Byte(0xC2);
        PutLe(&buf_, uint64_t(*v), 4);
      }
      return;
    }
  }
  if (compress_ && s.size() > 20) {
    scratch_.resize(s.size() - 4);
    size_t clen = LzfCompress(s, scratch_.data(), scratch_.size());
    if (clen > 0) {
      Byte(0xC3);
      Len(clen);
      Len(s.size());
      buf_.append(scratch_.data(), clen);
    }
    if (scratch_.capacity() > (1 << 20)) std::string().swap(scratch_);  // keep no big buffer
    if (clen > 0) return;
  }
  Len(s.size());
  buf_.append(s);
}

bool RdbWriter::Key(const Entry* e, int64_t now_ms, const RdbKeyAccess& access) {
  if (e->has_expire() && e->expire_ms() < now_ms) return false;
  Scope scope(this);
  if (e->has_expire()) {
    Byte(kOpExpireTimeMs);
    PutLe(&buf_, uint64_t(e->expire_ms()), 8);
  }
  if (access.lru_idle_s >= 0) {
    Byte(kOpIdle);
    Len(uint64_t(access.lru_idle_s));
  } else if (access.lfu_freq >= 0) {
    Byte(kOpFreq);
    Byte(uint8_t(std::min(access.lfu_freq, 255)));
  }
  WriteValue(e);
  return true;
}

void RdbWriter::TypeAndKey(uint8_t type, const Entry* e) {
  Byte(type);
  if (with_keys_) String(e->key());
}

void RdbWriter::Value(const Entry* e) {
  Scope scope(this);
  with_keys_ = false;
  WriteValue(e);
  with_keys_ = true;
}

void RdbWriter::WriteValue(const Entry* e) {
  switch (e->type()) {
    case ObjType::kString:
      TypeAndKey(kTypeString, e);
      if (e->is_int()) {
        String(IntText(e->int_value()));
      } else {
        String(e->raw_value());
      }
      return;
    case ObjType::kList:
      return WriteList(e);
    case ObjType::kSet:
      return WriteSet(e);
    case ObjType::kZSet:
      return WriteZSet(e);
    case ObjType::kHash:
      return WriteHash(e);
    case ObjType::kStream:
      return WriteStream(e);
  }
}

void RdbWriter::WriteList(const Entry* e) {
  const ListValue* l = e->As<ListValue>();
  TypeAndKey(kTypeListQuicklist2, e);
  uint64_t nodes = 0;
  ForEachListNode(l, [&](const std::vector<std::string_view>&, bool) { ++nodes; });
  Len(nodes);
  ForEachListNode(l, [&](const std::vector<std::string_view>& items, bool plain) {
    if (plain) {
      Len(kContainerPlain);
      String(items.front());
      return;
    }
    Len(kContainerPacked);
    ListpackBuilder lp;
    for (std::string_view v : items) lp.Add(v);
    String(lp.Finish());
  });
}

void RdbWriter::WriteSet(const Entry* e) {
  const SetValue* s = e->As<SetValue>();
  if (s->encoding() == SetValue::Encoding::kIntset) {
    std::vector<int64_t> values;
    values.reserve(s->size());
    s->ForEach([&](std::string_view m) { values.push_back(ParseInt64(m).value_or(0)); });
    TypeAndKey(kTypeSetIntset, e);
    String(BuildIntset(values));
    return;
  }
  TypeAndKey(kTypeSet, e);
  Len(s->size());
  s->ForEach([&](std::string_view m) { String(m); });
}

void RdbWriter::WriteZSet(const Entry* e) {
  const ZSetValue* z = e->As<ZSetValue>();
  if (z->encoding() == ZSetValue::Encoding::kListpack) {
    ListpackBuilder lp;
    z->Visit(0, z->size(), false, [&](std::string_view m, double score) {
      lp.Add(m);
      AddScore(&lp, score);
    });
    if (lp.bytes() <= kMaxListpackBytes) {
      TypeAndKey(kTypeZSetListpack, e);
      String(lp.Finish());
      return;
    }
  }
  // Highest score first, as Redis writes skiplists: its loader then inserts every element at
  // the head of the new skiplist.
  TypeAndKey(kTypeZSet2, e);
  Len(z->size());
  if (z->size() == 0) return;
  z->Visit(z->size() - 1, z->size(), true, [&](std::string_view m, double score) {
    String(m);
    uint64_t bits;
    memcpy(&bits, &score, 8);
    PutLe(&buf_, bits, 8);
  });
}

void RdbWriter::WriteHash(const Entry* e) {
  const HashValue* h = e->As<HashValue>();
  if (h->encoding() == HashValue::Encoding::kListpack) {
    ListpackBuilder lp;
    h->ForEach([&](std::string_view f, std::string_view v) {
      lp.Add(f);
      lp.Add(v);
    });
    if (lp.bytes() <= kMaxListpackBytes) {
      TypeAndKey(kTypeHashListpack, e);
      String(lp.Finish());
      return;
    }
  }
  TypeAndKey(kTypeHash, e);
  Len(h->size());
  h->ForEach([&](std::string_view f, std::string_view v) {
    String(f);
    String(v);
  });
}

void RdbWriter::WriteStream(const Entry* e) {
  const Stream& s = *e->As<StreamValue>()->get();
  TypeAndKey(kTypeStreamListpacks2, e);
  uint64_t nodes = 0;
  ForEachStreamNode(
      s, [&](const std::vector<StreamItem>&, const std::vector<std::string_view>&) { ++nodes; });
  Len(nodes);
  ForEachStreamNode(
      s, [&](const std::vector<StreamItem>& items, const std::vector<std::string_view>& master) {
        String(EncodeStreamId(items.front().id));
        String(BuildStreamNode(items, master));
      });
  Len(s.length());
  Len(s.last_id().ms);
  Len(s.last_id().seq);
  Len(s.first_id().ms);
  Len(s.first_id().seq);
  Len(s.max_deleted_id().ms);
  Len(s.max_deleted_id().seq);
  Len(s.entries_added());
  Len(s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    String(name);
    Len(g->last_id.ms);
    Len(g->last_id.seq);
    Len(uint64_t(g->entries_read));  // -1 (unknown) travels as 2^64 - 1, as in Redis
    Len(g->pel.size());
    for (const auto& [id, p] : g->pel) {
      buf_.append(EncodeStreamId(id));
      PutLe(&buf_, uint64_t(p.delivery_time), 8);
      Len(p.delivery_count);
    }
    Len(g->consumers.size());
    for (const auto& [cname, c] : g->consumers) {
      String(cname);
      PutLe(&buf_, uint64_t(c->seen_time), 8);
      Len(c->pel.size());
      for (StreamId id : c->pel) buf_.append(EncodeStreamId(id));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sources

FileSource::FileSource(const std::string& path) {
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    error_ = "cannot open " + path + ": " + strerror(errno);
    return;
  }
  block_ = std::make_unique<char[]>(kBlock);
}

FileSource::~FileSource() {
  if (fd_ >= 0) close(fd_);
}

size_t FileSource::Read(char* buf, size_t n) {
  if (fd_ < 0 || n == 0) return 0;
  if (pos_ == len_) {
    ssize_t r;
    do {
      r = read(fd_, block_.get(), kBlock);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      error_ = std::string("read error: ") + strerror(errno);
      return 0;
    }
    pos_ = 0;
    len_ = size_t(r);
    if (len_ == 0) return 0;
  }
  size_t k = std::min(n, len_ - pos_);
  memcpy(buf, block_.get() + pos_, k);
  pos_ += k;
  return k;
}

size_t StringSource::Read(char* buf, size_t n) {
  size_t k = std::min(n, data_.size());
  memcpy(buf, data_.data(), k);
  data_.remove_prefix(k);
  return k;
}

// ---------------------------------------------------------------------------------------------
// Loader

namespace {

struct EntryFree {
  void operator()(Entry* e) const { Entry::Free(e); }
};
using EntryPtr = std::unique_ptr<Entry, EntryFree>;

}  // namespace

class RdbLoader::Impl {
 public:
  Impl(RdbLoader* owner) : owner_(owner), src_(owner->src_), limits_(owner->limits_) {}

  RdbLoadResult Run(const std::function<void(int, Entry*)>& on_key,
                    const std::function<void(std::string_view, std::string_view)>& on_aux);
  // A type byte and one value (a DUMP payload's body) of RDB `version`; the source must end
  // right after it.
  Entry* RunValue(std::string_view key, int version, std::string* error);

 private:
  // Reading primitives; each returns false with error_ set.
  bool Read(char* p, size_t n);
  bool Byte(uint8_t* b);
  bool Len(uint64_t* len, bool* encoded = nullptr);
  bool String(std::string* out);
  bool Bytes(uint64_t n, std::string* out);
  bool Le(int bytes, uint64_t* v);
  bool TextDouble(double* v);
  bool BinaryDouble(double* v);
  bool RawStreamId(StreamId* id);
  bool Fail(std::string reason) { return FailAt(offset_, std::move(reason)); }
  bool FailAt(uint64_t offset, std::string reason);

  // Values. Load returns nullptr with *empty set for an empty collection (skipped, as Redis
  // does), nullptr with error_ set on malformed data.
  EntryPtr Load(uint8_t type, std::string_view key, bool expire_slot, bool* empty);
  EntryPtr LoadZSet(uint8_t type, std::string_view key, bool expire_slot, bool* empty);
  EntryPtr LoadPacked(uint8_t type, std::string_view key, bool expire_slot, bool* empty);
  EntryPtr LoadQuicklist(uint8_t type, std::string_view key, bool expire_slot, bool* empty);
  EntryPtr LoadStream(uint8_t type, std::string_view key, bool expire_slot);
  bool LoadStreamNode(Stream* s, StreamId* prev, uint64_t* live);
  bool LoadStreamGroups(uint8_t type, Stream* s);
  EntryPtr BuildZSet(std::string_view key, bool expire_slot,
                     std::vector<std::pair<std::string, double>>* els, uint64_t start,
                     bool by_count_only = false);

  RdbLoader* owner_;
  RdbSource* src_;
  const RestoreLimits& limits_;
  uint64_t offset_ = 0;
  uint64_t crc_ = 0;
  int version_ = 0;
  std::string error_;
  uint64_t error_offset_ = 0;
};

bool RdbLoader::Impl::FailAt(uint64_t offset, std::string reason) {
  if (error_.empty()) {
    error_ = std::move(reason);
    error_offset_ = offset;
  }
  return false;
}

bool RdbLoader::Impl::Read(char* p, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t k = src_->Read(p + got, n - got);
    if (k == 0) break;
    got += k;
  }
  crc_ = Crc64(crc_, std::string_view(p, got));
  offset_ += got;
  if (got < n) return Fail("unexpected end of file");
  return true;
}

bool RdbLoader::Impl::Byte(uint8_t* b) { return Read(reinterpret_cast<char*>(b), 1); }

bool RdbLoader::Impl::Le(int bytes, uint64_t* v) {
  char buf[8];
  if (!Read(buf, size_t(bytes))) return false;
  *v = GetLe(buf, bytes);
  return true;
}

bool RdbLoader::Impl::Len(uint64_t* len, bool* encoded) {
  uint64_t start = offset_;
  uint8_t b;
  if (!Byte(&b)) return false;
  if (encoded) *encoded = false;
  switch (b >> 6) {
    case 0:
      *len = b & 0x3F;
      return true;
    case 1: {
      uint8_t b2;
      if (!Byte(&b2)) return false;
      *len = uint64_t(b & 0x3F) << 8 | b2;
      return true;
    }
    case 2: {
      if (b != 0x80 && b != 0x81) return FailAt(start, "unknown length encoding");
      char buf[8];
      int n = b == 0x80 ? 4 : 8;
      if (!Read(buf, size_t(n))) return false;
      *len = GetBe(buf, n);
      return true;
    }
    default:
      if (encoded == nullptr) return FailAt(start, "an encoded string where a length belongs");
      *encoded = true;
      *len = b & 0x3F;
      return true;
  }
}

// Reads n bytes without trusting n: the string grows as the data actually arrives, so a bogus
// length costs at most what the source really holds.
bool RdbLoader::Impl::Bytes(uint64_t n, std::string* out) {
  out->clear();
  constexpr size_t kStep = 64 * 1024;
  while (out->size() < n) {
    size_t chunk = size_t(std::min<uint64_t>(n - out->size(), std::max(out->size(), kStep)));
    size_t old = out->size();
    out->resize(old + chunk);
    if (!Read(out->data() + old, chunk)) return false;
  }
  return true;
}

bool RdbLoader::Impl::String(std::string* out) {
  uint64_t start = offset_;
  uint64_t len;
  bool encoded;
  if (!Len(&len, &encoded)) return false;
  if (!encoded) return Bytes(len, out);
  uint64_t v;
  switch (len) {
    case 0:
      if (!Le(1, &v)) return false;
      *out = IntText(int8_t(v));
      return true;
    case 1:
      if (!Le(2, &v)) return false;
      *out = IntText(int16_t(v));
      return true;
    case 2:
      if (!Le(4, &v)) return false;
      *out = IntText(int32_t(v));
      return true;
    case 3: {
      uint64_t clen, ulen;
      if (!Len(&clen) || !Len(&ulen)) return false;
      if (clen == 0) return FailAt(start, "empty LZF string");
      if (ulen > LzfMaxExpansion(clen)) {
        return FailAt(start, "LZF string claims " + std::to_string(ulen) + " bytes from " +
                                 std::to_string(clen) + " compressed");
      }
      std::string compressed;
      if (!Bytes(clen, &compressed)) return false;
      out->resize(ulen);
      if (!LzfDecompress(compressed, out->data(), ulen)) {
        return FailAt(start, "invalid LZF compressed string");
      }
      return true;
    }
    default:
      return FailAt(start, "unknown string encoding " + std::to_string(len));
  }
}

// ZSET (type 3) scores: a length byte (253 NaN, 254 +inf, 255 -inf) and that much text.
bool RdbLoader::Impl::TextDouble(double* v) {
  uint64_t start = offset_;
  uint8_t len;
  if (!Byte(&len)) return false;
  if (len == 253) return FailAt(start, "zset with a NaN score");
  if (len == 254 || len == 255) {
    *v = len == 254 ? INFINITY : -INFINITY;
    return true;
  }
  char buf[256];
  if (!Read(buf, len)) return false;
  auto d = ParseDouble(std::string_view(buf, len));
  if (!d) return FailAt(start, "bad score text");
  *v = *d;
  return true;
}

bool RdbLoader::Impl::BinaryDouble(double* v) {
  uint64_t bits;
  if (!Le(8, &bits)) return false;
  memcpy(v, &bits, 8);
  if (std::isnan(*v)) return FailAt(offset_ - 8, "zset with a NaN score");
  return true;
}

bool RdbLoader::Impl::RawStreamId(StreamId* id) {
  char buf[16];
  if (!Read(buf, 16)) return false;
  *id = DecodeStreamId(buf);
  return true;
}

RdbLoadResult RdbLoader::Impl::Run(
    const std::function<void(int, Entry*)>& on_key,
    const std::function<void(std::string_view, std::string_view)>& on_aux) {
  RdbLoadResult result;
  auto finish = [&]() {
    if (error_.empty() && !owner_->callback_error_.empty())
      FailAt(offset_, owner_->callback_error_);
    result.ok = error_.empty();
    result.version = version_;
    if (result.ok) {
      result.bytes = offset_;
    } else {
      result.bytes = error_offset_;
      result.error = error_ + " at offset " + std::to_string(error_offset_);
    }
    return result;
  };

  char magic[9];
  if (!Read(magic, 9)) return finish();
  if (memcmp(magic, "REDIS", 5) != 0) {
    FailAt(0, "not an RDB file (no REDIS signature)");
    return finish();
  }
  int version = 0;
  for (int i = 5; i < 9; ++i) {
    if (magic[i] < '0' || magic[i] > '9') {
      FailAt(5, "bad RDB version field");
      return finish();
    }
    version = version * 10 + (magic[i] - '0');
  }
  version_ = version;
  if (version < 1 || version > kRdbVersion) {
    FailAt(5, "RDB format version " + std::to_string(version) +
                  " is not supported (this server reads versions 1 to " +
                  std::to_string(kRdbVersion) + ", as Redis 7.0)");
    return finish();
  }

  int db = 0;
  int64_t expire = -1;
  RdbKeyAccess access;
  std::string key, a, b;
  while (true) {
    uint64_t start = offset_;
    uint8_t type;
    if (!Byte(&type)) return finish();
    uint64_t v, w;
    switch (type) {
      case kOpExpireTimeMs:
        if (!Le(8, &v)) return finish();
        expire = int64_t(v);
        continue;
      case kOpExpireTime:
        if (!Le(4, &v)) return finish();
        expire = int64_t(int32_t(v)) * 1000;
        continue;
      case kOpFreq: {
        uint8_t f;
        if (!Byte(&f)) return finish();
        access.lfu_freq = f;
        continue;
      }
      case kOpIdle:
        if (!Len(&v)) return finish();
        access.lru_idle_s = int64_t(std::min<uint64_t>(v, INT64_MAX));
        continue;
      case kOpSelectDb:
        if (!Len(&v)) return finish();
        if (v > uint64_t(INT32_MAX)) {
          FailAt(start, "database number " + std::to_string(v) + " out of range");
          return finish();
        }
        db = int(v);
        continue;
      case kOpResizeDb:
        if (!Len(&v) || !Len(&w)) return finish();
        continue;
      case kOpAux:
        if (!String(&a) || !String(&b)) return finish();
        if (on_aux) on_aux(a, b);
        if (!owner_->callback_error_.empty()) return finish();
        continue;
      case kOpModuleAux:
        FailAt(start, "the RDB holds module data (MODULE_AUX), which Ember cannot load");
        return finish();
      case kOpFunction2:
      case kOpFunctionPreGa:
        FailAt(start, "the RDB holds a function library (FUNCTION), which Ember cannot load");
        return finish();
      case kOpEof: {
        if (version_ >= 5) {
          uint64_t computed = crc_, stored;
          if (!Le(8, &stored)) return finish();
          if (stored != 0 && stored != computed) {
            char msg[128];
            snprintf(
                msg, sizeof(msg), "wrong RDB checksum: the file says %016llx, its bytes %016llx",
                static_cast<unsigned long long>(stored), static_cast<unsigned long long>(computed));
            FailAt(offset_ - 8, msg);
          }
        }
        return finish();
      }
      case kTypeModulePreGa:
      case kTypeModule2:
        FailAt(start, "the RDB holds a module value (type " + std::to_string(type) +
                          "), which Ember cannot load");
        return finish();
      default:
        break;
    }
    bool known = type <= kTypeZSet2 || (type >= kTypeHashZipmap && type <= kTypeStreamListpacks3);
    if (!known) {
      FailAt(start, "unknown RDB value type " + std::to_string(type));
      return finish();
    }
    if (!String(&key)) return finish();
    bool empty = false;
    EntryPtr e = Load(type, key, expire >= 0, &empty);
    if (e == nullptr && !empty) {
      if (error_.empty()) FailAt(start, "bad value");
      error_ += " (key " + Printable(key) + ")";
      return finish();
    }
    if (e != nullptr) {
      if (expire >= 0) e->SetExpireMs(expire);
      owner_->access_ = access;
      if (on_key) on_key(db, e.release());
      ++result.keys;
      if (!owner_->callback_error_.empty()) return finish();
    } else {
      ++result.empty_keys_skipped;
    }
    expire = -1;
    access = {};
  }
}

EntryPtr RdbLoader::Impl::Load(uint8_t type, std::string_view key, bool expire_slot, bool* empty) {
  uint64_t n;
  std::string a, b;
  switch (type) {
    case kTypeString:
      if (!String(&a)) return nullptr;
      return EntryPtr(Entry::NewString(key, a, expire_slot));
    case kTypeList: {
      if (!Len(&n)) return nullptr;
      if (n == 0) return *empty = true, nullptr;
      EntryPtr e(Entry::NewObject(key, ObjType::kList, 0, expire_slot));
      for (uint64_t i = 0; i < n; ++i) {
        if (!String(&a)) return nullptr;
        e->As<ListValue>()->PushBack(a);
      }
      return e;
    }
    case kTypeSet: {
      if (!Len(&n)) return nullptr;
      if (n == 0) return *empty = true, nullptr;
      EntryPtr e(Entry::NewObject(key, ObjType::kSet, 0, expire_slot));
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t at = offset_;
        if (!String(&a)) return nullptr;
        if (!e->As<SetValue>()->Add(a, limits_.max_intset)) {
          FailAt(at, "duplicate set member");
          return nullptr;
        }
      }
      return e;
    }
    case kTypeHash: {
      if (!Len(&n)) return nullptr;
      if (n == 0) return *empty = true, nullptr;
      EntryPtr e(Entry::NewObject(key, ObjType::kHash, 0, expire_slot));
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t at = offset_;
        if (!String(&a) || !String(&b)) return nullptr;
        if (!e->As<HashValue>()->Set(a, b, limits_.hash)) {
          FailAt(at, "duplicate hash field");
          return nullptr;
        }
      }
      return e;
    }
    case kTypeZSet:
    case kTypeZSet2:
      return LoadZSet(type, key, expire_slot, empty);
    case kTypeListQuicklist:
    case kTypeListQuicklist2:
      return LoadQuicklist(type, key, expire_slot, empty);
    case kTypeStreamListpacks:
    case kTypeStreamListpacks2:
    case kTypeStreamListpacks3:
      return LoadStream(type, key, expire_slot);
    default:
      return LoadPacked(type, key, expire_slot, empty);
  }
}

// Sorts the elements, rejects repeated members, and builds the zset in the representation the
// limits choose.
EntryPtr RdbLoader::Impl::BuildZSet(std::string_view key, bool expire_slot,
                                    std::vector<std::pair<std::string, double>>* els,
                                    uint64_t start, bool by_count_only) {
  std::sort(els->begin(), els->end(),
            [](const auto& x, const auto& y) { return x.first < y.first; });
  for (size_t i = 1; i < els->size(); ++i) {
    if ((*els)[i].first == (*els)[i - 1].first) {
      FailAt(start, "duplicate zset member");
      return nullptr;
    }
  }
  std::sort(els->begin(), els->end(), [](const auto& x, const auto& y) {
    return ZLess(x.second, x.first, y.second, y.first);
  });
  ZSetLimits limits = limits_.zset;
  if (by_count_only) limits.max_listpack_value = kPackedValueLimit;
  return EntryPtr(
      Entry::NewObject(key, ObjType::kZSet, ZSetValue::Build(*els, limits), expire_slot));
}

EntryPtr RdbLoader::Impl::LoadZSet(uint8_t type, std::string_view key, bool expire_slot,
                                   bool* empty) {
  uint64_t start = offset_;
  uint64_t n;
  if (!Len(&n)) return nullptr;
  if (n == 0) return *empty = true, nullptr;
  std::vector<std::pair<std::string, double>> els;
  std::string m;
  for (uint64_t i = 0; i < n; ++i) {
    double score;
    if (!String(&m)) return nullptr;
    if (!(type == kTypeZSet2 ? BinaryDouble(&score) : TextDouble(&score))) return nullptr;
    els.emplace_back(std::move(m), score);
  }
  return BuildZSet(key, expire_slot, &els, start);
}

EntryPtr RdbLoader::Impl::LoadQuicklist(uint8_t type, std::string_view key, bool expire_slot,
                                        bool* empty) {
  uint64_t nodes;
  if (!Len(&nodes)) return nullptr;
  if (nodes == 0) return *empty = true, nullptr;
  EntryPtr e(Entry::NewObject(key, ObjType::kList, 0, expire_slot));
  ListValue* l = e->As<ListValue>();
  std::string blob, text;
  PackedValue v;
  for (uint64_t i = 0; i < nodes; ++i) {
    uint64_t container = kContainerPacked;
    uint64_t at = offset_;
    if (type == kTypeListQuicklist2) {
      if (!Len(&container)) return nullptr;
      if (container != kContainerPacked && container != kContainerPlain) {
        FailAt(at, "bad quicklist node container " + std::to_string(container));
        return nullptr;
      }
    }
    at = offset_;
    if (!String(&blob)) return nullptr;
    if (blob.empty()) {
      FailAt(at, "empty quicklist node");
      return nullptr;
    }
    if (container == kContainerPlain) {
      l->PushBack(blob);
      continue;
    }
    auto push_all = [&](auto& reader) {
      while (reader.Next(&v)) {
        text.clear();
        v.AppendTo(&text);
        l->PushBack(text);
      }
      if (!reader.ok()) return FailAt(at, reader.error());
      return true;
    };
    if (type == kTypeListQuicklist2) {
      ListpackReader r(blob);
      if (!push_all(r)) return nullptr;
    } else {
      ZiplistReader r(blob);
      if (!push_all(r)) return nullptr;
    }
  }
  if (l->size() == 0) return *empty = true, nullptr;  // only empty nodes: Redis skips it too
  return e;
}

// The types whose value is one string holding a packed container.
EntryPtr RdbLoader::Impl::LoadPacked(uint8_t type, std::string_view key, bool expire_slot,
                                     bool* empty) {
  uint64_t start = offset_;
  std::string blob;
  if (!String(&blob)) return nullptr;
  auto fail = [&](const std::string& why) {
    FailAt(start, why);
    return nullptr;
  };
  // Elements of a listpack or ziplist, in order, as strings.
  std::vector<std::string> items;
  auto collect = [&](auto& reader) {
    PackedValue v;
    while (reader.Next(&v)) items.push_back(v.ToString());
    return reader.ok();
  };
  switch (type) {
    case kTypeHashZipmap: {
      ZipmapReader r(blob);
      EntryPtr e(Entry::NewObject(key, ObjType::kHash, 0, expire_slot));
      std::string_view f, v;
      size_t n = 0;
      while (r.Next(&f, &v)) {
        if (!e->As<HashValue>()->Set(f, v, limits_.hash)) return fail("duplicate hash field");
        ++n;
      }
      if (!r.ok()) return fail(r.error());
      if (n == 0) return *empty = true, nullptr;
      return e;
    }
    case kTypeSetIntset: {
      std::vector<int64_t> values;
      std::string why;
      if (!ReadIntset(blob, &values, &why)) return fail(why);
      if (values.empty()) return *empty = true, nullptr;
      EntryPtr e(Entry::NewObject(key, ObjType::kSet, 0, expire_slot));
      for (int64_t v : values) e->As<SetValue>()->Add(IntText(v), limits_.max_intset);
      return e;
    }
    case kTypeListZiplist: {
      ZiplistReader r(blob);
      if (!collect(r)) return fail(r.error());
      break;
    }
    case kTypeZSetZiplist:
    case kTypeHashZiplist: {
      ZiplistReader r(blob);
      if (!collect(r)) return fail(r.error());
      break;
    }
    case kTypeHashListpack:
    case kTypeZSetListpack:
    case kTypeSetListpack: {
      ListpackReader r(blob);
      if (!r.ok()) return fail(r.error());
      if (!collect(r)) return fail(r.error());
      break;
    }
    default:
      return fail("unknown RDB value type " + std::to_string(type));
  }
  if (items.empty()) return *empty = true, nullptr;
  switch (type) {
    case kTypeListZiplist: {
      EntryPtr e(Entry::NewObject(key, ObjType::kList, 0, expire_slot));
      for (const std::string& s : items) e->As<ListValue>()->PushBack(s);
      return e;
    }
    case kTypeSetListpack: {
      EntryPtr e(Entry::NewObject(key, ObjType::kSet, 0, expire_slot));
      for (const std::string& s : items) {
        if (!e->As<SetValue>()->Add(s, limits_.max_intset)) return fail("duplicate set member");
      }
      return e;
    }
    case kTypeHashZiplist:
    case kTypeHashListpack: {
      if (items.size() % 2 != 0) return fail("hash container with an odd number of elements");
      EntryPtr e(Entry::NewObject(key, ObjType::kHash, 0, expire_slot));
      HashLimits by_count{limits_.hash.max_listpack_entries, kPackedValueLimit};
      for (size_t i = 0; i < items.size(); i += 2) {
        if (!e->As<HashValue>()->Set(items[i], items[i + 1], by_count)) {
          return fail("duplicate hash field");
        }
      }
      return e;
    }
    default: {  // zsets: member, score pairs
      if (items.size() % 2 != 0) return fail("zset container with an odd number of elements");
      std::vector<std::pair<std::string, double>> els;
      els.reserve(items.size() / 2);
      for (size_t i = 0; i < items.size(); i += 2) {
        auto score = ParseDouble(items[i + 1]);
        if (!score) return fail("bad zset score '" + items[i + 1].substr(0, 32) + "'");
        els.emplace_back(std::move(items[i]), *score);
      }
      return BuildZSet(key, expire_slot, &els, start, /*by_count_only=*/true);
    }
  }
}

EntryPtr RdbLoader::Impl::LoadStream(uint8_t type, std::string_view key, bool expire_slot) {
  uint64_t nodes;
  if (!Len(&nodes)) return nullptr;
  EntryPtr e(Entry::NewObject(key, ObjType::kStream, StreamValue::New(), expire_slot));
  Stream* s = e->As<StreamValue>()->get();
  StreamId prev;
  uint64_t live = 0;
  for (uint64_t i = 0; i < nodes; ++i) {
    if (!LoadStreamNode(s, &prev, &live)) return nullptr;
  }
  uint64_t at = offset_;
  uint64_t length;
  StreamId last, first, max_deleted;
  uint64_t added = 0;
  if (!Len(&length) || !Len(&last.ms) || !Len(&last.seq)) return nullptr;
  if (type != kTypeStreamListpacks) {
    if (!Len(&first.ms) || !Len(&first.seq) || !Len(&max_deleted.ms) || !Len(&max_deleted.seq) ||
        !Len(&added)) {
      return nullptr;
    }
  } else {
    added = length;  // Redis 5/6 kept no counters; 7.0 starts them from the length
  }
  if (length != live) {
    FailAt(at, "stream length " + std::to_string(length) + " differs from its " +
                   std::to_string(live) + " entries");
    return nullptr;
  }
  if (live > 0 && last < prev) {
    FailAt(at, "stream last id is below its last entry");
    return nullptr;
  }
  if (added < live) {
    FailAt(at, "stream entries-added is below its length");
    return nullptr;
  }
  s->set_last_id(last);
  s->set_max_deleted_id(max_deleted);
  s->set_entries_added(added);
  if (!LoadStreamGroups(type, s)) return nullptr;
  return e;
}

// One node: its 16-byte master id and a listpack of the master entry and the entries.
bool RdbLoader::Impl::LoadStreamNode(Stream* s, StreamId* prev, uint64_t* live) {
  uint64_t at = offset_;
  std::string node_key, blob;
  if (!String(&node_key)) return false;
  if (node_key.size() != 16) return FailAt(at, "stream node key is not a 16-byte id");
  StreamId master_id = DecodeStreamId(node_key.data());
  at = offset_;
  if (!String(&blob)) return false;
  ListpackReader r(blob);
  if (!r.ok()) return FailAt(at, r.error());
  PackedValue v;
  auto next_int = [&](int64_t* out) {
    if (!r.Next(&v)) return false;
    if (v.is_int) {
      *out = v.num;
      return true;
    }
    auto n = ParseInt64(v.str);
    if (!n) return false;
    *out = *n;
    return true;
  };
  auto bad = [&](const char* what) {
    return FailAt(at, r.ok() ? std::string("stream node: ") + what : r.error());
  };
  int64_t count, deleted, nmaster, zero;
  if (!next_int(&count)) return bad("empty listpack");
  if (!next_int(&deleted) || !next_int(&nmaster) || count < 0 || deleted < 0 || nmaster < 0) {
    return bad("bad master entry");
  }
  std::vector<std::string> master;
  for (int64_t i = 0; i < nmaster; ++i) {
    if (!r.Next(&v)) return bad("truncated master fields");
    master.push_back(v.ToString());
  }
  if (!next_int(&zero) || zero != 0) return bad("master entry without its terminator");
  std::vector<std::string> fields;
  std::vector<std::string_view> views;
  for (int64_t i = 0; i < count + deleted; ++i) {
    int64_t flags, ms_diff, seq_diff, nfields, lp_count;
    if (!next_int(&flags) || !next_int(&ms_diff) || !next_int(&seq_diff)) {
      return bad("truncated entry");
    }
    StreamId id{master_id.ms + uint64_t(ms_diff), master_id.seq + uint64_t(seq_diff)};
    bool same = flags & kStreamItemSameFields;
    if (same) {
      nfields = nmaster;
    } else if (!next_int(&nfields) || nfields < 0) {
      return bad("bad entry field count");
    }
    fields.clear();
    for (int64_t f = 0; f < nfields; ++f) {
      if (same) fields.push_back(master[size_t(f)]);
      if (!same) {
        if (!r.Next(&v)) return bad("truncated entry fields");
        fields.push_back(v.ToString());
      }
      if (!r.Next(&v)) return bad("truncated entry values");
      fields.push_back(v.ToString());
    }
    int64_t expected = same ? nfields + 3 : 2 * nfields + 4;
    if (!next_int(&lp_count) || lp_count != expected) return bad("entry with a wrong lp-count");
    if (flags & kStreamItemDeleted) continue;
    if (id <= *prev) return bad("entry ids not ascending (or 0-0)");
    views.assign(fields.begin(), fields.end());
    s->Append(id, views);
    *prev = id;
    ++*live;
  }
  if (r.Next(&v)) return bad("elements after the last entry");
  if (!r.ok()) return FailAt(at, r.error());
  return true;
}

bool RdbLoader::Impl::LoadStreamGroups(uint8_t type, Stream* s) {
  uint64_t groups;
  if (!Len(&groups)) return false;
  std::string name;
  for (uint64_t i = 0; i < groups; ++i) {
    uint64_t at = offset_;
    StreamId last;
    if (!String(&name) || !Len(&last.ms) || !Len(&last.seq)) return false;
    int64_t entries_read;
    if (type == kTypeStreamListpacks) {
      entries_read = s->EstimateDistanceFromFirstEverEntry(last);
    } else {
      uint64_t v;
      if (!Len(&v)) return false;
      entries_read = int64_t(v);
    }
    StreamGroup* g = s->CreateGroup(name, last, entries_read);
    if (g == nullptr) return FailAt(at, "duplicate consumer group '" + name + "'");
    // The group's PEL comes first and names no owners; each consumer then lists the ids it owns.
    uint64_t npel;
    if (!Len(&npel)) return false;
    std::map<StreamId, StreamPending> unowned;
    for (uint64_t j = 0; j < npel; ++j) {
      at = offset_;
      StreamId id;
      uint64_t time, count;
      if (!RawStreamId(&id) || !Le(8, &time) || !Len(&count)) return false;
      if (!unowned.emplace(id, StreamPending{int64_t(time), count, nullptr}).second) {
        return FailAt(at, "duplicate group PEL entry " + id.ToString());
      }
    }
    uint64_t nconsumers;
    if (!Len(&nconsumers)) return false;
    std::string cname;
    for (uint64_t j = 0; j < nconsumers; ++j) {
      at = offset_;
      uint64_t seen, active, owned;
      if (!String(&cname) || !Le(8, &seen)) return false;
      if (type == kTypeStreamListpacks3 && !Le(8, &active)) return false;  // 7.2's active-time
      bool created;
      StreamConsumer* c = g->GetOrCreateConsumer(cname, int64_t(seen), &created);
      if (!created) return FailAt(at, "duplicate consumer '" + cname + "'");
      if (!Len(&owned)) return false;
      for (uint64_t k = 0; k < owned; ++k) {
        at = offset_;
        StreamId id;
        if (!RawStreamId(&id)) return false;
        auto it = unowned.find(id);
        if (it == unowned.end()) {
          return FailAt(at, "consumer PEL entry " + id.ToString() +
                                " is not pending in its group (or has two owners)");
        }
        it->second.consumer = c;
        g->pel.insert(unowned.extract(it));
        c->pel.insert(id);
      }
    }
    if (!unowned.empty()) {
      return FailAt(offset_,
                    "group PEL entry " + unowned.begin()->first.ToString() + " has no consumer");
    }
  }
  return true;
}

Entry* RdbLoader::Impl::RunValue(std::string_view key, int version, std::string* error) {
  version_ = version;
  uint8_t type;
  bool empty = false;
  EntryPtr e;
  if (Byte(&type)) e = Load(type, key, false, &empty);
  char extra;
  if (e == nullptr || src_->Read(&extra, 1) != 0) {
    *error = e == nullptr ? (empty ? "empty collection" : error_) : "trailing bytes";
    return nullptr;
  }
  return e.release();
}

RdbLoader::RdbLoader(RdbSource* src, const RestoreLimits& limits) : src_(src), limits_(limits) {}

Entry* RdbLoader::LoadValue(std::string_view key, int version, std::string* error) {
  Impl impl(this);
  return impl.RunValue(key, version, error);
}

void RdbLoader::Fail(std::string reason) {
  if (callback_error_.empty()) callback_error_ = std::move(reason);
}

RdbLoadResult RdbLoader::Load(
    const std::function<void(int, Entry*)>& on_key,
    const std::function<void(std::string_view, std::string_view)>& on_aux) {
  callback_error_.clear();
  access_ = {};
  Impl impl(this);
  return impl.Run(on_key, on_aux);
}

}  // namespace ember
