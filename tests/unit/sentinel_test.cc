// The sentinel core (sentinel/sentinel.h) with an injected clock and a simulated network: data
// nodes are small models that answer PING / INFO / REPLICAOF as ember-server does, and the
// sentinels call each other's peer service directly. Nothing here sleeps or opens a socket.

#include "sentinel/sentinel.h"

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <set>

#include "sentinel/settings.h"

namespace ember::sentinel {
namespace {

struct FakeNode {
  Addr addr;
  std::string run_id;
  bool alive = true;
  bool hung = false;               // SIGSTOP: accepts commands, never answers
  bool refuses_promotion = false;  // answers REPLICAOF NO ONE with OK but stays a replica
  bool master = true;
  Addr master_of;
  int64_t offset = 100;
  int priority = 100;
  int replicaofs = 0;
  std::vector<std::string> log;  // commands received, words joined by spaces

  std::string Info(const std::map<std::string, FakeNode>& all) const {
    std::string s = "# Server\r\nrun_id:" + run_id + "\r\n# Replication\r\n";
    if (master) {
      s += "role:master\r\n";
      int i = 0;
      for (const auto& [key, n] : all) {
        if (!n.master && n.alive && n.master_of == addr) {
          s += "slave" + std::to_string(i++) + ":ip=" + n.addr.host +
               ",port=" + std::to_string(n.addr.port) + ",state=online,offset=1,lag=0\r\n";
        }
      }
      s += "master_repl_offset:" + std::to_string(offset) + "\r\n";
    } else {
      s += "role:slave\r\nmaster_host:" + master_of.host +
           "\r\nmaster_port:" + std::to_string(master_of.port) + "\r\nmaster_link_status:" +
           (all.count(master_of.str()) && all.at(master_of.str()).alive ? "up" : "down") +
           "\r\nslave_repl_offset:" + std::to_string(offset) +
           "\r\nslave_priority:" + std::to_string(priority) + "\r\n";
    }
    return s;
  }
};

class Network;

class FakeTransport final : public Transport {
 public:
  FakeTransport(Network* net, std::string self) : net_(net), self_(std::move(self)) {}
  void NodeCommand(const Addr& node, const std::string&, std::vector<std::string> args,
                   ReplyFn fn) override;
  void NodeDrop(const Addr&) override {}
  bool NodeConnected(const Addr& node) override;
  void PeerExchange(const std::string& peer, const pb::Hello& hello,
                    std::function<void(const pb::Hello*)> fn) override;
  void PeerIsMasterDown(const std::string& peer, const pb::DownRequest& req,
                        std::function<void(const pb::DownReply*)> fn) override;

 private:
  Network* net_;
  std::string self_;
};

// Everything in flight is a closure run by Deliver(), in order, so reentrancy is as in the
// binary (callbacks never run inside the call that queued them).
class Network {
 public:
  Network() {
    for (int i = 0; i < 3; ++i) {
      FakeNode n;
      n.addr = Addr{"127.0.0.1", 7000 + i};
      n.run_id = std::string(40, char('a' + i));
      n.master = i == 0;
      n.master_of = Addr{"127.0.0.1", 7000};
      nodes[n.addr.str()] = n;
    }
  }

  void AddSentinels(int count, int quorum, std::string dir) {
    for (int i = 0; i < count; ++i) {
      Settings s;
      s.port = 26000 + i;
      for (int j = 0; j < count; ++j) {
        if (j != i) s.peers.push_back("127.0.0.1:" + std::to_string(36000 + j));
      }
      s.myid = std::string(39, '0') + char('1' + i);
      MonitorSettings m;
      m.name = "mymaster";
      m.addr = Addr{"127.0.0.1", 7000};
      m.quorum = quorum;
      m.down_after_ms = 1000;
      m.failover_timeout_ms = 5000;
      s.monitors.push_back(m);
      std::string peer = "127.0.0.1:" + std::to_string(36000 + i);
      transports.push_back(std::make_unique<FakeTransport>(this, peer));
      std::string path = dir + "/s" + std::to_string(i) + ".yaml";
      auto core = std::make_unique<Sentinel>(&clock, s, transports.back().get(),
                                             [this, path](const Settings& st) {
                                               ++saves;
                                               return !fail_saves && !SaveSettings(path, st);
                                             });
      core->on_event = [this, i](std::string_view type, std::string_view payload) {
        events.push_back(std::to_string(i) + " " + std::string(type) + " " + std::string(payload));
      };
      peers[peer] = core.get();
      sentinels.push_back(std::move(core));
    }
  }

