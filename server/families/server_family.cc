// Connection and server administration: PING, ECHO, QUIT, AUTH, HELLO, RESET, CLIENT, INFO,
// CONFIG, COMMAND, TIME, SHUTDOWN, MEMORY (Redis server.c, networking.c, config.c, object.c).

#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdarg>
#include <cstdio>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/log.h"
#include "server/families/family_util.h"
#include "server/persist/aof.h"
#include "server/repl/replication.h"

namespace ember {

namespace {

// ---------------------------------------------------------------------------------------------
// Formatting helpers

std::string Fmt(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return std::string(buf, size_t(std::clamp(n, 0, int(sizeof(buf)) - 1)));
}

// Redis's bytesToHuman: "512B", "1.00K", "1.00M" ... two decimals, powers of 1024.
std::string BytesToHuman(uint64_t n) {
  constexpr double kK = 1024.0;
  if (n < 1024) return Fmt("%lluB", static_cast<unsigned long long>(n));
  if (n < 1024ULL * 1024) return Fmt("%.2fK", double(n) / kK);
  if (n < 1024ULL * 1024 * 1024) return Fmt("%.2fM", double(n) / (kK * kK));
  if (n < 1024ULL * 1024 * 1024 * 1024) return Fmt("%.2fG", double(n) / (kK * kK * kK));
  if (n < 1024ULL * 1024 * 1024 * 1024 * 1024) {
    return Fmt("%.2fT", double(n) / (kK * kK * kK * kK));
  }
  if (n < 1024ULL * 1024 * 1024 * 1024 * 1024 * 1024) {
    return Fmt("%.2fP", double(n) / (kK * kK * kK * kK * kK));
  }
  return Fmt("%lluB", static_cast<unsigned long long>(n));
}

// Appends one INFO line, "key:value\r\n".
void Field(std::string* out, std::string_view key, std::string_view value) {
  out->append(key);
  out->push_back(':');
  out->append(value);
  out->append("\r\n");
}

template <typename T>
requires std::is_integral_v<T>
void Field(std::string* out, std::string_view key, T value) {
  Field(out, key, std::to_string(value));
}

// Replies Redis's addReplyHelp: a title line, the subcommand lines, then HELP.
void ReplyHelp(CommandContext& ctx, std::initializer_list<std::string_view> lines) {
  ReplyBuilder& rb = ctx.reply();
  rb.ArrayHeader(lines.size() + 3);
  rb.SimpleString(StrCat(ToUpper(ctx.cmd().parent),
                         " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
  for (std::string_view line : lines) rb.SimpleString(line);
  rb.SimpleString("HELP");
  rb.SimpleString("    Prints this help.");
}

// ---------------------------------------------------------------------------------------------
// Connection: PING, ECHO, QUIT, AUTH, HELLO, RESET

void CmdPing(CmdArgs args, CommandContext& ctx) {
  if (args.size() > 2) return ctx.reply().Error("wrong number of arguments for 'ping' command");
  if (ctx.client().subscribed() && !ctx.client().resp3) {  // RESP2 subscribed mode
    ctx.reply().ArrayHeader(2);
    ctx.reply().Bulk("pong");
    return ctx.reply().Bulk(args.size() == 2 ? args[1] : "");
  }
  if (args.size() == 1) return ctx.reply().SimpleString("PONG");
  ctx.reply().Bulk(args[1]);
}

void CmdEcho(CmdArgs args, CommandContext& ctx) { ctx.reply().Bulk(args[1]); }

// Redis answers QUIT before looking at its arguments.
void CmdQuit(CmdArgs, CommandContext& ctx) {
  ctx.reply().Ok();
  ctx.client().close_after_reply = true;
}

// Compares a secret in time that does not depend on where the strings differ (Redis's
// time_independent_strcmp).
bool SecretEquals(std::string_view a, std::string_view b) {
  size_t diff = a.size() ^ b.size();
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= size_t(x ^ y);
  }
  return diff == 0;
}

// ACLAuthenticateUser with Ember's one user, "default": with no requirepass it is a nopass user
// and takes any password. Marks the client authenticated on success; a failure leaves the
// client's state as it was.
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view pass) {
  if (user != "default") return false;
  const std::string& required = ctx.engine().config().requirepass;
  if (!required.empty() && !SecretEquals(pass, required)) return false;
  ctx.client().authenticated = true;
  return true;
}

// Whether the client may run commands that need authentication (requirepass may have been
// cleared since the client connected).
bool IsAuthenticated(CommandContext& ctx) {
  return ctx.client().authenticated || ctx.engine().AuthNotRequired();
}

void CmdAuth(CmdArgs args, CommandContext& ctx) {
  if (args.size() > 3) return ctx.reply().Error(errors::kSyntax);
  std::string_view user = "default";
  std::string_view pass = args[1];
  if (args.size() == 2) {
    if (!ctx.engine().IsPasswordSet()) return ctx.reply().Error(errors::kAuthNoPassword);
  } else {
    user = args[1];
    pass = args[2];
  }
  if (!Authenticate(ctx, user, pass)) return ctx.reply().Error(errors::kWrongPass);
  ctx.reply().Ok();
}

// Client names and library attributes are printable ASCII without spaces.
bool ValidClientAttr(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '!' && c <= '~'; });
}

constexpr char kBadClientName[] =
    "Client names cannot contain spaces, newlines or special characters.";

// Redis 7.0's order: parse (validating SETNAME's name), authenticate, set the name, then refuse
// an unauthenticated client; so a name given before AUTH is kept even when HELLO says NOAUTH.
void CmdHello(CmdArgs args, CommandContext& ctx) {
  int64_t ver = 0;
  size_t next = 1;
  if (args.size() >= 2) {
    auto v = ParseInt64(args[next++]);
    if (!v) return ctx.reply().Error("Protocol version is not an integer or out of range");
    if (*v < 2 || *v > 3) return ctx.reply().Error(errors::kNoProto);
    ver = *v;
  }
  std::optional<std::string_view> user, pass, name;
  for (size_t j = next; j < args.size(); ++j) {
    size_t more = args.size() - 1 - j;
    std::string_view opt = args[j];
    if (EqualsNoCase(opt, "AUTH") && more >= 2) {
      user = args[j + 1];
      pass = args[j + 2];
      j += 2;
    } else if (EqualsNoCase(opt, "SETNAME") && more >= 1) {
      name = args[++j];
      if (!ValidClientAttr(*name)) return ctx.reply().Error(kBadClientName);
    } else {
      return ctx.reply().Error(StrCat("Syntax error in HELLO option '", opt, "'"));
    }
  }
  if (user && !Authenticate(ctx, *user, *pass)) return ctx.reply().Error(errors::kWrongPass);
  if (name) ctx.client().name = std::string(*name);
  if (!IsAuthenticated(ctx)) {
    return ctx.reply().Error(
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select the "
        "RESP protocol version at the same time");
  }
  if (ver != 0) {
    ctx.client().resp3 = ver == 3;
    ctx.reply().SetResp3(ver == 3);
  }
  ReplyBuilder& rb = ctx.reply();
  rb.MapHeader(7);
  rb.Bulk("server");
  rb.Bulk("redis");
  rb.Bulk("version");
  rb.Bulk(kRedisVersion);
  rb.Bulk("proto");
  rb.Integer(ctx.client().resp3 ? 3 : 2);
  rb.Bulk("id");
  rb.Integer(int64_t(ctx.client().id));
  rb.Bulk("mode");
  rb.Bulk("standalone");
  rb.Bulk("role");
  rb.Bulk("master");
  rb.Bulk("modules");
  rb.ArrayHeader(0);
}

// Redis's clearClientConnectionState: back to db 0, RESP2, no name, authenticated only if the
// default user needs no password.
void CmdReset(CmdArgs, CommandContext& ctx) {
  ClientState& c = ctx.client();
  c.db = 0;
  c.resp3 = false;
  ctx.reply().SetResp3(false);
  c.name.clear();
  c.authenticated = ctx.engine().AuthNotRequired();
  ctx.engine().EndTransaction(c);
  ctx.engine().UnsubscribeAll(c);
  ctx.reply().SimpleString("RESET");
}

// ---------------------------------------------------------------------------------------------
// CLIENT

// Redis's client types (getClientTypeByName). Every Ember client is "normal" so far.
enum class ClientType { kNormal, kReplica, kPubSub, kMaster, kUnknown };

