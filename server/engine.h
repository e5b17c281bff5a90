#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/config_table.h"
#include "common/reply_builder.h"
#include "server/command.h"
#include "server/db/keyspace.h"
#include "server/journal.h"
#include "server/persist/persistence.h"
#include "server/types/dump.h"

namespace ember {

inline constexpr char kEmberVersion[] = "0.1.0";
// The Redis API level Ember implements; clients check INFO's redis_version.
inline constexpr char kRedisVersion[] = "7.0.15";

// Configuration values. Numbers are atomics so that I/O threads may read them without the
// keyspace lock; strings are only touched under it.
struct ServerConfig {
  std::atomic<int64_t> port{6379};
  std::string bind;
  // enable-protected-configs: 0 no, 1 yes, 2 local (loopback clients only).
  std::atomic<int> enable_protected_configs{0};
  std::atomic<bool> protected_mode{true};
  std::string requirepass;
  std::atomic<bool> has_password{false};  // mirrors !requirepass.empty() for I/O threads
  std::atomic<int64_t> maxclients{10000};
  std::atomic<int64_t> timeout{0};
  std::atomic<int64_t> tcp_keepalive{300};
  std::atomic<int64_t> tcp_backlog{511};
  std::atomic<int64_t> databases{16};
  std::atomic<int64_t> maxmemory{0};
  std::atomic<int> maxmemory_policy{int(EvictionPolicy::kNoEviction)};
  std::atomic<int64_t> maxmemory_samples{5};
  std::atomic<int> loglevel{2};
  std::string logfile;
  std::string dir;
  std::atomic<int64_t> proto_max_bulk_len{512LL * 1024 * 1024};
  std::atomic<int64_t> client_query_buffer_limit{1024LL * 1024 * 1024};
  std::atomic<int64_t> hz{10};
  std::atomic<int64_t> hash_max_listpack_entries{512};
  std::atomic<int64_t> hash_max_listpack_value{64};
  std::atomic<int64_t> set_max_intset_entries{512};
  std::atomic<int64_t> zset_max_listpack_entries{128};
  std::atomic<int64_t> zset_max_listpack_value{64};
  // client-output-buffer-limit per client class: hard bytes, soft bytes, soft seconds.
  enum ClientClass { kNormalClient, kReplicaClient, kPubSubClient };
  std::atomic<int64_t> obuf_limits[3][3] = {
      {0, 0, 0}, {256LL << 20, 64LL << 20, 60}, {32LL << 20, 8LL << 20, 60}};
  std::atomic<int64_t> io_threads{0};     // 0: auto, half the cores
  std::atomic<uint32_t> notify_flags{0};  // notify-keyspace-events, as Engine::kNotify* bits
  std::string config_file;                // absolute path of the YAML file, if any
};

// Per-connection state the dispatcher and commands see. The network session (or a test)
// derives from it to give CLIENT KILL and CLIENT LIST their hooks.
class ClientState {
 public:
  virtual ~ClientState() = default;
  // Asks the connection to close once its pending replies are out. Called under the lock
  // from any thread.
  virtual void RequestClose() { close_after_reply = true; }
  virtual size_t QueryBufferBytes() const { return 0; }
  virtual size_t OutputBufferBytes() const { return 0; }
  // Output that is not the reply to the client's current request (a pub/sub message). Called
  // under the lock from any thread; the default keeps it in `delivered` (unit tests).
  virtual void Deliver(std::string_view bytes) { delivered.append(bytes); }
  // The wait of a blocked command ended; `reply` is its reply. The connection sends it and
  // goes on with the requests that arrived meanwhile. Called under the lock from any thread.
  virtual void Unblocked(std::string reply) { delivered.append(reply); }
  // The client started waiting until `deadline_ms` (engine clock; 0: no deadline). The
  // connection arms a timer that calls Engine::ExpireBlocked.
  virtual void Blocked(int64_t /*deadline_ms*/) {}

