#include "sentinel/settings.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "common/log.h"
#include "common/strings.h"
#include "common/yaml_file.h"

namespace ember::sentinel {

namespace {

std::vector<std::string> SplitWords(const std::string& v) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) ++i;
    size_t start = i;
    while (i < v.size() && !std::isspace(static_cast<unsigned char>(v[i]))) ++i;
    if (i > start) out.push_back(v.substr(start, i - start));
  }
  return out;
}

std::optional<int64_t> Int(const std::string& v, int64_t min, int64_t max, std::string* why) {
  auto n = ParseInt64(v);
  if (!n) {
    *why = "argument couldn't be parsed into an integer";
    return std::nullopt;
  }
  if (*n < min || *n > max) {
    *why = "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
           " inclusive";
    return std::nullopt;
  }
  return n;
}

std::optional<bool> Bool(const std::string& v, std::string* why) {
  if (EqualsNoCase(v, "yes") || EqualsNoCase(v, "true")) return true;
  if (EqualsNoCase(v, "no") || EqualsNoCase(v, "false")) return false;
  *why = "argument must be 'yes' or 'no'";
  return std::nullopt;
}

std::optional<Addr> ParseHostPort(const std::string& v, std::string* why) {
  size_t colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    *why = "expected host:port";
    return std::nullopt;
  }
  auto port = Int(v.substr(colon + 1), 1, 65535, why);
  if (!port) return std::nullopt;
  return Addr{v.substr(0, colon), int(*port)};
}

// Sets a top-level scalar key; nullopt when fine, else the reason.
std::optional<std::string> SetScalar(Settings* s, const std::string& key, const std::string& v) {
  std::string why;
  auto fail = [&]() -> std::optional<std::string> { return why; };
  if (key == "port") {
    auto n = Int(v, 1, 65535, &why);
    if (!n) return fail();
    s->port = int(*n);
  } else if (key == "peer-port") {
    auto n = Int(v, 0, 65535, &why);
    if (!n) return fail();
    s->peer_port = int(*n);
  } else if (key == "announce-port") {
    auto n = Int(v, 0, 65535, &why);
    if (!n) return fail();
    s->announce_port = int(*n);
  } else if (key == "current-epoch") {
    auto n = Int(v, 0, INT64_MAX, &why);
    if (!n) return fail();
    s->current_epoch = *n;
  } else if (key == "resolve-hostnames" || key == "announce-hostnames") {
    auto b = Bool(v, &why);
    if (!b) return fail();
    (key == "resolve-hostnames" ? s->resolve_hostnames : s->announce_hostnames) = *b;
  } else if (key == "announce-ip") {
    s->announce_ip = v;
  } else if (key == "requirepass") {
    s->requirepass = v;
  } else if (key == "logfile") {
    s->logfile = v;
  } else if (key == "loglevel") {
    LogLevel level;
    if (!ParseLogLevel(v, &level))
      return "argument(s) must be one of: debug, verbose, notice, warning";
    s->loglevel = v;
  } else if (key == "myid") {
    if (v.size() != 40) return "must be 40 hex characters";
    for (char c : v) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return "must be 40 hex characters";
    }
    s->myid = v;
  } else if (key == "bind") {
    s->bind.clear();
    for (auto& w : SplitWords(v)) s->bind.push_back(w);
    if (s->bind.empty()) return "at least one address";
  } else if (key == "peers") {
    s->peers.clear();
    for (auto& w : SplitWords(v)) {
      if (!ParseHostPort(w, &why)) return w + ": " + why;
      s->peers.push_back(w);
    }
  } else {
    return std::string("unknown key");
  }
  return std::nullopt;
}

std::string Scalar(const YAML::Node& n) { return n.IsNull() ? std::string() : n.Scalar(); }

