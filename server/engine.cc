#include "server/engine.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <sstream>

#include "common/log.h"
#include "common/strings.h"
#include "server/errors.h"
#include "server/persist/aof.h"
#include "server/repl/replication.h"

namespace ember {

// ---------------------------------------------------------------------------------------------
// CommandContext

void CommandContext::Propagate(std::initializer_list<std::string_view> effect,
                               std::optional<KeyEvent> event) {
  Propagate(std::span<const std::string_view>(effect), event);
}

void CommandContext::Propagate(std::span<const std::string_view> effect,
                               std::optional<KeyEvent> event) {
  engine_->journal().Append(client_->db, effect);
  engine_->NoteWrite(client_->db, effect);
  if (engine_->config().notify_flags.load(std::memory_order_relaxed) == 0) return;
  if (!event) {
    engine_->NotifyEffect(client_->db, effect);
  } else if (effect.size() > 1) {
    engine_->Notify(event->cls, event->name, client_->db, effect[1]);
  }
}

bool CommandContext::Block(CmdArgs args, ObjType type, std::span<const std::string_view> keys,
                           int64_t deadline_ms, bool null_array_on_timeout) {
  Engine& e = *engine_;
  if (e.rerunning_ == client_) return true;
  if (e.exec_depth_ > 1 || client_->in_multi) return false;
  auto b = std::make_unique<ClientState::BlockState>();
  b->type = type;
  b->db = client_->db;
  b->args.assign(args.begin(), args.end());
  b->deadline_ms = deadline_ms;
  b->null_array = null_array_on_timeout;
  for (std::string_view k : keys) {
    if (std::find(b->keys.begin(), b->keys.end(), k) != b->keys.end()) continue;
    b->keys.emplace_back(k);
    e.blocked_on_[{b->db, std::string(k)}].push_back(client_);
  }
  client_->block = std::move(b);
  ++e.blocked_count_;
  client_->Blocked(deadline_ms);
  return true;
}

void CommandContext::BlockForAcks(uint64_t offset, int64_t replicas, int64_t deadline_ms) {
  Engine& e = *engine_;
  auto b = std::make_unique<ClientState::BlockState>();
  b->db = client_->db;
  b->deadline_ms = deadline_ms;
  b->null_array = false;
  b->wait_replicas = replicas;
  b->wait_offset = offset;
  client_->block = std::move(b);
  ++e.blocked_count_;
  e.ack_waiters_.push_back(client_);
  e.replication_->RequestAcks();
  client_->Blocked(deadline_ms);
}

// ---------------------------------------------------------------------------------------------
// Engine

namespace {
const std::vector<std::string> kPolicyNames = {"volatile-lru",   "volatile-lfu", "volatile-random",
                                               "volatile-ttl",   "allkeys-lru",  "allkeys-lfu",
                                               "allkeys-random", "noeviction"};
}  // namespace

std::string NewRunId() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (char& c : id) c = kHex[rd() % 16];
  return id;
}

Engine::Engine(const Clock* clock)
    : clock_(clock),
      persistence_(std::make_unique<Persistence>(this)),
      run_id_(NewRunId()),
      start_time_ms_(clock->NowMs()) {
  aof_ = std::make_unique<Aof>(this);
  replication_ = std::make_unique<Replication>(this);
  RegisterConfig();
  persistence_->RegisterConfig(config_table_);
  RegisterStringFamily(&registry_);
  RegisterGenericFamily(&registry_);
  RegisterServerFamily(&registry_);
  RegisterHashFamily(&registry_);
  RegisterListFamily(&registry_);
  RegisterSetFamily(&registry_);
  RegisterZSetFamily(&registry_);
  RegisterPubSubFamily(&registry_);
  RegisterSortFamily(&registry_);
  RegisterStreamFamily(&registry_);
  RegisterTransactionFamily(&registry_);
}

Engine::~Engine() { persistence_->StopBackground(); }

RestoreLimits Engine::value_limits() const {
  const ServerConfig& c = config_;
  return RestoreLimits{
      {size_t(c.hash_max_listpack_entries.load()), size_t(c.hash_max_listpack_value.load())},
      size_t(c.set_max_intset_entries.load()),
      {size_t(c.zset_max_listpack_entries.load()), size_t(c.zset_max_listpack_value.load())}};
}

namespace {
// The classes notify-keyspace-events' "A" stands for (Redis 7.0 counts modules in).
constexpr uint32_t kNotifyAll =
    Engine::kNotifyGeneric | Engine::kNotifyString | Engine::kNotifyList | Engine::kNotifySet |
    Engine::kNotifyHash | Engine::kNotifyZSet | Engine::kNotifyExpired | Engine::kNotifyEvicted |
    Engine::kNotifyStream | Engine::kNotifyModule;

// notify-keyspace-events letters, in the order Redis 7.0 spells a setting back.
const std::pair<uint32_t, char> kNotifyChars[] = {
    {Engine::kNotifyGeneric, 'g'},  {Engine::kNotifyString, '$'},  {Engine::kNotifyList, 'l'},
    {Engine::kNotifySet, 's'},      {Engine::kNotifyHash, 'h'},    {Engine::kNotifyZSet, 'z'},
    {Engine::kNotifyExpired, 'x'},  {Engine::kNotifyEvicted, 'e'}, {Engine::kNotifyStream, 't'},
    {Engine::kNotifyModule, 'd'},   {Engine::kNotifyNew, 'n'},     {Engine::kNotifyKeyspace, 'K'},
    {Engine::kNotifyKeyevent, 'E'}, {Engine::kNotifyKeyMiss, 'm'}};
}  // namespace