ClientType ParseClientType(std::string_view s) {
  if (EqualsNoCase(s, "normal")) return ClientType::kNormal;
  if (EqualsNoCase(s, "slave") || EqualsNoCase(s, "replica")) return ClientType::kReplica;
  if (EqualsNoCase(s, "pubsub")) return ClientType::kPubSub;
  if (EqualsNoCase(s, "master")) return ClientType::kMaster;
  return ClientType::kUnknown;
}

ClientType TypeOf(const ClientState&) { return ClientType::kNormal; }

// One CLIENT LIST line (Redis's catClientInfoString), without the trailing newline.
std::string ClientInfoLine(const ClientState& c, int64_t now_ms) {
  size_t qbuf = c.QueryBufferBytes();
  size_t omem = c.OutputBufferBytes();
  int64_t age = std::max<int64_t>(0, now_ms - c.ctime_ms) / 1000;
  int64_t idle = std::max<int64_t>(0, now_ms - c.last_interaction_ms) / 1000;
  std::string out;
  out.reserve(320);
  out += StrCat("id=", std::to_string(c.id), " addr=", c.addr, " laddr=", c.laddr,
                " fd=", std::to_string(c.fd), " name=", c.name, " age=", std::to_string(age),
                " idle=", std::to_string(idle), " flags=",
                c.close_after_reply ? "A"
                : c.block           ? "b"
                : c.subscribed()    ? "P"
                                    : "N",
                " db=", std::to_string(c.db));
  out += StrCat(
      " sub=", std::to_string(c.channels.size()), " psub=", std::to_string(c.patterns.size()),
      " ssub=0 multi=-1 qbuf=", std::to_string(qbuf),
      " qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=", std::to_string(omem),
      " tot-mem=", std::to_string(sizeof(ClientState) + qbuf + omem),
      " events=r cmd=", c.last_cmd ? c.last_cmd->FullName() : std::string("NULL"),
      " user=default redir=-1 resp=", c.resp3 ? "3" : "2", " lib-name=", c.lib_name,
      " lib-ver=", c.lib_ver);
  return out;
}

void CmdClientId(CmdArgs, CommandContext& ctx) { ctx.reply().Integer(int64_t(ctx.client().id)); }

void CmdClientSetName(CmdArgs args, CommandContext& ctx) {
  if (!ValidClientAttr(args[2])) return ctx.reply().Error(kBadClientName);
  ctx.client().name = std::string(args[2]);  // an empty name clears it
  ctx.reply().Ok();
}

void CmdClientGetName(CmdArgs, CommandContext& ctx) {
  if (ctx.client().name.empty()) return ctx.reply().Null();
  ctx.reply().Bulk(ctx.client().name);
}

// CLIENT LIST [TYPE type] | [ID id [id ...]]: one option form at a time, as in Redis 7.0.
void CmdClientList(CmdArgs args, CommandContext& ctx) {
  const auto& clients = ctx.engine().clients();
  int64_t now = ctx.now_ms();
  std::string out;
  auto add = [&](const ClientState& c) {
    out += ClientInfoLine(c, now);
    out += '\n';
  };
  if (args.size() == 4 && EqualsNoCase(args[2], "TYPE")) {
    ClientType type = ParseClientType(args[3]);
    if (type == ClientType::kUnknown) {
      return ctx.reply().Error(StrCat("Unknown client type '", args[3], "'"));
    }
    for (const auto& [id, c] : clients) {
      if (TypeOf(*c) == type) add(*c);
    }
  } else if (args.size() > 3 && EqualsNoCase(args[2], "ID")) {
    for (size_t j = 3; j < args.size(); ++j) {
      auto id = ParseInt64(args[j]);
      if (!id) return ctx.reply().Error("Invalid client ID");
      auto it = clients.find(uint64_t(*id));
      if (it != clients.end()) add(*it->second);
    }
  } else if (args.size() != 2) {
    return ctx.reply().Error(errors::kSyntax);
  } else {
    for (const auto& [id, c] : clients) add(*c);
  }
  ctx.reply().Verbatim(out);
}

void CmdClientInfo(CmdArgs, CommandContext& ctx) {
  ctx.reply().Verbatim(ClientInfoLine(ctx.client(), ctx.now_ms()) + "\n");
}

// CLIENT KILL ip:port (replies +OK or an error) or CLIENT KILL <filter> <value> ... (replies the
// count). The caller itself is closed only after its reply is out.
void CmdClientUnblock(CmdArgs args, CommandContext& ctx) {
  int64_t id;
  if (!ParseIntArg(ctx, args[2], &id)) return;
  bool error = false;
  if (args.size() == 4) {
    if (EqualsNoCase(args[3], "ERROR")) {
      error = true;
    } else if (!EqualsNoCase(args[3], "TIMEOUT")) {
      return ctx.reply().Error("CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  }
  auto it = ctx.engine().clients().find(uint64_t(id));
  bool unblocked = it != ctx.engine().clients().end() &&
                   ctx.engine().CancelBlock(
                       *it->second, error ? "-UNBLOCKED client unblocked via CLIENT UNBLOCK" : "");
  ctx.reply().Integer(unblocked ? 1 : 0);
}

void CmdClientPause(CmdArgs args, CommandContext& ctx) {
  auto ms = ParseInt64(args[2]);
  if (!ms) return ctx.reply().Error("timeout is not an integer or out of range");
  if (*ms < 0) return ctx.reply().Error("timeout is negative");
  bool all = true;
  if (args.size() == 4) {
    if (EqualsNoCase(args[3], "WRITE")) {
      all = false;
    } else if (!EqualsNoCase(args[3], "ALL")) {
      return ctx.reply().Error("CLIENT PAUSE mode must be WRITE or ALL");
    }
  } else if (args.size() > 4) {
    return ctx.reply().Error(errors::kSyntax);
  }
  ctx.engine().Pause(ctx.engine().clock().NowMs() + *ms, all);
  ctx.reply().Ok();
}

void CmdClientUnpause(CmdArgs, CommandContext& ctx) {
  ctx.engine().Unpause();
  ctx.reply().Ok();
}

void CmdClientKill(CmdArgs args, CommandContext& ctx) {
  std::optional<std::string_view> addr, laddr;
  std::optional<ClientType> type;
  uint64_t id = 0;
  bool skipme = true;
  bool old_form = args.size() == 3;
  if (old_form) {
    addr = args[2];
    skipme = false;  // the old form may kill the caller
  } else {
    for (size_t i = 2; i < args.size(); i += 2) {
      std::string_view opt = args[i];
      if (i + 1 >= args.size()) return ctx.reply().Error(errors::kSyntax);
      std::string_view val = args[i + 1];
      if (EqualsNoCase(opt, "ID")) {
        auto v = ParseInt64(val);
        if (!v || *v < 1) return ctx.reply().Error("client-id should be greater than 0");
        id = uint64_t(*v);
      } else if (EqualsNoCase(opt, "TYPE")) {
        type = ParseClientType(val);
        if (*type == ClientType::kUnknown) {
          return ctx.reply().Error(StrCat("Unknown client type '", val, "'"));
        }
      } else if (EqualsNoCase(opt, "ADDR")) {
        addr = val;
      } else if (EqualsNoCase(opt, "LADDR")) {
        laddr = val;
      } else if (EqualsNoCase(opt, "USER")) {
        if (val != "default") return ctx.reply().Error(StrCat("No such user '", val, "'"));
      } else if (EqualsNoCase(opt, "SKIPME")) {
        if (EqualsNoCase(val, "yes")) {
          skipme = true;
        } else if (EqualsNoCase(val, "no")) {
          skipme = false;
        } else {
          return ctx.reply().Error(errors::kSyntax);
        }
      } else {
        return ctx.reply().Error(errors::kSyntax);
      }
    }
  }

  ClientState* self = &ctx.client();
  bool close_self = false;
  int64_t killed = 0;
  for (const auto& [cid, c] : ctx.engine().clients()) {
    if (addr && c->addr != *addr) continue;
    if (laddr && c->laddr != *laddr) continue;
    if (type && TypeOf(*c) != *type) continue;
    if (id != 0 && c->id != id) continue;
    if (c == self && skipme) continue;
    if (c == self) {
      close_self = true;
    } else {
      c->RequestClose();
    }
    ++killed;
  }
  if (old_form) {
    if (killed == 0) return ctx.reply().Error("No such client");
    ctx.reply().Ok();
  } else {
    ctx.reply().Integer(killed);
  }
  if (close_self) self->close_after_reply = true;
}

void CmdClientSetInfo(CmdArgs args, CommandContext& ctx) {
  std::string_view attr = args[2];
  std::string_view val = args[3];
  std::string* dest = nullptr;
  if (EqualsNoCase(attr, "LIB-NAME")) {
    dest = &ctx.client().lib_name;
  } else if (EqualsNoCase(attr, "LIB-VER")) {
    dest = &ctx.client().lib_ver;
  } else {
    return ctx.reply().Error(StrCat("Unrecognized option '", attr, "'"));
  }
  if (!ValidClientAttr(val)) {
    return ctx.reply().Error(
        StrCat(attr, " cannot contain spaces, newlines or special characters."));
  }
  *dest = std::string(val);
  ctx.reply().Ok();
}

// CLIENT NO-EVICT and NO-TOUCH: Ember neither evicts clients nor lets a client opt out of the
// access clock yet, so both only validate their argument.
void CmdClientOnOff(CmdArgs args, CommandContext& ctx) {
  if (!EqualsNoCase(args[2], "ON") && !EqualsNoCase(args[2], "OFF")) {
    return ctx.reply().Error(errors::kSyntax);
  }
  ctx.reply().Ok();
}

void CmdClientHelp(CmdArgs, CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "GETNAME",
                     "    Return the name of the current connection.",
                     "ID",
                     "    Return the ID of the current connection.",
                     "INFO",
                     "    Return information about the current client connection.",
                     "KILL <ip:port>",
                     "    Kill connection made from <ip:port>.",
                     "KILL <option> <value> [<option> <value> [...]]",
                     "    Kill connections. Options are:",
                     "    * ADDR (<ip:port>|<unixsocket>:0)",
                     "      Kill connections made from the specified address",
                     "    * LADDR (<ip:port>|<unixsocket>:0)",
                     "      Kill connections made to specified local address",
                     "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                     "      Kill connections by type.",
                     "    * USER <username>",
                     "      Kill connections authenticated by <username>.",
                     "    * SKIPME (YES|NO)",
                     "      Skip killing current connection (default: yes).",
                     "    * ID <client-id>",
                     "      Kill the connection with the given id.",
                     "LIST [options ...]",
                     "    Return information about client connections. Options:",
                     "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                     "      Return clients of specified type.",
                     "    * ID <client-id> [<client-id> ...]",
                     "      Return clients with the given ids.",
                     "SETNAME <name>",
                     "    Assign the name <name> to the current connection.",
                     "SETINFO <option> <value>",
                     "    Set client meta attributes. Options are:",
                     "    * LIB-NAME: the client library name.",
                     "    * LIB-VER: the client library version.",
                     "NO-EVICT (ON|OFF)",
                     "    Protect current client connection from eviction.",
                     "NO-TOUCH (ON|OFF)",
                     "    Will not touch LRU/LFU stats when this mode is on.",
                 });
}

// ---------------------------------------------------------------------------------------------
// INFO

int64_t ReadRss() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long long size = 0, resident = 0;
  int n = fscanf(f, "%lld %lld", &size, &resident);
  fclose(f);
  return n == 2 ? int64_t(resident) * int64_t(sysconf(_SC_PAGESIZE)) : 0;
}

