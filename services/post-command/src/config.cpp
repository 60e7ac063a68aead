#include "config.hpp"

#include <set>

#include <yaml-cpp/yaml.h>

#include "fanout/common/config_expand.hpp"
#include "fanout/common/config_yaml.hpp"
#include "fanout/common/text.hpp"

namespace fanout::post_command {
namespace {

namespace fs = std::filesystem;

using common::config_error_at;
using common::describe_yaml_node;

/// One YAML mapping read strictly: wrong types and unknown keys are errors.
class Section {
public:
    Section(const fs::path& file, const YAML::Node& node, std::string name)
        : file_(file), node_(node), name_(std::move(name)) {
        if (!node_.IsMap()) fail(node_, name_ + ": expected a mapping, got " + describe_yaml_node(node_));
    }

    [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
        common::fail_at(file_, at, message);
    }

    YAML::Node get(const std::string& key) {
        known_.insert(key);
        return node_[key];
    }

    std::optional<Section> section(const std::string& key) {
        const YAML::Node n = get(key);
        if (!n.IsDefined() || n.IsNull()) return std::nullopt;
        return Section(file_, n, key);
    }

    void text(const std::string& key, std::string& out) {
        const YAML::Node n = get(key);
        if (!n.IsDefined()) return;
        if (!n.IsScalar()) fail(n, field(key) + ": expected a string, got " + describe_yaml_node(n));
        out = n.Scalar();
    }

    template <class Int>
    void integer(const std::string& key, Int& out, long long min, long long max) {
        const YAML::Node n = get(key);
        if (!n.IsDefined()) return;
        const std::string text = n.IsScalar() ? n.Scalar() : std::string();
        const std::optional<long long> parsed = common::parse_integer<long long>(text);
        if (!parsed) fail(n, field(key) + ": expected an integer, got " + describe_yaml_node(n));
        const long long value = *parsed;
        if (value < min || value > max) {
            fail(n, field(key) + ": " + text + " is out of range " + std::to_string(min) + ".." + std::to_string(max));
        }
        out = static_cast<Int>(value);
    }

    void boolean(const std::string& key, bool& out) {
        const YAML::Node n = get(key);
        if (!n.IsDefined()) return;
        const std::string text = n.IsScalar() ? n.Scalar() : std::string();
        if (text == "true" || text == "on" || text == "yes") {
            out = true;
        } else if (text == "false" || text == "off" || text == "no") {
            out = false;
        } else {
            fail(n, field(key) + ": expected true or false, got " + describe_yaml_node(n));
        }
    }

    void millis(const std::string& key, std::chrono::milliseconds& out, long long min, long long max) {
        long long ms = out.count();
        integer(key, ms, min, max);
        out = std::chrono::milliseconds(ms);
    }

    /// Reject keys nobody asked for.
    void finish() const {
        for (const auto& entry : node_) {
            const std::string key = entry.first.Scalar();
            if (!known_.count(key)) fail(entry.first, "unknown key '" + key + "' in " + name_);
        }
    }

