#include "sentinel/transport.h"

#include <chrono>
#include <future>

#include "common/log.h"
#include "common/strings.h"

namespace ember::sentinel {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kConnectTimeout = std::chrono::milliseconds(1000);
constexpr auto kPeerDeadline = std::chrono::milliseconds(500);
constexpr auto kIoThreadWait = std::chrono::milliseconds(2000);
constexpr size_t kMaxPeerQueue = 64;
constexpr auto kRedialGrace = std::chrono::milliseconds(200);

// Position after the "\r\n" ending the line at `pos`, or npos.
size_t LineEnd(std::string_view data, size_t pos) {
  size_t nl = data.find("\r\n", pos);
  return nl == std::string_view::npos ? nl : nl + 2;
}

int64_t ParseAt(std::string_view data, size_t pos, Reply* out, int depth) {
  if (pos >= data.size()) return 0;
  if (depth > 8) return -1;
  size_t end = LineEnd(data, pos);
  if (end == std::string_view::npos) return data.size() - pos > 64 * 1024 ? -1 : 0;
  std::string_view line = data.substr(pos + 1, end - pos - 3);
  out->type = data[pos];
  switch (out->type) {
    case '+':
    case '-':
      out->str = std::string(line);
      return int64_t(end - pos);
    case ':': {
      auto n = ParseInt64(line);
      if (!n) return -1;
      out->integer = *n;
      return int64_t(end - pos);
    }
    case '$': {
      auto n = ParseInt64(line);
      if (!n || *n < -1 || *n > 64 * 1024 * 1024) return -1;
      if (*n == -1) {
        out->null = true;
        return int64_t(end - pos);
      }
      if (data.size() < end + size_t(*n) + 2) return 0;
      out->str = std::string(data.substr(end, size_t(*n)));
      return int64_t(end + size_t(*n) + 2 - pos);
    }
    case '*': {
      auto n = ParseInt64(line);
      if (!n || *n < -1 || *n > 1024 * 1024) return -1;
      if (*n == -1) {
        out->null = true;
        return int64_t(end - pos);
      }
      size_t at = end;
      out->elems.resize(size_t(*n));
      for (auto& e : out->elems) {
        int64_t used = ParseAt(data, at, &e, depth + 1);
        if (used <= 0) return used;
        at += size_t(used);
      }
      return int64_t(at - pos);
    }
    default:
      return -1;
  }
}

std::string Encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}
}  // namespace

int64_t ReplyReader::Parse(std::string_view data, Reply* out) { return ParseAt(data, 0, out, 0); }

// ---------------------------------------------------------------------------------------------
// Data node links

struct AsioTransport::Link {
  Link(asio::io_context& io, Addr a) : addr(std::move(a)), socket(io), resolver(io), timer(io) {}
  Addr addr;
  tcp::socket socket;
  tcp::resolver resolver;
  asio::steady_timer timer;
  uint64_t generation = 0;  // bumped by every Fail: handlers of an older connection stop
  bool connecting = false;
  bool connected = false;
  bool writing = false;
  // When an established connection dropped and is being dialled again (see NodeConnected).
  std::chrono::steady_clock::time_point redial_since{};
  std::string auth;
  std::string out;  // encoded commands not yet handed to the socket
  std::string in_flight;
  std::string in;
  std::array<char, 16 * 1024> buf;
  std::deque<ReplyFn> callbacks;
};

AsioTransport::AsioTransport(asio::io_context* io) : io_(io) {}
AsioTransport::~AsioTransport() { Stop(); }

void AsioTransport::NodeCommand(const Addr& node, const std::string& auth,
                                std::vector<std::string> args, ReplyFn fn) {
  auto& link = links_[node.str()];
  if (!link) link = std::make_shared<Link>(*io_, node);
  if (!link->connected && !link->connecting) {
    link->auth = auth;
    Connect(link);
  }
  link->out += Encode(args);
  link->callbacks.push_back(std::move(fn));
  Flush(link);
}