  uint64_t id = 0;
  std::string name;
  std::string lib_name, lib_ver;
  int db = 0;
  bool resp3 = false;
  bool authenticated = false;
  bool close_after_reply = false;
  // Replays the AOF at start-up: served while other clients get -LOADING.
  bool loader = false;
  // Running the commands of an EXEC (BGSAVE and BGREWRITEAOF are then only scheduled).
  bool in_exec = false;
  // A replica's link applying its master's stream: writes are allowed on a read-only replica.
  bool is_master = false;
  std::string addr = "127.0.0.1:0", laddr = "127.0.0.1:0";
  int fd = -1;
  int64_t ctime_ms = 0;
  int64_t last_interaction_ms = 0;
  const CommandId* last_cmd = nullptr;  // for CLIENT LIST cmd=
  // MULTI: commands queued for EXEC; `multi_aborted` when one of them was refused (EXEC then
  // answers -EXECABORT).
  bool in_multi = false;
  bool multi_aborted = false;
  std::vector<std::vector<std::string>> queued;
  // WATCH: keys (db, key) and whether one changed since; `expired_at_watch` per key.
  struct Watched {
    int db;
    std::string key;
    bool expired_at_watch;
  };
  std::vector<Watched> watched;
  bool watch_dirty = false;

  // A blocking command (BLPOP ...) waiting for one of its keys.
  struct BlockState {
    ObjType type;  // what the keys must hold to serve it
    int db;
    std::vector<std::string> keys;
    std::vector<std::string> args;  // the command, run again when a key may serve it
    int64_t deadline_ms;            // 0: none
    bool null_array;                // the timeout reply: null array, else null bulk
    // WAIT: no keys; served once `wait_replicas` replicas acknowledged `wait_offset`, and
    // its timeout reply is how many did.
    int64_t wait_replicas = -1;
    uint64_t wait_offset = 0;
    // CLIENT PAUSE: the whole command runs again, with every check, when the pause ends.
    bool paused = false;
  };
  std::unique_ptr<BlockState> block;
  // The replication offset after this client's last write (what its WAIT waits for).
  uint64_t woff = 0;

  // Pub/Sub subscriptions, in the order they were made.
  std::vector<std::string> channels, patterns;
  bool subscribed() const { return !channels.empty() || !patterns.empty(); }
  std::string delivered;  // see Deliver

  // The last command name this client sent, as typed, and what it resolved to.
  char cached_name_buf[32];
  std::string_view cached_name;
  CommandId* cached_cmd = nullptr;
};

struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  uint64_t total_error_replies = 0;
  uint64_t unexpected_error_replies = 0;
  std::map<std::string, uint64_t, std::less<>> error_counts;  // errorstats, by error code
};

class Engine;
class Aof;

// 40 random hex digits: a run id, a replication id.
std::string NewRunId();
class Replication;

// What a command handler sees: its client, the selected db, the reply builder and the way to
// record the effect it made.
class CommandContext {
 public:
  CommandContext(Engine* engine, ClientState* client, ReplyBuilder* rb, const CommandId* cmd)
      : engine_(engine), client_(client), rb_(rb), cmd_(cmd) {}

  ReplyBuilder& reply() { return *rb_; }
  Engine& engine() { return *engine_; }
  ClientState& client() { return *client_; }
  inline Keyspace& keyspace();
  inline Db& db();
  inline int64_t now_ms() const;
  const CommandId& cmd() const { return *cmd_; }

  // A keyspace event (notify-keyspace-events): its class (Engine::kNotify*) and name.
  struct KeyEvent {
    uint32_t cls = 0;  // 0: no event
    std::string_view name;
  };
  // Records the effect of this command on the client's db, for replicas and the AOF, and
  // announces it. Without `event` the event is derived from the effect, which suits commands
  // recorded as themselves ("lpush", "zadd" ...); a command recorded as another one names
  // Redis's event for it (INCR, recorded as SET, says "incrby"), announced for effect[1];
  // KeyEvent{} announces nothing (a step of a larger change).
  void Propagate(std::initializer_list<std::string_view> effect,
                 std::optional<KeyEvent> event = std::nullopt);
  void Propagate(std::span<const std::string_view> effect,
                 std::optional<KeyEvent> event = std::nullopt);

