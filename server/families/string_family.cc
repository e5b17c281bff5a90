// Strings: SET and its variants, counters, ranges and bits (Redis t_string.c, bitops.c).

#include <bit>
#include <cmath>
#include <optional>

#include "server/families/family_util.h"

namespace ember {

namespace {

using Repr = Entry::Repr;

// ---------------------------------------------------------------------------------------------
// Data operations (no RESP)

enum class OpStatus { kOk, kWrongType, kNotInteger, kNotFloat, kOverflow, kNanOrInf, kTooLong };

template <typename T>
struct OpResult {
  OpStatus status = OpStatus::kOk;
  T value{};
  explicit operator bool() const { return status == OpStatus::kOk; }
};

const char* ErrorText(OpStatus s) {
  switch (s) {
    case OpStatus::kWrongType:
      return errors::kWrongType;
    case OpStatus::kNotInteger:
      return errors::kNotInteger;
    case OpStatus::kNotFloat:
      return errors::kNotFloat;
    case OpStatus::kOverflow:
      return errors::kOverflow;
    case OpStatus::kNanOrInf:
      return errors::kNanOrInf;
    case OpStatus::kTooLong:
      return errors::kStringTooLong;
    case OpStatus::kOk:
      break;
  }
  return "";
}

// Adds `delta` to the integer at `key`, creating it as 0 and keeping its TTL.
OpResult<int64_t> OpIncrBy(Db& db, std::string_view key, int64_t delta) {
  Entry* e = db.Find(key);
  int64_t current = 0;
  if (e != nullptr) {
    if (e->type() != ObjType::kString) return {OpStatus::kWrongType};
    if (e->is_int()) {
      current = e->int_value();
    } else {
      auto v = ParseInt64(e->raw_value());
      if (!v) return {OpStatus::kNotInteger};
      current = *v;
    }
  }
  int64_t result;
  if (__builtin_add_overflow(current, delta, &result)) return {OpStatus::kOverflow};
  db.SetInt(key, result, Db::Ttl::kKeep, e);
  return {OpStatus::kOk, result};
}

OpResult<std::string> OpIncrByFloat(Db& db, std::string_view key, long double delta) {
  Entry* e = db.Find(key);
  long double current = 0;
  if (e != nullptr) {
    if (e->type() != ObjType::kString) return {OpStatus::kWrongType};
    if (e->is_int()) {
      current = static_cast<long double>(e->int_value());
    } else {
      auto v = ParseLongDouble(e->raw_value());
      if (!v) return {OpStatus::kNotFloat};
      current = *v;
    }
  }
  long double result = current + delta;
  if (std::isnan(result) || std::isinf(result)) return {OpStatus::kNanOrInf};
  std::string text = FormatLongDouble(result);
  db.SetString(key, text, Repr::kNoInt, Db::Ttl::kKeep, 0, e);
  return {OpStatus::kOk, std::move(text)};
}

// Checks Redis's checkStringLength: the result of growing a string must fit in
// proto-max-bulk-len.
bool LengthFits(CommandContext& ctx, int64_t size, int64_t append) {
  int64_t total;
  if (__builtin_add_overflow(size, append, &total) ||
      total > ctx.engine().config().proto_max_bulk_len.load()) {
    ctx.reply().Error(errors::kStringTooLong);
    return false;
  }
  return true;
}

// The bytes of a string entry; integers are formatted into `scratch`.
std::string_view StringBytes(const Entry* e, std::string* scratch) {
  if (!e->is_int()) return e->raw_value();
  *scratch = IntToString(e->int_value());
  return *scratch;
}

// ---------------------------------------------------------------------------------------------
// SET family

enum SetFlags : uint32_t {
  kSetNx = 1,
  kSetXx = 2,
  kSetGet = 4,
  kSetKeepTtl = 8,
  kSetEx = 16,
  kSetPx = 32,
  kSetExat = 64,
  kSetPxat = 128,
  kSetPersist = 256,
};
constexpr uint32_t kAnyExpire = kSetEx | kSetPx | kSetExat | kSetPxat;

enum class ParseMode { kSet, kGetEx };

uint32_t ExpireKind(std::string_view opt) {
  if (EqualsNoCase(opt, "EX")) return kSetEx;
  if (EqualsNoCase(opt, "PX")) return kSetPx;
  if (EqualsNoCase(opt, "EXAT")) return kSetExat;
  if (EqualsNoCase(opt, "PXAT")) return kSetPxat;
  return 0;
}

// Redis's parseExtendedStringArgumentsOrReply: options from args[first] on.
bool ParseSetOptions(CommandContext& ctx, CmdArgs args, size_t first, ParseMode mode,
                     uint32_t* flags, std::string_view* expire_arg) {
  for (size_t j = first; j < args.size(); ++j) {
    std::string_view opt = args[j];
    bool has_next = j + 1 < args.size();
    uint32_t f = *flags;
    if (EqualsNoCase(opt, "NX") && !(f & kSetXx) && mode == ParseMode::kSet) {
      *flags |= kSetNx;
    } else if (EqualsNoCase(opt, "XX") && !(f & kSetNx) && mode == ParseMode::kSet) {
      *flags |= kSetXx;
    } else if (EqualsNoCase(opt, "GET") && mode == ParseMode::kSet) {
      *flags |= kSetGet;
    } else if (EqualsNoCase(opt, "KEEPTTL") && !(f & (kSetPersist | kAnyExpire)) &&
               mode == ParseMode::kSet) {
      *flags |= kSetKeepTtl;
    } else if (EqualsNoCase(opt, "PERSIST") && mode == ParseMode::kGetEx &&
               !(f & (kAnyExpire | kSetKeepTtl))) {
      *flags |= kSetPersist;
    } else if (uint32_t kind = ExpireKind(opt);
               kind != 0 && has_next && !(f & (kSetKeepTtl | kSetPersist | (kAnyExpire & ~kind)))) {
      *flags |= kind;  // repeating the same kind is allowed: the last value wins, as in Redis
      *expire_arg = args[++j];
    } else {
      ctx.reply().Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// Redis's getExpireMillisecondsOrReply: the absolute deadline in ms.
bool ExpireDeadline(CommandContext& ctx, std::string_view arg, uint32_t flags, int64_t* out) {
  int64_t v;
  if (!ParseIntArg(ctx, arg, &v)) return false;
  bool seconds = flags & (kSetEx | kSetExat);
  std::string err = "invalid expire time in '" + ctx.cmd().FullName() + "' command";
  if (v <= 0 || (seconds && v > INT64_MAX / 1000)) {
    ctx.reply().Error(err);
    return false;
  }
  if (seconds) v *= 1000;
  if ((flags & (kSetEx | kSetPx)) && __builtin_add_overflow(v, ctx.now_ms(), &v)) v = -1;
  if (v <= 0) {
    ctx.reply().Error(err);
    return false;
  }
  *out = v;
  return true;
}

// The shared body of SET, SETNX, SETEX, PSETEX. Replies `ok_reply`/`abort_reply` as Redis's
// setGenericCommand does (nullptr: the defaults +OK / nil).
void SetGeneric(CommandContext& ctx, uint32_t flags, std::string_view key, std::string_view value,
                std::optional<std::string_view> expire_arg, const char* ok_int = nullptr,
                const char* abort_int = nullptr) {
  int64_t deadline = 0;
  if (expire_arg && !ExpireDeadline(ctx, *expire_arg, flags, &deadline)) return;
  Db& db = ctx.db();
  // SET ... GET reads the old value as GET does (a miss is a "keymiss").
  Entry* old = (flags & kSetGet) ? LookupRead(ctx, key) : db.Find(key);
  if (flags & kSetGet) {
    if (old == nullptr) {
      ctx.reply().Null();
    } else if (!CheckType(ctx, old, ObjType::kString)) {
      return;
    } else {
      std::string scratch;
      ctx.reply().Bulk(StringBytes(old, &scratch));
    }
  }
  bool found = old != nullptr;
  if (((flags & kSetNx) && found) || ((flags & kSetXx) && !found)) {
    if (!(flags & kSetGet)) {
      if (abort_int) {
        ctx.reply().buffer().append(abort_int);
      } else {
        ctx.reply().Null();
      }
    }
    return;
  }
  Db::Ttl ttl = expire_arg              ? Db::Ttl::kSet
                : (flags & kSetKeepTtl) ? Db::Ttl::kKeep
                                        : Db::Ttl::kClear;
  db.SetString(key, value, Repr::kAuto, ttl, deadline, old);
  if (expire_arg) {
    std::string ms = IntToString(deadline);
    ctx.Propagate({"SET", key, value, "PXAT", ms});
  } else if (flags & kSetKeepTtl) {
    ctx.Propagate({"SET", key, value, "KEEPTTL"});
  } else {
    ctx.Propagate({"SET", key, value});
  }
  if (!(flags & kSetGet)) {
    if (ok_int) {
      ctx.reply().buffer().append(ok_int);
    } else {
      ctx.reply().Ok();
    }
  }
}

void CmdSet(CmdArgs args, CommandContext& ctx) {
  uint32_t flags = 0;
  std::string_view expire;
  if (!ParseSetOptions(ctx, args, 3, ParseMode::kSet, &flags, &expire)) return;
  std::optional<std::string_view> exp;
  if (flags & kAnyExpire) exp = expire;
  SetGeneric(ctx, flags, args[1], args[2], exp);
}

void CmdSetNx(CmdArgs args, CommandContext& ctx) {
  SetGeneric(ctx, kSetNx, args[1], args[2], std::nullopt, ":1\r\n", ":0\r\n");
}

void CmdSetEx(CmdArgs args, CommandContext& ctx) {
  SetGeneric(ctx, kSetEx, args[1], args[3], args[2]);
}

void CmdPSetEx(CmdArgs args, CommandContext& ctx) {
  SetGeneric(ctx, kSetPx, args[1], args[3], args[2]);
}

void CmdGet(CmdArgs args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1]);
  if (e == nullptr) return ctx.reply().Null();
  if (!CheckType(ctx, e, ObjType::kString)) return;
  std::string scratch;
  ctx.reply().Bulk(StringBytes(e, &scratch));
}

void CmdGetEx(CmdArgs args, CommandContext& ctx) {
  uint32_t flags = 0;
  std::string_view expire_arg;
  if (!ParseSetOptions(ctx, args, 2, ParseMode::kGetEx, &flags, &expire_arg)) return;
  std::string_view key = args[1];
  Entry* e = LookupRead(ctx, key);
  if (e == nullptr) return ctx.reply().Null();
  if (!CheckType(ctx, e, ObjType::kString)) return;
  int64_t deadline = 0;
  if ((flags & kAnyExpire) && !ExpireDeadline(ctx, expire_arg, flags, &deadline)) return;
  std::string scratch;
  ctx.reply().Bulk(StringBytes(e, &scratch));
  Db& db = ctx.db();
  if ((flags & (kSetExat | kSetPxat)) && deadline <= ctx.now_ms() &&
      ctx.keyspace().expire_on_access()) {
    db.Delete(key);
    ctx.Propagate({"DEL", key});
  } else if (flags & kAnyExpire) {
    db.SetExpire(e, deadline);
    std::string ms = IntToString(deadline);
    ctx.Propagate({"PEXPIREAT", key, ms});
  } else if ((flags & kSetPersist) && e->has_expire()) {
    db.Persist(e);
    ctx.Propagate({"PERSIST", key});
  }
}

void CmdGetDel(CmdArgs args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1]);
  if (e == nullptr) return ctx.reply().Null();
  if (!CheckType(ctx, e, ObjType::kString)) return;
  std::string scratch;
  ctx.reply().Bulk(StringBytes(e, &scratch));
  ctx.db().Delete(args[1]);
  ctx.Propagate({"DEL", args[1]});
}

void CmdGetSet(CmdArgs args, CommandContext& ctx) {
  SetGeneric(ctx, kSetGet, args[1], args[2], std::nullopt);
}

void CmdMGet(CmdArgs args, CommandContext& ctx) {
  ctx.reply().ArrayHeader(args.size() - 1);
  std::string scratch;
  for (size_t i = 1; i < args.size(); ++i) {
    Entry* e = LookupRead(ctx, args[i]);
    if (e == nullptr || e->type() != ObjType::kString) {
      ctx.reply().Null();
    } else {
      ctx.reply().Bulk(StringBytes(e, &scratch));
    }
  }
}

void MSetGeneric(CmdArgs args, CommandContext& ctx, bool nx) {
  if (args.size() % 2 == 0) {
    ctx.reply().Error("wrong number of arguments for '" + ctx.cmd().FullName() + "' command");
    return;
  }
  Db& db = ctx.db();
  if (nx) {
    for (size_t i = 1; i < args.size(); i += 2) {
      if (db.Find(args[i]) != nullptr) {
        ctx.reply().Integer(0);
        return;
      }
    }
  }
  for (size_t i = 1; i < args.size(); i += 2) {
    db.SetString(args[i], args[i + 1], Repr::kAuto, Db::Ttl::kClear);
    ctx.Notify(Engine::kNotifyString, "set", args[i]);
  }
  std::vector<std::string_view> effect(args.begin(), args.end());
  effect[0] = "MSET";
  ctx.Propagate(effect, CommandContext::KeyEvent{});
  if (nx) {
    ctx.reply().Integer(1);
  } else {
    ctx.reply().Ok();
  }
}

void CmdMSet(CmdArgs args, CommandContext& ctx) { MSetGeneric(args, ctx, false); }
void CmdMSetNx(CmdArgs args, CommandContext& ctx) { MSetGeneric(args, ctx, true); }

// ---------------------------------------------------------------------------------------------
// Counters

void IncrGeneric(CommandContext& ctx, std::string_view key, int64_t delta) {
  OpResult<int64_t> res = OpIncrBy(ctx.db(), key, delta);
  if (!res) return ctx.reply().Error(ErrorText(res.status));
  std::string v = IntToString(res.value);
  ctx.Propagate({"SET", key, v, "KEEPTTL"}, {{Engine::kNotifyString, "incrby"}});
  ctx.reply().Integer(res.value);
}

void CmdIncr(CmdArgs args, CommandContext& ctx) { IncrGeneric(ctx, args[1], 1); }
void CmdDecr(CmdArgs args, CommandContext& ctx) { IncrGeneric(ctx, args[1], -1); }

void CmdIncrBy(CmdArgs args, CommandContext& ctx) {
  int64_t delta;
  if (!ParseIntArg(ctx, args[2], &delta)) return;
  IncrGeneric(ctx, args[1], delta);
}

void CmdDecrBy(CmdArgs args, CommandContext& ctx) {
  int64_t delta;
  if (!ParseIntArg(ctx, args[2], &delta)) return;
  if (delta == INT64_MIN) return ctx.reply().Error("decrement would overflow");
  IncrGeneric(ctx, args[1], -delta);
}

void CmdIncrByFloat(CmdArgs args, CommandContext& ctx) {
  auto delta = ParseLongDouble(args[2]);
  // Redis checks the stored value first, then the increment.
  Entry* e = ctx.db().Find(args[1]);
  if (e != nullptr && e->type() == ObjType::kString && !e->is_int() &&
      !ParseLongDouble(e->raw_value())) {
    return ctx.reply().Error(errors::kNotFloat);
  }
  if (e != nullptr && e->type() != ObjType::kString) return ctx.reply().Error(errors::kWrongType);
  if (!delta) return ctx.reply().Error(errors::kNotFloat);
  OpResult<std::string> res = OpIncrByFloat(ctx.db(), args[1], *delta);
  if (!res) return ctx.reply().Error(ErrorText(res.status));
  ctx.Propagate({"SET", args[1], res.value, "KEEPTTL"}, {{Engine::kNotifyString, "incrbyfloat"}});
  ctx.reply().Bulk(res.value);
}

// ---------------------------------------------------------------------------------------------
// Ranges

void CmdAppend(CmdArgs args, CommandContext& ctx) {
  std::string_view key = args[1], tail = args[2];
  Db& db = ctx.db();
  Entry* e = db.Find(key);
  if (e == nullptr) {
    db.SetString(key, tail, Repr::kAuto, Db::Ttl::kClear);
    ctx.Propagate({"SET", key, tail}, {{Engine::kNotifyString, "append"}});
    return ctx.reply().Integer(int64_t(tail.size()));
  }
  if (!CheckType(ctx, e, ObjType::kString)) return;
  std::string value = e->StringValue();
  if (!LengthFits(ctx, int64_t(value.size()), int64_t(tail.size()))) return;
  value.append(tail);
  db.SetString(key, value, Repr::kRaw, Db::Ttl::kKeep);
  ctx.Propagate({"APPEND", key, tail});
  ctx.reply().Integer(int64_t(value.size()));
}

void CmdStrLen(CmdArgs args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (!CheckType(ctx, e, ObjType::kString)) return;
  ctx.reply().Integer(int64_t(e->StringLength()));
}

void CmdGetRange(CmdArgs args, CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIntArg(ctx, args[2], &start) || !ParseIntArg(ctx, args[3], &end)) return;
  Entry* e = LookupRead(ctx, args[1]);
  if (e == nullptr) return ctx.reply().Bulk("");
  if (!CheckType(ctx, e, ObjType::kString)) return;
  std::string scratch;
  std::string_view s = StringBytes(e, &scratch);
  int64_t len = int64_t(s.size());
  if (start < 0 && end < 0 && start > end) return ctx.reply().Bulk("");
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) return ctx.reply().Bulk("");
  ctx.reply().Bulk(s.substr(size_t(start), size_t(end - start + 1)));
}

