#include "sentinel/api.h"

#include <sys/utsname.h>
#include <unistd.h>

#include "common/log.h"
#include "common/resp_parser.h"
#include "common/strings.h"

namespace ember::sentinel {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr const char* kRedisVersion = "7.0.15";
constexpr size_t kMaxOutput = 32 * 1024 * 1024;  // a subscriber that stops reading is dropped

constexpr const char* kSyntaxError = "syntax error";

std::string Lower(std::string_view s) { return ToLower(s); }

void Fields(ReplyBuilder& rb, const std::vector<std::pair<std::string, std::string>>& kv) {
  rb.MapHeader(kv.size());
  for (const auto& [k, v] : kv) {
    rb.Bulk(k);
    rb.Bulk(v);
  }
}

std::string ArityError(std::string_view cmd) {
  return "wrong number of arguments for '" + Lower(cmd) + "' command";
}
}  // namespace

class ApiSession : public std::enable_shared_from_this<ApiSession> {
 public:
  ApiSession(ClientApi* api, tcp::socket socket, int64_t id)
      : api_(api), socket_(std::move(socket)), id(id) {}

  void Start() {
    api_->sessions_.insert(this);
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    auto ep = socket_.remote_endpoint(ignored);
    if (!ignored) addr = ep.address().to_string() + ":" + std::to_string(ep.port());
    Read();
  }

  void Send(std::string_view bytes) {
    if (closed_) return;
    if (out_.size() > kMaxOutput) {
      Close();
      return;
    }
    out_.append(bytes);
    Write();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    api_->sessions_.erase(this);
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  ClientApi* api_;
  tcp::socket socket_;
  int64_t id;
  std::string name, lib_name, lib_ver;
  std::string addr;  // ip:port of the client
  bool authed = false;
  bool resp3 = false;
  std::set<std::string> channels, patterns;
  bool subscribed() const { return !channels.empty() || !patterns.empty(); }

 private:
  void Read() {
    auto self = shared_from_this();
    socket_.async_read_some(
        asio::buffer(buf_), [this, self](const boost::system::error_code& ec, size_t n) {
          if (ec || closed_) {
            Close();
            return;
          }
          in_.append(buf_.data(), n);
          size_t pos = 0;
          bool keep = true;
          while (keep && pos < in_.size()) {
            size_t used = 0;
            RequestParser::Limits limits;
            limits.auth_required = !authed && !api_->core_->settings().requirepass.empty();
            auto st = parser_.Parse(std::string_view(in_).substr(pos), limits, &used);
            if (st == RequestParser::Status::kIncomplete) break;
            if (st == RequestParser::Status::kError) {
              std::string reply;
              ReplyBuilder rb(&reply);
              rb.Error("Protocol error: " + parser_.error());
              Send(reply);
              keep = false;
              break;
            }
            pos += used;
            if (parser_.args().empty()) continue;
            std::string reply;
            ReplyBuilder rb(&reply);
            rb.SetResp3(resp3);
            keep = api_->Execute(*this, parser_.args(), rb);
            Send(reply);
          }
          in_.erase(0, pos);
          parser_.Reset();
          if (!keep) {
            close_after_write_ = true;
            if (!writing_) Close();
            return;
          }
          Read();
        });
  }

  void Write() {
    if (writing_ || out_.empty() || closed_) return;
    writing_ = true;
    in_flight_.swap(out_);
    out_.clear();
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(in_flight_),
                      [this, self](const boost::system::error_code& ec, size_t) {
                        writing_ = false;
                        in_flight_.clear();
                        if (ec) {
                          Close();
                          return;
                        }
                        if (out_.empty() && close_after_write_) {
                          Close();
                          return;
                        }
                        Write();
                      });
  }

  RequestParser parser_;
  std::array<char, 16 * 1024> buf_;
  std::string in_, out_, in_flight_;
  bool writing_ = false, closed_ = false, close_after_write_ = false;
};

ClientApi::ClientApi(asio::io_context* io, ember::sentinel::Sentinel* core, std::string config_file)
    : io_(io), core_(core), config_file_(std::move(config_file)), started_ms_(core->now()) {}

ClientApi::~ClientApi() {
  for (auto* s : std::set<ApiSession*>(sessions_)) s->Close();
}

