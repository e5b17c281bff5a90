#pragma once

// Boost 1.74's Asio uses std::exchange without including <utility>: it must come first.
// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/engine.h"

namespace ember {

// The client-facing network layer: Boost.Asio, RESP in, RESP out.
//
// Threading model: N I/O threads (io-threads, default one per core), each running its own
// io_context. The acceptor lives on thread 0 and hands each new connection to the threads in
// turn; a connection stays on its thread for life, so a session's handlers never run
// concurrently and need no strand. The dataset is shared: a session takes the engine lock once
// per read, runs every complete request in the buffer (a pipeline of any depth) and releases
// it, then writes all replies with one syscall. Parsing, reply formatting and socket I/O -
// most of a cache server's CPU time - run in parallel on all cores; only command execution is
// serialised. The periodic cron (expiry, idle clients, memory) runs on thread 0.
class NetServer {
 public:
  explicit NetServer(Engine* engine);
  ~NetServer();

  // Binds every address of `bind` on `port`. Returns an error message naming the address.
  std::optional<std::string> Listen();
  // Runs the I/O threads until Stop() (SHUTDOWN, SIGTERM, SIGINT). Blocks.
  void Run();
  void Stop();

  std::atomic<int64_t> connected{0};

 private:
  friend class Session;
  void Accept(size_t acceptor_index);
  void ScheduleCron(int64_t delay_ms);
  void RunLoop(boost::asio::io_context& ctx);
  boost::asio::io_context& NextContext();

  Engine* engine_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::vector<boost::asio::ip::tcp::acceptor> acceptors_;
  boost::asio::steady_timer cron_timer_;
  boost::asio::signal_set signals_;
  size_t next_context_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace ember
