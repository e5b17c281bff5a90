#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "sentinel.pb.h"
#include "sentinel/settings.h"

namespace ember::sentinel {

// A RESP2 reply from a data node.
struct Reply {
  char type = '+';  // + - : $ * ; '$' with null = true for a nil bulk
  std::string str;
  int64_t integer = 0;
  bool null = false;
  std::vector<Reply> elems;
  bool is_error() const { return type == '-'; }
};

// How the core reaches data nodes and other sentinels: Asio + gRPC in the binary (io.h), by hand
// in unit tests. Callbacks run on the core's thread; a null pointer means the link failed.
class Transport {
 public:
  using ReplyFn = std::function<void(const Reply*)>;
  virtual ~Transport() = default;
  // Sends one command to a data node, connecting (and sending AUTH `auth` when not empty) first
  // if needed. Replies come in order.
  virtual void NodeCommand(const Addr& node, const std::string& auth, std::vector<std::string> args,
                           ReplyFn fn) = 0;
  // Closes the link (a hung node); queued callbacks get null.
  virtual void NodeDrop(const Addr& node) = 0;
  virtual bool NodeConnected(const Addr& node) = 0;
  virtual void PeerExchange(const std::string& peer, const pb::Hello& hello,
                            std::function<void(const pb::Hello*)> fn) = 0;
  virtual void PeerIsMasterDown(const std::string& peer, const pb::DownRequest& req,
                                std::function<void(const pb::DownReply*)> fn) = 0;
};

enum class Role { kUnknown, kMaster, kReplica };

// A data node as one sentinel sees it (Redis's sentinelRedisInstance for masters and slaves).
struct Node {
  Addr addr;
  std::string run_id;
  int64_t created_ms = 0;
  int64_t ping_pending_since = 0;  // 0: no PING waiting for its reply
  int64_t last_ping_sent = 0;
  int64_t last_ok_ping = 0;  // last valid reply: PONG, -LOADING, -MASTERDOWN
  int64_t last_ping_reply = 0;
  bool info_pending = false;
  int64_t info_refresh = 0;  // when the last INFO reply arrived
  int64_t sdown_since = 0;   // 0: not subjectively down
  Role role = Role::kUnknown;
  int64_t role_time = 0;
  // From INFO (replicas).
  std::string master_host;
  int master_port = 0;
  bool master_link_up = false;
  int64_t master_link_down_since = 0;  // ms; 0 when up
  int priority = 100;
  int64_t repl_offset = 0;
  bool announced = true;
  // From INFO (masters): offsets to tell a rebooted, emptied master.
  int64_t master_repl_offset = 0;
  // Failover: reconfiguration of this replica towards the promoted one.
  enum class Reconf { kNone, kSent, kInProgress, kDone } reconf = Reconf::kNone;
  int64_t reconf_sent = 0;
  int64_t convert_sent = 0;  // last REPLICAOF sent to fix its configuration

  bool sdown() const { return sdown_since != 0; }
};

// Another sentinel monitoring the same master.
struct Peer {
  PeerAddress addr;
  int64_t last_hello = 0;  // last successful exchange
  int64_t created_ms = 0;
  bool says_down = false;  // its last IS-MASTER-DOWN reply for this master
  int64_t down_reply_ms = 0;
  bool down_pending = false;
  int64_t vote_asked_epoch = 0;  // the last epoch this sentinel asked it to vote in
  int64_t vote_asked_ms = 0;
  std::string leader;
  int64_t leader_epoch = 0;
};

enum class FailoverState {
  kNone,
  kWaitStart,
  kSelectReplica,
  kSendReplicaofNoOne,
  kWaitPromotion,
  kReconfReplicas,
};

struct Master {
  MonitorSettings cfg;  // name, addr, quorum, timeouts, epochs, vote
  Node node;
  std::map<std::string, Node> replicas;   // by "ip:port"
  std::map<std::string, Peer> sentinels;  // by run id
  int64_t odown_since = 0;
  bool rebooted_empty = false;  // restarted with less data than its replicas: treated as down
  // Failover.
  FailoverState state = FailoverState::kNone;
  int64_t failover_epoch = 0;
  int64_t failover_start = 0;  // also the rule that spaces attempts by 2 x failover-timeout
  int64_t failover_state_change = 0;
  int64_t failover_delay_logged = 0;
  bool forced = false;      // SENTINEL FAILOVER
  bool switchover = false;  // forced with the old master alive: pause writes, wait for offsets
  std::string promoted;     // key in replicas
  // Switchover: -1 not started, -2 old master paused and its offset asked, else that offset.
  int64_t switchover_offset = -1;

  bool in_failover() const { return state != FailoverState::kNone; }
};

// Redis Sentinel's monitoring and failover algorithm (DESIGN.md), single-threaded: the binary
// calls everything here from one Asio thread, so there are no locks. Time comes from `clock`
// (wall milliseconds, as Redis's mstime; a jump of it enters TILT).
class Sentinel {
 public:
  // `save` writes the state; it returns false when the file could not be written.
  Sentinel(const Clock* clock, Settings settings, Transport* transport,
           std::function<bool(const Settings&)> save);

