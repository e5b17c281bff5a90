// ember-sentinel: `ember-sentinel CONFIG.yaml [--key value ...]` (sentinel/README.md).

#include <grpcpp/grpcpp.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/log.h"
#include "sentinel/api.h"
#include "sentinel/transport.h"

int main(int argc, char** argv) {
  using namespace ember;
  using namespace ember::sentinel;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-v" || args[0] == "--version")) {
    std::printf("Ember sentinel v=0.1.0 (Redis Sentinel API 7.0)\n");
    return 0;
  }
  if (args.empty() || args[0].rfind("--", 0) == 0 || args[0] == "-h") {
    std::fprintf(
        stderr,
        "Usage: ember-sentinel /path/to/sentinel.yaml [--key value ...]\n"
        "The file is required and must be writable: the sentinel keeps its state there.\n");
    return args.empty() || args[0] != "-h" ? 1 : 0;
  }
  std::error_code fs_ec;
  std::string path = std::filesystem::absolute(args[0], fs_ec).string();
  Settings settings;
  if (auto err = LoadSettings(path, &settings)) {
    std::fprintf(stderr, "*** FATAL CONFIG FILE ERROR *** %s\n", err->c_str());
    return 1;
  }
  for (size_t i = 1; i < args.size();) {
    if (args[i].rfind("--", 0) != 0 || args[i].size() == 2) {
      std::fprintf(stderr, "*** FATAL CONFIG ERROR *** unexpected argument '%s'\n",
                   args[i].c_str());
      return 1;
    }
    std::string key = args[i].substr(2), value;
    size_t words = 0;
    for (++i; i < args.size() && args[i].rfind("--", 0) != 0; ++i, ++words) {
      value += (words ? " " : "") + args[i];
    }
    if (auto err = SetSetting(&settings, key, value)) {
      std::fprintf(stderr, "*** FATAL CONFIG ERROR *** %s\n", err->c_str());
      return 1;
    }
  }
  if (auto err = ValidateSettings(settings)) {
    std::fprintf(stderr, "*** FATAL CONFIG FILE ERROR *** %s: %s\n", path.c_str(), err->c_str());
    return 1;
  }
  LogLevel level = LogLevel::kNotice;
  ParseLogLevel(settings.loglevel, &level);
  LogInit("X", level, settings.logfile);

  boost::asio::io_context io;
  AsioTransport transport(&io);
  SystemClock clock;
  Sentinel core(&clock, settings, &transport, [path](const Settings& s) {
    if (auto err = SaveSettings(path, s)) {
      EMBER_LOG(kWarning, "Sentinel config not saved: %s", err->c_str());
      return false;
    }
    return true;
  });
  if (!core.Save()) {
    std::fprintf(stderr, "*** FATAL CONFIG FILE ERROR *** %s: the file must be writable\n",
                 path.c_str());
    return 1;
  }
  ClientApi api(&io, &core, path);
  core.on_event = [&api](std::string_view channel, std::string_view payload) {
    api.Publish(channel, payload);
  };
  if (auto err = api.Listen()) {
    EMBER_LOG(kWarning, "%s", err->c_str());
    return 1;
  }

  PeerService peer_service(&io, &core);
  grpc::ServerBuilder builder;
  std::string peer_listen =
      settings.bind.front() + ":" + std::to_string(settings.effective_peer_port());
  int bound_port = 0;
  builder.AddListeningPort(peer_listen, grpc::InsecureServerCredentials(), &bound_port);
  builder.RegisterService(&peer_service);
  std::unique_ptr<grpc::Server> peer_server = builder.BuildAndStart();
  if (!peer_server || bound_port == 0) {
    EMBER_LOG(kWarning, "Could not listen for other sentinels on %s", peer_listen.c_str());
    return 1;
  }

  EMBER_LOG(kNotice, "Running mode=sentinel, port=%d, peer-port=%d.", settings.port,
            settings.effective_peer_port());
  EMBER_LOG(kWarning, "Sentinel ID is %s", core.myid().c_str());
  for (const auto& [name, m] : core.masters()) {
    EMBER_LOG(kWarning, "+monitor master %s %s %d quorum %d", name.c_str(),
              m->node.addr.host.c_str(), m->node.addr.port, m->cfg.quorum);
  }

  boost::asio::steady_timer cron(io);
  std::function<void()> tick = [&] {
    core.Cron();
    cron.expires_after(std::chrono::milliseconds(Sentinel::kCronMs));
    cron.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  };
  tick();

  auto stop = [&] {
    core.Save();
    cron.cancel();
    io.stop();
  };
  api.on_shutdown = [&] { boost::asio::post(io, stop); };
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    EMBER_LOG(kWarning, "Received %s scheduling shutdown...", sig == SIGINT ? "SIGINT" : "SIGTERM");
    stop();
  });
  io.run();
  // The peer service's handlers wait on the io_context: stop them before it goes away.
  peer_server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  transport.Stop();
  EMBER_LOG(kWarning, "Sentinel is now ready to exit, bye bye...");
  return 0;
}
