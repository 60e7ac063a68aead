#include "config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "env_expand.hpp"
#include "fanout/common/text.hpp"
#include "plugin_kind.hpp"
#include "fanout/common/yaml_document.hpp"
#include "yaml_reader.hpp"

namespace fanout::daemon {
namespace {

SourceLocation location_of(const std::filesystem::path& file, const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return {file, 0, 0};
    return {file, mark.line + 1, mark.column + 1};
}

KafkaSettings read_kafka(const std::filesystem::path& file, const YAML::Node& node) {
    MappingReader r(file, node, "kafka");
    KafkaSettings kafka;
    kafka.brokers = as_string(file, r.require("brokers"), r.field("brokers"));
    if (kafka.brokers.empty()) fail_at(file, r.get("brokers"), "kafka field 'brokers': must not be empty");
    if (YAML::Node props = r.get("properties"); props.IsDefined() && !props.IsNull()) {
        MappingReader p(file, props, "kafka.properties");
        kafka.properties_location = location_of(file, props);
        for (const auto& entry : props) {
            const std::string key = as_string(file, entry.first, "kafka.properties key");
            static const std::map<std::string, std::string> k_managed = {
                {"group.id", "group_prefix"},
                {"bootstrap.servers", "kafka.brokers"},
                {"auto.offset.reset", "the plugin's start_from"},
                {"enable.auto.offset.store", "nothing: offsets are stored after handling"},
                {"enable.auto.commit", "nothing: stored offsets are committed automatically"},
                {"partition.assignment.strategy", "nothing: cooperative-sticky is always used"},
                {"enable.partition.eof", "nothing"},
                {"client.id", "nothing: each plugin's consumer is named fanoutd-<plugin>"},
            };
            if (auto managed = k_managed.find(key); managed != k_managed.end()) {
                fail_at(file, entry.first,
                        "kafka.properties: '" + key + "' is managed by fanoutd (use " + managed->second + ")");
            }
            kafka.properties.emplace_back(key, as_string(file, entry.second, "kafka.properties '" + key + "'"));
        }
    }
    r.finish();
    return kafka;
}

RetryPolicy read_retry(const std::filesystem::path& file, const YAML::Node& node, const std::string& what) {
    MappingReader r(file, node, what + " retry");
    RetryPolicy retry;
    if (auto v = r.integer("max_attempts", 1, 1'000'000)) retry.max_attempts = static_cast<int>(*v);
    if (auto v = r.integer("initial_backoff_ms", 1, 3'600'000)) retry.initial_backoff = Milliseconds(*v);
    if (auto v = r.integer("max_backoff_ms", 1, 86'400'000)) retry.max_backoff = Milliseconds(*v);
    if (auto v = r.number("multiplier", 1.0, 100.0)) retry.multiplier = *v;
    if (auto v = r.integer("degraded_after_ms", 0, 86'400'000)) retry.degraded_after = Milliseconds(*v);
    if (retry.max_backoff < retry.initial_backoff) {
        fail_at(file, node, what + " retry: max_backoff_ms must be >= initial_backoff_ms");
    }
    r.finish();
    return retry;
}

PluginSettings read_plugin(const std::filesystem::path& file, const YAML::Node& node, std::size_t index) {
    PluginSettings p;
    p.location = location_of(file, node);
    p.fingerprint = YAML::Dump(node);
    MappingReader r(file, node, "plugins[" + std::to_string(index) + "]");
    p.name = as_string(file, r.require("name"), r.field("name"));
    if (p.name.empty() || !std::all_of(p.name.begin(), p.name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        })) {
        fail_at(file, r.get("name"), "plugin name '" + p.name + "': use letters, digits, '_' and '-' only");
    }
    const std::string what = "plugin '" + p.name + "'";
    MappingReader pr(file, node, what);
    pr.get("name");

