#include "server/repl/replication.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <sstream>
#include <thread>

#include "common/config_table.h"
#include "common/log.h"
#include "common/reply_builder.h"
#include "common/resp_parser.h"
#include "common/strings.h"
#include "replication.grpc.pb.h"
#include "server/engine.h"
#include "server/persist/aof.h"
#include "server/persist/persistence.h"
#include "server/persist/rdb.h"
#include "server/persist/snapshot.h"

namespace ember {

namespace pb = ::ember::replication;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Snapshot bytes per message, and log bytes per message.
constexpr size_t kChunkBytes = 256 * 1024;
// The sender of the stream waits this long after a message smaller than kLingerBelowBytes.
constexpr auto kLinger = std::chrono::microseconds(2000);  // 500 us: 0.49 of alone, 2 ms: 0.54
constexpr size_t kLingerBelowBytes = 64 * 1024;
// How often a replica acknowledges its offset.
constexpr auto kAckPeriod = std::chrono::seconds(1);
// A link that failed waits this long before it dials again.
constexpr auto kRetryDelay = std::chrono::milliseconds(500);

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// A replica, as its master sees it (under the engine lock, but for `cursor`).

struct Replication::ReplicaInfo {
  std::string ip;
  int port = 0;
  std::string state = "wait_bgsave";  // wait_bgsave, send_bulk, online
  uint64_t ack_offset = 0;
  int64_t last_ack_ms = 0;
  std::shared_ptr<ReplicationLog::Cursor> cursor;
  // The master stops serving it: it became a replica itself, or Cron cut the replica off.
  bool dropped = false;
  int64_t soft_limit_since_ms = 0;  // over the soft output limit since (0: not over)
  // The replica's RPC: Cron cancels it (a sender blocked on a replica that stopped reading
  // then returns). Valid while the info is in replicas_.
  grpc::ServerContext* ctx = nullptr;
  std::atomic<int64_t> sent_ms{0};  // the last snapshot bytes sent (full sync)
};

// ---------------------------------------------------------------------------------------------
// Master side: the service

namespace {

using SyncStream = grpc::ServerReaderWriter<pb::MasterMessage, pb::ReplicaMessage>;

// A full sync's snapshot bytes, sent as they are produced; the FULLRESYNC header goes first,
// from the job's thread, so that only one thread writes to the stream at a time.
class StreamSink : public ImageSink {
 public:
  StreamSink(SyncStream* stream, pb::MasterMessage header, std::atomic<int64_t>* sent_ms)
      : stream_(stream), header_(std::move(header)), sent_ms_(sent_ms) {}
  bool Write(std::string_view bytes) override {
    if (!sent_header_) {
      sent_header_ = true;
      if (!stream_->Write(header_)) return Fail();
    }
    while (!bytes.empty()) {
      pb::MasterMessage m;
      size_t n = std::min(bytes.size(), kChunkBytes);
      m.set_snapshot_chunk(bytes.data(), n);
      if (!stream_->Write(m)) return Fail();
      *sent_ms_ = NowMs();
      bytes.remove_prefix(n);
    }
    return true;
  }
  bool Sync() override { return Write({}); }  // a dataset so small the header is all
  bool Publish() override { return true; }
  const std::string& error() const override { return error_; }

 private:
  bool Fail() {
    error_ = "the replica went away during the full sync";
    return false;
  }
  SyncStream* stream_;
  pb::MasterMessage header_;
  std::atomic<int64_t>* sent_ms_;
  bool sent_header_ = false;
  std::string error_;
};

}  // namespace

class Replication::Service final : public pb::Replication::Service {
 public:
  explicit Service(Replication* r) : r_(r) {}

