#include "settings.hpp"

#include <regex>
#include <stdexcept>

#include "schema.hpp"

namespace fanout::plugins::analytics {
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

Settings parse_settings(const Options& options) {
    Settings s;
    s.connection = options.get_string("connection");
    if (s.connection.empty()) throw std::invalid_argument("option 'connection' must not be empty");
    s.lock_timeout = std::chrono::milliseconds(in_range(options, "lock_timeout_ms", 1, 3'600'000));
    s.connect_timeout = std::chrono::seconds(in_range(options, "connect_timeout_s", 1, 3'600));
    s.reconnect_interval = std::chrono::milliseconds(in_range(options, "reconnect_interval_ms", 0, 3'600'000));
    return s;
}

std::string connection_with_timeout(const Settings& settings) {
    const std::string& c = settings.connection;
    if (!is_postgresql(c) || c.find("connect_timeout") != std::string::npos) return c;
    const std::string timeout = "connect_timeout=" + std::to_string(settings.connect_timeout.count());
    if (c.rfind("postgres", 0) == 0) return c + (c.find('?') == std::string::npos ? "?" : "&") + timeout;
    return c + " " + timeout;
}

std::string redacted(const std::string& connection) {
    static const std::regex k_url_password(R"((://[^:/@]*:)[^@]*@)");
    static const std::regex k_kv_password(R"((password\s*=\s*)('(\\.|[^'])*'|\S+))", std::regex::icase);
    std::string out = std::regex_replace(connection, k_url_password, "$1***@");
    out = std::regex_replace(out, k_kv_password, "$1***");
    return out;
}

}  // namespace fanout::plugins::analytics
