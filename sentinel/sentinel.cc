#include "sentinel/sentinel.h"

#include <algorithm>
#include <random>
#include <set>

#include "common/log.h"
#include "common/strings.h"

namespace ember::sentinel {

namespace {

constexpr int64_t kInfoPeriodMs = 1000;        // INFO to every node (Redis: 10 s)
constexpr int64_t kFailoverInfoPeriodMs = 20;  // the replica being promoted or repointed
constexpr int64_t kFastInfoPeriodMs = 100;     // ... while its master is down or failing over
constexpr int64_t kHelloPeriodMs = 1000;       // gossip with every other sentinel
constexpr int64_t kAskPeriodMs = 25;           // IS-MASTER-DOWN while the master is SDOWN
constexpr int64_t kAskValidityMs = 2000;       // a peer's "down" older than this no longer counts
constexpr int64_t kPeerAliveMs = 3000;         // a peer heard from within this ranks for failover
constexpr int64_t kStaggerMs = 100;            // failover start delay per rank (avoids split votes)
constexpr int64_t kElectionTimeoutMs = 10000;
constexpr int64_t kTiltTriggerMs = 2000;  // a cron gap (or backwards step) beyond this: TILT
constexpr int64_t kTiltPeriodMs = 30000;
constexpr int64_t kReconfTimeoutMs = 10000;  // a replica that does not follow: counted as done
constexpr int64_t kConvertWaitMs = 250;      // old master reporting master before it is demoted
constexpr int64_t kFixConfigWaitMs = 4000;   // replica of a wrong master before it is repointed

int64_t PingPeriod(const Master& m) {
  return std::clamp<int64_t>(m.cfg.down_after_ms / 10, 10, 1000);
}

std::string RandomHex40() {
  std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string s(40, '0');
  for (auto& c : s) c = kHex[rd() % 16];
  return s;
}

Node NewNode(const Addr& addr, int64_t now) {
  Node n;
  n.addr = addr;
  n.created_ms = now;
  n.last_ok_ping = now;
  n.last_ping_reply = now;
  return n;
}

}  // namespace

std::string InfoField(std::string_view info, std::string_view key) {
  size_t pos = 0;
  while (pos < info.size()) {
    size_t end = info.find('\n', pos);
    if (end == std::string_view::npos) end = info.size();
    std::string_view line = info.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      return std::string(line.substr(key.size() + 1));
    }
    pos = end + 1;
  }
  return "";
}

Sentinel::Sentinel(const Clock* clock, Settings settings, Transport* transport,
                   std::function<bool(const Settings&)> save)
    : clock_(clock), settings_(std::move(settings)), transport_(transport), save_(std::move(save)) {
  if (settings_.myid.empty()) {
    settings_.myid = RandomHex40();
    dirty_ = true;
  }
  int64_t t = now();
  for (const auto& peer : settings_.peers) seed_peers_[peer] = 0;
  for (const auto& cfg : settings_.monitors) {
    auto m = std::make_unique<Master>();
    m->cfg = cfg;
    m->node = NewNode(cfg.addr, t);
    for (const auto& r : cfg.known_replicas) m->replicas[r.str()] = NewNode(r, t);
    for (const auto& p : cfg.known_sentinels) {
      if (p.run_id == settings_.myid) continue;
      Peer peer;
      peer.addr = p;
      peer.created_ms = t;
      m->sentinels[p.run_id] = peer;
      seed_peers_.emplace(p.peer_address, 0);
    }
    masters_[cfg.name] = std::move(m);
  }
  last_cron_ = t;
}

// ---------------------------------------------------------------------------------------------
// Events and state

std::string Sentinel::Describe(const Master& m, const Node& n, bool is_master) const {
  if (is_master)
    return "master " + m.cfg.name + " " + n.addr.host + " " + std::to_string(n.addr.port);
  return "slave " + n.addr.str() + " " + n.addr.host + " " + std::to_string(n.addr.port) + " @ " +
         m.cfg.name + " " + m.node.addr.host + " " + std::to_string(m.node.addr.port);
}

void Sentinel::EventRaw(std::string_view type, const std::string& payload, bool warning) {
  if (warning) {
    EMBER_LOG(kWarning, "%.*s %s", int(type.size()), type.data(), payload.c_str());
  } else {
    EMBER_LOG(kNotice, "%.*s %s", int(type.size()), type.data(), payload.c_str());
  }
  if (on_event) on_event(type, payload);
}

void Sentinel::Event(std::string_view type, const Master& m, const Node* n,
                     const std::string& extra) {
  std::string payload = Describe(m, n ? *n : m.node, n == nullptr);
  if (!extra.empty()) payload += " " + extra;
  bool quiet = type == "+slave" || type == "+sentinel" || type == "+slave-reconf-sent" ||
               type == "+slave-reconf-inprog" || type == "+slave-reconf-done";
  bool warning = !quiet;
  EventRaw(type, payload, warning);
}

void Sentinel::SyncSettings() {
  settings_.monitors.clear();
  for (const auto& [name, m] : masters_) {
    MonitorSettings cfg = m->cfg;
    cfg.addr = m->node.addr;
    cfg.known_replicas.clear();
    for (const auto& [key, r] : m->replicas) cfg.known_replicas.push_back(r.addr);
    cfg.known_sentinels.clear();
    for (const auto& [id, p] : m->sentinels) cfg.known_sentinels.push_back(p.addr);
    settings_.monitors.push_back(std::move(cfg));
  }
}

bool Sentinel::Save() {
  SyncSettings();
  bool ok = save_ ? save_(settings_) : true;
  if (ok) {
    dirty_ = false;
  } else {
    EMBER_LOG(kWarning, "Could not save the sentinel state to its configuration file");
  }
  return ok;
}

Master* Sentinel::Find(std::string_view name) {
  auto it = masters_.find(std::string(name));
  return it == masters_.end() ? nullptr : it->second.get();
}

const Node& Sentinel::CurrentNode(const Master& m) const {
  if (m.state == FailoverState::kReconfReplicas) {
    auto it = m.replicas.find(m.promoted);
    if (it != m.replicas.end()) return it->second;
  }
  return m.node;
}