  // Called every kCronMs by the binary (more often is harmless).
  void Cron();
  static constexpr int64_t kCronMs = 10;

  // Peer service (and SENTINEL IS-MASTER-DOWN-BY-ADDR).
  pb::Hello MakeHello() const;
  void OnHello(const pb::Hello& hello);
  pb::DownReply OnIsMasterDown(const pb::DownRequest& req);

  // Client API.
  Master* Find(std::string_view name);
  const std::map<std::string, std::unique_ptr<Master>>& masters() const { return masters_; }
  // The address clients should use: the promoted replica as soon as its promotion is confirmed.
  Addr CurrentAddr(const Master& m) const { return CurrentNode(m).addr; }
  const Node& CurrentNode(const Master& m) const;
  std::string Flags(const Master& m, const Node& n, bool is_master) const;
  std::string PeerFlags(const Master& m, const Peer& p) const;
  // SENTINEL FAILOVER; an error text or "".
  std::string ForceFailover(Master* m);
  // SENTINEL RESET pattern; the number of masters reset.
  int Reset(std::string_view pattern);
  // SENTINEL MONITOR / REMOVE / SET; an error text or "".
  std::string Monitor(MonitorSettings cfg);
  std::string Remove(std::string_view name);
  std::string SetOption(Master* m, std::string_view option, std::string_view value);
  // SENTINEL CKQUORUM: "" and the OK text, or the error.
  std::string CheckQuorum(const Master& m, std::string* ok_text) const;

  const std::string& myid() const { return settings_.myid; }
  int64_t current_epoch() const { return settings_.current_epoch; }
  bool tilt() const { return tilt_since_ != 0; }
  int64_t tilt_since() const { return tilt_since_; }
  const Settings& settings() const { return settings_; }
  Settings& mutable_settings() { return settings_; }
  int64_t now() const { return clock_->NowMs(); }
  bool Save();

  // Events (+sdown, +switch-master ...): logged, and published to the client API's subscribers.
  std::function<void(std::string_view channel, std::string_view payload)> on_event;

 private:
  void Event(std::string_view type, const Master& m, const Node* n, const std::string& extra);
  void EventRaw(std::string_view type, const std::string& payload, bool warning);
  std::string Describe(const Master& m, const Node& n, bool is_master) const;

  void CheckTilt();
  void PingAndInfo(Master& m, Node& n);
  void RequestInfo(Master& m, Node& n);
  // REPLICAOF `to` (NO ONE when to.port is 0) with CONFIG REWRITE and CLIENT KILL, then INFO.
  void SendReplicaof(Master& m, Node& r, const Addr& to);
  // SENTINEL FAILOVER with the old master alive: pauses its writes and says whether the chosen
  // replica has reached the offset it had then.
  bool SwitchoverCaughtUp(Master& m, Node& r);
  void OnInfo(Master& m, const Addr& addr, const std::string& info);
  Node* NodeAt(Master& m, const Addr& addr, bool* is_master = nullptr);
  // For a reply: the node at `addr` of the master named `name`, if both are still there.
  Node* Locate(const std::string& name, const Addr& addr, Master** master = nullptr);
  void CheckSubjectivelyDown(Master& m, Node& n, bool is_master);
  void CheckObjectivelyDown(Master& m);
  void AskPeers(Master& m, bool with_vote);
  void ExchangeHellos();
  void ApplyPeerConfig(const pb::Hello& hello, const pb::MasterConfig& mc);
  void AddPeer(Master& m, const PeerAddress& addr);
  void AddReplica(Master& m, const Addr& addr);
  void FixReplicaConfig(Master& m, Node& r);

  // Failover.
  void MaybeStartFailover(Master& m);
  void StartFailover(Master& m, bool forced);
  void FailoverStep(Master& m);
  std::string VoteLeader(Master& m, int64_t epoch, const std::string& run_id,
                         int64_t* leader_epoch);
  std::string GetLeader(Master& m, int64_t epoch);
  Node* SelectReplica(Master& m);
  void AbortFailover(Master& m, const char* reason);
  void ReconfReplicas(Master& m);
  void SwitchToPromoted(Master& m);
  void SwitchMaster(Master& m, const Addr& to, int64_t epoch);
  void SetState(Master& m, FailoverState s);
  int Rank(const Master& m) const;
  void SyncSettings();

  const Clock* clock_;
  Settings settings_;
  Transport* transport_;
  std::function<bool(const Settings&)> save_;
  std::map<std::string, std::unique_ptr<Master>> masters_;
  std::map<std::string, int64_t> seed_peers_;  // configured peer addresses -> last exchange try
  int64_t last_cron_ = 0;
  int64_t last_hello_round_ = 0;
  int64_t tilt_since_ = 0;
  bool dirty_ = false;  // state changed since the last Save
};

// Parses a RESP2 INFO text field ("role:master") out of `info`; "" when absent.
std::string InfoField(std::string_view info, std::string_view key);

}  // namespace ember::sentinel
