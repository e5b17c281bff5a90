// Sorted sets: ZADD, ZRANGE and its older forms, ZPOPMIN, BZPOPMIN, ZUNION/ZINTER/ZDIFF ...
// (Redis t_zset.c).

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "server/families/family_util.h"
#include "server/types/set_value.h"
#include "server/types/zset_value.h"

namespace ember {

namespace {

ZSetLimits Limits(CommandContext& ctx) {
  const auto& c = ctx.engine().config();
  return ZSetLimits{size_t(c.zset_max_listpack_entries.load()),
                    size_t(c.zset_max_listpack_value.load())};
}

// The sorted set at `key`: nullptr when absent; replies WRONGTYPE and sets *stop otherwise.
ZSetValue* FindZSet(CommandContext& ctx, std::string_view key, bool* stop, bool count_read) {
  *stop = false;
  Entry* e = count_read ? LookupRead(ctx, key) : ctx.db().Find(key);
  if (e == nullptr) return nullptr;
  if (!CheckType(ctx, e, ObjType::kZSet)) {
    *stop = true;
    return nullptr;
  }
  return e->As<ZSetValue>();
}

ZSetValue* CreateZSet(CommandContext& ctx, std::string_view key) {
  return ctx.db().Put(Entry::NewObject(key, ObjType::kZSet, /*empty=*/0, false))->As<ZSetValue>();
}

// A score argument, as Redis's getDoubleFromObject (no NaN, no spaces, no overflow).
bool ParseScore(CommandContext& ctx, std::string_view arg, double* out,
                const char* err = "value is not a valid float") {
  auto v = ParseDouble(arg);
  if (!v) {
    ctx.reply().Error(err);
    return false;
  }
  *out = *v;
  return true;
}

// A score as ZSCAN shows it: a listpack holds scores as text, integral ones within +-2^62 as
// integers; a skiplist's double prints with %.17g.
std::string ScanScoreText(double s, bool listpack) {
  constexpr double kIntRange = 4611686018427387904.0;  // 2^62
  if (listpack && s >= -kIntRange && s <= kIntRange && s == double(int64_t(s))) {
    return IntToString(int64_t(s));
  }
  return FormatDouble(s);
}

// ---------------------------------------------------------------------------------------------
// Range bounds

struct ScoreBound {
  double value = 0;
  bool exclusive = false;
};

// "(1.5", "-inf", "3": strtod on what follows an optional '(' (so "" reads as 0, as in Redis).
bool ParseScoreBound(std::string_view arg, ScoreBound* out) {
  out->exclusive = !arg.empty() && arg[0] == '(';
  // strtod over a C string: an embedded NUL ends the number, as in Redis.
  std::string text(arg.substr(out->exclusive ? 1 : 0));
  char* end;
  out->value = strtod(text.c_str(), &end);
  return *end == '\0' && !std::isnan(out->value);
}

struct LexBound {
  enum class Kind { kMinusInf, kPlusInf, kValue } kind = Kind::kValue;
  std::string_view value;
  bool exclusive = false;
};

bool ParseLexBound(std::string_view arg, LexBound* out) {
  if (arg == "+" || arg == "-") {
    out->kind = arg == "+" ? LexBound::Kind::kPlusInf : LexBound::Kind::kMinusInf;
    return true;
  }
  if (arg.empty() || (arg[0] != '(' && arg[0] != '[')) return false;
  out->kind = LexBound::Kind::kValue;
  out->exclusive = arg[0] == '(';
  out->value = arg.substr(1);
  return true;
}

// Ascending ranks [first, end) of the elements inside a score range.
std::pair<size_t, size_t> ScoreRanks(const ZSetValue& z, ScoreBound min, ScoreBound max) {
  size_t first = z.CountWhile(
      [&](double s, std::string_view) { return min.exclusive ? s <= min.value : s < min.value; });
  size_t end = z.CountWhile(
      [&](double s, std::string_view) { return max.exclusive ? s < max.value : s <= max.value; });
  return {first, std::max(first, end)};
}

// As ScoreRanks for a lexicographic range (meaningful when all scores are equal).
std::pair<size_t, size_t> LexRanks(const ZSetValue& z, const LexBound& min, const LexBound& max) {
  size_t first = z.CountWhile([&](double, std::string_view m) {
    switch (min.kind) {
      case LexBound::Kind::kMinusInf:
        return false;
      case LexBound::Kind::kPlusInf:
        return true;
      default:
        return min.exclusive ? m <= min.value : m < min.value;
    }
  });
  size_t end = z.CountWhile([&](double, std::string_view m) {
    switch (max.kind) {
      case LexBound::Kind::kMinusInf:
        return false;
      case LexBound::Kind::kPlusInf:
        return true;
      default:
        return max.exclusive ? m < max.value : m <= max.value;
    }
  });
  return {first, std::max(first, end)};
}

// ---------------------------------------------------------------------------------------------
// Replies

// `n` elements as Redis sends them: flat member[, score] in RESP2; [member, score] pairs in
// RESP3 when scores are asked for.
void ElementsHeader(ReplyBuilder& rb, size_t n, bool withscores) {
  rb.ArrayHeader(withscores && !rb.resp3() ? 2 * n : n);
}
void Element(ReplyBuilder& rb, std::string_view m, double s, bool withscores) {
  if (withscores && rb.resp3()) rb.ArrayHeader(2);
  rb.Bulk(m);
  if (withscores) rb.Double(s);
}

using Elements = std::vector<std::pair<std::string, double>>;

void ReplyElements(ReplyBuilder& rb, const Elements& els, bool withscores) {
  ElementsHeader(rb, els.size(), withscores);
  for (const auto& [m, s] : els) Element(rb, m, s, withscores);
}

// Replaces whatever is at `dst` with `els` (sorted, unique), or deletes it when empty, recorded
// as DEL + ZADD and announced as `event`. Replies the result's size.
void StoreElements(CommandContext& ctx, std::string_view dst, const Elements& els,
                   std::string_view event) {
  Entry* result = nullptr;
  std::vector<std::string> scores;
  std::vector<std::string_view> fill{"ZADD", dst};
  if (!els.empty()) {
    result = Entry::NewObject(dst, ObjType::kZSet, ZSetValue::Build(els, Limits(ctx)), false);
    scores.reserve(els.size());
    for (const auto& el : els) scores.push_back(FormatDouble(el.second));
    for (size_t i = 0; i < els.size(); ++i) {
      fill.push_back(scores[i]);
      fill.push_back(els[i].first);
    }
  }
  StoreResult(ctx, dst, result, fill, {Engine::kNotifyZSet, event});
  ctx.reply().Integer(int64_t(els.size()));
}

// ---------------------------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM, single-element reads

enum ZAddFlag : uint32_t {
  kNx = 1,
  kXx = 2,
  kGt = 4,
  kLt = 8,
  kCh = 16,
  kIncr = 32,
};

void ZAddGeneric(CmdArgs args, CommandContext& ctx, uint32_t flags) {
  size_t i = 2;
  for (; i < args.size(); ++i) {
    std::string_view opt = args[i];
    if (EqualsNoCase(opt, "NX")) {
      flags |= kNx;
    } else if (EqualsNoCase(opt, "XX")) {
      flags |= kXx;
    } else if (EqualsNoCase(opt, "GT")) {
      flags |= kGt;
    } else if (EqualsNoCase(opt, "LT")) {
      flags |= kLt;
    } else if (EqualsNoCase(opt, "CH")) {
      flags |= kCh;
    } else if (EqualsNoCase(opt, "INCR")) {
      flags |= kIncr;
    } else {
      break;
    }
  }
  size_t pairs = (args.size() - i) / 2;
  if ((args.size() - i) % 2 != 0 || pairs == 0) return ctx.reply().Error(errors::kSyntax);
  if ((flags & kNx) && (flags & kXx)) {
    return ctx.reply().Error("XX and NX options at the same time are not compatible");
  }
  if (((flags & kGt) && (flags & kNx)) || ((flags & kLt) && (flags & kNx)) ||
      ((flags & kGt) && (flags & kLt))) {
    return ctx.reply().Error("GT, LT, and/or NX options at the same time are not compatible");
  }
  if ((flags & kIncr) && pairs > 1) {
    return ctx.reply().Error("INCR option supports a single increment-element pair");
  }
  std::vector<double> scores(pairs);
  for (size_t j = 0; j < pairs; ++j) {
    if (!ParseScore(ctx, args[i + 2 * j], &scores[j])) return;
  }
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, false);
  if (stop) return;
  int64_t added = 0, updated = 0, processed = 0;
  double last_score = 0;
  std::vector<std::string> effect_scores;
  std::vector<std::string_view> effect_members;
  if (z == nullptr && !(flags & kXx)) z = CreateZSet(ctx, args[1]);
  if (z != nullptr) {
    size_t before = z->bytes();
    ZSetLimits limits = Limits(ctx);
    for (size_t j = 0; j < pairs; ++j) {
      std::string_view member = args[i + 2 * j + 1];
      double score = scores[j];
      std::optional<double> cur = z->Score(member);
      if (cur) {
        if (flags & kNx) continue;
        if (flags & kIncr) {
          score += *cur;
          if (std::isnan(score)) {
            Settle(ctx, ctx.db(), args[1], z, before);
            return ctx.reply().Error("resulting score is not a number (NaN)");
          }
        }
        if (((flags & kLt) && score >= *cur) || ((flags & kGt) && score <= *cur)) continue;
        if (score != *cur) {
          z->Update(member, *cur, score);
          ++updated;
        }
      } else {
        if (flags & kXx) continue;
        z->Insert(member, score, limits);
        ++added;
      }
      ++processed;
      last_score = score;
      if (score != cur.value_or(NAN)) {
        effect_scores.push_back(FormatDouble(score));
        effect_members.push_back(member);
      }
    }
    Settle(ctx, ctx.db(), args[1], z, before);
  }
  if (!effect_members.empty()) {
    // Replicas get the resulting scores, so INCR and GT/LT replay exactly.
    std::vector<std::string_view> effect{"ZADD", args[1]};
    for (size_t j = 0; j < effect_members.size(); ++j) {
      effect.push_back(effect_scores[j]);
      effect.push_back(effect_members[j]);
    }
    ctx.Propagate(effect, {{Engine::kNotifyZSet, (flags & kIncr) ? "zincr" : "zadd"}});
  }
  if (flags & kIncr) return processed ? ctx.reply().Double(last_score) : ctx.reply().Null();
  ctx.reply().Integer((flags & kCh) ? added + updated : added);
}

void CmdZAdd(CmdArgs args, CommandContext& ctx) { ZAddGeneric(args, ctx, 0); }

void CmdZIncrBy(CmdArgs args, CommandContext& ctx) {
  std::string_view rewritten[4] = {args[0], args[1], args[2], args[3]};
  ZAddGeneric(rewritten, ctx, kIncr);
}

void CmdZRem(CmdArgs args, CommandContext& ctx) {
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, false);
  if (stop) return;
  if (z == nullptr) return ctx.reply().Integer(0);
  size_t before = z->bytes();
  std::vector<std::string_view> effect{"ZREM", args[1]};
  for (size_t i = 2; i < args.size(); ++i) {
    if (z->Remove(args[i])) effect.push_back(args[i]);
  }
  Settle(ctx, ctx.db(), args[1], z, before);
  if (effect.size() > 2) ctx.Propagate(effect);
  ctx.reply().Integer(int64_t(effect.size() - 2));
}

