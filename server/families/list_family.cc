// Lists: LPUSH, LPOP, LRANGE, LMOVE, LPOS ... and the blocking BLPOP, BLMOVE, BLMPOP ... (Redis
// t_list.c). A blocking command that finds nothing asks the engine to wait
// (CommandContext::Block) and runs again from the start when a key it waits on is written.

#include "server/families/family_util.h"
#include "server/types/list_value.h"

namespace ember {

namespace {

enum class End { kLeft, kRight };

// The list at `key`: nullptr when absent; replies WRONGTYPE and sets *stop for another type.
ListValue* FindList(CommandContext& ctx, std::string_view key, bool* stop, bool count_read) {
  *stop = false;
  Entry* e = count_read ? LookupRead(ctx, key) : ctx.db().Find(key);
  if (e == nullptr) return nullptr;
  if (!CheckType(ctx, e, ObjType::kList)) {
    *stop = true;
    return nullptr;
  }
  return e->As<ListValue>();
}

ListValue* CreateList(CommandContext& ctx, std::string_view key) {
  return ctx.db()
      .Put(Entry::NewObject(key, ObjType::kList, /*empty list=*/0, false))
      ->As<ListValue>();
}

bool ParseEnd(std::string_view arg, End* out) {
  if (EqualsNoCase(arg, "LEFT")) {
    *out = End::kLeft;
  } else if (EqualsNoCase(arg, "RIGHT")) {
    *out = End::kRight;
  } else {
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Push and pop

void PushGeneric(CmdArgs args, CommandContext& ctx, End end, bool only_existing) {
  bool stop;
  ListValue* l = FindList(ctx, args[1], &stop, false);
  if (stop) return;
  if (l == nullptr) {
    if (only_existing) return ctx.reply().Integer(0);
    l = CreateList(ctx, args[1]);
  }
  size_t before = l->bytes();
  for (size_t i = 2; i < args.size(); ++i) {
    end == End::kLeft ? l->PushFront(args[i]) : l->PushBack(args[i]);
  }
  int64_t len = int64_t(l->size());
  Settle(ctx, ctx.db(), args[1], l, before);
  std::vector<std::string_view> effect(args.begin(), args.end());
  effect[0] = end == End::kLeft ? "LPUSH" : "RPUSH";
  ctx.Propagate(effect);
  ctx.reply().Integer(len);
}

void CmdLPush(CmdArgs a, CommandContext& c) { PushGeneric(a, c, End::kLeft, false); }
void CmdRPush(CmdArgs a, CommandContext& c) { PushGeneric(a, c, End::kRight, false); }
void CmdLPushX(CmdArgs a, CommandContext& c) { PushGeneric(a, c, End::kLeft, true); }
void CmdRPushX(CmdArgs a, CommandContext& c) { PushGeneric(a, c, End::kRight, true); }

// Pops up to `count` elements of the list at `key` (which must exist), records the effect and
// returns them.
std::vector<std::string> PopFrom(CommandContext& ctx, std::string_view key, ListValue* l, End end,
                                 int64_t count) {
  size_t before = l->bytes();
  std::vector<std::string> out;
  while (int64_t(out.size()) < count && l->size() > 0) {
    out.push_back(end == End::kLeft ? l->PopFront() : l->PopBack());
  }
  Settle(ctx, ctx.db(), key, l, before);
  std::string n = IntToString(int64_t(out.size()));
  ctx.Propagate({end == End::kLeft ? "LPOP" : "RPOP", key, n});
  return out;
}

void PopGeneric(CmdArgs args, CommandContext& ctx, End end) {
  if (args.size() > 3) {
    return ctx.reply().Error("wrong number of arguments for '" + ctx.cmd().FullName() +
                             "' command");
  }
  int64_t count = 1;
  bool has_count = args.size() == 3;
  if (has_count && !ParsePositiveCount(ctx, args[2], &count)) return;
  bool stop;
  ListValue* l = FindList(ctx, args[1], &stop, false);
  if (stop) return;
  if (l == nullptr) return has_count ? ctx.reply().NullArray() : ctx.reply().Null();
  if (has_count && count == 0) return ctx.reply().ArrayHeader(0);
  std::vector<std::string> popped = PopFrom(ctx, args[1], l, end, count);
  if (!has_count) return ctx.reply().Bulk(popped[0]);
  ctx.reply().ArrayHeader(popped.size());
  for (const auto& v : popped) ctx.reply().Bulk(v);
}

void CmdLPop(CmdArgs a, CommandContext& c) { PopGeneric(a, c, End::kLeft); }
void CmdRPop(CmdArgs a, CommandContext& c) { PopGeneric(a, c, End::kRight); }

// LMPOP numkeys key... LEFT|RIGHT [COUNT n], and BLMPOP with the timeout before numkeys.
void MPopGeneric(CmdArgs args, CommandContext& ctx, bool blocking) {
  End end;
  MPopArgs req;
  if (!ParseMPop(
          ctx, args, blocking, [&](std::string_view w) { return ParseEnd(w, &end); }, &req)) {
    return;
  }
  for (std::string_view key : req.keys) {
    bool stop;
    ListValue* l = FindList(ctx, key, &stop, false);
    if (stop) return;
    if (l == nullptr) continue;
    std::vector<std::string> popped = PopFrom(ctx, key, l, end, req.count);
    ctx.engine().TouchKey(ctx.client().db, key);  // LMPOP's keys aren't in its key spec
    ctx.reply().ArrayHeader(2);
    ctx.reply().Bulk(key);
    ctx.reply().ArrayHeader(popped.size());
    for (const auto& v : popped) ctx.reply().Bulk(v);
    return;
  }
  if (blocking && ctx.Block(args, ObjType::kList, req.keys, req.deadline_ms, true)) return;
  ctx.reply().NullArray();
}

void CmdLMPop(CmdArgs a, CommandContext& c) { MPopGeneric(a, c, false); }
void CmdBLMPop(CmdArgs a, CommandContext& c) { MPopGeneric(a, c, true); }

// BLPOP / BRPOP key... timeout: [key, element] from the first non-empty list.
void BlockingPop(CmdArgs args, CommandContext& ctx, End end) {
  int64_t deadline;
  if (!ParseBlockTimeout(ctx, args.back(), &deadline)) return;
  CmdArgs keys = args.subspan(1, args.size() - 2);
  for (std::string_view key : keys) {
    bool stop;
    ListValue* l = FindList(ctx, key, &stop, false);
    if (stop) return;
    if (l == nullptr) continue;
    std::vector<std::string> popped = PopFrom(ctx, key, l, end, 1);
    ctx.reply().ArrayHeader(2);
    ctx.reply().Bulk(key);
    return ctx.reply().Bulk(popped[0]);
  }
  if (ctx.Block(args, ObjType::kList, keys, deadline, true)) return;
  ctx.reply().NullArray();
}

void CmdBLPop(CmdArgs a, CommandContext& c) { BlockingPop(a, c, End::kLeft); }
void CmdBRPop(CmdArgs a, CommandContext& c) { BlockingPop(a, c, End::kRight); }

void MoveGeneric(CommandContext& ctx, std::string_view src_key, std::string_view dst_key, End from,
                 End to) {
  bool stop;
  ListValue* src = FindList(ctx, src_key, &stop, false);
  if (stop) return;
  if (src == nullptr) return ctx.reply().Null();
  ListValue* dst = FindList(ctx, dst_key, &stop, false);
  if (stop) return;
  size_t src_before = src->bytes();
  std::string value = from == End::kLeft ? src->PopFront() : src->PopBack();
  size_t dst_before;
  if (src_key == dst_key) {
    dst = src;  // a rotation: the key never goes away, even from a one-element list
    dst_before = src_before;
  } else {
    Settle(ctx, ctx.db(), src_key, src, src_before);
    if (dst == nullptr) dst = CreateList(ctx, dst_key);
    dst_before = dst->bytes();
  }
  to == End::kLeft ? dst->PushFront(value) : dst->PushBack(value);
  Settle(ctx, ctx.db(), dst_key, dst, dst_before);
  // Redis announces the push before the pop.
  ctx.Propagate({"LMOVE", src_key, dst_key, from == End::kLeft ? "LEFT" : "RIGHT",
                 to == End::kLeft ? "LEFT" : "RIGHT"},
                CommandContext::KeyEvent{});
  ctx.Notify(Engine::kNotifyList, to == End::kLeft ? "lpush" : "rpush", dst_key);
  ctx.Notify(Engine::kNotifyList, from == End::kLeft ? "lpop" : "rpop", src_key);
  ctx.reply().Bulk(value);
}

void CmdLMove(CmdArgs args, CommandContext& ctx) {
  End from, to;
  if (!ParseEnd(args[3], &from) || !ParseEnd(args[4], &to)) {
    return ctx.reply().Error(errors::kSyntax);
  }
  MoveGeneric(ctx, args[1], args[2], from, to);
}

void CmdRPopLPush(CmdArgs args, CommandContext& ctx) {
  MoveGeneric(ctx, args[1], args[2], End::kRight, End::kLeft);
}

// BLMOVE / BRPOPLPUSH: LMOVE once the source has an element.
void BlockingMove(CmdArgs args, CommandContext& ctx, End from, End to, std::string_view timeout) {
  int64_t deadline;
  if (!ParseBlockTimeout(ctx, timeout, &deadline)) return;
  bool stop;
  ListValue* src = FindList(ctx, args[1], &stop, false);
  if (stop) return;
  if (src != nullptr) return MoveGeneric(ctx, args[1], args[2], from, to);
  // Redis 7.0 times a blocked BLMOVE out with a null array, though it answers a null bulk
  // when it can't wait.
  if (ctx.Block(args, ObjType::kList, args.subspan(1, 1), deadline, true)) return;
  ctx.reply().Null();
}

void CmdBLMove(CmdArgs args, CommandContext& ctx) {
  End from, to;
  if (!ParseEnd(args[3], &from) || !ParseEnd(args[4], &to)) {
    return ctx.reply().Error(errors::kSyntax);
  }
  BlockingMove(args, ctx, from, to, args[5]);
}

void CmdBRPopLPush(CmdArgs args, CommandContext& ctx) {
  BlockingMove(args, ctx, End::kRight, End::kLeft, args[3]);
}

// ---------------------------------------------------------------------------------------------
// Reads and edits by position

void CmdLLen(CmdArgs args, CommandContext& ctx) {
  bool stop;
  ListValue* l = FindList(ctx, args[1], &stop, true);
  if (stop) return;
  ctx.reply().Integer(l ? int64_t(l->size()) : 0);
}

void CmdLRange(CmdArgs args, CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIntArg(ctx, args[2], &start) || !ParseIntArg(ctx, args[3], &end)) return;
  bool stop;
  ListValue* l = FindList(ctx, args[1], &stop, true);
  if (stop) return;
  if (l == nullptr || !NormalizeRange(int64_t(l->size()), &start, &end)) {
    return ctx.reply().ArrayHeader(0);
  }
  ctx.reply().ArrayHeader(size_t(end - start + 1));
  l->ForRange(size_t(start), size_t(end), [&](size_t, std::string_view v) { ctx.reply().Bulk(v); });
}

void CmdLIndex(CmdArgs args, CommandContext& ctx) {
  bool stop;
  ListValue* l = FindList(ctx, args[1], &stop, true);
  if (stop) return;
  if (l == nullptr) return ctx.reply().Null();
  int64_t index;
  if (!ParseIntArg(ctx, args[2], &index)) return;
  int64_t len = int64_t(l->size());
  if (index < 0) index += len;
  if (index < 0 || index >= len) return ctx.reply().Null();
  ctx.reply().Bulk(l->At(size_t(index)));
}

void CmdLSet(CmdArgs args, CommandContext& ctx) {
  bool stop;
  ListValue* l = FindList(ctx, args[1], &stop, false);
  if (stop) return;
  if (l == nullptr) return ctx.reply().Error(errors::kNoSuchKey);
  int64_t index;
  if (!ParseIntArg(ctx, args[2], &index)) return;
  int64_t len = int64_t(l->size());
  if (index < 0) index += len;
  if (index < 0 || index >= len) return ctx.reply().Error("index out of range");
  size_t before = l->bytes();
  l->Set(size_t(index), args[3]);
  Settle(ctx, ctx.db(), args[1], l, before);
  ctx.Propagate({"LSET", args[1], args[2], args[3]});
  ctx.reply().Ok();
}

void CmdLTrim(CmdArgs args, CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIntArg(ctx, args[2], &start) || !ParseIntArg(ctx, args[3], &end)) return;
  bool stop;
  ListValue* l = FindList(ctx, args[1], &stop, false);
  if (stop) return;
  if (l == nullptr) return ctx.reply().Ok();
  size_t before = l->bytes();
  if (NormalizeRange(int64_t(l->size()), &start, &end)) {
    l->Trim(size_t(start), size_t(end));
  } else {
    l->Trim(1, 0);
  }
  Settle(ctx, ctx.db(), args[1], l, before);
  ctx.Propagate({"LTRIM", args[1], args[2], args[3]});
  ctx.reply().Ok();
}

void CmdLRem(CmdArgs args, CommandContext& ctx) {
  int64_t count;
  if (!ParseIntArg(ctx, args[2], &count)) return;
  bool stop;
  ListValue* l = FindList(ctx, args[1], &stop, false);
  if (stop) return;
  if (l == nullptr) return ctx.reply().Integer(0);
  size_t before = l->bytes();
  size_t removed = l->Remove(args[3], count);
  Settle(ctx, ctx.db(), args[1], l, before);
  if (removed > 0) ctx.Propagate({"LREM", args[1], args[2], args[3]});
  ctx.reply().Integer(int64_t(removed));
}

void CmdLInsert(CmdArgs args, CommandContext& ctx) {
  bool before_pivot;
  if (EqualsNoCase(args[2], "AFTER")) {
    before_pivot = false;
  } else if (EqualsNoCase(args[2], "BEFORE")) {
    before_pivot = true;
  } else {
    return ctx.reply().Error(errors::kSyntax);
  }
  bool stop;
  ListValue* l = FindList(ctx, args[1], &stop, false);
  if (stop) return;
  if (l == nullptr) return ctx.reply().Integer(0);
  size_t before = l->bytes();
  if (!l->Insert(args[3], args[4], before_pivot)) return ctx.reply().Integer(-1);
  Settle(ctx, ctx.db(), args[1], l, before);
  ctx.Propagate({"LINSERT", args[1], args[2], args[3], args[4]});
  ctx.reply().Integer(int64_t(l->size()));
}

void CmdLPos(CmdArgs args, CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t j = 3; j < args.size(); ++j) {
    bool more = j + 1 < args.size();
    if (EqualsNoCase(args[j], "RANK") && more) {
      if (!ParseIntArg(ctx, args[++j], &rank)) return;  // 7.0.15 accepts INT64_MIN too
      if (rank == 0) {
        return ctx.reply().Error(
            "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or "
            "use negative to start from the end of the list");
      }
    } else if (EqualsNoCase(args[j], "COUNT") && more) {
      if (!ParseBounded(ctx, args[++j], 0, "COUNT can't be negative", &count)) return;
    } else if (EqualsNoCase(args[j], "MAXLEN") && more) {
      if (!ParseBounded(ctx, args[++j], 0, "MAXLEN can't be negative", &maxlen)) return;
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
  }
  bool stop;
  ListValue* l = FindList(ctx, args[1], &stop, true);
  if (stop) return;
  if (l == nullptr) return count != -1 ? ctx.reply().ArrayHeader(0) : ctx.reply().Null();
  size_t len = l->size();
  std::vector<int64_t> found;
  // Redis 7.0.15 negates the rank in a long: INT64_MIN stays negative and acts like -1.
  int64_t skip = rank > 0 ? rank - 1 : (rank == INT64_MIN ? 0 : -(rank + 1));
  int64_t want = count == -1 ? 1 : (count == 0 ? INT64_MAX : count);
  int64_t compared = 0;
  auto visit = [&](size_t index, std::string_view v) {
    if (int64_t(found.size()) >= want || (maxlen && compared >= maxlen)) return false;
    ++compared;
    if (v == args[2]) {
      if (skip > 0) {
        --skip;
      } else {
        found.push_back(int64_t(index));
      }
    }
    return true;
  };
  if (rank > 0) {
    bool go = true;
    l->ForRange(0, len - 1, [&](size_t i, std::string_view v) {
      if (go) go = visit(i, v);
    });
  } else {
    // From the tail: collect the candidates then walk them backwards.
    std::vector<std::string> items;
    items.reserve(len);
    l->ForRange(0, len - 1, [&](size_t, std::string_view v) { items.emplace_back(v); });
    for (size_t i = len; i-- > 0;) {
      if (!visit(i, items[i])) break;
    }
  }
  if (count == -1) return found.empty() ? ctx.reply().Null() : ctx.reply().Integer(found[0]);
  ctx.reply().ArrayHeader(found.size());
  for (int64_t pos : found) ctx.reply().Integer(pos);
}

}  // namespace

void RegisterListFamily(CommandRegistry* registry) {
  constexpr uint32_t kW = kWrite | kDenyOom;
  *registry
      << CommandId("LPUSH", kW | kFast, -3, 1, 1)
             .Handler(CmdLPush)
             .Doc("list", "1.0.0",
                  "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
                  "O(1)")
      << CommandId("RPUSH", kW | kFast, -3, 1, 1)
             .Handler(CmdRPush)
             .Doc("list", "1.0.0",
                  "Appends one or more elements to a list. Creates the key if it doesn't exist.",
                  "O(1)")
      << CommandId("LPUSHX", kW | kFast, -3, 1, 1)
             .Handler(CmdLPushX)
             .Doc("list", "2.2.0",
                  "Prepends one or more elements to a list only when the list exists.", "O(1)")
      << CommandId("RPUSHX", kW | kFast, -3, 1, 1)
             .Handler(CmdRPushX)
             .Doc("list", "2.2.0", "Appends an element to a list only when the list exists.",
                  "O(1)")
      << CommandId("LPOP", kWrite | kFast, -2, 1, 1)
             .Handler(CmdLPop)
             .Doc("list", "1.0.0",
                  "Returns the first elements in a list after removing it. Deletes the list if the "
                  "last element was popped.",
                  "O(N)")
      << CommandId("RPOP", kWrite | kFast, -2, 1, 1)
             .Handler(CmdRPop)
             .Doc("list", "1.0.0",
                  "Returns and removes the last elements of a list. Deletes the list if the last "
                  "element was popped.",
                  "O(N)")
      << CommandId("BLPOP", kWrite | kBlocking, -3, 1, -2)
             .Handler(CmdBLPop)
             .Doc("list", "2.0.0",
                  "Removes and returns the first element in a list. Blocks until an element is "
                  "available otherwise. Deletes the list if the last element was popped.",
                  "O(N) where N is the number of provided keys.")
      << CommandId("BRPOP", kWrite | kBlocking, -3, 1, -2)
             .Handler(CmdBRPop)
             .Doc("list", "2.0.0",
                  "Removes and returns the last element in a list. Blocks until an element is "
                  "available otherwise. Deletes the list if the last element was popped.",
                  "O(N) where N is the number of provided keys.")
      << CommandId("BLMOVE", kW | kBlocking, 6, 1, 2)
             .Handler(CmdBLMove)
             .Doc("list", "6.2.0",
                  "Pops an element from a list, pushes it to another list and returns it. Blocks "
                  "until an element is available otherwise.",
                  "O(1)")
      << CommandId("BRPOPLPUSH", kW | kBlocking, 4, 1, 2)
             .Handler(CmdBRPopLPush)
             .Doc("list", "2.2.0",
                  "Pops an element from a list, pushes it to another list and returns it. Block "
                  "until an element is available otherwise.",
                  "O(1)")
      << CommandId("BLMPOP", kWrite | kBlocking, -5, 0, 0)
             .Handler(CmdBLMPop)
             .Doc("list", "7.0.0",
                  "Pops the first element from one of multiple lists. Blocks until an element is "
                  "available otherwise. Deletes the list if the last element was popped.",
                  "O(N+M) where N is the number of provided keys and M is the number of elements "
                  "returned.")
      << CommandId("LMPOP", kWrite, -4, 0, 0)
             .Handler(CmdLMPop)
             .Doc("list", "7.0.0",
                  "Returns multiple elements from a list after removing them. Deletes the list if "
                  "the last element was popped.",
                  "O(N+M)")
      << CommandId("LMOVE", kW, 5, 1, 2)
             .Handler(CmdLMove)
             .Doc("list", "6.2.0",
                  "Returns an element after popping it from one list and pushing it to another. "
                  "Deletes the list if the last element was moved.",
                  "O(1)")
      << CommandId("RPOPLPUSH", kW, 3, 1, 2)
             .Handler(CmdRPopLPush)
             .Doc("list", "1.2.0",
                  "Returns the last element of a list after removing and pushing it to another "
                  "list. Deletes the list if the last element was popped.",
                  "O(1)")
      << CommandId("LLEN", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdLLen)
             .Doc("list", "1.0.0", "Returns the length of a list.", "O(1)")
      << CommandId("LRANGE", kReadOnly, 4, 1, 1)
             .Handler(CmdLRange)
             .Doc("list", "1.0.0", "Returns a range of elements from a list.", "O(S+N)")
      << CommandId("LINDEX", kReadOnly, 3, 1, 1)
             .Handler(CmdLIndex)
             .Doc("list", "1.0.0", "Returns an element from a list by its index.", "O(N)")
      << CommandId("LSET", kW, 4, 1, 1)
             .Handler(CmdLSet)
             .Doc("list", "1.0.0", "Sets the value of an element in a list by its index.", "O(N)")
      << CommandId("LTRIM", kWrite, 4, 1, 1)
             .Handler(CmdLTrim)
             .Doc("list", "1.0.0",
                  "Removes elements from both ends a list. Deletes the list if all elements were "
                  "trimmed.",
                  "O(N)")
      << CommandId("LREM", kWrite, 4, 1, 1)
             .Handler(CmdLRem)
             .Doc("list", "1.0.0",
                  "Removes elements from a list. Deletes the list if the last element was removed.",
                  "O(N+M)")
      << CommandId("LINSERT", kW, 5, 1, 1)
             .Handler(CmdLInsert)
             .Doc("list", "2.2.0", "Inserts an element before or after another element in a list.",
                  "O(N)")
      << CommandId("LPOS", kReadOnly, -3, 1, 1)
             .Handler(CmdLPos)
             .Doc("list", "6.0.6", "Returns the index of matching elements in a list.", "O(N)");
}

}  // namespace ember