  void Deliver() {
    for (int rounds = 0; rounds < 100 && !queue.empty(); ++rounds) {
      auto batch = std::move(queue);
      queue.clear();
      for (auto& fn : batch) fn();
    }
  }

  // Advances time in cron steps, running every sentinel's cron and all traffic.
  void Run(int64_t ms) {
    for (int64_t t = 0; t < ms; t += Sentinel::kCronMs) {
      clock.Advance(std::chrono::milliseconds(Sentinel::kCronMs));
      for (size_t i = 0; i < sentinels.size(); ++i) {
        if (!sentinel_down.count(int(i))) sentinels[i]->Cron();
      }
      Deliver();
    }
  }

  int Count(const std::string& needle) const {
    int n = 0;
    for (const auto& e : events) n += e.find(needle) != std::string::npos;
    return n;
  }

  ManualClock clock;
  std::map<std::string, FakeNode> nodes;
  std::vector<std::unique_ptr<FakeTransport>> transports;
  std::vector<std::unique_ptr<Sentinel>> sentinels;
  std::map<std::string, Sentinel*> peers;
  std::set<int> sentinel_down;
  std::deque<std::function<void()>> queue;
  std::vector<std::string> events;
  int saves = 0;
  bool fail_saves = false;
};

void FakeTransport::NodeCommand(const Addr& node, const std::string&, std::vector<std::string> args,
                                ReplyFn fn) {
  net_->queue.push_back([this, node, args, fn] {
    auto it = net_->nodes.find(node.str());
    if (it == net_->nodes.end() || !it->second.alive) {
      fn(nullptr);
      return;
    }
    FakeNode& n = it->second;
    if (n.hung) return;  // never answered
    std::string line;
    for (const auto& a : args) line += (line.empty() ? "" : " ") + a;
    if (args[0] != "PING" && args[0] != "INFO") n.log.push_back(line);
    Reply r;
    r.type = '+';
    r.str = "OK";
    if (args[0] == "PING") {
      r.str = "PONG";
    } else if (args[0] == "INFO") {
      r.type = '$';
      r.str = n.Info(net_->nodes);
    } else if (args[0] == "REPLICAOF") {
      ++n.replicaofs;
      if (args[1] == "NO") {
        n.master = !n.refuses_promotion;
      } else {
        n.master = false;
        n.master_of = Addr{args[1], std::stoi(args[2])};
      }
    }
    fn(&r);
  });
}

bool FakeTransport::NodeConnected(const Addr& node) {
  auto it = net_->nodes.find(node.str());
  return it != net_->nodes.end() && it->second.alive;
}

void FakeTransport::PeerExchange(const std::string& peer, const pb::Hello& hello,
                                 std::function<void(const pb::Hello*)> fn) {
  net_->queue.push_back([this, peer, hello, fn] {
    auto it = net_->peers.find(peer);
    int index = int(std::distance(net_->peers.begin(), it));
    if (it == net_->peers.end() || net_->sentinel_down.count(index)) {
      fn(nullptr);
      return;
    }
    it->second->OnHello(hello);
    pb::Hello reply = it->second->MakeHello();
    net_->queue.push_back([fn, reply] { fn(&reply); });
  });
}

void FakeTransport::PeerIsMasterDown(const std::string& peer, const pb::DownRequest& req,
                                     std::function<void(const pb::DownReply*)> fn) {
  net_->queue.push_back([this, peer, req, fn] {
    auto it = net_->peers.find(peer);
    int index = int(std::distance(net_->peers.begin(), it));
    if (it == net_->peers.end() || net_->sentinel_down.count(index)) {
      fn(nullptr);
      return;
    }
    pb::DownReply reply = it->second->OnIsMasterDown(req);
    net_->queue.push_back([fn, reply] { fn(&reply); });
  });
}

class SentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ember_sentinel_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Addr MasterSeenBy(Network& net, int i) {
    return net.sentinels[size_t(i)]->CurrentAddr(*net.sentinels[size_t(i)]->Find("mymaster"));
  }

