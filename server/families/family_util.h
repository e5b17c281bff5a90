#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/strings.h"
#include "server/db/entry.h"
#include "server/engine.h"
#include "server/errors.h"

namespace ember {

// Shared argument and lookup helpers for command handlers. Each replies the error itself and
// returns false (or nullptr) when the command must stop.

// The live entry for `key` in the client's db, for reading (Redis's lookupKeyRead): counts
// keyspace hits and misses and announces a miss ("keymiss"). `touch` false leaves the access
// clock alone (EXISTS, TYPE, TTL).
inline Entry* LookupRead(CommandContext& ctx, std::string_view key, bool touch = true) {
  Entry* e = touch ? ctx.db().Find(key) : ctx.db().FindNoTouch(key);
  if (e == nullptr) {
    ++ctx.keyspace().keyspace_misses;
    ctx.engine().Notify(Engine::kNotifyKeyMiss, "keymiss", ctx.client().db, key);
  } else {
    ++ctx.keyspace().keyspace_hits;
  }
  return e;
}

inline bool CheckType(CommandContext& ctx, const Entry* e, ObjType type) {
  if (e->type() == type) return true;
  ctx.reply().Error(errors::kWrongType);
  return false;
}

inline bool ParseIntArg(CommandContext& ctx, std::string_view s, int64_t* out,
                        const char* err = errors::kNotInteger) {
  auto v = ParseInt64(s);
  if (!v) {
    ctx.reply().Error(err);
    return false;
  }
  *out = *v;
  return true;
}

// After a collection at `key` in `db` changed in place: accounts for its new size, and drops
// the key once the collection is empty (Redis never keeps empty collections).
template <typename Collection>
void Settle(CommandContext& ctx, Db& db, std::string_view key, Collection* c, size_t bytes_before) {
  ctx.keyspace().AddDataBytes(int64_t(c->bytes()) - int64_t(bytes_before));
  if (c->size() == 0 && db.Delete(key))
    ctx.engine().NotifyAfterCommand("del", ctx.client().db, key);
}

// The STORE form of a command (SINTERSTORE, ZUNIONSTORE, SORT ... STORE): `result`, a new
// entry for `dst` or nullptr when the result is empty, replaces what `dst` held. Recorded as
// DEL + `fill` (the command that rebuilds the result) and announced as Redis does: `event`
// (after "new" when `dst` did not exist), or "del" when an empty result deleted `dst`.
inline void StoreResult(CommandContext& ctx, std::string_view dst, Entry* result,
                        std::span<const std::string_view> fill, CommandContext::KeyEvent event) {
  Db& db = ctx.db();
  if (result == nullptr) {
    if (db.Delete(dst)) ctx.Propagate({"DEL", dst});
    return;
  }
  db.Put(result);
  ctx.Propagate({"DEL", dst}, CommandContext::KeyEvent{});
  ctx.Propagate(fill, event);
}

// A negative count to SRANDMEMBER / HRANDFIELD asks for that many random picks with
// repetitions. Redis 7.0 tries to build any such reply and is killed for memory past a few
// hundred million; Ember refuses counts whose reply could not reasonably fit.
inline constexpr int64_t kMaxRandomPicks = 10'000'000;
inline bool CheckRandomPicks(CommandContext& ctx, int64_t count) {
  if (count >= -kMaxRandomPicks) return true;
  ctx.reply().Error("value is out of range");
  return false;
}

// HRANDFIELD / ZRANDMEMBER key [count [WITHVALUES|WITHSCORES]]: `with_word` names the flag.
// Replies the error and returns false.
struct RandomRequest {
  bool with_count = false;
  bool with_values = false;
  int64_t count = 0;
};
inline bool ParseRandomRequest(CommandContext& ctx, CmdArgs args, std::string_view with_word,
                               RandomRequest* req) {
  req->with_count = args.size() >= 3;
  if (!req->with_count) return true;
  if (!ParseIntArg(ctx, args[2], &req->count)) return false;
  if (req->count < -INT64_MAX) {
    ctx.reply().Error(
        "value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return false;
  }
  if (args.size() == 4 && EqualsNoCase(args[3], with_word)) {
    req->with_values = true;
    if (req->count < -INT64_MAX / 2 || req->count > INT64_MAX / 2) {
      ctx.reply().Error("value is out of range");
      return false;
    }
  } else if (args.size() >= 4) {
    ctx.reply().Error(errors::kSyntax);
    return false;
  }
  return true;
}

// A pop count, as Redis's getPositiveLongFromObjectOrReply: one message for every failure.
inline bool ParsePositiveCount(CommandContext& ctx, std::string_view arg, int64_t* out) {
  auto v = ParseInt64(arg);
  if (!v || *v < 0) {
    ctx.reply().Error("value is out of range, must be positive");
    return false;
  }
  *out = *v;
  return true;
}

// Normalises a [start, end] range as LRANGE does; false when it is empty.
inline bool NormalizeRange(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0) *start += len;
  if (*end < 0) *end += len;
  if (*start < 0) *start = 0;
  if (*start > *end || *start >= len) return false;
  if (*end >= len) *end = len - 1;
  return true;
}

// Redis's getRangeLongFromObjectOrReply with a custom message for both failures.
inline bool ParseBounded(CommandContext& ctx, std::string_view arg, int64_t min, const char* msg,
                         int64_t* out) {
  auto v = ParseInt64(arg);
  if (!v || *v < min) {
    ctx.reply().Error(msg);
    return false;
  }
  *out = *v;
  return true;
}

// A blocking command's timeout in seconds with decimals (Redis's getTimeoutFromObjectOrReply):
// the absolute deadline in ms, or 0 for none.
inline bool ParseBlockTimeout(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  auto v = ParseLongDouble(arg);
  if (!v || std::isinf(*v)) {
    ctx.reply().Error("timeout is not a float or out of range");
    return false;
  }
  long double ms = *v * 1000.0L;
  if (ms < 0) {
    ctx.reply().Error("timeout is negative");
    return false;
  }
  int64_t now = ctx.now_ms();
  if (ms >= (long double)(INT64_MAX - now)) {
    ctx.reply().Error("timeout is out of range");
    return false;
  }
  *deadline_ms = int64_t(ms) > 0 ? int64_t(ms) + now : 0;
  return true;
}

// LMPOP / ZMPOP `numkeys key... WHERE [COUNT n]`, and BLMPOP / BZMPOP with the timeout before
// numkeys, checked in Redis's order: numkeys, WHERE (`valid_where`), options, timeout. Replies
// the error and returns false.
struct MPopArgs {
  CmdArgs keys;
  int64_t count = 1;
  int64_t deadline_ms = 0;
};
template <typename ValidWhere>
bool ParseMPop(CommandContext& ctx, CmdArgs args, bool blocking, ValidWhere&& valid_where,
               MPopArgs* out) {
  size_t numkeys_at = blocking ? 2 : 1;
  int64_t numkeys;
  if (!ParseBounded(ctx, args[numkeys_at], 1, "numkeys should be greater than 0", &numkeys)) {
    return false;
  }
  size_t where_at = numkeys_at + 1 + size_t(numkeys);
  if (numkeys > int64_t(args.size()) || where_at >= args.size() || !valid_where(args[where_at])) {
    ctx.reply().Error(errors::kSyntax);
    return false;
  }
  out->keys = args.subspan(numkeys_at + 1, size_t(numkeys));
  bool has_count = false;
  for (size_t j = where_at + 1; j < args.size(); ++j) {
    if (!has_count && EqualsNoCase(args[j], "COUNT") && j + 1 < args.size()) {
      if (!ParseBounded(ctx, args[++j], 1, "count should be greater than 0", &out->count)) {
        return false;
      }
      has_count = true;
    } else {
      ctx.reply().Error(errors::kSyntax);
      return false;
    }
  }
  return !blocking || ParseBlockTimeout(ctx, args[1], &out->deadline_ms);
}

// SCAN-family cursor, with Redis's parseScanCursorOrReply (strtoul) rules.
bool ParseScanCursor(CommandContext& ctx, std::string_view arg, uint64_t* out);

struct ScanOptions {
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  std::optional<std::string_view> type;  // SCAN only
};
// MATCH / COUNT (/ TYPE) options from args[first] on; replies the error and returns false.
bool ParseScanOptions(CommandContext& ctx, CmdArgs args, size_t first, bool allow_type,
                      ScanOptions* out);

// The handler of a command that only groups subcommands (CLIENT, PUBSUB ...): reached only
// with a subcommand the table does not know.
inline void CmdContainer(CmdArgs args, CommandContext& ctx) {
  ctx.reply().Error(StrCat("unknown subcommand '", args.size() > 1 ? args[1] : "", "'. Try ",
                           ToUpper(args[0]), " HELP."));
}

// Formats an integer without allocation-heavy streams.
inline std::string IntToString(int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

}  // namespace ember
