// ember-server: `ember-server [FILE.yaml] [--key value ...]`, as redis-server.

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "server/engine.h"
#include "server/net/net_server.h"
#include "server/persist/aof.h"
#include "server/repl/replication.h"

namespace {

void PrintHelp() {
  std::printf(
      "Usage: ember-server [/path/to/ember.yaml] [options]\n"
      "       ember-server -v or --version\n"
      "       ember-server -h or --help\n\n"
      "Options are configuration keys (redis.conf names) and override the file:\n"
      "       ember-server --port 7777\n"
      "       ember-server ember.yaml --port 7777 --loglevel verbose\n"
      "       ember-server --save \"\" --maxmemory 256mb\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ember;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-v" || args[0] == "--version")) {
    std::printf("Ember server v=%s (Redis API %s)\n", kEmberVersion, kRedisVersion);
    return 0;
  }
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    PrintHelp();
    return 0;
  }

  SystemClock clock;
  Engine engine(&clock);
  auto& config = engine.config_table();
  size_t i = 0;
  if (!args.empty() && args[0].rfind("--", 0) != 0) {
    std::error_code ec;
    std::string path = std::filesystem::absolute(args[0], ec).string();
    if (auto err = config.LoadYaml(path)) {
      std::fprintf(stderr, "*** FATAL CONFIG FILE ERROR *** %s\n", err->c_str());
      return 1;
    }
    engine.config().config_file = path;
    i = 1;
  }
  // "--key v1 v2 ..." : every word up to the next "--option" is the value, as redis-server.
  while (i < args.size()) {
    if (args[i].rfind("--", 0) != 0 || args[i].size() == 2) {
      std::fprintf(stderr, "*** FATAL CONFIG ERROR *** unexpected argument '%s'\n",
                   args[i].c_str());
      return 1;
    }
    std::string key = args[i].substr(2);
    std::string value;
    size_t words = 0;
    for (++i; i < args.size() && args[i].rfind("--", 0) != 0; ++i, ++words) {
      value += (words ? " " : "") + args[i];
    }
    if (config.Find(key) == nullptr) {
      std::fprintf(stderr, "*** FATAL CONFIG ERROR *** command line: unknown key '%s'\n",
                   key.c_str());
      return 1;
    }
    if (auto err = config.Set(key, value, /*at_startup=*/true)) {
      std::fprintf(stderr, "*** FATAL CONFIG ERROR *** command line: bad value '%s' for '%s': %s\n",
                   value.c_str(), key.c_str(), err->c_str());
      return 1;
    }
  }

  LogInit("M", LogLevel(engine.config().loglevel.load()), engine.config().logfile);
  engine.Start();
  NetServer net(&engine);
  if (auto err = net.Listen()) {
    EMBER_LOG(kWarning, "%s", err->c_str());
    return 1;
  }
  // A file-size limit (ulimit -f) then fails AOF writes with EFBIG, which the AOF survives
  // (writes are refused until it works again), instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  EMBER_LOG(
      kNotice, "Ember %s (Redis API %s) pid=%d, port %lld, %s", kEmberVersion, kRedisVersion,
      int(getpid()), (long long)engine.config().port.load(),
      engine.config().config_file.empty() ? "no config file" : engine.config().config_file.c_str());
  // The dataset loads while the server already answers (-LOADING until it is in): with
  // appendonly yes from the AOF (Redis 7.0 then ignores the RDB), else from the dump.
  engine.persistence().BeginLoading();
  std::thread loader([&engine] {
    std::string error;
    if (engine.aof().enabled()) {
      if (auto err = LoadAof(engine)) error = *err;
      engine.persistence().EndLoading();
    } else {
      engine.persistence().Load(&error);
    }
    // Replication starts on the loaded dataset: a full sync must not copy half of it, and a
    // replica's link must not apply its master's stream to data still loading.
    if (error.empty()) {
      std::optional<ReplPosition> at = engine.aof().enabled()
                                           ? engine.aof().loaded_position()
                                           : engine.persistence().loaded_position();
      if (at) {
        std::lock_guard lk(engine.mu());
        engine.replication().Restore(*at);
      }
      if (auto err = engine.replication().Start()) error = *err;
    }
    if (!error.empty()) {
      EMBER_LOG(kWarning, "%s", error.c_str());
      std::fflush(nullptr);
      std::_Exit(1);
    }
  });
  EMBER_LOG(kNotice, "Ready to accept connections tcp");
  net.Run();
  loader.join();
  Persistence& persistence = engine.persistence();
  if (!engine.shutdown_requested) {
    // A signal: as SHUTDOWN without arguments, save when save rules exist.
    std::lock_guard lk(engine.mu());
    if (persistence.has_save_rules()) {
      EMBER_LOG(kNotice, "Saving the final RDB snapshot before exiting.");
      persistence.AbortBackground();
      std::string error;
      if (!persistence.Save(&error)) EMBER_LOG(kWarning, "Error trying to save the DB.");
    }
  }
  engine.replication().Stop();
  persistence.StopBackground();
  CloseAof(engine);
  EMBER_LOG(kNotice, "Ember is now ready to exit, bye bye...");
  return 0;
}