void CmdSetRange(CmdArgs args, CommandContext& ctx) {
  std::string_view key = args[1], patch = args[3];
  int64_t offset;
  if (!ParseIntArg(ctx, args[2], &offset)) return;
  if (offset < 0) return ctx.reply().Error(errors::kOffsetRange);
  Db& db = ctx.db();
  Entry* e = db.Find(key);
  std::string value;
  if (e == nullptr) {
    if (patch.empty()) return ctx.reply().Integer(0);
    if (!LengthFits(ctx, offset, int64_t(patch.size()))) return;
  } else {
    if (!CheckType(ctx, e, ObjType::kString)) return;
    value = e->StringValue();
    if (patch.empty()) return ctx.reply().Integer(int64_t(value.size()));
    if (!LengthFits(ctx, offset, int64_t(patch.size()))) return;
  }
  size_t need = size_t(offset) + patch.size();
  if (value.size() < need) value.resize(need, '\0');
  value.replace(size_t(offset), patch.size(), patch);
  db.SetString(key, value, Repr::kRaw, Db::Ttl::kKeep);
  ctx.Propagate({"SETRANGE", key, args[2], patch});
  ctx.reply().Integer(int64_t(value.size()));
}

// ---------------------------------------------------------------------------------------------
// Bits

bool ParseBitOffset(CommandContext& ctx, std::string_view arg, uint64_t* out) {
  auto v = ParseInt64(arg);
  if (!v || *v < 0 || (*v >> 3) >= ctx.engine().config().proto_max_bulk_len.load()) {
    ctx.reply().Error(errors::kBitOffset);
    return false;
  }
  *out = uint64_t(*v);
  return true;
}