void CmdZCard(CmdArgs args, CommandContext& ctx) {
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, true);
  if (stop) return;
  ctx.reply().Integer(z ? int64_t(z->size()) : 0);
}

void CmdZScore(CmdArgs args, CommandContext& ctx) {
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, true);
  if (stop) return;
  std::optional<double> s = z ? z->Score(args[2]) : std::nullopt;
  s ? ctx.reply().Double(*s) : ctx.reply().Null();
}

void CmdZMScore(CmdArgs args, CommandContext& ctx) {
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, true);
  if (stop) return;
  ctx.reply().ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    std::optional<double> s = z ? z->Score(args[i]) : std::nullopt;
    s ? ctx.reply().Double(*s) : ctx.reply().Null();
  }
}

void RankGeneric(CmdArgs args, CommandContext& ctx, bool reverse) {
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, true);
  if (stop) return;
  std::optional<size_t> r = z ? z->Rank(args[2]) : std::nullopt;
  if (!r) return ctx.reply().Null();
  ctx.reply().Integer(int64_t(reverse ? z->size() - 1 - *r : *r));
}

void CmdZRank(CmdArgs args, CommandContext& ctx) { RankGeneric(args, ctx, false); }
void CmdZRevRank(CmdArgs args, CommandContext& ctx) { RankGeneric(args, ctx, true); }

