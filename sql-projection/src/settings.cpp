#include "fanout/sql/settings.hpp"

#include <stdexcept>

#include "fanout/common/connection_string.hpp"

namespace fanout::sql {
namespace {

std::int64_t in_range(const Options& options, const char* key, std::int64_t min, std::int64_t max) {
    const std::int64_t v = options.get_integer(key);
    if (v < min || v > max) {
        throw std::invalid_argument(std::string("option '") + key + "' must be in " + std::to_string(min) + ".." +
                                    std::to_string(max) + ", got " + std::to_string(v));
    }
    return v;
}

}  // namespace

ConnectionSettings parse_connection_settings(const Options& options) {
    ConnectionSettings s;
    s.connection = options.get_string("connection");
    if (s.connection.empty()) throw std::invalid_argument("option 'connection' must not be empty");
    try {
        common::parse_connection_string(s.connection);  // refused at --check-config, not at the first connect
    } catch (const common::ConnectionStringError& e) {
        throw std::invalid_argument(std::string("option 'connection': ") + e.what());
    }
    s.lock_timeout = std::chrono::milliseconds(in_range(options, "lock_timeout_ms", 1, 3'600'000));
    s.connect_timeout = std::chrono::seconds(in_range(options, "connect_timeout_s", 1, 3'600));
    s.reconnect_interval = std::chrono::milliseconds(in_range(options, "reconnect_interval_ms", 0, 3'600'000));
    s.commit_max_events = static_cast<std::uint64_t>(in_range(options, "commit_max_events", 1, 10'000'000));
    s.commit_max_delay = std::chrono::milliseconds(in_range(options, "commit_max_delay_ms", 0, 60'000));
    // A host that does not know them (an older fanoutd, a test harness) may
    // answer anything for keys outside the schema: absent unless it answers.
    try {
        if (options.is_set(k_rebuild_option)) s.rebuild = options.get_boolean(k_rebuild_option);
    } catch (const std::exception&) {
        s.rebuild = false;
    }
    if (s.rebuild && options.is_set(k_rebuild_retire_after_option)) {
        s.retire_after = std::chrono::seconds(in_range(options, k_rebuild_retire_after_option, 0, 30 * 86'400));
    }
    return s;
}

std::string connection_with_timeout(const ConnectionSettings& settings) {
    common::ConnectionString target = common::parse_connection_string(settings.connection);
    if (target.is_sqlite()) return settings.connection;
    target.set_default("connect_timeout", std::to_string(settings.connect_timeout.count()));
    return target.soci_connect_string();  // a postgresql:// URL: parses back to the same parameters
}

std::string redacted(const std::string& connection) { return common::redact_connection_string(connection); }

}  // namespace fanout::sql
