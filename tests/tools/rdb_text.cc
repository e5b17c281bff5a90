#include "tests/tools/rdb_text.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "server/types/hash_value.h"
#include "server/types/list_value.h"
#include "server/types/set_value.h"
#include "server/types/stream_value.h"
#include "server/types/zset_value.h"

namespace ember {

namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      out.push_back(char(c));
    } else {
      char buf[5];
      snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  return out + "\"";
}

std::string Score(double d) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

std::string_view EncodingOf(const Entry* e) {
  switch (e->type()) {
    case ObjType::kString:
      return e->is_int() ? "int" : e->str_encoding() == Entry::StrEnc::kEmbstr ? "embstr" : "raw";
    case ObjType::kList:
      return "quicklist";
    case ObjType::kSet:
      return e->As<SetValue>()->encoding() == SetValue::Encoding::kIntset ? "intset" : "hashtable";
    case ObjType::kZSet:
      return e->As<ZSetValue>()->encoding() == ZSetValue::Encoding::kListpack ? "listpack"
                                                                              : "skiplist";
    case ObjType::kHash:
      return e->As<HashValue>()->encoding() == HashValue::Encoding::kListpack ? "listpack"
                                                                              : "hashtable";
    case ObjType::kStream:
      return "stream";
  }
  return "unknown";
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ",";
    out += parts[i];
  }
  return out;
}

std::string StreamText(const Stream& s) {
  std::vector<std::string> entries;
  s.Range(StreamId::Min(), StreamId::Max(), false, [&](StreamId id, StreamFields fields) {
    std::vector<std::string> fv;
    fields.ForEach([&](std::string_view f, std::string_view v) {
      fv.push_back(Quote(f));
      fv.push_back(Quote(v));
    });
    entries.push_back(id.ToString() + "[" + Join(fv) + "]");
    return true;
  });
  std::vector<std::string> groups;
  for (const auto& [name, g] : s.groups()) {
    std::vector<std::string> pel, consumers;
    for (const auto& [id, p] : g->pel) {
      pel.push_back(id.ToString() + ":" + Quote(p.consumer->name) + ":" +
                    std::to_string(p.delivery_time) + ":" + std::to_string(p.delivery_count));
    }
    for (const auto& [cname, c] : g->consumers) {
      std::vector<std::string> ids;
      for (StreamId id : c->pel) ids.push_back(id.ToString());
      consumers.push_back(Quote(cname) + ":" + std::to_string(c->seen_time) + "[" + Join(ids) +
                          "]");
    }
    groups.push_back(Quote(name) + "{last=" + g->last_id.ToString() +
                     " read=" + std::to_string(g->entries_read) + " pel=[" + Join(pel) +
                     "] consumers=[" + Join(consumers) + "]}");
  }
  return "{entries=[" + Join(entries) + "] last=" + s.last_id().ToString() +
         " first=" + s.first_id().ToString() + " maxdel=" + s.max_deleted_id().ToString() +
         " added=" + std::to_string(s.entries_added()) + " groups=[" + Join(groups) + "]}";
}

std::string ValueText(const Entry* e) {
  switch (e->type()) {
    case ObjType::kString:
      return Quote(e->StringValue());
    case ObjType::kList: {
      const ListValue* l = e->As<ListValue>();
      std::vector<std::string> items;
      if (l->size() > 0) {
        l->ForRange(0, l->size() - 1,
                    [&](size_t, std::string_view v) { items.push_back(Quote(v)); });
      }
      return "[" + Join(items) + "]";
    }
    case ObjType::kSet: {
      std::vector<std::string> members;
      e->As<SetValue>()->ForEach([&](std::string_view m) { members.emplace_back(m); });
      std::sort(members.begin(), members.end());
      for (auto& m : members) m = Quote(m);
      return "{" + Join(members) + "}";
    }
    case ObjType::kZSet: {
      const ZSetValue* z = e->As<ZSetValue>();
      std::vector<std::string> items;
      z->Visit(0, z->size(), false, [&](std::string_view m, double score) {
        items.push_back(Quote(m) + "=" + Score(score));
      });
      return "[" + Join(items) + "]";
    }
    case ObjType::kHash: {
      std::map<std::string, std::string> fields;
      e->As<HashValue>()->ForEach(
          [&](std::string_view f, std::string_view v) { fields.emplace(f, v); });
      std::vector<std::string> items;
      for (const auto& [f, v] : fields) items.push_back(Quote(f) + ":" + Quote(v));
      return "{" + Join(items) + "}";
    }
    case ObjType::kStream:
      return StreamText(*e->As<StreamValue>()->get());
  }
  return "?";
}

}  // namespace

std::string KeyLine(int db, const Entry* e) {
  return std::to_string(db) + " " + Quote(e->key()) + " " + std::string(ObjTypeName(e->type())) +
         " " + std::string(EncodingOf(e)) + " " +
         std::to_string(e->has_expire() ? e->expire_ms() : -1) + " " + ValueText(e);
}

}  // namespace ember
