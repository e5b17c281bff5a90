#include "common/config_table.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "common/yaml_file.h"

namespace ember {

void ConfigTable::AddCustom(std::string name, std::string def, bool mut, bool list_in_yaml,
                            Setter set, Getter get) {
  set(def);
  keys_.push_back(Key{std::move(name), mut, list_in_yaml, std::move(set), std::move(get), def});
}

void ConfigTable::AddBool(std::string name, std::atomic<bool>* target, bool def, bool mut) {
  AddCustom(
      std::move(name), def ? "yes" : "no", mut, false,
      [target](std::string_view v) -> std::optional<std::string> {
        if (EqualsNoCase(v, "yes")) {
          *target = true;
        } else if (EqualsNoCase(v, "no")) {
          *target = false;
        } else {
          return "argument must be 'yes' or 'no'";
        }
        return std::nullopt;
      },
      [target] { return std::string(*target ? "yes" : "no"); });
}

void ConfigTable::AddInt(std::string name, std::atomic<int64_t>* target, int64_t def, int64_t min,
                         int64_t max, bool mut) {
  AddCustom(
      std::move(name), std::to_string(def), mut, false,
      [=](std::string_view v) -> std::optional<std::string> {
        auto n = ParseInt64(v);
        if (!n) return "argument couldn't be parsed into an integer";
        if (*n < min || *n > max) {
          return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
                 " inclusive";
        }
        *target = *n;
        return std::nullopt;
      },
      [target] { return std::to_string(target->load()); });
}

void ConfigTable::AddMemory(std::string name, std::atomic<int64_t>* target, int64_t def,
                            int64_t min, bool mut) {
  AddCustom(
      std::move(name), std::to_string(def), mut, false,
      [target, min](std::string_view v) -> std::optional<std::string> {
        auto n = ParseMemory(v);
        if (!n) return "argument must be a memory value";
        if (*n < min) {
          return "argument must be between " + std::to_string(min) + " and " +
                 std::to_string(INT64_MAX) + " inclusive";
        }
        *target = *n;
        return std::nullopt;
      },
      [target] { return std::to_string(target->load()); });
}

void ConfigTable::AddEnum(std::string name, std::atomic<int>* target,
                          std::vector<std::string> names, int def, bool mut) {
  std::string def_name = names[size_t(def)];
  AddCustom(
      std::move(name), def_name, mut, false,
      [target, names](std::string_view v) -> std::optional<std::string> {
        for (size_t i = 0; i < names.size(); ++i) {
          if (EqualsNoCase(v, names[i])) {
            *target = int(i);
            return std::nullopt;
          }
        }
        std::string msg = "argument(s) must be one of the following: ";
        for (size_t i = 0; i < names.size(); ++i) msg += (i ? ", " : "") + names[i];
        return msg;
      },
      [target, names] { return names[size_t(target->load())]; });
}

void ConfigTable::AddString(std::string name, std::string* target, std::string def, bool mut) {
  AddCustom(
      std::move(name), def, mut, false,
      [target](std::string_view v) -> std::optional<std::string> {
        *target = std::string(v);
        return std::nullopt;
      },
      [target] { return *target; });
}

void ConfigTable::OnChange(std::string_view name, std::function<void()> fn) {
  hooks_.emplace_back(std::string(name), std::move(fn));
}

void ConfigTable::MarkProtected(std::string_view name) {
  for (auto& k : keys_) {
    if (k.name == name) k.protected_config = true;
  }
}

const ConfigTable::Key* ConfigTable::Find(std::string_view name) const {
  for (const auto& k : keys_) {
    if (EqualsNoCase(k.name, name)) return &k;
  }
  return nullptr;
}

std::optional<std::string> ConfigTable::Set(std::string_view name, std::string_view value,
                                            bool at_startup) {
  const Key* key = Find(name);
  if (key == nullptr) return "unknown key";
  if (!at_startup && !key->mutable_at_runtime) return "can't set immutable config";
  if (auto err = key->set(value)) return err;
  if (!at_startup) {
    for (auto& [hook_name, fn] : hooks_) {
      if (hook_name == key->name) fn();
    }
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> ConfigTable::Get(std::string_view pattern) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : keys_) {
    if (GlobMatch(pattern, k.name, /*nocase=*/true)) out.emplace_back(k.name, k.get());
  }
  return out;
}

std::optional<std::string> ConfigTable::LoadYaml(const std::string& path) {
  YAML::Node root;
  if (auto err = LoadYamlMap(path, &root)) return err;
  if (root.IsNull()) return std::nullopt;  // an empty file is a valid, empty config
  for (const auto& item : root) {
    std::string key = item.first.Scalar();
    std::string where = YamlWhere(path, item.first);
    auto value = FlattenYaml(item.second);
    if (!value) return where + "'" + key + "': the value must be a scalar or a list of scalars";
    if (Find(key) == nullptr) return where + "unknown key '" + key + "'";
    if (auto err = Set(key, *value, /*at_startup=*/true)) {
      return where + "bad value '" + *value + "' for '" + key + "': " + *err;
    }
    file_keys_.push_back(Find(key)->name);
  }
  return std::nullopt;
}

std::optional<std::string> ConfigTable::Rewrite(const std::string& path) const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& k : keys_) {
    std::string value = k.get();
    bool in_file = false;
    for (const auto& f : file_keys_) in_file |= (f == k.name);
    if (!in_file && value == k.default_value) continue;
    out << YAML::Key << k.name << YAML::Value;
    if (k.list_in_yaml) {
      // "3600 1 300 100" -> ["3600 1", "300 100"] for save; one item per word otherwise.
      std::istringstream words(value);
      std::vector<std::string> items;
      std::string w;
      while (words >> w) items.push_back(w);
      out << YAML::Flow << YAML::BeginSeq;
      if (k.name == "save") {
        for (size_t i = 0; i + 1 < items.size(); i += 2) out << items[i] + " " + items[i + 1];
      } else {
        for (const auto& item : items) out << item;
      }
      out << YAML::EndSeq;
    } else {
      out << YAML::DoubleQuoted << value;
    }
  }
  out << YAML::EndMap;
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) return "cannot write " + tmp;
    f << "# Rewritten by CONFIG REWRITE.\n" << out.c_str() << "\n";
    f.flush();
    if (!f) return "cannot write " + tmp;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return "cannot rename " + tmp + " to " + path;
  return std::nullopt;
}

}  // namespace ember