std::string Sentinel::Flags(const Master& m, const Node& n, bool is_master) const {
  std::string f;
  if (is_master && &n != &m.node) {
    // The promoted replica, confirmed, while the others are still being repointed: clients are
    // told about the new master as it is (node-redis refuses one flagged failover_in_progress).
    return transport_->NodeConnected(n.addr) ? "master" : "master,disconnected";
  }
  if (n.sdown()) f += "s_down,";
  if (is_master && m.odown_since != 0) f += "o_down,";
  f += is_master ? "master," : "slave,";
  if (!transport_->NodeConnected(n.addr)) f += "disconnected,";
  if (is_master && m.in_failover()) f += "failover_in_progress,";
  if (!is_master && m.in_failover() && m.promoted == n.addr.str()) f += "promoted,";
  if (!is_master) {
    if (n.reconf == Node::Reconf::kSent) f += "reconf_sent,";
    if (n.reconf == Node::Reconf::kInProgress) f += "reconf_inprog,";
    if (n.reconf == Node::Reconf::kDone) f += "reconf_done,";
  }
  if (is_master && m.forced) f += "force_failover,";
  f.pop_back();
  return f;
}

std::string Sentinel::PeerFlags(const Master& m, const Peer& p) const {
  std::string f;
  if (now() - p.last_hello > m.cfg.down_after_ms && now() - p.created_ms > m.cfg.down_after_ms) {
    f += "s_down,";
  }
  f += "sentinel,";
  if (p.last_hello == 0 || now() - p.last_hello > kPeerAliveMs) f += "disconnected,";
  if (p.says_down && now() - p.down_reply_ms < kAskValidityMs) f += "master_down,";
  f.pop_back();
  return f;
}

// ---------------------------------------------------------------------------------------------
// The periodic work

void Sentinel::CheckTilt() {
  int64_t t = now();
  int64_t delta = t - last_cron_;
  last_cron_ = t;
  if (delta < 0 || delta > kTiltTriggerMs) {
    if (tilt_since_ == 0) EventRaw("+tilt", "#tilt mode entered", true);
    tilt_since_ = t;
    return;
  }
  if (tilt_since_ != 0 && t - tilt_since_ > kTiltPeriodMs) {
    tilt_since_ = 0;
    EventRaw("-tilt", "#tilt mode exited", true);
  }
}

void Sentinel::Cron() {
  CheckTilt();
  for (auto& [name, mp] : masters_) {
    Master& m = *mp;
    PingAndInfo(m, m.node);
    for (auto& [key, r] : m.replicas) PingAndInfo(m, r);
    CheckSubjectivelyDown(m, m.node, true);
    for (auto& [key, r] : m.replicas) CheckSubjectivelyDown(m, r, false);
    if (tilt()) continue;
    if (m.node.sdown()) AskPeers(m, false);
    if (m.state == FailoverState::kWaitStart) AskPeers(m, true);
    CheckObjectivelyDown(m);
    MaybeStartFailover(m);
    FailoverStep(m);
  }
  if (now() - last_hello_round_ >= kHelloPeriodMs) ExchangeHellos();
  if (dirty_) Save();
}

void Sentinel::PingAndInfo(Master& m, Node& n) {
  int64_t t = now();
  const std::string name = m.cfg.name;
  const Addr addr = n.addr;
  // A node that does not answer a PING for half of down-after is reconnected (a hung socket).
  if (n.ping_pending_since != 0 && t - n.ping_pending_since > m.cfg.down_after_ms / 2) {
    transport_->NodeDrop(addr);
    n.ping_pending_since = 0;
  }
  if (n.ping_pending_since == 0 && t - n.last_ping_sent >= PingPeriod(m)) {
    n.ping_pending_since = t;
    n.last_ping_sent = t;
    transport_->NodeCommand(addr, m.cfg.auth_pass, {"PING"}, [this, name, addr](const Reply* r) {
      Node* n = Locate(name, addr);
      if (n == nullptr) return;
      n->ping_pending_since = 0;
      if (r == nullptr) return;
      int64_t t = now();
      n->last_ping_reply = t;
      bool valid = r->type == '+' || (r->is_error() && (r->str.rfind("LOADING", 0) == 0 ||
                                                        r->str.rfind("MASTERDOWN", 0) == 0));
      if (!valid) return;
      bool was_down = n->sdown();
      n->last_ok_ping = t;
      // Back from the dead: learn its role now rather than at the next INFO period.
      if (was_down) n->info_refresh = 0;
    });
  }
  bool fast = m.node.sdown() || m.in_failover() || n.sdown() || n.info_refresh == 0;
  int64_t period = fast ? kFastInfoPeriodMs : kInfoPeriodMs;
  // A replica being reconfigured: the failover ends as soon as its link is up.
  bool reconf = n.reconf == Node::Reconf::kSent || n.reconf == Node::Reconf::kInProgress;
  if (reconf || (m.in_failover() && m.promoted == n.addr.str())) period = kFailoverInfoPeriodMs;
  if (!n.info_pending && t - n.info_refresh >= period) RequestInfo(m, n);
}

void Sentinel::RequestInfo(Master& m, Node& n) {
  const std::string name = m.cfg.name;
  const Addr addr = n.addr;
  n.info_pending = true;
  transport_->NodeCommand(addr, m.cfg.auth_pass, {"INFO"}, [this, name, addr](const Reply* r) {
    Master* m = nullptr;
    Node* n = Locate(name, addr, &m);
    if (n == nullptr) return;
    n->info_pending = false;
    if (r == nullptr || r->type != '$' || r->null) return;
    OnInfo(*m, addr, r->str);
  });
}

