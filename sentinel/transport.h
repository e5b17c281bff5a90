#pragma once

// Boost 1.74's Asio uses std::exchange without including <utility>: it must come first.
// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "sentinel.grpc.pb.h"
#include "sentinel/sentinel.h"

namespace ember::sentinel {

// Incremental RESP2 reply reader: Parse returns the bytes one complete reply took (0 when more
// bytes are needed, -1 on garbage).
class ReplyReader {
 public:
  static int64_t Parse(std::string_view data, Reply* out);
};

// The sentinel's links: one Asio TCP connection per data node (commands pipelined, replies in
// order) and one gRPC channel per other sentinel, called from a thread of its own so a peer
// that hangs never stalls the Asio thread. Every callback runs on the Asio thread.
class AsioTransport final : public Transport {
 public:
  explicit AsioTransport(boost::asio::io_context* io);
  ~AsioTransport() override;

  void NodeCommand(const Addr& node, const std::string& auth, std::vector<std::string> args,
                   ReplyFn fn) override;
  void NodeDrop(const Addr& node) override;
  bool NodeConnected(const Addr& node) override;
  void PeerExchange(const std::string& peer, const pb::Hello& hello,
                    std::function<void(const pb::Hello*)> fn) override;
  void PeerIsMasterDown(const std::string& peer, const pb::DownRequest& req,
                        std::function<void(const pb::DownReply*)> fn) override;

  // Joins the peer threads (before the io_context goes away).
  void Stop();

 private:
  struct Link;
  struct PeerClient;
  PeerClient& Peer(const std::string& address);
  void Connect(const std::shared_ptr<Link>& link);
  void Fail(const std::shared_ptr<Link>& link);
  void Flush(const std::shared_ptr<Link>& link);
  void Read(const std::shared_ptr<Link>& link);

  boost::asio::io_context* io_;
  std::map<std::string, std::shared_ptr<Link>> links_;
  std::map<std::string, std::unique_ptr<PeerClient>> peers_;
};

// The SentinelPeer gRPC service: each call runs on the Asio thread (the core is not
// thread-safe) and waits for it, bounded.
class PeerService final : public pb::SentinelPeer::Service {
 public:
  PeerService(boost::asio::io_context* io, Sentinel* core) : io_(io), core_(core) {}
  grpc::Status Exchange(grpc::ServerContext*, const pb::Hello* req, pb::Hello* reply) override;
  grpc::Status IsMasterDown(grpc::ServerContext*, const pb::DownRequest* req,
                            pb::DownReply* reply) override;

 private:
  template <typename Fn>
  grpc::Status OnIoThread(Fn fn);
  boost::asio::io_context* io_;
  Sentinel* core_;
};

}  // namespace ember::sentinel