  // Announces a keyspace event for `key` in the client's db, for changes not announced by
  // their recorded effect.
  inline void Notify(uint32_t cls, std::string_view event, std::string_view key);

  // Blocking commands: the client waits for one of `keys` to hold a `type` value, until
  // `deadline_ms` (0: forever), then the command runs again from the start. Returns false
  // when the client may not wait (inside MULTI/EXEC): the caller replies its timeout reply
  // now. While the engine re-runs a waiting command that still finds nothing, returns true
  // and the client keeps its place in the queues.
  bool Block(CmdArgs args, ObjType type, std::span<const std::string_view> keys,
             int64_t deadline_ms, bool null_array_on_timeout);
  // WAIT: the client waits until `replicas` replicas acknowledged `offset`, or `deadline_ms`
  // (0: forever), and is answered how many did.
  void BlockForAcks(uint64_t offset, int64_t replicas, int64_t deadline_ms);

 private:
  Engine* engine_;
  ClientState* client_;
  ReplyBuilder* rb_;
  const CommandId* cmd_;
};

// The server without its network: configuration, keyspace, command table, dispatcher, journal,
// client registry and statistics. The network layer and the unit tests drive it the same way.
//
// Threading: everything here is guarded by mu(); callers hold it around Execute() and Cron()
// (the network layer takes it once per batch of pipelined requests).
class Engine : public KeyspaceListener {
 public:
  explicit Engine(const Clock* clock);
  ~Engine() override;

  std::mutex& mu() { return mu_; }
  // Clients waiting for mu() now (the network layer counts them): a background job that holds
  // the lock in slices gives way only when someone waits.
  std::atomic<int>& lock_waiters() { return lock_waiters_; }
  ConfigTable& config_table() { return config_table_; }
  ServerConfig& config() { return config_; }
  Keyspace& keyspace() { return *keyspace_; }
  CommandRegistry& registry() { return registry_; }
  Journal& journal() { return journal_; }
  Persistence& persistence() { return *persistence_; }
  // The compact-representation limits from the config (RESTORE, loading).
  RestoreLimits value_limits() const;
  // The append-only file (server/persist/aof.h); exists whether appendonly is on or not.
  Aof& aof() { return *aof_; }
  const Aof& aof() const { return *aof_; }
  // Replication (server/repl/replication.h).
  Replication& replication() { return *replication_; }
  const Replication& replication() const { return *replication_; }
  // A snapshot job runs (BGSAVE, an AOF rewrite, a replica's full sync): the keyspace serves
  // one at a time, the others wait.
  bool SnapshotBusy() const;
  ServerStats& stats() { return stats_; }
  const Clock& clock() const { return *clock_; }
  const std::string& run_id() const { return run_id_; }
  int64_t start_time_ms() const { return start_time_ms_; }

  // Applies configuration side effects after loading (databases, eviction policy, loglevel).
  // Call once after the config is final and before serving.
  void Start();

  // Runs one request for `client`, replying through `rb`, at the clock's current time.
  // Checks (in Redis's order) unknown command, arity, authentication, memory; then calls the
  // handler.
  void Execute(ClientState& client, CmdArgs args, ReplyBuilder& rb);
  // The network layer's form: the caller took the time once for a whole pipeline with
  // BeginBatch(), and every request of the batch sees that time (reading the clock per request
  // cost ~9% of the CPU at 1M requests/s).
  void BeginBatch() { keyspace_->RefreshNow(); }
  void ExecuteInBatch(ClientState& client, CmdArgs args, ReplyBuilder& rb);

  // Periodic work (server.hz times per second): active expiry, memory accounting, idle
  // clients. Returns the delay in ms until it wants to run again.
  int64_t Cron();