std::optional<std::string> ClientApi::Listen() {
  for (const auto& host : core_->settings().bind) {
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(host, ec);
    if (ec) return "bad bind address '" + host + "'";
    tcp::endpoint ep(ip, uint16_t(core_->settings().port));
    tcp::acceptor acc(*io_);
    acc.open(ep.protocol(), ec);
    if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acc.bind(ep, ec);
    if (!ec) acc.listen(511, ec);
    if (ec)
      return "Could not create server TCP listening socket " + host + ":" +
             std::to_string(core_->settings().port) + ": " + ec.message();
    acceptors_.push_back(std::move(acc));
  }
  for (size_t i = 0; i < acceptors_.size(); ++i) Accept(i);
  return std::nullopt;
}

void ClientApi::Accept(size_t index) {
  acceptors_[index].async_accept(
      [this, index](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          ++connections_;
          std::make_shared<ApiSession>(this, std::move(socket), next_id_++)->Start();
        }
        Accept(index);
      });
}

void ClientApi::Publish(std::string_view channel, std::string_view payload) {
  for (auto* s : std::set<ApiSession*>(sessions_)) {
    std::string out;
    ReplyBuilder rb(&out);
    rb.SetResp3(s->resp3);
    if (s->channels.count(std::string(channel))) {
      rb.PushHeader(3);
      rb.Bulk("message");
      rb.Bulk(channel);
      rb.Bulk(payload);
    }
    for (const auto& p : s->patterns) {
      if (!GlobMatch(p, channel)) continue;
      rb.PushHeader(4);
      rb.Bulk("pmessage");
      rb.Bulk(p);
      rb.Bulk(channel);
      rb.Bulk(payload);
    }
    if (!out.empty()) s->Send(out);
  }
}