std::string ExecutablePath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, size_t(n)) : std::string();
}

std::string ConfigValue(Engine& e, std::string_view name) {
  const ConfigTable::Key* key = e.config_table().Find(name);
  return key ? key->get() : std::string();
}

void InfoServer(CommandContext& ctx, std::string* out) {
  Engine& e = ctx.engine();
  struct utsname u;
  std::string os;
  if (uname(&u) == 0) os = StrCat(u.sysname, " ", u.release, " ", u.machine);
#ifdef __GNUC__
  std::string gcc = Fmt("%d.%d.%d", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  std::string gcc = "0.0.0";
#endif
  int64_t now_ms = e.clock().NowMs();
  int64_t uptime = std::max<int64_t>(0, now_ms - e.start_time_ms()) / 1000;
  out->append("# Server\r\n");
  Field(out, "redis_version", kRedisVersion);
  Field(out, "ember_version", kEmberVersion);
  Field(out, "redis_git_sha1", "00000000");
  Field(out, "redis_git_dirty", "0");
  Field(out, "redis_build_id", "0");
  Field(out, "redis_mode", "standalone");
  Field(out, "os", os);
  Field(out, "arch_bits", "64");
  Field(out, "monotonic_clock", "POSIX clock_gettime");
  Field(out, "multiplexing_api", "epoll");
  Field(out, "atomicvar_api", "c11-builtin");
  Field(out, "gcc_version", gcc);
  Field(out, "process_id", int64_t(getpid()));
  Field(out, "process_supervised", "no");
  Field(out, "run_id", e.run_id());
  Field(out, "tcp_port", e.config().port.load());
  Field(out, "server_time_usec", e.clock().NowUs());
  Field(out, "uptime_in_seconds", uptime);
  Field(out, "uptime_in_days", uptime / 86400);
  Field(out, "hz", e.config().hz.load());
  Field(out, "configured_hz", e.config().hz.load());
  Field(out, "lru_clock", (now_ms / 1000) & ((int64_t(1) << 24) - 1));
  Field(out, "executable", ExecutablePath());
  Field(out, "config_file", e.config().config_file);
  Field(out, "io_threads_active", "0");
}

void InfoClients(CommandContext& ctx, std::string* out) {
  Engine& e = ctx.engine();
  size_t max_in = 0, max_out = 0;
  for (const auto& [id, c] : e.clients()) {
    max_in = std::max(max_in, c->QueryBufferBytes());
    max_out = std::max(max_out, c->OutputBufferBytes());
  }
  out->append("# Clients\r\n");
  Field(out, "connected_clients", e.clients().size());
  Field(out, "cluster_connections", "0");
  Field(out, "maxclients", e.config().maxclients.load());
  Field(out, "client_recent_max_input_buffer", max_in);
  Field(out, "client_recent_max_output_buffer", max_out);
  Field(out, "blocked_clients", e.blocked_clients());
  Field(out, "tracking_clients", "0");
  Field(out, "clients_in_timeout_table", "0");
}

void InfoMemory(CommandContext& ctx, std::string* out) {
  Engine& e = ctx.engine();
  int64_t used = e.UsedMemory();
  int64_t peak = std::max(e.peak_memory(), used);
  int64_t rss = ReadRss();
  int64_t dataset = std::min(used, ctx.keyspace().data_bytes());
  int64_t startup = std::min(used, ctx.engine().startup_memory());
  int64_t overhead = used - dataset;
  int64_t net_usage = used > startup ? used - startup : 1;
  int64_t total_system = int64_t(sysconf(_SC_PHYS_PAGES)) * int64_t(sysconf(_SC_PAGESIZE));
  int64_t maxmemory = e.config().maxmemory.load();
  out->append("# Memory\r\n");
  Field(out, "used_memory", used);
  Field(out, "used_memory_human", BytesToHuman(uint64_t(used)));
  Field(out, "used_memory_rss", rss);
  Field(out, "used_memory_rss_human", BytesToHuman(uint64_t(rss)));
  Field(out, "used_memory_peak", peak);
  Field(out, "used_memory_peak_human", BytesToHuman(uint64_t(peak)));
  Field(out, "used_memory_peak_perc",
        Fmt("%.2f%%", peak > 0 ? double(used) * 100 / double(peak) : 0.0));
  Field(out, "used_memory_overhead", overhead);
  Field(out, "used_memory_startup", startup);
  Field(out, "used_memory_dataset", dataset);
  Field(out, "used_memory_dataset_perc", Fmt("%.2f%%", double(dataset) * 100 / double(net_usage)));
  Field(out, "total_system_memory", total_system);
  Field(out, "total_system_memory_human", BytesToHuman(uint64_t(total_system)));
  Field(out, "maxmemory", maxmemory);
  Field(out, "maxmemory_human", BytesToHuman(uint64_t(maxmemory)));
  Field(out, "maxmemory_policy", ConfigValue(e, "maxmemory-policy"));
  Field(out, "mem_fragmentation_ratio", Fmt("%.2f", used > 0 ? double(rss) / double(used) : 0.0));
  Field(out, "mem_allocator", "libc");
}

void InfoPersistence(CommandContext& ctx, std::string* out) {
  Engine& e = ctx.engine();
  out->append("# Persistence\r\n");
  e.persistence().AppendInfo(out);
  AppendAofInfo(e, out);  // server/persist/aof.cc
}

void InfoStats(CommandContext& ctx, std::string* out) {
  const ServerStats& s = ctx.engine().stats();
  Keyspace& ks = ctx.keyspace();
  out->append("# Stats\r\n");
  Field(out, "total_connections_received", s.total_connections_received);
  Field(out, "total_commands_processed", s.total_commands_processed);
  Field(out, "instantaneous_ops_per_sec", "0");
  Field(out, "total_net_input_bytes", s.total_net_input_bytes);
  Field(out, "total_net_output_bytes", s.total_net_output_bytes);
  Field(out, "rejected_connections", s.rejected_connections);
  const Replication& repl = ctx.engine().replication();
  Field(out, "sync_full", repl.sync_full());
  Field(out, "sync_partial_ok", repl.sync_partial_ok());
  Field(out, "sync_partial_err", repl.sync_partial_err());
  Field(out, "expired_keys", ks.expired_keys());
  Field(out, "evicted_keys", ks.evicted_keys());
  Field(out, "keyspace_hits", ks.keyspace_hits);
  Field(out, "keyspace_misses", ks.keyspace_misses);
  Field(out, "pubsub_channels", ctx.engine().pubsub_channels().size());
  Field(out, "pubsub_patterns", ctx.engine().pubsub_patterns());
  Field(out, "latest_fork_usec", "0");
  Field(out, "total_forks", "0");
  Field(out, "unexpected_error_replies", s.unexpected_error_replies);
  Field(out, "total_error_replies", s.total_error_replies);
}

void InfoReplication(CommandContext& ctx, std::string* out) {
  out->append("# Replication\r\n");
  ctx.engine().replication().AppendInfo(out);
}

std::string CpuTime(const struct timeval& tv) {
  return Fmt("%ld.%06ld", long(tv.tv_sec), long(tv.tv_usec));
}

void InfoCpu(CommandContext&, std::string* out) {
  struct rusage process {
  }, children{}, thread{};
  getrusage(RUSAGE_SELF, &process);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  out->append("# CPU\r\n");
  Field(out, "used_cpu_sys", CpuTime(process.ru_stime));
  Field(out, "used_cpu_user", CpuTime(process.ru_utime));
  Field(out, "used_cpu_sys_children", CpuTime(children.ru_stime));
  Field(out, "used_cpu_user_children", CpuTime(children.ru_utime));
  Field(out, "used_cpu_sys_main_thread", CpuTime(thread.ru_stime));
  Field(out, "used_cpu_user_main_thread", CpuTime(thread.ru_utime));
}

void InfoModules(CommandContext&, std::string* out) { out->append("# Modules\r\n"); }

void AddCommandStats(const Engine& engine, const CommandId& cmd, std::string* out) {
  if (cmd.calls != 0 || cmd.failed_calls != 0 || cmd.rejected_calls != 0) {
    uint64_t usec = engine.CyclesToUs(cmd.cycles);
    double per_call = cmd.calls == 0 ? 0.0 : double(usec) / double(cmd.calls);
    Field(out, StrCat("cmdstat_", cmd.FullName()),
          Fmt("calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu",
              static_cast<unsigned long long>(cmd.calls), static_cast<unsigned long long>(usec),
              per_call, static_cast<unsigned long long>(cmd.rejected_calls),
              static_cast<unsigned long long>(cmd.failed_calls)));
  }
  for (const auto& [name, sub] : cmd.subcommands) AddCommandStats(engine, sub, out);
}

void InfoCommandStats(CommandContext& ctx, std::string* out) {
  out->append("# Commandstats\r\n");
  for (const auto& [name, cmd] : ctx.engine().registry().all())
    AddCommandStats(ctx.engine(), cmd, out);
}

void InfoErrorStats(CommandContext& ctx, std::string* out) {
  out->append("# Errorstats\r\n");
  for (const auto& [code, count] : ctx.engine().stats().error_counts) {
    Field(out, StrCat("errorstat_", code), StrCat("count=", std::to_string(count)));
  }
}

void InfoCluster(CommandContext&, std::string* out) {
  out->append("# Cluster\r\n");
  Field(out, "cluster_enabled", "0");
}

void InfoKeyspace(CommandContext& ctx, std::string* out) {
  Keyspace& ks = ctx.keyspace();
  out->append("# Keyspace\r\n");
  for (int i = 0; i < ks.num_dbs(); ++i) {
    Db& db = ks.db(i);
    if (db.size() == 0) continue;
    Field(out, StrCat("db", std::to_string(i)),
          StrCat("keys=", std::to_string(db.size()), ",expires=", std::to_string(db.expires_size()),
                 ",avg_ttl=", std::to_string(db.avg_ttl_ms())));
  }
}

struct InfoSection {
  std::string_view name;
  bool in_default;
  void (*gen)(CommandContext&, std::string*);
};

// In Redis's output order, which does not depend on the order sections are asked for.
constexpr InfoSection kInfoSections[] = {
    {"server", true, InfoServer},
    {"clients", true, InfoClients},
    {"memory", true, InfoMemory},
    {"persistence", true, InfoPersistence},
    {"stats", true, InfoStats},
    {"replication", true, InfoReplication},
    {"cpu", true, InfoCpu},
    {"modules", true, InfoModules},
    {"commandstats", false, InfoCommandStats},
    {"errorstats", true, InfoErrorStats},
    {"cluster", true, InfoCluster},
    {"keyspace", true, InfoKeyspace},
};

void CmdInfo(CmdArgs args, CommandContext& ctx) {
  bool all = false;
  bool defaults = args.size() == 1;
  std::set<std::string, std::less<>> wanted;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string name = ToLower(args[i]);
    if (name == "all" || name == "everything") {
      all = true;
    } else if (name == "default") {
      defaults = true;
    } else {
      wanted.insert(std::move(name));
    }
  }
  std::string out;
  int emitted = 0;
  for (const InfoSection& s : kInfoSections) {
    if (!all && !(defaults && s.in_default) && !wanted.contains(s.name)) continue;
    if (emitted++ > 0) out.append("\r\n");
    s.gen(ctx, &out);
  }
  ctx.reply().Verbatim(out);
}