bool Sentinel::SwitchoverCaughtUp(Master& m, Node& r) {
  if (m.switchover_offset == -1) {
    // Hold the old master's writes, then learn the offset the replica must reach.
    m.switchover_offset = -2;
    const std::string name = m.cfg.name;
    auto& auth = m.cfg.auth_pass;
    transport_->NodeCommand(m.node.addr, auth,
                            {"CLIENT", "PAUSE", std::to_string(m.cfg.failover_timeout_ms), "WRITE"},
                            [](const Reply*) {});
    transport_->NodeCommand(
        m.node.addr, auth, {"INFO", "replication"}, [this, name](const Reply* r) {
          Master* m = Find(name);
          if (m == nullptr || !m->switchover || m->switchover_offset != -2) return;
          if (r == nullptr || r->type != '$') {
            AbortFailover(*m, "-failover-abort-master-unreachable");
            return;
          }
          m->switchover_offset = ParseInt64(InfoField(r->str, "master_repl_offset")).value_or(0);
          FailoverStep(*m);
        });
    return false;
  }
  if (m.switchover_offset < 0) return false;
  if (r.repl_offset >= m.switchover_offset) return true;
  if (!r.info_pending) RequestInfo(m, r);
  return false;
}

void Sentinel::SendReplicaof(Master& m, Node& r, const Addr& to) {
  // As Redis: the role change, its config file and the clients that must reconnect, atomically;
  // then INFO in the same write, so the change is seen without waiting for a period.
  // Never point a node at itself, under its own address or another name of it (same run id).
  if (to.port != 0) {
    const Node* target = NodeAt(m, to);
    if (to == r.addr ||
        (target != nullptr && !target->run_id.empty() && target->run_id == r.run_id)) {
      EMBER_LOG(kWarning, "Not sending REPLICAOF %s to %s: the same node", to.str().c_str(),
                r.addr.str().c_str());
      return;
    }
  }
  const auto& auth = m.cfg.auth_pass;
  std::vector<std::string> replicaof = {"REPLICAOF", "NO", "ONE"};
  if (to.port != 0) replicaof = {"REPLICAOF", to.host, std::to_string(to.port)};
  transport_->NodeCommand(r.addr, auth, {"MULTI"}, [](const Reply*) {});
  transport_->NodeCommand(r.addr, auth, replicaof, [](const Reply*) {});
  transport_->NodeCommand(r.addr, auth, {"CONFIG", "REWRITE"}, [](const Reply*) {});
  transport_->NodeCommand(r.addr, auth, {"CLIENT", "KILL", "TYPE", "normal"}, [](const Reply*) {});
  transport_->NodeCommand(r.addr, auth, {"EXEC"}, [](const Reply*) {});
  RequestInfo(m, r);
}

Node* Sentinel::Locate(const std::string& name, const Addr& addr, Master** master) {
  Master* m = Find(name);
  if (master) *master = m;
  return m == nullptr ? nullptr : NodeAt(*m, addr);
}

Node* Sentinel::NodeAt(Master& m, const Addr& addr, bool* is_master) {
  // By address, not by the role it had when a command was sent: a reply may arrive after a
  // switch made a replica the master (or the master a replica).
  bool master = m.node.addr == addr;
  if (is_master) *is_master = master;
  if (master) return &m.node;
  auto it = m.replicas.find(addr.str());
  return it == m.replicas.end() ? nullptr : &it->second;
}

void Sentinel::AddReplica(Master& m, const Addr& addr) {
  if (addr == m.node.addr || m.replicas.count(addr.str())) return;
  m.replicas[addr.str()] = NewNode(addr, now());
  Event("+slave", m, &m.replicas[addr.str()], "");
  dirty_ = true;
}

void Sentinel::OnInfo(Master& m, const Addr& addr, const std::string& info) {
  bool is_master = false;
  Node* n = NodeAt(m, addr, &is_master);
  if (n == nullptr) return;
  int64_t t = now();
  n->info_refresh = t;
  std::string run_id = InfoField(info, "run_id");
  bool rebooted = !n->run_id.empty() && !run_id.empty() && run_id != n->run_id;
  if (!run_id.empty()) n->run_id = run_id;
  // One node under two names (a host name and its IP): keep it once, as the master.
  if (!is_master && !run_id.empty() && run_id == m.node.run_id && !m.in_failover()) {
    EMBER_LOG(kWarning, "%s is the master %s under another name: forgotten as a replica",
              addr.str().c_str(), m.node.addr.str().c_str());
    m.replicas.erase(addr.str());
    dirty_ = true;
    return;
  }

  std::string role = InfoField(info, "role");
  Role r = role == "master" ? Role::kMaster : role == "slave" ? Role::kReplica : Role::kUnknown;
  if (r != n->role) {
    n->role = r;
    n->role_time = t;
  }
  if (r == Role::kMaster) {
    n->master_repl_offset = ParseInt64(InfoField(info, "master_repl_offset")).value_or(0);
    // Replicas listed by the master: "slave0:ip=...,port=...,state=...,offset=...,lag=...".
    if (is_master) {
      for (int i = 0;; ++i) {
        std::string line = InfoField(info, "slave" + std::to_string(i));
        if (line.empty()) break;
        Addr ra;
        for (size_t pos = 0; pos < line.size();) {
          size_t comma = line.find(',', pos);
          if (comma == std::string::npos) comma = line.size();
          std::string kv = line.substr(pos, comma - pos);
          size_t eq = kv.find('=');
          if (eq != std::string::npos) {
            if (kv.substr(0, eq) == "ip") ra.host = kv.substr(eq + 1);
            if (kv.substr(0, eq) == "port")
              ra.port = int(ParseInt64(kv.substr(eq + 1)).value_or(0));
          }
          pos = comma + 1;
        }
        if (!ra.host.empty() && ra.port > 0) AddReplica(m, ra);
      }
    }
  } else if (r == Role::kReplica) {
    n->master_host = InfoField(info, "master_host");
    n->master_port = int(ParseInt64(InfoField(info, "master_port")).value_or(0));
    bool up = InfoField(info, "master_link_status") == "up";
    if (up) {
      n->master_link_down_since = 0;
    } else {
      auto secs = ParseInt64(InfoField(info, "master_link_down_since_seconds"));
      n->master_link_down_since = secs && *secs >= 0 ? t - *secs * 1000 : t;
    }
    n->master_link_up = up;
    n->repl_offset = ParseInt64(InfoField(info, "slave_repl_offset")).value_or(0);
    std::string prio = InfoField(info, "slave_priority");
    if (prio.empty()) prio = InfoField(info, "replica_priority");
    n->priority = int(ParseInt64(prio).value_or(100));
    n->announced = InfoField(info, "replica_announced") != "0";
  }

  if (is_master && rebooted) {
    Event("+reboot", m, nullptr, "");
    // A master without persistence that came back empty must not become the source of truth:
    // its replicas hold data it lost. Treat it as down, so the failover keeps the data.
    int64_t best = 0;
    for (const auto& [key, rep] : m.replicas) best = std::max(best, rep.repl_offset);
    if (r == Role::kMaster && n->master_repl_offset < best) {
      m.rebooted_empty = true;
      EMBER_LOG(kWarning,
                "Master %s rebooted with offset %lld behind its replicas (%lld): treated as down",
                m.cfg.name.c_str(), (long long)n->master_repl_offset, (long long)best);
    }
  }
  if (is_master && m.rebooted_empty && r == Role::kMaster) {
    int64_t best = 0;
    for (const auto& [key, rep] : m.replicas) best = std::max(best, rep.repl_offset);
    if (n->master_repl_offset >= best) m.rebooted_empty = false;
  }
  if (is_master || tilt()) {
    if (m.in_failover()) FailoverStep(m);
    return;
  }

  // Replica-side bookkeeping.
  if (m.in_failover()) {
    Addr to = m.replicas.count(m.promoted) ? m.replicas[m.promoted].addr : Addr{};
    if (n->reconf == Node::Reconf::kSent && n->role == Role::kReplica &&
        n->master_host == to.host && n->master_port == to.port) {
      n->reconf = Node::Reconf::kInProgress;
      Event("+slave-reconf-inprog", m, n, "");
    }
    if (n->reconf == Node::Reconf::kInProgress && n->master_link_up) {
      n->reconf = Node::Reconf::kDone;
      Event("+slave-reconf-done", m, n, "");
    }
    FailoverStep(m);
    return;
  }
  // The old master, back after a failover, still believes it is a master: demote it.
  if (n->role == Role::kMaster && !m.node.sdown() && t - n->role_time >= kConvertWaitMs &&
      t - n->convert_sent > 1000) {
    n->convert_sent = t;
    Event("+convert-to-slave", m, n, "");
    SendReplicaof(m, *n, m.node.addr);
    return;
  }
  FixReplicaConfig(m, *n);
}