  // WATCH bookkeeping: a write to a watched key (or its expiry, eviction, a FLUSHDB ...) makes
  // the watchers' next EXEC fail.
  void Watch(ClientState& c, int db, std::string_view key);
  void Unwatch(ClientState& c);
  void TouchKey(int db, std::string_view key);
  // Every watched key of `db` that exists now (FLUSHDB, FLUSHALL, SWAPDB).
  void TouchWatchedKeysIn(int db);
  // Leaves MULTI and forgets queued commands and watches (EXEC, DISCARD, RESET).
  void EndTransaction(ClientState& c);

  // Blocked clients. A write to a key someone waits on marks it ready; once the command that
  // wrote it is over, waiters are served first come, first served.
  size_t blocked_clients() const { return blocked_count_; }
  // Ends a client's wait with its timeout reply, or with `error` if given (CLIENT UNBLOCK).
  // False if it was not blocked.
  bool CancelBlock(ClientState& c, std::string_view error = {});
  // Times out every waiter whose deadline passed.
  void ExpireBlocked();
  // CLIENT PAUSE / UNPAUSE: until `until_ms`, writes (or, with `all`, every command) of normal
  // clients wait; they run when the pause ends, as if they arrived then (a master demoted
  // meanwhile answers them -READONLY).
  void Pause(int64_t until_ms, bool all);
  void Unpause() { pause_until_ms_ = -1; }
  bool paused() const { return pause_until_ms_ != 0; }
  // Replicas acknowledged more of the stream: serves the WAITs it satisfies.
  void ServeAckWaiters();

  // Keyspace notifications (notify-keyspace-events): event classes and the two channel kinds.
  enum NotifyFlag : uint32_t {
    kNotifyKeyspace = 1 << 0,  // K
    kNotifyKeyevent = 1 << 1,  // E
    kNotifyGeneric = 1 << 2,   // g
    kNotifyString = 1 << 3,    // $
    kNotifyList = 1 << 4,      // l
    kNotifySet = 1 << 5,       // s
    kNotifyHash = 1 << 6,      // h
    kNotifyZSet = 1 << 7,      // z
    kNotifyExpired = 1 << 8,   // x
    kNotifyEvicted = 1 << 9,   // e
    kNotifyStream = 1 << 10,   // t
    kNotifyModule = 1 << 11,   // d (accepted; Ember has no modules)
    kNotifyNew = 1 << 12,      // n
    kNotifyKeyMiss = 1 << 13,  // m
  };
  // Publishes `event` for `key` on __keyspace@db__:key and __keyevent@db__:event as enabled.
  void Notify(uint32_t cls, std::string_view event, int db, std::string_view key);
  // A generic event sent once the running command has sent its own (the "del" of a key a pop
  // emptied comes after the "lpop").
  void NotifyAfterCommand(std::string_view event, int db, std::string_view key);

  // Pub/Sub. Subscribe/Unsubscribe return whether the subscription changed.
  bool Subscribe(ClientState& c, std::string_view channel, bool pattern);
  bool Unsubscribe(ClientState& c, std::string_view channel, bool pattern);
  void UnsubscribeAll(ClientState& c);
  // Sends `message` to the channel's subscribers and matching patterns; returns how many
  // received it. Delivery never unsubscribes anyone on the spot (a client over its output
  // limit is closed from its own thread), so the registries stay put while they are walked.
  int64_t Publish(std::string_view channel, std::string_view message);
  const std::unordered_map<std::string, std::vector<ClientState*>>& pubsub_channels() const {
    return channels_;
  }
  size_t pubsub_patterns() const { return patterns_.size(); }

  void RegisterClient(ClientState* c);
  void UnregisterClient(ClientState* c);
  const std::map<uint64_t, ClientState*>& clients() const { return clients_; }
  uint64_t NextClientId() { return next_client_id_++; }

  // Memory in use as Redis's used_memory: allocator bytes, refreshed by Cron, plus what the
  // keyspace allocated since.
  int64_t UsedMemory() const;
  int64_t peak_memory() const { return peak_memory_; }
  // Allocator bytes once the server was set up (INFO's used_memory_startup).
  int64_t startup_memory() const { return startup_memory_; }
  // Converts CycleCount() ticks to microseconds with the rate Cron measures.
  uint64_t CyclesToUs(uint64_t cycles) const { return uint64_t(double(cycles) / cycles_per_us_); }
  void RefreshMemory();

