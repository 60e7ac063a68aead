#pragma once
// References in configuration values, shared by fanoutd and both services:
//   ${NAME}              the environment variable's value (unset: an error)
//   ${NAME:-fallback}    the fallback when NAME is unset or empty
//   ${file:PATH}         the secret kept in the file PATH (a password, a
//                        token), without surrounding spaces and line ends;
//                        PATH may itself use ${NAME}, as in
//                        ${file:${CREDENTIALS_DIRECTORY}/pg-password}, and a
//                        relative PATH is relative to the configuration file
//   $$                   a literal `$`
// Only values are expanded, never keys, and only once (a value that contains
// `${` after expansion stays as it is). Messages name variables and files,
// never what they hold.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

namespace fanout::common {

/// Looks a variable up; nullopt when it is not set.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string&)>;

/// Reads the secret of `${file:PATH}`; throws std::invalid_argument saying
/// why it cannot (never quoting the file's content).
using SecretFileReader = std::function<std::string(const std::filesystem::path&)>;

/// The process environment (getenv).
std::optional<std::string> process_environment(const std::string& name);

/// A secret file is at most this long: it holds a password or a token.
inline constexpr std::size_t k_max_secret_file_bytes = 64 * 1024;

/// The secret in `file` (read_secret_file in fanout/common/text.hpp): a
/// regular file (or a link to one) of at most k_max_secret_file_bytes
/// holding something besides spaces. Throws std::invalid_argument otherwise.
std::string read_secret_reference(const std::filesystem::path& file);

/// One value; std::invalid_argument (naming the variable or the file) for an
/// unset variable without a fallback, a secret file that cannot be used or a
/// malformed reference. A relative `${file:PATH}` goes to `read_file` as is.
std::string expand_value(const std::string& text, const EnvironmentLookup& lookup,
                         const SecretFileReader& read_file = read_secret_reference);

/// Expands every scalar value under `root` in place, a relative
/// `${file:PATH}` taken relative to `file`'s directory. Any failure is a
/// ConfigError at the value's file:line:col.
void expand_environment(const std::filesystem::path& file, YAML::Node root, const EnvironmentLookup& lookup,
                        const SecretFileReader& read_file = read_secret_reference);

}  // namespace fanout::common