void Sentinel::FixReplicaConfig(Master& m, Node& r) {
  int64_t t = now();
  if (r.role != Role::kReplica) return;
  if (r.master_host == m.node.addr.host && r.master_port == m.node.addr.port) {
    r.role_time = std::min(r.role_time, t);
    return;
  }
  // Pointing elsewhere for a while (long enough for another sentinel's newer configuration to
  // reach us by gossip): repoint it to the master we know.
  if (m.node.sdown() || t - r.role_time < kFixConfigWaitMs ||
      t - r.convert_sent < kFixConfigWaitMs) {
    return;
  }
  r.convert_sent = t;
  Event("+fix-slave-config", m, &r, "");
  SendReplicaof(m, r, m.node.addr);
}

void Sentinel::CheckSubjectivelyDown(Master& m, Node& n, bool is_master) {
  int64_t t = now();
  bool down = t - n.last_ok_ping > m.cfg.down_after_ms;
  if (is_master) {
    // A master that says it is a replica (for longer than a reconfiguration takes) is down too.
    down = down ||
           (n.role == Role::kReplica && t - n.role_time > m.cfg.down_after_ms + 2 * kInfoPeriodMs);
    down = down || m.rebooted_empty;
  }
  if (down && !n.sdown()) {
    n.sdown_since = t;
    Event("+sdown", m, is_master ? nullptr : &n, "");
    if (is_master) AskPeers(m, false);
  } else if (!down && n.sdown()) {
    n.sdown_since = 0;
    Event("-sdown", m, is_master ? nullptr : &n, "");
  }
}

void Sentinel::CheckObjectivelyDown(Master& m) {
  int64_t t = now();
  int votes = 0;
  if (m.node.sdown()) {
    votes = 1;
    for (const auto& [id, p] : m.sentinels) {
      if (p.says_down && t - p.down_reply_ms < kAskValidityMs) ++votes;
    }
  }
  bool odown = m.node.sdown() && votes >= m.cfg.quorum;
  if (odown && m.odown_since == 0) {
    m.odown_since = t;
    Event("+odown", m, nullptr,
          "#quorum " + std::to_string(votes) + "/" + std::to_string(m.cfg.quorum));
  } else if (!odown && m.odown_since != 0) {
    m.odown_since = 0;
    Event("-odown", m, nullptr, "");
  }
}

void Sentinel::AskPeers(Master& m, bool with_vote) {
  int64_t t = now();
  const std::string name = m.cfg.name;
  for (auto& [id, p] : m.sentinels) {
    if (with_vote) {
      // One vote request per peer and epoch (a lost one is asked again after a while).
      if (p.vote_asked_epoch == m.failover_epoch && t - p.vote_asked_ms < 500) continue;
      if (p.leader_epoch >= m.failover_epoch && !p.leader.empty()) continue;
      p.vote_asked_epoch = m.failover_epoch;
      p.vote_asked_ms = t;
    } else {
      if (p.down_pending || t - p.down_reply_ms < kAskPeriodMs) continue;
      p.down_pending = true;
    }
    pb::DownRequest req;
    req.set_ip(m.node.addr.host);
    req.set_port(m.node.addr.port);
    req.set_current_epoch(settings_.current_epoch);
    req.set_run_id(with_vote ? settings_.myid : "*");
    std::string peer_id = id;
    transport_->PeerIsMasterDown(p.addr.peer_address, req,
                                 [this, name, peer_id, with_vote](const pb::DownReply* r) {
                                   Master* m = Find(name);
                                   if (m == nullptr) return;
                                   auto it = m->sentinels.find(peer_id);
                                   if (it == m->sentinels.end()) return;
                                   Peer& p = it->second;
                                   if (!with_vote) p.down_pending = false;
                                   if (r == nullptr) return;
                                   p.says_down = r->down();
                                   p.down_reply_ms = now();
                                   if (r->leader() != "*" && !r->leader().empty()) {
                                     p.leader = r->leader();
                                     p.leader_epoch = r->leader_epoch();
                                   }
                                   if (tilt()) return;
                                   CheckObjectivelyDown(*m);
                                   MaybeStartFailover(*m);
                                   FailoverStep(*m);
                                 });
  }
}

