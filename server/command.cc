#include "server/command.h"

#include "common/strings.h"

namespace ember {

CommandId::CommandId(std::string n, uint32_t f, int a, int fk, int lk, int step)
    : name(ToLower(n)), flags(f), arity(a), first_key(fk), last_key(lk), key_step(step) {}

CommandId& CommandId::Sub(CommandId sub) {
  sub.parent = name;
  std::string key = sub.name;
  subcommands.emplace(std::move(key), std::move(sub));
  return *this;
}

std::string CommandId::FullName() const { return parent.empty() ? name : parent + "|" + name; }

size_t CommandRegistry::NoCaseHash::operator()(std::string_view s) const {
  size_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ size_t(c | 0x20)) * 1099511628211ULL;
  return h;
}

bool CommandRegistry::NoCaseEq::operator()(std::string_view a, std::string_view b) const {
  return EqualsNoCase(a, b);
}

CommandRegistry& CommandRegistry::operator<<(CommandId cmd) {
  std::string key = cmd.name;
  auto [it, inserted] = commands_.insert_or_assign(std::move(key), std::move(cmd));
  index_[it->first] = &it->second;  // map nodes are stable, so the view and pointer stay valid
  return *this;
}

namespace {
// Looks `name` up lower-cased without allocating (command lookup is on every request's path).
template <typename Map>
CommandId* FindLower(Map& map, std::string_view name) {
  char buf[64];
  if (name.size() > sizeof(buf)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
  }
  auto it = map.find(std::string_view(buf, name.size()));
  return it == map.end() ? nullptr : &it->second;
}
}  // namespace

CommandId* CommandRegistry::Find(std::string_view name) {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

CommandId* CommandRegistry::FindSub(CommandId& parent, std::string_view sub) {
  return FindLower(parent.subcommands, sub);
}

}  // namespace ember