// ---------------------------------------------------------------------------------------------
// CONFIG

// CONFIG GET pattern [pattern ...]: a name without glob characters is echoed as typed; each key
// appears once however many patterns match it.
void CmdConfigGet(CmdArgs args, CommandContext& ctx) {
  ConfigTable& table = ctx.engine().config_table();
  std::vector<std::pair<std::string, std::string>> pairs;
  std::set<std::string, std::less<>> seen;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string_view pattern = args[i];
    if (pattern.find_first_of("[*?") == std::string_view::npos) {
      const ConfigTable::Key* key = table.Find(pattern);
      if (key != nullptr && seen.insert(key->name).second) {
        pairs.emplace_back(std::string(pattern), key->get());
      }
      continue;
    }
    for (auto& [name, value] : table.Get(pattern)) {
      if (seen.insert(name).second) pairs.emplace_back(std::move(name), std::move(value));
    }
  }
  ctx.reply().MapHeader(pairs.size());
  for (const auto& [name, value] : pairs) {
    ctx.reply().Bulk(name);
    ctx.reply().Bulk(value);
  }
}

// enable-protected-configs: yes, or local and the client is on loopback (Redis's islocalClient).
bool ProtectedConfigsAllowed(CommandContext& ctx) {
  switch (ctx.engine().config().enable_protected_configs.load()) {
    case 1:
      return true;
    case 2: {
      std::string_view addr = ctx.client().addr;
      return addr.starts_with("127.") || addr.starts_with("::1") || addr.starts_with("[::1]");
    }
    default:
      return false;
  }
}

