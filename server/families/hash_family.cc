// Hashes: HSET, HGET, HDEL, HINCRBY, HSCAN ... (Redis t_hash.c).

#include <cmath>
#include <set>

#include "server/families/family_util.h"
#include "server/types/hash_value.h"

namespace ember {

namespace {

HashLimits Limits(CommandContext& ctx) {
  const ServerConfig& c = ctx.engine().config();
  return {size_t(c.hash_max_listpack_entries.load()), size_t(c.hash_max_listpack_value.load())};
}

// The hash at `key` for reading: nullptr when absent; replies WRONGTYPE and sets *stop when the
// key holds another type.
HashValue* ReadHash(CommandContext& ctx, std::string_view key, bool* stop) {
  *stop = false;
  Entry* e = LookupRead(ctx, key);
  if (e == nullptr) return nullptr;
  if (!CheckType(ctx, e, ObjType::kHash)) {
    *stop = true;
    return nullptr;
  }
  return e->As<HashValue>();
}

// The hash at `key` for writing, created empty when absent; nullptr after replying WRONGTYPE.
HashValue* WriteHash(CommandContext& ctx, std::string_view key) {
  Db& db = ctx.db();
  Entry* e = db.Find(key);
  if (e == nullptr) {
    e = db.Put(Entry::NewObject(key, ObjType::kHash, /*empty hash=*/0, false));
  } else if (!CheckType(ctx, e, ObjType::kHash)) {
    return nullptr;
  }
  return e->As<HashValue>();
}

void ReplyEmptyOrNil(CommandContext& ctx, bool array) {
  array ? ctx.reply().ArrayHeader(0) : ctx.reply().Null();
}

// ---------------------------------------------------------------------------------------------
// Writes

void HSetGeneric(CmdArgs args, CommandContext& ctx, bool reply_ok) {
  if (args.size() % 2 == 1) {
    return ctx.reply().Error("wrong number of arguments for '" + ctx.cmd().FullName() +
                             "' command");
  }
  HashValue* h = WriteHash(ctx, args[1]);
  if (h == nullptr) return;
  size_t before = h->bytes();
  HashLimits limits = Limits(ctx);
  int64_t added = 0;
  for (size_t i = 2; i < args.size(); i += 2) added += h->Set(args[i], args[i + 1], limits);
  Settle(ctx, ctx.db(), args[1], h, before);
  std::vector<std::string_view> effect(args.begin(), args.end());
  effect[0] = "HSET";
  ctx.Propagate(effect);
  reply_ok ? ctx.reply().Ok() : ctx.reply().Integer(added);
}

void CmdHSet(CmdArgs args, CommandContext& ctx) { HSetGeneric(args, ctx, false); }
void CmdHMSet(CmdArgs args, CommandContext& ctx) { HSetGeneric(args, ctx, true); }

void CmdHSetNx(CmdArgs args, CommandContext& ctx) {
  HashValue* h = WriteHash(ctx, args[1]);
  if (h == nullptr) return;
  if (h->Get(args[2])) return ctx.reply().Integer(0);
  size_t before = h->bytes();
  h->Set(args[2], args[3], Limits(ctx));
  Settle(ctx, ctx.db(), args[1], h, before);
  ctx.Propagate({"HSET", args[1], args[2], args[3]});
  ctx.reply().Integer(1);
}

void CmdHDel(CmdArgs args, CommandContext& ctx) {
  Entry* e = ctx.db().Find(args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (!CheckType(ctx, e, ObjType::kHash)) return;
  HashValue* h = e->As<HashValue>();
  size_t before = h->bytes();
  std::vector<std::string_view> effect{"HDEL", args[1]};
  for (size_t i = 2; i < args.size(); ++i) {
    if (h->Delete(args[i])) effect.push_back(args[i]);
  }
  Settle(ctx, ctx.db(), args[1], h, before);
  if (effect.size() > 2) ctx.Propagate(effect);
  ctx.reply().Integer(int64_t(effect.size() - 2));
}

void CmdHIncrBy(CmdArgs args, CommandContext& ctx) {
  int64_t incr;
  if (!ParseIntArg(ctx, args[3], &incr)) return;
  HashValue* h = WriteHash(ctx, args[1]);
  if (h == nullptr) return;
  int64_t value = 0;
  if (auto v = h->Get(args[2])) {
    auto parsed = ParseInt64(*v);
    if (!parsed) return ctx.reply().Error("hash value is not an integer");
    value = *parsed;
  }
  if (__builtin_add_overflow(value, incr, &value)) return ctx.reply().Error(errors::kOverflow);
  size_t before = h->bytes();
  std::string text = IntToString(value);
  h->Set(args[2], text, Limits(ctx));
  Settle(ctx, ctx.db(), args[1], h, before);
  ctx.Propagate({"HSET", args[1], args[2], text}, {{Engine::kNotifyHash, "hincrby"}});
  ctx.reply().Integer(value);
}

void CmdHIncrByFloat(CmdArgs args, CommandContext& ctx) {
  auto incr = ParseLongDouble(args[3]);
  if (!incr) return ctx.reply().Error(errors::kNotFloat);
  if (std::isnan(*incr) || std::isinf(*incr)) return ctx.reply().Error("value is NaN or Infinity");
  HashValue* h = WriteHash(ctx, args[1]);
  if (h == nullptr) return;
  long double value = 0;
  if (auto v = h->Get(args[2])) {
    auto parsed = ParseLongDouble(*v);
    if (!parsed) return ctx.reply().Error("hash value is not a float");
    value = *parsed;
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) return ctx.reply().Error(errors::kNanOrInf);
  size_t before = h->bytes();
  std::string text = FormatLongDouble(value);
  h->Set(args[2], text, Limits(ctx));
  Settle(ctx, ctx.db(), args[1], h, before);
  ctx.Propagate({"HSET", args[1], args[2], text}, {{Engine::kNotifyHash, "hincrbyfloat"}});
  ctx.reply().Bulk(text);
}

// ---------------------------------------------------------------------------------------------
// Reads

void CmdHGet(CmdArgs args, CommandContext& ctx) {
  bool stop;
  HashValue* h = ReadHash(ctx, args[1], &stop);
  if (stop) return;
  std::optional<std::string_view> v;
  if (h != nullptr) v = h->Get(args[2]);
  v ? ctx.reply().Bulk(*v) : ctx.reply().Null();
}

void CmdHMGet(CmdArgs args, CommandContext& ctx) {
  bool stop;
  HashValue* h = ReadHash(ctx, args[1], &stop);
  if (stop) return;
  ctx.reply().ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    std::optional<std::string_view> v;
    if (h != nullptr) v = h->Get(args[i]);
    v ? ctx.reply().Bulk(*v) : ctx.reply().Null();
  }
}

void CmdHLen(CmdArgs args, CommandContext& ctx) {
  bool stop;
  HashValue* h = ReadHash(ctx, args[1], &stop);
  if (stop) return;
  ctx.reply().Integer(h ? int64_t(h->size()) : 0);
}

void CmdHExists(CmdArgs args, CommandContext& ctx) {
  bool stop;
  HashValue* h = ReadHash(ctx, args[1], &stop);
  if (stop) return;
  ctx.reply().Integer(h && h->Get(args[2]) ? 1 : 0);
}

void CmdHStrLen(CmdArgs args, CommandContext& ctx) {
  bool stop;
  HashValue* h = ReadHash(ctx, args[1], &stop);
  if (stop) return;
  std::optional<std::string_view> v;
  if (h != nullptr) v = h->Get(args[2]);
  ctx.reply().Integer(v ? int64_t(v->size()) : 0);
}

enum class Part { kKeys, kValues, kBoth };

void ReplyAll(CmdArgs args, CommandContext& ctx, Part part) {
  bool stop;
  HashValue* h = ReadHash(ctx, args[1], &stop);
  if (stop) return;
  size_t n = h ? h->size() : 0;
  if (part == Part::kBoth) {
    ctx.reply().MapHeader(n);
  } else {
    ctx.reply().ArrayHeader(n);
  }
  if (h == nullptr) return;
  h->ForEach([&](std::string_view f, std::string_view v) {
    if (part != Part::kValues) ctx.reply().Bulk(f);
    if (part != Part::kKeys) ctx.reply().Bulk(v);
  });
}

void CmdHKeys(CmdArgs args, CommandContext& ctx) { ReplyAll(args, ctx, Part::kKeys); }
void CmdHVals(CmdArgs args, CommandContext& ctx) { ReplyAll(args, ctx, Part::kValues); }
void CmdHGetAll(CmdArgs args, CommandContext& ctx) { ReplyAll(args, ctx, Part::kBoth); }

void CmdHRandField(CmdArgs args, CommandContext& ctx) {
  RandomRequest req;
  if (!ParseRandomRequest(ctx, args, "WITHVALUES", &req)) return;
  bool with_count = req.with_count, with_values = req.with_values;
  int64_t count = req.count;
  bool stop;
  HashValue* h = ReadHash(ctx, args[1], &stop);
  if (stop) return;
  if (h == nullptr) return ReplyEmptyOrNil(ctx, with_count);
  ReplyBuilder& rb = ctx.reply();
  auto emit = [&](std::string_view f, std::string_view v) {
    if (with_values && rb.resp3()) rb.ArrayHeader(2);
    rb.Bulk(f);
    if (with_values) rb.Bulk(v);
  };
  auto header = [&](size_t n) { rb.ArrayHeader(with_values && !rb.resp3() ? 2 * n : n); };
  if (!with_count) {
    auto [f, v] = h->Random(ctx.keyspace().Random());
    return rb.Bulk(f);
  }
  if (count == 0) return rb.ArrayHeader(0);
  if (count < 0) {  // repetitions allowed
    if (!CheckRandomPicks(ctx, count)) return;
    size_t n = size_t(-count);
    header(n);
    for (size_t i = 0; i < n; ++i) {
      auto [f, v] = h->Random(ctx.keyspace().Random());
      emit(f, v);
    }
    return;
  }
  if (size_t(count) >= h->size()) {
    header(h->size());
    h->ForEach(emit);
    return;
  }
  // Distinct fields: sample until `count` different ones were drawn.
  std::vector<std::pair<std::string_view, std::string_view>> picked;
  std::set<std::string_view> seen;
  while (picked.size() < size_t(count)) {
    auto fv = h->Random(ctx.keyspace().Random());
    if (seen.insert(fv.first).second) picked.push_back(fv);
  }
  header(picked.size());
  for (auto& [f, v] : picked) emit(f, v);
}

void CmdHScan(CmdArgs args, CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx, args[2], &cursor)) return;
  bool stop;
  HashValue* h = ReadHash(ctx, args[1], &stop);
  if (stop) return;
  if (h == nullptr) {
    ctx.reply().ArrayHeader(2);
    ctx.reply().Bulk("0");
    return ctx.reply().ArrayHeader(0);
  }
  ScanOptions opts;
  if (!ParseScanOptions(ctx, args, 3, /*allow_type=*/false, &opts)) return;
  std::vector<std::pair<std::string, std::string>> found;
  int64_t max_iterations = opts.count * 10;
  do {
    cursor =
        h->Scan(cursor, [&](std::string_view f, std::string_view v) { found.emplace_back(f, v); });
  } while (cursor != 0 && max_iterations-- > 0 && int64_t(found.size()) < opts.count);
  if (opts.use_pattern) {
    std::erase_if(found, [&](const auto& fv) { return !GlobMatch(opts.pattern, fv.first); });
  }
  ctx.reply().ArrayHeader(2);
  ctx.reply().Bulk(std::to_string(cursor));
  ctx.reply().ArrayHeader(2 * found.size());
  for (auto& [f, v] : found) {
    ctx.reply().Bulk(f);
    ctx.reply().Bulk(v);
  }
}

}  // namespace

