// rdb_tool: a test helper around Ember's RDB codec (server/persist/rdb.h).
//
//   rdb_tool print FILE        loads FILE and prints one canonical line per key, sorted by db
//                              and key, for comparison with the same listing computed from a
//                              live server (tests/integration/test_rdb_codec.py)
//   rdb_tool rewrite IN OUT    loads IN and writes its keys to OUT with RdbWriter
//
// The line format is KeyLine's (tests/tools/rdb_text.h).
// Exit status: 0 on success, 1 on a load or write failure (message on stderr), 2 on bad usage.

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "server/persist/rdb.h"
#include "tests/tools/rdb_text.h"

namespace ember {
namespace {

struct Loaded {
  std::map<int, std::vector<Entry*>> dbs;
  ~Loaded() {
    for (auto& [db, entries] : dbs) {
      for (Entry* e : entries) Entry::Free(e);
    }
  }
};

bool LoadFile(const std::string& path, Loaded* out) {
  FileSource src(path);
  if (!src.ok()) {
    std::cerr << "rdb_tool: " << src.error() << "\n";
    return false;
  }
  RdbLoader loader(&src, RestoreLimits{});
  RdbLoadResult r = loader.Load([&](int db, Entry* e) { out->dbs[db].push_back(e); },
                                [](std::string_view, std::string_view) {});
  if (!r.ok) {
    std::cerr << "rdb_tool: " << path << ": " << r.error << "\n";
    return false;
  }
  return true;
}

int Print(const std::string& path) {
  Loaded loaded;
  if (!LoadFile(path, &loaded)) return 1;
  std::vector<std::pair<std::pair<int, std::string>, std::string>> lines;
  for (const auto& [db, entries] : loaded.dbs) {
    for (const Entry* e : entries) {
      lines.push_back({{db, std::string(e->key())}, KeyLine(db, e)});
    }
  }
  std::sort(lines.begin(), lines.end());
  for (const auto& [k, line] : lines) std::cout << line << "\n";
  return 0;
}

int Rewrite(const std::string& in, const std::string& out) {
  Loaded loaded;
  if (!LoadFile(in, &loaded)) return 1;
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  if (!f) {
    std::cerr << "rdb_tool: cannot write " << out << "\n";
    return 1;
  }
  RdbWriter w(/*compress=*/true, /*checksum=*/true);
  w.Header();
  w.Aux("redis-ver", "7.0.15");
  w.Aux("redis-bits", int64_t(64));
  w.Aux("ctime", now_ms / 1000);
  w.Aux("used-mem", int64_t(0));
  w.Aux("aof-base", int64_t(0));
  for (const auto& [db, entries] : loaded.dbs) {
    uint64_t expires = 0;
    for (const Entry* e : entries) expires += e->has_expire() ? 1 : 0;
    w.SelectDb(db);
    w.ResizeDb(entries.size(), expires);
    for (const Entry* e : entries) {
      w.Key(e, now_ms);
      // Stream the bytes out as a snapshot would, in chunks.
      if (w.buffer().size() > (1 << 16)) f << w.Take();
    }
  }
  w.Finish();
  f << w.Take();
  f.close();
  if (!f) {
    std::cerr << "rdb_tool: write error on " << out << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace ember

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() == 2 && args[0] == "print") return ember::Print(args[1]);
  if (args.size() == 3 && args[0] == "rewrite") return ember::Rewrite(args[1], args[2]);
  std::cerr << "usage: rdb_tool print FILE | rdb_tool rewrite IN OUT\n";
  return 2;
}