void CmdZCount(CmdArgs args, CommandContext& ctx) {
  ScoreBound min, max;
  if (!ParseScoreBound(args[2], &min) || !ParseScoreBound(args[3], &max)) {
    return ctx.reply().Error("min or max is not a float");
  }
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, true);
  if (stop) return;
  if (z == nullptr) return ctx.reply().Integer(0);
  auto [first, end] = ScoreRanks(*z, min, max);
  ctx.reply().Integer(int64_t(end - first));
}

void CmdZLexCount(CmdArgs args, CommandContext& ctx) {
  LexBound min, max;
  if (!ParseLexBound(args[2], &min) || !ParseLexBound(args[3], &max)) {
    return ctx.reply().Error("min or max not valid string range item");
  }
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, true);
  if (stop) return;
  if (z == nullptr) return ctx.reply().Integer(0);
  auto [first, end] = LexRanks(*z, min, max);
  ctx.reply().Integer(int64_t(end - first));
}

// ---------------------------------------------------------------------------------------------
// ZRANGE and its older forms

struct RangeSpec {
  enum class Type { kAuto, kRank, kScore, kLex } type = Type::kAuto;
  enum class Dir { kAuto, kForward, kReverse } dir = Dir::kAuto;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  int64_t start = 0, stop = 0;  // kRank
  ScoreBound smin, smax;        // kScore
  LexBound lmin, lmax;          // kLex
};

// Parses Redis's zrangeGenericCommand arguments: key at args[key_at], the two bounds after it,
// then options. Replies the error and returns false.
bool ParseRange(CmdArgs args, CommandContext& ctx, size_t key_at, bool store, RangeSpec* spec) {
  for (size_t j = key_at + 3; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    std::string_view opt = args[j];
    if (!store && EqualsNoCase(opt, "WITHSCORES")) {
      spec->withscores = true;
    } else if (EqualsNoCase(opt, "LIMIT") && left >= 2) {
      if (!ParseIntArg(ctx, args[j + 1], &spec->offset) ||
          !ParseIntArg(ctx, args[j + 2], &spec->limit)) {
        return false;
      }
      j += 2;
    } else if (spec->dir == RangeSpec::Dir::kAuto && EqualsNoCase(opt, "REV")) {
      spec->dir = RangeSpec::Dir::kReverse;
    } else if (spec->type == RangeSpec::Type::kAuto && EqualsNoCase(opt, "BYLEX")) {
      spec->type = RangeSpec::Type::kLex;
    } else if (spec->type == RangeSpec::Type::kAuto && EqualsNoCase(opt, "BYSCORE")) {
      spec->type = RangeSpec::Type::kScore;
    } else {
      ctx.reply().Error(errors::kSyntax);
      return false;
    }
  }
  if (spec->dir == RangeSpec::Dir::kAuto) spec->dir = RangeSpec::Dir::kForward;
  if (spec->type == RangeSpec::Type::kAuto) spec->type = RangeSpec::Type::kRank;
  if (spec->limit != -1 && spec->type == RangeSpec::Type::kRank) {
    ctx.reply().Error(
        "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return false;
  }
  if (spec->withscores && spec->type == RangeSpec::Type::kLex) {
    ctx.reply().Error("syntax error, WITHSCORES not supported in combination with BYLEX");
    return false;
  }
  std::string_view min = args[key_at + 1], max = args[key_at + 2];
  bool reverse = spec->dir == RangeSpec::Dir::kReverse;
  if (reverse && spec->type != RangeSpec::Type::kRank) std::swap(min, max);
  switch (spec->type) {
    case RangeSpec::Type::kScore:
      if (!ParseScoreBound(min, &spec->smin) || !ParseScoreBound(max, &spec->smax)) {
        ctx.reply().Error("min or max is not a float");
        return false;
      }
      return true;
    case RangeSpec::Type::kLex:
      if (!ParseLexBound(min, &spec->lmin) || !ParseLexBound(max, &spec->lmax)) {
        ctx.reply().Error("min or max not valid string range item");
        return false;
      }
      return true;
    default:
      return ParseIntArg(ctx, min, &spec->start) && ParseIntArg(ctx, max, &spec->stop);
  }
}

// The selected elements as a walk: `count` elements from ascending rank `first`, downwards
// when `reverse`.
struct Walk {
  size_t first = 0, count = 0;
  bool reverse = false;
};

Walk SelectRange(const ZSetValue& z, const RangeSpec& spec) {
  Walk w;
  w.reverse = spec.dir == RangeSpec::Dir::kReverse;
  int64_t len = int64_t(z.size());
  if (spec.type == RangeSpec::Type::kRank) {
    int64_t start = spec.start, stop = spec.stop;
    if (!NormalizeRange(len, &start, &stop)) return w;
    w.count = size_t(stop - start + 1);
    w.first = w.reverse ? size_t(len - 1 - start) : size_t(start);
    return w;
  }
  auto [lo, hi] = spec.type == RangeSpec::Type::kScore ? ScoreRanks(z, spec.smin, spec.smax)
                                                       : LexRanks(z, spec.lmin, spec.lmax);
  if (spec.offset < 0 || uint64_t(spec.offset) >= hi - lo) return w;
  size_t avail = hi - lo - size_t(spec.offset);
  w.count = spec.limit < 0 ? avail : std::min(avail, size_t(spec.limit));
  w.first = w.reverse ? hi - 1 - size_t(spec.offset) : lo + size_t(spec.offset);
  return w;
}

void RangeGeneric(CmdArgs args, CommandContext& ctx, RangeSpec spec) {
  if (!ParseRange(args, ctx, 1, false, &spec)) return;
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, true);
  if (stop) return;
  ReplyBuilder& rb = ctx.reply();
  if (z == nullptr) return rb.ArrayHeader(0);
  Walk w = SelectRange(*z, spec);
  ElementsHeader(rb, w.count, spec.withscores);
  z->Visit(w.first, w.count, w.reverse,
           [&](std::string_view m, double s) { Element(rb, m, s, spec.withscores); });
}