// CONFIG SET key value [key value ...], all or nothing as in Redis 7.0: names are checked first
// (the first problem found is reported), then values are set in order, and a value that fails
// restores the ones set before it.
void CmdConfigSet(CmdArgs args, CommandContext& ctx) {
  if (args.size() % 2 != 0) return ctx.reply().Error(errors::kSyntax);
  ConfigTable& table = ctx.engine().config_table();
  std::vector<const ConfigTable::Key*> keys;
  std::optional<std::string_view> unknown;
  std::string_view err_arg;
  const char* err = nullptr;
  for (size_t i = 2; i < args.size(); i += 2) {
    const ConfigTable::Key* key = table.Find(args[i]);
    if (key == nullptr) {
      if (!unknown && err == nullptr) unknown = args[i];
      continue;
    }
    if (unknown || err != nullptr) continue;
    if (!key->mutable_at_runtime) {
      err = "can't set immutable config";
      err_arg = args[i];
    } else if (key->protected_config && !ProtectedConfigsAllowed(ctx)) {
      err = "can't set protected config";
      err_arg = args[i];
    } else if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      err = "duplicate parameter";
      err_arg = args[i];
    }
    keys.push_back(key);
  }
  if (unknown) {
    return ctx.reply().Error(
        StrCat("Unknown option or number of arguments for CONFIG SET - '", *unknown, "'"));
  }
  if (err != nullptr) {
    return ctx.reply().Error(
        StrCat("CONFIG SET failed (possibly related to argument '", err_arg, "') - ", err));
  }

  std::vector<std::string> old_values;
  old_values.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    old_values.push_back(keys[i]->get());
    if (auto reason = table.Set(keys[i]->name, args[3 + 2 * i], /*at_startup=*/false)) {
      for (size_t j = i; j-- > 0;) table.Set(keys[j]->name, old_values[j], false);
      return ctx.reply().Error(StrCat("CONFIG SET failed (possibly related to argument '",
                                      keys[i]->name, "') - ", *reason));
    }
  }
  ctx.reply().Ok();
}

void ResetCommandStats(CommandId& cmd) {
  cmd.calls = cmd.cycles = cmd.failed_calls = cmd.rejected_calls = 0;
  for (auto& [name, sub] : cmd.subcommands) ResetCommandStats(sub);
}

void CmdConfigResetStat(CmdArgs, CommandContext& ctx) {
  Engine& e = ctx.engine();
  e.stats() = ServerStats{};
  e.keyspace().ResetStats();
  for (auto& [name, cmd] : e.registry().all()) ResetCommandStats(cmd);
  ctx.reply().Ok();
}

void CmdConfigRewrite(CmdArgs, CommandContext& ctx) {
  Engine& e = ctx.engine();
  const std::string& file = e.config().config_file;
  if (file.empty()) return ctx.reply().Error("The server is running without a config file");
  if (auto err = e.config_table().Rewrite(file)) {
    return ctx.reply().Error(StrCat("Rewriting config file: ", *err));
  }
  ctx.reply().Ok();
}

void CmdConfigHelp(CmdArgs, CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "GET <pattern>",
                     "    Return parameters matching the glob-like <pattern> and their values.",
                     "SET <directive> <value>",
                     "    Set the configuration <directive> to <value>.",
                     "RESETSTAT",
                     "    Reset statistics reported by the INFO command.",
                     "REWRITE",
                     "    Rewrite the configuration file.",
                 });
}

// ---------------------------------------------------------------------------------------------
// COMMAND

// ACL categories, in Redis's order (COMMAND INFO lists them in this order).
constexpr std::string_view kAclCategories[] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting",
};

// The bit of a category name (any case), or 0.
uint32_t CategoryBit(std::string_view name) {
  for (size_t i = 0; i < std::size(kAclCategories); ++i) {
    if (EqualsNoCase(kAclCategories[i], name)) return 1u << i;
  }
  return 0;
}

// The bits of a space-separated list of category names.
uint32_t CategoryBits(std::string_view names) {
  uint32_t bits = 0;
  while (!names.empty()) {
    size_t sp = names.find(' ');
    bits |= CategoryBit(names.substr(0, sp));
    names = sp == std::string_view::npos ? std::string_view() : names.substr(sp + 1);
  }
  return bits;
}

// The category a command's documentation group implies.
uint32_t GroupCategory(std::string_view group) {
  static constexpr std::pair<std::string_view, std::string_view> kGroups[] = {
      {"string", "string"},
      {"bitmap", "bitmap"},
      {"list", "list"},
      {"hash", "hash"},
      {"set", "set"},
      {"sorted-set", "sortedset"},
      {"sorted_set", "sortedset"},
      {"hyperloglog", "hyperloglog"},
      {"geo", "geo"},
      {"stream", "stream"},
      {"pubsub", "pubsub"},
      {"generic", "keyspace"},
      {"connection", "connection"},
      {"transactions", "transaction"},
      {"scripting", "scripting"},
  };
  for (const auto& [g, cat] : kGroups) {
    if (g == group) return CategoryBit(cat);
  }
  return 0;
}

// Categories Redis declares per command beyond what flags and group imply (its command JSON
// files). Subcommands inherit their parent's additions.
struct CategoryOverride {
  std::string_view command;
  std::string_view add;
  std::string_view remove;
};
constexpr CategoryOverride kCategoryOverrides[] = {
    {"asking", "connection", ""},
    {"command", "connection", ""},
    {"dbsize", "keyspace", ""},
    {"eval_ro", "", "read"},
    {"evalsha_ro", "", "read"},
    {"fcall_ro", "", "read"},
    {"flushall", "keyspace dangerous", ""},
    {"flushdb", "keyspace dangerous", ""},
    {"info", "dangerous", ""},
    {"keys", "dangerous", ""},
    {"lastsave", "admin dangerous", ""},
    {"migrate", "dangerous", ""},
    {"pubsub|help", "", "pubsub"},
    {"readonly", "connection", ""},
    {"readwrite", "connection", ""},
    {"restore", "dangerous", ""},
    {"restore-asking", "keyspace dangerous", ""},
    {"role", "admin dangerous", ""},
    {"sort", "dangerous list set sortedset", "keyspace"},
    {"sort_ro", "dangerous list set sortedset", "keyspace"},
    {"swapdb", "keyspace dangerous", ""},
    {"wait", "connection", "keyspace"},
};

const CategoryOverride* FindOverride(std::string_view name) {
  for (const CategoryOverride& o : kCategoryOverrides) {
    if (o.command == name) return &o;
  }
  return nullptr;
}

// Redis's setImplicitACLCategories plus the group's category (containers take none).
uint32_t AclCategories(const CommandId& cmd) {
  uint32_t bits = 0;
  if (cmd.subcommands.empty()) bits |= GroupCategory(cmd.group);
  if (cmd.Has(kWrite)) bits |= CategoryBit("write");
  if (cmd.Has(kReadOnly)) bits |= CategoryBit("read");
  if (cmd.Has(kAdmin)) bits |= CategoryBits("admin dangerous");
  if (cmd.Has(kPubSub)) bits |= CategoryBit("pubsub");
  if (cmd.Has(kFast)) bits |= CategoryBit("fast");
  if (cmd.Has(kBlocking)) bits |= CategoryBit("blocking");
  if (!cmd.parent.empty()) {
    if (const CategoryOverride* o = FindOverride(cmd.parent)) bits |= CategoryBits(o->add);
  }
  if (const CategoryOverride* o = FindOverride(cmd.FullName())) {
    bits |= CategoryBits(o->add);
    bits &= ~CategoryBits(o->remove);
  }
  if (!(bits & CategoryBit("fast"))) bits |= CategoryBit("slow");
  return bits;
}

// Command flags as COMMAND INFO names them, in Redis's order (may_replicate and sentinel are
// hidden there too).
constexpr std::pair<uint32_t, std::string_view> kFlagNames[] = {
    {kWrite, "write"},
    {kReadOnly, "readonly"},
    {kDenyOom, "denyoom"},
    {kAdmin, "admin"},
    {kPubSub, "pubsub"},
    {kNoScript, "noscript"},
    {kBlocking, "blocking"},
    {kLoading, "loading"},
    {kStale, "stale"},
    {kSkipMonitor, "skip_monitor"},
    {kSkipSlowlog, "skip_slowlog"},
    {kFast, "fast"},
    {kNoAuth, "no_auth"},
    {kNoMulti, "no_multi"},
};

