// Sets: SADD, SREM, SMEMBERS, SPOP, SINTER/SUNION/SDIFF and their STORE forms, SSCAN ...
// (Redis t_set.c).

#include <algorithm>
#include <set>

#include "server/families/family_util.h"
#include "server/types/set_value.h"

namespace ember {

namespace {

size_t MaxIntset(CommandContext& ctx) {
  return size_t(ctx.engine().config().set_max_intset_entries.load());
}

enum class Access { kRead, kWrite };

// The set at `key`, or nullptr when absent or of another type (then *stop is set and the
// error replied). kRead lookups count hits and misses and announce "keymiss", as Redis's
// lookupKeyRead.
SetValue* FindSet(CommandContext& ctx, Db& db, std::string_view key, bool* stop, Access access) {
  *stop = false;
  Entry* e = access == Access::kRead ? LookupRead(ctx, key) : db.Find(key);
  if (e == nullptr) return nullptr;
  if (!CheckType(ctx, e, ObjType::kSet)) {
    *stop = true;
    return nullptr;
  }
  return e->As<SetValue>();
}

SetValue* CreateSet(Db& db, std::string_view key) {
  return db.Put(Entry::NewObject(key, ObjType::kSet, /*empty set=*/0, false))->As<SetValue>();
}

void ReplyMembers(CommandContext& ctx, const std::vector<std::string>& members) {
  ctx.reply().SetHeader(members.size());
  for (const auto& m : members) ctx.reply().Bulk(m);
}

// ---------------------------------------------------------------------------------------------
// Single-set commands

void CmdSAdd(CmdArgs args, CommandContext& ctx) {
  bool stop;
  Db& db = ctx.db();
  SetValue* s = FindSet(ctx, db, args[1], &stop, Access::kWrite);
  if (stop) return;
  if (s == nullptr) s = CreateSet(db, args[1]);
  size_t before = s->bytes(), limit = MaxIntset(ctx);
  int64_t added = 0;
  for (size_t i = 2; i < args.size(); ++i) added += s->Add(args[i], limit);
  Settle(ctx, db, args[1], s, before);
  if (added > 0) {
    std::vector<std::string_view> effect(args.begin(), args.end());
    effect[0] = "SADD";
    ctx.Propagate(effect);
  }
  ctx.reply().Integer(added);
}

void CmdSRem(CmdArgs args, CommandContext& ctx) {
  bool stop;
  Db& db = ctx.db();
  SetValue* s = FindSet(ctx, db, args[1], &stop, Access::kWrite);
  if (stop) return;
  if (s == nullptr) return ctx.reply().Integer(0);
  size_t before = s->bytes();
  std::vector<std::string_view> effect{"SREM", args[1]};
  for (size_t i = 2; i < args.size(); ++i) {
    if (s->Remove(args[i])) effect.push_back(args[i]);
  }
  Settle(ctx, db, args[1], s, before);
  if (effect.size() > 2) ctx.Propagate(effect);
  ctx.reply().Integer(int64_t(effect.size() - 2));
}

void CmdSCard(CmdArgs args, CommandContext& ctx) {
  bool stop;
  SetValue* s = FindSet(ctx, ctx.db(), args[1], &stop, Access::kRead);
  if (stop) return;
  ctx.reply().Integer(s ? int64_t(s->size()) : 0);
}

void CmdSIsMember(CmdArgs args, CommandContext& ctx) {
  bool stop;
  SetValue* s = FindSet(ctx, ctx.db(), args[1], &stop, Access::kRead);
  if (stop) return;
  ctx.reply().Integer(s && s->Contains(args[2]) ? 1 : 0);
}

void CmdSMIsMember(CmdArgs args, CommandContext& ctx) {
  bool stop;
  SetValue* s = FindSet(ctx, ctx.db(), args[1], &stop, Access::kRead);
  if (stop) return;
  ctx.reply().ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) ctx.reply().Integer(s && s->Contains(args[i]) ? 1 : 0);
}

void CmdSMembers(CmdArgs args, CommandContext& ctx) {
  bool stop;
  SetValue* s = FindSet(ctx, ctx.db(), args[1], &stop, Access::kRead);
  if (stop) return;
  ctx.reply().SetHeader(s ? s->size() : 0);
  if (s) s->ForEach([&](std::string_view m) { ctx.reply().Bulk(m); });
}

void CmdSPop(CmdArgs args, CommandContext& ctx) {
  if (args.size() > 3) return ctx.reply().Error(errors::kSyntax);
  int64_t count = 1;
  bool has_count = args.size() == 3;
  if (has_count && !ParsePositiveCount(ctx, args[2], &count)) return;
  bool stop;
  Db& db = ctx.db();
  SetValue* s = FindSet(ctx, db, args[1], &stop, Access::kWrite);
  if (stop) return;
  if (s == nullptr) return has_count ? ctx.reply().SetHeader(0) : ctx.reply().Null();
  if (has_count && count == 0) return ctx.reply().SetHeader(0);
  size_t before = s->bytes();
  std::vector<std::string> popped;
  if (size_t(count) >= s->size()) {  // the whole set, in its own order, as Redis
    s->ForEach([&](std::string_view m) { popped.emplace_back(m); });
    for (const auto& m : popped) s->Remove(m);
  }
  while (int64_t(popped.size()) < count && s->size() > 0) {
    popped.push_back(s->Random(ctx.keyspace().Random()));
    s->Remove(popped.back());
  }
  Settle(ctx, db, args[1], s, before);
  // The effect is the members that went, not a random choice to replay.
  std::vector<std::string_view> effect{"SREM", args[1]};
  for (const auto& m : popped) effect.push_back(m);
  ctx.Propagate(effect, {{Engine::kNotifySet, "spop"}});
  if (!has_count) return ctx.reply().Bulk(popped[0]);
  ReplyMembers(ctx, popped);
}

void CmdSRandMember(CmdArgs args, CommandContext& ctx) {
  if (args.size() > 3) return ctx.reply().Error(errors::kSyntax);
  int64_t count = 0;
  bool has_count = args.size() == 3;
  if (has_count) {
    if (!ParseIntArg(ctx, args[2], &count)) return;
    if (count == INT64_MIN) {
      return ctx.reply().Error(
          "value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
  }
  bool stop;
  SetValue* s = FindSet(ctx, ctx.db(), args[1], &stop, Access::kRead);
  if (stop) return;
  if (s == nullptr) return has_count ? ctx.reply().ArrayHeader(0) : ctx.reply().Null();
  if (!has_count) return ctx.reply().Bulk(s->Random(ctx.keyspace().Random()));
  if (count == 0) return ctx.reply().ArrayHeader(0);
  if (count < 0) {
    if (!CheckRandomPicks(ctx, count)) return;
    ctx.reply().ArrayHeader(size_t(-count));
    for (int64_t i = 0; i < -count; ++i) ctx.reply().Bulk(s->Random(ctx.keyspace().Random()));
    return;
  }
  if (size_t(count) >= s->size()) {
    ctx.reply().ArrayHeader(s->size());
    s->ForEach([&](std::string_view m) { ctx.reply().Bulk(m); });
    return;
  }
  std::set<std::string> picked;
  while (picked.size() < size_t(count)) picked.insert(s->Random(ctx.keyspace().Random()));
  ctx.reply().ArrayHeader(picked.size());
  for (const auto& m : picked) ctx.reply().Bulk(m);
}

void CmdSMove(CmdArgs args, CommandContext& ctx) {
  bool stop;
  Db& db = ctx.db();
  // As Redis: a missing source answers 0 before the destination's type is looked at.
  if (db.Find(args[1]) == nullptr) return ctx.reply().Integer(0);
  SetValue* src = FindSet(ctx, db, args[1], &stop, Access::kWrite);
  if (stop) return;
  SetValue* dst = FindSet(ctx, db, args[2], &stop, Access::kWrite);
  if (stop) return;
  if (args[1] == args[2]) return ctx.reply().Integer(src->Contains(args[3]) ? 1 : 0);
  size_t before = src->bytes();
  if (!src->Remove(args[3])) return ctx.reply().Integer(0);
  // Events as Redis orders them: the source's "srem" (and "del" if emptied), then the
  // destination's "new" and "sadd".
  ctx.Notify(Engine::kNotifySet, "srem", args[1]);
  ctx.keyspace().AddDataBytes(int64_t(src->bytes()) - int64_t(before));
  if (src->size() == 0 && db.Delete(args[1])) {
    ctx.Notify(Engine::kNotifyGeneric, "del", args[1]);
  }
  if (dst == nullptr) dst = CreateSet(db, args[2]);
  before = dst->bytes();
  bool added = dst->Add(args[3], MaxIntset(ctx));
  Settle(ctx, db, args[2], dst, before);
  ctx.Propagate({"SMOVE", args[1], args[2], args[3]}, CommandContext::KeyEvent{});
  if (added) ctx.Notify(Engine::kNotifySet, "sadd", args[2]);
  ctx.reply().Integer(1);
}

void CmdSScan(CmdArgs args, CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx, args[2], &cursor)) return;
  bool stop;
  SetValue* s = FindSet(ctx, ctx.db(), args[1], &stop, Access::kRead);
  if (stop) return;
  if (s == nullptr) {
    ctx.reply().ArrayHeader(2);
    ctx.reply().Bulk("0");
    return ctx.reply().ArrayHeader(0);
  }
  ScanOptions opts;
  if (!ParseScanOptions(ctx, args, 3, /*allow_type=*/false, &opts)) return;
  std::vector<std::string> found;
  int64_t max_iterations = opts.count * 10;
  do {
    cursor = s->Scan(cursor, [&](std::string_view m) { found.emplace_back(m); });
  } while (cursor != 0 && max_iterations-- > 0 && int64_t(found.size()) < opts.count);
  if (opts.use_pattern) {
    std::erase_if(found, [&](const std::string& m) { return !GlobMatch(opts.pattern, m); });
  }
  ctx.reply().ArrayHeader(2);
  ctx.reply().Bulk(std::to_string(cursor));
  ctx.reply().ArrayHeader(found.size());
  for (const auto& m : found) ctx.reply().Bulk(m);
}

// ---------------------------------------------------------------------------------------------
// Set algebra

enum class Op { kInter, kUnion, kDiff };

// Computes the operation over the sets at keys; false after replying WRONGTYPE. Members come out
// in the order Redis produces them for small inputs where it matters (first set's order).
bool Combine(CommandContext& ctx, CmdArgs keys, Op op, std::vector<std::string>* out) {
  std::vector<SetValue*> sets;
  for (auto k : keys) {
    bool stop;
    sets.push_back(FindSet(ctx, ctx.db(), k, &stop, Access::kRead));
    if (stop) return false;
  }
  out->clear();
  if (op == Op::kInter) {
    if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) return true;
    // Walk the smallest set, as Redis does.
    std::vector<SetValue*> sorted = sets;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](SetValue* a, SetValue* b) { return a->size() < b->size(); });
    sorted[0]->ForEach([&](std::string_view m) {
      for (size_t i = 1; i < sorted.size(); ++i) {
        if (!sorted[i]->Contains(m)) return;
      }
      out->emplace_back(m);
    });
    return true;
  }
  std::set<std::string, std::less<>> seen;
  if (op == Op::kUnion) {
    for (SetValue* s : sets) {
      if (s == nullptr) continue;
      s->ForEach([&](std::string_view m) {
        if (seen.emplace(m).second) out->emplace_back(m);
      });
    }
    return true;
  }
  if (sets[0] == nullptr) return true;
  sets[0]->ForEach([&](std::string_view m) {
    for (size_t i = 1; i < sets.size(); ++i) {
      if (sets[i] != nullptr && sets[i]->Contains(m)) return;
    }
    out->emplace_back(m);
  });
  return true;
}