// ---------------------------------------------------------------------------------------------
// Gossip between sentinels

pb::Hello Sentinel::MakeHello() const {
  pb::Hello h;
  auto* from = h.mutable_from();
  from->set_run_id(settings_.myid);
  std::string ip = settings_.announce_ip;
  if (ip.empty()) ip = settings_.bind.front() == "0.0.0.0" ? "127.0.0.1" : settings_.bind.front();
  from->set_ip(ip);
  from->set_port(settings_.announce_port != 0 ? settings_.announce_port : settings_.port);
  from->set_peer_address(ip + ":" + std::to_string(settings_.effective_peer_port()));
  h.set_current_epoch(settings_.current_epoch);
  std::set<std::string> seen;
  for (const auto& [name, m] : masters_) {
    auto* mc = h.add_masters();
    mc->set_name(name);
    Addr a = CurrentAddr(*m);
    mc->set_ip(a.host);
    mc->set_port(a.port);
    mc->set_config_epoch(m->cfg.config_epoch);
    for (const auto& [key, r] : m->replicas) {
      if (r.addr == a) continue;
      auto* ra = mc->add_replicas();
      ra->set_ip(r.addr.host);
      ra->set_port(r.addr.port);
    }
    for (const auto& [id, p] : m->sentinels) {
      if (!seen.insert(id).second) continue;
      auto* k = h.add_known();
      k->set_run_id(id);
      k->set_ip(p.addr.ip);
      k->set_port(p.addr.port);
      k->set_peer_address(p.addr.peer_address);
    }
  }
  return h;
}

void Sentinel::ExchangeHellos() {
  last_hello_round_ = now();
  std::set<std::string> targets;
  for (const auto& [addr, last] : seed_peers_) targets.insert(addr);
  for (const auto& [name, m] : masters_) {
    for (const auto& [id, p] : m->sentinels) targets.insert(p.addr.peer_address);
  }
  pb::Hello hello = MakeHello();
  targets.erase(hello.from().peer_address());
  for (const auto& target : targets) {
    auto it = seed_peers_.emplace(target, 0).first;
    // Skip a peer whose previous exchange is still out (an unreachable one times out first).
    if (it->second < 0) continue;
    it->second = -1;
    transport_->PeerExchange(target, hello, [this, target](const pb::Hello* reply) {
      auto it = seed_peers_.find(target);
      if (it != seed_peers_.end()) it->second = now();
      if (reply != nullptr) OnHello(*reply);
    });
  }
}

void Sentinel::AddPeer(Master& m, const PeerAddress& addr) {
  int64_t t = now();
  // A sentinel restarted without its file comes back with a new id at the same address.
  for (auto it = m.sentinels.begin(); it != m.sentinels.end();) {
    if (it->first != addr.run_id && it->second.addr.peer_address == addr.peer_address) {
      EventRaw("-dup-sentinel", "master " + m.cfg.name + " #duplicate of " + addr.peer_address,
               false);
      it = m.sentinels.erase(it);
      dirty_ = true;
    } else {
      ++it;
    }
  }
  auto [it, fresh] = m.sentinels.try_emplace(addr.run_id);
  Peer& p = it->second;
  if (fresh) p.created_ms = t;
  if (fresh || p.addr.peer_address != addr.peer_address || p.addr.ip != addr.ip ||
      p.addr.port != addr.port) {
    dirty_ = true;
  }
  p.addr = addr;
  p.last_hello = t;
  if (fresh) {
    EventRaw("+sentinel",
             "sentinel " + addr.run_id + " " + addr.ip + " " + std::to_string(addr.port) + " @ " +
                 m.cfg.name + " " + m.node.addr.host + " " + std::to_string(m.node.addr.port),
             false);
  }
}

void Sentinel::OnHello(const pb::Hello& h) {
  if (h.from().run_id() == settings_.myid || h.from().run_id().size() != 40) return;
  if (h.current_epoch() > settings_.current_epoch) {
    settings_.current_epoch = h.current_epoch();
    EventRaw("+new-epoch", std::to_string(settings_.current_epoch), true);
    dirty_ = true;
  }
  PeerAddress from{h.from().run_id(), h.from().ip(), h.from().port(), h.from().peer_address()};
  for (const auto& mc : h.masters()) {
    Master* m = Find(mc.name());
    if (m == nullptr) continue;
    AddPeer(*m, from);
    ApplyPeerConfig(h, mc);
  }
  for (const auto& k : h.known()) {
    if (k.run_id() == settings_.myid || k.peer_address().empty()) continue;
    seed_peers_.emplace(k.peer_address(), 0);
  }
}

void Sentinel::ApplyPeerConfig(const pb::Hello& h, const pb::MasterConfig& mc) {
  Master* m = Find(mc.name());
  Addr to{mc.ip(), mc.port()};
  if (mc.config_epoch() > m->cfg.config_epoch && !tilt()) {
    if (to == m->node.addr) {
      m->cfg.config_epoch = mc.config_epoch();
      dirty_ = true;
    } else {
      EventRaw("+config-update-from",
               "sentinel " + h.from().run_id() + " " + h.from().ip() + " " +
                   std::to_string(h.from().port()) + " @ " + m->cfg.name + " " + m->node.addr.host +
                   " " + std::to_string(m->node.addr.port),
               true);
      SwitchMaster(*m, to, mc.config_epoch());
    }
  }
  if (mc.config_epoch() == m->cfg.config_epoch && to == m->node.addr) {
    for (const auto& r : mc.replicas()) AddReplica(*m, Addr{r.ip(), r.port()});
  }
}

