// Keys, expiry and databases: DEL, EXISTS, KEYS, SCAN, RENAME, COPY, EXPIRE ..., SELECT,
// FLUSHDB (Redis db.c, expire.c, object.c).

#include <cerrno>
#include <cstdlib>

#include "server/families/family_util.h"
#include "server/persist/aof.h"
#include "server/types/dump.h"
#include "server/types/hash_value.h"
#include "server/types/set_value.h"
#include "server/types/zset_value.h"

namespace ember {

namespace {

// Redis's getIntFromObjectOrReply: an int64 that fits in a C int.
bool ParseDbIndex(CommandContext& ctx, std::string_view arg, int* out,
                  const char* err = errors::kNotInteger) {
  auto v = ParseInt64(arg);
  if (!v || *v < INT32_MIN || *v > INT32_MAX) {
    ctx.reply().Error(err);
    return false;
  }
  *out = int(*v);
  return true;
}

bool ValidDb(CommandContext& ctx, int index) {
  return index >= 0 && index < ctx.keyspace().num_dbs();
}

// ---------------------------------------------------------------------------------------------
// Keys

void DelGeneric(CmdArgs args, CommandContext& ctx) {
  Db& db = ctx.db();
  std::vector<std::string_view> effect{"DEL"};
  for (size_t i = 1; i < args.size(); ++i) {
    if (db.Delete(args[i])) effect.push_back(args[i]);
  }
  if (effect.size() > 1) ctx.Propagate(effect);
  ctx.reply().Integer(int64_t(effect.size() - 1));
}

void CmdDel(CmdArgs args, CommandContext& ctx) { DelGeneric(args, ctx); }

void CmdExists(CmdArgs args, CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < args.size(); ++i)
    n += LookupRead(ctx, args[i], /*touch=*/false) != nullptr;
  ctx.reply().Integer(n);
}

void CmdTouch(CmdArgs args, CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < args.size(); ++i) n += LookupRead(ctx, args[i]) != nullptr;
  ctx.reply().Integer(n);
}

void CmdType(CmdArgs args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1], /*touch=*/false);
  ctx.reply().SimpleString(e == nullptr ? "none" : ObjTypeName(e->type()));
}

void CmdKeys(CmdArgs args, CommandContext& ctx) {
  std::string_view pattern = args[1];
  bool all = pattern == "*";
  Db& db = ctx.db();
  std::vector<std::string_view> keys;
  db.ForEach([&](Entry* e) {
    if (db.IsExpired(e)) return;
    std::string_view k = e->key();
    if (all || GlobMatch(pattern, k)) keys.push_back(k);
  });
  ctx.reply().ArrayHeader(keys.size());
  for (auto k : keys) ctx.reply().Bulk(k);
}

void CmdScan(CmdArgs args, CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx, args[1], &cursor)) return;
  ScanOptions opts;
  if (!ParseScanOptions(ctx, args, 2, /*allow_type=*/true, &opts)) return;
  Db& db = ctx.db();
  std::vector<std::string> keys;
  int64_t max_iterations = opts.count * 10;
  do {
    cursor = db.Scan(cursor, [&](Entry* e) { keys.emplace_back(e->key()); });
  } while (cursor != 0 && max_iterations-- > 0 && int64_t(keys.size()) < opts.count);

  std::vector<std::string_view> out;
  for (const auto& k : keys) {
    if (opts.use_pattern && !GlobMatch(opts.pattern, k)) continue;
    Entry* e = db.FindNoTouch(k);  // deletes it if it expired, as Redis's SCAN does
    if (e == nullptr) continue;
    if (opts.type && !EqualsNoCase(*opts.type, ObjTypeName(e->type()))) continue;
    out.push_back(k);
  }
  ctx.reply().ArrayHeader(2);
  ctx.reply().Bulk(std::to_string(cursor));
  ctx.reply().ArrayHeader(out.size());
  for (auto k : out) ctx.reply().Bulk(k);
}

void CmdRandomKey(CmdArgs, CommandContext& ctx) {
  Entry* e = ctx.db().RandomEntry();
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Bulk(e->key());
}

