#pragma once
// Option schema a plugin declares, and the validated values it receives.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fanout {

enum class OptionType { string, integer, number, boolean, string_list };

inline const char* to_string(OptionType type) noexcept {
    switch (type) {
        case OptionType::string: return "string";
        case OptionType::integer: return "integer";
        case OptionType::number: return "number";
        case OptionType::boolean: return "boolean";
        case OptionType::string_list: return "list of strings";
    }
    return "unknown";
}

/// One declared option. Plugins define these as static constexpr arrays;
/// every pointer must stay valid while the library is loaded.
struct OptionSpec {
    const char* key;
    OptionType type;
    /// Default in YAML scalar syntax ("100", "true", "a,b" for a list), or
    /// nullptr when the option is required.
    const char* default_value;
    const char* description;
};

/// Validated option values. Every declared option is present (explicit value
/// or default), typed as declared; the host rejects unknown keys before a
/// plugin is created. Getters throw std::out_of_range for an undeclared key
/// or a mismatched type: a bug in the plugin, not bad user input.
///
/// Ownership: the host owns it; valid during the plugin's create() call only.
class Options {
public:
    virtual ~Options() = default;
    virtual const std::string& get_string(std::string_view key) const = 0;
    virtual std::int64_t get_integer(std::string_view key) const = 0;
    virtual double get_number(std::string_view key) const = 0;
    virtual bool get_boolean(std::string_view key) const = 0;
    virtual const std::vector<std::string>& get_list(std::string_view key) const = 0;
    /// True when the user set the key (false when the default applies).
    virtual bool is_set(std::string_view key) const = 0;
};

}  // namespace fanout
