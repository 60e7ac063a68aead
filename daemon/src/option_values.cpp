#include "option_values.hpp"

#include <stdexcept>

#include "yaml_reader.hpp"

namespace fanout::daemon {
namespace {

OptionValues::Value convert(OptionType type, const YAML::Node& node, const std::filesystem::path& file,
                            const std::string& what) {
    switch (type) {
        case OptionType::string: return as_string(file, node, what);
        case OptionType::integer: return as_integer(file, node, what);
        case OptionType::number: return as_number(file, node, what);
        case OptionType::boolean: return as_boolean(file, node, what);
        case OptionType::string_list: return as_string_list(file, node, what);
    }
    throw std::logic_error("unknown option type");
}

OptionValues::Value parse_default(const OptionSpec& spec, const std::string& plugin) {
    // Defaults are written by the plugin author; a bad one is the plugin's bug.
    YAML::Node node;
    try {
        node = spec.type == OptionType::string_list ? YAML::Load("[" + std::string(spec.default_value) + "]")
                                                    : YAML::Node(std::string(spec.default_value));
        if (spec.type == OptionType::string_list && std::string(spec.default_value).empty()) {
            return std::vector<std::string>{};
        }
        return convert(spec.type, node, "<plugin " + plugin + ">", "default of option '" + std::string(spec.key) + "'");
    } catch (const std::exception& e) {
        throw ConfigError("plugin " + plugin + " declares an invalid default for option '" + spec.key +
                          "': " + e.what());
    }
}

}  // namespace

OptionValues OptionValues::validate(std::span<const OptionSpec> schema, const YAML::Node& node,
                                    const std::filesystem::path& file, const std::string& what) {
    return validate(schema, node, SourceLocation{file, 0, 0}, what);
}

OptionValues OptionValues::validate(std::span<const OptionSpec> schema, const YAML::Node& node,
                                    const SourceLocation& where, const std::string& what) {
    const std::filesystem::path& file = where.file;
    OptionValues values;
    MappingReader reader(file, node, what + " options");
    for (const OptionSpec& spec : schema) {
        const std::string key = spec.key;
        YAML::Node value = reader.get(key);
        const std::string field = what + " option '" + key + "'";
        if (value.IsDefined() && !value.IsNull()) {
            values.set(key, convert(spec.type, value, file, field + " (" + to_string(spec.type) + ")"), true);
        } else if (spec.default_value != nullptr) {
            values.set(key, parse_default(spec, what), false);
        } else {
            const std::string message = what + ": missing required option '" + key + "' (" + to_string(spec.type) +
                                        ": " + (spec.description ? spec.description : "") + ")";
            // An entry without `options:` has no node to point at: use its entry.
            if (node.Mark().is_null()) throw ConfigError(file, where.line, where.column, message);
            fail_at(file, node, message);
        }
    }
    reader.finish();
    return values;
}

template <typename T>
const T& OptionValues::get(std::string_view key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw std::out_of_range("option '" + std::string(key) + "' is not declared");
    const T* v = std::get_if<T>(&it->second);
    if (v == nullptr) throw std::out_of_range("option '" + std::string(key) + "' read with the wrong type");
    return *v;
}

const std::string& OptionValues::get_string(std::string_view key) const { return get<std::string>(key); }
std::int64_t OptionValues::get_integer(std::string_view key) const { return get<std::int64_t>(key); }
double OptionValues::get_number(std::string_view key) const {
    auto it = values_.find(key);
    if (it != values_.end()) {
        if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
    }
    return get<double>(key);
}
bool OptionValues::get_boolean(std::string_view key) const { return get<bool>(key); }
const std::vector<std::string>& OptionValues::get_list(std::string_view key) const {
    return get<std::vector<std::string>>(key);
}
bool OptionValues::is_set(std::string_view key) const { return explicit_.count(key) != 0; }

}  // namespace fanout::daemon
