#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ember {

class CommandContext;

// Command properties the dispatcher acts on, named after Redis's command flags.
enum CommandFlag : uint32_t {
  kWrite = 1 << 0,     // changes data: refused on read-only replicas
  kReadOnly = 1 << 1,  // reads data
  kDenyOom = 1 << 2,   // may grow memory: refused with -OOM over maxmemory
  kAdmin = 1 << 3,     // server administration
  kFast = 1 << 4,      // O(1) or O(log N)
  kNoAuth = 1 << 5,    // allowed before AUTH
  kLoading = 1 << 6,   // allowed while loading the dataset
  kStale = 1 << 7,     // allowed on a replica with stale data
  kNoScript = 1 << 8,
  kPubSub = 1 << 9,
  kMayReplicate = 1 << 10,
  kSentinel = 1 << 11,
  kNoMulti = 1 << 12,
  kSkipMonitor = 1 << 13,
  kSkipSlowlog = 1 << 14,
  kBlocking = 1 << 15,
  kTxControl = 1 << 16,  // runs at once inside MULTI instead of being queued
  kSubscribed = 1 << 17,  // allowed to a RESP2 client in subscribed mode
};

// Arguments of one request, the command name included (args[0]).
using CmdArgs = std::span<const std::string_view>;
using CommandHandler = void (*)(CmdArgs args, CommandContext& ctx);

// A declared command. Arity counts the name: 2 means exactly NAME ARG, -2 means at least.
struct CommandId {
  CommandId(std::string name, uint32_t flags, int arity, int first_key, int last_key,
            int key_step = 1);

  CommandId& Handler(CommandHandler h) {
    handler = h;
    return *this;
  }
  // For COMMAND DOCS and COMMAND INFO.
  CommandId& Doc(std::string group_name, std::string since_version, std::string summary_text,
                 std::string complexity_text = "") {
    group = std::move(group_name);
    since = std::move(since_version);
    summary = std::move(summary_text);
    complexity = std::move(complexity_text);
    return *this;
  }
  CommandId& Sub(CommandId sub);

  bool Has(uint32_t flag) const { return (flags & flag) != 0; }
  // "config|get" for subcommands, as Redis 7 names them in errors and COMMAND.
  std::string FullName() const;

  std::string name;  // lower case
  uint32_t flags;
  int arity;
  int first_key, last_key, key_step;
  CommandHandler handler = nullptr;
  std::string group, since, summary, complexity;
  std::string parent;                                         // set on subcommands
  std::map<std::string, CommandId, std::less<>> subcommands;  // by lower-case name

  // Per-command statistics for INFO commandstats.
  // `cycles` counts CycleCount() ticks; Engine::CyclesToUs converts.
  uint64_t calls = 0, cycles = 0, failed_calls = 0, rejected_calls = 0;
};

class CommandRegistry {
 public:
  CommandRegistry& operator<<(CommandId cmd);

  // The command named `name` (any case), or nullptr.
  CommandId* Find(std::string_view name);
  // The subcommand `sub` (any case) of `parent`, or nullptr.
  static CommandId* FindSub(CommandId& parent, std::string_view sub);
  using Map = std::map<std::string, CommandId, std::less<>>;
  const Map& all() const { return commands_; }
  Map& all() { return commands_; }

 private:
  // Case-insensitive hash index over commands_ for the per-request lookup (the ordered map
  // alone cost ~3% of the CPU in string compares at 2M requests/s).
  struct NoCaseHash {
    size_t operator()(std::string_view s) const;
  };
  struct NoCaseEq {
    bool operator()(std::string_view a, std::string_view b) const;
  };
  Map commands_;
  std::unordered_map<std::string_view, CommandId*, NoCaseHash, NoCaseEq> index_;
};

// Every family registers its commands through one function (STYLE.md).
void RegisterStringFamily(CommandRegistry* registry);
void RegisterGenericFamily(CommandRegistry* registry);
void RegisterServerFamily(CommandRegistry* registry);
void RegisterHashFamily(CommandRegistry* registry);
void RegisterListFamily(CommandRegistry* registry);
void RegisterSetFamily(CommandRegistry* registry);
void RegisterZSetFamily(CommandRegistry* registry);
void RegisterPubSubFamily(CommandRegistry* registry);
void RegisterSortFamily(CommandRegistry* registry);
void RegisterStreamFamily(CommandRegistry* registry);
void RegisterTransactionFamily(CommandRegistry* registry);

}  // namespace ember