// Redis answers SUNION and SDIFF from the result set it builds: when that set would be an
// intset, the members come out in ascending order.
void OrderLikeResultSet(CommandContext& ctx, std::vector<std::string>* members) {
  if (members->size() > MaxIntset(ctx)) return;
  std::vector<std::pair<int64_t, size_t>> ints;
  for (size_t i = 0; i < members->size(); ++i) {
    const std::string& m = (*members)[i];
    auto v = m.size() <= 20 ? ParseInt64(m) : std::nullopt;
    if (!v) return;
    ints.emplace_back(*v, i);
  }
  std::sort(ints.begin(), ints.end());
  std::vector<std::string> sorted;
  for (auto& [v, i] : ints) sorted.push_back(std::move((*members)[i]));
  *members = std::move(sorted);
}

void AlgebraReply(CmdArgs args, CommandContext& ctx, Op op) {
  std::vector<std::string> members;
  if (!Combine(ctx, args.subspan(1), op, &members)) return;
  if (op != Op::kInter) OrderLikeResultSet(ctx, &members);
  ReplyMembers(ctx, members);
}

void AlgebraStore(CmdArgs args, CommandContext& ctx, Op op) {
  std::vector<std::string> members;
  if (!Combine(ctx, args.subspan(2), op, &members)) return;
  static constexpr std::string_view kEvents[] = {"sinterstore", "sunionstore", "sdiffstore"};
  Entry* result = nullptr;
  std::vector<std::string_view> fill{"SADD", args[1]};
  if (!members.empty()) {
    result = Entry::NewObject(args[1], ObjType::kSet, /*empty set=*/0, false);
    size_t limit = MaxIntset(ctx);
    for (const auto& m : members) {
      result->As<SetValue>()->Add(m, limit);
      fill.push_back(m);
    }
  }
  StoreResult(ctx, args[1], result, fill, {Engine::kNotifySet, kEvents[int(op)]});
  ctx.reply().Integer(int64_t(members.size()));
}

