// The AOF base written as commands (aof-use-rdb-preamble no): the dataset as the commands that
// rebuild it, in the shapes Redis 7.0's rewriteAppendOnlyFileRio emits, so that Redis 7.0 loads
// Ember's base and Ember loads Redis's.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/strings.h"
#include "server/persist/snapshot.h"
#include "server/types/hash_value.h"
#include "server/types/list_value.h"
#include "server/types/set_value.h"
#include "server/types/stream_value.h"
#include "server/types/zset_value.h"

namespace ember {

namespace {

// Redis's AOF_REWRITE_ITEMS_PER_CMD: a variadic command carries at most this many items (a list
// element, a set member, a score and its member, a field and its value), so that no single
// command of the base is huge and replaying one never needs a huge argument vector.
constexpr uint64_t kItemsPerCmd = 64;

class CommandsFormat : public ImageFormat {
 public:
  void BeginDb(int db, uint64_t /*keys*/, uint64_t /*expires*/) override { SelectDb(db); }

  void SelectDb(int db) override {
    if (db == db_) return;
    db_ = db;
    Array(2);
    Bulk("SELECT");
    BulkInt(db);
  }

  bool Key(const Entry* e, int64_t now_ms) override {
    // The same test as the keyspace's and the RDB writer's: such a key can never be read again.
    if (e->has_expire() && e->expire_ms() < now_ms) return false;
    switch (e->type()) {
      case ObjType::kString:
        Array(3);
        Bulk("SET");
        Bulk(e->key());
        if (e->is_int()) {
          BulkInt(e->int_value());
        } else {
          Bulk(e->raw_value());
        }
        break;
      case ObjType::kList:
        WriteList(e);
        break;
      case ObjType::kSet:
        WriteSet(e);
        break;
      case ObjType::kZSet:
        WriteZSet(e);
        break;
      case ObjType::kHash:
        WriteHash(e);
        break;
      case ObjType::kStream:
        WriteStream(e);
        break;
    }
    if (e->has_expire()) {
      Array(3);
      Bulk("PEXPIREAT");
      Bulk(e->key());
      BulkInt(e->expire_ms());
    }
    return true;
  }

  // A base of commands has no trailer.
  void Finish() override {}

  std::string Take() override {
    std::string out = std::move(buf_);
    buf_.clear();
    return out;
  }

 private:
  // Splits `items` items of `width` arguments each into `cmd key item...` commands of at most
  // kItemsPerCmd items. Next() goes before each item's arguments: it starts a command when the
  // previous one is full, with the exact count of what follows.
  class Batcher {
   public:
    Batcher(CommandsFormat* f, std::string_view cmd, std::string_view key, uint64_t items,
            uint64_t width)
        : f_(f), cmd_(cmd), key_(key), left_(items), width_(width) {}
    void Next() {
      if (in_cmd_ == 0) {
        in_cmd_ = std::min(left_, kItemsPerCmd);
        f_->Array(2 + in_cmd_ * width_);
        f_->Bulk(cmd_);
        f_->Bulk(key_);
      }
      --in_cmd_;
      --left_;
    }

   private:
    CommandsFormat* f_;
    std::string_view cmd_, key_;
    uint64_t left_, width_;
    uint64_t in_cmd_ = 0;  // items the current command still expects
  };

  void Array(uint64_t n) {
    buf_ += '*';
    Decimal(n);
    buf_ += "\r\n";
  }
  void Bulk(std::string_view s) {
    buf_ += '$';
    Decimal(s.size());
    buf_ += "\r\n";
    buf_.append(s);
    buf_ += "\r\n";
  }
  void BulkInt(int64_t v) {
    char text[24];
    Bulk(std::string_view(text, std::to_chars(text, text + sizeof(text), v).ptr));
  }
  void BulkId(StreamId id) {
    char text[48];
    char* p = std::to_chars(text, text + 24, id.ms).ptr;
    *p++ = '-';
    p = std::to_chars(p, text + sizeof(text), id.seq).ptr;
    Bulk(std::string_view(text, p));
  }
  void Decimal(uint64_t v) {
    char text[24];
    buf_.append(text, std::to_chars(text, text + sizeof(text), v).ptr);
  }

  void WriteList(const Entry* e) {
    const ListValue* l = e->As<ListValue>();
    if (l->size() == 0) return;
    Batcher batch(this, "RPUSH", e->key(), l->size(), 1);
    l->ForRange(0, l->size() - 1, [&](size_t, std::string_view v) {
      batch.Next();
      Bulk(v);
    });
  }