void RenameGeneric(CmdArgs args, CommandContext& ctx, bool nx) {
  std::string_view src = args[1], dst = args[2];
  Db& db = ctx.db();
  Entry* e = db.Find(src);
  if (e == nullptr) return ctx.reply().Error(errors::kNoSuchKey);
  if (src == dst) return nx ? ctx.reply().Integer(0) : ctx.reply().Ok();
  if (db.Find(dst) != nullptr && nx) return ctx.reply().Integer(0);
  Entry* moved = db.Detach(src);
  db.Delete(dst);  // so that the renamed key is announced as "new", as in Redis
  db.Put(Entry::Rekey(moved, dst, moved->has_expire()));
  ctx.Propagate({"RENAME", src, dst});
  nx ? ctx.reply().Integer(1) : ctx.reply().Ok();
}

void CmdRename(CmdArgs args, CommandContext& ctx) { RenameGeneric(args, ctx, false); }
void CmdRenameNx(CmdArgs args, CommandContext& ctx) { RenameGeneric(args, ctx, true); }

void CmdCopy(CmdArgs args, CommandContext& ctx) {
  std::string_view src = args[1], dst = args[2];
  int src_db = ctx.client().db, dst_db = src_db;
  bool replace = false;
  for (size_t j = 3; j < args.size(); ++j) {
    size_t additional = args.size() - j - 1;
    if (EqualsNoCase(args[j], "REPLACE")) {
      replace = true;
    } else if (EqualsNoCase(args[j], "DB") && additional > 0) {
      if (!ParseDbIndex(ctx, args[j + 1], &dst_db)) return;
      if (!ValidDb(ctx, dst_db)) return ctx.reply().Error(errors::kDbIndex);
      ++j;
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
  }
  if (src_db == dst_db && src == dst) return ctx.reply().Error(errors::kSameObject);
  Entry* e = LookupRead(ctx, src);
  if (e == nullptr) return ctx.reply().Integer(0);
  Db& target = ctx.keyspace().db(dst_db);
  if (target.Find(dst) != nullptr) {
    if (!replace) return ctx.reply().Integer(0);
    target.Delete(dst);
  }
  target.Put(Entry::CloneWithKey(e, dst, e->has_expire()));
  ctx.engine().TouchKey(dst_db, dst);
  std::vector<std::string_view> effect(args.begin(), args.end());
  ctx.Propagate(effect, CommandContext::KeyEvent{});
  ctx.engine().Notify(Engine::kNotifyGeneric, "copy_to", dst_db, dst);
  ctx.reply().Integer(1);
}

void CmdMove(CmdArgs args, CommandContext& ctx) {
  int dst_db;
  if (!ParseDbIndex(ctx, args[2], &dst_db)) return;
  if (!ValidDb(ctx, dst_db)) return ctx.reply().Error(errors::kDbIndex);
  if (dst_db == ctx.client().db) return ctx.reply().Error(errors::kSameObject);
  Db& db = ctx.db();
  Entry* e = db.Find(args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  Db& target = ctx.keyspace().db(dst_db);
  if (target.Find(args[1]) != nullptr) return ctx.reply().Integer(0);
  target.Put(db.Detach(args[1]));
  ctx.engine().TouchKey(dst_db, args[1]);
  ctx.Propagate({"MOVE", args[1], args[2]}, {{Engine::kNotifyGeneric, "move_from"}});
  ctx.engine().Notify(Engine::kNotifyGeneric, "move_to", dst_db, args[1]);
  ctx.reply().Integer(1);
}

// ---------------------------------------------------------------------------------------------
// Expiry

enum ExpireFlags { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: `unit_ms` 1000 or 1, `relative` adds now.
void ExpireGeneric(CmdArgs args, CommandContext& ctx, int64_t unit_ms, bool relative) {
  int flags = 0;
  for (size_t j = 3; j < args.size(); ++j) {
    std::string_view opt = args[j];
    if (EqualsNoCase(opt, "NX")) {
      flags |= kNx;
    } else if (EqualsNoCase(opt, "XX")) {
      flags |= kXx;
    } else if (EqualsNoCase(opt, "GT")) {
      flags |= kGt;
    } else if (EqualsNoCase(opt, "LT")) {
      flags |= kLt;
    } else {
      return ctx.reply().Error("Unsupported option " + std::string(opt));
    }
  }
  if ((flags & kNx) && (flags & (kXx | kGt | kLt))) return ctx.reply().Error(errors::kNxXx);
  if ((flags & kGt) && (flags & kLt)) {
    return ctx.reply().Error("GT and LT options at the same time are not compatible");
  }
  int64_t when;
  if (!ParseIntArg(ctx, args[2], &when)) return;
  std::string err = "invalid expire time in '" + ctx.cmd().FullName() + "' command";
  if (unit_ms == 1000) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) return ctx.reply().Error(err);
    when *= 1000;
  }
  int64_t base = relative ? ctx.now_ms() : 0;
  if (when > INT64_MAX - base) return ctx.reply().Error(err);
  when += base;

  std::string_view key = args[1];
  Db& db = ctx.db();
  Entry* e = db.Find(key);
  if (e == nullptr) return ctx.reply().Integer(0);
  int64_t current = e->has_expire() ? e->expire_ms() : -1;
  if ((flags & kNx) && current != -1) return ctx.reply().Integer(0);
  if ((flags & kXx) && current == -1) return ctx.reply().Integer(0);
  if ((flags & kGt) && (when <= current || current == -1)) return ctx.reply().Integer(0);
  if ((flags & kLt) && current != -1 && when >= current) return ctx.reply().Integer(0);

  if (when <= ctx.now_ms() && ctx.keyspace().expire_on_access()) {
    db.Delete(key);
    ctx.Propagate({"DEL", key});
  } else {
    db.SetExpire(e, when);
    std::string ms = IntToString(when);
    ctx.Propagate({"PEXPIREAT", key, ms});
  }
  ctx.reply().Integer(1);
}

void CmdExpire(CmdArgs a, CommandContext& c) { ExpireGeneric(a, c, 1000, true); }
void CmdPExpire(CmdArgs a, CommandContext& c) { ExpireGeneric(a, c, 1, true); }
void CmdExpireAt(CmdArgs a, CommandContext& c) { ExpireGeneric(a, c, 1000, false); }
void CmdPExpireAt(CmdArgs a, CommandContext& c) { ExpireGeneric(a, c, 1, false); }

// TTL, PTTL, EXPIRETIME, PEXPIRETIME.
void TtlGeneric(CmdArgs args, CommandContext& ctx, bool ms, bool absolute) {
  Entry* e = LookupRead(ctx, args[1], /*touch=*/false);
  if (e == nullptr) return ctx.reply().Integer(-2);
  if (!e->has_expire()) return ctx.reply().Integer(-1);
  int64_t ttl = absolute ? e->expire_ms() : e->expire_ms() - ctx.now_ms();
  if (ttl < 0) ttl = 0;
  ctx.reply().Integer(ms ? ttl : (ttl + 500) / 1000);
}

void CmdTtl(CmdArgs a, CommandContext& c) { TtlGeneric(a, c, false, false); }
void CmdPTtl(CmdArgs a, CommandContext& c) { TtlGeneric(a, c, true, false); }
void CmdExpireTime(CmdArgs a, CommandContext& c) { TtlGeneric(a, c, false, true); }
void CmdPExpireTime(CmdArgs a, CommandContext& c) { TtlGeneric(a, c, true, true); }

void CmdPersist(CmdArgs args, CommandContext& ctx) {
  Entry* e = ctx.db().Find(args[1]);
  if (e == nullptr || !e->has_expire()) return ctx.reply().Integer(0);
  ctx.db().Persist(e);
  ctx.Propagate({"PERSIST", args[1]});
  ctx.reply().Integer(1);
}

// ---------------------------------------------------------------------------------------------
// DUMP / RESTORE

void CmdDump(CmdArgs args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1]);
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Bulk(DumpValue(e, ctx.engine().persistence().compress()));
}