void Engine::RegisterConfig() {
  auto& t = config_table_;
  auto& c = config_;
  t.AddInt("port", &c.port, 6379, 0, 65535, false);
  t.AddCustom(
      "bind", "127.0.0.1", false, true,
      [&c](std::string_view v) -> std::optional<std::string> {
        if (v.empty()) return "bind needs at least one address";
        c.bind = std::string(v);
        return std::nullopt;
      },
      [&c] { return c.bind; });
  t.AddBool("protected-mode", &c.protected_mode, true, true);
  t.AddCustom(
      "requirepass", "", true, false,
      [&c](std::string_view v) -> std::optional<std::string> {
        c.requirepass = std::string(v);
        c.has_password = !v.empty();
        return std::nullopt;
      },
      [&c] { return c.requirepass; });
  t.AddInt("maxclients", &c.maxclients, 10000, 1, 1000000, true);
  t.AddInt("timeout", &c.timeout, 0, 0, INT32_MAX, true);
  t.AddInt("tcp-keepalive", &c.tcp_keepalive, 300, 0, INT32_MAX, true);
  t.AddInt("tcp-backlog", &c.tcp_backlog, 511, 0, INT32_MAX, false);
  t.AddInt("databases", &c.databases, 16, 1, 1000000, false);
  t.AddMemory("maxmemory", &c.maxmemory, 0, 0, true);
  t.AddEnum("maxmemory-policy", &c.maxmemory_policy, kPolicyNames, int(EvictionPolicy::kNoEviction),
            true);
  t.AddInt("maxmemory-samples", &c.maxmemory_samples, 5, 1, 64, true);
  t.AddCustom(
      "loglevel", "notice", true, false,
      [&c](std::string_view v) -> std::optional<std::string> {
        LogLevel level;
        if (!ParseLogLevel(ToLower(v), &level)) {
          return "argument(s) must be one of the following: debug, verbose, notice, warning";
        }
        c.loglevel = int(level);
        LogSetLevel(level);
        return std::nullopt;
      },
      [&c] { return std::string(LogLevelName(LogLevel(c.loglevel.load()))); });
  t.AddString("logfile", &c.logfile, "", false);
  // The default is the directory the server started in, so CONFIG REWRITE leaves `dir` out
  // unless it was changed.
  char cwd[4096];
  t.AddCustom(
      "dir", getcwd(cwd, sizeof(cwd)) ? cwd : ".", true, false,
      [&c](std::string_view v) -> std::optional<std::string> {
        std::string path(v);
        if (chdir(path.c_str()) != 0) return "No such file or directory";
        char buf[4096];
        c.dir = getcwd(buf, sizeof(buf)) ? buf : path;
        return std::nullopt;
      },
      [&c] { return c.dir; });
  t.MarkProtected("dir");
  t.AddEnum("enable-protected-configs", &c.enable_protected_configs, {"no", "yes", "local"}, 0,
            false);
  t.AddMemory("proto-max-bulk-len", &c.proto_max_bulk_len, 512LL * 1024 * 1024, 1024 * 1024, true);
  t.AddMemory("client-query-buffer-limit", &c.client_query_buffer_limit, 1024LL * 1024 * 1024,
              1024 * 1024, true);
  t.AddInt("hz", &c.hz, 10, 1, 500, true);
  // Redis 7 knows these under both names.
  for (const char* name : {"hash-max-listpack-entries", "hash-max-ziplist-entries"}) {
    t.AddInt(name, &c.hash_max_listpack_entries, 512, 0, INT32_MAX, true);
  }
  t.AddInt("set-max-intset-entries", &c.set_max_intset_entries, 512, 0, INT32_MAX, true);
  for (const char* name : {"hash-max-listpack-value", "hash-max-ziplist-value"}) {
    t.AddInt(name, &c.hash_max_listpack_value, 64, 0, INT32_MAX, true);
  }
  for (const char* name : {"zset-max-listpack-entries", "zset-max-ziplist-entries"}) {
    t.AddInt(name, &c.zset_max_listpack_entries, 128, 0, INT32_MAX, true);
  }
  for (const char* name : {"zset-max-listpack-value", "zset-max-ziplist-value"}) {
    t.AddInt(name, &c.zset_max_listpack_value, 64, 0, INT32_MAX, true);
  }
  t.AddCustom(
      "client-output-buffer-limit",
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", true, false,
      [&c](std::string_view v) -> std::optional<std::string> {
        std::vector<std::string> words;
        std::istringstream in{std::string(v)};
        for (std::string w; in >> w;) words.push_back(w);
        if (words.size() % 4 != 0) {
          return "Wrong number of arguments in buffer limit configuration.";
        }
        int64_t parsed[3][3];
        std::vector<int> classes;
        for (size_t i = 0; i < words.size(); i += 4) {
          std::string cls = ToLower(words[i]);
          int k = cls == "normal"                      ? ServerConfig::kNormalClient
                  : cls == "slave" || cls == "replica" ? ServerConfig::kReplicaClient
                  : cls == "pubsub"                    ? ServerConfig::kPubSubClient
                                                       : -1;
          if (k < 0) return "Invalid client class specified in buffer limit configuration.";
          auto hard = ParseMemory(words[i + 1]), soft = ParseMemory(words[i + 2]);
          auto secs = ParseInt64(words[i + 3]);
          if (!hard || !soft || !secs || *hard < 0 || *soft < 0 || *secs < 0) {
            return "Error in hard, soft or soft-seconds setting in buffer limit configuration.";
          }
          parsed[k][0] = *hard;
          parsed[k][1] = *soft;
          parsed[k][2] = *secs;
          classes.push_back(k);
        }
        for (int k : classes) {
          for (int j = 0; j < 3; ++j) c.obuf_limits[k][j] = parsed[k][j];
        }
        return std::nullopt;
      },
      [&c] {
        std::string out;
        const char* names[] = {"normal", "slave", "pubsub"};
        for (int k = 0; k < 3; ++k) {
          if (k > 0) out += ' ';
          out += std::string(names[k]) + ' ' + std::to_string(c.obuf_limits[k][0].load()) + ' ' +
                 std::to_string(c.obuf_limits[k][1].load()) + ' ' +
                 std::to_string(c.obuf_limits[k][2].load());
        }
        return out;
      });
  t.AddCustom(
      "notify-keyspace-events", "", true, false,
      [&c](std::string_view v) -> std::optional<std::string> {
        // Redis 7.0's keyspaceEventsStringToFlags and its spelling back.
        uint32_t flags = 0;
        for (char ch : v) {
          if (ch == 'A') {
            flags |= kNotifyAll;
            continue;
          }
          auto it = std::find_if(std::begin(kNotifyChars), std::end(kNotifyChars),
                                 [&](const auto& p) { return p.second == ch; });
          if (it == std::end(kNotifyChars)) {
            return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
          }
          flags |= it->first;
        }
        c.notify_flags = flags;
        return std::nullopt;
      },
      [&c] {
        uint32_t f = c.notify_flags.load();
        std::string out;
        bool all = (f & kNotifyAll) == kNotifyAll;
        if (all) out = "A";
        for (const auto& [bit, ch] : kNotifyChars) {
          if ((f & bit) && !(all && (bit & kNotifyAll))) out += ch;
        }
        return out;
      });
  t.AddInt("io-threads", &c.io_threads, 0, 0, 128, false);
  auto apply_eviction = [this] {
    keyspace_->set_eviction(EvictionPolicy(config_.maxmemory_policy.load()),
                            size_t(config_.maxmemory_samples.load()));
  };
  t.OnChange("maxmemory-policy", apply_eviction);
  t.OnChange("maxmemory-samples", apply_eviction);
  aof_->RegisterConfig(&t);
  replication_->RegisterConfig(t);
}