bool ClientApi::Execute(ApiSession& s, const std::vector<std::string_view>& args,
                        ReplyBuilder& rb) {
  ++commands_;
  std::string cmd = Lower(args[0]);
  const auto& settings = core_->settings();
  if (cmd == "auth") {
    if (args.size() < 2 || args.size() > 3) {
      rb.Error(ArityError(args[0]));
    } else if (settings.requirepass.empty()) {
      rb.Error(
          "AUTH <password> called without any password configured for the default user. Are you "
          "sure your configuration is correct?");
    } else if ((args.size() == 3 && args[1] != "default") || args.back() != settings.requirepass) {
      rb.Error("-WRONGPASS invalid username-password pair or user is disabled.");
    } else {
      s.authed = true;
      rb.Ok();
    }
    return true;
  }
  if (cmd == "hello") {
    int64_t proto = s.resp3 ? 3 : 2;
    size_t i = 1;
    if (args.size() > 1) {
      auto v = ParseInt64(args[1]);
      if (!v) {
        rb.Error("Protocol version is not an integer or out of range");
        return true;
      }
      if (*v != 2 && *v != 3) {
        rb.Error("-NOPROTO unsupported protocol version");
        return true;
      }
      proto = *v;
      i = 2;
    }
    for (; i < args.size(); ++i) {
      std::string opt = Lower(args[i]);
      if (opt == "auth" && i + 2 < args.size()) {
        if (settings.requirepass.empty() || args[i + 2] != settings.requirepass ||
            args[i + 1] != "default") {
          rb.Error("-WRONGPASS invalid username-password pair or user is disabled.");
          return true;
        }
        s.authed = true;
        i += 2;
      } else if (opt == "setname" && i + 1 < args.size()) {
        s.name = std::string(args[++i]);
      } else {
        rb.Error("Syntax error in HELLO option '" + std::string(args[i]) + "'");
        return true;
      }
    }
    if (!settings.requirepass.empty() && !s.authed) {
      rb.Error(
          "-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
          "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
          "select the RESP protocol version at the same time");
      return true;
    }
    s.resp3 = proto == 3;
    rb.SetResp3(s.resp3);
    rb.MapHeader(6);  // Redis Sentinel's HELLO has no "role"
    rb.Bulk("server");
    rb.Bulk("redis");
    rb.Bulk("version");
    rb.Bulk(kRedisVersion);
    rb.Bulk("proto");
    rb.Integer(proto);
    rb.Bulk("id");
    rb.Integer(s.id);
    rb.Bulk("mode");
    rb.Bulk("sentinel");
    rb.Bulk("modules");
    rb.ArrayHeader(0);
    return true;
  }
  if (!settings.requirepass.empty() && !s.authed) {
    rb.Error("-NOAUTH Authentication required.");
    return true;
  }
  if (s.subscribed() && !s.resp3 && cmd != "subscribe" && cmd != "psubscribe" &&
      cmd != "unsubscribe" && cmd != "punsubscribe" && cmd != "ping" && cmd != "quit" &&
      cmd != "reset") {
    rb.Error("Can't execute '" + cmd +
             "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
             "context");
    return true;
  }
  if (cmd == "ping") {
    if (args.size() > 2) {
      rb.Error(ArityError(args[0]));
    } else if (s.subscribed() && !s.resp3) {
      rb.ArrayHeader(2);
      rb.Bulk("pong");
      rb.Bulk(args.size() == 2 ? args[1] : "");
    } else if (args.size() == 2) {
      rb.Bulk(args[1]);
    } else {
      rb.SimpleString("PONG");
    }
  } else if (cmd == "quit") {
    rb.Ok();
    return false;
  } else if (cmd == "sentinel") {
    SentinelCommand(args, rb);
  } else if (cmd == "info") {
    Info(args.size() > 1 ? Lower(args[1]) : "default", rb);
  } else if (cmd == "client") {
    return Client(s, args, rb);
  } else if (cmd == "role") {
    rb.ArrayHeader(2);
    rb.Bulk("sentinel");
    rb.ArrayHeader(core_->masters().size());
    for (const auto& [name, m] : core_->masters()) rb.Bulk(name);
  } else if (cmd == "subscribe" || cmd == "psubscribe") {
    Subscribe(s, args, cmd == "psubscribe", true, rb);
  } else if (cmd == "unsubscribe" || cmd == "punsubscribe") {
    Subscribe(s, args, cmd == "punsubscribe", false, rb);
  } else if (cmd == "command") {
    static const std::vector<std::pair<const char*, int>> kCommands = {
        {"ping", -1},       {"auth", -2},        {"hello", -1},        {"info", -1},
        {"client", -2},     {"role", 1},         {"sentinel", -2},     {"subscribe", -2},
        {"psubscribe", -2}, {"unsubscribe", -1}, {"punsubscribe", -1}, {"command", -1},
        {"shutdown", -1},   {"quit", -1}};
    if (args.size() > 1 && EqualsNoCase(args[1], "count")) {
      rb.Integer(int64_t(kCommands.size()));
    } else {
      rb.ArrayHeader(kCommands.size());
      for (const auto& [name, arity] : kCommands) {
        rb.ArrayHeader(10);
        rb.Bulk(name);
        rb.Integer(arity);
        rb.SetHeader(0);
        rb.Integer(0);
        rb.Integer(0);
        rb.Integer(0);
        rb.SetHeader(0);
        rb.SetHeader(0);
        rb.SetHeader(0);
        rb.ArrayHeader(0);
      }
    }
  } else if (cmd == "shutdown") {
    core_->Save();
    EMBER_LOG(kWarning, "User requested shutdown...");
    if (on_shutdown) on_shutdown();
    return false;
  } else {
    std::string msg = "unknown command '" + std::string(args[0]) + "', with args beginning with: ";
    for (size_t i = 1; i < args.size(); ++i) msg += "'" + std::string(args[i]) + "' ";
    rb.Error(msg);
  }
  return true;
}

void ClientApi::Subscribe(ApiSession& s, const std::vector<std::string_view>& args, bool pattern,
                          bool sub, ReplyBuilder& rb) {
  if (sub && args.size() < 2) {
    rb.Error(ArityError(args[0]));
    return;
  }
  auto& set = pattern ? s.patterns : s.channels;
  const char* kind =
      sub ? (pattern ? "psubscribe" : "subscribe") : (pattern ? "punsubscribe" : "unsubscribe");
  std::vector<std::string> targets;
  for (size_t i = 1; i < args.size(); ++i) targets.emplace_back(args[i]);
  if (!sub && targets.empty()) targets.assign(set.begin(), set.end());
  if (!sub && targets.empty()) {
    rb.PushHeader(3);
    rb.Bulk(kind);
    rb.Null();
    rb.Integer(int64_t(s.channels.size() + s.patterns.size()));
    return;
  }
  for (const auto& t : targets) {
    if (sub) {
      set.insert(t);
    } else {
      set.erase(t);
    }
    rb.PushHeader(3);
    rb.Bulk(kind);
    rb.Bulk(t);
    rb.Integer(int64_t(s.channels.size() + s.patterns.size()));
  }
}

