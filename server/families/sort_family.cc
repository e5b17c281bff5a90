// SORT and SORT_RO over lists and sets (Redis sort.c). Sorted sets join when they exist.

#include <algorithm>
#include <cstring>

#include "server/families/family_util.h"
#include "server/types/hash_value.h"
#include "server/types/list_value.h"
#include "server/types/set_value.h"
#include "server/types/zset_value.h"

namespace ember {

namespace {

// Resolves a BY or GET pattern for `element`: the first '*' is replaced by the element, and
// "key->field" reads a hash field. nullopt when the key or field is missing.
std::optional<std::string> LookupPattern(CommandContext& ctx, std::string_view pattern,
                                         std::string_view element) {
  if (pattern == "#") return std::string(element);
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  size_t arrow = pattern.find("->", star + 1);
  std::string key(pattern.substr(0, star));
  key += element;
  std::string_view field;
  if (arrow != std::string_view::npos && arrow + 2 < pattern.size()) {
    key += pattern.substr(star + 1, arrow - star - 1);
    field = pattern.substr(arrow + 2);
  } else {
    key += pattern.substr(star + 1);
  }
  Entry* e = ctx.db().Find(key);
  if (e == nullptr) return std::nullopt;
  if (field.empty()) {
    if (e->type() != ObjType::kString) return std::nullopt;
    return e->StringValue();
  }
  if (e->type() != ObjType::kHash) return std::nullopt;
  auto v = e->As<HashValue>()->Get(field);
  if (!v) return std::nullopt;
  return std::string(*v);
}

struct Item {
  std::string element;
  double score = 0;
  std::optional<std::string> by;  // the BY value for ALPHA sorts
};

void SortGeneric(CmdArgs args, CommandContext& ctx, bool read_only) {
  bool desc = false, alpha = false, dont_sort = false;
  int64_t offset = 0, count = -1;
  std::optional<std::string_view> by, store;
  std::vector<std::string_view> gets;
  for (size_t j = 2; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    if (EqualsNoCase(args[j], "ASC")) {
      desc = false;
    } else if (EqualsNoCase(args[j], "DESC")) {
      desc = true;
    } else if (EqualsNoCase(args[j], "ALPHA")) {
      alpha = true;
    } else if (EqualsNoCase(args[j], "LIMIT") && left >= 2) {
      if (!ParseIntArg(ctx, args[j + 1], &offset) || !ParseIntArg(ctx, args[j + 2], &count)) {
        return;
      }
      j += 2;
    } else if (EqualsNoCase(args[j], "STORE") && left >= 1 && !read_only) {
      store = args[++j];
    } else if (EqualsNoCase(args[j], "BY") && left >= 1) {
      by = args[++j];
      // A pattern without '*' means "don't sort" (BY nosort).
      if (by->find('*') == std::string_view::npos) dont_sort = true;
    } else if (EqualsNoCase(args[j], "GET") && left >= 1) {
      gets.push_back(args[++j]);
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
  }

  std::vector<Item> items;
  Entry* e = LookupRead(ctx, args[1]);
  if (e != nullptr) {
    if (e->type() == ObjType::kList) {
      const ListValue* l = e->As<ListValue>();
      if (l->size() > 0) {
        l->ForRange(0, l->size() - 1, [&](size_t, std::string_view v) {
          items.push_back(Item{std::string(v), 0, std::nullopt});
        });
      }
    } else if (e->type() == ObjType::kSet) {
      e->As<SetValue>()->ForEach([&](std::string_view m) {
        items.push_back(Item{std::string(m), 0, std::nullopt});
      });
      // A set has no order of its own: sort it when storing, so the result is deterministic.
      if (dont_sort && store) {
        dont_sort = false;
        alpha = true;
        by.reset();
      }
    } else if (e->type() == ObjType::kZSet) {
      // Rank order; unsorted (BY nosort) output honours DESC, as in Redis.
      ZSetValue* z = e->As<ZSetValue>();
      size_t before = z->bytes();
      z->ConvertToSkiplist();
      ctx.keyspace().AddDataBytes(int64_t(z->bytes()) - int64_t(before));
      bool reverse = dont_sort && desc;
      z->Visit(reverse ? z->size() - 1 : 0, z->size(), reverse, [&](std::string_view m, double) {
        items.push_back(Item{std::string(m), 0, std::nullopt});
      });
    } else {
      return ctx.reply().Error(errors::kWrongType);
    }
  }

  if (!dont_sort) {
    for (Item& it : items) {
      std::optional<std::string> key_value;
      if (by) {
        key_value = LookupPattern(ctx, *by, it.element);
      } else {
        key_value = it.element;
      }
      if (alpha) {
        it.by = std::move(key_value);
      } else if (key_value) {
        auto d = ParseDouble(*key_value);
        if (!d) return ctx.reply().Error("One or more scores can't be converted into double");
        it.score = *d;
      }
    }
    std::sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
      int cmp;
      if (alpha) {
        if (!a.by || !b.by) {
          cmp = a.by ? 1 : (b.by ? -1 : 0);
        } else {
          cmp = a.by->compare(*b.by);
        }
      } else {
        cmp = a.score < b.score ? -1 : (a.score > b.score ? 1 : 0);
      }
      if (cmp == 0) cmp = a.element.compare(b.element);  // deterministic ties, as Redis
      return desc ? cmp > 0 : cmp < 0;
    });
  }