    const YAML::Node& node() const { return node_; }
    std::string field(const std::string& key) const { return name_ + "." + key; }

private:
    const fs::path& file_;
    YAML::Node node_;
    std::string name_;
    std::set<std::string> known_;
};

/// The key material of enabled settings, read once to fail at start (and in
/// --check-config), not at the first request. `where(field)` locates an error.
template <class Where>
void check_auth(const AuthSettings& auth, Where&& where) {
    if (!auth.enabled) return;
    try {
        TokenVerifier verifier(auth);
    } catch (const std::invalid_argument& e) {
        const std::string message = e.what();
        const std::string field = message.starts_with("auth.") ? message.substr(5, message.find(':') - 5) : "";
        where(field, message);
    }
}

void read_auth(const fs::path& file, Section& section, AuthSettings& a) {
    section.boolean("enabled", a.enabled);
    for (auto [key, path] : {std::pair{"hs256_secret_file", &a.hs256_secret_file},
                             std::pair{"public_key_file", &a.public_key_file}, std::pair{"jwks_file", &a.jwks_file}}) {
        std::string text;
        section.text(key, text);
        if (!text.empty())
            *path = fs::path(text).is_relative() ? (file.parent_path() / text).lexically_normal() : fs::path(text);
    }
    section.text("issuer", a.issuer);
    section.text("audience", a.audience);
    section.text("user_claim", a.user_claim);
    section.integer("clock_skew_s", a.clock_skew_s, 0, 600);
    section.text("admin_claim", a.admin_claim);
    section.text("admin_role", a.admin_role);
    section.finish();
}

/// `auth_node`: the auth section, to locate errors found once the flags apply.
void read_file(const fs::path& file, Settings& s, std::optional<YAML::Node>& auth_node) {
    const YAML::Node root = common::load_config_yaml(file, "the configuration file");
    if (!root.IsDefined() || root.IsNull()) return;                       // an empty file: all defaults
    common::expand_environment(file, root, common::process_environment);  // ${NAME}, ${file:PATH}
    Section top(file, root, "the configuration");
    std::string store_connection;
    YAML::Node store_node;

    if (auto listen = top.section("listen")) {
        listen->text("address", s.listen_address);
        listen->integer("port", s.listen_port, 0, 65535);
        listen->finish();
    }
    if (auto http = top.section("http")) {
        http->integer("threads", s.http_threads, 1, 256);
        http->integer("max_body_bytes", s.max_body_bytes, 1024, 64LL * 1024 * 1024);
        http->integer("keep_alive_timeout_s", s.keep_alive_timeout_s, 1, 3600);
        http->finish();
    }
    if (auto store = top.section("event_store")) {
        store_node = store->get("connection");
        store->text("connection", store_connection);
        std::string sync = s.sqlite.synchronous;
        const YAML::Node sync_node = store->get("sqlite_synchronous");
        store->text("sqlite_synchronous", sync);
        if (sync != "normal" && sync != "full" && sync != "extra") {
            store->fail(sync_node,
                        store->field("sqlite_synchronous") + ": expected normal, full or extra, got '" + sync + "'");
        }
        s.sqlite.synchronous = sync;
        store->integer("snapshot_interval", s.snapshot_interval, 0, 1'000'000'000);
        store->integer("reader_connections", s.reader_connections, 1, 64);
        store->finish();
    }
    if (auto commands = top.section("commands")) {
        commands->integer("max_retries", s.max_retries, 0, 100);
        commands->integer("aggregate_cache_size", s.aggregate_cache_size, 0, 100'000'000);
        commands->integer("max_group_commit", s.max_group_commit, 1, 100'000);
        commands->finish();
    }
    if (auto kafka = top.section("kafka")) {
        for (const char* key : {"brokers", "topic"}) {
            std::string& value = std::string(key) == "brokers" ? s.kafka.brokers : s.kafka.topic;
            kafka->text(key, value);
            if (value.empty()) kafka->fail(kafka->get(key), kafka->field(key) + ": must not be empty");
        }
        kafka->integer("message_timeout_ms", s.kafka.message_timeout_ms, 0, 2'147'483'647);
        if (auto props = kafka->section("properties")) {
            for (const auto& entry : props->node()) {
                if (!entry.second.IsScalar()) {
                    props->fail(entry.second, "kafka.properties." + entry.first.Scalar() + ": expected a scalar");
                }
                s.kafka.properties.emplace_back(entry.first.Scalar(), entry.second.Scalar());
            }
            try {
                validate_kafka_settings(s.kafka);
            } catch (const std::invalid_argument& e) {
                props->fail(props->node(), e.what());
            }
        }
        kafka->finish();
    }
    if (auto relay = top.section("relay")) {
        relay->integer("batch_size", s.relay.batch_size, 1, 100'000);
        relay->integer("max_in_flight", s.relay.max_in_flight, 1, 1'000'000);
        relay->millis("poll_interval_ms", s.relay.poll_interval, 1, 60'000);
        relay->millis("linger_ms", s.relay.linger, 0, 10'000);
        relay->millis("gap_grace_ms", s.relay.gap_grace, 0, 600'000);
        relay->millis("lag_log_interval_ms", s.relay.lag_log_interval, 100, 3'600'000);
        relay->finish();
    }
    if (auto restore = top.section("restore")) {
        restore->integer("page_size", s.relay.restore_page_size, 1, 100'000);
        restore->text("topic", s.restore_topic);
        restore->finish();
    }
    if (auto auth = top.section("auth")) {
        read_auth(file, *auth, s.auth);
        auth_node.emplace(auth->node());
    }
    top.millis("shutdown_timeout_ms", s.shutdown_timeout, 0, 600'000);
    top.finish();

    if (!store_connection.empty()) {
        try {
            StoreLocation location = parse_store_location(store_connection);
            if (location.backend == Backend::sqlite && fs::path(location.target).is_relative()) {
                location.target = (file.parent_path() / location.target).lexically_normal().string();
            }
            s.event_store = location.backend == Backend::sqlite ? "sqlite:" + location.target : location.target;
        } catch (const std::invalid_argument& e) {
            throw config_error_at(file, store_node.Mark(), std::string("event_store.connection: ") + e.what());
        }
    }
}

void apply(const Overrides& o, Settings& s) {
    if (o.listen) {
        const auto colon = o.listen->rfind(':');
        const int port = colon == std::string::npos
                             ? -1
                             : common::parse_integer<int>(std::string_view(*o.listen).substr(colon + 1)).value_or(-1);
        if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
            throw ConfigError("--listen: expected HOST:PORT (port 0 picks a free one), got '" + *o.listen + "'");
        }
        s.listen_address = o.listen->substr(0, colon);
        s.listen_port = port;
    }
    if (o.event_store) s.event_store = *o.event_store;
    if (o.brokers) s.kafka.brokers = *o.brokers;
    if (o.topic) s.kafka.topic = *o.topic;
    if (o.auth_enabled) s.auth.enabled = *o.auth_enabled;
    if (o.auth_hs256_secret_file) {
        s.auth.hs256_secret_file = *o.auth_hs256_secret_file;
        s.auth.public_key_file.clear();
        s.auth.jwks_file.clear();
    }
    if (o.snapshot_interval) {
        if (*o.snapshot_interval < 0) throw ConfigError("--snapshot-interval: must be 0 (off) or more");
        s.snapshot_interval = *o.snapshot_interval;
    }
}

}  // namespace

Settings load_settings(const std::optional<std::filesystem::path>& file, const Overrides& overrides) {
    Settings s;
    std::optional<YAML::Node> auth_node;
    if (file) {
        s.file = *file;
        read_file(*file, s, auth_node);
    }
    apply(overrides, s);
    check_auth(s.auth, [&](const std::string& field, const std::string& message) {
        if (overrides.auth_hs256_secret_file && field.ends_with("_file")) {
            throw ConfigError("--auth-hs256-secret-file: " + message);
        }
        if (!auth_node) throw ConfigError("--auth on: " + message);
        const YAML::Node& section = *auth_node;
        if (!field.empty() && section[field].IsDefined()) common::fail_at(*file, section[field], message);
        common::fail_at(*file, section, message);
    });
    try {
        parse_store_location(s.event_store);
    } catch (const std::invalid_argument& e) {
        throw ConfigError(std::string("--event-store: ") + e.what());
    }
    if (s.kafka.brokers.empty()) throw ConfigError("kafka.brokers must not be empty");
    if (s.kafka.topic.empty()) throw ConfigError("kafka.topic must not be empty");
    if (s.restore_topic.empty()) s.restore_topic = s.kafka.topic;
    return s;
}

}  // namespace fanout::post_command