void AsioTransport::Connect(const std::shared_ptr<Link>& link) {
  link->connecting = true;
  uint64_t gen = link->generation;
  if (!link->auth.empty()) {
    // AUTH first; its reply is not interesting (a wrong password shows in the PING replies).
    link->out.insert(0, Encode({"AUTH", link->auth}));
    link->callbacks.push_front([](const Reply*) {});
  }
  link->timer.expires_after(kConnectTimeout);
  link->timer.async_wait([this, link, gen](const boost::system::error_code& ec) {
    if (!ec && link->generation == gen && link->connecting) Fail(link);
  });
  auto on_connect = [this, link, gen](const boost::system::error_code& ec) {
    if (link->generation != gen) return;
    if (ec) {
      Fail(link);
      return;
    }
    link->timer.cancel();
    link->connecting = false;
    link->connected = true;
    boost::system::error_code ignored;
    link->socket.set_option(tcp::no_delay(true), ignored);
    Read(link);
    Flush(link);
  };
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(link->addr.host, ec);
  if (!ec) {
    link->socket.async_connect(tcp::endpoint(ip, uint16_t(link->addr.port)), on_connect);
    return;
  }
  link->resolver.async_resolve(link->addr.host, std::to_string(link->addr.port),
                               [this, link, gen, on_connect](const boost::system::error_code& ec,
                                                             tcp::resolver::results_type results) {
                                 if (link->generation != gen) return;
                                 if (ec || results.empty()) {
                                   Fail(link);
                                   return;
                                 }
                                 link->socket.async_connect(*results.begin(), on_connect);
                               });
}

void AsioTransport::Fail(const std::shared_ptr<Link>& link) {
  // An established link that drops (CLIENT KILL, a restart) is dialled again at once, so the
  // node does not show as disconnected until the next PING; a failed dial waits for it.
  bool redial = link->connected;
  if (redial) link->redial_since = std::chrono::steady_clock::now();
  link->generation++;
  boost::system::error_code ignored;
  link->socket.close(ignored);
  link->resolver.cancel();
  link->timer.cancel();
  link->connecting = link->connected = link->writing = false;
  link->out.clear();
  link->in.clear();
  auto callbacks = std::move(link->callbacks);
  link->callbacks.clear();
  for (auto& cb : callbacks) cb(nullptr);
  if (redial && !link->connected && !link->connecting) Connect(link);
}

void AsioTransport::Flush(const std::shared_ptr<Link>& link) {
  if (!link->connected || link->writing || link->out.empty()) return;
  link->writing = true;
  link->in_flight.swap(link->out);
  link->out.clear();
  uint64_t gen = link->generation;
  asio::async_write(link->socket, asio::buffer(link->in_flight),
                    [this, link, gen](const boost::system::error_code& ec, size_t) {
                      if (link->generation != gen) return;
                      link->writing = false;
                      link->in_flight.clear();
                      if (ec) {
                        Fail(link);
                        return;
                      }
                      Flush(link);
                    });
}

void AsioTransport::Read(const std::shared_ptr<Link>& link) {
  uint64_t gen = link->generation;
  link->socket.async_read_some(
      asio::buffer(link->buf), [this, link, gen](const boost::system::error_code& ec, size_t n) {
        if (link->generation != gen) return;
        if (ec) {
          Fail(link);
          return;
        }
        link->in.append(link->buf.data(), n);
        size_t pos = 0;
        while (pos < link->in.size()) {
          Reply reply;
          int64_t used = ReplyReader::Parse(std::string_view(link->in).substr(pos), &reply);
          if (used < 0 || (used > 0 && link->callbacks.empty())) {
            EMBER_LOG(kWarning, "Bad reply from %s: link closed", link->addr.str().c_str());
            Fail(link);
            return;
          }
          if (used == 0) break;
          pos += size_t(used);
          ReplyFn cb = std::move(link->callbacks.front());
          link->callbacks.pop_front();
          cb(&reply);
          if (link->generation != gen) return;  // the callback dropped the link
        }
        link->in.erase(0, pos);
        Read(link);
      });
}

void AsioTransport::NodeDrop(const Addr& node) {
  auto it = links_.find(node.str());
  if (it != links_.end()) Fail(it->second);
}

bool AsioTransport::NodeConnected(const Addr& node) {
  auto it = links_.find(node.str());
  if (it == links_.end()) return false;
  const Link& link = *it->second;
  // A link that dropped and is being dialled again (a CLIENT KILL at a promotion) is not the
  // node being unreachable: it counts as connected for kRedialGrace, as the new dial takes
  // about a millisecond on a LAN. A dial that fails ends it.
  return link.connected ||
         (link.connecting && std::chrono::steady_clock::now() - link.redial_since < kRedialGrace);
}

