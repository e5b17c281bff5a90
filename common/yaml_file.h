#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

namespace ember {

// Reads a YAML configuration file whose root is a map; an empty file gives a null root. The
// error names the file (and the line, for a syntax error).
std::optional<std::string> LoadYamlMap(const std::string& path, YAML::Node* root);

// A scalar, or a list of scalars joined by spaces, as the one-line value a key's parser takes;
// nullopt for any other shape.
std::optional<std::string> FlattenYaml(const YAML::Node& node);

// "path:line: ", the prefix of a message about `node`.
std::string YamlWhere(const std::string& path, const YAML::Node& node);

}  // namespace ember
