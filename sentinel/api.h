#pragma once

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/reply_builder.h"
#include "sentinel/sentinel.h"

namespace ember::sentinel {

class ApiSession;

// The client-facing Redis Sentinel API on `port` (RESP2/RESP3), field for field as Redis 7.0,
// and the event channels (+sdown, +switch-master ...) for SUBSCRIBE / PSUBSCRIBE. Runs on the
// same Asio thread as the core.
class ClientApi {
 public:
  ClientApi(boost::asio::io_context* io, Sentinel* core, std::string config_file);
  ~ClientApi();

  std::optional<std::string> Listen();
  // Sends an event to the subscribers of its channel (and of matching patterns).
  void Publish(std::string_view channel, std::string_view payload);

  // Runs one command for `s`, appending the reply. False: close the connection after it.
  bool Execute(ApiSession& s, const std::vector<std::string_view>& args, ReplyBuilder& rb);

  std::function<void()> on_shutdown;

 private:
  friend class ApiSession;
  void Accept(size_t index);
  void SentinelCommand(const std::vector<std::string_view>& args, ReplyBuilder& rb);
  void Info(std::string_view section, ReplyBuilder& rb);
  // False: close `s` after the reply (it killed itself).
  bool Client(ApiSession& s, const std::vector<std::string_view>& args, ReplyBuilder& rb);
  void Subscribe(ApiSession& s, const std::vector<std::string_view>& args, bool pattern, bool sub,
                 ReplyBuilder& rb);
  void InstanceFields(const Master& m, const Node* replica, ReplyBuilder& rb);
  void PeerFields(const Master& m, const Peer& p, ReplyBuilder& rb);

  boost::asio::io_context* io_;
  ember::sentinel::Sentinel* core_;
  std::string config_file_;
  std::vector<boost::asio::ip::tcp::acceptor> acceptors_;
  std::set<ApiSession*> sessions_;
  int64_t next_id_ = 1;
  int64_t started_ms_;
  int64_t connections_ = 0;
  int64_t commands_ = 0;
};

}  // namespace ember::sentinel