void ReplyCommandInfo(ReplyBuilder& rb, const CommandId& cmd) {
  rb.ArrayHeader(10);
  rb.Bulk(cmd.FullName());
  rb.Integer(cmd.arity);
  size_t nflags = 0;
  for (const auto& [flag, name] : kFlagNames) nflags += cmd.Has(flag) ? 1 : 0;
  rb.SetHeader(nflags);
  for (const auto& [flag, name] : kFlagNames) {
    if (cmd.Has(flag)) rb.SimpleString(name);
  }
  rb.Integer(cmd.first_key);
  rb.Integer(cmd.last_key);
  rb.Integer(cmd.first_key == 0 ? 0 : cmd.key_step);
  uint32_t cats = AclCategories(cmd);
  rb.SetHeader(size_t(std::popcount(cats)));
  for (size_t i = 0; i < std::size(kAclCategories); ++i) {
    if (cats & (1u << i)) rb.SimpleString(StrCat("@", kAclCategories[i]));
  }
  rb.SetHeader(0);    // tips
  rb.ArrayHeader(0);  // key specs
  rb.ArrayHeader(cmd.subcommands.size());
  for (const auto& [name, sub] : cmd.subcommands) ReplyCommandInfo(rb, sub);
}

void ReplyCommandDocs(ReplyBuilder& rb, const CommandId& cmd) {
  size_t n = (cmd.summary.empty() ? 0 : 1) + (cmd.since.empty() ? 0 : 1) +
             (cmd.group.empty() ? 0 : 1) + (cmd.complexity.empty() ? 0 : 1) +
             (cmd.subcommands.empty() ? 0 : 1);
  rb.MapHeader(n);
  auto field = [&rb](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    rb.Bulk(key);
    rb.Bulk(value);
  };
  field("summary", cmd.summary);
  field("since", cmd.since);
  field("group", cmd.group);
  field("complexity", cmd.complexity);
  if (!cmd.subcommands.empty()) {
    rb.Bulk("subcommands");
    rb.MapHeader(cmd.subcommands.size());
    for (const auto& [name, sub] : cmd.subcommands) {
      rb.Bulk(sub.FullName());
      ReplyCommandDocs(rb, sub);
    }
  }
}

// A command by name, "container|sub" naming a subcommand, as Redis's lookupCommandBySds.
const CommandId* LookupCommand(CommandRegistry& registry, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return registry.Find(name);
  std::string_view sub = name.substr(bar + 1);
  if (sub.find('|') != std::string_view::npos) return nullptr;
  CommandId* parent = registry.Find(name.substr(0, bar));
  if (parent == nullptr || parent->subcommands.empty()) return nullptr;
  return CommandRegistry::FindSub(*parent, sub);
}

void ReplyAllCommandInfo(CommandContext& ctx) {
  const auto& all = ctx.engine().registry().all();
  ctx.reply().ArrayHeader(all.size());
  for (const auto& [name, cmd] : all) ReplyCommandInfo(ctx.reply(), cmd);
}

// COMMAND with no subcommand: every command's info.
void CmdCommand(CmdArgs, CommandContext& ctx) { ReplyAllCommandInfo(ctx); }

void CmdCommandCount(CmdArgs, CommandContext& ctx) {
  ctx.reply().Integer(int64_t(ctx.engine().registry().all().size()));
}

void CmdCommandInfo(CmdArgs args, CommandContext& ctx) {
  if (args.size() == 2) return ReplyAllCommandInfo(ctx);
  CommandRegistry& registry = ctx.engine().registry();
  ctx.reply().ArrayHeader(args.size() - 2);
  for (size_t i = 2; i < args.size(); ++i) {
    const CommandId* cmd = LookupCommand(registry, args[i]);
    if (cmd == nullptr) {
      ctx.reply().Null();
    } else {
      ReplyCommandInfo(ctx.reply(), *cmd);
    }
  }
}

void CmdCommandDocs(CmdArgs args, CommandContext& ctx) {
  CommandRegistry& registry = ctx.engine().registry();
  std::vector<const CommandId*> found;
  if (args.size() == 2) {
    for (const auto& [name, cmd] : registry.all()) found.push_back(&cmd);
  } else {
    for (size_t i = 2; i < args.size(); ++i) {
      if (const CommandId* cmd = LookupCommand(registry, args[i])) found.push_back(cmd);
    }
  }
  ctx.reply().MapHeader(found.size());
  for (const CommandId* cmd : found) {
    ctx.reply().Bulk(cmd->FullName());
    ReplyCommandDocs(ctx.reply(), *cmd);
  }
}

// COMMAND LIST [FILTERBY (MODULE name | ACLCAT category | PATTERN pattern)]: every command and
// subcommand name.
void CmdCommandList(CmdArgs args, CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string_view filter_arg;
  for (size_t i = 2; i < args.size(); ++i) {
    size_t more = args.size() - 1 - i;
    if (!EqualsNoCase(args[i], "FILTERBY") || more != 2) return ctx.reply().Error(errors::kSyntax);
    std::string_view type = args[i + 1];
    if (EqualsNoCase(type, "MODULE")) {
      filter = Filter::kModule;
    } else if (EqualsNoCase(type, "ACLCAT")) {
      filter = Filter::kAclCat;
    } else if (EqualsNoCase(type, "PATTERN")) {
      filter = Filter::kPattern;
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
    filter_arg = args[i + 2];
    i += 2;
  }
  uint32_t cat = filter == Filter::kAclCat ? CategoryBit(filter_arg) : 0;
  std::vector<std::string> names;
  auto visit = [&](const CommandId& cmd, auto&& self) -> void {
    std::string full = cmd.FullName();
    bool keep = filter == Filter::kNone ||
                (filter == Filter::kAclCat && cat != 0 && (AclCategories(cmd) & cat)) ||
                (filter == Filter::kPattern && GlobMatch(filter_arg, full, /*nocase=*/true));
    if (keep) names.push_back(std::move(full));
    for (const auto& [name, sub] : cmd.subcommands) self(sub, self);
  };
  for (const auto& [name, cmd] : ctx.engine().registry().all()) visit(cmd, visit);
  ctx.reply().ArrayHeader(names.size());
  for (const std::string& name : names) ctx.reply().Bulk(name);
}

// COMMAND GETKEYS command [arg ...]: the keys by the command's first/last/step declaration.
void CmdCommandGetKeys(CmdArgs args, CommandContext& ctx) {
  CmdArgs request = args.subspan(2);
  CommandId* cmd = ctx.engine().registry().Find(request[0]);
  if (cmd != nullptr && !cmd->subcommands.empty() && request.size() >= 2) {
    cmd = CommandRegistry::FindSub(*cmd, request[1]);
  }
  if (cmd == nullptr) return ctx.reply().Error("Invalid command specified");
  if (cmd->first_key == 0) return ctx.reply().Error("The command has no key arguments");
  int argc = int(request.size());
  if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
    return ctx.reply().Error("Invalid number of arguments specified for command");
  }
  int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
  int step = std::max(1, cmd->key_step);
  std::vector<std::string_view> keys;
  for (int i = cmd->first_key; i <= last && i < argc; i += step) keys.push_back(request[size_t(i)]);
  if (keys.empty()) return ctx.reply().Error("Invalid arguments specified for command");
  ctx.reply().ArrayHeader(keys.size());
  for (std::string_view key : keys) ctx.reply().Bulk(key);
}

void CmdCommandHelp(CmdArgs, CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "(no subcommand)",
                     "    Return details about all commands.",
                     "COUNT",
                     "    Return the total number of commands in this server.",
                     "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
                     "    Return a list of all commands in this server.",
                     "INFO [<command-name> ...]",
                     "    Return details about multiple commands.",
                     "    If no command names are given, details for all commands are returned.",
                     "DOCS [<command-name> ...]",
                     "    Return documentation details about multiple commands.",
                     "    If no command names are given, documentation details for all",
                     "    commands are returned.",
                     "GETKEYS <full-command>",
                     "    Return the keys from a full command.",
                 });
}

// ---------------------------------------------------------------------------------------------
// TIME, SHUTDOWN, MEMORY

// ---------------------------------------------------------------------------------------------
// SAVE, BGSAVE, LASTSAVE

void CmdSave(CmdArgs, CommandContext& ctx) {
  std::string error;
  if (!ctx.engine().persistence().Save(&error)) return ctx.reply().Error(error);
  ctx.reply().Ok();
}