bool ClientApi::Client(ApiSession& s, const std::vector<std::string_view>& args, ReplyBuilder& rb) {
  std::string sub = args.size() > 1 ? Lower(args[1]) : "";
  if (sub == "setname" && args.size() == 3) {
    for (char c : args[2]) {
      if (c < '!' || c > '~') {
        rb.Error("Client names cannot contain spaces, newlines or special characters.");
        return true;
      }
    }
    s.name = std::string(args[2]);
    rb.Ok();
  } else if (sub == "getname" && args.size() == 2) {
    s.name.empty() ? rb.Null() : rb.Bulk(s.name);
  } else if (sub == "setinfo" && args.size() == 4) {
    std::string attr = Lower(args[2]);
    if (attr == "lib-name") {
      s.lib_name = std::string(args[3]);
    } else if (attr == "lib-ver") {
      s.lib_ver = std::string(args[3]);
    } else {
      rb.Error("Unrecognized option '" + std::string(args[2]) + "'");
      return true;
    }
    rb.Ok();
  } else if (sub == "id" && args.size() == 2) {
    rb.Integer(s.id);
  } else if (sub == "kill" && args.size() == 3) {
    // The old form: CLIENT KILL ip:port.
    for (auto* other : std::set<ApiSession*>(sessions_)) {
      if (other->addr != args[2]) continue;
      rb.Ok();
      if (other == &s) return false;
      other->Close();
      return true;
    }
    rb.Error("No such client");
  } else if (sub == "kill" && args.size() % 2 == 0) {
    // CLIENT KILL [ID n] [ADDR ip:port] [SKIPME yes|no] ...
    std::optional<int64_t> id;
    std::optional<std::string> addr;
    bool skipme = true;
    for (size_t i = 2; i + 1 < args.size(); i += 2) {
      std::string filter = Lower(args[i]);
      if (filter == "id") {
        id = ParseInt64(args[i + 1]);
        if (!id || *id <= 0) {
          rb.Error("client-id should be greater than 0");
          return true;
        }
      } else if (filter == "addr") {
        addr = std::string(args[i + 1]);
      } else if (filter == "skipme" &&
                 (EqualsNoCase(args[i + 1], "yes") || EqualsNoCase(args[i + 1], "no"))) {
        skipme = EqualsNoCase(args[i + 1], "yes");
      } else {
        rb.Error(kSyntaxError);
        return true;
      }
    }
    int64_t killed = 0;
    bool self = false;
    for (auto* other : std::set<ApiSession*>(sessions_)) {
      if ((id && other->id != *id) || (addr && other->addr != *addr)) continue;
      if (other == &s) {
        if (skipme) continue;
        self = true;
      } else {
        other->Close();
      }
      ++killed;
    }
    rb.Integer(killed);
    return !self;
  } else if (sub == "list" && args.size() == 2) {
    std::string text;
    for (auto* other : sessions_) {
      text += "id=" + std::to_string(other->id) + " name=" + other->name +
              " lib-name=" + other->lib_name + " lib-ver=" + other->lib_ver +
              " sub=" + std::to_string(other->channels.size()) +
              " psub=" + std::to_string(other->patterns.size()) + "\n";
    }
    rb.Verbatim(text);
  } else if (args.size() >= 2) {
    rb.Error("unknown subcommand or wrong number of arguments for '" + std::string(args[1]) +
             "'. Try CLIENT HELP.");
  } else {
    rb.Error(ArityError(args[0]));
  }
  return true;
}