void Engine::Start() {
  keyspace_ = std::make_unique<Keyspace>(int(config_.databases.load()), clock_);
  keyspace_->set_listener(this);
  keyspace_->set_eviction(EvictionPolicy(config_.maxmemory_policy.load()),
                          size_t(config_.maxmemory_samples.load()));
  RefreshMemory();
  startup_memory_ = allocator_bytes_;
  aof_->Arm();
}

void Engine::RegisterClient(ClientState* c) {
  clients_[c->id] = c;
  ++stats_.total_connections_received;
}

void Engine::UnregisterClient(ClientState* c) {
  Unwatch(*c);
  if (c->block) RemoveBlock(*c);
  UnsubscribeAll(*c);
  clients_.erase(c->id);
}

void Engine::Watch(ClientState& c, int db, std::string_view key) {
  for (const auto& w : c.watched) {
    if (w.db == db && w.key == key) return;
  }
  Entry* e = keyspace_->db(db).FindRaw(key);
  bool expired = e != nullptr && keyspace_->db(db).IsExpired(e);
  c.watched.push_back({db, std::string(key), expired});
  watchers_[{db, std::string(key)}].push_back(&c);
}

void Engine::Unwatch(ClientState& c) {
  for (const auto& w : c.watched) {
    auto it = watchers_.find({w.db, w.key});
    if (it == watchers_.end()) continue;
    std::erase(it->second, &c);
    if (it->second.empty()) watchers_.erase(it);
  }
  c.watched.clear();
  c.watch_dirty = false;
}

void Engine::TouchKey(int db, std::string_view key) {
  if (watchers_.empty()) return;
  auto it = watchers_.find({db, std::string(key)});
  if (it == watchers_.end()) return;
  bool gone = keyspace_->db(db).FindRaw(key) == nullptr;
  for (ClientState* c : it->second) {
    // A key that had already expired when watched and is now deleted did not logically change
    // (Redis's touchWatchedKey); later changes to it count again.
    bool expired_then_deleted = false;
    for (auto& w : c->watched) {
      if (w.db == db && w.key == key && w.expired_at_watch && gone) {
        w.expired_at_watch = false;
        expired_then_deleted = true;
      }
    }
    if (!expired_then_deleted) c->watch_dirty = true;
  }
}