void CmdSetBit(CmdArgs args, CommandContext& ctx) {
  std::string_view key = args[1];
  uint64_t offset;
  if (!ParseBitOffset(ctx, args[2], &offset)) return;
  int64_t on;
  if (!ParseIntArg(ctx, args[3], &on, errors::kBitValue)) return;
  if (on & ~int64_t(1)) return ctx.reply().Error(errors::kBitValue);
  Db& db = ctx.db();
  Entry* e = db.Find(key);
  std::string value;
  if (e != nullptr) {
    if (!CheckType(ctx, e, ObjType::kString)) return;
    value = e->StringValue();
  }
  size_t byte = size_t(offset >> 3);
  bool grew = value.size() < byte + 1;
  if (grew) value.resize(byte + 1, '\0');
  int bit = 7 - int(offset & 7);
  auto& b = reinterpret_cast<unsigned char&>(value[byte]);
  int old = (b >> bit) & 1;
  // As Redis: a new key, a longer string or a flipped bit is a change; anything else is not.
  if (e == nullptr || grew || old != on) {
    b = (unsigned char)((b & ~(1 << bit)) | (int(on) << bit));
    db.SetString(key, value, Repr::kRaw, Db::Ttl::kKeep);
    ctx.Propagate({"SETBIT", key, args[2], args[3]});
  } else if (e->str_encoding() != Entry::StrEnc::kRaw) {
    // Redis unshares the string before looking at the bit: it turns raw even unchanged.
    db.SetString(key, value, Repr::kRaw, Db::Ttl::kKeep, 0, e);
  }
  ctx.reply().Integer(old);
}

