// Streams: XADD, XRANGE, XREAD, XDEL, XTRIM, XSETID, consumer groups (XGROUP, XREADGROUP,
// XACK, XPENDING, XCLAIM, XAUTOCLAIM) and XINFO (Redis t_stream.c).

#include <cerrno>
#include <cstdlib>

#include "server/families/family_util.h"
#include "server/types/stream_value.h"

namespace ember {

namespace {

constexpr char kInvalidId[] = "Invalid stream ID specified as stream command argument";

// ---------------------------------------------------------------------------------------------
// Ids as Redis parses them

// Redis's string2ull: the strict integer form, or else whatever strtoull accepts whole
// (leading spaces, '+', a wrapping '-').
std::optional<uint64_t> ParseIdPart(std::string_view s) {
  if (auto v = ParseInt64(s)) {
    if (*v < 0) return std::nullopt;
    return uint64_t(*v);
  }
  if (s.empty()) return std::nullopt;
  std::string buf(s);
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(buf.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || *end != '\0') return std::nullopt;
  return uint64_t(v);
}

// <ms>-<seq>, <ms> (seq = missing_seq), and unless `strict` "-" / "+". With `seq_given`, also
// <ms>-* (seq 0, *seq_given false).
std::optional<StreamId> ParseId(std::string_view s, uint64_t missing_seq, bool strict,
                                bool* seq_given = nullptr) {
  if (s.size() > 127) return std::nullopt;
  if (s == "-" || s == "+") {
    if (strict) return std::nullopt;
    if (seq_given) *seq_given = true;
    return s == "-" ? StreamId::Min() : StreamId::Max();
  }
  if (seq_given) *seq_given = true;
  size_t dash = s.find('-');
  auto ms = ParseIdPart(s.substr(0, dash));
  if (!ms) return std::nullopt;
  if (dash == std::string_view::npos) return StreamId{*ms, missing_seq};
  std::string_view seq_text = s.substr(dash + 1);
  if (seq_given && seq_text == "*") {
    *seq_given = false;
    return StreamId{*ms, 0};
  }
  auto seq = ParseIdPart(seq_text);
  if (!seq) return std::nullopt;
  return StreamId{*ms, *seq};
}

bool ParseStrictId(CommandContext& ctx, std::string_view s, StreamId* out) {
  auto id = ParseId(s, 0, true);
  if (!id) {
    ctx.reply().Error(kInvalidId);
    return false;
  }
  *out = *id;
  return true;
}

// A range bound: "(" makes it exclusive (when `exclude` is given), "-" / "+" the ends.
bool ParseIntervalId(CommandContext& ctx, std::string_view s, uint64_t missing_seq, bool* exclude,
                     StreamId* out) {
  bool ex = exclude != nullptr && s.size() > 1 && s[0] == '(';
  if (exclude) *exclude = ex;
  auto id = ex ? ParseId(s.substr(1), missing_seq, true) : ParseId(s, missing_seq, false);
  if (!id) {
    ctx.reply().Error(kInvalidId);
    return false;
  }
  *out = *id;
  return true;
}

// Start and end of XRANGE / XPENDING, exclusive bounds resolved to inclusive ones.
bool ParseRange(CommandContext& ctx, std::string_view start_arg, std::string_view end_arg,
                StreamId* start, StreamId* end) {
  bool ex;
  if (!ParseIntervalId(ctx, start_arg, 0, &ex, start)) return false;
  if (ex && !start->Incr()) {
    ctx.reply().Error("invalid start ID for the interval");
    return false;
  }
  if (!ParseIntervalId(ctx, end_arg, UINT64_MAX, &ex, end)) return false;
  if (ex && !end->Decr()) {
    ctx.reply().Error("invalid end ID for the interval");
    return false;
  }
  return true;
}

bool ParseLongLong(CommandContext& ctx, std::string_view s, int64_t* out,
                   const char* err = errors::kNotInteger) {
  return ParseIntArg(ctx, s, out, err);
}

// ---------------------------------------------------------------------------------------------
// Lookup and replies

// The stream at `key`: nullptr when absent; replies WRONGTYPE and sets *stop otherwise.
Stream* FindStream(CommandContext& ctx, std::string_view key, bool* stop, bool read = true) {
  *stop = false;
  Entry* e = read ? LookupRead(ctx, key) : ctx.db().Find(key);
  if (e == nullptr) return nullptr;
  if (!CheckType(ctx, e, ObjType::kStream)) {
    *stop = true;
    return nullptr;
  }
  return e->As<StreamValue>()->get();
}

Stream* CreateStream(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.db().Put(Entry::NewObject(key, ObjType::kStream, StreamValue::New(), false));
  return e->As<StreamValue>()->get();
}

// Accounts for a stream that changed in place (streams stay even when empty).
class BytesGuard {
 public:
  BytesGuard(CommandContext& ctx, const Stream* s)
      : ctx_(ctx), s_(s), before_(s ? s->Bytes() : 0) {}
  ~BytesGuard() {
    if (s_) ctx_.keyspace().AddDataBytes(int64_t(s_->Bytes()) - int64_t(before_));
  }
  BytesGuard(const BytesGuard&) = delete;
  BytesGuard& operator=(const BytesGuard&) = delete;