void CmdBgSave(CmdArgs args, CommandContext& ctx) {
  bool schedule = false;
  if (args.size() == 2 && EqualsNoCase(args[1], "SCHEDULE")) {
    schedule = true;
  } else if (args.size() > 1) {
    return ctx.reply().Error(errors::kSyntax);
  }
  switch (ctx.engine().persistence().BgSave(schedule, ctx.client().in_exec)) {
    case Persistence::BgStart::kStarted:
      return ctx.reply().SimpleString("Background saving started");
    case Persistence::BgStart::kScheduled:
      return ctx.reply().SimpleString("Background saving scheduled");
    case Persistence::BgStart::kInProgress:
      return ctx.reply().Error("Background save already in progress");
    case Persistence::BgStart::kBusy:
      return ctx.reply().Error(
          "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE "
          "in order to schedule a BGSAVE whenever possible.");
    case Persistence::BgStart::kFailed:
      return ctx.reply().Error("-ERR");
  }
}

void CmdBgRewriteAof(CmdArgs, CommandContext& ctx) {
  switch (ctx.engine().aof().BgRewrite(ctx.client().in_exec)) {
    case Aof::RewriteStart::kStarted:
      return ctx.reply().SimpleString("Background append only file rewriting started");
    case Aof::RewriteStart::kScheduled:
      return ctx.reply().SimpleString("Background append only file rewriting scheduled");
    case Aof::RewriteStart::kInProgress:
      return ctx.reply().Error("Background append only file rewriting already in progress");
    case Aof::RewriteStart::kFailed:
      return ctx.reply().Error(
          "Can't execute an AOF background rewriting. Please check the server logs for more "
          "information.");
  }
}

// REPLICAOF host port | NO ONE (and SLAVEOF).
void CmdReplicaOf(CmdArgs args, CommandContext& ctx) {
  Replication& r = ctx.engine().replication();
  if (EqualsNoCase(args[1], "no") && EqualsNoCase(args[2], "one")) {
    if (r.is_replica()) r.BecomeMaster();
    return ctx.reply().Ok();
  }
  auto port = ParseInt64(args[2]);
  if (!port || *port < 0 || *port > 65535) return ctx.reply().Error("Invalid master port");
  if (r.is_replica() && r.master_host() == args[1] && r.master_port() == *port) {
    return ctx.reply().SimpleString("OK Already connected to specified master");
  }
  r.SetMaster(std::string(args[1]), int(*port));
  EMBER_LOG(kNotice, "REPLICAOF %.*s:%lld enabled (user request from '%s')", int(args[1].size()),
            args[1].data(), (long long)*port, ctx.client().addr.c_str());
  ctx.reply().Ok();
}

// WAIT numreplicas timeout: until that many replicas acknowledged this client's last write.
void CmdWait(CmdArgs args, CommandContext& ctx) {
  Engine& engine = ctx.engine();
  Replication& r = engine.replication();
  if (r.is_replica()) {
    return ctx.reply().Error(
        "WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a "
        "replica is configured to be writable (which is not the default) writes to replicas are "
        "just local and are not propagated.");
  }
  auto replicas = ParseInt64(args[1]);
  if (!replicas) return ctx.reply().Error(errors::kNotInteger);
  auto timeout = ParseInt64(args[2]);
  if (!timeout) return ctx.reply().Error(errors::kTimeoutNotInt);
  if (*timeout < 0) return ctx.reply().Error("timeout is negative");
  int64_t now = engine.clock().NowMs();
  if (*timeout > INT64_MAX - now) return ctx.reply().Error("timeout is out of range");
  uint64_t offset = ctx.client().woff;
  int64_t acked = r.CountAcked(offset);
  // Inside MULTI, as in Redis, the answer is what holds now.
  if (acked >= *replicas || ctx.client().in_exec) return ctx.reply().Integer(acked);
  int64_t deadline = *timeout == 0 ? 0 : now + *timeout;
  ctx.BlockForAcks(offset, *replicas, deadline);
}

void CmdRole(CmdArgs, CommandContext& ctx) { ctx.engine().replication().Role(ctx.reply()); }

void CmdLastSave(CmdArgs, CommandContext& ctx) {
  ctx.reply().Integer(ctx.engine().persistence().lastsave_s());
}

void CmdTime(CmdArgs, CommandContext& ctx) {
  int64_t us = ctx.engine().clock().NowUs();
  ctx.reply().ArrayHeader(2);
  ctx.reply().Bulk(IntToString(us / 1'000'000));
  ctx.reply().Bulk(IntToString(us % 1'000'000));
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. On success nothing is replied: the connection
// closes and the process exits.
void CmdShutdown(CmdArgs args, CommandContext& ctx) {
  bool nosave = false, save = false, now = false, force = false, abort_shutdown = false;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view opt = args[i];
    if (EqualsNoCase(opt, "NOSAVE")) {
      nosave = true;
    } else if (EqualsNoCase(opt, "SAVE")) {
      save = true;
    } else if (EqualsNoCase(opt, "NOW")) {
      now = true;
    } else if (EqualsNoCase(opt, "FORCE")) {
      force = true;
    } else if (EqualsNoCase(opt, "ABORT")) {
      abort_shutdown = true;
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
  }
  if ((abort_shutdown && (nosave || save || now || force)) || (nosave && save)) {
    return ctx.reply().Error(errors::kSyntax);
  }
  if (abort_shutdown) return ctx.reply().Error("No shutdown in progress.");
  Persistence& persistence = ctx.engine().persistence();
  if (!nosave && (save || persistence.has_save_rules())) {
    persistence.AbortBackground();
    std::string error;
    if (!persistence.Save(&error) && !force) {
      EMBER_LOG(kWarning, "Error trying to save the DB, can't exit.");
      return ctx.reply().Error("Errors trying to SHUTDOWN. Check logs.");
    }
  }
  ctx.engine().shutdown_requested = true;
  ctx.client().close_after_reply = true;
}

// MEMORY USAGE key [SAMPLES count]: the entry's allocation plus its table slot.
void CmdMemoryUsage(CmdArgs args, CommandContext& ctx) {
  for (size_t j = 3; j < args.size(); ++j) {
    if (EqualsNoCase(args[j], "SAMPLES") && j + 1 < args.size()) {
      int64_t samples;
      if (!ParseIntArg(ctx, args[j + 1], &samples)) return;
      if (samples < 0) return ctx.reply().Error(errors::kSyntax);
      ++j;
    } else {
      return ctx.reply().Error(errors::kSyntax);
    }
  }
  const Entry* e = ctx.db().FindNoTouch(args[2]);
  if (e == nullptr) return ctx.reply().Null();
  ctx.reply().Integer(int64_t(e->TotalBytes() + 16));
}

void CmdMemoryHelp(CmdArgs, CommandContext& ctx) {
  ReplyHelp(ctx, {
                     "USAGE <key> [SAMPLES <count>]",
                     "    Return memory in bytes used by <key> and its value. Nested values are",
                     "    sampled up to <count> times (default: 5, 0 means sample all).",
                 });
}

// Containers are only reached with a subcommand (their arity is -2); this answers if a
// registration ever lets one through.

}  // namespace