void Engine::TouchWatchedKeysIn(int db) {
  for (auto& [dk, clients] : watchers_) {
    if (dk.first != db || keyspace_->db(db).FindRaw(dk.second) == nullptr) continue;
    for (ClientState* c : clients) c->watch_dirty = true;
  }
}

void Engine::EndTransaction(ClientState& c) {
  c.in_multi = false;
  c.multi_aborted = false;
  c.queued.clear();
  Unwatch(c);
}

void Engine::TouchKeysOf(const CommandId& cmd, int db, CmdArgs args) {
  if (watchers_.empty() || cmd.first_key <= 0) return;
  int last = cmd.last_key < 0 ? int(args.size()) + cmd.last_key : cmd.last_key;
  for (int i = cmd.first_key; i <= last && i < int(args.size()); i += std::max(1, cmd.key_step)) {
    TouchKey(db, args[size_t(i)]);
  }
}

void Engine::RefreshMemory() {
  struct mallinfo2 mi = mallinfo2();
  allocator_bytes_ = int64_t(mi.uordblks + mi.hblkhd);
  data_bytes_at_refresh_ = keyspace_ ? keyspace_->data_bytes() : 0;
  peak_memory_ = std::max(peak_memory_, allocator_bytes_);
}

int64_t Engine::UsedMemory() const {
  int64_t delta = keyspace_ ? keyspace_->data_bytes() - data_bytes_at_refresh_ : 0;
  return std::max<int64_t>(0, allocator_bytes_ + delta);
}

void Engine::OnKeyExpired(int db, std::string_view key) {
  std::string_view effect[] = {"DEL", key};
  journal_.Append(db, effect);
  TouchKey(db, key);
  Notify(kNotifyExpired, "expired", db, key);
}

void Engine::OnKeyEvicted(int db, std::string_view key) {
  std::string_view effect[] = {"DEL", key};
  journal_.Append(db, effect);
  TouchKey(db, key);
  Notify(kNotifyEvicted, "evicted", db, key);
}

// ---------------------------------------------------------------------------------------------
// Keyspace notifications

void Engine::Notify(uint32_t cls, std::string_view event, int db, std::string_view key) {
  uint32_t flags = config_.notify_flags.load(std::memory_order_relaxed);
  if (!(flags & cls)) return;
  std::string prefix = "__key";
  if (flags & kNotifyKeyspace) {
    Publish(prefix + "space@" + std::to_string(db) + "__:" + std::string(key), event);
  }
  if (flags & kNotifyKeyevent) {
    Publish(prefix + "event@" + std::to_string(db) + "__:" + std::string(event), key);
  }
}

void Engine::NotifyAfterCommand(std::string_view event, int db, std::string_view key) {
  if (config_.notify_flags.load(std::memory_order_relaxed) & kNotifyGeneric) {
    deferred_events_.push_back({std::string(event), db, std::string(key)});
  }
}

void Engine::FlushDeferredEvents() {
  std::vector<DeferredEvent> events;
  events.swap(deferred_events_);
  for (const auto& e : events) Notify(kNotifyGeneric, e.event, e.db, e.key);
}

// Events come from the effects commands record: the event of a command that propagates as
// itself carries its name (lpush, zadd, hdel ...); rewritten commands report their effect
// (INCR propagates as SET and notifies "set"; Redis says "incrby").
void Engine::NotifyEffect(int db, std::span<const std::string_view> effect) {
  static const std::unordered_map<std::string_view, uint32_t> kSameName = {
      {"APPEND", kNotifyString},
      {"SETRANGE", kNotifyString},
      {"SETBIT", kNotifyString},
      {"LPUSH", kNotifyList},
      {"RPUSH", kNotifyList},
      {"LPOP", kNotifyList},
      {"RPOP", kNotifyList},
      {"LINSERT", kNotifyList},
      {"LSET", kNotifyList},
      {"LREM", kNotifyList},
      {"LTRIM", kNotifyList},
      {"HSET", kNotifyHash},
      {"HDEL", kNotifyHash},
      {"SADD", kNotifySet},
      {"SREM", kNotifySet},
      {"SPOP", kNotifySet},
      {"ZADD", kNotifyZSet},
      {"ZREM", kNotifyZSet},
      {"ZPOPMIN", kNotifyZSet},
      {"ZPOPMAX", kNotifyZSet},
      {"ZREMRANGEBYRANK", kNotifyZSet},
      {"ZREMRANGEBYSCORE", kNotifyZSet},
      {"ZREMRANGEBYLEX", kNotifyZSet},
      {"XADD", kNotifyStream},
      {"XDEL", kNotifyStream},
      {"XTRIM", kNotifyStream},
      {"XSETID", kNotifyStream},
      {"RESTORE", kNotifyGeneric},
      {"PERSIST", kNotifyGeneric}};
  if (effect.size() < 2) return;
  std::string_view name = effect[0];
  if (auto it = kSameName.find(name); it != kSameName.end()) {
    return Notify(it->second, ToLower(name), db, effect[1]);
  }
  if (name == "SET") {
    Notify(kNotifyString, "set", db, effect[1]);
    if (effect.size() > 3 && effect[3] == "PXAT") Notify(kNotifyGeneric, "expire", db, effect[1]);
  } else if (name == "DEL" || name == "UNLINK") {
    for (size_t i = 1; i < effect.size(); ++i) Notify(kNotifyGeneric, "del", db, effect[i]);
  } else if (name == "PEXPIREAT") {
    Notify(kNotifyGeneric, "expire", db, effect[1]);
  } else if (name == "RENAME" && effect.size() > 2) {
    Notify(kNotifyGeneric, "rename_from", db, effect[1]);
    Notify(kNotifyGeneric, "rename_to", db, effect[2]);
  }
}