void CmdGetBit(CmdArgs args, CommandContext& ctx) {
  uint64_t offset;
  if (!ParseBitOffset(ctx, args[2], &offset)) return;
  Entry* e = LookupRead(ctx, args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (!CheckType(ctx, e, ObjType::kString)) return;
  std::string scratch;
  std::string_view s = StringBytes(e, &scratch);
  size_t byte = size_t(offset >> 3);
  if (byte >= s.size()) return ctx.reply().Integer(0);
  ctx.reply().Integer((static_cast<unsigned char>(s[byte]) >> (7 - (offset & 7))) & 1);
}

int64_t PopCount(std::string_view s) {
  int64_t n = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    memcpy(&w, s.data() + i, 8);
    n += std::popcount(w);
  }
  for (; i < s.size(); ++i) n += std::popcount(static_cast<unsigned char>(s[i]));
  return n;
}

// Parses the optional BYTE|BIT unit at args[i]; true = bits.
bool ParseBitUnit(CommandContext& ctx, std::string_view arg, bool* is_bit) {
  if (EqualsNoCase(arg, "BIT")) {
    *is_bit = true;
  } else if (EqualsNoCase(arg, "BYTE")) {
    *is_bit = false;
  } else {
    ctx.reply().Error(errors::kSyntax);
    return false;
  }
  return true;
}