void CmdSInter(CmdArgs a, CommandContext& c) { AlgebraReply(a, c, Op::kInter); }
void CmdSUnion(CmdArgs a, CommandContext& c) { AlgebraReply(a, c, Op::kUnion); }
void CmdSDiff(CmdArgs a, CommandContext& c) { AlgebraReply(a, c, Op::kDiff); }
void CmdSInterStore(CmdArgs a, CommandContext& c) { AlgebraStore(a, c, Op::kInter); }
void CmdSUnionStore(CmdArgs a, CommandContext& c) { AlgebraStore(a, c, Op::kUnion); }
void CmdSDiffStore(CmdArgs a, CommandContext& c) { AlgebraStore(a, c, Op::kDiff); }

void CmdSInterCard(CmdArgs args, CommandContext& ctx) {
  auto numkeys = ParseInt64(args[1]);
  if (!numkeys || *numkeys <= 0) return ctx.reply().Error("numkeys should be greater than 0");
  if (*numkeys > int64_t(args.size()) - 2) {
    return ctx.reply().Error("Number of keys can't be greater than number of args");
  }
  int64_t limit = 0;
  for (size_t j = 2 + size_t(*numkeys); j < args.size(); ++j) {
    if (EqualsNoCase(args[j], "LIMIT") && j + 1 < args.size()) {
      auto v = ParseInt64(args[++j]);
      if (!v || *v < 0) return ctx.reply().Error("LIMIT can't be negative");
      limit = *v;
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
  }
  std::vector<std::string> members;
  if (!Combine(ctx, args.subspan(2, size_t(*numkeys)), Op::kInter, &members)) return;
  int64_t n = int64_t(members.size());
  ctx.reply().Integer(limit > 0 ? std::min(n, limit) : n);
}

}  // namespace

