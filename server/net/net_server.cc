#include "server/net/net_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <sstream>

#include "common/log.h"
#include "common/resp_parser.h"
#include "common/strings.h"
#include "server/errors.h"
#include "server/persist/aof.h"

namespace ember {

namespace asio = boost::asio;
using asio::ip::tcp;

class Session;
// Sessions of this I/O thread whose output waits for the AOF (Session::AwaitAof), let go by
// NetServer::RunLoop once the log got there.
thread_local std::vector<std::shared_ptr<Session>> t_held_for_aof;

// One client connection. Its handlers all run on its io_context's single thread.
//
// Requests are read, run and answered in turns: a read, every complete request in it under
// one hold of the engine lock, one write, and only then the next read, so a client that
// pipelines without reading its replies is slowed instead of buffered. Two states keep reading
// while a write is out, to notice the peer leaving and to take its next commands: a client
// waiting in a blocking command (its later requests stay queued until the wait ends) and a
// subscriber. Output that is not a reply to the current request (pub/sub messages, the reply
// of a blocking command served by someone else's write) arrives from any thread through
// Deliver / Unblocked, which post it here.
class Session : public ClientState, public std::enable_shared_from_this<Session> {
 public:
  Session(NetServer* server, tcp::socket socket)
      : server_(server),
        engine_(server->engine_),
        socket_(std::move(socket)),
        block_timer_(socket_.get_executor()) {}

  void Start() {
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    SetKeepAlive();
    auto remote = socket_.remote_endpoint(ec);
    auto local = socket_.local_endpoint(ec);
    addr = Format(remote);
    laddr = Format(local);
    fd = socket_.native_handle();
    bool loopback = remote.address().is_loopback();
    {
      std::lock_guard lk(engine_->mu());
      id = engine_->NextClientId();
      ctime_ms = last_interaction_ms = engine_->clock().NowMs();
      authenticated = engine_->AuthNotRequired();
      auto& cfg = engine_->config();
      if (server_->connected.load() >= cfg.maxclients.load()) {
        ++engine_->stats().rejected_connections;
        return Reject(std::string("-ERR ") + errors::kMaxClients + "\r\n");
      }
      if (cfg.protected_mode.load() && !engine_->IsPasswordSet() && !loopback) {
        ++engine_->stats().rejected_connections;
        return Reject(std::string(errors::kProtectedMode) + "\r\n");
      }
      engine_->RegisterClient(this);
      registered_ = true;
    }
    ++server_->connected;
    rbuf_.resize(kReadChunk);
    Pump();
  }