  bool IsPasswordSet() const { return !config_.requirepass.empty(); }
  // Whether a new client starts authenticated.
  bool AuthNotRequired() const { return config_.requirepass.empty(); }

  // SHUTDOWN asks the process to exit once the reply is out.
  std::atomic<bool> shutdown_requested{false};

  // KeyspaceListener
  void OnKeyExpired(int db, std::string_view key) override;
  void OnKeyEvicted(int db, std::string_view key) override;
  void OnKeyAdded(int db, std::string_view key) override { Notify(kNotifyNew, "new", db, key); }

 private:
  void RegisterConfig();
  void RejectUnknown(CmdArgs args, ReplyBuilder& rb);
  // Replies a refusal; inside MULTI it also dooms the transaction, as Redis's rejectCommand.
  void Reject(ClientState& client, const CommandId* cmd, std::string_view error, ReplyBuilder& rb);
  void TouchKeysOf(const CommandId& cmd, int db, CmdArgs args);
  friend class CommandContext;
  void NoteWrite(int db, std::span<const std::string_view> effect);
  void NotifyEffect(int db, std::span<const std::string_view> effect);
  void ServeBlocked();
  void RerunBlocked(ClientState& c);
  void ServePaused();
  void RemoveBlock(ClientState& c);
  void Deliver(ClientState* c, std::string_view bytes);
  void CountError(std::string_view reply_tail);

  std::mutex mu_;
  std::atomic<int> lock_waiters_{0};
  const Clock* clock_;
  ServerConfig config_;
  ConfigTable config_table_;
  CommandRegistry registry_;
  std::unique_ptr<Keyspace> keyspace_;
  Journal journal_;
  std::unique_ptr<Persistence> persistence_;
  std::unique_ptr<Aof> aof_;
  std::unique_ptr<Replication> replication_;
  ServerStats stats_;
  std::map<uint64_t, ClientState*> clients_;
  std::map<std::pair<int, std::string>, std::vector<ClientState*>> watchers_;
  std::map<std::pair<int, std::string>, std::deque<ClientState*>> blocked_on_;
  std::vector<std::pair<int, std::string>> ready_keys_;
  size_t blocked_count_ = 0;
  int64_t pause_until_ms_ = 0;  // 0: not paused; -1: unpaused, the paused clients not run yet
  bool pause_all_ = false;
  std::vector<ClientState*> paused_;       // in arrival order
  std::vector<ClientState*> ack_waiters_;  // in WAIT, first come first served
  ClientState* rerunning_ = nullptr;       // the blocked client whose command runs again
  int exec_depth_ = 0;                     // nesting of ExecuteInBatch (EXEC runs its queue inside)
  ClientState* current_client_ = nullptr;
  ReplyBuilder* current_rb_ = nullptr;
  struct DeferredEvent {
    std::string event;
    int db;
    std::string key;
  };
  std::vector<DeferredEvent> deferred_events_;
  void FlushDeferredEvents();
  std::unordered_map<std::string, std::vector<ClientState*>> channels_;
  std::map<std::string, std::vector<ClientState*>> patterns_;
  uint64_t next_client_id_ = 1;
  std::string run_id_;
  int64_t start_time_ms_;
  int64_t startup_memory_ = 0;
  int64_t allocator_bytes_ = 0, data_bytes_at_refresh_ = 0, peak_memory_ = 0;
  bool expire_backlog_ = false;
  double cycles_per_us_ = 1000.0;
  uint64_t rate_cycles_ = 0;
  int64_t rate_us_ = 0;
};

inline Keyspace& CommandContext::keyspace() { return engine_->keyspace(); }
inline Db& CommandContext::db() { return engine_->keyspace().db(client_->db); }
inline int64_t CommandContext::now_ms() const { return engine_->keyspace().now_ms(); }
inline void CommandContext::Notify(uint32_t cls, std::string_view event, std::string_view key) {
  engine_->Notify(cls, event, client_->db, key);
}

}  // namespace ember