  // LIMIT, clamped as Redis does.
  int64_t n = int64_t(items.size());
  int64_t start = offset < 0 ? 0 : offset;
  int64_t end = count < 0 ? n - 1 : start + count - 1;
  if (start >= n) {
    start = n;
    end = n - 1;
  }
  if (end >= n) end = n - 1;

  std::vector<std::optional<std::string>> out;
  for (int64_t i = start; i <= end; ++i) {
    if (gets.empty()) {
      out.emplace_back(items[size_t(i)].element);
    } else {
      for (auto g : gets) out.push_back(LookupPattern(ctx, g, items[size_t(i)].element));
    }
  }

  if (!store) {
    ctx.reply().ArrayHeader(out.size());
    for (const auto& v : out) v ? ctx.reply().Bulk(*v) : ctx.reply().Null();
    return;
  }
  Entry* result = nullptr;
  std::vector<std::string_view> fill{"RPUSH", *store};
  if (!out.empty()) {
    result = Entry::NewObject(*store, ObjType::kList, 0, false);
    for (const auto& v : out) {
      result->As<ListValue>()->PushBack(v ? *v : "");
      fill.push_back(v ? std::string_view(*v) : std::string_view());
    }
  }
  StoreResult(ctx, *store, result, fill, {Engine::kNotifyList, "sortstore"});
  ctx.engine().TouchKey(ctx.client().db, *store);
  ctx.reply().Integer(int64_t(out.size()));
}

void CmdSort(CmdArgs a, CommandContext& c) { SortGeneric(a, c, false); }
void CmdSortRo(CmdArgs a, CommandContext& c) { SortGeneric(a, c, true); }

}  // namespace

void RegisterSortFamily(CommandRegistry* registry) {
  *registry << CommandId("SORT", kWrite | kDenyOom, -2, 1, 1)
                   .Handler(CmdSort)
                   .Doc("generic", "1.0.0",
                        "Sorts the elements in a list, a set, or a sorted set, optionally storing "
                        "the result.",
                        "O(N+M*log(M))")
            << CommandId("SORT_RO", kReadOnly, -2, 1, 1)
                   .Handler(CmdSortRo)
                   .Doc("generic", "7.0.0",
                        "Returns the sorted elements of a list, a set, or a sorted set.",
                        "O(N+M*log(M))");
}

}  // namespace ember