using Type = RangeSpec::Type;
using Dir = RangeSpec::Dir;

RangeSpec Spec(Type type, Dir dir) {
  RangeSpec spec;
  spec.type = type;
  spec.dir = dir;
  return spec;
}

void CmdZRange(CmdArgs a, CommandContext& c) { RangeGeneric(a, c, RangeSpec()); }
void CmdZRevRange(CmdArgs a, CommandContext& c) {
  RangeGeneric(a, c, Spec(Type::kRank, Dir::kReverse));
}
void CmdZRangeByScore(CmdArgs a, CommandContext& c) {
  RangeGeneric(a, c, Spec(Type::kScore, Dir::kForward));
}
void CmdZRevRangeByScore(CmdArgs a, CommandContext& c) {
  RangeGeneric(a, c, Spec(Type::kScore, Dir::kReverse));
}
void CmdZRangeByLex(CmdArgs a, CommandContext& c) {
  RangeGeneric(a, c, Spec(Type::kLex, Dir::kForward));
}
void CmdZRevRangeByLex(CmdArgs a, CommandContext& c) {
  RangeGeneric(a, c, Spec(Type::kLex, Dir::kReverse));
}

void CmdZRangeStore(CmdArgs args, CommandContext& ctx) {
  RangeSpec spec;
  if (!ParseRange(args, ctx, 2, true, &spec)) return;
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[2], &stop, true);
  if (stop) return;
  Elements els;
  if (z != nullptr) {
    Walk w = SelectRange(*z, spec);
    z->Visit(w.first, w.count, w.reverse,
             [&](std::string_view m, double s) { els.emplace_back(m, s); });
    if (w.reverse) std::reverse(els.begin(), els.end());
  }
  StoreElements(ctx, args[1], els, "zrangestore");
}

// ZREMRANGEBYRANK / BYSCORE / BYLEX
void RemRangeGeneric(CmdArgs args, CommandContext& ctx, Type type) {
  RangeSpec spec = Spec(type, Dir::kForward);
  if (type == Type::kRank) {
    if (!ParseIntArg(ctx, args[2], &spec.start) || !ParseIntArg(ctx, args[3], &spec.stop)) return;
  } else if (type == Type::kScore) {
    if (!ParseScoreBound(args[2], &spec.smin) || !ParseScoreBound(args[3], &spec.smax)) {
      return ctx.reply().Error("min or max is not a float");
    }
  } else if (!ParseLexBound(args[2], &spec.lmin) || !ParseLexBound(args[3], &spec.lmax)) {
    return ctx.reply().Error("min or max not valid string range item");
  }
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, false);
  if (stop) return;
  if (z == nullptr) return ctx.reply().Integer(0);
  Walk w = SelectRange(*z, spec);
  if (w.count > 0) {
    size_t before = z->bytes();
    z->RemoveRanks(w.first, w.first + w.count);
    Settle(ctx, ctx.db(), args[1], z, before);
    std::vector<std::string_view> effect(args.begin(), args.end());
    effect[0] = type == Type::kRank    ? "ZREMRANGEBYRANK"
                : type == Type::kScore ? "ZREMRANGEBYSCORE"
                                       : "ZREMRANGEBYLEX";
    ctx.Propagate(effect);
  }
  ctx.reply().Integer(int64_t(w.count));
}

void CmdZRemRangeByRank(CmdArgs a, CommandContext& c) { RemRangeGeneric(a, c, Type::kRank); }
void CmdZRemRangeByScore(CmdArgs a, CommandContext& c) { RemRangeGeneric(a, c, Type::kScore); }
void CmdZRemRangeByLex(CmdArgs a, CommandContext& c) { RemRangeGeneric(a, c, Type::kLex); }

// ---------------------------------------------------------------------------------------------
// Pops

enum class Where { kMin, kMax };

// Pops up to `count` elements from the set at `key` (present, non-empty), propagating the pop
// as ZPOPMIN/ZPOPMAX with the count that happened.
Elements PopFrom(CommandContext& ctx, std::string_view key, ZSetValue* z, Where where,
                 int64_t count) {
  size_t n = std::min(size_t(count), z->size());
  Elements out;
  out.reserve(n);
  bool max = where == Where::kMax;
  z->Visit(max ? z->size() - 1 : 0, n, max,
           [&](std::string_view m, double s) { out.emplace_back(m, s); });
  size_t before = z->bytes();
  max ? z->RemoveRanks(z->size() - n, z->size()) : z->RemoveRanks(0, n);
  Settle(ctx, ctx.db(), key, z, before);
  std::string n_text = IntToString(int64_t(n));
  ctx.Propagate({max ? "ZPOPMAX" : "ZPOPMIN", key, n_text});
  return out;
}