void CmdBitCount(CmdArgs args, CommandContext& ctx) {
  Entry* e = LookupRead(ctx, args[1]);
  if (e == nullptr) return ctx.reply().Integer(0);
  if (!CheckType(ctx, e, ObjType::kString)) return;
  std::string scratch;
  std::string_view s = StringBytes(e, &scratch);
  int64_t len = int64_t(s.size());
  int64_t start, end;
  bool is_bit = false;
  int first_mask = 0, last_mask = 0;
  if (args.size() == 4 || args.size() == 5) {
    if (!ParseIntArg(ctx, args[2], &start) || !ParseIntArg(ctx, args[3], &end)) return;
    if (args.size() == 5 && !ParseBitUnit(ctx, args[4], &is_bit)) return;
    int64_t total = is_bit ? len * 8 : len;
    if (start < 0 && end < 0 && start > end) return ctx.reply().Integer(0);
    if (start < 0) start += total;
    if (end < 0) end += total;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= total) end = total - 1;
    if (is_bit && start <= end) {
      first_mask = ~((1 << (8 - (start & 7))) - 1) & 0xFF;
      last_mask = (1 << (7 - (end & 7))) - 1;
      start >>= 3;
      end >>= 3;
    }
  } else if (args.size() == 2) {
    start = 0;
    end = len - 1;
  } else {
    return ctx.reply().Error(errors::kSyntax);
  }
  if (start > end) return ctx.reply().Integer(0);
  int64_t count = PopCount(s.substr(size_t(start), size_t(end - start + 1)));
  if (first_mask)
    count -= std::popcount(unsigned(static_cast<unsigned char>(s[size_t(start)]) & first_mask));
  if (last_mask)
    count -= std::popcount(unsigned(static_cast<unsigned char>(s[size_t(end)]) & last_mask));
  ctx.reply().Integer(count);
}

