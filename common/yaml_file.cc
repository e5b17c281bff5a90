#include "common/yaml_file.h"

namespace ember {

std::optional<std::string> LoadYamlMap(const std::string& path, YAML::Node* root) {
  try {
    *root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return path + ": cannot open the configuration file";
  } catch (const YAML::Exception& e) {
    return path + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg;
  }
  if (!root->IsNull() && !root->IsMap()) {
    return path + ": the configuration must be a YAML map of key: value";
  }
  return std::nullopt;
}

std::optional<std::string> FlattenYaml(const YAML::Node& node) {
  if (node.IsNull()) return std::string();
  if (node.IsScalar()) return node.Scalar();
  if (node.IsSequence()) {
    std::string out;
    for (const auto& item : node) {
      if (!item.IsScalar()) return std::nullopt;
      if (!out.empty()) out += ' ';
      out += item.Scalar();
    }
    return out;
  }
  return std::nullopt;
}

std::string YamlWhere(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1) + ": ";
}

}  // namespace ember