void RegisterServerFamily(CommandRegistry* registry) {
  constexpr uint32_t kConn = kNoScript | kLoading | kStale;
  constexpr uint32_t kAdm = kAdmin | kNoScript | kLoading | kStale;
  constexpr uint32_t kHelp = kLoading | kStale;
  constexpr char kO1[] = "O(1)";

  // One command per line reads better than wrapped declarations.
  // clang-format off
  *registry
      << CommandId("PING", kFast | kSubscribed, -1, 0, 0).Handler(CmdPing).Doc("connection", "1.0.0", "Ping the server", kO1)
      << CommandId("ECHO", kLoading | kStale | kFast, 2, 0, 0).Handler(CmdEcho).Doc("connection", "1.0.0", "Echo the given string", kO1)
      << CommandId("QUIT", kConn | kFast | kNoAuth | kTxControl | kSubscribed, -1, 0, 0).Handler(CmdQuit).Doc("connection", "1.0.0", "Close the connection", kO1)
      << CommandId("AUTH", kConn | kFast | kNoAuth, -2, 0, 0).Handler(CmdAuth).Doc("connection", "1.0.0", "Authenticate to the server", "O(N) where N is the number of passwords defined for the user")
      << CommandId("HELLO", kConn | kFast | kNoAuth, -1, 0, 0).Handler(CmdHello).Doc("connection", "6.0.0", "Handshake with Redis", kO1)
      << CommandId("RESET", kConn | kFast | kNoAuth | kTxControl | kSubscribed, 1, 0, 0).Handler(CmdReset).Doc("connection", "6.2.0", "Reset the connection", kO1)
      << CommandId("CLIENT", 0, -2, 0, 0).Handler(CmdContainer).Doc("connection", "2.4.0", "A container for client connection commands", "Depends on subcommand.")
             .Sub(CommandId("ID", kConn, 2, 0, 0).Handler(CmdClientId).Doc("connection", "5.0.0", "Returns the client ID for the current connection", kO1))
             .Sub(CommandId("SETNAME", kConn, 3, 0, 0).Handler(CmdClientSetName).Doc("connection", "2.6.9", "Set the current connection name", kO1))
             .Sub(CommandId("GETNAME", kConn, 2, 0, 0).Handler(CmdClientGetName).Doc("connection", "2.6.9", "Get the current connection name", kO1))
             .Sub(CommandId("LIST", kAdm, -2, 0, 0).Handler(CmdClientList).Doc("connection", "2.4.0", "Get the list of client connections", "O(N) where N is the number of client connections"))
             .Sub(CommandId("INFO", kConn, 2, 0, 0).Handler(CmdClientInfo).Doc("connection", "6.2.0", "Returns information about the current client connection.", kO1))
             .Sub(CommandId("PAUSE", kAdm | kNoScript | kLoading | kStale, -3, 0, 0).Handler(CmdClientPause).Doc("connection", "3.0.0", "Stop processing commands from clients for some time.", kO1))
             .Sub(CommandId("UNPAUSE", kAdm | kNoScript | kLoading | kStale, 2, 0, 0).Handler(CmdClientUnpause).Doc("connection", "6.2.0", "Resume processing commands from paused clients.", "O(N) Where N is the number of paused clients"))
             .Sub(CommandId("UNBLOCK", kAdm, -3, 0, 0).Handler(CmdClientUnblock).Doc("connection", "5.0.0", "Unblocks a client blocked by a blocking command from a different connection.", "O(log N) where N is the number of client connections"))
             .Sub(CommandId("KILL", kAdm, -3, 0, 0).Handler(CmdClientKill).Doc("connection", "2.4.0", "Kill the connection of a client", "O(N) where N is the number of client connections"))
             .Sub(CommandId("SETINFO", kConn, 4, 0, 0).Handler(CmdClientSetInfo).Doc("connection", "7.2.0", "Sets information specific to the client or connection.", kO1))
             .Sub(CommandId("NO-EVICT", kAdm, 3, 0, 0).Handler(CmdClientOnOff).Doc("connection", "7.0.0", "Set client eviction mode for the current connection", kO1))
             .Sub(CommandId("NO-TOUCH", kConn, 3, 0, 0).Handler(CmdClientOnOff).Doc("connection", "7.2.0", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", kO1))
             .Sub(CommandId("HELP", kHelp, 2, 0, 0).Handler(CmdClientHelp).Doc("connection", "5.0.0", "Show helpful text about the different subcommands", kO1))
      << CommandId("INFO", kLoading | kStale, -1, 0, 0).Handler(CmdInfo).Doc("server", "1.0.0", "Get information and statistics about the server", kO1)
      << CommandId("CONFIG", 0, -2, 0, 0).Handler(CmdContainer).Doc("server", "2.0.0", "A container for server configuration commands", "Depends on subcommand.")
             .Sub(CommandId("GET", kAdm, -3, 0, 0).Handler(CmdConfigGet).Doc("server", "2.0.0", "Get the values of configuration parameters", "O(N) when N is the number of configuration parameters provided"))
             .Sub(CommandId("SET", kAdm, -4, 0, 0).Handler(CmdConfigSet).Doc("server", "2.0.0", "Set configuration parameters to the given values", "O(N) when N is the number of configuration parameters provided"))
             .Sub(CommandId("RESETSTAT", kAdm, 2, 0, 0).Handler(CmdConfigResetStat).Doc("server", "2.0.0", "Reset the stats returned by INFO", kO1))
             .Sub(CommandId("REWRITE", kAdm, 2, 0, 0).Handler(CmdConfigRewrite).Doc("server", "2.8.0", "Rewrite the configuration file with the in memory configuration", kO1))
             .Sub(CommandId("HELP", kHelp, 2, 0, 0).Handler(CmdConfigHelp).Doc("server", "5.0.0", "Show helpful text about the different subcommands", kO1))
      << CommandId("COMMAND", kLoading | kStale, -1, 0, 0).Handler(CmdCommand).Doc("server", "2.8.13", "Get array of Redis command details", "O(N) where N is the total number of Redis commands")
             .Sub(CommandId("COUNT", kHelp, 2, 0, 0).Handler(CmdCommandCount).Doc("server", "2.8.13", "Get total number of Redis commands", kO1))
             .Sub(CommandId("LIST", kHelp, -2, 0, 0).Handler(CmdCommandList).Doc("server", "7.0.0", "Get an array of Redis command names", "O(N) where N is the total number of Redis commands"))
             .Sub(CommandId("INFO", kHelp, -2, 0, 0).Handler(CmdCommandInfo).Doc("server", "2.8.13", "Get array of specific Redis command details, or all when no argument is given.", "O(N) where N is the number of commands to look up"))
             .Sub(CommandId("DOCS", kHelp, -2, 0, 0).Handler(CmdCommandDocs).Doc("server", "7.0.0", "Get array of specific Redis command documentation", "O(N) where N is the number of commands to look up"))
             .Sub(CommandId("GETKEYS", kHelp, -4, 0, 0).Handler(CmdCommandGetKeys).Doc("server", "2.8.13", "Extract keys given a full Redis command", "O(N) where N is the number of arguments to the command"))
             .Sub(CommandId("HELP", kHelp, 2, 0, 0).Handler(CmdCommandHelp).Doc("server", "5.0.0", "Show helpful text about the different subcommands", kO1))
      << CommandId("SAVE", kAdmin | kNoScript | kNoMulti, 1, 0, 0).Handler(CmdSave).Doc("server", "1.0.0", "Synchronously save the dataset to disk", "O(N) where N is the total number of keys in all databases")
      << CommandId("BGSAVE", kAdmin | kNoScript, -1, 0, 0).Handler(CmdBgSave).Doc("server", "1.0.0", "Asynchronously save the dataset to disk", kO1)
      << CommandId("BGREWRITEAOF", kAdmin | kNoScript, 1, 0, 0).Handler(CmdBgRewriteAof).Doc("server", "1.0.0", "Asynchronously rewrite the append-only file", kO1)
      << CommandId("REPLICAOF", kAdmin | kNoScript | kStale, 3, 0, 0).Handler(CmdReplicaOf).Doc("server", "5.0.0", "Make the server a replica of another instance, or promote it as master.", kO1)
      << CommandId("SLAVEOF", kAdmin | kNoScript | kStale, 3, 0, 0).Handler(CmdReplicaOf).Doc("server", "1.0.0", "Make the server a replica of another instance, or promote it as master.", kO1)
      << CommandId("WAIT", kNoScript, 3, 0, 0).Handler(CmdWait).Doc("generic", "3.0.0", "Wait for the synchronous replication of all the write commands sent in the context of the current connection", kO1)
      << CommandId("ROLE", kNoScript | kLoading | kStale | kFast, 1, 0, 0).Handler(CmdRole).Doc("server", "2.8.12", "Return the role of the instance in the context of replication", kO1)
      << CommandId("LASTSAVE", kLoading | kStale | kFast, 1, 0, 0).Handler(CmdLastSave).Doc("server", "1.0.0", "Get the UNIX time stamp of the last successful save to disk", kO1)
      << CommandId("TIME", kLoading | kStale | kFast, 1, 0, 0).Handler(CmdTime).Doc("server", "2.6.0", "Return the current server time", kO1)
      << CommandId("SHUTDOWN", kAdm | kNoMulti, -1, 0, 0).Handler(CmdShutdown).Doc("server", "1.0.0", "Synchronously save the dataset to disk and then shut down the server", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)")
      << CommandId("MEMORY", 0, -2, 0, 0).Handler(CmdContainer).Doc("server", "4.0.0", "A container for memory diagnostics commands", "Depends on subcommand.")
             .Sub(CommandId("USAGE", kReadOnly, -3, 2, 2).Handler(CmdMemoryUsage).Doc("server", "4.0.0", "Estimate the memory usage of a key", "O(N) where N is the number of samples."))
             .Sub(CommandId("HELP", kHelp, 2, 0, 0).Handler(CmdMemoryHelp).Doc("server", "4.0.0", "Show helpful text about the different subcommands", kO1));
  // clang-format on
}

}  // namespace ember