namespace {
// `cmd` itself matches, or it is an EXEC with a queued command that does.
bool CommandOrQueued(CommandRegistry& registry, const ClientState& client, const CommandId& cmd,
                     bool (*matches)(const CommandId&)) {
  if (matches(cmd)) return true;
  if (cmd.name != "exec" || !client.in_multi) return false;
  return std::any_of(client.queued.begin(), client.queued.end(), [&](const auto& queued) {
    const CommandId* c = registry.Find(queued[0]);
    return c != nullptr && matches(*c);
  });
}

// A write, or an EXEC with writes queued (Redis's is_write_command).
bool IsWrite(CommandRegistry& registry, const ClientState& client, const CommandId& cmd) {
  return CommandOrQueued(registry, client, cmd, [](const CommandId& c) { return c.Has(kWrite); });
}

// Redis's "deny stale": commands without the stale flag, and an EXEC with one queued.
bool DeniedWhenStale(CommandRegistry& registry, const ClientState& client, const CommandId& cmd) {
  return CommandOrQueued(registry, client, cmd, [](const CommandId& c) { return !c.Has(kStale); });
}

// What Redis refuses while the data can't be persisted: writes, PING, and an EXEC with writes
// queued.
bool RefusedOnDiskError(CommandRegistry& registry, const ClientState& client,
                        const CommandId& cmd) {
  return cmd.name == "ping" || IsWrite(registry, client, cmd);
}
}  // namespace

void Engine::Reject(ClientState& client, const CommandId* cmd, std::string_view error,
                    ReplyBuilder& rb) {
  if (client.in_multi && cmd != nullptr && cmd->name == "exec") {
    // Redis's execCommandAbort: the refusal of EXEC itself ends the transaction. The reason
    // keeps its code ("... because of: MISCONF Errors writing to the AOF file: ...", checked
    // against Redis 7.0).
    std::string_view reason = error;
    if (!reason.empty() && reason[0] == '-') reason.remove_prefix(1);
    EndTransaction(client);
    rb.Error("-EXECABORT Transaction discarded because of: " + std::string(reason));
    return;
  }
  rb.Error(error);
  if (client.in_multi) client.multi_aborted = true;
}

void Engine::RejectUnknown(CmdArgs args, ReplyBuilder& rb) {
  std::string msg =
      "unknown command '" + std::string(args[0].substr(0, 128)) + "', with args beginning with: ";
  std::string tail;
  for (size_t i = 1; i < args.size() && tail.size() < 128; ++i) {
    tail += "'" + std::string(args[i].substr(0, 128 - tail.size())) + "' ";
  }
  rb.Error(msg + tail);
}

void Engine::CountError(std::string_view reply) {
  // reply is "-CODE message\r\n"
  size_t end = reply.find_first_of(" \r");
  std::string_view code = reply.substr(1, end == std::string_view::npos ? 0 : end - 1);
  ++stats_.total_error_replies;
  auto it = stats_.error_counts.find(code);
  if (it == stats_.error_counts.end()) {
    stats_.error_counts.emplace(std::string(code), 1);
  } else {
    ++it->second;
  }
}

void Engine::Execute(ClientState& client, CmdArgs args, ReplyBuilder& rb) {
  BeginBatch();
  ExecuteInBatch(client, args, rb);
}