void RegisterHashFamily(CommandRegistry* registry) {
  constexpr uint32_t kW = kWrite | kDenyOom;
  *registry
      << CommandId("HSET", kW | kFast, -4, 1, 1)
             .Handler(CmdHSet)
             .Doc("hash", "2.0.0", "Creates or modifies the value of a field in a hash.", "O(1)")
      << CommandId("HMSET", kW | kFast, -4, 1, 1)
             .Handler(CmdHMSet)
             .Doc("hash", "2.0.0", "Sets the values of multiple fields.", "O(N)")
      << CommandId("HSETNX", kW | kFast, 4, 1, 1)
             .Handler(CmdHSetNx)
             .Doc("hash", "2.0.0",
                  "Sets the value of a field in a hash only when the field doesn't exist.", "O(1)")
      << CommandId("HDEL", kWrite | kFast, -3, 1, 1)
             .Handler(CmdHDel)
             .Doc("hash", "2.0.0",
                  "Deletes one or more fields and their values from a hash. Deletes the hash if "
                  "no fields remain.",
                  "O(N)")
      << CommandId("HINCRBY", kW | kFast, 4, 1, 1)
             .Handler(CmdHIncrBy)
             .Doc("hash", "2.0.0",
                  "Increments the integer value of a field in a hash by a number. Uses 0 as "
                  "initial value if the field doesn't exist.",
                  "O(1)")
      << CommandId("HINCRBYFLOAT", kW | kFast, 4, 1, 1)
             .Handler(CmdHIncrByFloat)
             .Doc("hash", "2.6.0",
                  "Increments the floating point value of a field by a number. Uses 0 as initial "
                  "value if the field doesn't exist.",
                  "O(1)")
      << CommandId("HGET", kReadOnly | kFast, 3, 1, 1)
             .Handler(CmdHGet)
             .Doc("hash", "2.0.0", "Returns the value of a field in a hash.", "O(1)")
      << CommandId("HMGET", kReadOnly | kFast, -3, 1, 1)
             .Handler(CmdHMGet)
             .Doc("hash", "2.0.0", "Returns the values of all fields in a hash.", "O(N)")
      << CommandId("HLEN", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdHLen)
             .Doc("hash", "2.0.0", "Returns the number of fields in a hash.", "O(1)")
      << CommandId("HEXISTS", kReadOnly | kFast, 3, 1, 1)
             .Handler(CmdHExists)
             .Doc("hash", "2.0.0", "Determines whether a field exists in a hash.", "O(1)")
      << CommandId("HSTRLEN", kReadOnly | kFast, 3, 1, 1)
             .Handler(CmdHStrLen)
             .Doc("hash", "3.2.0", "Returns the length of the value of a field.", "O(1)")
      << CommandId("HKEYS", kReadOnly, 2, 1, 1)
             .Handler(CmdHKeys)
             .Doc("hash", "2.0.0", "Returns all fields in a hash.", "O(N)")
      << CommandId("HVALS", kReadOnly, 2, 1, 1)
             .Handler(CmdHVals)
             .Doc("hash", "2.0.0", "Returns all values in a hash.", "O(N)")
      << CommandId("HGETALL", kReadOnly, 2, 1, 1)
             .Handler(CmdHGetAll)
             .Doc("hash", "2.0.0", "Returns all fields and values in a hash.", "O(N)")
      << CommandId("HRANDFIELD", kReadOnly, -2, 1, 1)
             .Handler(CmdHRandField)
             .Doc("hash", "6.2.0", "Returns one or more random fields from a hash.", "O(N)")
      << CommandId("HSCAN", kReadOnly, -3, 1, 1)
             .Handler(CmdHScan)
             .Doc("hash", "2.8.0", "Iterates over fields and values of a hash.",
                  "O(1) for every call. O(N) for a complete iteration");
}

}  // namespace ember