void PopGeneric(CmdArgs args, CommandContext& ctx, Where where) {
  if (args.size() > 3) return ctx.reply().Error(errors::kSyntax);
  int64_t count = 1;
  if (args.size() == 3 && !ParsePositiveCount(ctx, args[2], &count)) return;
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, false);
  if (stop) return;
  ReplyBuilder& rb = ctx.reply();
  if (z == nullptr || count == 0) return rb.ArrayHeader(0);
  Elements els = PopFrom(ctx, args[1], z, where, count);
  // Without a count RESP3 still answers one flat [member, score] pair.
  if (args.size() == 2) {
    rb.ArrayHeader(2);
    rb.Bulk(els[0].first);
    return rb.Double(els[0].second);
  }
  ReplyElements(rb, els, true);
}

void CmdZPopMin(CmdArgs a, CommandContext& c) { PopGeneric(a, c, Where::kMin); }
void CmdZPopMax(CmdArgs a, CommandContext& c) { PopGeneric(a, c, Where::kMax); }

// BZPOPMIN / BZPOPMAX key... timeout: [key, member, score] from the first non-empty set.
void BlockingPop(CmdArgs args, CommandContext& ctx, Where where) {
  int64_t deadline;
  if (!ParseBlockTimeout(ctx, args.back(), &deadline)) return;
  CmdArgs keys = args.subspan(1, args.size() - 2);
  for (std::string_view key : keys) {
    bool stop;
    ZSetValue* z = FindZSet(ctx, key, &stop, false);
    if (stop) return;
    if (z == nullptr) continue;
    Elements els = PopFrom(ctx, key, z, where, 1);
    ReplyBuilder& rb = ctx.reply();
    rb.ArrayHeader(3);
    rb.Bulk(key);
    rb.Bulk(els[0].first);
    return rb.Double(els[0].second);
  }
  if (ctx.Block(args, ObjType::kZSet, keys, deadline, true)) return;
  ctx.reply().NullArray();
}

void CmdBZPopMin(CmdArgs a, CommandContext& c) { BlockingPop(a, c, Where::kMin); }
void CmdBZPopMax(CmdArgs a, CommandContext& c) { BlockingPop(a, c, Where::kMax); }

// ZMPOP numkeys key... MIN|MAX [COUNT n], and BZMPOP with the timeout before numkeys.
void MPopGeneric(CmdArgs args, CommandContext& ctx, bool blocking) {
  Where where;
  auto parse_where = [&](std::string_view w) {
    if (EqualsNoCase(w, "MIN")) {
      where = Where::kMin;
    } else if (EqualsNoCase(w, "MAX")) {
      where = Where::kMax;
    } else {
      return false;
    }
    return true;
  };
  MPopArgs req;
  if (!ParseMPop(ctx, args, blocking, parse_where, &req)) return;
  ReplyBuilder& rb = ctx.reply();
  for (std::string_view key : req.keys) {
    bool stop;
    ZSetValue* z = FindZSet(ctx, key, &stop, false);
    if (stop) return;
    if (z == nullptr) continue;
    Elements els = PopFrom(ctx, key, z, where, req.count);
    ctx.engine().TouchKey(ctx.client().db, key);  // ZMPOP's keys aren't in its key spec
    rb.ArrayHeader(2);
    rb.Bulk(key);
    rb.ArrayHeader(els.size());
    for (const auto& [m, s] : els) {
      rb.ArrayHeader(2);
      rb.Bulk(m);
      rb.Double(s);
    }
    return;
  }
  if (blocking && ctx.Block(args, ObjType::kZSet, req.keys, req.deadline_ms, true)) return;
  rb.NullArray();
}

void CmdZMPop(CmdArgs a, CommandContext& c) { MPopGeneric(a, c, false); }
void CmdBZMPop(CmdArgs a, CommandContext& c) { MPopGeneric(a, c, true); }

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN

void CmdZRandMember(CmdArgs args, CommandContext& ctx) {
  RandomRequest req;
  if (!ParseRandomRequest(ctx, args, "WITHSCORES", &req)) return;
  bool with_count = req.with_count, withscores = req.with_values;
  int64_t count = req.count;
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, true);
  if (stop) return;
  ReplyBuilder& rb = ctx.reply();
  if (z == nullptr) return with_count ? rb.ArrayHeader(0) : rb.Null();
  if (!with_count) return rb.Bulk(z->Random(ctx.keyspace().Random()).first);
  if (count == 0) return rb.ArrayHeader(0);
  if (count < 0) {  // repetitions allowed
    if (!CheckRandomPicks(ctx, count)) return;
    ElementsHeader(rb, size_t(-count), withscores);
    for (int64_t i = 0; i < -count; ++i) {
      auto [m, s] = z->Random(ctx.keyspace().Random());
      Element(rb, m, s, withscores);
    }
    return;
  }
  if (size_t(count) >= z->size()) {  // the whole set, from the top as Redis walks it
    ElementsHeader(rb, z->size(), withscores);
    z->Visit(z->size() - 1, z->size(), true,
             [&](std::string_view m, double s) { Element(rb, m, s, withscores); });
    return;
  }
  std::vector<std::pair<std::string_view, double>> picked;
  std::set<std::string_view> seen;
  while (picked.size() < size_t(count)) {
    auto el = z->Random(ctx.keyspace().Random());
    if (seen.insert(el.first).second) picked.push_back(el);
  }
  ElementsHeader(rb, picked.size(), withscores);
  for (auto& [m, s] : picked) Element(rb, m, s, withscores);
}