  // Called under the engine lock from any thread (CLIENT KILL, idle timeout).
  void RequestClose() override {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      if (self->writing_) {
        self->close_after_reply = true;
      } else {
        self->Close();
      }
    });
  }
  size_t QueryBufferBytes() const override { return rlen_; }
  size_t OutputBufferBytes() const override { return buffered_.load() + posted_.load(); }

  // Under the engine lock, from any thread.
  void Deliver(std::string_view bytes) override {
    if (dropped_) return;
    posted_ += bytes.size();
    if (OverOutputLimit()) {
      dropped_ = true;
      EMBER_LOG(kWarning,
                "Client id=%llu addr=%s scheduled to be closed ASAP for overcoming of output "
                "buffer limits.",
                (unsigned long long)id, addr.c_str());
      asio::post(socket_.get_executor(), [self = shared_from_this()] { self->Close(); });
      return;
    }
    asio::post(socket_.get_executor(), [self = shared_from_this(), data = std::string(bytes),
                                        barrier = engine_->aof().ReplyBarrier()] {
      self->posted_ -= data.size();
      self->out_ += data;
      self->reply_barrier_ = std::max(self->reply_barrier_, barrier);
      self->Pump();
    });
  }

  // Under the engine lock, from any thread.
  void Unblocked(std::string reply) override {
    asio::post(socket_.get_executor(), [self = shared_from_this(), reply = std::move(reply),
                                        barrier = engine_->aof().ReplyBarrier()] {
      self->block_timer_.cancel();
      self->waiting_ = false;
      self->unprocessed_ = true;  // requests that came in during the wait
      self->out_ += reply;
      self->reply_barrier_ = std::max(self->reply_barrier_, barrier);
      self->Pump();
    });
  }

  // Under the engine lock, on this session's thread (one of its own commands blocked).
  void Blocked(int64_t deadline_ms) override {
    waiting_ = true;
    if (deadline_ms == 0) return;
    int64_t delay = deadline_ms - engine_->clock().NowMs() + 1;
    block_timer_.expires_after(std::chrono::milliseconds(std::max<int64_t>(delay, 0)));
    block_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;
      std::lock_guard lk(self->engine_->mu());
      self->engine_->ExpireBlocked();
    });
  }

 private:
  static constexpr size_t kReadChunk = 16 * 1024;

  static std::string Format(const tcp::endpoint& ep) {
    std::ostringstream out;
    out << ep.address().to_string() << ':' << ep.port();
    return out.str();
  }

  void SetKeepAlive() {
    int interval = int(engine_->config().tcp_keepalive.load());
    if (interval <= 0) return;
    int fd = socket_.native_handle(), yes = 1, probes = 3, intvl = std::max(1, interval / 3);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof(yes));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &interval, sizeof(interval));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof(probes));
  }

  void Reject(std::string reply) {
    out_ = std::move(reply);
    close_after_reply = true;
    Pump();
  }

  // client-output-buffer-limit for the client's class (Redis's checkClientOutputBufferLimits).
  // Under the engine lock.
  bool OverOutputLimit() {
    const auto& limit =
        engine_->config()
            .obuf_limits[subscribed() ? ServerConfig::kPubSubClient : ServerConfig::kNormalClient];
    int64_t hard = limit[0].load(), soft = limit[1].load(), soft_seconds = limit[2].load();
    int64_t used = int64_t(OutputBufferBytes());
    if (hard > 0 && used >= hard) return true;
    if (soft > 0 && used >= soft) {
      int64_t now = engine_->clock().NowMs();
      if (soft_since_ms_ == 0) {
        soft_since_ms_ = now;
      } else if (now - soft_since_ms_ > soft_seconds * 1000) {
        return true;
      }
    } else {
      soft_since_ms_ = 0;
    }
    return false;
  }

  // Moves the connection along after anything happened: runs unprocessed requests, starts a
  // write if there is output, and a read when the state allows one.
  void Pump() {
    if (closed_) return;
    if (unprocessed_ && !waiting_ && !close_after_reply) ProcessInput();
    if (!writing_ && !held_) {
      if (!out_.empty()) {
        if (!AwaitAof()) StartWrite();
      } else if (close_after_reply) {
        return Close();
      }
    }
    bool busy = writing_ || held_;
    bool read_during_write = waiting_ || subscribed();
    if (!reading_ && !close_after_reply && (!busy || read_during_write)) StartRead();
    buffered_ = out_.size() + wbuf_.size();
  }

  // With the AOF on, output leaves only once the effects logged before it are in the file
  // (and on disk, with appendfsync always): the session is held until the I/O thread, out of
  // work, has committed the log for everyone (RunLoop). True while held.
  bool AwaitAof() {
    if (reply_barrier_ == 0 || engine_->aof().Released(reply_barrier_)) return false;
    held_ = true;
    t_held_for_aof.push_back(shared_from_this());
    return true;
  }

 public:
  // RunLoop, on this session's thread: lets a held session go if the log got there.
  bool ReleaseIfLogged() {
    if (!engine_->aof().Released(reply_barrier_)) return false;
    held_ = false;
    Pump();
    return true;
  }

 private:
  void StartRead() {
    if (waiting_ && rlen_ > size_t(engine_->config().client_query_buffer_limit.load())) {
      return Close();  // a waiting client that keeps sending
    }
    size_t want = std::max(parser_.BytesWanted(), rlen_ + kReadChunk);
    if (rbuf_.size() < want) rbuf_.resize(want);
    reading_ = true;
    socket_.async_read_some(
        asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_),
        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
          self->reading_ = false;
          if (ec) return self->Close();
          self->rlen_ += n;
          self->input_bytes_ += n;
          self->unprocessed_ = true;
          self->Pump();
        });
  }

  void StartWrite() {
    writing_ = true;
    wbuf_.swap(out_);
    asio::async_write(socket_, asio::buffer(wbuf_),
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        self->writing_ = false;
                        if (ec) return self->Close();
                        self->wbuf_.clear();
                        if (self->wbuf_.capacity() > 1024 * 1024) self->wbuf_.shrink_to_fit();
                        self->Pump();
                      });
  }

  // Runs every complete request in the buffer under one hold of the engine lock, up to one
  // that makes the client wait.
  void ProcessInput() {
    unprocessed_ = false;
    size_t pos = 0;
    bool protocol_error = false;
    {
      engine_->lock_waiters().fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lk(engine_->mu());
      engine_->lock_waiters().fetch_sub(1, std::memory_order_relaxed);
      RequestParser::Limits limits;
      limits.max_bulk_len = engine_->config().proto_max_bulk_len.load();
      ReplyBuilder rb(&out_);
      size_t out_before = out_.size();
      engine_->BeginBatch();
      while (pos < rlen_ && !close_after_reply && !waiting_) {
        limits.auth_required = !authenticated;
        size_t consumed = 0;
        auto status =
            parser_.Parse(std::string_view(rbuf_.data() + pos, rlen_ - pos), limits, &consumed);
        if (status == RequestParser::Status::kIncomplete) break;
        if (status == RequestParser::Status::kError) {
          rb.Error(parser_.error());
          EMBER_LOG(kVerbose, "Protocol error (%s) from client: id=%llu addr=%s",
                    parser_.error().c_str(), (unsigned long long)id, addr.c_str());
          protocol_error = true;
          break;
        }
        const auto& args = parser_.args();
        if (!args.empty()) {
          rb.SetResp3(resp3);
          engine_->ExecuteInBatch(*this, CmdArgs(args.data(), args.size()), rb);
        }
        pos += consumed;
      }
      auto& stats = engine_->stats();
      stats.total_net_input_bytes += input_bytes_;
      stats.total_net_output_bytes += out_.size() - out_before;
      input_bytes_ = 0;
      if (rlen_ - pos > size_t(engine_->config().client_query_buffer_limit.load())) {
        EMBER_LOG(kWarning, "Closing client that reached max query buffer length: id=%llu addr=%s",
                  (unsigned long long)id, addr.c_str());
        protocol_error = true;
      }
      if (engine_->shutdown_requested) server_->Stop();
      reply_barrier_ = std::max(reply_barrier_, engine_->aof().ReplyBarrier());
    }
    if (protocol_error) close_after_reply = true;
    // Keep the unparsed tail at the front of the buffer.
    if (pos > 0) {
      memmove(rbuf_.data(), rbuf_.data() + pos, rlen_ - pos);
      rlen_ -= pos;
    }
    if (rbuf_.size() > 4 * kReadChunk && rlen_ < kReadChunk && parser_.BytesWanted() == 0) {
      rbuf_.resize(kReadChunk);  // give back a large request's buffer
      rbuf_.shrink_to_fit();
    }
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    block_timer_.cancel();
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    if (registered_) {
      std::lock_guard lk(engine_->mu());
      engine_->UnregisterClient(this);
      --server_->connected;
    }
  }

  NetServer* server_;
  Engine* engine_;
  tcp::socket socket_;
  asio::steady_timer block_timer_;
  std::vector<char> rbuf_;
  size_t rlen_ = 0;
  std::string out_;   // replies and messages not yet handed to a write
  std::string wbuf_;  // the write in flight
  RequestParser parser_;
  uint64_t input_bytes_ = 0;
  bool reading_ = false;
  bool writing_ = false;
  bool unprocessed_ = false;  // rbuf_ may hold requests not yet run
  bool waiting_ = false;      // a blocking command of ours is waiting
  bool closed_ = false;
  bool registered_ = false;
  bool held_ = false;           // output waits for the AOF (t_held_for_aof)
  uint64_t reply_barrier_ = 0;  // the AOF offset out_ waits for
  // Output accounting for client-output-buffer-limit: bytes in out_ and wbuf_ (set on this
  // thread), and bytes posted by Deliver that have not reached out_ yet.
  std::atomic<size_t> buffered_{0}, posted_{0};
  bool dropped_ = false;       // under the engine lock
  int64_t soft_since_ms_ = 0;  // under the engine lock
};