  grpc::Status Sync(grpc::ServerContext* ctx, SyncStream* stream) override {
    pb::ReplicaMessage first;
    if (!stream->Read(&first) || !first.has_sync()) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "expected a sync request"};
    }
    const pb::SyncRequest& req = first.sync();
    Engine& engine = *r_->engine_;
    auto info = std::make_shared<ReplicaInfo>();
    info->ip = req.listening_host().empty() ? PeerIp(ctx->peer()) : req.listening_host();
    info->port = req.listening_port();
    info->ctx = ctx;
    {
      std::lock_guard lk(engine.mu());
      const std::string& pass = engine.config().requirepass;
      if (!pass.empty() && req.auth() != pass) {
        EMBER_LOG(kWarning, "Replica %s:%d refused: wrong masterauth", info->ip.c_str(),
                  info->port);
        pb::MasterMessage m;
        m.set_error(req.auth().empty()
                        ? "NOAUTH Authentication required."
                        : "WRONGPASS invalid username-password pair or user is disabled.");
        stream->Write(m);
        return grpc::Status::OK;
      }
    }
    std::unique_ptr<SnapshotJob> job;
    for (int tries = 0;; ++tries) {
      if (ctx->IsCancelled()) return grpc::Status::CANCELLED;
      std::unique_lock lk(engine.mu());
      Replication& r = *r_;
      bool same_id = req.replid() == r.replid_ ||
                     (req.replid() == r.replid2_ && int64_t(req.offset()) <= r.second_offset_);
      if (same_id && r.log_.Contains(uint64_t(req.offset()))) {
        r.backlog_active_ = true;
        info->cursor = r.log_.Attach(uint64_t(req.offset()));
        info->state = "online";
        info->ack_offset = uint64_t(req.offset());
        info->last_ack_ms = NowMs();
        r.replicas_.push_back(info);
        ++r.sync_partial_ok_;
        EMBER_LOG(kNotice,
                  "Partial resynchronization request from %s:%d accepted. Sending %llu bytes of "
                  "backlog starting from offset %lld.",
                  info->ip.c_str(), info->port,
                  (unsigned long long)(r.log_.end() - uint64_t(req.offset())),
                  (long long)req.offset());
        lk.unlock();
        pb::MasterMessage m;
        m.mutable_continue_sync()->set_replid(r.replid_);
        if (!stream->Write(m)) return Drop(info);
        break;
      }
      // A full sync needs the snapshot machinery, which one job uses at a time (a BGSAVE or an
      // AOF rewrite may hold it): wait for it, bounded by the replica going away.
      if (engine.SnapshotBusy()) {
        lk.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (req.replid() != "?") ++r.sync_partial_err_;
      ++r.sync_full_;
      r.backlog_active_ = true;
      uint64_t offset = r.log_.end();
      r.selected_db_ = -1;  // the stream after the snapshot starts with a SELECT
      info->cursor = r.log_.Attach(offset);
      info->state = "send_bulk";
      info->ack_offset = 0;
      info->sent_ms = NowMs();
      r.replicas_.push_back(info);
      EMBER_LOG(kNotice, "Replica %s:%d asks for synchronization; full resync from offset %llu",
                info->ip.c_str(), info->port, (unsigned long long)offset);
      pb::MasterMessage header;
      header.mutable_full_resync()->set_replid(r.replid_);
      header.mutable_full_resync()->set_offset(int64_t(offset));
      // Strings go uncompressed whatever rdbcompression says: LZF runs at ~130 MB/s here on
      // values it can't shrink, 3.5x the time of the whole sync of 1 GB without it (11.2 s vs
      // 3.2 s, loopback); the checksum stays (rdbchecksum).
      const Persistence& p = engine.persistence();
      job = std::make_unique<SnapshotJob>(
          engine.mu(), engine.lock_waiters(), &engine.keyspace(),
          RdbImage(/*compress=*/false, p.checksum(),
                   {{"redis-ver", kRedisVersion},
                    {"redis-bits", "64"},
                    {"ctime", std::to_string(engine.clock().NowMs() / 1000)},
                    {"used-mem", std::to_string(engine.UsedMemory())},
                    {"repl-stream-db", "0"},
                    {"repl-id", r.replid_},
                    {"repl-offset", std::to_string(offset)},
                    {"aof-base", "0"}}),
          std::make_unique<StreamSink>(stream, std::move(header), &info->sent_ms));
      r.sync_job_ = job.get();
      break;
    }
    if (job) {
      bool ok = WaitForJob(job.get());
      {
        std::lock_guard lk(engine.mu());
        r_->sync_job_ = nullptr;
      }
      job.reset();  // joins
      if (!ok) return Drop(info);
      pb::MasterMessage end;
      end.set_snapshot_end(true);
      if (!stream->Write(end)) return Drop(info);
      std::lock_guard lk(engine.mu());
      info->state = "online";
      info->last_ack_ms = NowMs();
      EMBER_LOG(kNotice, "Synchronization with replica %s:%d succeeded", info->ip.c_str(),
                info->port);
    }
    return Stream(ctx, stream, info);
  }

 private:
  static std::string PeerIp(const std::string& peer) {
    // "ipv4:127.0.0.1:5555" or "ipv6:[::1]:5555"
    std::string s = peer.substr(peer.find(':') + 1);
    s = s.substr(0, s.rfind(':'));
    if (!s.empty() && s.front() == '[') s = s.substr(1, s.size() - 2);
    return s;
  }

