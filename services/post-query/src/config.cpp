#include "config.hpp"

#include <initializer_list>
#include <optional>

#include <yaml-cpp/yaml.h>

#include "database.hpp"
#include "fanout/common/config_expand.hpp"
#include "fanout/common/config_yaml.hpp"
#include "fanout/common/text.hpp"
#include "generation.hpp"

namespace fanout::post_query {
namespace {

using common::describe_yaml_node;
using common::fail_at;

std::string as_string(const std::filesystem::path& file, const YAML::Node& node, const std::string& key) {
    if (!node.IsScalar() || node.Scalar().empty()) {
        fail_at(file, node, "'" + key + "': expected a non-empty string, got " + describe_yaml_node(node));
    }
    return node.Scalar();
}

int as_int(const std::filesystem::path& file, const YAML::Node& node, const std::string& key, int min, int max) {
    if (node.IsScalar()) {
        const std::optional<int> value = common::parse_integer<int>(node.Scalar());
        if (value && *value >= min && *value <= max) return *value;
    }
    fail_at(file, node,
            "'" + key + "': expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
                describe_yaml_node(node));
}

/// A relative SQLite path in the file means relative to the file, like every
/// path in Fanout's YAML.
std::string resolve_database(const std::filesystem::path& file, const std::string& connection) {
    const ConnectionString target = parse_connection(connection);
    if (!target.is_sqlite() || std::filesystem::path(target.path).is_absolute()) return connection;
    return "sqlite:" + (file.parent_path() / target.path).lexically_normal().string();
}

}  // namespace

std::string parse_component(const std::string& text) {
    if (!is_valid_component(text)) {
        throw std::invalid_argument("expected letters, digits and '_' only (it is part of schema names), got '" + text +
                                    "'");
    }
    return text;
}

ListenAddress parse_listen(const std::string& text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("expected HOST:PORT, got '" + text + "'");
    std::string host = text.substr(0, colon);
    const std::string port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) throw std::invalid_argument("missing host in '" + text + "' (e.g. 127.0.0.1:8081)");
    const int port = common::parse_integer<int>(port_text).value_or(-1);
    if (port < 0 || port > 65535) {
        throw std::invalid_argument("port must be a number in 0..65535, got '" + port_text + "'");
    }
    return ListenAddress{host, port};
}

Settings load_config_file(const std::filesystem::path& file) {
    const YAML::Node root = common::load_config_yaml(file, "the file");
    Settings settings;
    if (!root.IsDefined() || root.IsNull()) return settings;  // an empty file: defaults
    // ${NAME} and ${file:PATH}: the database password need not be in the file.
    common::expand_environment(file, root, common::process_environment);
    if (!root.IsMap()) fail_at(file, root, "expected a mapping of settings, got " + describe_yaml_node(root));
    for (const auto& entry : root) {
        const YAML::Node& key_node = entry.first;
        const YAML::Node& value = entry.second;
        const std::string key = key_node.IsScalar() ? key_node.Scalar() : describe_yaml_node(key_node);
        if (key != "listen" && key != "database" && key != "read_model_component" && key != "threads" &&
            key != "pool_size" && key != "max_connections" && key != "idle_timeout_ms" && key != "request_timeout_ms") {
            fail_at(file, key_node,
                    "unknown key '" + key +
                        "' (expected one of: listen, database, read_model_component, threads, pool_size, "
                        "max_connections, idle_timeout_ms, request_timeout_ms)");
        }
        // yaml-cpp places an empty value at the next line; point at the key instead.
        if (value.IsNull()) fail_at(file, key_node, "'" + key + "': missing value");
        if (key == "listen") {
            try {
                settings.listen = parse_listen(as_string(file, value, key));
            } catch (const std::invalid_argument& e) {
                fail_at(file, value, "'listen': " + std::string(e.what()));
            }
        } else if (key == "database") {
            try {
                settings.database = resolve_database(file, as_string(file, value, key));
            } catch (const std::invalid_argument& e) {
                fail_at(file, value, "'database': " + std::string(e.what()));
            }
        } else if (key == "read_model_component") {
            try {
                settings.read_model_component = parse_component(as_string(file, value, key));
            } catch (const std::invalid_argument& e) {
                fail_at(file, value, "'read_model_component': " + std::string(e.what()));
            }
        } else if (key == "threads") {
            settings.threads = as_int(file, value, key, 1, k_max_threads);
        } else if (key == "pool_size") {
            settings.pool_size = as_int(file, value, key, 1, k_max_pool_size);
        } else if (key == "max_connections") {
            settings.max_connections = as_int(file, value, key, 1, k_max_connections);
        } else if (key == "idle_timeout_ms") {
            settings.idle_timeout_ms = as_int(file, value, key, 1, k_max_timeout_ms);
        } else {
            settings.request_timeout_ms = as_int(file, value, key, 1, k_max_timeout_ms);
        }
    }
    return settings;
}

}  // namespace fanout::post_query