void Engine::ExecuteInBatch(ClientState& client, CmdArgs args, ReplyBuilder& rb) {
  size_t reply_start = rb.size();
  client.last_interaction_ms = keyspace_->now_ms();
  // Pipelines repeat the same command: a one-entry cache per client saves the table lookup.
  CommandId* cmd;
  if (client.cached_cmd != nullptr && args[0] == client.cached_name) {
    cmd = client.cached_cmd;
  } else {
    cmd = registry_.Find(args[0]);
    if (cmd != nullptr && args[0].size() <= sizeof(client.cached_name_buf)) {
      memcpy(client.cached_name_buf, args[0].data(), args[0].size());
      client.cached_name = std::string_view(client.cached_name_buf, args[0].size());
      client.cached_cmd = cmd;
    }
  }
  auto count_if_error = [&] {
    if (rb.size() > reply_start && rb.buffer()[reply_start] == '-') {
      CountError(std::string_view(rb.buffer()).substr(reply_start));
    }
  };
  if (cmd == nullptr) {
    RejectUnknown(args, rb);
    if (client.in_multi) client.multi_aborted = true;
    return count_if_error();
  }
  if (!cmd->subcommands.empty() && args.size() >= 2) {
    CommandId* sub = CommandRegistry::FindSub(*cmd, args[1]);
    if (sub == nullptr) {
      Reject(client, cmd,
             "unknown subcommand '" + std::string(args[1].substr(0, 128)) + "'. Try " +
                 ToUpper(cmd->name) + " HELP.",
             rb);
      ++cmd->rejected_calls;
      return count_if_error();
    }
    cmd = sub;
  }
  if ((cmd->arity > 0 && int(args.size()) != cmd->arity) ||
      (cmd->arity < 0 && int(args.size()) < -cmd->arity)) {
    Reject(client, cmd, "wrong number of arguments for '" + cmd->FullName() + "' command", rb);
    ++cmd->rejected_calls;
    return count_if_error();
  }
  if (!client.authenticated && !cmd->Has(kNoAuth)) {
    if (AuthNotRequired()) {
      client.authenticated = true;  // requirepass was cleared at run time
    } else {
      Reject(client, cmd, errors::kNoAuth, rb);
      ++cmd->rejected_calls;
      return count_if_error();
    }
  }
  // A replica does not evict (Redis's replica-ignore-maxmemory yes): its master's DELs do.
  int64_t maxmemory = config_.maxmemory.load(std::memory_order_relaxed);
  if (maxmemory > 0 && !replication_->is_replica()) {
    bool fits = keyspace_->EvictUntil(maxmemory, [this] { return UsedMemory(); });
    if (!fits && cmd->Has(kDenyOom)) {
      Reject(client, cmd, errors::kOom, rb);
      ++cmd->rejected_calls;
      return count_if_error();
    }
  }

  // Redis's writeCommandsDeniedByDiskError: after a failed RDB save, or while the AOF can't be
  // written, writes (and PING, and an EXEC with writes queued, as in Redis) are refused.
  bool rdb_failed = persistence_->RefusesWrites();
  if ((rdb_failed || aof_->write_refused()) && RefusedOnDiskError(registry_, client, *cmd)) {
    Reject(client, cmd, rdb_failed ? errors::kMisconf : aof_->WriteRefusedError(), rb);
    ++cmd->rejected_calls;
    return count_if_error();
  }

  if (replication_->LacksGoodReplicas(client) && IsWrite(registry_, client, *cmd)) {
    Reject(client, cmd, errors::kNoReplicas, rb);
    ++cmd->rejected_calls;
    return count_if_error();
  }

  if (replication_->RefusesWrite(client) && IsWrite(registry_, client, *cmd)) {
    Reject(client, cmd, errors::kReadOnly, rb);
    ++cmd->rejected_calls;
    return count_if_error();
  }

  if (client.subscribed() && !client.resp3 && !cmd->Has(kSubscribed)) {
    Reject(client, cmd,
           "Can't execute '" + cmd->FullName() +
               "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
               "this context",
           rb);
    ++cmd->rejected_calls;
    return count_if_error();
  }

  if (replication_->RefusesStale(client) && DeniedWhenStale(registry_, client, *cmd)) {
    Reject(client, cmd, errors::kMasterDown, rb);
    ++cmd->rejected_calls;
    return count_if_error();
  }

  if (persistence_->loading() && !client.loader && !cmd->Has(kLoading)) {
    Reject(client, cmd, errors::kLoading, rb);
    ++cmd->rejected_calls;
    return count_if_error();
  }

  if (pause_until_ms_ > 0 && !client.loader && exec_depth_ == 0 &&
      (pause_all_ || IsWrite(registry_, client, *cmd))) {
    auto b = std::make_unique<ClientState::BlockState>();
    b->db = client.db;
    b->args.assign(args.begin(), args.end());
    b->deadline_ms = 0;
    b->null_array = false;
    b->paused = true;
    client.block = std::move(b);
    ++blocked_count_;
    paused_.push_back(&client);
    client.Blocked(0);
    return;
  }

  if (client.in_multi && !cmd->Has(kTxControl)) {
    client.queued.emplace_back(args.begin(), args.end());
    rb.SimpleString("QUEUED");
    return;
  }

  uint64_t start = CycleCount();
  uint64_t dirty_before = journal_.dirty();
  client.last_cmd = cmd;
  CommandContext ctx(this, &client, &rb, cmd);
  ClientState* outer_client = current_client_;
  ReplyBuilder* outer_rb = current_rb_;
  current_client_ = &client;
  current_rb_ = &rb;
  ++exec_depth_;
  cmd->handler(args, ctx);
  --exec_depth_;
  if (!deferred_events_.empty()) FlushDeferredEvents();
  current_client_ = outer_client;
  current_rb_ = outer_rb;
  // A write that changed data touches its keys for WATCH. (A read that only expired a key was
  // already reported by the keyspace.)
  if (journal_.dirty() != dirty_before) {
    if (cmd->Has(kWrite)) TouchKeysOf(*cmd, client.db, args);
    client.woff = replication_->offset();
  }
  ++cmd->calls;
  cmd->cycles += CycleCount() - start;
  ++stats_.total_commands_processed;
  if (rb.size() > reply_start && rb.buffer()[reply_start] == '-') {
    ++cmd->failed_calls;
    CountError(std::string_view(rb.buffer()).substr(reply_start));
  }
  // Waiters on keys this command filled get served once it is over (after a whole EXEC).
  if (exec_depth_ == 0 && !ready_keys_.empty()) ServeBlocked();
  if (exec_depth_ == 0 && pause_until_ms_ < 0) ServePaused();
}