  bool WaitForJob(SnapshotJob* job) {
    for (;;) {
      {
        std::lock_guard lk(r_->engine_->mu());
        if (job->over()) return job->ok();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // The log from the replica's cursor on, while a second thread reads its acks.
  grpc::Status Stream(grpc::ServerContext* ctx, SyncStream* stream,
                      const std::shared_ptr<ReplicaInfo>& info) {
    Engine& engine = *r_->engine_;
    std::atomic<bool> reader_done{false};
    std::thread reader([&] {
      pb::ReplicaMessage m;
      while (stream->Read(&m)) {
        if (!m.has_ack()) continue;
        std::lock_guard lk(engine.mu());
        info->ack_offset = std::max(info->ack_offset, uint64_t(m.ack().offset()));
        info->last_ack_ms = NowMs();
        engine.ServeAckWaiters();
      }
      reader_done = true;
      r_->log_.WakeAll();
    });
    std::string buf;
    // WAIT asks for acks: once the bytes appended before the request are sent, so is an
    // ack_request, and the replica answers after applying them.
    uint64_t acks_asked = r_->ack_requests_.load();
    uint64_t ack_after = 0;
    bool ack_pending = false;
    for (;;) {
      if (reader_done || ctx->IsCancelled() || r_->stopping_) break;
      if (uint64_t asked = r_->ack_requests_.load(); asked != acks_asked) {
        acks_asked = asked;
        ack_pending = true;
        ack_after = r_->log_.end();
      }
      {
        std::lock_guard lk(engine.mu());
        if (info->dropped) break;
      }
      if (!r_->log_.Read(info->cursor.get(), kChunkBytes, &buf,
                         SteadyClock::now() + std::chrono::milliseconds(100))) {
        std::lock_guard lk(engine.mu());
        if (info->dropped) break;
        EMBER_LOG(kWarning,
                  "Replica %s:%d fell behind by more than the replica output limit "
                  "(client-output-buffer-limit replica): disconnected, it will resync",
                  info->ip.c_str(), info->port);
        break;
      }
      bool small = buf.size() < kLingerBelowBytes;
      if (!buf.empty()) {
        pb::MasterMessage m;
        m.set_commands(std::move(buf));
        if (!stream->Write(m)) break;
        buf.clear();
      }
      if (ack_pending && info->cursor->next >= ack_after) {
        ack_pending = false;
        pb::MasterMessage m;
        m.set_ack_request(true);
        if (!stream->Write(m)) break;
      }
      // A message costs about the same to send whatever its size: under a write load, waiting
      // a little for more makes fewer, bigger ones (a replica gets each write at most that much
      // later; a WAIT ends the wait).
      if (small && !ack_pending) r_->log_.Linger(info->cursor.get(), kLinger);
    }
    ctx->TryCancel();
    reader.join();
    return Drop(info);
  }

  grpc::Status Drop(const std::shared_ptr<ReplicaInfo>& info) {
    if (info->cursor) r_->log_.Detach(info->cursor);
    std::lock_guard lk(r_->engine_->mu());
    r_->ForgetReplicaLocked(info);
    return grpc::Status::OK;
  }

  Replication* r_;
};

// ---------------------------------------------------------------------------------------------
// Replica side: the link

namespace {

// The snapshot of a full sync as an RdbSource: messages are read from the stream as the loader
// asks for bytes, until snapshot_end.
class SyncSource : public RdbSource {
 public:
  using Stream = grpc::ClientReaderWriter<pb::ReplicaMessage, pb::MasterMessage>;
  explicit SyncSource(Stream* s) : s_(s) {}
  size_t Read(char* buf, size_t n) override {
    size_t done = 0;
    while (done < n) {
      if (pos_ == chunk_.size()) {
        if (ended_ || failed_) break;
        pb::MasterMessage m;
        if (!s_->Read(&m)) {
          failed_ = true;
          break;
        }
        if (m.has_snapshot_end()) {
          ended_ = true;
          break;
        }
        if (!m.has_snapshot_chunk()) {
          failed_ = true;
          break;
        }
        chunk_ = std::move(*m.mutable_snapshot_chunk());
        pos_ = 0;
        bytes_ += chunk_.size();
      }
      size_t k = std::min(n - done, chunk_.size() - pos_);
      memcpy(buf + done, chunk_.data() + pos_, k);
      pos_ += k;
      done += k;
    }
    return done;
  }
  // After the loader: reads up to snapshot_end when the RDB ended first (it should not).
  bool Finish() {
    std::vector<char> sink(4096);
    while (!ended_ && !failed_) Read(sink.data(), sink.size());
    return ended_;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  Stream* s_;
  std::string chunk_;
  size_t pos_ = 0;
  bool ended_ = false, failed_ = false;
  uint64_t bytes_ = 0;
};

}  // namespace

class Replication::Link {
 public:
  Link(Replication* r, std::string host, int port) : r_(r), host_(std::move(host)), port_(port) {
    master_client_.authenticated = true;
    master_client_.is_master = true;
    master_client_.name = "master";
    master_client_.db = r->stream_db_;  // under the engine lock (StartLink)
    thread_ = std::thread([this] { Run(); });
  }
  ~Link() {
    stop_ = true;
    {
      std::lock_guard lk(ctx_mu_);
      if (ctx_) ctx_->TryCancel();
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  // Under the engine lock.
  bool up() const { return up_; }
  int64_t down_since_ms() const { return down_since_ms_; }
  int64_t last_io_ms() const { return last_io_ms_; }
  bool syncing() const { return syncing_; }
  const std::string& reason() const { return reason_; }

 private:
  void Run() {
    while (!stop_) {
      Session();
      if (stop_) break;
      std::unique_lock lk(wait_mu_);
      cv_.wait_for(lk, kRetryDelay, [&] { return stop_.load(); });
    }
  }

  void SetDown(std::string reason) {
    std::lock_guard lk(r_->engine_->mu());
    if (up_) down_since_ms_ = NowMs();
    up_ = false;
    syncing_ = false;
    if (reason_ != reason) EMBER_LOG(kWarning, "Replication link: %s", reason.c_str());
    reason_ = std::move(reason);
  }

  void Session() {
    Engine& engine = *r_->engine_;
    int grpc_port = port_ + 10000;
    std::string target = (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) + ":" +
                         std::to_string(grpc_port);
    auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    auto stub = pb::Replication::NewStub(channel);
    grpc::ClientContext ctx;
    {
      std::lock_guard lk(ctx_mu_);
      if (stop_) return;
      ctx_ = &ctx;
    }
    struct Clear {
      Link* l;
      ~Clear() {
        std::lock_guard lk(l->ctx_mu_);
        l->ctx_ = nullptr;
      }
    } clear{this};
    auto stream = stub->Sync(&ctx);
    pb::ReplicaMessage hello;
    {
      std::lock_guard lk(engine.mu());
      auto* s = hello.mutable_sync();
      s->set_replid(r_->synced_once_ ? r_->replid_ : "?");
      s->set_offset(int64_t(r_->log_.end()));
      s->set_auth(r_->masterauth_);
      s->set_listening_host(r_->announce_ip_);
      int64_t port = r_->announce_port_.load();
      s->set_listening_port(int(port ? port : engine.config().port.load()));
      s->set_priority(int(r_->priority_.load()));
      syncing_ = true;
    }
    if (!stream->Write(hello)) {
      SetDown("can't reach the master at " + target);
      return;
    }
    pb::MasterMessage m;
    if (!stream->Read(&m)) {
      auto st = stream->Finish();
      SetDown("the master at " + target + " did not answer: " + st.error_message());
      return;
    }
    if (m.has_error()) {
      SetDown("MASTER aborted replication with an error: " + m.error());
      stream->Finish();
      return;
    }
    if (m.has_continue_sync()) {
      std::lock_guard lk(engine.mu());
      if (m.continue_sync().replid() != r_->replid_) {
        // The master changed its id (a failover): keep the old one as secondary.
        r_->replid2_ = r_->replid_;
        r_->second_offset_ = int64_t(r_->log_.end());
        r_->replid_ = m.continue_sync().replid();
      }
      EMBER_LOG(kNotice, "Successful partial resynchronization with master %s:%d.", host_.c_str(),
                port_);
    } else if (m.has_full_resync()) {
      if (!FullSync(stream.get(), m.full_resync())) return;
    } else {
      SetDown("unexpected first message from the master");
      return;
    }
    {
      std::lock_guard lk(engine.mu());
      up_ = true;
      syncing_ = false;
      reason_.clear();
      last_io_ms_ = NowMs();
      r_->synced_once_ = true;
    }
    std::mutex write_mu;
    std::atomic<bool> done{false};
    std::thread acker([&] {
      std::unique_lock lk(wait_mu_);
      while (!done && !stop_) {
        cv_.wait_for(lk, kAckPeriod, [&] { return done || stop_.load(); });
        if (done || stop_) break;
        SendAck(stream.get(), &write_mu);
        // repl-timeout: the master sends a PING every repl-ping-replica-period at least.
        std::lock_guard elk(engine.mu());
        int64_t timeout_ms = r_->timeout_s_.load() * 1000;
        if (NowMs() - last_io_ms_ > timeout_ms) {
          EMBER_LOG(kWarning, "MASTER timeout: no data nor PING received for %lld seconds",
                    (long long)r_->timeout_s_.load());
          ctx.TryCancel();
          break;
        }
      }
    });
    std::string pending;
    RequestParser parser;
    while (stream->Read(&m)) {
      if (m.has_commands()) {
        pending.append(m.commands());
        if (!Apply(&pending, &parser)) break;
      } else if (m.has_ack_request()) {
        SendAck(stream.get(), &write_mu);
      }
    }
    done = true;
    cv_.notify_all();
    acker.join();
    ctx.TryCancel();
    stream->Finish();
    SetDown(stop_ ? "stopped" : "connection with master lost");
  }

  void SendAck(grpc::ClientReaderWriter<pb::ReplicaMessage, pb::MasterMessage>* s, std::mutex* mu) {
    pb::ReplicaMessage a;
    a.mutable_ack()->set_offset(int64_t(r_->log_.end()));
    std::lock_guard lk(*mu);
    s->Write(a);
  }

  // Loads the snapshot into a keyspace of its own; swaps it in when complete.
  bool FullSync(grpc::ClientReaderWriter<pb::ReplicaMessage, pb::MasterMessage>* stream,
                const pb::FullResync& fr) {
    Engine& engine = *r_->engine_;
    int dbs;
    RestoreLimits limits;
    std::string old_replid;
    {
      std::lock_guard lk(engine.mu());
      dbs = engine.keyspace().num_dbs();
      limits = engine.value_limits();
      old_replid = r_->master_run_replid_;
    }
    EMBER_LOG(kNotice, "Full resync from master %s:%d: replid %s, offset %lld", host_.c_str(),
              port_, fr.replid().c_str(), (long long)fr.offset());
    auto loaded = std::make_unique<Keyspace>(dbs, &engine.clock());
    SyncSource src(stream);
    RdbLoader loader(&src, limits);
    uint64_t keys = 0;
    auto started = SteadyClock::now();
    RdbLoadResult res = loader.Load(
        [&](int db, Entry* e) {
          if (db < 0 || db >= dbs) {
            Entry::Free(e);
            loader.Fail("DB index " + std::to_string(db) + " out of range");
            return;
          }
          loaded->db(db).Put(e);
          ++keys;
        },
        {});
    if (!res.ok || !src.Finish()) {
      SetDown("full sync failed: " + (res.ok ? std::string("the stream ended early") : res.error));
      return false;
    }
    std::lock_guard lk(engine.mu());
    Keyspace& ks = engine.keyspace();
    uint64_t have = 0;
    for (int i = 0; i < ks.num_dbs(); ++i) have += ks.db(i).size();
    // The seed's warning: a master that restarted without persistence comes back empty, and
    // copying it would wipe this replica. Unless told otherwise, keep the data, stay down.
    bool restarted = !old_replid.empty() && old_replid != fr.replid();
    if (keys == 0 && have > 0 && restarted && !r_->accept_empty_master_) {
      std::string why =
          "the master (replication id " + fr.replid() + ", was " + old_replid +
          ") restarted with an empty dataset; keeping this replica's " + std::to_string(have) +
          " keys and staying down (CONFIG SET replica-accept-empty-master yes to copy it)";
      EMBER_LOG(kWarning, "%s", why.c_str());
      reason_ = why;
      up_ = false;
      syncing_ = false;
      refused_empty_ = true;
      return false;
    }
    for (int i = 0; i < ks.num_dbs(); ++i) engine.TouchWatchedKeysIn(i);
    ks.SwapDataset(*loaded);
    engine.aof().DatasetReplaced();
    r_->replid_ = fr.replid();
    r_->replid2_ = std::string(40, '0');
    r_->second_offset_ = -1;
    r_->master_run_replid_ = fr.replid();
    r_->log_.Reset(uint64_t(fr.offset()));
    master_client_.db = 0;
    r_->stream_db_ = 0;
    EMBER_LOG(kNotice, "MASTER <-> REPLICA sync: loaded %llu keys (%llu bytes) in %.3f seconds",
              (unsigned long long)keys, (unsigned long long)src.bytes(),
              std::chrono::duration<double>(SteadyClock::now() - started).count());
    loaded_keys_gone_ = std::move(loaded);  // freed outside the lock
    return true;
  }

  // Executes the complete commands at the front of `pending` as the master's client, and
  // appends their bytes to this node's log. False on a protocol error.
  bool Apply(std::string* pending, RequestParser* parser) {
    Engine& engine = *r_->engine_;
    size_t pos = 0;
    std::string reply;
    {
      std::lock_guard lk(engine.mu());
      engine.BeginBatch();
      Keyspace& ks = engine.keyspace();
      ks.set_expiry_paused(true);
      RequestParser::Limits limits;
      limits.max_bulk_len = INT64_MAX;
      size_t applied_from = 0;
      for (;;) {
        size_t consumed = 0;
        auto st = parser->Parse(std::string_view(*pending).substr(pos), limits, &consumed);
        if (st == RequestParser::Status::kIncomplete) break;
        if (st == RequestParser::Status::kError) {
          ks.set_expiry_paused(false);
          EMBER_LOG(kWarning, "Protocol error in the replication stream: %s",
                    parser->error().c_str());
          return false;
        }
        auto args = parser->args();
        if (!args.empty()) {
          reply.clear();
          ReplyBuilder rb(&reply);
          engine.ExecuteInBatch(master_client_, CmdArgs(args.data(), args.size()), rb);
          if (!reply.empty() && reply[0] == '-' && ++errors_ <= 10) {
            EMBER_LOG(kWarning, "A command from the master failed: %.*s", int(reply.size() - 2),
                      reply.data());
          }
        }
        pos += consumed;
        parser->Reset();
      }
      ks.set_expiry_paused(false);
      r_->log_.Append(std::string_view(*pending).substr(applied_from, pos - applied_from));
      r_->stream_db_ = master_client_.db;
      last_io_ms_ = NowMs();
    }
    pending->erase(0, pos);
    loaded_keys_gone_.reset();
    return true;
  }

  Replication* r_;
  std::string host_;
  int port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex ctx_mu_;
  grpc::ClientContext* ctx_ = nullptr;
  std::mutex wait_mu_;
  std::condition_variable cv_;
  ClientState master_client_;
  uint64_t errors_ = 0;
  std::unique_ptr<Keyspace> loaded_keys_gone_;

  // Under the engine lock.
  bool up_ = false, syncing_ = false, refused_empty_ = false;
  int64_t down_since_ms_ = NowMs();
  int64_t last_io_ms_ = 0;
  std::string reason_ = "connecting";
};

// ---------------------------------------------------------------------------------------------
// Replication

Replication::Replication(Engine* engine) : engine_(engine), no_replicas_since_ms_(NowMs()) {
  NewReplid();
}

Replication::~Replication() { Stop(); }

void Replication::NewReplid() {
  replid_ = NewRunId();
  replid2_ = std::string(40, '0');
  second_offset_ = -1;
}

void Replication::RegisterConfig(ConfigTable& t) {
  for (const char* name : {"replicaof", "slaveof"}) {
    t.AddCustom(
        name, "", false, false,
        [this](std::string_view v) -> std::optional<std::string> {
          std::istringstream words{std::string(v)};
          std::string host, port_text, extra;
          words >> host >> port_text >> extra;
          if (host.empty()) {
            master_host_.clear();
            master_port_ = 0;
            return std::nullopt;
          }
          auto port = ParseInt64(port_text);
          if (!port || *port < 1 || *port > 65535 || !extra.empty()) {
            return "expected \"HOST PORT\"";
          }
          if (EqualsNoCase(host, "no") && EqualsNoCase(port_text, "one")) {
            master_host_.clear();
            return std::nullopt;
          }
          master_host_ = host;
          master_port_ = int(*port);
          return std::nullopt;
        },
        [this] {
          return master_host_.empty() ? std::string()
                                      : master_host_ + " " + std::to_string(master_port_);
        });
  }
  t.AddInt("replication-port", &port_, 0, 0, 65535, false);
  t.AddString("masterauth", &masterauth_, "", true);
  t.AddMemory("repl-backlog-size", &backlog_size_, 10LL << 20, 16 * 1024, true);
  t.OnChange("repl-backlog-size", [this] { log_.set_backlog_size(uint64_t(backlog_size_)); });
  t.AddInt("repl-backlog-ttl", &backlog_ttl_s_, 3600, 0, INT32_MAX, true);
  for (const char* name : {"replica-read-only", "slave-read-only"}) {
    t.AddBool(name, &read_only_, true, true);
  }
  for (const char* name : {"replica-serve-stale-data", "slave-serve-stale-data"}) {
    t.AddBool(name, &serve_stale_, true, true);
  }
  for (const char* name : {"replica-priority", "slave-priority"}) {
    t.AddInt(name, &priority_, 100, 0, INT32_MAX, true);
  }
  for (const char* name : {"replica-announce-ip", "slave-announce-ip"}) {
    t.AddString(name, &announce_ip_, "", true);
  }
  for (const char* name : {"replica-announce-port", "slave-announce-port"}) {
    t.AddInt(name, &announce_port_, 0, 0, 65535, true);
  }
  t.AddInt("repl-timeout", &timeout_s_, 60, 1, INT32_MAX, true);
  for (const char* name : {"repl-ping-replica-period", "repl-ping-slave-period"}) {
    t.AddInt(name, &ping_period_s_, 10, 1, INT32_MAX, true);
  }
  t.AddBool("replica-accept-empty-master", &accept_empty_master_, false, true);
  for (const char* name : {"min-replicas-to-write", "min-slaves-to-write"}) {
    t.AddInt(name, &min_replicas_to_write_, 0, 0, INT32_MAX, true);
  }
  for (const char* name : {"min-replicas-max-lag", "min-slaves-max-lag"}) {
    t.AddInt(name, &min_replicas_max_lag_, 10, 0, INT32_MAX, true);
  }
}

std::optional<std::string> Replication::Start() {
  std::string bind;
  int port;
  {
    std::lock_guard lk(engine_->mu());
    bind = engine_->config().bind;
    port = int(port_.load() ? port_.load() : engine_->config().port.load() + 10000);
    log_.set_backlog_size(uint64_t(backlog_size_));  // as configured at start-up
    engine_->journal().AddSink(this);
  }
  service_ = std::make_unique<Service>(this);
  grpc::ServerBuilder builder;
  int bound = 0;
  std::vector<std::unique_ptr<int>> selected;
  for (const auto& a : ParseBind(bind)) {
    std::string addr = a.ip.find(':') != std::string::npos ? "[" + a.ip + "]" : a.ip;
    selected.push_back(std::make_unique<int>(0));
    builder.AddListeningPort(addr + ":" + std::to_string(port), grpc::InsecureServerCredentials(),
                             selected.back().get());
  }
  builder.RegisterService(service_.get());
  // A replica that stops reading (stopped, partitioned) leaves a sender blocked in a write: the
  // transport's keepalive ends it.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  builder.SetMaxSendMessageSize(64 << 20);
  builder.SetMaxReceiveMessageSize(64 << 20);
  server_ = builder.BuildAndStart();
  for (const auto& p : selected) bound += *p != 0;
  if (!server_ || bound == 0) {
    return "Could not listen on the replication port " + std::to_string(port) + " (" + bind + ")";
  }
  EMBER_LOG(kNotice, "Replication service listening on port %d", port);
  std::lock_guard lk(engine_->mu());
  started_ = true;
  if (is_replica()) StartLink();
  return std::nullopt;
}

void Replication::Stop() {
  std::unique_ptr<Link> link;
  {
    std::lock_guard lk(engine_->mu());
    if (!started_) return;
    started_ = false;
    StopLinkLocked(&link);
  }
  link.reset();
  stopping_ = true;
  log_.WakeAll();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_.reset();
}

void Replication::StartLink() {
  engine_->keyspace().set_expire_on_access(false);  // the master's DELs remove keys
  backlog_active_ = true;
  link_ = std::make_unique<Link>(this, master_host_, master_port_);
}

void Replication::StopLinkLocked(std::unique_ptr<Link>* out) { *out = std::move(link_); }

void Replication::SetMaster(std::string host, int port) {
  std::unique_ptr<Link> old;
  StopLinkLocked(&old);
  bool was_master = !is_replica();
  master_host_ = std::move(host);
  master_port_ = port;
  // The replicas of a master that becomes a replica reconnect (and continue, if they can).
  if (was_master) {
    DropReplicasLocked();
    // The stream at our log's end is in the db of our own last SELECT.
    if (selected_db_ >= 0) stream_db_ = selected_db_;
  }
  if (started_) StartLink();
  // Joining the old link waits for its thread, which may need the lock: hand it over.
  if (old) std::thread([l = std::move(old)]() mutable { l.reset(); }).detach();
}

void Replication::BecomeMaster() {
  if (!is_replica()) return;
  std::unique_ptr<Link> old;
  StopLinkLocked(&old);
  master_host_.clear();
  master_port_ = 0;
  engine_->keyspace().set_expire_on_access(true);
  // PSYNC2: the id we had is the secondary one, up to this offset; replicas of the old master
  // that follow this node can continue.
  replid2_ = replid_;
  second_offset_ = int64_t(log_.end());
  replid_ = NewRunId();
  selected_db_ = -1;
  backlog_active_ = true;
  // As Redis does: the sub-replicas reconnect and continue with +CONTINUE <new id>. Kept on,
  // they would get the bytes after this point under the old id and need a full sync the next
  // time their link breaks.
  DropReplicasLocked();
  EMBER_LOG(kNotice, "MASTER MODE enabled (new replication id %s, secondary %s up to %lld)",
            replid_.c_str(), replid2_.c_str(), (long long)second_offset_);
  if (old) std::thread([l = std::move(old)]() mutable { l.reset(); }).detach();
}

void Replication::ForgetReplicaLocked(const std::shared_ptr<ReplicaInfo>& info) {
  auto it = std::find(replicas_.begin(), replicas_.end(), info);
  if (it == replicas_.end()) return;
  replicas_.erase(it);
  if (replicas_.empty()) no_replicas_since_ms_ = NowMs();
  EMBER_LOG(kNotice, "Connection with replica %s:%d lost.", info->ip.c_str(), info->port);
}

void Replication::DropReplicasLocked() {
  for (auto& r : replicas_) {
    r->dropped = true;
    if (r->cursor) log_.Cut(r->cursor);
  }
  log_.WakeAll();
}

bool Replication::RefusesWrite(const ClientState& client) const {
  return is_replica() && read_only_.load(std::memory_order_relaxed) && !client.is_master &&
         !client.loader;
}

bool Replication::LacksGoodReplicas(const ClientState& client) const {
  int64_t need = min_replicas_to_write_.load(std::memory_order_relaxed);
  if (need <= 0 || is_replica() || client.loader) return false;
  return min_replicas_max_lag_.load(std::memory_order_relaxed) > 0 && GoodReplicas() < need;
}

int64_t Replication::GoodReplicas() const {
  int64_t now = NowMs(), good = 0, max_lag = min_replicas_max_lag_.load();
  for (const auto& r : replicas_) {
    good += r->state == "online" && (now - r->last_ack_ms) / 1000 <= max_lag;
  }
  return good;
}

bool Replication::RefusesStale(const ClientState& client) const {
  return is_replica() && !serve_stale_.load(std::memory_order_relaxed) && !client.is_master &&
         !client.loader && !(link_ && link_->up());
}

int64_t Replication::CountAcked(uint64_t offset) const {
  int64_t n = 0;
  for (const auto& r : replicas_) n += r->state == "online" && r->ack_offset >= offset;
  return n;
}

void Replication::RequestAcks() {
  ack_requests_.fetch_add(1);
  log_.WakeAll();
}

ReplPosition Replication::position() const { return {replid_, log_.end(), stream_db()}; }

int Replication::stream_db() const {
  if (is_replica()) return stream_db_;
  return selected_db_ < 0 ? 0 : selected_db_;
}

void Replication::Restore(const ReplPosition& at) {
  log_.Reset(at.offset);
  backlog_active_ = true;
  if (is_replica()) {
    replid_ = at.replid;
    replid2_ = std::string(40, '0');
    second_offset_ = -1;
    synced_once_ = true;
    master_run_replid_ = at.replid;
    stream_db_ = at.stream_db;
    EMBER_LOG(kNotice,
              "The loaded data is at offset %llu of replication id %s: the link will ask the "
              "master to continue from there",
              (unsigned long long)at.offset, at.replid.c_str());
  } else {
    replid2_ = at.replid;
    second_offset_ = int64_t(at.offset);
    selected_db_ = -1;
    EMBER_LOG(kNotice,
              "The loaded data is at offset %llu of replication id %s: kept as the secondary "
              "id, replicas can continue",
              (unsigned long long)at.offset, at.replid.c_str());
  }
}

void Replication::Append(int db, std::span<const std::string_view>, std::string_view resp) {
  // A replica's link feeds the log with its master's bytes; a master without replicas for
  // repl-backlog-ttl keeps none.
  if (is_replica() || !backlog_active_) return;
  if (db != selected_db_) {
    log_.Append(SelectCommand(db));
    selected_db_ = db;
  }
  log_.Append(resp);
}

void Replication::Cron() {
  int64_t now = NowMs();
  // client-output-buffer-limit replica: the hard limit cuts a replica off as soon as it keeps
  // that many bytes alive beyond the backlog (ReplicationLog::Pinned), the soft one once it has
  // kept that many that long.
  const auto& limit = engine_->config().obuf_limits[ServerConfig::kReplicaClient];
  log_.set_replica_limit(uint64_t(limit[0].load()));
  int64_t soft = limit[1].load(), soft_s = limit[2].load();
  int64_t timeout_ms = timeout_s_.load() * 1000;
  std::vector<std::shared_ptr<ReplicaInfo>> gone;
  for (auto& r : replicas_) {
    if (!r->cursor || r->dropped) continue;
    // The sender may be blocked writing to a replica that stopped reading: cancelling the RPC
    // ends it (and a full sync's snapshot job with it).
    const char* why = nullptr;
    if (log_.WasCut(*r->cursor)) {
      why = "its output buffer went over the hard limit";
    } else if (soft > 0 && log_.Pinned(*r->cursor) > uint64_t(soft)) {
      if (r->soft_limit_since_ms == 0) r->soft_limit_since_ms = now;
      if (now - r->soft_limit_since_ms >= soft_s * 1000) {
        why = "its output buffer stayed over the soft limit";
      }
    } else {
      r->soft_limit_since_ms = 0;
    }
    // repl-timeout: no ack for that long (online), no snapshot bytes taken (full sync).
    int64_t heard = r->state == "online" ? r->last_ack_ms : r->sent_ms.load();
    if (!why && now - heard > timeout_ms) why = "timeout (repl-timeout)";
    if (!why) continue;
    EMBER_LOG(kWarning,
              "Disconnecting replica %s:%d: %s (client-output-buffer-limit replica %lld %lld "
              "%lld, repl-timeout %lld)",
              r->ip.c_str(), r->port, why, (long long)limit[0].load(), (long long)soft,
              (long long)soft_s, (long long)timeout_s_.load());
    log_.Cut(r->cursor);
    r->dropped = true;
    r->ctx->TryCancel();
    gone.push_back(r);
  }
  // Gone now, for INFO and WAIT: the sender's thread may stay blocked in a write to a stopped
  // replica (a cancelled RPC does not end a gRPC write waiting for flow control) until the
  // transport's keepalive gives the connection up.
  for (const auto& r : gone) ForgetReplicaLocked(r);
  if (is_replica()) return;
  // repl-backlog-ttl: a master alone frees its backlog, and a new replication id starts (the
  // history it could continue from is gone), as Redis does.
  int64_t ttl = backlog_ttl_s_.load();
  if (backlog_active_ && replicas_.empty() && ttl > 0 &&
      now - no_replicas_since_ms_ >= ttl * 1000) {
    EMBER_LOG(kNotice, "Replication backlog freed after %lld seconds without connected replicas.",
              (long long)ttl);
    backlog_active_ = false;
    log_.Reset(log_.end());
    NewReplid();
    selected_db_ = -1;
  }
  // A PING now and then keeps the replicas' view of the link fresh (and the offset moving, as
  // Redis's does).
  if (!replicas_.empty() && now - last_ping_ms_ >= ping_period_s_.load() * 1000) {
    last_ping_ms_ = now;
    log_.Append("*1\r\n$4\r\nPING\r\n");
  }
}

void Replication::AppendInfo(std::string* out) const {
  auto field = [out](std::string_view name, const std::string& value) {
    out->append(name).append(":").append(value).append("\r\n");
  };
  int64_t now = NowMs();
  auto replica_fields = [&] {
    int i = 0;
    for (const auto& r : replicas_) {
      field("slave" + std::to_string(i++),
            "ip=" + r->ip + ",port=" + std::to_string(r->port) + ",state=" + r->state +
                ",offset=" + std::to_string(r->ack_offset) +
                ",lag=" + std::to_string((now - r->last_ack_ms) / 1000));
    }
  };
  if (!is_replica()) {
    field("role", "master");
    field("connected_slaves", std::to_string(replicas_.size()));
    if (min_replicas_to_write_ > 0 && min_replicas_max_lag_ > 0) {
      field("min_slaves_good_slaves", std::to_string(GoodReplicas()));
    }
    replica_fields();
  } else {
    field("role", "slave");
    field("master_host", master_host_);
    field("master_port", std::to_string(master_port_));
    bool up = link_ && link_->up();
    field("master_link_status", up ? "up" : "down");
    field("master_last_io_seconds_ago",
          std::to_string(up ? (now - link_->last_io_ms()) / 1000 : -1));
    field("master_sync_in_progress", link_ && link_->syncing() ? "1" : "0");
    field("slave_read_repl_offset", std::to_string(log_.end()));
    field("slave_repl_offset", std::to_string(log_.end()));
    field("slave_priority", std::to_string(priority_.load()));
    field("slave_read_only", read_only_ ? "1" : "0");
    field("replica_announced", "1");
    field("connected_slaves", std::to_string(replicas_.size()));
    if (!up) {
      field("master_link_down_since_seconds",
            std::to_string(link_ ? (now - link_->down_since_ms()) / 1000 : -1));
      if (link_ && !link_->reason().empty()) field("master_link_down_reason", link_->reason());
    }
    replica_fields();
  }
  field("master_failover_state", "no-failover");
  field("master_replid", replid_);
  field("master_replid2", replid2_);
  field("master_repl_offset", std::to_string(log_.end()));
  // Redis counts these two from 1 (the offset of a byte, not of the position before it).
  field("second_repl_offset", std::to_string(second_offset_ < 0 ? -1 : second_offset_ + 1));
  field("repl_backlog_active", backlog_active_ ? "1" : "0");
  field("repl_backlog_size", std::to_string(backlog_size_.load()));
  field("repl_backlog_first_byte_offset", std::to_string(backlog_active_ ? log_.start() + 1 : 0));
  field("repl_backlog_histlen", std::to_string(backlog_active_ ? log_.held() : 0));
}

void Replication::Role(ReplyBuilder& rb) const {
  if (!is_replica()) {
    rb.ArrayHeader(3);
    rb.Bulk("master");
    rb.Integer(int64_t(log_.end()));
    rb.ArrayHeader(replicas_.size());
    for (const auto& r : replicas_) {
      rb.ArrayHeader(3);
      rb.Bulk(r->ip);
      rb.Bulk(std::to_string(r->port));
      rb.Bulk(std::to_string(r->ack_offset));
    }
    return;
  }
  rb.ArrayHeader(5);
  rb.Bulk("slave");
  rb.Bulk(master_host_);
  rb.Integer(master_port_);
  bool up = link_ && link_->up();
  rb.Bulk(up ? "connected" : (link_ && link_->syncing() ? "sync" : "connect"));
  rb.Integer(up ? int64_t(log_.end()) : -1);
}

}  // namespace ember