void ClientApi::Info(std::string_view section, ReplyBuilder& rb) {
  bool all = section == "default" || section == "all" || section == "everything";
  std::string out;
  int64_t now = core_->now();
  if (all || section == "server") {
    struct utsname u;
    uname(&u);
    out += "# Server\r\nredis_version:" + std::string(kRedisVersion) +
           "\r\nredis_mode:sentinel\r\nos:" + u.sysname + " " + u.release + " " + u.machine +
           "\r\narch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:" + std::to_string(getpid()) +
           "\r\nrun_id:" + core_->myid() +
           "\r\ntcp_port:" + std::to_string(core_->settings().port) +
           "\r\nuptime_in_seconds:" + std::to_string((now - started_ms_) / 1000) +
           "\r\nuptime_in_days:" + std::to_string((now - started_ms_) / 86400000) +
           "\r\nconfig_file:" + config_file_ + "\r\n";
  }
  if (all || section == "clients") {
    if (!out.empty()) out += "\r\n";
    out += "# Clients\r\nconnected_clients:" + std::to_string(sessions_.size()) + "\r\n";
  }
  if (all || section == "stats") {
    if (!out.empty()) out += "\r\n";
    out += "# Stats\r\ntotal_connections_received:" + std::to_string(connections_) +
           "\r\ntotal_commands_processed:" + std::to_string(commands_) + "\r\n";
  }
  if (all || section == "sentinel") {
    if (!out.empty()) out += "\r\n";
    out += "# Sentinel\r\nsentinel_masters:" + std::to_string(core_->masters().size()) +
           "\r\nsentinel_tilt:" + (core_->tilt() ? "1" : "0") + "\r\nsentinel_tilt_since_seconds:" +
           std::to_string(core_->tilt() ? (now - core_->tilt_since()) / 1000 : -1) +
           "\r\nsentinel_running_scripts:0\r\nsentinel_scripts_queue_length:0\r\n"
           "sentinel_simulate_failure_flags:0\r\n";
    int i = 0;
    for (const auto& [name, m] : core_->masters()) {
      const char* status = m->odown_since ? "odown" : m->node.sdown() ? "sdown" : "ok";
      Addr a = core_->CurrentAddr(*m);
      out += "master" + std::to_string(i++) + ":name=" + name + ",status=" + status +
             ",address=" + a.str() + ",slaves=" + std::to_string(m->replicas.size()) +
             ",sentinels=" + std::to_string(m->sentinels.size() + 1) + "\r\n";
    }
  }
  rb.Bulk(out);  // a bulk string even in RESP3, as Redis Sentinel's INFO
}

void ClientApi::InstanceFields(const Master& m, const Node* replica, ReplyBuilder& rb) {
  int64_t now = core_->now();
  const Node& n = replica ? *replica : core_->CurrentNode(m);
  std::vector<std::pair<std::string, std::string>> kv;
  auto add = [&](const char* k, const std::string& v) { kv.emplace_back(k, v); };
  auto ago = [&](int64_t t) { return std::to_string(t == 0 ? 0 : now - t); };
  add("name", replica ? n.addr.str() : m.cfg.name);
  add("ip", n.addr.host);
  add("port", std::to_string(n.addr.port));
  add("runid", n.run_id);
  add("flags", core_->Flags(m, n, replica == nullptr));
  add("link-pending-commands",
      std::to_string((n.ping_pending_since ? 1 : 0) + (n.info_pending ? 1 : 0)));
  add("link-refcount", "1");
  add("last-ping-sent", std::to_string(n.ping_pending_since ? now - n.ping_pending_since : 0));
  add("last-ok-ping-reply", ago(n.last_ok_ping));
  add("last-ping-reply", ago(n.last_ping_reply));
  if (n.sdown()) add("s-down-time", ago(n.sdown_since));
  if (!replica && m.odown_since && &n == &m.node) add("o-down-time", ago(m.odown_since));
  add("down-after-milliseconds", std::to_string(m.cfg.down_after_ms));
  add("info-refresh", ago(n.info_refresh));
  add("role-reported", n.role == Role::kReplica ? "slave" : "master");
  add("role-reported-time", ago(n.role_time ? n.role_time : n.created_ms));
  if (!replica) {
    add("config-epoch", std::to_string(m.cfg.config_epoch));
    add("num-slaves", std::to_string(m.replicas.size()));
    add("num-other-sentinels", std::to_string(m.sentinels.size()));
    add("quorum", std::to_string(m.cfg.quorum));
    add("failover-timeout", std::to_string(m.cfg.failover_timeout_ms));
    add("parallel-syncs", std::to_string(m.cfg.parallel_syncs));
  } else {
    add("master-link-down-time",
        std::to_string(n.master_link_down_since ? now - n.master_link_down_since : 0));
    add("master-link-status", n.master_link_up ? "ok" : "err");
    add("master-host", n.master_host.empty() ? "?" : n.master_host);
    add("master-port", std::to_string(n.master_port));
    add("slave-priority", std::to_string(n.priority));
    add("slave-repl-offset", std::to_string(n.repl_offset));
    add("replica-announced", n.announced ? "1" : "0");
  }
  Fields(rb, kv);
}

