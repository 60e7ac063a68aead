#pragma once
// Environment references in configuration values: `${NAME}` is replaced by the
// variable's value, `${NAME:-fallback}` by the fallback when NAME is unset or
// empty, and `$$` is a literal `$`. Only values are expanded, never keys, and
// only once (a value that contains `${` after expansion stays as it is).
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

namespace fanout::daemon {

/// Looks a variable up; nullopt when it is not set.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string&)>;

/// The process environment (getenv).
std::optional<std::string> process_environment(const std::string& name);

/// Expands every scalar value under `root` in place. A reference to an unset
/// variable without a fallback, or a malformed reference, is a ConfigError at
/// the value's file:line:col.
void expand_environment(const std::filesystem::path& file, YAML::Node root, const EnvironmentLookup& lookup);

/// One value; std::invalid_argument (naming the variable) for an unset
/// variable without a fallback or a malformed reference.
std::string expand_value(const std::string& text, const EnvironmentLookup& lookup);

}  // namespace fanout::daemon