pb::DownReply Sentinel::OnIsMasterDown(const pb::DownRequest& req) {
  pb::DownReply reply;
  reply.set_leader("*");
  Master* found = nullptr;
  for (auto& [name, m] : masters_) {
    if (m->node.addr.host == req.ip() && m->node.addr.port == req.port()) found = m.get();
  }
  if (found == nullptr) return reply;
  reply.set_down(!tilt() && found->node.sdown());
  if (req.run_id() != "*" && !tilt()) {
    int64_t epoch = 0;
    reply.set_leader(VoteLeader(*found, req.current_epoch(), req.run_id(), &epoch));
    reply.set_leader_epoch(epoch);
  }
  return reply;
}

// ---------------------------------------------------------------------------------------------
// Failover

std::string Sentinel::VoteLeader(Master& m, int64_t epoch, const std::string& run_id,
                                 int64_t* leader_epoch) {
  if (epoch > settings_.current_epoch) {
    settings_.current_epoch = epoch;
    EventRaw("+new-epoch", std::to_string(epoch), true);
    dirty_ = true;
  }
  if (m.cfg.leader_epoch < epoch && settings_.current_epoch <= epoch) {
    std::string before = m.cfg.leader;
    int64_t before_epoch = m.cfg.leader_epoch;
    m.cfg.leader = run_id;
    m.cfg.leader_epoch = settings_.current_epoch;
    // One vote per epoch, durable before it is given: a restarted sentinel must not vote twice.
    if (!Save()) {
      m.cfg.leader = before;
      m.cfg.leader_epoch = before_epoch;
      *leader_epoch = before_epoch;
      return before.empty() ? "*" : before;
    }
    EventRaw("+vote-for-leader", run_id + " " + std::to_string(m.cfg.leader_epoch), true);
    // Voting for another: give it the time to finish before trying ourselves.
    if (run_id != settings_.myid) m.failover_start = now() + int64_t(std::random_device()() % 1000);
  }
  *leader_epoch = m.cfg.leader_epoch;
  return m.cfg.leader.empty() ? "*" : m.cfg.leader;
}

std::string Sentinel::GetLeader(Master& m, int64_t epoch) {
  std::map<std::string, int> votes;
  for (const auto& [id, p] : m.sentinels) {
    if (p.leader_epoch == epoch && !p.leader.empty()) ++votes[p.leader];
  }
  auto winner = [&]() {
    std::string best;
    int most = 0;
    for (const auto& [id, n] : votes) {
      if (n > most || (n == most && id > best)) {
        best = id;
        most = n;
      }
    }
    return std::make_pair(best, most);
  };
  auto [so_far, n] = winner();
  int64_t my_epoch = 0;
  std::string mine = VoteLeader(m, epoch, so_far.empty() ? settings_.myid : so_far, &my_epoch);
  if (my_epoch == epoch && mine != "*") ++votes[mine];
  auto [best, most] = winner();
  size_t voters = m.sentinels.size() + 1;
  if (most < int(voters / 2 + 1) || most < m.cfg.quorum) return "";
  return best;
}

int Sentinel::Rank(const Master& m) const {
  int rank = 0;
  for (const auto& [id, p] : m.sentinels) {
    if (id < settings_.myid && p.last_hello != 0 && now() - p.last_hello < kPeerAliveMs) ++rank;
  }
  return rank;
}

void Sentinel::SetState(Master& m, FailoverState s) {
  m.state = s;
  m.failover_state_change = now();
}

void Sentinel::MaybeStartFailover(Master& m) {
  if (m.in_failover() || m.odown_since == 0 || tilt()) return;
  int64_t t = now();
  if (t - m.failover_start < 2 * m.cfg.failover_timeout_ms) {
    if (m.failover_delay_logged != m.failover_start) {
      m.failover_delay_logged = m.failover_start;
      EMBER_LOG(kWarning,
                "Next failover delay: I will not start a failover before %lld ms from now",
                (long long)(m.failover_start + 2 * m.cfg.failover_timeout_ms - t));
    }
    return;
  }
  // The sentinel with the lowest id starts first; the others only if it did not ask for votes.
  if (t - m.odown_since < Rank(m) * kStaggerMs) return;
  StartFailover(m, /*forced=*/false);
}

void Sentinel::StartFailover(Master& m, bool forced) {
  settings_.current_epoch++;
  m.failover_epoch = settings_.current_epoch;
  dirty_ = true;
  EventRaw("+new-epoch", std::to_string(m.failover_epoch), true);
  m.forced = forced;
  // Forced with the old master alive: a switchover that loses nothing (SwitchoverCaughtUp).
  m.switchover = forced && !m.node.sdown() && transport_->NodeConnected(m.node.addr);
  m.switchover_offset = -1;
  Event("+try-failover", m, nullptr, "");
  SetState(m, FailoverState::kWaitStart);
  m.failover_start = now();
  m.promoted.clear();
  for (auto& [key, r] : m.replicas) r.reconf = Node::Reconf::kNone;
  if (!forced) {
    int64_t epoch = 0;
    VoteLeader(m, m.failover_epoch, settings_.myid, &epoch);
    AskPeers(m, true);
  }
  FailoverStep(m);
}

std::string Sentinel::ForceFailover(Master* m) {
  if (m->in_failover()) return "-INPROG Failover already in progress";
  if (SelectReplica(*m) == nullptr) return "-NOGOODSLAVE No suitable replica to promote";
  StartFailover(*m, /*forced=*/true);
  return "";
}

Node* Sentinel::SelectReplica(Master& m) {
  int64_t t = now();
  int64_t max_down = (m.node.sdown() ? t - m.node.sdown_since : 0) + m.cfg.down_after_ms * 10;
  std::vector<Node*> ok;
  for (auto& [key, r] : m.replicas) {
    if (r.sdown() || !transport_->NodeConnected(r.addr)) continue;
    if (t - r.last_ok_ping > 5 * PingPeriod(m)) continue;
    if (r.priority == 0 || r.role != Role::kReplica) continue;
    if (t - r.info_refresh > 3 * kInfoPeriodMs) continue;
    if (r.master_link_down_since != 0 && t - r.master_link_down_since > max_down) continue;
    ok.push_back(&r);
  }
  if (ok.empty()) return nullptr;
  std::sort(ok.begin(), ok.end(), [](const Node* a, const Node* b) {
    if (a->priority != b->priority) return a->priority < b->priority;
    if (a->repl_offset != b->repl_offset) return a->repl_offset > b->repl_offset;
    if (a->run_id.empty() != b->run_id.empty()) return b->run_id.empty();
    return a->run_id < b->run_id;
  });
  return ok.front();
}