// Position of the first bit equal to `bit` in `s`, or -1 (for 1) / the bit length (for 0,
// as if the string were padded with zeros), as Redis's redisBitpos.
int64_t BitPos(const unsigned char* s, int64_t count, int bit) {
  for (int64_t i = 0; i < count; ++i) {
    unsigned char c = bit ? s[i] : static_cast<unsigned char>(~s[i]);
    if (c != 0) return i * 8 + std::countl_zero(c);
  }
  return bit ? -1 : count * 8;
}

void CmdBitPos(CmdArgs args, CommandContext& ctx) {
  int64_t bit;
  if (!ParseIntArg(ctx, args[2], &bit)) return;
  if (bit != 0 && bit != 1) return ctx.reply().Error("The bit argument must be 1 or 0.");
  Entry* e = LookupRead(ctx, args[1]);
  if (e == nullptr) return ctx.reply().Integer(bit ? -1 : 0);
  if (!CheckType(ctx, e, ObjType::kString)) return;
  std::string scratch;
  std::string_view sv = StringBytes(e, &scratch);
  const auto* p = reinterpret_cast<const unsigned char*>(sv.data());
  int64_t len = int64_t(sv.size());
  int64_t start, end;
  bool is_bit = false, end_given = false;
  int first_mask = 0, last_mask = 0;
  if (args.size() >= 4 && args.size() <= 6) {
    int64_t total = len;
    if (!ParseIntArg(ctx, args[3], &start)) return;
    if (args.size() == 6 && !ParseBitUnit(ctx, args[5], &is_bit)) return;
    if (args.size() >= 5) {
      if (!ParseIntArg(ctx, args[4], &end)) return;
      end_given = true;
    } else {
      end = is_bit ? total * 8 - 1 : total - 1;
    }
    if (is_bit) total *= 8;
    if (start < 0) start += total;
    if (end < 0) end += total;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= total) end = total - 1;
  } else if (args.size() == 3) {
    start = 0;
    end = len - 1;
  } else {
    return ctx.reply().Error(errors::kSyntax);
  }
  if (is_bit && start <= end) {
    first_mask = ~((1 << (8 - (start & 7))) - 1) & 0xFF;
    last_mask = (1 << (7 - (end & 7))) - 1;
    start >>= 3;
    end >>= 3;
  }
  if (start > end) return ctx.reply().Integer(-1);
  int64_t bytes = end - start + 1;
  int64_t pos = -1;
  unsigned char tmp;
  bool done = false;
  if (first_mask) {
    tmp = bit ? (p[start] & ~first_mask) : (p[start] | first_mask);
    if (last_mask && bytes == 1) tmp = bit ? (tmp & ~last_mask) : (tmp | last_mask);
    pos = BitPos(&tmp, 1, int(bit));
    if (bytes == 1 || (pos != -1 && pos != 8)) {
      done = true;
    } else {
      ++start;
      --bytes;
    }
  }
  if (!done) {
    int64_t cur = bytes - (last_mask ? 1 : 0);
    if (cur > 0) {
      pos = BitPos(p + start, cur, int(bit));
      if (bytes == cur || (pos != -1 && pos != cur * 8)) {
        done = true;
      } else {
        start += cur;
        bytes -= cur;
      }
    }
  }
  if (!done) {
    tmp = bit ? (p[end] & ~last_mask) : (p[end] | last_mask);
    pos = BitPos(&tmp, 1, int(bit));
  }
  if (end_given && bit == 0 && pos == bytes * 8) return ctx.reply().Integer(-1);
  if (pos != -1) pos += start * 8;
  ctx.reply().Integer(pos);
}

}  // namespace