void CmdRestore(CmdArgs args, CommandContext& ctx) {
  bool replace = false, absttl = false;
  int64_t idle = -1, freq = -1;
  for (size_t j = 4; j < args.size(); ++j) {
    size_t additional = args.size() - j - 1;
    if (EqualsNoCase(args[j], "REPLACE")) {
      replace = true;
    } else if (EqualsNoCase(args[j], "ABSTTL")) {
      absttl = true;
    } else if (EqualsNoCase(args[j], "IDLETIME") && additional >= 1 && freq == -1) {
      if (!ParseIntArg(ctx, args[++j], &idle)) return;
      if (idle < 0) return ctx.reply().Error("Invalid IDLETIME value, must be >= 0");
    } else if (EqualsNoCase(args[j], "FREQ") && additional >= 1 && idle == -1) {
      if (!ParseIntArg(ctx, args[++j], &freq)) return;
      if (freq < 0 || freq > 255) {
        return ctx.reply().Error("Invalid FREQ value, must be >= 0 and <= 255");
      }
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
  }
  std::string_view key = args[1];
  Db& db = ctx.db();
  if (!replace && db.Find(key) != nullptr) {
    return ctx.reply().Error("-BUSYKEY Target key name already exists.");
  }
  int64_t ttl;
  if (!ParseIntArg(ctx, args[2], &ttl)) return;
  if (ttl < 0) return ctx.reply().Error("Invalid TTL value, must be >= 0");
  std::string error;
  Entry* e = RestoreValue(key, args[3], ctx.engine().value_limits(), &error);
  if (e == nullptr) return ctx.reply().Error(error);
  bool deleted = replace && db.Delete(key);
  if (ttl > 0 && !absttl) ttl += ctx.now_ms();
  // Already expired: nothing to create. Not so on a replica or while the AOF is replayed,
  // where the key was live when the effect was logged and the log's own DEL removes it.
  if (ttl > 0 && ttl <= ctx.now_ms() && ctx.keyspace().expire_on_access()) {
    Entry::Free(e);
    if (deleted) ctx.Propagate({"DEL", key});
    return ctx.reply().Ok();
  }
  e = db.Put(e);
  if (ttl > 0) e = db.SetExpire(e, ttl);
  if (idle >= 0 && !ctx.keyspace().lfu()) {
    e->set_access_clock(uint32_t(std::max<int64_t>(0, ctx.now_ms() / 1000 - idle)));
  }
  std::string abs = IntToString(ttl);
  ctx.Propagate({"RESTORE", key, abs, args[3], "ABSTTL", "REPLACE"});
  ctx.reply().Ok();
}

// ---------------------------------------------------------------------------------------------
// OBJECT

std::string_view EncodingName(const Entry* e) {
  switch (e->type()) {
    case ObjType::kString:
      switch (e->str_encoding()) {
        case Entry::StrEnc::kInt:
          return "int";
        case Entry::StrEnc::kEmbstr:
          return "embstr";
        case Entry::StrEnc::kRaw:
          return "raw";
      }
      break;
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
    default:
      break;
  }
  return "unknown";
}

void CmdObjectEncoding(CmdArgs args, CommandContext& ctx) {
  Entry* e = ctx.db().FindNoTouch(args[2]);
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Bulk(EncodingName(e));
}

void CmdObjectRefcount(CmdArgs args, CommandContext& ctx) {
  Entry* e = ctx.db().FindNoTouch(args[2]);
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Integer(1);
}

void CmdObjectIdletime(CmdArgs args, CommandContext& ctx) {
  Entry* e = ctx.db().FindNoTouch(args[2]);
  if (e == nullptr) return ctx.reply().Null();
  if (ctx.keyspace().lfu()) {
    return ctx.reply().Error(
        "An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
  }
  ctx.reply().Integer(int64_t(ctx.keyspace().IdleMs(e) / 1000));
}

void CmdObjectFreq(CmdArgs args, CommandContext& ctx) {
  Entry* e = ctx.db().FindNoTouch(args[2]);
  if (e == nullptr) return ctx.reply().Null();
  if (!ctx.keyspace().lfu()) {
    return ctx.reply().Error(
        "An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time "
        "to adjust.");
  }
  ctx.reply().Integer(ctx.keyspace().LfuCounter(e));
}

void CmdObjectHelp(CmdArgs, CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Print this help."};
  ctx.reply().ArrayHeader(std::size(kLines));
  for (auto l : kLines) ctx.reply().SimpleString(l);
}

// ---------------------------------------------------------------------------------------------
// Databases

void CmdSelect(CmdArgs args, CommandContext& ctx) {
  int index;
  if (!ParseDbIndex(ctx, args[1], &index)) return;
  if (!ValidDb(ctx, index)) return ctx.reply().Error(errors::kDbIndex);
  ctx.client().db = index;
  ctx.reply().Ok();
}

void CmdDbSize(CmdArgs, CommandContext& ctx) { ctx.reply().Integer(int64_t(ctx.db().size())); }

bool ParseFlushMode(CmdArgs args, CommandContext& ctx) {
  if (args.size() > 2) {
    ctx.reply().Error(errors::kSyntax);
    return false;
  }
  if (args.size() == 2 && !EqualsNoCase(args[1], "SYNC") && !EqualsNoCase(args[1], "ASYNC")) {
    ctx.reply().Error(errors::kSyntax);
    return false;
  }
  return true;
}

void CmdFlushDb(CmdArgs args, CommandContext& ctx) {
  if (!ParseFlushMode(args, ctx)) return;
  ctx.engine().TouchWatchedKeysIn(ctx.client().db);
  ctx.db().Clear();
  ctx.Propagate({"FLUSHDB"});
  ctx.reply().Ok();
}

void CmdFlushAll(CmdArgs args, CommandContext& ctx) {
  if (!ParseFlushMode(args, ctx)) return;
  // As Redis: a background save in progress is dropped, and with save rules the now empty
  // dataset is saved at once (the changes still count as unsaved, for replicas and the AOF).
  Persistence& persistence = ctx.engine().persistence();
  persistence.AbortBackground();
  ctx.engine().aof().RestartRewrite();
  for (int i = 0; i < ctx.keyspace().num_dbs(); ++i) {
    ctx.engine().TouchWatchedKeysIn(i);
    ctx.keyspace().db(i).Clear();
  }
  ctx.Propagate({"FLUSHALL"});
  if (persistence.has_save_rules()) {
    std::string error;
    persistence.Save(&error, /*count_as_saved=*/false);
  }
  ctx.reply().Ok();
}

void CmdSwapDb(CmdArgs args, CommandContext& ctx) {
  int a, b;
  if (!ParseDbIndex(ctx, args[1], &a, "invalid first DB index")) return;
  if (!ParseDbIndex(ctx, args[2], &b, "invalid second DB index")) return;
  if (!ValidDb(ctx, a) || !ValidDb(ctx, b)) return ctx.reply().Error(errors::kDbIndex);
  if (a != b) {
    ctx.engine().TouchWatchedKeysIn(a);
    ctx.engine().TouchWatchedKeysIn(b);
    ctx.keyspace().db(a).SwapWith(ctx.keyspace().db(b));
    ctx.engine().TouchWatchedKeysIn(a);
    ctx.engine().TouchWatchedKeysIn(b);
  }
  ctx.Propagate({"SWAPDB", args[1], args[2]});
  ctx.reply().Ok();
}

}  // namespace

bool ParseScanCursor(CommandContext& ctx, std::string_view arg, uint64_t* out) {
  std::string s(arg);
  char* end;
  errno = 0;
  *out = strtoull(s.c_str(), &end, 10);
  if (s.empty() || isspace(static_cast<unsigned char>(s[0])) || *end != '\0' || errno == ERANGE) {
    ctx.reply().Error(errors::kInvalidCursor);
    return false;
  }
  return true;
}

bool ParseScanOptions(CommandContext& ctx, CmdArgs args, size_t first, bool allow_type,
                      ScanOptions* out) {
  for (size_t i = first; i < args.size(); i += 2) {
    size_t left = args.size() - i;
    if (EqualsNoCase(args[i], "COUNT") && left >= 2) {
      if (!ParseIntArg(ctx, args[i + 1], &out->count)) return false;
      if (out->count < 1) {
        ctx.reply().Error(errors::kSyntax);
        return false;
      }
    } else if (EqualsNoCase(args[i], "MATCH") && left >= 2) {
      out->pattern = args[i + 1];
      out->use_pattern = out->pattern != "*";
    } else if (allow_type && EqualsNoCase(args[i], "TYPE") && left >= 2) {
      out->type = args[i + 1];
    } else {
      ctx.reply().Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

void RegisterGenericFamily(CommandRegistry* registry) {
  *registry
      << CommandId("DEL", kWrite, -2, 1, -1)
             .Handler(CmdDel)
             .Doc("generic", "1.0.0", "Deletes one or more keys.", "O(N)")
      << CommandId("UNLINK", kWrite | kFast, -2, 1, -1)
             .Handler(CmdDel)
             .Doc("generic", "4.0.0", "Asynchronously deletes one or more keys.",
                  "O(1) for each key removed")
      << CommandId("EXISTS", kReadOnly | kFast, -2, 1, -1)
             .Handler(CmdExists)
             .Doc("generic", "1.0.0", "Determines whether one or more keys exist.", "O(N)")
      << CommandId("TOUCH", kReadOnly | kFast, -2, 1, -1)
             .Handler(CmdTouch)
             .Doc("generic", "3.2.1",
                  "Returns the number of existing keys out of those specified after updating the "
                  "time they were last accessed.",
                  "O(N)")
      << CommandId("TYPE", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdType)
             .Doc("generic", "1.0.0", "Determines the type of value stored at a key.", "O(1)")
      << CommandId("KEYS", kReadOnly, 2, 0, 0)
             .Handler(CmdKeys)
             .Doc("generic", "1.0.0", "Returns all key names that match a pattern.", "O(N)")
      << CommandId("SCAN", kReadOnly, -2, 0, 0)
             .Handler(CmdScan)
             .Doc("generic", "2.8.0", "Iterates over the key names in the database.",
                  "O(1) for every call. O(N) for a complete iteration")
      << CommandId("RANDOMKEY", kReadOnly, 1, 0, 0)
             .Handler(CmdRandomKey)
             .Doc("generic", "1.0.0", "Returns a random key name from the database.", "O(1)")
      << CommandId("RENAME", kWrite, 3, 1, 2)
             .Handler(CmdRename)
             .Doc("generic", "1.0.0", "Renames a key and overwrites the destination.", "O(1)")
      << CommandId("RENAMENX", kWrite | kFast, 3, 1, 2)
             .Handler(CmdRenameNx)
             .Doc("generic", "1.0.0", "Renames a key only when the target key name doesn't exist.",
                  "O(1)")
      << CommandId("COPY", kWrite | kDenyOom, -3, 1, 2)
             .Handler(CmdCopy)
             .Doc("generic", "6.2.0", "Copies the value of a key to a new key.", "O(N)")
      << CommandId("DUMP", kReadOnly, 2, 1, 1)
             .Handler(CmdDump)
             .Doc("generic", "2.6.0",
                  "Returns a serialized representation of the value stored at a key.", "O(1)")
      << CommandId("RESTORE", kWrite | kDenyOom, -4, 1, 1)
             .Handler(CmdRestore)
             .Doc("generic", "2.6.0",
                  "Creates a key from the serialized representation of a value.", "O(1)")
      << CommandId("MOVE", kWrite | kFast, 3, 1, 1)
             .Handler(CmdMove)
             .Doc("generic", "1.0.0", "Moves a key to another database.", "O(1)")
      << CommandId("EXPIRE", kWrite | kFast, -3, 1, 1)
             .Handler(CmdExpire)
             .Doc("generic", "1.0.0", "Sets the expiration time of a key in seconds.", "O(1)")
      << CommandId("PEXPIRE", kWrite | kFast, -3, 1, 1)
             .Handler(CmdPExpire)
             .Doc("generic", "2.6.0", "Sets the expiration time of a key in milliseconds.", "O(1)")
      << CommandId("EXPIREAT", kWrite | kFast, -3, 1, 1)
             .Handler(CmdExpireAt)
             .Doc("generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.",
                  "O(1)")
      << CommandId("PEXPIREAT", kWrite | kFast, -3, 1, 1)
             .Handler(CmdPExpireAt)
             .Doc("generic", "2.6.0",
                  "Sets the expiration time of a key to a Unix milliseconds timestamp.", "O(1)")
      << CommandId("TTL", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdTtl)
             .Doc("generic", "1.0.0", "Returns the expiration time in seconds of a key.", "O(1)")
      << CommandId("PTTL", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdPTtl)
             .Doc("generic", "2.6.0", "Returns the expiration time in milliseconds of a key.",
                  "O(1)")
      << CommandId("EXPIRETIME", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdExpireTime)
             .Doc("generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.",
                  "O(1)")
      << CommandId("PEXPIRETIME", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdPExpireTime)
             .Doc("generic", "7.0.0",
                  "Returns the expiration time of a key as a Unix milliseconds timestamp.", "O(1)")
      << CommandId("PERSIST", kWrite | kFast, 2, 1, 1)
             .Handler(CmdPersist)
             .Doc("generic", "2.2.0", "Removes the expiration time of a key.", "O(1)")
      << CommandId("OBJECT", kReadOnly, -2, 0, 0)
             .Doc("generic", "2.2.3", "A container for object introspection commands.",
                  "Depends on subcommand.")
             .Sub(CommandId("ENCODING", kReadOnly, 3, 2, 2)
                      .Handler(CmdObjectEncoding)
                      .Doc("generic", "2.2.3", "Returns the internal encoding of a Redis object.",
                           "O(1)"))
             .Sub(CommandId("REFCOUNT", kReadOnly, 3, 2, 2)
                      .Handler(CmdObjectRefcount)
                      .Doc("generic", "2.2.3", "Returns the reference count of a value of a key.",
                           "O(1)"))
             .Sub(CommandId("IDLETIME", kReadOnly, 3, 2, 2)
                      .Handler(CmdObjectIdletime)
                      .Doc("generic", "2.2.3",
                           "Returns the time since the last access to a Redis object.", "O(1)"))
             .Sub(CommandId("FREQ", kReadOnly, 3, 2, 2)
                      .Handler(CmdObjectFreq)
                      .Doc("generic", "4.0.0",
                           "Returns the logarithmic access frequency counter of a Redis object.",
                           "O(1)"))
             .Sub(CommandId("HELP", kStale | kLoading, 2, 0, 0)
                      .Handler(CmdObjectHelp)
                      .Doc("generic", "6.2.0",
                           "Returns helpful text about the different subcommands.", "O(1)"))
      << CommandId("SELECT", kLoading | kStale | kFast, 2, 0, 0)
             .Handler(CmdSelect)
             .Doc("connection", "1.0.0", "Changes the selected database.", "O(1)")
      << CommandId("DBSIZE", kReadOnly | kFast, 1, 0, 0)
             .Handler(CmdDbSize)
             .Doc("server", "1.0.0", "Returns the number of keys in the database.", "O(1)")
      << CommandId("FLUSHDB", kWrite, -1, 0, 0)
             .Handler(CmdFlushDb)
             .Doc("server", "1.0.0", "Remove all keys from the current database.", "O(N)")
      << CommandId("FLUSHALL", kWrite, -1, 0, 0)
             .Handler(CmdFlushAll)
             .Doc("server", "1.0.0", "Removes all keys from all databases.", "O(N)")
      << CommandId("SWAPDB", kWrite | kFast, 3, 0, 0)
             .Handler(CmdSwapDb)
             .Doc("server", "4.0.0", "Swaps two Redis databases.", "O(N)");
}

}  // namespace ember