// ---------------------------------------------------------------------------------------------
// Other sentinels

struct AsioTransport::PeerClient {
  explicit PeerClient(const std::string& address) {
    grpc::ChannelArguments args;
    // Find a restarted peer within a second, not after gRPC's default backoff of minutes.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    stub = pb::SentinelPeer::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
    thread = std::thread([this] { Loop(); });
  }
  ~PeerClient() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    thread.join();
  }
  // A job gets a null stub when it is dropped (a peer so slow that kMaxPeerQueue calls wait):
  // it must still report the failure, or its caller would wait for it forever.
  void Post(std::function<void(pb::SentinelPeer::Stub*)> job) {
    std::function<void(pb::SentinelPeer::Stub*)> dropped;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (jobs.size() >= kMaxPeerQueue) {
        dropped = std::move(jobs.front());
        jobs.pop_front();
      }
      jobs.push_back(std::move(job));
    }
    cv.notify_one();
    if (dropped) dropped(nullptr);
  }
  void Loop() {
    for (;;) {
      std::function<void(pb::SentinelPeer::Stub*)> job;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stop || !jobs.empty(); });
        if (stop) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      job(stub.get());
    }
  }
  std::unique_ptr<pb::SentinelPeer::Stub> stub;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void(pb::SentinelPeer::Stub*)>> jobs;
  bool stop = false;
  std::thread thread;
};

AsioTransport::PeerClient& AsioTransport::Peer(const std::string& address) {
  auto& p = peers_[address];
  if (!p) p = std::make_unique<PeerClient>(address);
  return *p;
}

namespace {
// One unary call to a peer on its thread, the reply (or null) delivered on the Asio thread.
template <typename Request, typename Reply, typename Method>
std::function<void(pb::SentinelPeer::Stub*)> PeerCall(asio::io_context* io, Method method,
                                                      Request req,
                                                      std::function<void(const Reply*)> fn) {
  return [io, method, req = std::move(req), fn = std::move(fn)](pb::SentinelPeer::Stub* stub) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kPeerDeadline);
    auto reply = std::make_shared<Reply>();
    bool ok = stub != nullptr && (stub->*method)(&ctx, req, reply.get()).ok();
    asio::post(*io, [fn, reply, ok] { fn(ok ? reply.get() : nullptr); });
  };
}
}  // namespace

void AsioTransport::PeerExchange(const std::string& peer, const pb::Hello& hello,
                                 std::function<void(const pb::Hello*)> fn) {
  Peer(peer).Post(
      PeerCall<pb::Hello, pb::Hello>(io_, &pb::SentinelPeer::Stub::Exchange, hello, std::move(fn)));
}

void AsioTransport::PeerIsMasterDown(const std::string& peer, const pb::DownRequest& req,
                                     std::function<void(const pb::DownReply*)> fn) {
  Peer(peer).Post(PeerCall<pb::DownRequest, pb::DownReply>(
      io_, &pb::SentinelPeer::Stub::IsMasterDown, req, std::move(fn)));
}

void AsioTransport::Stop() { peers_.clear(); }

// ---------------------------------------------------------------------------------------------
// The peer service

template <typename Fn>
grpc::Status PeerService::OnIoThread(Fn fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto result = done->get_future();
  asio::post(*io_, [fn, done]() mutable {
    fn();
    done->set_value();
  });
  if (result.wait_for(kIoThreadWait) != std::future_status::ready) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "sentinel busy");
  }
  return grpc::Status::OK;
}

grpc::Status PeerService::Exchange(grpc::ServerContext*, const pb::Hello* req, pb::Hello* reply) {
  auto out = std::make_shared<pb::Hello>();
  auto in = std::make_shared<pb::Hello>(*req);
  auto status = OnIoThread([this, in, out] {
    core_->OnHello(*in);
    *out = core_->MakeHello();
  });
  if (status.ok()) *reply = *out;
  return status;
}

grpc::Status PeerService::IsMasterDown(grpc::ServerContext*, const pb::DownRequest* req,
                                       pb::DownReply* reply) {
  auto out = std::make_shared<pb::DownReply>();
  auto in = std::make_shared<pb::DownRequest>(*req);
  auto status = OnIoThread([this, in, out] { *out = core_->OnIsMasterDown(*in); });
  if (status.ok()) *reply = *out;
  return status;
}

}  // namespace ember::sentinel