void CmdZScan(CmdArgs args, CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx, args[2], &cursor)) return;
  bool stop;
  ZSetValue* z = FindZSet(ctx, args[1], &stop, true);
  if (stop) return;
  ReplyBuilder& rb = ctx.reply();
  if (z == nullptr) {
    rb.ArrayHeader(2);
    rb.Bulk("0");
    return rb.ArrayHeader(0);
  }
  ScanOptions opts;
  if (!ParseScanOptions(ctx, args, 3, /*allow_type=*/false, &opts)) return;
  Elements found;
  int64_t max_iterations = opts.count * 10;
  do {
    cursor = z->Scan(cursor, [&](std::string_view m, double s) { found.emplace_back(m, s); });
  } while (cursor != 0 && max_iterations-- > 0 && int64_t(found.size()) < opts.count);
  if (opts.use_pattern) {
    std::erase_if(found, [&](const auto& el) { return !GlobMatch(opts.pattern, el.first); });
  }
  rb.ArrayHeader(2);
  rb.Bulk(std::to_string(cursor));
  bool listpack = z->encoding() == ZSetValue::Encoding::kListpack;
  rb.ArrayHeader(2 * found.size());
  for (const auto& [m, s] : found) {
    rb.Bulk(m);
    rb.Bulk(ScanScoreText(s, listpack));
  }
}

// ---------------------------------------------------------------------------------------------
// ZUNION / ZINTER / ZDIFF, their STORE forms, ZINTERCARD

enum class Op { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input: a sorted set, or a plain set whose members all score 1.
struct Source {
  ZSetValue* zset = nullptr;
  SetValue* set = nullptr;
  double weight = 1;

  size_t size() const { return zset ? zset->size() : set ? set->size() : 0; }
  std::optional<double> Score(std::string_view m) const {
    if (zset) return zset->Score(m);
    if (set && set->Contains(m)) return 1.0;
    return std::nullopt;
  }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    if (zset) zset->Visit(0, zset->size(), false, fn);
    if (set) set->ForEach([&](std::string_view m) { fn(m, 1.0); });
  }
};

double Weighted(double score, double weight) {
  double v = score * weight;
  return std::isnan(v) ? 0 : v;  // 0 * inf, as Redis
}

void Fold(Aggregate agg, double* acc, double v) {
  switch (agg) {
    case Aggregate::kSum:
      *acc += v;
      if (std::isnan(*acc)) *acc = 0;  // inf + -inf
      break;
    case Aggregate::kMin:
      *acc = std::min(*acc, v);
      break;
    case Aggregate::kMax:
      *acc = std::max(*acc, v);
      break;
  }
}

struct AlgebraRequest {
  std::vector<Source> sources;
  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;  // ZINTERCARD: 0 is no limit
};

