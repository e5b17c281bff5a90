#include "server/engine.h"

#include <malloc.h>
#include <unistd.h>

#include <cstring>
#include <random>

#include "common/log.h"
#include "common/strings.h"
#include "server/errors.h"

namespace ember {

// ---------------------------------------------------------------------------------------------
// CommandContext

void CommandContext::Propagate(std::initializer_list<std::string_view> effect) {
  engine_->journal().Append(client_->db, std::span<const std::string_view>(effect));
}

void CommandContext::Propagate(std::span<const std::string_view> effect) {
  engine_->journal().Append(client_->db, effect);
}

// ---------------------------------------------------------------------------------------------
// Engine

namespace {
std::string NewRunId() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (char& c : id) c = kHex[rd() % 16];
  return id;
}

const std::vector<std::string> kPolicyNames = {"volatile-lru",   "volatile-lfu", "volatile-random",
                                               "volatile-ttl",   "allkeys-lru",  "allkeys-lfu",
                                               "allkeys-random", "noeviction"};
}  // namespace

Engine::Engine(const Clock* clock)
    : clock_(clock), run_id_(NewRunId()), start_time_ms_(clock->NowMs()) {
  RegisterConfig();
  RegisterStringFamily(&registry_);
  RegisterGenericFamily(&registry_);
  RegisterServerFamily(&registry_);
  RegisterHashFamily(&registry_);
  RegisterListFamily(&registry_);
  RegisterSetFamily(&registry_);
  RegisterSortFamily(&registry_);
  RegisterStreamFamily(&registry_);
  RegisterTransactionFamily(&registry_);
}

Engine::~Engine() = default;

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
  t.AddInt("io-threads", &c.io_threads, 0, 0, 128, false);
  auto apply_eviction = [this] {
    keyspace_->set_eviction(EvictionPolicy(config_.maxmemory_policy.load()),
                            size_t(config_.maxmemory_samples.load()));
  };
  t.OnChange("maxmemory-policy", apply_eviction);
  t.OnChange("maxmemory-samples", apply_eviction);
}

void Engine::Start() {
  keyspace_ = std::make_unique<Keyspace>(int(config_.databases.load()), clock_);
  keyspace_->set_listener(this);
  keyspace_->set_eviction(EvictionPolicy(config_.maxmemory_policy.load()),
                          size_t(config_.maxmemory_samples.load()));
  RefreshMemory();
  startup_memory_ = allocator_bytes_;
}

void Engine::RegisterClient(ClientState* c) {
  clients_[c->id] = c;
  ++stats_.total_connections_received;
}

void Engine::UnregisterClient(ClientState* c) {
  Unwatch(*c);
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
}

void Engine::OnKeyEvicted(int db, std::string_view key) {
  std::string_view effect[] = {"DEL", key};
  journal_.Append(db, effect);
  TouchKey(db, key);
}

void Engine::Reject(ClientState& client, const CommandId* cmd, std::string_view error,
                    ReplyBuilder& rb) {
  if (client.in_multi && cmd != nullptr && cmd->name == "exec") {
    // Redis's execCommandAbort: the refusal of EXEC itself ends the transaction.
    std::string_view reason = error;
    if (!reason.empty() && reason[0] == '-') reason.remove_prefix(reason.find(' ') + 1);
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
  int64_t maxmemory = config_.maxmemory.load(std::memory_order_relaxed);
  if (maxmemory > 0) {
    bool fits = keyspace_->EvictUntil(maxmemory, [this] { return UsedMemory(); });
    if (!fits && cmd->Has(kDenyOom)) {
      Reject(client, cmd, errors::kOom, rb);
      ++cmd->rejected_calls;
      return count_if_error();
    }
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
  cmd->handler(args, ctx);
  // A write that changed data touches its keys for WATCH. (A read that only expired a key was
  // already reported by the keyspace.)
  if (cmd->Has(kWrite) && journal_.dirty() != dirty_before) TouchKeysOf(*cmd, client.db, args);
  ++cmd->calls;
  cmd->cycles += CycleCount() - start;
  ++stats_.total_commands_processed;
  if (rb.size() > reply_start && rb.buffer()[reply_start] == '-') {
    ++cmd->failed_calls;
    CountError(std::string_view(rb.buffer()).substr(reply_start));
  }
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
    for (auto& [id, c] : clients_) {
      if (now - c->last_interaction_ms > idle_limit_ms) c->RequestClose();
    }
  }
  int64_t period = 1000 / std::max<int64_t>(1, config_.hz.load());
  return expire_backlog_ ? std::min<int64_t>(period, 5) : period;
}

}  // namespace ember