void RegisterStringFamily(CommandRegistry* registry) {
  constexpr uint32_t kW = kWrite | kDenyOom;
  *registry
      << CommandId("SET", kW, -3, 1, 1)
             .Handler(CmdSet)
             .Doc("string", "1.0.0",
                  "Sets the string value of a key, ignoring its type. The key is created if it "
                  "doesn't exist.",
                  "O(1)")
      << CommandId("SETNX", kW | kFast, 3, 1, 1)
             .Handler(CmdSetNx)
             .Doc("string", "1.0.0",
                  "Set the string value of a key only when the key doesn't exist.", "O(1)")
      << CommandId("SETEX", kW, 4, 1, 1)
             .Handler(CmdSetEx)
             .Doc("string", "2.0.0", "Sets the string value and expiration time of a key.", "O(1)")
      << CommandId("PSETEX", kW, 4, 1, 1)
             .Handler(CmdPSetEx)
             .Doc("string", "2.6.0",
                  "Sets both string value and expiration time in milliseconds of a key.", "O(1)")
      << CommandId("GET", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdGet)
             .Doc("string", "1.0.0", "Returns the string value of a key.", "O(1)")
      << CommandId("GETEX", kWrite | kFast, -2, 1, 1)
             .Handler(CmdGetEx)
             .Doc("string", "6.2.0",
                  "Returns the string value of a key after setting its expiration time.", "O(1)")
      << CommandId("GETDEL", kWrite | kFast, 2, 1, 1)
             .Handler(CmdGetDel)
             .Doc("string", "6.2.0", "Returns the string value of a key after deleting the key.",
                  "O(1)")
      << CommandId("GETSET", kW | kFast, 3, 1, 1)
             .Handler(CmdGetSet)
             .Doc("string", "1.0.0",
                  "Returns the previous string value of a key after setting it to a new value.",
                  "O(1)")
      << CommandId("MGET", kReadOnly | kFast, -2, 1, -1)
             .Handler(CmdMGet)
             .Doc("string", "1.0.0", "Atomically returns the string values of one or more keys.",
                  "O(N)")
      << CommandId("MSET", kW, -3, 1, -1, 2)
             .Handler(CmdMSet)
             .Doc("string", "1.0.1",
                  "Atomically creates or modifies the string values of one or more keys.", "O(N)")
      << CommandId("MSETNX", kW, -3, 1, -1, 2)
             .Handler(CmdMSetNx)
             .Doc("string", "1.0.1",
                  "Atomically modifies the string values of one or more keys only when all keys "
                  "don't exist.",
                  "O(N)")
      << CommandId("INCR", kW | kFast, 2, 1, 1)
             .Handler(CmdIncr)
             .Doc("string", "1.0.0",
                  "Increments the integer value of a key by one. Uses 0 as initial value if the "
                  "key doesn't exist.",
                  "O(1)")
      << CommandId("DECR", kW | kFast, 2, 1, 1)
             .Handler(CmdDecr)
             .Doc("string", "1.0.0",
                  "Decrements the integer value of a key by one. Uses 0 as initial value if the "
                  "key doesn't exist.",
                  "O(1)")
      << CommandId("INCRBY", kW | kFast, 3, 1, 1)
             .Handler(CmdIncrBy)
             .Doc("string", "1.0.0",
                  "Increments the integer value of a key by a number. Uses 0 as initial value if "
                  "the key doesn't exist.",
                  "O(1)")
      << CommandId("DECRBY", kW | kFast, 3, 1, 1)
             .Handler(CmdDecrBy)
             .Doc("string", "1.0.0",
                  "Decrements a number from the integer value of a key. Uses 0 as initial value if "
                  "the key doesn't exist.",
                  "O(1)")
      << CommandId("INCRBYFLOAT", kW | kFast, 3, 1, 1)
             .Handler(CmdIncrByFloat)
             .Doc("string", "2.6.0",
                  "Increment the floating point value of a key by a number. Uses 0 as initial "
                  "value if the key doesn't exist.",
                  "O(1)")
      << CommandId("APPEND", kW | kFast, 3, 1, 1)
             .Handler(CmdAppend)
             .Doc("string", "2.0.0",
                  "Appends a string to the value of a key. Creates the key if it doesn't exist.",
                  "O(1)")
      << CommandId("STRLEN", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdStrLen)
             .Doc("string", "2.2.0", "Returns the length of a string value.", "O(1)")
      << CommandId("GETRANGE", kReadOnly, 4, 1, 1)
             .Handler(CmdGetRange)
             .Doc("string", "2.4.0", "Returns a substring of the string stored at a key.", "O(N)")
      << CommandId("SUBSTR", kReadOnly, 4, 1, 1)
             .Handler(CmdGetRange)
             .Doc("string", "1.0.0", "Returns a substring from a string value.", "O(N)")
      << CommandId("SETRANGE", kW, 4, 1, 1)
             .Handler(CmdSetRange)
             .Doc("string", "2.2.0",
                  "Overwrites a part of a string value with another by an offset. Creates the key "
                  "if it doesn't exist.",
                  "O(1)")
      << CommandId("SETBIT", kW, 4, 1, 1)
             .Handler(CmdSetBit)
             .Doc("bitmap", "2.2.0",
                  "Sets or clears the bit at offset of the string value. Creates the key if it "
                  "doesn't exist.",
                  "O(1)")
      << CommandId("GETBIT", kReadOnly | kFast, 3, 1, 1)
             .Handler(CmdGetBit)
             .Doc("bitmap", "2.2.0", "Returns a bit value by offset.", "O(1)")
      << CommandId("BITCOUNT", kReadOnly, -2, 1, 1)
             .Handler(CmdBitCount)
             .Doc("bitmap", "2.6.0",
                  "Counts the number of set bits (population counting) in a string.", "O(N)")
      << CommandId("BITPOS", kReadOnly, -3, 1, 1)
             .Handler(CmdBitPos)
             .Doc("bitmap", "2.8.7", "Finds the first set (1) or clear (0) bit in a string.",
                  "O(N)");
}

}  // namespace ember