void Engine::Pause(int64_t until_ms, bool all) {
  // As Redis: a second pause can only make it longer or wider.
  if (pause_until_ms_ > 0) {
    until_ms = std::max(until_ms, pause_until_ms_);
    all = all || pause_all_;
  }
  pause_until_ms_ = std::max<int64_t>(until_ms, 1);
  pause_all_ = all;
}

void Engine::ServePaused() {
  pause_until_ms_ = 0;
  pause_all_ = false;
  std::vector<ClientState*> waiting;
  waiting.swap(paused_);
  for (ClientState* c : waiting) {
    if (!c->block || !c->block->paused) continue;
    std::vector<std::string> args = std::move(c->block->args);
    RemoveBlock(*c);
    std::vector<std::string_view> views(args.begin(), args.end());
    std::string out;
    ReplyBuilder rb(&out);
    rb.SetResp3(c->resp3);
    ExecuteInBatch(*c, CmdArgs(views.data(), views.size()), rb);
    if (c->block) continue;  // blocked again (BLPOP, WAIT): that block replies later
    c->Unblocked(std::move(out));
  }
}

// ---------------------------------------------------------------------------------------------
// Blocked clients

void Engine::NoteWrite(int db, std::span<const std::string_view> effect) {
  if (blocked_on_.empty() || effect.empty()) return;
  std::string_view name = effect[0];
  if (name == "SWAPDB" || name == "MOVE" || name == "COPY") {  // may fill another db
    for (const auto& [key, waiters] : blocked_on_) ready_keys_.push_back(key);
    return;
  }
  for (size_t i = 1; i < effect.size(); ++i) {
    auto key = std::make_pair(db, std::string(effect[i]));
    if (blocked_on_.count(key)) ready_keys_.push_back(std::move(key));
  }
}

void Engine::ServeBlocked() {
  while (!ready_keys_.empty()) {
    std::vector<std::pair<int, std::string>> ready;
    ready.swap(ready_keys_);
    std::sort(ready.begin(), ready.end());
    ready.erase(std::unique(ready.begin(), ready.end()), ready.end());
    for (const auto& key : ready) {
      auto it = blocked_on_.find(key);
      if (it == blocked_on_.end()) continue;
      std::vector<ClientState*> waiters(it->second.begin(), it->second.end());
      for (ClientState* c : waiters) {
        if (!c->block) continue;
        Entry* e = keyspace_->db(key.first).FindNoTouch(key.second);
        if (e == nullptr || e->type() != c->block->type) break;
        RerunBlocked(*c);
      }
    }
  }
}

void Engine::RerunBlocked(ClientState& c) {
  std::vector<std::string_view> args(c.block->args.begin(), c.block->args.end());
  CommandId* cmd = registry_.Find(args[0]);
  std::string out;
  ReplyBuilder rb(&out);
  rb.SetResp3(c.resp3);
  CommandContext ctx(this, &c, &rb, cmd);
  uint64_t dirty_before = journal_.dirty();
  rerunning_ = &c;
  ++exec_depth_;
  cmd->handler(CmdArgs(args.data(), args.size()), ctx);
  --exec_depth_;
  rerunning_ = nullptr;
  if (!deferred_events_.empty()) FlushDeferredEvents();
  if (out.empty()) return;  // still nothing for it: it keeps its place
  if (journal_.dirty() != dirty_before) {
    TouchKeysOf(*cmd, c.db, CmdArgs(args.data(), args.size()));
    c.woff = replication_->offset();
  }
  ++cmd->calls;
  ++stats_.total_commands_processed;
  RemoveBlock(c);
  c.Unblocked(std::move(out));
}

void Engine::RemoveBlock(ClientState& c) {
  for (const std::string& k : c.block->keys) {
    auto it = blocked_on_.find({c.block->db, k});
    if (it == blocked_on_.end()) continue;
    std::erase(it->second, &c);
    if (it->second.empty()) blocked_on_.erase(it);
  }
  if (c.block->wait_replicas >= 0) std::erase(ack_waiters_, &c);
  if (c.block->paused) std::erase(paused_, &c);
  c.block.reset();
  --blocked_count_;
}

bool Engine::CancelBlock(ClientState& c, std::string_view error) {
  if (!c.block || c.block->paused) return false;  // CLIENT UNBLOCK does not end a pause
  std::string out;
  ReplyBuilder rb(&out);
  rb.SetResp3(c.resp3);
  if (!error.empty()) {
    rb.Error(error);
  } else if (c.block->wait_replicas >= 0) {
    rb.Integer(replication_->CountAcked(c.block->wait_offset));
  } else if (c.block->null_array) {
    rb.NullArray();
  } else {
    rb.Null();
  }
  RemoveBlock(c);
  c.Unblocked(std::move(out));
  return true;
}

void Engine::ExpireBlocked() {
  if (blocked_count_ == 0) return;
  int64_t now = clock_->NowMs();
  for (const auto& [id, c] : clients_) {
    if (c->block && c->block->deadline_ms != 0 && c->block->deadline_ms <= now) CancelBlock(*c);
  }
}