 private:
  CommandContext& ctx_;
  const Stream* s_;
  size_t before_;
};

void ReplyId(CommandContext& ctx, StreamId id) { ctx.reply().Bulk(id.ToString()); }

void ReplyEntry(CommandContext& ctx, StreamId id, const StreamFields& fields) {
  ctx.reply().ArrayHeader(2);
  ReplyId(ctx, id);
  ctx.reply().ArrayHeader(size_t(2 * fields.size()));
  fields.ForEach([&](std::string_view f, std::string_view v) {
    ctx.reply().Bulk(f);
    ctx.reply().Bulk(v);
  });
}

// Replies the entries of [start, end] (at most `count`, 0 = all) as an array.
size_t ReplyRange(CommandContext& ctx, const Stream& s, StreamId start, StreamId end,
                  uint64_t count, bool rev) {
  std::vector<std::pair<StreamId, StreamFields>> found;
  s.Range(start, end, rev, [&](StreamId id, StreamFields f) {
    found.emplace_back(id, f);
    return count == 0 || found.size() < count;
  });
  ctx.reply().ArrayHeader(found.size());
  for (const auto& [id, f] : found) ReplyEntry(ctx, id, f);
  return found.size();
}

// One entry, or false when it is not in the stream.
bool ReplyOneEntry(CommandContext& ctx, const Stream& s, StreamId id) {
  bool found = false;
  s.Range(id, id, false, [&](StreamId i, StreamFields f) {
    ReplyEntry(ctx, i, f);
    found = true;
    return false;
  });
  return found;
}

std::optional<StreamId> LastValidId(const Stream& s) {
  std::optional<StreamId> last;
  s.Range(StreamId::Min(), StreamId::Max(), true, [&](StreamId id, StreamFields) {
    last = id;
    return false;
  });
  return last;
}

std::string NoGroupError(std::string_view key, std::string_view group) {
  return StrCat("-NOGROUP No such key '", key, "' or consumer group '", group, "'");
}

std::string SubcommandSyntaxError(CmdArgs args) {
  return StrCat("unknown subcommand or wrong number of arguments for '", args[1], "'. Try ",
                ToUpper(args[0]), " HELP.");
}

// The effects that reproduce a delivery or claim on a replica: the PEL entry as it is now.
void PropagateClaim(CommandContext& ctx, std::string_view key, std::string_view group_name,
                    const StreamGroup& g, StreamId id, const StreamPending& p) {
  std::string ids = id.ToString(), time = IntToString(p.delivery_time),
              count = IntToString(int64_t(p.delivery_count)), last = g.last_id.ToString();
  ctx.Propagate({"XCLAIM", key, group_name, p.consumer->name, "0", ids, "TIME", time, "RETRYCOUNT",
                 count, "FORCE", "JUSTID", "LASTID", last});
}

void PropagateAck(CommandContext& ctx, std::string_view key, std::string_view group_name,
                  StreamId id) {
  std::string ids = id.ToString();
  ctx.Propagate({"XACK", key, group_name, ids});
}

void PropagateGroupId(CommandContext& ctx, std::string_view key, std::string_view group_name,
                      const StreamGroup& g) {
  std::string id = g.last_id.ToString(), read = IntToString(g.entries_read);
  ctx.Propagate({"XGROUP", "SETID", key, group_name, id, "ENTRIESREAD", read},
                CommandContext::KeyEvent{});
}

void PropagateConsumer(CommandContext& ctx, std::string_view key, std::string_view group_name,
                       std::string_view consumer) {
  ctx.Propagate({"XGROUP", "CREATECONSUMER", key, group_name, consumer},
                CommandContext::KeyEvent{});
  ctx.Notify(Engine::kNotifyStream, "xgroup-createconsumer", key);
}

void PropagateTrim(CommandContext& ctx, std::string_view key, const Stream& s) {
  std::string len = IntToString(int64_t(s.length()));
  ctx.Propagate({"XTRIM", key, "MAXLEN", "=", len});
}

// Drops a PEL entry from its group and consumer.
void RemovePending(StreamGroup& g, std::map<StreamId, StreamPending>::iterator it) {
  if (it->second.consumer) it->second.consumer->pel.erase(it->first);
  g.pel.erase(it);
}

// ---------------------------------------------------------------------------------------------
// XADD / XTRIM

struct TrimArgs {
  Stream::TrimBy by = Stream::TrimBy::kMaxLen;
  bool has_strategy = false;
  bool approx = false;
  int64_t maxlen = 0;
  StreamId minid;
  int64_t limit = 0;
  bool limit_given = false;
  // XADD only
  bool nomkstream = false;
  bool id_given = false;
  bool seq_given = true;
  StreamId id;
};

// Parses XADD's options and id, or XTRIM's options, from args[2] on. Returns the index of the
// id argument for XADD (args.size() when there is none), 0 after replying an error.
size_t ParseAddOrTrim(CommandContext& ctx, CmdArgs args, bool xadd, TrimArgs* t) {
  size_t i = 2;
  for (; i < args.size(); ++i) {
    size_t more = args.size() - 1 - i;
    std::string_view opt = args[i];
    if (xadd && opt == "*") break;
    bool maxlen = EqualsNoCase(opt, "MAXLEN"), minid = EqualsNoCase(opt, "MINID");
    if ((maxlen || minid) && more > 0) {
      if (t->has_strategy) {
        ctx.reply().Error(
            "syntax error, MAXLEN and MINID options at the same time are not compatible");
        return 0;
      }
      t->approx = false;
      if (more >= 2 && (args[i + 1] == "~" || args[i + 1] == "=")) {
        t->approx = args[i + 1] == "~";
        ++i;
      }
      if (maxlen) {
        if (!ParseLongLong(ctx, args[i + 1], &t->maxlen)) return 0;
        if (t->maxlen < 0) {
          ctx.reply().Error("The MAXLEN argument must be >= 0.");
          return 0;
        }
        t->by = Stream::TrimBy::kMaxLen;
      } else {
        if (!ParseStrictId(ctx, args[i + 1], &t->minid)) return 0;
        t->by = Stream::TrimBy::kMinId;
      }
      ++i;
      t->has_strategy = true;
    } else if (EqualsNoCase(opt, "LIMIT") && more > 0) {
      if (!ParseLongLong(ctx, args[i + 1], &t->limit)) return 0;
      if (t->limit < 0) {
        ctx.reply().Error("The LIMIT argument must be >= 0.");
        return 0;
      }
      t->limit_given = true;
      ++i;
    } else if (xadd && EqualsNoCase(opt, "NOMKSTREAM")) {
      t->nomkstream = true;
    } else if (xadd) {
      auto id = ParseId(opt, 0, true, &t->seq_given);
      if (!id) {
        ctx.reply().Error(kInvalidId);
        return 0;
      }
      t->id = *id;
      t->id_given = true;
      break;
    } else {
      ctx.reply().Error(errors::kSyntax);
      return 0;
    }
  }
  if (t->limit != 0 && !t->has_strategy) {
    ctx.reply().Error("syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return 0;
  }
  if (!xadd && !t->has_strategy) {
    ctx.reply().Error("syntax error, XTRIM must be called with a trimming strategy");
    return 0;
  }
  if (t->limit_given) {
    if (!t->approx) {
      ctx.reply().Error("syntax error, LIMIT cannot be used without the special ~ option");
      return 0;
    }
  } else {
    t->limit = t->approx ? 100 * int64_t(Stream::kNodeMaxEntries) : 0;
  }
  return i;
}

uint64_t ApplyTrim(Stream* s, const TrimArgs& t) {
  return s->Trim(t.by, uint64_t(t.maxlen), t.minid, t.approx, uint64_t(t.limit));
}

void CmdXAdd(CmdArgs args, CommandContext& ctx) {
  TrimArgs t;
  size_t id_pos = ParseAddOrTrim(ctx, args, true, &t);
  if (id_pos == 0) return;
  size_t field_pos = id_pos + 1;
  if (field_pos > args.size() || args.size() - field_pos < 2 || (args.size() - field_pos) % 2) {
    return ctx.reply().Error("wrong number of arguments for 'xadd' command");
  }
  if (t.id_given && t.seq_given && t.id.IsZero()) {
    return ctx.reply().Error("The ID specified in XADD must be greater than 0-0");
  }
  bool stop;
  Stream* s = FindStream(ctx, args[1], &stop, false);
  if (stop) return;
  if (s == nullptr) {
    if (t.nomkstream) return ctx.reply().Null();
    s = CreateStream(ctx, args[1]);
  }
  BytesGuard guard(ctx, s);
  StreamId last = s->last_id();
  if (last == StreamId::Max()) {
    return ctx.reply().Error(
        "The stream has exhausted the last possible ID, unable to add more items");
  }
  StreamId id;
  if (!t.id_given) {
    uint64_t now = uint64_t(ctx.now_ms());
    if (now > last.ms) {
      id = {now, 0};
    } else {
      id = last;
      id.Incr();
    }
  } else if (!t.seq_given && t.id.ms == last.ms) {
    if (last.seq == UINT64_MAX) {
      return ctx.reply().Error(
          "The ID specified in XADD is equal or smaller than the target stream top item");
    }
    id = {last.ms, last.seq + 1};
  } else {
    id = t.id;
  }
  if (id <= last) {
    return ctx.reply().Error(
        "The ID specified in XADD is equal or smaller than the target stream top item");
  }
  s->Append(id, args.subspan(field_pos));
  std::string id_text = id.ToString();
  std::vector<std::string_view> effect{"XADD", args[1], id_text};
  effect.insert(effect.end(), args.begin() + field_pos, args.end());
  ctx.Propagate(effect);
  if (t.has_strategy && ApplyTrim(s, t) > 0) PropagateTrim(ctx, args[1], *s);
  ctx.reply().Bulk(id_text);
}

void CmdXTrim(CmdArgs args, CommandContext& ctx) {
  TrimArgs t;
  if (ParseAddOrTrim(ctx, args, false, &t) == 0) return;
  bool stop;
  Stream* s = FindStream(ctx, args[1], &stop, false);
  if (stop) return;
  if (s == nullptr) return ctx.reply().Integer(0);
  BytesGuard guard(ctx, s);
  uint64_t deleted = ApplyTrim(s, t);
  if (deleted > 0) PropagateTrim(ctx, args[1], *s);
  ctx.reply().Integer(int64_t(deleted));
}

// ---------------------------------------------------------------------------------------------
// XLEN, XRANGE, XREVRANGE, XDEL, XSETID

void CmdXLen(CmdArgs args, CommandContext& ctx) {
  bool stop;
  Stream* s = FindStream(ctx, args[1], &stop);
  if (stop) return;
  ctx.reply().Integer(s ? int64_t(s->length()) : 0);
}

void XRangeGeneric(CmdArgs args, CommandContext& ctx, bool rev) {
  StreamId start, end;
  if (!ParseRange(ctx, rev ? args[3] : args[2], rev ? args[2] : args[3], &start, &end)) return;
  int64_t count = -1;
  for (size_t j = 4; j < args.size(); ++j) {
    if (EqualsNoCase(args[j], "COUNT") && j + 1 < args.size()) {
      if (!ParseLongLong(ctx, args[j + 1], &count)) return;
      if (count < 0) count = 0;
      ++j;
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
  }
  bool stop;
  Stream* s = FindStream(ctx, args[1], &stop);
  if (stop) return;
  if (s == nullptr) return ctx.reply().ArrayHeader(0);
  if (count == 0) return ctx.reply().NullArray();
  ReplyRange(ctx, *s, start, end, count < 0 ? 0 : uint64_t(count), rev);
}

void CmdXRange(CmdArgs args, CommandContext& ctx) { XRangeGeneric(args, ctx, false); }
void CmdXRevRange(CmdArgs args, CommandContext& ctx) { XRangeGeneric(args, ctx, true); }

void CmdXDel(CmdArgs args, CommandContext& ctx) {
  bool stop;
  Stream* s = FindStream(ctx, args[1], &stop, false);
  if (stop) return;
  if (s == nullptr) return ctx.reply().Integer(0);
  std::vector<StreamId> ids(args.size() - 2);
  for (size_t j = 2; j < args.size(); ++j) {
    if (!ParseStrictId(ctx, args[j], &ids[j - 2])) return;
  }
  BytesGuard guard(ctx, s);
  std::vector<std::string> deleted;
  for (StreamId id : ids) {
    if (s->Delete(id)) deleted.push_back(id.ToString());
  }
  if (!deleted.empty()) {
    std::vector<std::string_view> effect{"XDEL", args[1]};
    effect.insert(effect.end(), deleted.begin(), deleted.end());
    ctx.Propagate(effect);
  }
  ctx.reply().Integer(int64_t(deleted.size()));
}

void CmdXSetId(CmdArgs args, CommandContext& ctx) {
  StreamId id, max_xdel;
  int64_t entries_added = -1;
  if (!ParseStrictId(ctx, args[2], &id)) return;
  for (size_t i = 3; i < args.size(); i += 2) {
    bool more = i + 1 < args.size();
    if (EqualsNoCase(args[i], "ENTRIESADDED") && more) {
      if (!ParseLongLong(ctx, args[i + 1], &entries_added)) return;
      if (entries_added < 0) return ctx.reply().Error("entries_added must be positive");
    } else if (EqualsNoCase(args[i], "MAXDELETEDID") && more) {
      if (!ParseStrictId(ctx, args[i + 1], &max_xdel)) return;
      if (id < max_xdel) {
        return ctx.reply().Error(
            "The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
  }
  bool stop;
  Stream* s = FindStream(ctx, args[1], &stop, false);
  if (stop) return;
  if (s == nullptr) return ctx.reply().Error(errors::kNoSuchKey);
  if (s->length() > 0) {
    if (id < *LastValidId(*s)) {
      return ctx.reply().Error(
          "The ID specified in XSETID is smaller than the target stream top item");
    }
    if (entries_added != -1 && s->length() > uint64_t(entries_added)) {
      return ctx.reply().Error(
          "The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  s->set_last_id(id);
  if (entries_added != -1) s->set_entries_added(uint64_t(entries_added));
  if (!max_xdel.IsZero()) s->set_max_deleted_id(max_xdel);
  std::string last = id.ToString(), added = IntToString(int64_t(s->entries_added())),
              maxdel = s->max_deleted_id().ToString();
  ctx.Propagate({"XSETID", args[1], last, "ENTRIESADDED", added, "MAXDELETEDID", maxdel});
  ctx.reply().Ok();
}

// ---------------------------------------------------------------------------------------------
// XREAD / XREADGROUP

// A parsed XREAD or XREADGROUP. `ids[i]` is the id entries of keys[i] must be greater than;
// StreamId::Max() stands for XREADGROUP's ">".
struct XReadRequest {
  bool group_mode = false;
  std::string_view group, consumer;
  bool noack = false;
  int64_t count = 0;   // 0: no limit
  int64_t block = -1;  // -1: no BLOCK; else ms, 0 = forever
  std::vector<std::string_view> keys;
  std::vector<StreamId> ids;
  size_t ids_at = 0;  // where the ids start in the arguments
};

// Parses and validates the request (keys, groups and ids), replying any error; false then.
bool ParseXRead(CmdArgs args, CommandContext& ctx, bool group_mode, XReadRequest* req) {
  req->group_mode = group_mode;
  size_t streams_arg = 0, streams_count = 0;
  bool have_group = false;
  for (size_t i = 1; i < args.size(); ++i) {
    size_t more = args.size() - i - 1;
    std::string_view o = args[i];
    if (EqualsNoCase(o, "BLOCK") && more) {
      ++i;
      if (!ParseLongLong(ctx, args[i], &req->block, errors::kTimeoutNotInt)) return false;
      if (req->block < 0) {
        ctx.reply().Error("timeout is negative");
        return false;
      }
    } else if (EqualsNoCase(o, "COUNT") && more) {
      ++i;
      if (!ParseLongLong(ctx, args[i], &req->count)) return false;
      if (req->count < 0) req->count = 0;
    } else if (EqualsNoCase(o, "STREAMS") && more) {
      streams_arg = i + 1;
      streams_count = args.size() - streams_arg;
      if (streams_count % 2 != 0) {
        ctx.reply().Error(
            "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
        return false;
      }
      streams_count /= 2;
      req->ids_at = streams_arg + streams_count;
      break;
    } else if (EqualsNoCase(o, "GROUP") && more >= 2) {
      if (!group_mode) {
        ctx.reply().Error(
            "The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
        return false;
      }
      req->group = args[i + 1];
      req->consumer = args[i + 2];
      have_group = true;
      i += 2;
    } else if (EqualsNoCase(o, "NOACK")) {
      if (!group_mode) {
        ctx.reply().Error(
            "The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
        return false;
      }
      req->noack = true;
    } else {
      ctx.reply().Error(errors::kSyntax);
      return false;
    }
  }
  if (streams_arg == 0) {
    ctx.reply().Error(errors::kSyntax);
    return false;
  }
  if (group_mode && !have_group) {
    ctx.reply().Error("Missing GROUP option for XREADGROUP");
    return false;
  }
  for (size_t i = 0; i < streams_count; ++i) {
    std::string_view key = args[streams_arg + i], id_arg = args[streams_arg + streams_count + i];
    bool stop;
    Stream* s = FindStream(ctx, key, &stop);
    if (stop) return false;
    if (group_mode && (s == nullptr || s->FindGroup(req->group) == nullptr)) {
      ctx.reply().Error(StrCat("-NOGROUP No such key '", key, "' or consumer group '", req->group,
                               "' in XREADGROUP with GROUP option"));
      return false;
    }
    StreamId id;
    if (id_arg == "$") {
      if (group_mode) {
        ctx.reply().Error(
            "The $ ID is meaningless in the context of XREADGROUP: you want to read the history "
            "of this consumer by specifying a proper ID, or use the > ID to get new messages. "
            "The $ ID would just return an empty result set.");
        return false;
      }
      if (s) id = s->last_id();
    } else if (id_arg == ">") {
      if (!group_mode) {
        ctx.reply().Error(
            "The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
            "<consumer> option.");
        return false;
      }
      id = StreamId::Max();
    } else if (!ParseStrictId(ctx, id_arg, &id)) {
      return false;
    }
    req->keys.push_back(key);
    req->ids.push_back(id);
  }
  return true;
}

// Delivers new entries of `s` after `after` to the group's consumer (XREADGROUP ">"): moves the
// group's last id and read counter, records PEL entries unless NOACK, and propagates that.
void DeliverNew(CommandContext& ctx, std::string_view key, const XReadRequest& req, Stream& s,
                StreamGroup& g, StreamConsumer& c, StreamId after) {
  StreamId start = after;
  start.Incr();
  std::vector<std::pair<StreamId, StreamFields>> found;
  s.Range(start, StreamId::Max(), false, [&](StreamId id, StreamFields f) {
    found.emplace_back(id, f);
    return req.count == 0 || int64_t(found.size()) < req.count;
  });
  int64_t now = ctx.now_ms();
  bool moved = false;
  ctx.reply().ArrayHeader(found.size());
  for (const auto& [id, f] : found) {
    if (id > g.last_id) {
      if (g.entries_read != kInvalidEntriesRead && !s.RangeHasTombstones(id, StreamId::Max())) {
        ++g.entries_read;
      } else if (s.entries_added() > 0) {
        g.entries_read = s.EstimateDistanceFromFirstEverEntry(id);
      }
      g.last_id = id;
      moved = true;
    }
    ReplyEntry(ctx, id, f);
    if (req.noack) continue;
    auto [it, inserted] = g.pel.try_emplace(id);
    StreamPending& p = it->second;
    if (!inserted && p.consumer) p.consumer->pel.erase(id);
    p = {now, 1, &c};
    c.pel.insert(id);
    PropagateClaim(ctx, key, req.group, g, id, p);
  }
  if (moved) PropagateGroupId(ctx, key, req.group, g);
}

// Replays the consumer's own pending entries after `after` (XREADGROUP with an id): entries
// deleted from the stream come as [id, nil].
void DeliverHistory(CommandContext& ctx, std::string_view key, const XReadRequest& req, Stream& s,
                    StreamGroup& g, StreamConsumer& c, StreamId after) {
  StreamId start = after;
  start.Incr();
  std::vector<StreamId> ids;
  for (auto it = c.pel.lower_bound(start);
       it != c.pel.end() && (req.count == 0 || int64_t(ids.size()) < req.count); ++it) {
    ids.push_back(*it);
  }
  int64_t now = ctx.now_ms();
  ctx.reply().ArrayHeader(ids.size());
  for (StreamId id : ids) {
    if (!ReplyOneEntry(ctx, s, id)) {
      ctx.reply().ArrayHeader(2);
      ReplyId(ctx, id);
      ctx.reply().NullArray();
      continue;
    }
    StreamPending& p = g.pel[id];
    p.delivery_time = now;
    ++p.delivery_count;
    PropagateClaim(ctx, key, req.group, g, id, p);
  }
}

// Serves the request with what the streams hold now. Returns false, having replied nothing,
// when there is nothing to serve; the caller then replies the timeout result (or, once the
// engine has blocked clients, blocks and calls this again when one of the keys gets an XADD).
bool ServeXRead(CommandContext& ctx, const XReadRequest& req) {
  size_t served = 0;
  size_t header_at = 0;
  std::string placeholder;
  for (size_t i = 0; i < req.keys.size(); ++i) {
    Entry* e = LookupRead(ctx, req.keys[i]);  // Redis looks every key up twice: two misses
    if (e == nullptr || e->type() != ObjType::kStream) continue;
    Stream& s = *e->As<StreamValue>()->get();
    StreamId gt = req.ids[i];
    bool serve = false, history = false;
    StreamGroup* g = nullptr;
    StreamConsumer* c = nullptr;
    if (req.group_mode) {
      g = s.FindGroup(req.group);
      if (g == nullptr) continue;
      if (gt != StreamId::Max()) {
        serve = history = true;
      } else if (s.length() > 0 && *LastValidId(s) > g->last_id) {
        serve = true;
        gt = g->last_id;
      }
    } else if (s.length() > 0 && *LastValidId(s) > gt) {
      serve = true;
    }
    if (!serve) continue;
    if (g != nullptr) {  // a consumer comes into being when it is first served
      bool created;
      c = g->GetOrCreateConsumer(req.consumer, ctx.now_ms(), &created);
      c->seen_time = ctx.now_ms();
      if (created) PropagateConsumer(ctx, req.keys[i], req.group, req.consumer);
    }
    if (served++ == 0) header_at = ctx.reply().size();
    if (!ctx.reply().resp3()) ctx.reply().ArrayHeader(2);
    ctx.reply().Bulk(req.keys[i]);
    if (!req.group_mode) {
      StreamId start = gt;
      start.Incr();
      ReplyRange(ctx, s, start, StreamId::Max(), uint64_t(req.count), false);
    } else {
      size_t before = s.Bytes();
      if (history) {
        DeliverHistory(ctx, req.keys[i], req, s, *g, *c, gt);
      } else {
        DeliverNew(ctx, req.keys[i], req, s, *g, *c, gt);
      }
      ctx.keyspace().AddDataBytes(int64_t(s.Bytes()) - int64_t(before));
    }
  }
  if (served == 0) return false;
  // The outer header goes in front of what was written, now that the count is known.
  std::string body = ctx.reply().buffer().substr(header_at);
  ctx.reply().buffer().resize(header_at);
  ctx.reply().resp3() ? ctx.reply().MapHeader(served) : ctx.reply().ArrayHeader(served);
  ctx.reply().buffer() += body;
  return true;
}

void XReadGeneric(CmdArgs args, CommandContext& ctx, bool group_mode) {
  XReadRequest req;
  if (!ParseXRead(args, ctx, group_mode, &req)) return;
  if (ServeXRead(ctx, req)) return;
  if (req.block >= 0) {
    // The wait runs the command again: '$' must keep meaning the last id of now, so the
    // command that waits names the ids it resolved to.
    std::vector<std::string> resolved(args.begin(), args.end());
    for (size_t i = 0; i < req.ids.size(); ++i) {
      if (resolved[req.ids_at + i] == "$") resolved[req.ids_at + i] = req.ids[i].ToString();
    }
    std::vector<std::string_view> waiting(resolved.begin(), resolved.end());
    int64_t deadline = req.block > 0 ? ctx.now_ms() + req.block : 0;
    if (ctx.Block(waiting, ObjType::kStream, req.keys, deadline, true)) return;
  }
  ctx.reply().NullArray();
}

void CmdXRead(CmdArgs args, CommandContext& ctx) { XReadGeneric(args, ctx, false); }
void CmdXReadGroup(CmdArgs args, CommandContext& ctx) { XReadGeneric(args, ctx, true); }

// ---------------------------------------------------------------------------------------------
// XGROUP

void CmdXGroupHelp(CmdArgs, CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Prints this help."};
  ctx.reply().ArrayHeader(std::size(kLines));
  for (auto l : kLines) ctx.reply().SimpleString(l);
}

bool ParseEntriesRead(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (!ParseLongLong(ctx, arg, out)) return false;
  if (*out < 0 && *out != kInvalidEntriesRead) {
    ctx.reply().Error("value for ENTRIESREAD must be positive or -1");
    return false;
  }
  return true;
}

constexpr char kXGroupNeedsKey[] =
    "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use "
    "the MKSTREAM option to create an empty stream automatically.";

// The stream and group an XGROUP subcommand names. Replies and returns false when the key holds
// another type or is missing (unless `may_create`), or when `need_group` and the group does not
// exist.
bool XGroupLookup(CmdArgs args, CommandContext& ctx, bool need_group, Stream** s, StreamGroup** g,
                  bool may_create = false) {
  bool stop;
  *s = FindStream(ctx, args[2], &stop, false);
  if (stop) return false;
  if (*s == nullptr && !may_create) {
    ctx.reply().Error(kXGroupNeedsKey);
    return false;
  }
  *g = *s ? (*s)->FindGroup(args[3]) : nullptr;
  if (*g == nullptr && need_group) {
    ctx.reply().Error(
        StrCat("-NOGROUP No such consumer group '", args[3], "' for key name '", args[2], "'"));
    return false;
  }
  return true;
}

void CmdXGroupCreate(CmdArgs args, CommandContext& ctx) {
  bool mkstream = false;
  int64_t entries_read = kInvalidEntriesRead;
  for (size_t i = 5; i < args.size();) {
    if (EqualsNoCase(args[i], "MKSTREAM")) {
      mkstream = true;
      ++i;
    } else if (EqualsNoCase(args[i], "ENTRIESREAD") && i + 1 < args.size()) {
      if (!ParseEntriesRead(ctx, args[i + 1], &entries_read)) return;
      i += 2;
    } else {
      return ctx.reply().Error(SubcommandSyntaxError(args));
    }
  }
  Stream* s;
  StreamGroup* g;
  if (!XGroupLookup(args, ctx, false, &s, &g, mkstream)) return;
  if (args.size() > 8) return ctx.reply().Error(SubcommandSyntaxError(args));
  StreamId id;
  if (args[4] == "$") {
    if (s) id = s->last_id();
  } else if (!ParseStrictId(ctx, args[4], &id)) {
    return;
  }
  if (s == nullptr) s = CreateStream(ctx, args[2]);
  BytesGuard guard(ctx, s);
  if (s->CreateGroup(args[3], id, entries_read) == nullptr) {
    return ctx.reply().Error("-BUSYGROUP Consumer Group name already exists");
  }
  std::string id_text = id.ToString(), read = IntToString(entries_read);
  ctx.Propagate({"XGROUP", "CREATE", args[2], args[3], id_text, "MKSTREAM", "ENTRIESREAD", read},
                CommandContext::KeyEvent{});
  ctx.Notify(Engine::kNotifyStream, "xgroup-create", args[2]);
  ctx.reply().Ok();
}

void CmdXGroupSetId(CmdArgs args, CommandContext& ctx) {
  if (args.size() != 5 && args.size() != 7) return ctx.reply().Error(SubcommandSyntaxError(args));
  Stream* s;
  StreamGroup* g;
  if (!XGroupLookup(args, ctx, true, &s, &g)) return;
  StreamId id;
  if (args[4] == "$") {
    id = s->last_id();
  } else {
    auto parsed = ParseId(args[4], 0, false);
    if (!parsed) return ctx.reply().Error(kInvalidId);
    id = *parsed;
  }
  int64_t entries_read = kInvalidEntriesRead;
  if (args.size() == 7) {
    if (!EqualsNoCase(args[5], "ENTRIESREAD")) {
      return ctx.reply().Error(SubcommandSyntaxError(args));
    }
    if (!ParseEntriesRead(ctx, args[6], &entries_read)) return;
  }
  g->last_id = id;
  g->entries_read = entries_read;
  PropagateGroupId(ctx, args[2], args[3], *g);
  ctx.Notify(Engine::kNotifyStream, "xgroup-setid", args[2]);
  ctx.reply().Ok();
}

void CmdXGroupDestroy(CmdArgs args, CommandContext& ctx) {
  Stream* s;
  StreamGroup* g;
  if (!XGroupLookup(args, ctx, false, &s, &g)) return;
  if (g == nullptr) return ctx.reply().Integer(0);
  BytesGuard guard(ctx, s);
  s->DestroyGroup(args[3]);
  ctx.Propagate({"XGROUP", "DESTROY", args[2], args[3]}, CommandContext::KeyEvent{});
  ctx.Notify(Engine::kNotifyStream, "xgroup-destroy", args[2]);
  ctx.reply().Integer(1);
}

void CmdXGroupCreateConsumer(CmdArgs args, CommandContext& ctx) {
  Stream* s;
  StreamGroup* g;
  if (!XGroupLookup(args, ctx, true, &s, &g)) return;
  BytesGuard guard(ctx, s);
  bool created;
  g->GetOrCreateConsumer(args[4], ctx.now_ms(), &created);
  if (created) PropagateConsumer(ctx, args[2], args[3], args[4]);
  ctx.reply().Integer(created ? 1 : 0);
}

void CmdXGroupDelConsumer(CmdArgs args, CommandContext& ctx) {
  Stream* s;
  StreamGroup* g;
  if (!XGroupLookup(args, ctx, true, &s, &g)) return;
  if (g->FindConsumer(args[4]) == nullptr) return ctx.reply().Integer(0);
  BytesGuard guard(ctx, s);
  size_t pending = g->DeleteConsumer(args[4]);
  ctx.Propagate({"XGROUP", "DELCONSUMER", args[2], args[3], args[4]}, CommandContext::KeyEvent{});
  ctx.Notify(Engine::kNotifyStream, "xgroup-delconsumer", args[2]);
  ctx.reply().Integer(int64_t(pending));
}

// ---------------------------------------------------------------------------------------------
// XACK, XPENDING, XCLAIM, XAUTOCLAIM

// The group `name` of the stream at `key`; replies and returns nullptr when the key holds another
// type, or (with `nogroup_error`) when key or group is missing.
StreamGroup* FindGroup(CommandContext& ctx, std::string_view key, std::string_view name, Stream** s,
                       bool* stop) {
  *s = FindStream(ctx, key, stop);
  if (*stop) return nullptr;
  return *s ? (*s)->FindGroup(name) : nullptr;
}

void CmdXAck(CmdArgs args, CommandContext& ctx) {
  Stream* s;
  bool stop;
  StreamGroup* g = FindGroup(ctx, args[1], args[2], &s, &stop);
  if (stop) return;
  if (g == nullptr) return ctx.reply().Integer(0);
  std::vector<StreamId> ids(args.size() - 3);
  for (size_t j = 3; j < args.size(); ++j) {
    if (!ParseStrictId(ctx, args[j], &ids[j - 3])) return;
  }
  BytesGuard guard(ctx, s);
  std::vector<std::string> acked;
  for (StreamId id : ids) {
    auto it = g->pel.find(id);
    if (it == g->pel.end()) continue;
    RemovePending(*g, it);
    acked.push_back(id.ToString());
  }
  if (!acked.empty()) {
    std::vector<std::string_view> effect{"XACK", args[1], args[2]};
    effect.insert(effect.end(), acked.begin(), acked.end());
    ctx.Propagate(effect);
  }
  ctx.reply().Integer(int64_t(acked.size()));
}

void CmdXPending(CmdArgs args, CommandContext& ctx) {
  bool summary = args.size() == 3;
  if (!summary && (args.size() < 6 || args.size() > 9)) return ctx.reply().Error(errors::kSyntax);
  StreamId start, end;
  int64_t count = 0, min_idle = 0;
  std::optional<std::string_view> consumer_name;
  if (args.size() >= 6) {
    size_t at = 3;
    if (EqualsNoCase(args[3], "IDLE")) {
      if (!ParseLongLong(ctx, args[4], &min_idle)) return;
      if (args.size() < 8) return ctx.reply().Error(errors::kSyntax);
      at += 2;
    }
    if (!ParseLongLong(ctx, args[at + 2], &count)) return;
    if (count < 0) count = 0;
    if (!ParseRange(ctx, args[at], args[at + 1], &start, &end)) return;
    if (at + 3 < args.size()) consumer_name = args[at + 3];
  }
  Stream* s;
  bool stop;
  StreamGroup* g = FindGroup(ctx, args[1], args[2], &s, &stop);
  if (stop) return;
  if (g == nullptr) return ctx.reply().Error(NoGroupError(args[1], args[2]));
  if (summary) {
    ctx.reply().ArrayHeader(4);
    ctx.reply().Integer(int64_t(g->pel.size()));
    if (g->pel.empty()) {
      ctx.reply().Null();
      ctx.reply().Null();
      return ctx.reply().NullArray();
    }
    ReplyId(ctx, g->pel.begin()->first);
    ReplyId(ctx, g->pel.rbegin()->first);
    size_t n = 0;
    for (const auto& [name, c] : g->consumers) n += !c->pel.empty();
    ctx.reply().ArrayHeader(n);
    for (const auto& [name, c] : g->consumers) {
      if (c->pel.empty()) continue;
      ctx.reply().ArrayHeader(2);
      ctx.reply().Bulk(name);
      ctx.reply().Bulk(IntToString(int64_t(c->pel.size())));
    }
    return;
  }
  const StreamConsumer* only = nullptr;
  if (consumer_name) {
    only = g->FindConsumer(*consumer_name);
    if (only == nullptr) return ctx.reply().ArrayHeader(0);
  }
  int64_t now = ctx.now_ms();
  struct Row {
    StreamId id;
    const StreamPending* p;
  };
  std::vector<Row> rows;
  auto visit = [&](StreamId id) {
    if (id > end || count == 0) return false;
    const StreamPending& p = g->pel.at(id);
    if (min_idle && now - p.delivery_time < min_idle) return true;
    rows.push_back({id, &p});
    --count;
    return true;
  };
  if (only) {
    for (auto it = only->pel.lower_bound(start); it != only->pel.end() && visit(*it); ++it) {
    }
  } else {
    for (auto it = g->pel.lower_bound(start); it != g->pel.end() && visit(it->first); ++it) {
    }
  }
  ctx.reply().ArrayHeader(rows.size());
  for (const Row& r : rows) {
    ctx.reply().ArrayHeader(4);
    ReplyId(ctx, r.id);
    ctx.reply().Bulk(r.p->consumer->name);
    ctx.reply().Integer(now - r.p->delivery_time);
    ctx.reply().Integer(int64_t(r.p->delivery_count));
  }
}

// Moves the PEL entry `it` to consumer `c` with the given delivery time (XCLAIM, XAUTOCLAIM).
void Reassign(StreamPending& p, StreamId id, StreamConsumer* c, int64_t delivery_time) {
  if (p.consumer != c) {
    if (p.consumer) p.consumer->pel.erase(id);
    c->pel.insert(id);
    p.consumer = c;
  }
  p.delivery_time = delivery_time;
}

// The claiming consumer, created on first use; its seen time is refreshed.
StreamConsumer* ClaimingConsumer(CommandContext& ctx, std::string_view key,
                                 std::string_view group_name, StreamGroup& g,
                                 std::string_view name) {
  bool created;
  StreamConsumer* c = g.GetOrCreateConsumer(name, ctx.now_ms(), &created);
  c->seen_time = ctx.now_ms();
  if (created) PropagateConsumer(ctx, key, group_name, name);
  return c;
}

void CmdXClaim(CmdArgs args, CommandContext& ctx) {
  Stream* s;
  bool stop;
  StreamGroup* g = FindGroup(ctx, args[1], args[2], &s, &stop);
  if (stop) return;
  if (g == nullptr) return ctx.reply().Error(NoGroupError(args[1], args[2]));
  int64_t min_idle;
  if (!ParseLongLong(ctx, args[4], &min_idle, "Invalid min-idle-time argument for XCLAIM")) return;
  if (min_idle < 0) min_idle = 0;
  std::vector<StreamId> ids;
  size_t j = 5;
  for (; j < args.size(); ++j) {
    auto id = ParseId(args[j], 0, true);
    if (!id) break;
    ids.push_back(*id);
  }
  int64_t now = ctx.now_ms();
  int64_t retrycount = -1, delivery = -1;
  bool force = false, justid = false;
  StreamId last_id;
  for (; j < args.size(); ++j) {
    bool more = j + 1 < args.size();
    std::string_view opt = args[j];
    if (EqualsNoCase(opt, "FORCE")) {
      force = true;
    } else if (EqualsNoCase(opt, "JUSTID")) {
      justid = true;
    } else if (EqualsNoCase(opt, "IDLE") && more) {
      if (!ParseLongLong(ctx, args[++j], &delivery, "Invalid IDLE option argument for XCLAIM")) {
        return;
      }
      delivery = now - delivery;
    } else if (EqualsNoCase(opt, "TIME") && more) {
      if (!ParseLongLong(ctx, args[++j], &delivery, "Invalid TIME option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsNoCase(opt, "RETRYCOUNT") && more) {
      if (!ParseLongLong(ctx, args[++j], &retrycount,
                         "Invalid RETRYCOUNT option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsNoCase(opt, "LASTID") && more) {
      if (!ParseStrictId(ctx, args[++j], &last_id)) return;
    } else {
      return ctx.reply().Error(StrCat("Unrecognized XCLAIM option '", opt, "'"));
    }
  }
  BytesGuard guard(ctx, s);
  bool propagate_last_id = false;
  if (last_id > g->last_id) {
    g->last_id = last_id;
    propagate_last_id = true;
  }
  if (delivery == -1 || delivery < 0 || delivery > now) delivery = now;
  StreamConsumer* c = nullptr;
  size_t header_at = ctx.reply().size();
  size_t claimed = 0;
  for (StreamId id : ids) {
    auto it = g->pel.find(id);
    if (!s->Contains(id)) {
      if (it != g->pel.end()) {
        RemovePending(*g, it);
        PropagateAck(ctx, args[1], args[2], id);
      }
      continue;
    }
    if (it == g->pel.end()) {
      if (!force) continue;
      it = g->pel.try_emplace(id).first;
      // A new PEL entry counts as delivered once, as Redis's streamCreateNACK starts it: FORCE
      // JUSTID without RETRYCOUNT leaves 1, FORCE alone 2.
      it->second.delivery_count = 1;
    } else if (it->second.consumer && min_idle && now - it->second.delivery_time < min_idle) {
      continue;
    }
    if (c == nullptr) c = ClaimingConsumer(ctx, args[1], args[2], *g, args[3]);
    StreamPending& p = it->second;
    Reassign(p, id, c, delivery);
    if (retrycount >= 0) {
      p.delivery_count = uint64_t(retrycount);
    } else if (!justid) {
      ++p.delivery_count;
    }
    if (justid) {
      ReplyId(ctx, id);
    } else {
      ReplyOneEntry(ctx, *s, id);
    }
    ++claimed;
    PropagateClaim(ctx, args[1], args[2], *g, id, p);
    propagate_last_id = false;
  }
  if (propagate_last_id) PropagateGroupId(ctx, args[1], args[2], *g);
  std::string body = ctx.reply().buffer().substr(header_at);
  ctx.reply().buffer().resize(header_at);
  ctx.reply().ArrayHeader(claimed);
  ctx.reply().buffer() += body;
}

void CmdXAutoClaim(CmdArgs args, CommandContext& ctx) {
  // Redis looks the key up first (a miss is a "keymiss") but checks every argument before it
  // complains about the key.
  Entry* e = LookupRead(ctx, args[1]);
  int64_t min_idle;
  if (!ParseLongLong(ctx, args[4], &min_idle, "Invalid min-idle-time argument for XAUTOCLAIM")) {
    return;
  }
  if (min_idle < 0) min_idle = 0;
  StreamId start;
  bool exclusive;
  if (!ParseIntervalId(ctx, args[5], 0, &exclusive, &start)) return;
  if (exclusive && !start.Incr()) return ctx.reply().Error("invalid start ID for the interval");
  int64_t count = 100;
  bool justid = false;
  constexpr int64_t kAttemptsFactor = 10;
  for (size_t j = 6; j < args.size(); ++j) {
    if (EqualsNoCase(args[j], "COUNT") && j + 1 < args.size()) {
      auto v = ParseInt64(args[j + 1]);
      if (!v || *v < 1 || *v > INT64_MAX / 16) return ctx.reply().Error("COUNT must be > 0");
      count = *v;
      ++j;
    } else if (EqualsNoCase(args[j], "JUSTID")) {
      justid = true;
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
  }
  if (e != nullptr && !CheckType(ctx, e, ObjType::kStream)) return;
  Stream* s = e != nullptr ? e->As<StreamValue>()->get() : nullptr;
  StreamGroup* g = s != nullptr ? s->FindGroup(args[2]) : nullptr;
  if (g == nullptr) return ctx.reply().Error(NoGroupError(args[1], args[2]));
  BytesGuard guard(ctx, s);
  int64_t attempts = count * kAttemptsFactor;
  int64_t now = ctx.now_ms();
  StreamConsumer* c = nullptr;
  std::vector<StreamId> deleted;
  std::string body;
  size_t claimed = 0;
  auto it = g->pel.lower_bound(start);
  // Replies go to a side buffer: the cursor comes first but is known only at the end.
  size_t body_at = ctx.reply().size();
  while (attempts-- > 0 && count > 0 && it != g->pel.end()) {
    StreamId id = it->first;
    if (!s->Contains(id)) {
      auto next = std::next(it);
      RemovePending(*g, it);
      PropagateAck(ctx, args[1], args[2], id);
      deleted.push_back(id);
      it = next;
      --count;
      continue;
    }
    StreamPending& p = it->second;
    if (min_idle && now - p.delivery_time < min_idle) {
      ++it;
      continue;
    }
    if (c == nullptr) c = ClaimingConsumer(ctx, args[1], args[2], *g, args[3]);
    Reassign(p, id, c, now);
    if (!justid) ++p.delivery_count;
    if (justid) {
      ReplyId(ctx, id);
    } else {
      ReplyOneEntry(ctx, *s, id);
    }
    ++claimed;
    --count;
    PropagateClaim(ctx, args[1], args[2], *g, id, p);
    ++it;
  }
  StreamId cursor = it == g->pel.end() ? StreamId::Min() : it->first;
  body = ctx.reply().buffer().substr(body_at);
  ctx.reply().buffer().resize(body_at);
  ctx.reply().ArrayHeader(3);
  ReplyId(ctx, cursor);
  ctx.reply().ArrayHeader(claimed);
  ctx.reply().buffer() += body;
  ctx.reply().ArrayHeader(deleted.size());
  for (StreamId id : deleted) ReplyId(ctx, id);
}

// ---------------------------------------------------------------------------------------------
// XINFO

void CmdXInfoHelp(CmdArgs, CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Prints this help."};
  ctx.reply().ArrayHeader(std::size(kLines));
  for (auto l : kLines) ctx.reply().SimpleString(l);
}

// The stream XINFO names, or nullptr after replying "no such key" / WRONGTYPE.
Stream* XInfoStream(CommandContext& ctx, std::string_view key) {
  bool stop;
  Stream* s = FindStream(ctx, key, &stop);
  if (stop) return nullptr;
  if (s == nullptr) ctx.reply().Error(errors::kNoSuchKey);
  return s;
}

void ReplyEntriesRead(CommandContext& ctx, const StreamGroup& g) {
  if (g.entries_read == kInvalidEntriesRead) return ctx.reply().Null();
  ctx.reply().Integer(g.entries_read);
}

void ReplyLag(CommandContext& ctx, const Stream& s, const StreamGroup& g) {
  auto lag = s.Lag(g);
  lag ? ctx.reply().Integer(*lag) : ctx.reply().Null();
}

void CmdXInfoConsumers(CmdArgs args, CommandContext& ctx) {
  Stream* s = XInfoStream(ctx, args[2]);
  if (s == nullptr) return;
  StreamGroup* g = s->FindGroup(args[3]);
  if (g == nullptr) {
    return ctx.reply().Error(
        StrCat("-NOGROUP No such consumer group '", args[3], "' for key name '", args[2], "'"));
  }
  int64_t now = ctx.now_ms();
  ctx.reply().ArrayHeader(g->consumers.size());
  for (const auto& [name, c] : g->consumers) {
    ctx.reply().MapHeader(3);
    ctx.reply().Bulk("name");
    ctx.reply().Bulk(name);
    ctx.reply().Bulk("pending");
    ctx.reply().Integer(int64_t(c->pel.size()));
    ctx.reply().Bulk("idle");
    ctx.reply().Integer(std::max<int64_t>(0, now - c->seen_time));
  }
}

void CmdXInfoGroups(CmdArgs args, CommandContext& ctx) {
  Stream* s = XInfoStream(ctx, args[2]);
  if (s == nullptr) return;
  ctx.reply().ArrayHeader(s->groups().size());
  for (const auto& [name, g] : s->groups()) {
    ctx.reply().MapHeader(6);
    ctx.reply().Bulk("name");
    ctx.reply().Bulk(name);
    ctx.reply().Bulk("consumers");
    ctx.reply().Integer(int64_t(g->consumers.size()));
    ctx.reply().Bulk("pending");
    ctx.reply().Integer(int64_t(g->pel.size()));
    ctx.reply().Bulk("last-delivered-id");
    ReplyId(ctx, g->last_id);
    ctx.reply().Bulk("entries-read");
    ReplyEntriesRead(ctx, *g);
    ctx.reply().Bulk("lag");
    ReplyLag(ctx, *s, *g);
  }
}

void CmdXInfoStream(CmdArgs args, CommandContext& ctx) {
  bool full = false;
  int64_t count = 10;
  if (args.size() > 3) {
    if (!EqualsNoCase(args[3], "FULL")) return ctx.reply().Error(SubcommandSyntaxError(args));
    full = true;
    if (args.size() > 4) {
      if (args.size() != 6 || !EqualsNoCase(args[4], "COUNT")) {
        return ctx.reply().Error(SubcommandSyntaxError(args));
      }
      if (!ParseLongLong(ctx, args[5], &count)) return;
      if (count < 0) count = 10;
    }
  }
  Stream* s = XInfoStream(ctx, args[2]);
  if (s == nullptr) return;
  ReplyBuilder& rb = ctx.reply();
  rb.MapHeader(full ? 9 : 10);
  rb.Bulk("length");
  rb.Integer(int64_t(s->length()));
  rb.Bulk("radix-tree-keys");
  rb.Integer(int64_t(s->node_count()));
  rb.Bulk("radix-tree-nodes");
  rb.Integer(int64_t(s->RadixTreeNodes()));
  rb.Bulk("last-generated-id");
  ReplyId(ctx, s->last_id());
  rb.Bulk("max-deleted-entry-id");
  ReplyId(ctx, s->max_deleted_id());
  rb.Bulk("entries-added");
  rb.Integer(int64_t(s->entries_added()));
  rb.Bulk("recorded-first-entry-id");
  ReplyId(ctx, s->first_id());
  if (!full) {
    rb.Bulk("groups");
    rb.Integer(int64_t(s->groups().size()));
    rb.Bulk("first-entry");
    bool any = false;
    s->Range(StreamId::Min(), StreamId::Max(), false, [&](StreamId id, StreamFields f) {
      ReplyEntry(ctx, id, f);
      any = true;
      return false;
    });
    if (!any) rb.Null();
    rb.Bulk("last-entry");
    any = false;
    s->Range(StreamId::Min(), StreamId::Max(), true, [&](StreamId id, StreamFields f) {
      ReplyEntry(ctx, id, f);
      any = true;
      return false;
    });
    if (!any) rb.Null();
    return;
  }
  uint64_t limit = uint64_t(count);  // 0: everything
  rb.Bulk("entries");
  ReplyRange(ctx, *s, StreamId::Min(), StreamId::Max(), limit, false);
  rb.Bulk("groups");
  rb.ArrayHeader(s->groups().size());
  for (const auto& [name, g] : s->groups()) {
    rb.MapHeader(7);
    rb.Bulk("name");
    rb.Bulk(name);
    rb.Bulk("last-delivered-id");
    ReplyId(ctx, g->last_id);
    rb.Bulk("entries-read");
    ReplyEntriesRead(ctx, *g);
    rb.Bulk("lag");
    ReplyLag(ctx, *s, *g);
    rb.Bulk("pel-count");
    rb.Integer(int64_t(g->pel.size()));
    rb.Bulk("pending");
    size_t n = limit == 0 ? g->pel.size() : std::min<size_t>(g->pel.size(), limit);
    rb.ArrayHeader(n);
    auto it = g->pel.begin();
    for (size_t i = 0; i < n; ++i, ++it) {
      rb.ArrayHeader(4);
      ReplyId(ctx, it->first);
      rb.Bulk(it->second.consumer->name);
      rb.Integer(it->second.delivery_time);
      rb.Integer(int64_t(it->second.delivery_count));
    }
    rb.Bulk("consumers");
    rb.ArrayHeader(g->consumers.size());
    for (const auto& [cname, c] : g->consumers) {
      rb.MapHeader(4);
      rb.Bulk("name");
      rb.Bulk(cname);
      rb.Bulk("seen-time");
      rb.Integer(c->seen_time);
      rb.Bulk("pel-count");
      rb.Integer(int64_t(c->pel.size()));
      rb.Bulk("pending");
      size_t m = limit == 0 ? c->pel.size() : std::min<size_t>(c->pel.size(), limit);
      rb.ArrayHeader(m);
      auto pit = c->pel.begin();
      for (size_t i = 0; i < m; ++i, ++pit) {
        const StreamPending& p = g->pel.at(*pit);
        rb.ArrayHeader(3);
        ReplyId(ctx, *pit);
        rb.Integer(p.delivery_time);
        rb.Integer(int64_t(p.delivery_count));
      }
    }
  }
}

}  // namespace

void RegisterStreamFamily(CommandRegistry* registry) {
  constexpr uint32_t kW = kWrite | kDenyOom;
  constexpr char kGroup[] = "stream";
  *registry
      << CommandId("XADD", kW | kFast, -5, 1, 1)
             .Handler(CmdXAdd)
             .Doc(kGroup, "5.0.0",
                  "Appends a new message to a stream. Creates the key if it "
                  "doesn't exist.",
                  "O(1) when adding a new entry, otherwise "
                  "O(N) where N is the number of evicted entries.")
      << CommandId("XTRIM", kWrite, -4, 1, 1)
             .Handler(CmdXTrim)
             .Doc(kGroup, "5.0.0", "Deletes messages from the beginning of a stream.",
                  "O(N), with N being the number of evicted entries.")
      << CommandId("XLEN", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdXLen)
             .Doc(kGroup, "5.0.0", "Return the number of messages in a stream.", "O(1)")
      << CommandId("XRANGE", kReadOnly, -4, 1, 1)
             .Handler(CmdXRange)
             .Doc(kGroup, "5.0.0", "Returns the messages from a stream within a range of IDs.",
                  "O(N) with N being the number of elements being returned.")
      << CommandId("XREVRANGE", kReadOnly, -4, 1, 1)
             .Handler(CmdXRevRange)
             .Doc(kGroup, "5.0.0",
                  "Returns the messages from a stream within a range of IDs in reverse order.",
                  "O(N) with N being the number of elements returned.")
      << CommandId("XDEL", kWrite | kFast, -3, 1, 1)
             .Handler(CmdXDel)
             .Doc(kGroup, "5.0.0",
                  "Returns the number of messages after removing them from a "
                  "stream.",
                  "O(1) for each single item to delete in the stream")
      << CommandId("XSETID", kW | kFast, -3, 1, 1)
             .Handler(CmdXSetId)
             .Doc(kGroup, "5.0.0", "An internal command for replicating stream values.", "O(1)")
      << CommandId("XREAD", kReadOnly | kBlocking, -4, 0, 0)
             .Handler(CmdXRead)
             .Doc(kGroup, "5.0.0",
                  "Returns messages from multiple streams with IDs greater than "
                  "the ones requested. Blocks until a message is available "
                  "otherwise.",
                  "")
      << CommandId("XREADGROUP", kWrite | kBlocking, -7, 0, 0)
             .Handler(CmdXReadGroup)
             .Doc(kGroup, "5.0.0",
                  "Returns new or historical messages from a stream for a "
                  "consumer in a group. Blocks until a message is available "
                  "otherwise.",
                  "")
      << CommandId("XACK", kWrite | kFast, -4, 1, 1)
             .Handler(CmdXAck)
             .Doc(kGroup, "5.0.0",
                  "Returns the number of messages that were successfully "
                  "acknowledged by the consumer group member of a stream.",
                  "O(1) for each message ID processed.")
      << CommandId("XPENDING", kReadOnly, -3, 1, 1)
             .Handler(CmdXPending)
             .Doc(kGroup, "5.0.0",
                  "Returns the information and entries from a stream "
                  "consumer group's pending entries list.",
                  "")
      << CommandId("XCLAIM", kWrite | kFast, -6, 1, 1)
             .Handler(CmdXClaim)
             .Doc(kGroup, "5.0.0",
                  "Changes, or acquires, ownership of a message in a consumer "
                  "group, as if the message was delivered a consumer group "
                  "member.",
                  "O(log N) with N being the number of messages in "
                  "the PEL of the consumer group.")
      << CommandId("XAUTOCLAIM", kWrite | kFast, -6, 1, 1)
             .Handler(CmdXAutoClaim)
             .Doc(kGroup, "6.2.0",
                  "Changes, or acquires, ownership of messages in a consumer "
                  "group, as if the messages were delivered to as consumer "
                  "group member.",
                  "O(1) if COUNT is small.")
      << CommandId("XGROUP", 0, -2, 0, 0)
             .Doc(kGroup, "5.0.0", "A container for consumer groups commands.",
                  "Depends on subcommand.")
             .Sub(CommandId("CREATE", kW, -5, 2, 2)
                      .Handler(CmdXGroupCreate)
                      .Doc(kGroup, "5.0.0", "Creates a consumer group.", "O(1)"))
             .Sub(CommandId("SETID", kWrite, -5, 2, 2)
                      .Handler(CmdXGroupSetId)
                      .Doc(kGroup, "5.0.0", "Sets the last-delivered ID of a consumer group.",
                           "O(1)"))
             .Sub(CommandId("DESTROY", kWrite, 4, 2, 2)
                      .Handler(CmdXGroupDestroy)
                      .Doc(kGroup, "5.0.0", "Destroys a consumer group.",
                           "O(N) where N is the number of entries in the group's pending "
                           "entries list (PEL)."))
             .Sub(CommandId("CREATECONSUMER", kW, 5, 2, 2)
                      .Handler(CmdXGroupCreateConsumer)
                      .Doc(kGroup, "6.2.0", "Creates a consumer in a consumer group.", "O(1)"))
             .Sub(CommandId("DELCONSUMER", kWrite, 5, 2, 2)
                      .Handler(CmdXGroupDelConsumer)
                      .Doc(kGroup, "5.0.0", "Deletes a consumer from a consumer group.", "O(1)"))
             .Sub(CommandId("HELP", kStale | kLoading, 2, 0, 0)
                      .Handler(CmdXGroupHelp)
                      .Doc(kGroup, "5.0.0",
                           "Returns helpful text about the different "
                           "subcommands.",
                           "O(1)"))
      << CommandId("XINFO", 0, -2, 0, 0)
             .Doc(kGroup, "5.0.0", "A container for stream introspection commands.",
                  "Depends on subcommand.")
             .Sub(CommandId("CONSUMERS", kReadOnly, 4, 2, 2)
                      .Handler(CmdXInfoConsumers)
                      .Doc(kGroup, "5.0.0", "Returns a list of the consumers in a consumer group.",
                           "O(1)"))
             .Sub(CommandId("GROUPS", kReadOnly, 3, 2, 2)
                      .Handler(CmdXInfoGroups)
                      .Doc(kGroup, "5.0.0", "Returns a list of the consumer groups of a stream.",
                           "O(1)"))
             .Sub(CommandId("STREAM", kReadOnly, -3, 2, 2)
                      .Handler(CmdXInfoStream)
                      .Doc(kGroup, "5.0.0", "Returns information about a stream.", "O(1)"))
             .Sub(CommandId("HELP", kStale | kLoading, 2, 0, 0)
                      .Handler(CmdXInfoHelp)
                      .Doc(kGroup, "5.0.0",
                           "Returns helpful text about the different "
                           "subcommands.",
                           "O(1)"));
}

}  // namespace ember
