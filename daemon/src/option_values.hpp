#pragma once
// A plugin's options: YAML checked against the schema the plugin declares.
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config.hpp"
#include "fanout/options.hpp"

namespace fanout::daemon {

class OptionValues final : public Options {
public:
    using Value = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;

    /// Validate `node` (a mapping) against `schema`. Unknown keys, missing
    /// required keys and type mismatches throw ConfigError at the offending
    /// node of `file`. `what` names the plugin in messages.
    static OptionValues validate(std::span<const OptionSpec> schema, const YAML::Node& node,
                                 const std::filesystem::path& file, const std::string& what);
    /// Same; `where` is the `options:` mapping, or the plugin's entry when the
    /// entry has no options: a missing required option is reported there.
    static OptionValues validate(std::span<const OptionSpec> schema, const YAML::Node& node,
                                 const SourceLocation& where, const std::string& what);

    const std::string& get_string(std::string_view key) const override;
    std::int64_t get_integer(std::string_view key) const override;
    double get_number(std::string_view key) const override;
    bool get_boolean(std::string_view key) const override;
    const std::vector<std::string>& get_list(std::string_view key) const override;
    bool is_set(std::string_view key) const override;

    void set(std::string key, Value value, bool explicitly) {
        if (explicitly) explicit_.insert(key);
        values_[std::move(key)] = std::move(value);
    }

private:
    template <typename T>
    const T& get(std::string_view key) const;

    std::map<std::string, Value, std::less<>> values_;
    std::set<std::string, std::less<>> explicit_;
};

}  // namespace fanout::daemon
