#pragma once
// Reading a YAML configuration file strictly, with every error located at
// `file:line:col`: the shared part of fanoutd's and both services' readers.
#include <filesystem>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "fanout/common/config_error.hpp"

namespace fanout::common {

/// The error at `mark` of `file` (the file alone when the mark is unknown).
ConfigError config_error_at(const std::filesystem::path& file, const YAML::Mark& mark, const std::string& message);

/// Throws the error at `node`'s place in `file`.
[[noreturn]] void fail_at(const std::filesystem::path& file, const YAML::Node& node, const std::string& message);

/// What a node holds, for messages: `'text'`, `a list`, `a mapping`, `null`
/// or `nothing`.
std::string describe_yaml_node(const YAML::Node& node);

/// The one checked YAML document of `file` (fanout/common/yaml_document.hpp),
/// or an undefined node when it holds none. A file that cannot be read is
/// `file: <noun> <why>` ("the file is a character device, ..."); a refused
/// document is located at its line and column.
YAML::Node load_config_yaml(const std::filesystem::path& file, std::string_view noun);

/// `text`'s one checked YAML document, errors located in `file`.
YAML::Node parse_config_yaml(std::string_view text, const std::filesystem::path& file);

}  // namespace fanout::common
