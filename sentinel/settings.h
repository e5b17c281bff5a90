#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ember::sentinel {

struct Addr {
  std::string host;
  int port = 0;
  std::string str() const { return host + ":" + std::to_string(port); }
  bool operator==(const Addr&) const = default;
};

// A sentinel as the others know it (proto SentinelAddress).
struct PeerAddress {
  std::string run_id;
  std::string ip;
  int port = 0;              // RESP port
  std::string peer_address;  // host:port of its gRPC service
};

// One `monitor:` entry, plus what the sentinel learned about that master.
struct MonitorSettings {
  std::string name;
  Addr addr;  // the current master (rewritten after a failover)
  int quorum = 2;
  int64_t down_after_ms = 30000;
  int64_t failover_timeout_ms = 180000;
  int parallel_syncs = 1;
  std::string auth_pass;
  // Learned state.
  int64_t config_epoch = 0;
  std::string leader;        // this sentinel's vote ...
  int64_t leader_epoch = 0;  // ... and its epoch
  std::vector<Addr> known_replicas;
  std::vector<PeerAddress> known_sentinels;
};

// The sentinel's YAML file (sentinel/README.md): the user's keys and the learned state, written
// back together.
struct Settings {
  int port = 26379;
  std::vector<std::string> bind = {"127.0.0.1"};
  int peer_port = 0;  // 0: port + 10000
  std::string announce_ip;
  int announce_port = 0;
  bool resolve_hostnames = false;
  bool announce_hostnames = false;
  std::string requirepass;
  std::string logfile;
  std::string loglevel = "notice";
  std::vector<std::string> peers;
  std::vector<MonitorSettings> monitors;
  // Learned state.
  std::string myid;
  int64_t current_epoch = 0;

  int effective_peer_port() const { return peer_port != 0 ? peer_port : port + 10000; }
};

// Loads `path`. The error names the file, line, key and value.
std::optional<std::string> LoadSettings(const std::string& path, Settings* out);
// Applies one `--key value` from the command line (top-level scalar keys only).
std::optional<std::string> SetSetting(Settings* s, const std::string& key,
                                      const std::string& value);
// Checks cross-key rules (host names without resolve-hostnames, ports, duplicate names).
std::optional<std::string> ValidateSettings(const Settings& s);
// Writes `s` to `path` atomically: a temp file beside it, fsync, rename, fsync of the directory.
std::optional<std::string> SaveSettings(const std::string& path, const Settings& s);

// True for a dotted IPv4 or an IPv6 literal.
bool IsIpLiteral(const std::string& host);

}  // namespace ember::sentinel
