#pragma once
// Strict, located reading of YAML mappings: every key must be known, every
// value must have the expected type, and every error names file:line:col.
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config_error.hpp"
#include "fanout/common/config_yaml.hpp"

namespace fanout::daemon {

/// ConfigError pointing at `node` in `file` (fanout/common/config_yaml.hpp).
using common::fail_at;

/// What a node holds, for messages: `'text'`, `a list`, `a mapping`, `null`, `nothing`.
inline std::string describe(const YAML::Node& node) { return common::describe_yaml_node(node); }

/// Scalar conversions with clear messages. `what` names the field.
std::string as_string(const std::filesystem::path& file, const YAML::Node& node, const std::string& what);
std::int64_t as_integer(const std::filesystem::path& file, const YAML::Node& node, const std::string& what);
double as_number(const std::filesystem::path& file, const YAML::Node& node, const std::string& what);
bool as_boolean(const std::filesystem::path& file, const YAML::Node& node, const std::string& what);
/// A sequence of scalars, or a single scalar taken as a one-item list.
std::vector<std::string> as_string_list(const std::filesystem::path& file, const YAML::Node& node, const std::string& what);

/// Reads one mapping; call finish() to reject keys nobody asked for.
class MappingReader {
public:
    /// `what` names the mapping in messages, e.g. "plugin 'audit'".
    MappingReader(std::filesystem::path file, YAML::Node node, std::string what);

    /// The value, or an undefined node when absent.
    YAML::Node get(const std::string& key);
    /// The value; ConfigError at the mapping when absent.
    YAML::Node require(const std::string& key);

    std::optional<std::string> string(const std::string& key);
    std::optional<std::int64_t> integer(const std::string& key, std::int64_t min, std::int64_t max);
    std::optional<double> number(const std::string& key, double min, double max);
    std::optional<bool> boolean(const std::string& key);
    std::optional<std::vector<std::string>> string_list(const std::string& key);
    /// One of `choices`; ConfigError listing them otherwise.
    std::optional<std::string> choice(const std::string& key, std::initializer_list<const char*> choices);

    /// ConfigError for the first key that was never read.
    void finish() const;

    const YAML::Node& node() const { return node_; }
    const std::filesystem::path& file() const { return file_; }
    std::string field(const std::string& key) const { return what_ + " field '" + key + "'"; }

private:
    std::filesystem::path file_;
    YAML::Node node_;
    std::string what_;
    std::set<std::string> read_;
};

}  // namespace fanout::daemon