void RegisterSetFamily(CommandRegistry* registry) {
  constexpr uint32_t kW = kWrite | kDenyOom;
  *registry << CommandId("SADD", kW | kFast, -3, 1, 1)
                   .Handler(CmdSAdd)
                   .Doc("set", "1.0.0",
                        "Adds one or more members to a set. Creates the key if it doesn't exist.",
                        "O(1)")
            << CommandId("SREM", kWrite | kFast, -3, 1, 1)
                   .Handler(CmdSRem)
                   .Doc("set", "1.0.0",
                        "Removes one or more members from a set. Deletes the set if the last "
                        "member was removed.",
                        "O(N)")
            << CommandId("SCARD", kReadOnly | kFast, 2, 1, 1)
                   .Handler(CmdSCard)
                   .Doc("set", "1.0.0", "Returns the number of members in a set.", "O(1)")
            << CommandId("SISMEMBER", kReadOnly | kFast, 3, 1, 1)
                   .Handler(CmdSIsMember)
                   .Doc("set", "1.0.0", "Determines whether a member belongs to a set.", "O(1)")
            << CommandId("SMISMEMBER", kReadOnly | kFast, -3, 1, 1)
                   .Handler(CmdSMIsMember)
                   .Doc("set", "6.2.0", "Determines whether multiple members belong to a set.",
                        "O(N)")
            << CommandId("SMEMBERS", kReadOnly, 2, 1, 1)
                   .Handler(CmdSMembers)
                   .Doc("set", "1.0.0", "Returns all members of a set.", "O(N)")
            << CommandId("SPOP", kWrite | kFast, -2, 1, 1)
                   .Handler(CmdSPop)
                   .Doc("set", "1.0.0",
                        "Returns one or more random members from a set after removing them. "
                        "Deletes the set if the last member was popped.",
                        "O(N)")
            << CommandId("SRANDMEMBER", kReadOnly, -2, 1, 1)
                   .Handler(CmdSRandMember)
                   .Doc("set", "1.0.0", "Get one or multiple random members from a set", "O(N)")
            << CommandId("SMOVE", kWrite | kFast, 4, 1, 2)
                   .Handler(CmdSMove)
                   .Doc("set", "1.0.0", "Moves a member from one set to another.", "O(1)")
            << CommandId("SSCAN", kReadOnly, -3, 1, 1)
                   .Handler(CmdSScan)
                   .Doc("set", "2.8.0", "Iterates over members of a set.",
                        "O(1) for every call. O(N) for a complete iteration")
            << CommandId("SINTER", kReadOnly, -2, 1, -1)
                   .Handler(CmdSInter)
                   .Doc("set", "1.0.0", "Returns the intersect of multiple sets.", "O(N*M)")
            << CommandId("SUNION", kReadOnly, -2, 1, -1)
                   .Handler(CmdSUnion)
                   .Doc("set", "1.0.0", "Returns the union of multiple sets.", "O(N)")
            << CommandId("SDIFF", kReadOnly, -2, 1, -1)
                   .Handler(CmdSDiff)
                   .Doc("set", "1.0.0", "Returns the difference of multiple sets.", "O(N)")
            << CommandId("SINTERSTORE", kW, -3, 1, -1)
                   .Handler(CmdSInterStore)
                   .Doc("set", "1.0.0", "Stores the intersect of multiple sets in a key.", "O(N*M)")
            << CommandId("SUNIONSTORE", kW, -3, 1, -1)
                   .Handler(CmdSUnionStore)
                   .Doc("set", "1.0.0", "Stores the union of multiple sets in a key.", "O(N)")
            << CommandId("SDIFFSTORE", kW, -3, 1, -1)
                   .Handler(CmdSDiffStore)
                   .Doc("set", "1.0.0", "Stores the difference of multiple sets in a key.", "O(N)")
            << CommandId("SINTERCARD", kReadOnly, -3, 0, 0)
                   .Handler(CmdSInterCard)
                   .Doc("set", "7.0.0",
                        "Returns the number of members of the intersect of multiple sets.",
                        "O(N*M)");
}

}  // namespace ember
