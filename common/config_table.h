#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember {

// The set of configuration keys a binary understands, with their parsers, current values and
// whether CONFIG SET may change them at run time. Keys are redis.conf directive names.
//
// Values arrive as strings (from YAML scalars, YAML lists joined by spaces, the command line
// or CONFIG SET) and are validated by the key's own parser, which returns the reason a value
// is refused in Redis's words ("argument must be 'yes' or 'no'").
//
// Not thread-safe by itself: the owner serialises Set/Get (Ember: under the keyspace lock).
// Numeric targets are atomics so that I/O threads may read them without that lock.
class ConfigTable {
 public:
  using Setter = std::function<std::optional<std::string>(std::string_view value)>;
  using Getter = std::function<std::string()>;

  struct Key {
    std::string name;
    bool mutable_at_runtime;
    bool list_in_yaml;  // rendered as a YAML list by Rewrite (save, bind)
    Setter set;
    Getter get;
    std::string default_value;
    // Redis's PROTECTED_CONFIG: CONFIG SET only with enable-protected-configs (dir, dbfilename).
    bool protected_config = false;
  };

  void AddBool(std::string name, std::atomic<bool>* target, bool def, bool mut);
  void AddInt(std::string name, std::atomic<int64_t>* target, int64_t def, int64_t min, int64_t max,
              bool mut);
  void AddMemory(std::string name, std::atomic<int64_t>* target, int64_t def, int64_t min,
                 bool mut);
  void AddEnum(std::string name, std::atomic<int>* target, std::vector<std::string> names, int def,
               bool mut);
  void AddString(std::string name, std::string* target, std::string def, bool mut);
  // A key with its own parser; `set` is called once with `def` to apply the default.
  void AddCustom(std::string name, std::string def, bool mut, bool list_in_yaml, Setter set,
                 Getter get);

  void MarkProtected(std::string_view name);

  // Hook run after every successful run-time Set of `name` (to resize, re-log, re-bind ...).
  void OnChange(std::string_view name, std::function<void()> fn);

  const Key* Find(std::string_view name) const;

  // Sets a key. Returns the reason on failure. `at_startup` allows immutable keys.
  std::optional<std::string> Set(std::string_view name, std::string_view value, bool at_startup);

  // (name, value) of every key matching the glob `pattern`, in registration order.
  std::vector<std::pair<std::string, std::string>> Get(std::string_view pattern) const;

  // Loads a YAML map file. Lists become space-joined values. Returns the error as one line
  // naming the file, line, key, value and reason.
  std::optional<std::string> LoadYaml(const std::string& path);

  // Rewrites `path` as YAML with every key that the file had or that differs from its default.
  std::optional<std::string> Rewrite(const std::string& path) const;

  const std::vector<Key>& keys() const { return keys_; }

 private:
  std::vector<Key> keys_;
  std::vector<std::pair<std::string, std::function<void()>>> hooks_;
  std::vector<std::string> file_keys_;  // keys present in the loaded file, in file order
};

}  // namespace ember