std::optional<std::string> LoadMonitor(const std::string& path, const YAML::Node& item,
                                       MonitorSettings* m) {
  if (!item.IsMap()) return YamlWhere(path, item) + "each 'monitor' entry must be a map";
  bool has_host = false, has_port = false;
  for (const auto& kv : item) {
    std::string key = kv.first.Scalar();
    std::string where = YamlWhere(path, kv.first);
    std::string why;
    auto bad = [&](const std::string& value) {
      return where + "bad value '" + value + "' for 'monitor." + key + "': " + why;
    };
    if (key == "known-replicas") {
      if (!kv.second.IsSequence()) return where + "'known-replicas' must be a list";
      for (const auto& r : kv.second) {
        auto a = ParseHostPort(Scalar(r), &why);
        if (!a) return bad(Scalar(r));
        m->known_replicas.push_back(*a);
      }
      continue;
    }
    if (key == "known-sentinels") {
      if (!kv.second.IsSequence()) return where + "'known-sentinels' must be a list";
      for (const auto& p : kv.second) {
        if (!p.IsMap()) return where + "'known-sentinels' entries must be maps";
        PeerAddress a;
        a.run_id = Scalar(p["id"]);
        a.ip = Scalar(p["ip"]);
        auto port = Int(Scalar(p["port"]), 1, 65535, &why);
        if (!port) return bad(Scalar(p["port"]));
        a.port = int(*port);
        a.peer_address = Scalar(p["peer"]);
        m->known_sentinels.push_back(a);
      }
      continue;
    }
    if (!kv.second.IsScalar() && !kv.second.IsNull()) {
      return where + "'monitor." + key + "' must be a scalar";
    }
    std::string v = Scalar(kv.second);
    if (key == "name") {
      if (v.empty() || v.find_first_of(" \t\r\n") != std::string::npos) {
        why = "a name without spaces";
        return bad(v);
      }
      m->name = v;
    } else if (key == "host") {
      m->addr.host = v;
      has_host = true;
    } else if (key == "port") {
      auto n = Int(v, 1, 65535, &why);
      if (!n) return bad(v);
      m->addr.port = int(*n);
      has_port = true;
    } else if (key == "quorum") {
      auto n = Int(v, 1, 1000, &why);
      if (!n) return bad(v);
      m->quorum = int(*n);
    } else if (key == "down-after-milliseconds") {
      auto n = Int(v, 1, INT32_MAX, &why);
      if (!n) return bad(v);
      m->down_after_ms = *n;
    } else if (key == "failover-timeout") {
      auto n = Int(v, 1, INT32_MAX, &why);
      if (!n) return bad(v);
      m->failover_timeout_ms = *n;
    } else if (key == "parallel-syncs") {
      auto n = Int(v, 1, 1000, &why);
      if (!n) return bad(v);
      m->parallel_syncs = int(*n);
    } else if (key == "auth-pass") {
      m->auth_pass = v;
    } else if (key == "config-epoch" || key == "leader-epoch") {
      auto n = Int(v, 0, INT64_MAX, &why);
      if (!n) return bad(v);
      (key == "config-epoch" ? m->config_epoch : m->leader_epoch) = *n;
    } else if (key == "leader") {
      m->leader = v;
    } else {
      return where + "unknown key 'monitor." + key + "'";
    }
  }
  if (m->name.empty() || !has_host || !has_port) {
    return YamlWhere(path, item) + "a 'monitor' entry needs name, host and port";
  }
  return std::nullopt;
}

}  // namespace

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::optional<std::string> SetSetting(Settings* s, const std::string& key,
                                      const std::string& value) {
  if (key == "monitor") return "command line: 'monitor' is set in the YAML file";
  if (auto err = SetScalar(s, key, value)) {
    if (*err == "unknown key") return "command line: unknown key '" + key + "'";
    return "command line: bad value '" + value + "' for '" + key + "': " + *err;
  }
  return std::nullopt;
}

std::optional<std::string> LoadSettings(const std::string& path, Settings* out) {
  YAML::Node root;
  if (auto err = LoadYamlMap(path, &root)) return err;
  if (root.IsNull()) return std::nullopt;
  for (const auto& kv : root) {
    std::string key = kv.first.Scalar();
    std::string where = YamlWhere(path, kv.first);
    if (key == "monitor") {
      if (!kv.second.IsSequence()) return where + "'monitor' must be a list of maps";
      for (const auto& item : kv.second) {
        MonitorSettings m;
        if (auto err = LoadMonitor(path, item, &m)) return err;
        out->monitors.push_back(std::move(m));
      }
      continue;
    }
    auto value = FlattenYaml(kv.second);
    if (!value) return where + "'" + key + "': the value must be a scalar or a list of scalars";
    if (auto err = SetScalar(out, key, *value)) {
      if (*err == "unknown key") return where + "unknown key '" + key + "'";
      return where + "bad value '" + *value + "' for '" + key + "': " + *err;
    }
  }
  return std::nullopt;
}

