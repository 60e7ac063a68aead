#include "fanout/common/config_yaml.hpp"

#include "fanout/common/yaml_document.hpp"

namespace fanout::common {

ConfigError config_error_at(const std::filesystem::path& file, const YAML::Mark& mark, const std::string& message) {
    if (mark.is_null()) return ConfigError(file, 0, 0, message);
    return ConfigError(file, mark.line + 1, mark.column + 1, message);
}

void fail_at(const std::filesystem::path& file, const YAML::Node& node, const std::string& message) {
    throw config_error_at(file, node.Mark(), message);
}

std::string describe_yaml_node(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null: return "null";
        case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a mapping";
        default: return "nothing";
    }
}

YAML::Node parse_config_yaml(std::string_view text, const std::filesystem::path& file) {
    try {
        return load_yaml_document(text);
    } catch (const YamlDocumentError& e) {
        throw ConfigError(file, e.line(), e.column(), e.what());
    }
}

YAML::Node load_config_yaml(const std::filesystem::path& file, std::string_view noun) {
    // Bounded and checked: no file or text can hang, exhaust or crash the
    // reader, and a second document is refused.
    std::string text;
    try {
        text = read_config_text(file);
    } catch (const YamlDocumentError& e) {
        throw ConfigError(file, 0, 0, std::string(noun) + " " + e.what());
    }
    return parse_config_yaml(text, file);
}

}  // namespace fanout::common