    const YAML::Node type = pr.get("type");
    if (!type.IsDefined() || type.IsNull()) {
        fail_at(file, node, what + ": missing required field 'type' (" + plugin_kind_names() + ")");
    }
    p.type = as_string(file, type, pr.field("type"));
    const PluginKind* kind = find_plugin_kind(p.type);
    if (kind == nullptr) {
        std::string listed;
        for (const PluginKind* k : plugin_kinds()) listed += (listed.empty() ? "" : ", ") + std::string(k->name());
        fail_at(file, type, pr.field("type") + ": expected one of " + listed + ", got '" + p.type + "'");
    }
    // Keys another kind owns are an error here; this kind's are read by it.
    for (const PluginKind* other : plugin_kinds()) {
        for (const std::string_view key : other->keys()) {
            const YAML::Node value = pr.get(std::string(key));
            if (other != kind && value.IsDefined() && !value.IsNull()) {
                fail_at(file, value,
                        what + ": field '" + std::string(key) + "' is only valid with type: " + std::string(other->name()));
            }
        }
    }
    p.kind_settings = kind->read(file, node, what);

    const YAML::Node path = pr.require("path");
    p.path_location = location_of(file, path);
    std::filesystem::path raw = as_string(file, path, pr.field("path"));
    if (raw.empty()) fail_at(file, path, pr.field("path") + ": must not be empty");
    p.path = raw.is_absolute() ? raw : (std::filesystem::absolute(file).parent_path() / raw);
    p.path = p.path.lexically_normal();

    const YAML::Node topics = pr.require("topics");
    p.topics = as_string_list(file, topics, pr.field("topics"));
    if (p.topics.empty()) fail_at(file, topics, pr.field("topics") + ": list at least one topic");
    for (const auto& t : p.topics) {
        if (t.empty()) fail_at(file, topics, pr.field("topics") + ": a topic name is empty");
    }

    if (auto v = pr.string_list("event_types")) p.event_types = *v;