std::optional<std::string> ValidateSettings(const Settings& s) {
  if (s.effective_peer_port() > 65535)
    return "peer-port: port + 10000 is over 65535; set peer-port";
  for (size_t i = 0; i < s.monitors.size(); ++i) {
    const auto& m = s.monitors[i];
    if (!s.resolve_hostnames && !IsIpLiteral(m.addr.host)) {
      return "monitor '" + m.name + "': host '" + m.addr.host +
             "' is not an IP address (set resolve-hostnames: yes for host names)";
    }
    for (size_t j = 0; j < i; ++j) {
      if (s.monitors[j].name == m.name) return "monitor '" + m.name + "' is listed twice";
    }
  }
  return std::nullopt;
}

std::optional<std::string> SaveSettings(const std::string& path, const Settings& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "port" << YAML::Value << s.port;
  out << YAML::Key << "bind" << YAML::Value << YAML::Flow << s.bind;
  if (s.peer_port != 0) out << YAML::Key << "peer-port" << YAML::Value << s.peer_port;
  if (!s.announce_ip.empty()) {
    out << YAML::Key << "announce-ip" << YAML::Value << YAML::DoubleQuoted << s.announce_ip;
  }
  if (s.announce_port != 0) out << YAML::Key << "announce-port" << YAML::Value << s.announce_port;
  out << YAML::Key << "resolve-hostnames" << YAML::Value << (s.resolve_hostnames ? "yes" : "no");
  out << YAML::Key << "announce-hostnames" << YAML::Value << (s.announce_hostnames ? "yes" : "no");
  if (!s.requirepass.empty()) {
    out << YAML::Key << "requirepass" << YAML::Value << YAML::DoubleQuoted << s.requirepass;
  }
  if (!s.logfile.empty()) {
    out << YAML::Key << "logfile" << YAML::Value << YAML::DoubleQuoted << s.logfile;
  }
  out << YAML::Key << "loglevel" << YAML::Value << s.loglevel;
  out << YAML::Key << "peers" << YAML::Value << YAML::Flow << s.peers;
  out << YAML::Key << "monitor" << YAML::Value << YAML::BeginSeq;
  for (const auto& m : s.monitors) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << m.name;
    out << YAML::Key << "host" << YAML::Value << m.addr.host;
    out << YAML::Key << "port" << YAML::Value << m.addr.port;
    out << YAML::Key << "quorum" << YAML::Value << m.quorum;
    out << YAML::Key << "down-after-milliseconds" << YAML::Value << m.down_after_ms;
    out << YAML::Key << "failover-timeout" << YAML::Value << m.failover_timeout_ms;
    out << YAML::Key << "parallel-syncs" << YAML::Value << m.parallel_syncs;
    if (!m.auth_pass.empty()) {
      out << YAML::Key << "auth-pass" << YAML::Value << YAML::DoubleQuoted << m.auth_pass;
    }
    out << YAML::Key << "config-epoch" << YAML::Value << m.config_epoch;
    if (!m.leader.empty()) out << YAML::Key << "leader" << YAML::Value << m.leader;
    out << YAML::Key << "leader-epoch" << YAML::Value << m.leader_epoch;
    out << YAML::Key << "known-replicas" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& r : m.known_replicas) out << r.str();
    out << YAML::EndSeq;
    out << YAML::Key << "known-sentinels" << YAML::Value << YAML::BeginSeq;
    for (const auto& p : m.known_sentinels) {
      out << YAML::Flow << YAML::BeginMap << YAML::Key << "id" << YAML::Value << p.run_id
          << YAML::Key << "ip" << YAML::Value << p.ip << YAML::Key << "port" << YAML::Value
          << p.port << YAML::Key << "peer" << YAML::Value << p.peer_address << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "myid" << YAML::Value << s.myid;
  out << YAML::Key << "current-epoch" << YAML::Value << s.current_epoch;
  out << YAML::EndMap;

  std::string text =
      "# ember-sentinel configuration; the sentinel rewrites this file with the "
      "state it learns.\n" +
      std::string(out.c_str()) + "\n";
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot write " + tmp;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return "cannot write " + tmp;
    }
    done += size_t(n);
  }
  bool ok = ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok) return "cannot fsync " + tmp;
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return "cannot rename " + tmp + " to " + path;
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return std::nullopt;
}

}  // namespace ember::sentinel