void ClientApi::PeerFields(const Master& m, const Peer& p, ReplyBuilder& rb) {
  int64_t now = core_->now();
  auto ago = [&](int64_t t) { return std::to_string(t == 0 ? 0 : now - t); };
  Fields(rb, {{"name", p.addr.run_id},
              {"ip", p.addr.ip},
              {"port", std::to_string(p.addr.port)},
              {"runid", p.addr.run_id},
              {"flags", core_->PeerFlags(m, p)},
              {"link-pending-commands", std::to_string(p.down_pending ? 1 : 0)},
              {"link-refcount", "1"},
              {"last-ping-sent", "0"},
              {"last-ok-ping-reply", ago(p.last_hello)},
              {"last-ping-reply", ago(p.last_hello)},
              {"down-after-milliseconds", std::to_string(m.cfg.down_after_ms)},
              {"last-hello-message", ago(p.last_hello)},
              {"voted-leader", p.leader.empty() ? "?" : p.leader},
              {"voted-leader-epoch", std::to_string(p.leader_epoch)}});
}

void ClientApi::SentinelCommand(const std::vector<std::string_view>& args, ReplyBuilder& rb) {
  if (args.size() < 2) {
    rb.Error(ArityError(args[0]));
    return;
  }
  std::string sub = Lower(args[1]);
  auto arity = [&](size_t n) {
    if (args.size() == n) return true;
    rb.Error("wrong number of arguments for 'sentinel|" + sub + "' command");
    return false;
  };
  auto master = [&](size_t i) -> Master* {
    Master* m = core_->Find(args[i]);
    if (m == nullptr) rb.Error("No such master with that name");
    return m;
  };
  if (sub == "masters") {
    if (!arity(2)) return;
    rb.ArrayHeader(core_->masters().size());
    for (const auto& [name, m] : core_->masters()) InstanceFields(*m, nullptr, rb);
  } else if (sub == "master") {
    if (!arity(3)) return;
    if (Master* m = master(2)) InstanceFields(*m, nullptr, rb);
  } else if (sub == "replicas" || sub == "slaves") {
    if (!arity(3)) return;
    if (Master* m = master(2)) {
      rb.ArrayHeader(m->replicas.size());
      for (const auto& [key, r] : m->replicas) InstanceFields(*m, &r, rb);
    }
  } else if (sub == "sentinels") {
    if (!arity(3)) return;
    if (Master* m = master(2)) {
      rb.ArrayHeader(m->sentinels.size());
      for (const auto& [id, p] : m->sentinels) PeerFields(*m, p, rb);
    }
  } else if (sub == "get-master-addr-by-name") {
    if (!arity(3)) return;
    Master* m = core_->Find(args[2]);
    if (m == nullptr) {
      rb.NullArray();
      return;
    }
    Addr a = core_->CurrentAddr(*m);
    rb.ArrayHeader(2);
    rb.Bulk(a.host);
    rb.Bulk(std::to_string(a.port));
  } else if (sub == "is-master-down-by-addr") {
    if (!arity(6)) return;
    auto port = ParseInt64(args[3]);
    auto epoch = ParseInt64(args[4]);
    if (!port || !epoch) {
      rb.Error("value is not an integer or out of range");
      return;
    }
    pb::DownRequest req;
    req.set_ip(std::string(args[2]));
    req.set_port(int32_t(*port));
    req.set_current_epoch(*epoch);
    req.set_run_id(std::string(args[5]));
    pb::DownReply r = core_->OnIsMasterDown(req);
    rb.ArrayHeader(3);
    rb.Integer(r.down() ? 1 : 0);
    rb.Bulk(r.leader());
    rb.Integer(r.leader_epoch());
  } else if (sub == "failover") {
    if (!arity(3)) return;
    if (Master* m = master(2)) {
      std::string err = core_->ForceFailover(m);
      err.empty() ? rb.Ok() : rb.Error(err);
    }
  } else if (sub == "reset") {
    if (!arity(3)) return;
    rb.Integer(core_->Reset(args[2]));
  } else if (sub == "ckquorum") {
    if (!arity(3)) return;
    if (Master* m = master(2)) {
      std::string ok;
      std::string err = core_->CheckQuorum(*m, &ok);
      err.empty() ? rb.SimpleString(ok) : rb.Error(err);
    }
  } else if (sub == "myid") {
    if (!arity(2)) return;
    rb.Bulk(core_->myid());
  } else if (sub == "monitor") {
    if (!arity(6)) return;
    MonitorSettings cfg;
    cfg.name = std::string(args[2]);
    cfg.addr.host = std::string(args[3]);
    auto port = ParseInt64(args[4]);
    auto quorum = ParseInt64(args[5]);
    if (!port || *port <= 0 || *port > 65535) {
      rb.Error("Invalid port number");
      return;
    }
    if (!quorum || *quorum <= 0) {
      rb.Error("Quorum must be 1 or greater.");
      return;
    }
    cfg.addr.port = int(*port);
    cfg.quorum = int(*quorum);
    std::string err = core_->Monitor(cfg);
    err.empty() ? rb.Ok() : rb.Error(err);
  } else if (sub == "remove") {
    if (!arity(3)) return;
    std::string err = core_->Remove(args[2]);
    err.empty() ? rb.Ok() : rb.Error(err);
  } else if (sub == "set") {
    if (args.size() < 5 || args.size() % 2 == 0) {
      rb.Error("wrong number of arguments for 'sentinel|set' command");
      return;
    }
    Master* m = master(2);
    if (m == nullptr) return;
    for (size_t i = 3; i + 1 < args.size(); i += 2) {
      std::string err = core_->SetOption(m, args[i], args[i + 1]);
      if (!err.empty()) {
        rb.Error(err);
        return;
      }
    }
    rb.Ok();
  } else if (sub == "config") {
    if (args.size() < 4) {
      rb.Error("Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.");
      return;
    }
    auto& st = core_->mutable_settings();
    std::vector<std::pair<std::string, std::string*>> strings = {{"announce-ip", &st.announce_ip}};
    std::vector<std::pair<std::string, bool*>> bools = {
        {"resolve-hostnames", &st.resolve_hostnames},
        {"announce-hostnames", &st.announce_hostnames}};
    if (EqualsNoCase(args[2], "get") && args.size() == 4) {
      std::vector<std::pair<std::string, std::string>> kv;
      auto want = [&](const std::string& k) { return GlobMatch(args[3], k, true); };
      for (auto& [k, b] : bools) {
        if (want(k)) kv.emplace_back(k, *b ? "yes" : "no");
      }
      for (auto& [k, v] : strings) {
        if (want(k)) kv.emplace_back(k, *v);
      }
      if (want("announce-port")) kv.emplace_back("announce-port", std::to_string(st.announce_port));
      Fields(rb, kv);
    } else if (EqualsNoCase(args[2], "set") && args.size() == 5) {
      std::string key = Lower(args[3]);
      std::string value(args[4]);
      if (key != "announce-ip" && key != "announce-port" && key != "resolve-hostnames" &&
          key != "announce-hostnames") {
        rb.Error("Invalid argument '" + std::string(args[3]) + "' to SENTINEL CONFIG SET");
        return;
      }
      if (auto err = SetSetting(&st, key, value)) {
        rb.Error("Invalid value '" + value + "' to SENTINEL CONFIG SET '" + key + "'");
        return;
      }
      core_->Save();
      rb.Ok();
    } else {
      rb.Error("Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.");
    }
  } else {
    rb.Error("unknown subcommand '" + std::string(args[1]) + "'. Try SENTINEL HELP.");
  }
}

}  // namespace ember::sentinel
