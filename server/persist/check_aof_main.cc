// ember-check-aof: checks an append-only file and repairs a truncated tail.
//
//   ember-check-aof [--fix] FILE.manifest   every file the manifest lists (base, then incrs)
//   ember-check-aof [--fix] FILE            one AOF file (commands, optionally after an RDB
//                                           preamble)
//
// Prints one line per file with what it holds and whether it is valid, and for a bad file the
// offset of the problem and up to where the file is valid. --fix cuts an incomplete last
// command (a crash mid-write) off the last file; it does not touch corruption before the end,
// which needs a person to decide what to lose. Exit status 0 when the AOF is valid (or was
// repaired), 1 otherwise.

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "server/persist/aof.h"
#include "server/types/dump.h"

namespace {

using ember::AofManifest;
using ember::AofScanResult;

void Usage() {
  std::fprintf(stderr,
               "Usage: ember-check-aof [--fix] <file.manifest | file.aof>\n"
               "  Checks an AOF (all files of a manifest, or one file). --fix cuts an\n"
               "  incomplete command off the end of the last file.\n");
}

bool ReadText(const std::string& path, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->append(buf, n);
  std::fclose(f);
  return true;
}

bool LooksLikeManifest(const std::string& path, std::string* text) {
  if (!ReadText(path, text)) return false;
  if (path.size() >= 9 && path.compare(path.size() - 9, 9, ".manifest") == 0) return true;
  size_t first = text->find_first_not_of(" \t\r\n");
  return first != std::string::npos && text->compare(first, 5, "file ") == 0;
}

enum class Outcome { kValid, kFixed, kInvalid };

// Checks one file; `last` says whether a truncated tail may be cut (only the newest file of
// an AOF can end inside a command).
Outcome CheckFile(const std::string& path, const std::string& label, bool last, bool fix) {
  AofScanResult r = ember::ScanAofFile(path, ember::RestoreLimits{}, nullptr, nullptr);
  if (r.status == AofScanResult::kIoError) {
    std::printf("%s: %s\n", label.c_str(), r.error.c_str());
    return Outcome::kInvalid;
  }
  std::printf("%s: %llu bytes", label.c_str(), (unsigned long long)r.size);
  if (r.rdb_bytes > 0) {
    std::printf(", RDB preamble of %llu bytes with %llu keys", (unsigned long long)r.rdb_bytes,
                (unsigned long long)r.rdb_keys);
  }
  std::printf(", %llu commands\n", (unsigned long long)r.commands);
  switch (r.status) {
    case AofScanResult::kOk:
      std::printf("  valid\n");
      return Outcome::kValid;
    case AofScanResult::kTruncated: {
      unsigned long long cut = r.size - r.valid_up_to;
      std::printf("  truncated: %s; valid up to offset %llu, %llu bytes after it\n",
                  r.error.c_str(), (unsigned long long)r.valid_up_to, cut);
      if (!last) {
        std::printf("  not the last file of the AOF: --fix can't repair it\n");
        return Outcome::kInvalid;
      }
      if (!fix) {
        std::printf("  run with --fix to cut the file at offset %llu\n",
                    (unsigned long long)r.valid_up_to);
        return Outcome::kInvalid;
      }
      if (truncate(path.c_str(), off_t(r.valid_up_to)) != 0) {
        std::printf("  can't truncate it: %s\n", std::strerror(errno));
        return Outcome::kInvalid;
      }
      std::printf(
          "  fixed: cut from %llu to %llu bytes (%llu bytes of an incomplete command "
          "dropped)\n",
          (unsigned long long)r.size, (unsigned long long)r.valid_up_to, cut);
      return Outcome::kFixed;
    }
    case AofScanResult::kCorrupt:
    case AofScanResult::kAborted:
    case AofScanResult::kIoError:
      break;
  }
  std::printf("  invalid at offset %llu: %s; valid up to offset %llu\n",
              (unsigned long long)r.error_offset, r.error.c_str(),
              (unsigned long long)r.valid_up_to);
  std::printf(
      "  --fix only cuts an incomplete last command; cutting this file at offset %llu would\n"
      "  drop every command after it (truncate -s %llu %s), so that is left to you\n",
      (unsigned long long)r.valid_up_to, (unsigned long long)r.valid_up_to, path.c_str());
  return Outcome::kInvalid;
}

}  // namespace

int main(int argc, char** argv) {
  bool fix = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--fix") {
      fix = true;
    } else if (a == "-h" || a == "--help") {
      Usage();
      return 0;
    } else if (path.empty() && (a.empty() || a[0] != '-')) {
      path = a;
    } else {
      Usage();
      return 1;
    }
  }
  if (path.empty()) {
    Usage();
    return 1;
  }

  std::string text;
  std::vector<Outcome> outcomes;
  if (LooksLikeManifest(path, &text)) {
    AofManifest m;
    if (auto err = AofManifest::Parse(text, &m)) {
      std::printf("%s: invalid manifest: %s\n", path.c_str(), err->c_str());
      return 1;
    }
    std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    std::printf("Checking the AOF of manifest %s: %s%zu incr file(s)\n", path.c_str(),
                m.base ? "a base and " : "no base, ", m.incrs.size());
    std::vector<std::string> names;
    if (m.base) names.push_back(m.base->name);
    for (const auto& f : m.incrs) names.push_back(f.name);
    for (size_t i = 0; i < names.size(); ++i) {
      std::string label = (m.base && i == 0 ? "base " : "incr ") + names[i];
      outcomes.push_back(CheckFile(dir + "/" + names[i], label, i + 1 == names.size(), fix));
    }
  } else {
    std::printf("Checking the AOF file %s\n", path.c_str());
    outcomes.push_back(CheckFile(path, path, true, fix));
  }

  bool invalid = false, fixed = false;
  for (Outcome o : outcomes) {
    invalid |= o == Outcome::kInvalid;
    fixed |= o == Outcome::kFixed;
  }
  if (invalid) {
    std::printf("The AOF is not valid\n");
    return 1;
  }
  std::printf(fixed ? "The AOF was repaired and is valid now\n" : "The AOF is valid\n");
  return 0;
}