// Parses `numkeys key... [options]` from args[numkeys_at]; replies the error and returns false.
bool ParseAlgebra(CmdArgs args, CommandContext& ctx, size_t numkeys_at, Op op, bool store,
                  bool card_only, AlgebraRequest* req) {
  int64_t numkeys;
  if (!ParseIntArg(ctx, args[numkeys_at], &numkeys)) return false;
  if (numkeys < 1) {
    std::string name(args[0]);
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    ctx.reply().Error("at least 1 input key is needed for '" + name + "' command");
    return false;
  }
  size_t j = numkeys_at + 1;
  if (numkeys > int64_t(args.size() - j)) {
    ctx.reply().Error(errors::kSyntax);
    return false;
  }
  for (int64_t i = 0; i < numkeys; ++i, ++j) {
    Source src;
    if (Entry* e = LookupRead(ctx, args[j])) {
      if (e->type() == ObjType::kZSet) {
        src.zset = e->As<ZSetValue>();
      } else if (e->type() == ObjType::kSet) {
        src.set = e->As<SetValue>();
      } else {
        ctx.reply().Error(errors::kWrongType);
        return false;
      }
    }
    req->sources.push_back(src);
  }
  while (j < args.size()) {
    size_t remaining = args.size() - j;
    std::string_view opt = args[j];
    if (op != Op::kDiff && !card_only && remaining >= req->sources.size() + 1 &&
        EqualsNoCase(opt, "WEIGHTS")) {
      ++j;
      for (Source& src : req->sources) {
        if (!ParseScore(ctx, args[j++], &src.weight, "weight value is not a float")) return false;
      }
    } else if (op != Op::kDiff && !card_only && remaining >= 2 && EqualsNoCase(opt, "AGGREGATE")) {
      std::string_view a = args[j + 1];
      if (EqualsNoCase(a, "SUM")) {
        req->agg = Aggregate::kSum;
      } else if (EqualsNoCase(a, "MIN")) {
        req->agg = Aggregate::kMin;
      } else if (EqualsNoCase(a, "MAX")) {
        req->agg = Aggregate::kMax;
      } else {
        ctx.reply().Error(errors::kSyntax);
        return false;
      }
      j += 2;
    } else if (!store && !card_only && EqualsNoCase(opt, "WITHSCORES")) {
      req->withscores = true;
      ++j;
    } else if (card_only && remaining >= 2 && EqualsNoCase(opt, "LIMIT")) {
      auto v = ParseInt64(args[j + 1]);
      if (!v || *v < 0) {
        ctx.reply().Error("LIMIT can't be negative");
        return false;
      }
      req->limit = *v;
      j += 2;
    } else {
      ctx.reply().Error(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// The result, sorted by (score, member).
Elements Combine(const AlgebraRequest& req, Op op) {
  Elements out;
  const std::vector<Source>& srcs = req.sources;
  if (op == Op::kUnion) {
    std::map<std::string, double, std::less<>> acc;
    for (const Source& src : srcs) {
      src.ForEach([&](std::string_view m, double s) {
        double v = Weighted(s, src.weight);
        auto it = acc.find(m);
        if (it == acc.end()) {
          acc.emplace(std::string(m), v);
        } else {
          Fold(req.agg, &it->second, v);
        }
      });
    }
    for (auto& [m, s] : acc) out.emplace_back(m, s);
  } else if (op == Op::kInter) {
    for (const Source& src : srcs) {
      if (src.size() == 0) return out;
    }
    // Walk the smallest input, as Redis does.
    size_t smallest = 0;
    for (size_t i = 1; i < srcs.size(); ++i) {
      if (srcs[i].size() < srcs[smallest].size()) smallest = i;
    }
    srcs[smallest].ForEach([&](std::string_view m, double s) {
      double acc = Weighted(s, srcs[smallest].weight);
      for (size_t i = 0; i < srcs.size(); ++i) {
        if (i == smallest) continue;
        std::optional<double> other = srcs[i].Score(m);
        if (!other) return;
        Fold(req.agg, &acc, Weighted(*other, srcs[i].weight));
      }
      out.emplace_back(m, acc);
    });
  } else {
    srcs[0].ForEach([&](std::string_view m, double s) {
      for (size_t i = 1; i < srcs.size(); ++i) {
        if (srcs[i].Score(m)) return;
      }
      out.emplace_back(m, s);
    });
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return ZLess(a.second, a.first, b.second, b.first);
  });
  return out;
}

void AlgebraReply(CmdArgs args, CommandContext& ctx, Op op) {
  AlgebraRequest req;
  if (!ParseAlgebra(args, ctx, 1, op, false, false, &req)) return;
  ReplyElements(ctx.reply(), Combine(req, op), req.withscores);
}

void AlgebraStore(CmdArgs args, CommandContext& ctx, Op op) {
  AlgebraRequest req;
  if (!ParseAlgebra(args, ctx, 2, op, true, false, &req)) return;
  static constexpr std::string_view kEvents[] = {"zunionstore", "zinterstore", "zdiffstore"};
  StoreElements(ctx, args[1], Combine(req, op), kEvents[int(op)]);
}

void CmdZUnion(CmdArgs a, CommandContext& c) { AlgebraReply(a, c, Op::kUnion); }
void CmdZInter(CmdArgs a, CommandContext& c) { AlgebraReply(a, c, Op::kInter); }
void CmdZDiff(CmdArgs a, CommandContext& c) { AlgebraReply(a, c, Op::kDiff); }
void CmdZUnionStore(CmdArgs a, CommandContext& c) { AlgebraStore(a, c, Op::kUnion); }
void CmdZInterStore(CmdArgs a, CommandContext& c) { AlgebraStore(a, c, Op::kInter); }
void CmdZDiffStore(CmdArgs a, CommandContext& c) { AlgebraStore(a, c, Op::kDiff); }

void CmdZInterCard(CmdArgs args, CommandContext& ctx) {
  AlgebraRequest req;
  if (!ParseAlgebra(args, ctx, 1, Op::kInter, false, true, &req)) return;
  size_t n = Combine(req, Op::kInter).size();
  if (req.limit > 0) n = std::min(n, size_t(req.limit));
  ctx.reply().Integer(int64_t(n));
}

}  // namespace

void RegisterZSetFamily(CommandRegistry* registry) {
  constexpr uint32_t kW = kWrite | kDenyOom;
  const char* g = "sorted-set";
  *registry
      << CommandId("ZADD", kW | kFast, -4, 1, 1)
             .Handler(CmdZAdd)
             .Doc(g, "1.2.0", "Adds members to a sorted set, or updates their scores.",
                  "O(log(N)) for each item added")
      << CommandId("ZINCRBY", kW | kFast, 4, 1, 1)
             .Handler(CmdZIncrBy)
             .Doc(g, "1.2.0", "Increments the score of a member in a sorted set.", "O(log(N))")
      << CommandId("ZREM", kWrite | kFast, -3, 1, 1)
             .Handler(CmdZRem)
             .Doc(g, "1.2.0", "Removes members from a sorted set.", "O(M*log(N))")
      << CommandId("ZCARD", kReadOnly | kFast, 2, 1, 1)
             .Handler(CmdZCard)
             .Doc(g, "1.2.0", "Returns the number of members in a sorted set.", "O(1)")
      << CommandId("ZSCORE", kReadOnly | kFast, 3, 1, 1)
             .Handler(CmdZScore)
             .Doc(g, "1.2.0", "Returns the score of a member in a sorted set.", "O(1)")
      << CommandId("ZMSCORE", kReadOnly | kFast, -3, 1, 1)
             .Handler(CmdZMScore)
             .Doc(g, "6.2.0", "Returns the score of one or more members in a sorted set.", "O(N)")
      << CommandId("ZRANK", kReadOnly | kFast, 3, 1, 1)
             .Handler(CmdZRank)
             .Doc(g, "2.0.0",
                  "Returns the index of a member in a sorted set ordered by ascending "
                  "scores.",
                  "O(log(N))")
      << CommandId("ZREVRANK", kReadOnly | kFast, 3, 1, 1)
             .Handler(CmdZRevRank)
             .Doc(g, "2.0.0",
                  "Returns the index of a member in a sorted set ordered by "
                  "descending scores.",
                  "O(log(N))")
      << CommandId("ZCOUNT", kReadOnly | kFast, 4, 1, 1)
             .Handler(CmdZCount)
             .Doc(g, "2.0.0",
                  "Returns the count of members in a sorted set that have scores "
                  "within a range.",
                  "O(log(N))")
      << CommandId("ZLEXCOUNT", kReadOnly | kFast, 4, 1, 1)
             .Handler(CmdZLexCount)
             .Doc(g, "2.8.9",
                  "Returns the number of members in a sorted set within a "
                  "lexicographical range.",
                  "O(log(N))")
      << CommandId("ZRANGE", kReadOnly, -4, 1, 1)
             .Handler(CmdZRange)
             .Doc(g, "1.2.0", "Returns members in a sorted set within a range of indexes.",
                  "O(log(N)+M)")
      << CommandId("ZREVRANGE", kReadOnly, -4, 1, 1)
             .Handler(CmdZRevRange)
             .Doc(g, "1.2.0",
                  "Returns members in a sorted set within a range of indexes in "
                  "reverse order.",
                  "O(log(N)+M)")
      << CommandId("ZRANGEBYSCORE", kReadOnly, -4, 1, 1)
             .Handler(CmdZRangeByScore)
             .Doc(g, "1.0.5", "Returns members in a sorted set within a range of scores.",
                  "O(log(N)+M)")
      << CommandId("ZREVRANGEBYSCORE", kReadOnly, -4, 1, 1)
             .Handler(CmdZRevRangeByScore)
             .Doc(g, "2.2.0",
                  "Returns members in a sorted set within a range of scores in "
                  "reverse order.",
                  "O(log(N)+M)")
      << CommandId("ZRANGEBYLEX", kReadOnly, -4, 1, 1)
             .Handler(CmdZRangeByLex)
             .Doc(g, "2.8.9", "Returns members in a sorted set within a lexicographical range.",
                  "O(log(N)+M)")
      << CommandId("ZREVRANGEBYLEX", kReadOnly, -4, 1, 1)
             .Handler(CmdZRevRangeByLex)
             .Doc(g, "2.8.9",
                  "Returns members in a sorted set within a lexicographical range "
                  "in reverse order.",
                  "O(log(N)+M)")
      << CommandId("ZRANGESTORE", kW, -5, 1, 1)
             .Handler(CmdZRangeStore)
             .Doc(g, "6.2.0", "Stores a range of members from sorted set in a key.", "O(log(N)+M)")
      << CommandId("ZREMRANGEBYRANK", kWrite, 4, 1, 1)
             .Handler(CmdZRemRangeByRank)
             .Doc(g, "2.0.0", "Removes members in a sorted set within a range of indexes.",
                  "O(log(N)+M)")
      << CommandId("ZREMRANGEBYSCORE", kWrite, 4, 1, 1)
             .Handler(CmdZRemRangeByScore)
             .Doc(g, "1.2.0", "Removes members in a sorted set within a range of scores.",
                  "O(log(N)+M)")
      << CommandId("ZREMRANGEBYLEX", kWrite, 4, 1, 1)
             .Handler(CmdZRemRangeByLex)
             .Doc(g, "2.8.9", "Removes members in a sorted set within a lexicographical range.",
                  "O(log(N)+M)")
      << CommandId("ZPOPMIN", kWrite | kFast, -2, 1, 1)
             .Handler(CmdZPopMin)
             .Doc(g, "5.0.0",
                  "Returns the lowest-scoring members from a sorted set after "
                  "removing them.",
                  "O(log(N)*M)")
      << CommandId("ZPOPMAX", kWrite | kFast, -2, 1, 1)
             .Handler(CmdZPopMax)
             .Doc(g, "5.0.0",
                  "Returns the highest-scoring members from a sorted set after "
                  "removing them.",
                  "O(log(N)*M)")
      << CommandId("ZMPOP", kWrite, -4, 0, 0)
             .Handler(CmdZMPop)
             .Doc(g, "7.0.0",
                  "Returns the highest- or lowest-scoring members from one or more "
                  "sorted sets after removing them.",
                  "O(K) + O(M*log(N))")
      << CommandId("BZPOPMIN", kWrite | kFast | kBlocking, -3, 1, -2)
             .Handler(CmdBZPopMin)
             .Doc(g, "5.0.0",
                  "Removes and returns the member with the lowest score from one or "
                  "more sorted sets. Blocks until a member is available otherwise.",
                  "O(log(N))")
      << CommandId("BZPOPMAX", kWrite | kFast | kBlocking, -3, 1, -2)
             .Handler(CmdBZPopMax)
             .Doc(g, "5.0.0",
                  "Removes and returns the member with the highest score from one "
                  "or more sorted sets. Blocks until a member is available otherwise.",
                  "O(log(N))")
      << CommandId("BZMPOP", kWrite | kBlocking, -5, 0, 0)
             .Handler(CmdBZMPop)
             .Doc(g, "7.0.0",
                  "Removes and returns a member by score from one or more sorted "
                  "sets. Blocks until a member is available otherwise.",
                  "O(K) + O(M*log(N))")
      << CommandId("ZRANDMEMBER", kReadOnly, -2, 1, 1)
             .Handler(CmdZRandMember)
             .Doc(g, "6.2.0", "Returns one or more random members from a sorted set.", "O(N)")
      << CommandId("ZSCAN", kReadOnly, -3, 1, 1)
             .Handler(CmdZScan)
             .Doc(g, "2.8.0", "Iterates over members and scores of a sorted set.",
                  "O(1) for every call. O(N) for a complete iteration")
      << CommandId("ZUNION", kReadOnly, -3, 0, 0)
             .Handler(CmdZUnion)
             .Doc(g, "6.2.0", "Returns the union of multiple sorted sets.", "O(N)+O(M*log(M))")
      << CommandId("ZINTER", kReadOnly, -3, 0, 0)
             .Handler(CmdZInter)
             .Doc(g, "6.2.0", "Returns the intersect of multiple sorted sets.",
                  "O(N*K)+O(M*log(M))")
      << CommandId("ZDIFF", kReadOnly, -3, 0, 0)
             .Handler(CmdZDiff)
             .Doc(g, "6.2.0", "Returns the difference between multiple sorted sets.",
                  "O(L + (N-K)log(N))")
      << CommandId("ZUNIONSTORE", kW, -4, 1, 1)
             .Handler(CmdZUnionStore)
             .Doc(g, "2.0.0", "Stores the union of multiple sorted sets in a key.",
                  "O(N)+O(M log(M))")
      << CommandId("ZINTERSTORE", kW, -4, 1, 1)
             .Handler(CmdZInterStore)
             .Doc(g, "2.0.0", "Stores the intersect of multiple sorted sets in a key.",
                  "O(N*K)+O(M*log(M))")
      << CommandId("ZDIFFSTORE", kW, -4, 1, 1)
             .Handler(CmdZDiffStore)
             .Doc(g, "6.2.0", "Stores the difference of multiple sorted sets in a key.",
                  "O(L + (N-K)log(N))")
      << CommandId("ZINTERCARD", kReadOnly, -3, 0, 0)
             .Handler(CmdZInterCard)
             .Doc(g, "7.0.0",
                  "Returns the number of members of the intersect of multiple "
                  "sorted sets.",
                  "O(N*K)");
}

}  // namespace ember