    if (YAML::Node batch = pr.get("batch"); batch.IsDefined() && !batch.IsNull()) {
        MappingReader b(file, batch, what + " batch");
        if (auto v = b.integer("max_events", 1, 100'000)) p.batch_max_events = static_cast<std::size_t>(*v);
        if (auto v = b.integer("linger_ms", 0, 60'000)) p.batch_linger = Milliseconds(*v);
        if (auto v = b.boolean("parse_ahead")) p.batch_parse_ahead = *v;
        b.finish();
    }
    if (YAML::Node retry = pr.get("retry"); retry.IsDefined() && !retry.IsNull())
        p.retry = read_retry(file, retry, what);
    if (auto v = pr.choice("on_permanent_error", {"dead_letter", "stop"})) {
        p.on_permanent_error = *v == "stop" ? OnPermanentError::stop : OnPermanentError::dead_letter;
    }
    if (auto v = pr.choice("start_from", {"earliest", "latest"})) {
        p.start_from = *v == "latest" ? StartFrom::latest : StartFrom::earliest;
    }
    if (YAML::Node options = pr.get("options"); options.IsDefined() && !options.IsNull()) {
        if (!options.IsMap())
            fail_at(file, options, pr.field("options") + ": expected a mapping, got " + describe(options));
        p.options = options;
        p.options_location = location_of(file, options);
    } else {
        p.options = YAML::Node(YAML::NodeType::Map);
        p.options_location = p.location;
    }
    pr.finish();
    return p;
}

DaemonSettings read_root(const YAML::Node& root, const std::filesystem::path& file) {
    if (!root.IsDefined()) {
        throw ConfigError(file, 1, 1,
                          "the file holds no YAML document (it is empty, or only comments); expected a mapping "
                          "with 'kafka' and 'plugins'");
    }
    if (root.IsNull()) {
        const SourceLocation at = location_of(file, root);
        throw ConfigError(file, std::max(at.line, 1), std::max(at.column, 1),
                          "the document is empty; expected a mapping with 'kafka' and 'plugins'");
    }
    MappingReader r(file, root, "config");
    DaemonSettings s;
    s.file = file;
    s.kafka = read_kafka(file, r.require("kafka"));
    if (auto v = r.string("group_prefix")) {
        if (v->empty()) fail_at(file, r.get("group_prefix"), "config field 'group_prefix': must not be empty");
        s.group_prefix = *v;
    }
    if (auto v = r.string("dead_letter_topic")) {
        if (v->empty())
            fail_at(file, r.get("dead_letter_topic"), "config field 'dead_letter_topic': must not be empty");
        s.dead_letter_topic = *v;
    }
    if (auto v = r.integer("drain_timeout_ms", 100, 3'600'000)) s.drain_timeout = Milliseconds(*v);
    if (auto v = r.integer("rebuild_retire_after_s", 0, 30 * 86'400)) s.rebuild_retire_after = std::chrono::seconds(*v);
    if (YAML::Node admin = r.get("admin"); admin.IsDefined() && !admin.IsNull()) {
        MappingReader a(file, admin, "admin");
        if (auto v = a.string("listen")) {
            const auto colon = v->rfind(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == v->size() ||
                v->find_first_not_of("0123456789", colon + 1) != std::string::npos) {
                fail_at(file, a.get("listen"), "admin field 'listen': expected HOST:PORT, got '" + *v + "'");
            }
            s.admin_listen = *v;
        }
        if (auto v = a.string("control_token_file")) {
            const std::filesystem::path path = file.parent_path() / *v;
            if (!common::read_secret_file(path)) {
                fail_at(file, a.get("control_token_file"),
                        "admin field 'control_token_file': " + path.string() +
                            " must be a readable file holding the token (e.g. openssl rand -hex 32)");
            }
            s.control_token_file = path;
        }
        a.finish();
    }
    s.global_fingerprint = YAML::Dump(r.get("kafka")) + "|" + s.group_prefix + "|" + s.dead_letter_topic;

    const YAML::Node plugins = r.require("plugins");
    if (!plugins.IsSequence())
        fail_at(file, plugins, "config field 'plugins': expected a list, got " + describe(plugins));
    if (plugins.size() == 0) fail_at(file, plugins, "config field 'plugins': declare at least one plugin");
    std::map<std::string, SourceLocation> seen;
    std::size_t index = 0;
    for (const auto& node : plugins) {
        PluginSettings p = read_plugin(file, node, index++);
        if (auto it = seen.find(p.name); it != seen.end()) {
            throw ConfigError(file, p.location.line, p.location.column,
                              "duplicate plugin name '" + p.name + "' (first declared at line " +
                                  std::to_string(it->second.line) + ")");
        }
        seen.emplace(p.name, p.location);
        p.redrive_topic = redrive_topic_of(s.dead_letter_topic, p.name);
        s.plugins.push_back(std::move(p));
    }
    r.finish();
    return s;
}

}  // namespace

Milliseconds RetryPolicy::backoff_after(int attempt) const {
    const double factor = std::pow(multiplier, std::max(0, attempt - 1));
    const double ms = static_cast<double>(initial_backoff.count()) * factor;
    if (!std::isfinite(ms) || ms >= static_cast<double>(max_backoff.count())) return max_backoff;
    return Milliseconds(static_cast<std::int64_t>(ms));
}

bool PluginSettings::wants_type(std::string_view type) const {
    if (event_types.empty()) return true;
    return std::find(event_types.begin(), event_types.end(), type) != event_types.end();
}

DaemonSettings parse_config(const std::string& text, const std::filesystem::path& file) {
    return parse_config(text, file, process_environment);
}

DaemonSettings parse_config(const std::string& text, const std::filesystem::path& file,
                            const EnvironmentLookup& environment) {
    YAML::Node root;
    try {
        root = common::load_yaml_document(text);
    } catch (const common::YamlDocumentError& e) {
        throw ConfigError(file, e.line(), e.column(), e.what());
    }
    try {
        expand_environment(file, root, environment);
        return read_root(root, file);
    } catch (const YAML::Exception& e) {
        // Not expected from a checked document; still a configuration error, never a crash.
        throw ConfigError(file, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1,
                          "cannot read the YAML: " + e.msg);
    }
}

DaemonSettings load_config(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) throw ConfigError(file, 0, 0, "config file not found");
    std::string text;
    try {
        text = common::read_config_text(file);
    } catch (const common::YamlDocumentError& e) {
        throw ConfigError(file, 0, 0, std::string("config file ") + e.what());
    }
    return parse_config(text, file);
}

}  // namespace fanout::daemon