NetServer::NetServer(Engine* engine)
    : engine_(engine),
      contexts_([&] {
        std::vector<std::unique_ptr<asio::io_context>> v;
        int64_t n = engine->config().io_threads.load();
        // Auto: half the cores. Measured on 2 cores with redis-benchmark on the same machine,
        // one I/O thread beat two (the client needs the other core; see README).
        if (n <= 0) n = std::max(1u, std::thread::hardware_concurrency() / 2);
        for (int64_t i = 0; i < n; ++i) v.push_back(std::make_unique<asio::io_context>(1));
        return v;
      }()),
      cron_timer_(*contexts_[0]),
      signals_(*contexts_[0], SIGINT, SIGTERM) {
  for (auto& c : contexts_) guards_.emplace_back(c->get_executor());
}

NetServer::~NetServer() { Stop(); }

asio::io_context& NetServer::NextContext() {
  asio::io_context& c = *contexts_[next_context_];
  next_context_ = (next_context_ + 1) % contexts_.size();
  return c;
}

std::optional<std::string> NetServer::Listen() {
  std::string bind;
  int port;
  int backlog;
  {
    std::lock_guard lk(engine_->mu());
    bind = engine_->config().bind;
    port = int(engine_->config().port.load());
    backlog = int(engine_->config().tcp_backlog.load());
  }
  for (const auto& [addr, optional] : ParseBind(bind)) {
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(addr, ec);
    if (ec) return "bad bind address '" + addr + "'";
    tcp::endpoint ep(ip, uint16_t(port));
    tcp::acceptor acceptor(*contexts_[0]);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && ip.is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(backlog, ec);
    if (ec) {
      if (optional) continue;
      return "Could not create server TCP listening socket " + addr + ":" + std::to_string(port) +
             ": " + ec.message();
    }
    acceptors_.push_back(std::move(acceptor));
  }
  if (acceptors_.empty()) return "no address to listen on";
  return std::nullopt;
}