  void WriteSet(const Entry* e) {
    const SetValue* s = e->As<SetValue>();
    Batcher batch(this, "SADD", e->key(), s->size(), 1);
    s->ForEach([&](std::string_view m) {
      batch.Next();
      Bulk(m);
    });
  }

  void WriteZSet(const Entry* e) {
    const ZSetValue* z = e->As<ZSetValue>();
    Batcher batch(this, "ZADD", e->key(), z->size(), 2);
    z->Visit(0, z->size(), false, [&](std::string_view m, double score) {
      batch.Next();
      // "%.17g" ("inf", "-inf", "-0" spelled out), as Redis writes scores: ZADD parses it back
      // to the same double.
      Bulk(FormatDouble(score));
      Bulk(m);
    });
  }

  void WriteHash(const Entry* e) {
    const HashValue* h = e->As<HashValue>();
    Batcher batch(this, "HMSET", e->key(), h->size(), 2);
    h->ForEach([&](std::string_view f, std::string_view v) {
      batch.Next();
      Bulk(f);
      Bulk(v);
    });
  }

  // XADD for every live entry (or an XADD that trims itself away, for an empty stream), XSETID
  // for the counters the XADDs cannot set, then the groups: XGROUP CREATE with last-delivered-id
  // and entries-read, an XCLAIM ... FORCE per pending entry, which also creates its consumer
  // with the delivery time and count, and XGROUP CREATECONSUMER for a consumer with nothing
  // pending. Consumers' seen-times are not carried (the commands set them to the load time), as
  // in Redis 7.0.
  void WriteStream(const Entry* e) {
    const Stream& s = *e->As<StreamValue>()->get();
    std::string_view key = e->key();
    if (s.length() > 0) {
      s.Range(StreamId::Min(), StreamId::Max(), false, [&](StreamId id, StreamFields fields) {
        Array(3 + 2 * fields.size());
        Bulk("XADD");
        Bulk(key);
        BulkId(id);
        fields.ForEach([&](std::string_view f, std::string_view v) {
          Bulk(f);
          Bulk(v);
        });
        return true;
      });
    } else {
      // The smallest valid id, whatever last-id is: XSETID below may move last-id back to 0-0
      // since the stream is empty (a stream made by XGROUP CREATE ... MKSTREAM has last-id 0-0).
      Array(7);
      Bulk("XADD");
      Bulk(key);
      Bulk("MAXLEN");
      Bulk("0");
      Bulk("0-1");
      Bulk("x");
      Bulk("y");
    }
    Array(7);
    Bulk("XSETID");
    Bulk(key);
    BulkId(s.last_id());
    Bulk("ENTRIESADDED");
    BulkInt(int64_t(s.entries_added()));
    Bulk("MAXDELETEDID");
    BulkId(s.max_deleted_id());

    for (const auto& [name, g] : s.groups()) {
      Array(7);
      Bulk("XGROUP");
      Bulk("CREATE");
      Bulk(key);
      Bulk(name);
      BulkId(g->last_id);
      Bulk("ENTRIESREAD");
      BulkInt(g->entries_read);
      for (const auto& [cname, c] : g->consumers) {
        bool claimed = false;
        for (StreamId id : c->pel) {
          auto p = g->pel.find(id);
          // XCLAIM drops a pending entry whose stream entry was deleted instead of claiming it
          // (Redis 7.0 too), so no command carries such an entry: the image leaves it out.
          // Redis's rewrite then loses its consumer too when that had nothing else pending;
          // here the consumer is still created, below.
          if (p == g->pel.end() || !s.Contains(id)) continue;
          Array(12);
          Bulk("XCLAIM");
          Bulk(key);
          Bulk(name);
          Bulk(cname);
          Bulk("0");
          BulkId(id);
          Bulk("TIME");
          BulkInt(p->second.delivery_time);
          Bulk("RETRYCOUNT");
          BulkInt(int64_t(p->second.delivery_count));
          Bulk("JUSTID");
          Bulk("FORCE");
          claimed = true;
        }
        if (claimed) continue;
        Array(5);
        Bulk("XGROUP");
        Bulk("CREATECONSUMER");
        Bulk(key);
        Bulk(name);
        Bulk(cname);
      }
    }
  }

  std::string buf_;
  int db_ = -1;  // the db of the last SELECT written
};

}  // namespace

std::unique_ptr<ImageFormat> AofCommandsImage() { return std::make_unique<CommandsFormat>(); }

}  // namespace ember