void Engine::ServeAckWaiters() {
  for (size_t i = 0; i < ack_waiters_.size();) {
    ClientState* c = ack_waiters_[i];
    int64_t acked = replication_->CountAcked(c->block->wait_offset);
    if (acked < c->block->wait_replicas) {
      ++i;
      continue;
    }
    std::string out;
    ReplyBuilder rb(&out);
    rb.SetResp3(c->resp3);
    rb.Integer(acked);
    RemoveBlock(*c);  // erases it from ack_waiters_
    c->Unblocked(std::move(out));
  }
}

// ---------------------------------------------------------------------------------------------
// Pub/Sub

bool Engine::Subscribe(ClientState& c, std::string_view channel, bool pattern) {
  auto& mine = pattern ? c.patterns : c.channels;
  if (std::find(mine.begin(), mine.end(), channel) != mine.end()) return false;
  mine.emplace_back(channel);
  if (pattern) {
    patterns_[std::string(channel)].push_back(&c);
  } else {
    channels_[std::string(channel)].push_back(&c);
  }
  return true;
}

void Engine::UnsubscribeAll(ClientState& c) {
  while (!c.channels.empty()) Unsubscribe(c, std::string(c.channels.back()), false);
  while (!c.patterns.empty()) Unsubscribe(c, std::string(c.patterns.back()), true);
}

bool Engine::Unsubscribe(ClientState& c, std::string_view channel, bool pattern) {
  auto& mine = pattern ? c.patterns : c.channels;
  auto pos = std::find(mine.begin(), mine.end(), channel);
  if (pos == mine.end()) return false;
  mine.erase(pos);
  auto drop = [&](auto& registry) {
    auto it = registry.find(std::string(channel));
    std::erase(it->second, &c);
    if (it->second.empty()) registry.erase(it);
  };
  pattern ? drop(patterns_) : drop(channels_);
  return true;
}

namespace {
// A pub/sub message as RESP2 array or RESP3 push of bulk strings.
std::string EncodeMessage(bool resp3, std::initializer_list<std::string_view> parts) {
  std::string out;
  ReplyBuilder rb(&out);
  rb.SetResp3(resp3);
  rb.PushHeader(parts.size());
  for (std::string_view p : parts) rb.Bulk(p);
  return out;
}
}  // namespace

int64_t Engine::Publish(std::string_view channel, std::string_view message) {
  int64_t receivers = 0;
  std::string encoded[2];  // by protocol: RESP2, RESP3
  auto send = [&](ClientState* c, std::initializer_list<std::string_view> parts) {
    std::string& bytes = encoded[c->resp3];
    if (bytes.empty()) bytes = EncodeMessage(c->resp3, parts);
    Deliver(c, bytes);
    ++receivers;
  };
  if (auto it = channels_.find(std::string(channel)); it != channels_.end()) {
    for (ClientState* c : it->second) send(c, {"message", channel, message});
  }
  for (const auto& [pattern, clients] : patterns_) {
    if (!GlobMatch(pattern, channel)) continue;
    encoded[0].clear();
    encoded[1].clear();
    for (ClientState* c : clients) send(c, {"pmessage", pattern, channel, message});
  }
  return receivers;
}

void Engine::Deliver(ClientState* c, std::string_view bytes) {
  if (c == current_client_ && current_rb_ != nullptr) return current_rb_->Raw(bytes);
  c->Deliver(bytes);
}

bool Engine::SnapshotBusy() const {
  return persistence_->job_active() || aof_->rewrite_active() || replication_->sync_active();
}

int64_t Engine::Cron() {
  keyspace_->RefreshNow();
  // Tick rate for command durations, from two points at least 100 ms apart.
  uint64_t cycles = CycleCount();
  int64_t us = clock_->MonotonicUs();
  if (rate_us_ == 0) {
    rate_cycles_ = cycles;
    rate_us_ = us;
  } else if (us - rate_us_ >= 100'000) {
    cycles_per_us_ = double(cycles - rate_cycles_) / double(us - rate_us_);
    rate_cycles_ = cycles;
    rate_us_ = us;
  }
  RefreshMemory();
  // Active expiry: a slice of at most 1 ms per run (the lock is held meanwhile); when the
  // slice ran out, come back soon instead of waiting a whole period.
  expire_backlog_ = keyspace_->ActiveExpireCycle(1000);

  int64_t now = keyspace_->now_ms();
  int64_t idle_limit_ms = config_.timeout.load() * 1000;
  if (idle_limit_ms > 0) {
    // As Redis: waiting for a blocking command or for messages is not idling.
    for (auto& [id, c] : clients_) {
      if (c->block || c->subscribed()) continue;
      if (now - c->last_interaction_ms > idle_limit_ms) c->RequestClose();
    }
  }
  ExpireBlocked();
  if (pause_until_ms_ != 0 && pause_until_ms_ <= clock_->NowMs()) ServePaused();
  persistence_->Cron();
  aof_->Cron();
  replication_->Cron();
  int64_t period = 1000 / std::max<int64_t>(1, config_.hz.load());
  return expire_backlog_ ? std::min<int64_t>(period, 5) : period;
}

}  // namespace ember