void NetServer::Accept(size_t index) {
  acceptors_[index].async_accept(
      NextContext(), [this, index](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          // Start the session on its own thread.
          auto exec = socket.get_executor();
          asio::post(exec, [this, s = std::move(socket)]() mutable {
            std::make_shared<Session>(this, std::move(s))->Start();
          });
        } else {
          EMBER_LOG(kWarning, "Accepting client connection: %s", ec.message().c_str());
        }
        Accept(index);
      });
}

void NetServer::ScheduleCron(int64_t delay_ms) {
  cron_timer_.expires_after(std::chrono::milliseconds(delay_ms));
  cron_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    int64_t next;
    {
      std::lock_guard lk(engine_->mu());
      next = engine_->Cron();
    }
    ScheduleCron(next);
  });
}

void NetServer::Run() {
  for (size_t i = 0; i < acceptors_.size(); ++i) Accept(i);
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    EMBER_LOG(kWarning, "Received %s, scheduling shutdown...",
              sig == SIGINT ? "SIGINT" : "SIGTERM");
    Stop();
  });
  ScheduleCron(100);
  for (size_t i = 1; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, c = contexts_[i].get()] { RunLoop(*c); });
  }
  RunLoop(*contexts_[0]);
  for (auto& t : threads_) t.join();
  threads_.clear();
}

// Runs an io_context, polling for up to kSpinUs after the last handler before it sleeps in
// epoll_wait. Under load the next request usually arrives within that window, so the thread
// skips a sleep and wake-up per request (the scheduler's switch cost was ~20-30% of the
// server's CPU at 100k requests/s); an idle server still sleeps.
//
// With the AOF on, replies wait for the log (Session::AwaitAof): when the loop finds nothing
// ready, it commits the log for all of them at once (write, and fsync with appendfsync always),
// as Redis flushes its AOF before it sleeps, then lets its held sessions go. While another
// thread's commit runs, a thread with held sessions naps in short steps instead of sleeping
// for good.
void NetServer::RunLoop(asio::io_context& ctx) {
  constexpr auto kSpin = std::chrono::microseconds(50);
  constexpr auto kNap = std::chrono::microseconds(100);
  Aof& aof = engine_->aof();
  std::vector<std::shared_ptr<Session>> held;
  auto last_work = std::chrono::steady_clock::now();
  while (!ctx.stopped()) {
    if (ctx.poll() > 0) {
      last_work = std::chrono::steady_clock::now();
      continue;
    }
    if (aof.Commit()) last_work = std::chrono::steady_clock::now();
    if (!t_held_for_aof.empty()) {
      held.swap(t_held_for_aof);  // a released session may be held again while we walk
      for (auto& s : held) {
        if (!s->ReleaseIfLogged()) t_held_for_aof.push_back(std::move(s));
      }
      held.clear();
      if (!t_held_for_aof.empty()) ctx.run_one_for(kNap);  // another thread is committing
      last_work = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_work > kSpin) {
      ctx.run_one();
      last_work = std::chrono::steady_clock::now();
    }
  }
  t_held_for_aof.clear();  // while their io_context still exists
}

void NetServer::Stop() {
  for (auto& c : contexts_) c->stop();
}

}  // namespace ember