void Sentinel::AbortFailover(Master& m, const char* reason) {
  Event(reason, m, nullptr, "");
  if (m.switchover && m.switchover_offset != -1) {
    transport_->NodeCommand(m.node.addr, m.cfg.auth_pass, {"CLIENT", "UNPAUSE"},
                            [](const Reply*) {});
  }
  m.switchover = false;
  if (m.state == FailoverState::kWaitPromotion || m.state == FailoverState::kSendReplicaofNoOne) {
    auto it = m.replicas.find(m.promoted);
    if (it != m.replicas.end() && m.state == FailoverState::kWaitPromotion) {
      // It may have become a master after all: put it back under the master we keep.
      SendReplicaof(m, it->second, m.node.addr);
    }
  }
  SetState(m, FailoverState::kNone);
  m.forced = false;
  m.promoted.clear();
  for (auto& [key, r] : m.replicas) r.reconf = Node::Reconf::kNone;
}

void Sentinel::FailoverStep(Master& m) {
  int64_t t = now();
  switch (m.state) {
    case FailoverState::kNone:
      return;
    case FailoverState::kWaitStart: {
      if (!m.forced) {
        std::string leader = GetLeader(m, m.failover_epoch);
        if (leader != settings_.myid) {
          if (t - m.failover_start > std::min(kElectionTimeoutMs, m.cfg.failover_timeout_ms)) {
            AbortFailover(m, "-failover-abort-not-elected");
          }
          return;
        }
      }
      Event("+elected-leader", m, nullptr, "");
      Event("+failover-state-select-slave", m, nullptr, "");
      SetState(m, FailoverState::kSelectReplica);
      [[fallthrough]];
    }
    case FailoverState::kSelectReplica: {
      Node* r = SelectReplica(m);
      if (r == nullptr) {
        AbortFailover(m, "-failover-abort-no-good-slave");
        return;
      }
      m.promoted = r->addr.str();
      Event("+selected-slave", m, r, "");
      Event("+failover-state-send-slaveof-noone", m, r, "");
      SetState(m, FailoverState::kSendReplicaofNoOne);
      [[fallthrough]];
    }
    case FailoverState::kSendReplicaofNoOne: {
      auto it = m.replicas.find(m.promoted);
      if (it == m.replicas.end()) {
        AbortFailover(m, "-failover-abort-slave-timeout");
        return;
      }
      Node& r = it->second;
      if (t - m.failover_state_change > m.cfg.failover_timeout_ms) {
        AbortFailover(m, "-failover-abort-slave-timeout");
        return;
      }
      if (!transport_->NodeConnected(r.addr)) return;
      if (m.switchover && !SwitchoverCaughtUp(m, r)) return;
      SendReplicaof(m, r, Addr{});
      Event("+failover-state-wait-promotion", m, &r, "");
      SetState(m, FailoverState::kWaitPromotion);
      return;
    }
    case FailoverState::kWaitPromotion: {
      auto it = m.replicas.find(m.promoted);
      if (it != m.replicas.end() && it->second.role == Role::kMaster &&
          it->second.info_refresh > m.failover_state_change) {
        m.cfg.config_epoch = m.failover_epoch;
        Event("+promoted-slave", m, &it->second, "");
        if (m.switchover) {
          // The old master follows the new one before its held writes run: they get -READONLY
          // (and are retried by the client against the new master), never lost.
          SendReplicaof(m, m.node, it->second.addr);
          transport_->NodeCommand(m.node.addr, m.cfg.auth_pass, {"CLIENT", "UNPAUSE"},
                                  [](const Reply*) {});
        }
        Event("+failover-state-reconf-slaves", m, nullptr, "");
        SetState(m, FailoverState::kReconfReplicas);
        Save();
        // Tell the other sentinels now: they switch as soon as they hear the new epoch.
        ExchangeHellos();
        ReconfReplicas(m);
        return;
      }
      if (t - m.failover_state_change > m.cfg.failover_timeout_ms) {
        AbortFailover(m, "-failover-abort-slave-timeout");
      }
      return;
    }
    case FailoverState::kReconfReplicas:
      ReconfReplicas(m);
      return;
  }
}

void Sentinel::ReconfReplicas(Master& m) {
  int64_t t = now();
  auto pit = m.replicas.find(m.promoted);
  if (pit == m.replicas.end()) {
    AbortFailover(m, "-failover-abort-slave-timeout");
    return;
  }
  Addr to = pit->second.addr;
  int in_progress = 0;
  for (auto& [key, r] : m.replicas) {
    if (key == m.promoted) continue;
    if (r.reconf == Node::Reconf::kSent || r.reconf == Node::Reconf::kInProgress) {
      if (t - r.reconf_sent > kReconfTimeoutMs) {
        r.reconf = Node::Reconf::kDone;
        Event("-slave-reconf-sent-timeout", m, &r, "");
      } else {
        ++in_progress;
      }
    }
  }
  for (auto& [key, r] : m.replicas) {
    if (in_progress >= m.cfg.parallel_syncs) break;
    if (key == m.promoted || r.reconf != Node::Reconf::kNone) continue;
    if (r.sdown() || !transport_->NodeConnected(r.addr)) continue;
    r.reconf = Node::Reconf::kSent;
    r.reconf_sent = t;
    ++in_progress;
    SendReplicaof(m, r, to);
    Event("+slave-reconf-sent", m, &r, "");
  }
  // Done when every reachable replica follows the promoted one (unreachable ones are fixed when
  // they come back), or at failover-timeout.
  bool done = true;
  for (auto& [key, r] : m.replicas) {
    if (key == m.promoted || r.reconf == Node::Reconf::kDone) continue;
    if (r.reconf == Node::Reconf::kNone && (r.sdown() || !transport_->NodeConnected(r.addr)))
      continue;
    done = false;
  }
  bool timeout = t - m.failover_state_change > m.cfg.failover_timeout_ms;
  if (!done && !timeout) return;
  if (timeout) {
    Event("+failover-end-for-timeout", m, nullptr, "");
    for (auto& [key, r] : m.replicas) {
      if (key == m.promoted || r.reconf == Node::Reconf::kDone) continue;
      SendReplicaof(m, r, to);
    }
  }
  Event("+failover-end", m, nullptr, "");
  SwitchMaster(m, to, m.cfg.config_epoch);
}