  std::filesystem::path dir_;
};

TEST_F(SentinelTest, DiscoversReplicasAndSentinels) {
  Network net;
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  for (auto& s : net.sentinels) {
    Master* m = s->Find("mymaster");
    EXPECT_EQ(m->replicas.size(), 2u);
    EXPECT_EQ(m->sentinels.size(), 2u);
    EXPECT_EQ(s->Flags(*m, m->node, true), "master");
  }
  EXPECT_EQ(net.Count("+switch-master"), 0);
}

TEST_F(SentinelTest, KilledMasterFailsOverOnceAndEveryoneAgrees) {
  Network net;
  net.nodes["127.0.0.1:7001"].offset = 90;
  net.nodes["127.0.0.1:7002"].offset = 95;  // the highest offset wins
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  net.nodes["127.0.0.1:7000"].alive = false;
  net.Run(900);
  EXPECT_EQ(net.Count("+sdown master"), 0) << "SDOWN before down-after-milliseconds";
  net.Run(2000);
  EXPECT_EQ(net.Count("+elected-leader"), 1);
  EXPECT_EQ(net.Count("+promoted-slave"), 1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(MasterSeenBy(net, i).port, 7002) << "sentinel " << i;
  EXPECT_TRUE(net.nodes["127.0.0.1:7002"].master);
  EXPECT_EQ(net.nodes["127.0.0.1:7001"].master_of.port, 7002);
  EXPECT_EQ(net.Count("+failover-end"), 1);
  // The old master comes back (empty, as a master): it is demoted to a replica of the new one.
  auto& old = net.nodes["127.0.0.1:7000"];
  old.alive = true;
  old.offset = 0;
  old.run_id = std::string(40, 'z');
  net.Run(3000);
  EXPECT_FALSE(old.master);
  EXPECT_EQ(old.master_of.port, 7002);
  EXPECT_EQ(net.Count("+switch-master"), 3) << "one per sentinel";
}

TEST_F(SentinelTest, ReplicaWithPriorityZeroIsNeverPromoted) {
  Network net;
  net.nodes["127.0.0.1:7002"].offset = 500;
  net.nodes["127.0.0.1:7002"].priority = 0;
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  net.nodes["127.0.0.1:7000"].alive = false;
  net.Run(3000);
  EXPECT_EQ(MasterSeenBy(net, 0).port, 7001);
  EXPECT_EQ(net.nodes["127.0.0.1:7002"].master_of.port, 7001);
}

TEST_F(SentinelTest, OneSentinelAloneCannotFailOver) {
  Network net;
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  // Only sentinel 0 thinks the master is down (a shorter down-after of its own).
  auto* m0 = net.sentinels[0]->Find("mymaster");
  m0->cfg.down_after_ms = 100;
  net.nodes["127.0.0.1:7000"].hung = true;
  net.Run(400);
  net.nodes["127.0.0.1:7000"].hung = false;
  net.Run(3000);
  EXPECT_GE(net.Count("0 +sdown master"), 1);
  EXPECT_EQ(net.Count("+odown"), 0);
  EXPECT_EQ(net.Count("+try-failover"), 0);
  EXPECT_EQ(MasterSeenBy(net, 1).port, 7000);
}

TEST_F(SentinelTest, HungMasterAndMasterReportingReplicaAreDown) {
  Network net;
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  net.nodes["127.0.0.1:7000"].hung = true;  // SIGSTOP
  net.Run(3000);
  EXPECT_EQ(net.Count("+promoted-slave"), 1);
  int64_t after_first = net.Count("+promoted-slave");
  // The new master starts saying it is a replica of someone else: down as well.
  Addr now_master = MasterSeenBy(net, 0);
  auto& n = net.nodes[now_master.str()];
  n.master = false;
  n.master_of = Addr{"127.0.0.1", 7999};
  net.Run(5000);
  EXPECT_GE(net.Count("+sdown master mymaster 127.0.0.1 " + std::to_string(now_master.port)), 1);
  EXPECT_EQ(net.Count("+promoted-slave"), after_first + 1);
}

TEST_F(SentinelTest, RebootedEmptyMasterIsTreatedAsFailed) {
  Network net;
  net.nodes["127.0.0.1:7000"].offset = 1000;
  net.nodes["127.0.0.1:7001"].offset = 1000;
  net.nodes["127.0.0.1:7002"].offset = 1000;
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  // Restarted between two PINGs, without persistence: new run id, nothing in it.
  auto& m = net.nodes["127.0.0.1:7000"];
  m.run_id = std::string(40, 'r');
  m.offset = 0;
  net.Run(4000);
  EXPECT_GE(net.Count("+reboot master"), 1);
  EXPECT_EQ(net.Count("+promoted-slave"), 1);
  EXPECT_NE(MasterSeenBy(net, 0).port, 7000);
  EXPECT_FALSE(m.master) << "the emptied master follows the replica that kept the data";
}

TEST_F(SentinelTest, FailedPromotionIsAbortedAndRetried) {
  Network net;
  net.nodes["127.0.0.1:7002"].offset = 200;              // chosen first ...
  net.nodes["127.0.0.1:7002"].refuses_promotion = true;  // ... but it never becomes a master
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  net.nodes["127.0.0.1:7000"].alive = false;
  net.Run(3000);
  EXPECT_EQ(net.Count("+promoted-slave"), 0);
  net.Run(5000);  // failover-timeout is 5 s
  EXPECT_EQ(net.Count("-failover-abort-slave-timeout"), 1);
  EXPECT_EQ(MasterSeenBy(net, 0).port, 7000) << "nothing switched";
  // The next attempt (after 2 x failover-timeout) may pick the same replica; once it can be
  // promoted, it is.
  net.nodes["127.0.0.1:7002"].refuses_promotion = false;
  net.Run(12000);
  EXPECT_EQ(net.Count("+promoted-slave"), 1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(MasterSeenBy(net, i).port, 7002) << "sentinel " << i;
}

TEST_F(SentinelTest, NeverPointsANodeAtItselfUnderAnotherName) {
  Network net;
  // The master is also reachable as localhost:7000 (a host name next to its IP, as in Docker).
  FakeNode alias = net.nodes["127.0.0.1:7000"];
  alias.addr = Addr{"localhost", 7000};
  net.nodes["localhost:7000"] = alias;
  net.AddSentinels(1, 1, dir_);
  net.Run(500);
  // Gossip lists it as a replica: a master-role "replica" would be demoted (+convert-to-slave).
  pb::Hello h;
  h.mutable_from()->set_run_id(std::string(40, '9'));
  h.mutable_from()->set_ip("127.0.0.1");
  h.mutable_from()->set_port(26999);
  h.mutable_from()->set_peer_address("127.0.0.1:36999");
  auto* mc = h.add_masters();
  mc->set_name("mymaster");
  mc->set_ip("127.0.0.1");
  mc->set_port(7000);
  auto* r = mc->add_replicas();
  r->set_ip("localhost");
  r->set_port(7000);
  net.sentinels[0]->OnHello(h);
  net.Run(3000);
  for (const auto& line : net.nodes["localhost:7000"].log) {
    EXPECT_EQ(line.rfind("REPLICAOF", 0), std::string::npos) << line;
  }
  EXPECT_TRUE(net.nodes["127.0.0.1:7000"].master);
  EXPECT_EQ(net.sentinels[0]->Find("mymaster")->replicas.count("localhost:7000"), 0u)
      << "listed once, as the master";
}

TEST_F(SentinelTest, OneVotePerEpochAndOnlyOnceSaved) {
  Network net;
  net.AddSentinels(1, 1, dir_);
  Sentinel& s = *net.sentinels[0];
  net.Run(200);
  pb::DownRequest req;
  req.set_ip("127.0.0.1");
  req.set_port(7000);
  req.set_current_epoch(5);
  req.set_run_id(std::string(40, 'x'));
  int saves = net.saves;
  auto r1 = s.OnIsMasterDown(req);
  EXPECT_EQ(r1.leader(), std::string(40, 'x'));
  EXPECT_EQ(r1.leader_epoch(), 5);
  EXPECT_GT(net.saves, saves) << "the vote is written before it is given";
  req.set_run_id(std::string(40, 'y'));
  auto r2 = s.OnIsMasterDown(req);
  EXPECT_EQ(r2.leader(), std::string(40, 'x')) << "a second vote in the same epoch";
  // A vote that cannot be stored is not given.
  net.fail_saves = true;
  req.set_current_epoch(6);
  auto r3 = s.OnIsMasterDown(req);
  EXPECT_EQ(r3.leader_epoch(), 5);
  EXPECT_EQ(r3.leader(), std::string(40, 'x'));
  // The vote survives a restart: the file holds it.
  Settings loaded;
  ASSERT_FALSE(LoadSettings((dir_ / "s0.yaml").string(), &loaded));
  ASSERT_EQ(loaded.monitors.size(), 1u);
  EXPECT_EQ(loaded.monitors[0].leader, std::string(40, 'x'));
  EXPECT_EQ(loaded.monitors[0].leader_epoch, 5);
  EXPECT_EQ(loaded.current_epoch, 5) << "epoch 6 was never written";
}

TEST_F(SentinelTest, ClockJumpEntersTiltAndDoesNotAct) {
  Network net;
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  net.clock.Advance(std::chrono::seconds(10));  // the clock jumps (or the process was stopped)
  net.nodes["127.0.0.1:7000"].alive = false;
  net.Run(3000);
  for (auto& s : net.sentinels) EXPECT_TRUE(s->tilt());
  EXPECT_EQ(net.Count("+try-failover"), 0);
  net.Run(30000);
  EXPECT_GE(net.Count("-tilt"), 3);
  EXPECT_EQ(net.Count("+promoted-slave"), 1) << "acts once TILT is over";
}

TEST_F(SentinelTest, RestartedSentinelResumesFromItsFile) {
  Network net;
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  net.nodes["127.0.0.1:7000"].alive = false;
  net.Run(3000);
  Addr now_master = MasterSeenBy(net, 0);
  ASSERT_NE(now_master.port, 7000);
  Settings loaded;
  ASSERT_FALSE(LoadSettings((dir_ / "s1.yaml").string(), &loaded));
  FakeTransport transport(&net, "127.0.0.1:36001");
  Sentinel restarted(&net.clock, loaded, &transport, nullptr);
  Master* m = restarted.Find("mymaster");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->node.addr, now_master);
  EXPECT_EQ(m->cfg.config_epoch, net.sentinels[0]->Find("mymaster")->cfg.config_epoch);
  EXPECT_EQ(m->replicas.size(), 2u);
  EXPECT_EQ(m->sentinels.size(), 2u);
  EXPECT_EQ(restarted.myid(), net.sentinels[1]->myid());
}

TEST_F(SentinelTest, ForcedFailoverNeedsNoAgreement) {
  Network net;
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  Sentinel& s = *net.sentinels[2];
  EXPECT_EQ(s.ForceFailover(s.Find("mymaster")), "");
  EXPECT_EQ(s.ForceFailover(s.Find("mymaster")), "-INPROG Failover already in progress");
  net.Run(1000);
  for (int i = 0; i < 3; ++i) EXPECT_NE(MasterSeenBy(net, i).port, 7000);
  net.Run(3000);
  EXPECT_FALSE(net.nodes["127.0.0.1:7000"].master) << "the old master, alive, follows";
}

TEST_F(SentinelTest, SwitchoverWaitsForTheReplicaToCatchUp) {
  Network net;
  net.nodes["127.0.0.1:7000"].offset = 150;
  net.nodes["127.0.0.1:7002"].offset = 120;  // the best replica, still behind
  net.AddSentinels(3, 2, dir_);
  net.Run(1500);
  Sentinel& s = *net.sentinels[0];
  EXPECT_EQ(s.ForceFailover(s.Find("mymaster")), "");
  net.Run(1000);
  EXPECT_TRUE(net.nodes["127.0.0.1:7000"].master) << "nothing switches before the offsets match";
  EXPECT_FALSE(net.nodes["127.0.0.1:7002"].master);
  net.nodes["127.0.0.1:7002"].offset = 150;  // it caught up
  net.Run(1000);
  EXPECT_TRUE(net.nodes["127.0.0.1:7002"].master);
  EXPECT_EQ(net.nodes["127.0.0.1:7000"].master_of.port, 7002);
  // The old master: paused first, pointed at the new master, only then unpaused.
  const auto& log = net.nodes["127.0.0.1:7000"].log;
  auto at = [&](const std::string& line) {
    return std::find(log.begin(), log.end(), line) - log.begin();
  };
  ASSERT_LT(at("CLIENT PAUSE 5000 WRITE"), int64_t(log.size()));
  EXPECT_LT(at("CLIENT PAUSE 5000 WRITE"), at("REPLICAOF 127.0.0.1 7002"));
  EXPECT_LT(at("REPLICAOF 127.0.0.1 7002"), at("CLIENT UNPAUSE"));
  ASSERT_LT(at("CLIENT UNPAUSE"), int64_t(log.size()));
}

TEST(SentinelSettings, BadValuesNameTheKeyAndLine) {
  auto path = std::filesystem::temp_directory_path() / "ember_sentinel_bad.yaml";
  {
    std::ofstream f(path);
    f << "port: 26379\nmonitor:\n  - name: m\n    host: 127.0.0.1\n    port: 6379\n    quorum: 0\n";
  }
  Settings s;
  auto err = LoadSettings(path.string(), &s);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find(":6: bad value '0' for 'monitor.quorum'"), std::string::npos) << *err;
  {
    std::ofstream f(path);
    f << "port: 26379\nmonitor:\n  - name: m\n    host: cache-master\n    port: 6379\n";
  }
  Settings s2;
  ASSERT_FALSE(LoadSettings(path.string(), &s2));
  ASSERT_TRUE(ValidateSettings(s2));
  s2.resolve_hostnames = true;
  EXPECT_FALSE(ValidateSettings(s2));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace ember::sentinel
