#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "server/journal.h"
#include "server/repl/repl_log.h"

namespace grpc {
class Server;
}

namespace ember {

class ConfigTable;
class Engine;
class SnapshotJob;
class ReplyBuilder;
struct ClientState;

// Master -> replica replication over gRPC (proto/replication.proto, DESIGN.md), Redis's PSYNC
// model:
//
// Master side. A gRPC service on `replication-port` (default: client port + 10000, on the
// `bind` addresses). A replica opens one Sync stream and sends {replid, offset, auth,
// address}. When its replid is ours (or our previous one, up to where it ended) and the offset
// is still in the ReplicationLog, it gets CONTINUE and the log from there. Otherwise FULLRESYNC:
// a point-in-time Snapshot (the one BGSAVE uses) streamed straight from memory in RDB format,
// then the log from the snapshot's instant, which is held for it meanwhile. The log carries
// effects (the journal's output), SELECTs when the db changes, and a PING every
// repl-ping-replica-period.
//
// Replica side. A link thread dials the master, loads a full sync aside (the old data keeps
// being served until the new one swaps in at once), then applies the stream through the
// dispatcher as the master's client, and appends the same bytes to its own log: its offset is
// the master's, and its own replicas (chained) get the same stream. Keys never expire on a
// replica by themselves: the master's DELs remove them; reads hide logically expired ones.
class Replication : public JournalSink {
 public:
  explicit Replication(Engine* engine);
  ~Replication() override;
  Replication(const Replication&) = delete;
  Replication& operator=(const Replication&) = delete;

  void RegisterConfig(ConfigTable& t);

  // After start-up loading: the gRPC service, and the link when replicaof is set. Returns the
  // reason start-up must stop (the port can't be bound).
  std::optional<std::string> Start();
  // Shut-down, without the engine lock: the link and the service stop.
  void Stop();

  // ---- Under the engine lock

  bool is_replica() const { return !master_host_.empty(); }
  const std::string& master_host() const { return master_host_; }
  int master_port() const { return master_port_; }
  // REPLICAOF host port: (re)connects to that master, keeping the data until a sync replaces
  // it. REPLICAOF NO ONE: becomes a master, keeping the data and the replication history
  // (the old id becomes the secondary one, so the old siblings can continue).
  void SetMaster(std::string host, int port);
  void BecomeMaster();

  // The dispatcher: -READONLY for writes from clients on a read-only replica (not its master's
  // link, not the AOF's replay at start-up).
  bool RefusesWrite(const ClientState& client) const;
  // -NOREPLICAS for writes: min-replicas-to-write is set and fewer replicas acknowledged
  // within min-replicas-max-lag seconds. (Not for the AOF's replay at start-up.)
  bool LacksGoodReplicas(const ClientState& client) const;
  // -MASTERDOWN for commands not allowed on stale data: a replica whose link is down, with
  // replica-serve-stale-data no.
  bool RefusesStale(const ClientState& client) const;

  // WAIT: the replicas that acknowledged the stream up to `offset`.
  int64_t CountAcked(uint64_t offset) const;
  // WAIT: every replica is asked to acknowledge now (Redis's REPLCONF GETACK); their answers
  // serve Engine::ServeAckWaiters.
  void RequestAcks();

  // The stream's position now: what a file matching the dataset exactly records (an RDB's
  // repl-* AUX fields, the AOF at shut-down).
  ReplPosition position() const;
  int stream_db() const;
  // Start-up, after loading a file that recorded `at`, before Start(). A replica continues
  // the stream from there (a partial resync when its master still has it); a master keeps
  // it as its secondary id, as after a promotion, so that its replicas continue too.
  void Restore(const ReplPosition& at);

  // JournalSink: the effects made on a master (a replica's log is fed by its link instead).
  void Append(int db, std::span<const std::string_view> effect, std::string_view resp) override;

  // Pings, the backlog's time to live.
  void Cron();

  void AppendInfo(std::string* out) const;
  void Role(ReplyBuilder& rb) const;

  const std::string& replid() const { return replid_; }
  bool sync_active() const { return sync_job_ != nullptr; }
  // INFO stats: sync_full, sync_partial_ok, sync_partial_err.
  uint64_t sync_full() const { return sync_full_; }
  uint64_t sync_partial_ok() const { return sync_partial_ok_; }
  uint64_t sync_partial_err() const { return sync_partial_err_; }
  uint64_t offset() const { return log_.end(); }
  ReplicationLog& log() { return log_; }

  // ---- For the service and the link (server/repl/replication.cc)
  struct ReplicaInfo;
  class Service;
  class Link;

 private:
  friend class Service;
  friend class Link;

  void NewReplid();
  // Online replicas that acknowledged within min-replicas-max-lag seconds.
  int64_t GoodReplicas() const;
  void StartLink();
  void StopLinkLocked(std::unique_ptr<Link>* out);
  // Cuts the attached replicas off (they reconnect, and continue if they can): nothing this
  // node appends from now on reaches them on their current stream.
  void DropReplicasLocked();
  // A replica is gone (its RPC ended, or Cron cut it off): INFO, ROLE and WAIT stop counting it.
  void ForgetReplicaLocked(const std::shared_ptr<ReplicaInfo>& info);

  Engine* engine_;
  ReplicationLog log_;

  // Configuration.
  std::atomic<int64_t> port_{0};  // replication-port, 0: client port + 10000
  std::string masterauth_;
  std::atomic<int64_t> backlog_size_{10LL << 20};
  std::atomic<int64_t> backlog_ttl_s_{3600};
  std::atomic<bool> read_only_{true};
  std::atomic<bool> serve_stale_{true};
  std::atomic<int64_t> priority_{100};
  std::string announce_ip_;
  std::atomic<int64_t> announce_port_{0};
  std::atomic<int64_t> timeout_s_{60};
  std::atomic<int64_t> ping_period_s_{10};
  std::atomic<bool> accept_empty_master_{false};
  std::atomic<int64_t> min_replicas_to_write_{0};
  std::atomic<int64_t> min_replicas_max_lag_{10};

  // Identity (under the engine lock).
  std::string replid_, replid2_;
  int64_t second_offset_ = -1;
  int selected_db_ = -1;  // of the last effect in the log (a master's)
  int64_t last_ping_ms_ = 0;
  int64_t no_replicas_since_ms_ = 0;
  // A master keeps a backlog from its first replica on, until it has had none for
  // repl-backlog-ttl (as Redis; its offset stands still meanwhile). A replica always has one.
  bool backlog_active_ = false;
  std::atomic<uint64_t> ack_requests_{0};  // RequestAcks calls

  // Master side: the replicas attached (under the engine lock).
  std::list<std::shared_ptr<ReplicaInfo>> replicas_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;

  // The full sync whose snapshot is being taken (one job at a time, see SnapshotJob).
  SnapshotJob* sync_job_ = nullptr;
  uint64_t sync_full_ = 0, sync_partial_ok_ = 0, sync_partial_err_ = 0;
  std::atomic<bool> stopping_{false};

  // Replica side.
  bool synced_once_ = false;  // replid_ is the master's: a partial resync may work
  // The db the stream is in at log_.end() (its last SELECT): a link that continues the stream,
  // with this master or another one, applies the next bytes there.
  int stream_db_ = 0;
  std::string master_run_replid_;  // the id of the last full sync's master
  std::string master_host_;
  int master_port_ = 0;
  std::unique_ptr<Link> link_;
  bool started_ = false;
};

}  // namespace ember