void Sentinel::SwitchMaster(Master& m, const Addr& to, int64_t epoch) {
  Addr old = m.node.addr;
  Node new_master = m.replicas.count(to.str()) ? m.replicas[to.str()] : NewNode(to, now());
  std::map<std::string, Node> replicas;
  for (auto& [key, r] : m.replicas) {
    if (r.addr == to) continue;
    r.reconf = Node::Reconf::kNone;
    replicas[key] = r;
  }
  if (!(old == to)) {
    Node old_node = m.node;
    old_node.master_repl_offset = 0;
    old_node.role_time = now();
    old_node.reconf = Node::Reconf::kNone;
    replicas[old.str()] = old_node;
  }
  new_master.reconf = Node::Reconf::kNone;
  new_master.sdown_since = 0;
  // Its role as last reported is from before the switch: give its INFO time to tell the new one
  // before "a master that says it is a replica" counts.
  new_master.role_time = now();
  m.node = new_master;
  m.replicas = std::move(replicas);
  m.cfg.addr = to;
  m.cfg.config_epoch = epoch;
  m.odown_since = 0;
  m.rebooted_empty = false;
  m.forced = false;
  m.switchover = false;
  m.promoted.clear();
  m.failover_start = 0;  // a new master: its own failover may start at once
  SetState(m, FailoverState::kNone);
  for (auto& [id, p] : m.sentinels) {
    p.says_down = false;
    p.leader.clear();
  }
  EventRaw("+switch-master",
           m.cfg.name + " " + old.host + " " + std::to_string(old.port) + " " + to.host + " " +
               std::to_string(to.port),
           true);
  for (auto& [key, r] : m.replicas) Event("+slave", m, &r, "");
  Save();
  ExchangeHellos();
}

// ---------------------------------------------------------------------------------------------
// Administration

int Sentinel::Reset(std::string_view pattern) {
  int n = 0;
  for (auto& [name, m] : masters_) {
    if (!GlobMatch(pattern, name)) continue;
    m->replicas.clear();
    m->sentinels.clear();
    m->node = NewNode(m->node.addr, now());
    m->odown_since = 0;
    m->rebooted_empty = false;
    if (m->in_failover()) AbortFailover(*m, "-failover-abort-reset");
    Event("+reset-master", *m, nullptr, "");
    ++n;
  }
  if (n) Save();
  return n;
}

std::string Sentinel::Monitor(MonitorSettings cfg) {
  if (masters_.count(cfg.name)) return "Duplicate master name.";
  if (!settings_.resolve_hostnames && !IsIpLiteral(cfg.addr.host)) {
    return "Invalid IP address or hostname specified";
  }
  auto m = std::make_unique<Master>();
  m->cfg = cfg;
  m->node = NewNode(cfg.addr, now());
  Event("+monitor", *m, nullptr, "quorum " + std::to_string(cfg.quorum));
  masters_[cfg.name] = std::move(m);
  Save();
  return "";
}

std::string Sentinel::Remove(std::string_view name) {
  auto it = masters_.find(std::string(name));
  if (it == masters_.end()) return "No such master with that name";
  Event("-monitor", *it->second, nullptr, "");
  masters_.erase(it);
  Save();
  return "";
}

std::string Sentinel::SetOption(Master* m, std::string_view option, std::string_view value) {
  auto n = ParseInt64(value);
  std::string opt = ToLower(option);
  if (opt == "down-after-milliseconds" || opt == "failover-timeout" || opt == "parallel-syncs" ||
      opt == "quorum") {
    if (!n || *n <= 0) {
      return "Invalid argument '" + std::string(value) + "' for SENTINEL SET '" +
             std::string(option) + "'";
    }
    if (opt == "down-after-milliseconds") m->cfg.down_after_ms = *n;
    if (opt == "failover-timeout") m->cfg.failover_timeout_ms = *n;
    if (opt == "parallel-syncs") m->cfg.parallel_syncs = int(*n);
    if (opt == "quorum") m->cfg.quorum = int(*n);
  } else if (opt == "auth-pass") {
    m->cfg.auth_pass = std::string(value);
    for (auto& [key, r] : m->replicas) transport_->NodeDrop(r.addr);
    transport_->NodeDrop(m->node.addr);
  } else {
    return "Unknown option or number of arguments for SENTINEL SET '" + std::string(option) + "'";
  }
  Event("+set", *m, nullptr, std::string(option) + " " + std::string(value));
  Save();
  return "";
}

std::string Sentinel::CheckQuorum(const Master& m, std::string* ok_text) const {
  int usable = 1;
  for (const auto& [id, p] : m.sentinels) {
    if (p.last_hello != 0 && now() - p.last_hello < kPeerAliveMs) ++usable;
  }
  int voters = int(m.sentinels.size()) + 1;
  std::string err;
  if (usable < m.cfg.quorum)
    err += "Not enough available Sentinels to reach the specified quorum for this master";
  if (usable < voters / 2 + 1) {
    if (!err.empty()) err += ". ";
    err += "Not enough available Sentinels to reach the majority and authorize a failover";
  }
  if (!err.empty()) return "-NOQUORUM " + std::to_string(usable) + " usable Sentinels. " + err;
  *ok_text = "OK " + std::to_string(usable) +
             " usable Sentinels. Quorum and failover authorization can be reached";
  return "";
}

}  // namespace ember::sentinel
