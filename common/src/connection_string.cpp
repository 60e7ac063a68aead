#include "fanout/common/connection_string.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "fanout/common/text.hpp"

namespace fanout::common {
namespace {

constexpr std::string_view k_postgres_schemes[] = {"postgresql://", "postgres://"};
// Longest first: "sqlite://" must win over "sqlite:".
constexpr std::string_view k_sqlite_prefixes[] = {"sqlite3://", "sqlite://", "sqlite3:", "sqlite:"};

// libpq 15's connection keywords (PQconndefaults), plus SOCI's own
// `singlerow(s)`. Anything else is a typo libpq would refuse later, with less
// context.
constexpr std::string_view k_postgres_keywords[] = {
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "sslmode",
    "requiressl",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "service",
    "target_session_attrs",
    "replication",
    "singlerow",
    "singlerows",
};

constexpr std::size_t k_max_echo = 160;  // of the (redacted) input, in messages

bool is_secret(std::string_view keyword) { return keyword == "password" || keyword == "sslpassword"; }

bool known_keyword(std::string_view keyword) {
    return std::find(std::begin(k_postgres_keywords), std::end(k_postgres_keywords), keyword) !=
           std::end(k_postgres_keywords);
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
    }
    return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

[[noreturn]] void fail(std::string_view text, const std::string& problem) {
    std::string echo = redact_connection_string(text);
    if (echo.size() > k_max_echo) echo = echo.substr(0, k_max_echo) + "...";
    throw ConnectionStringError("connection string '" + echo + "': " + problem);
}

/// Percent-decode one URL component; `what` names it in errors (its value is
/// never echoed: it may be a password).
std::string percent_decode(std::string_view text, std::string_view part, const std::string& what) {
    std::optional<std::string> decoded = common::percent_decode(part);
    if (!decoded) fail(text, "bad percent-encoding in the " + what + " (expected %XX with two hex digits)");
    std::string out = std::move(*decoded);
    if (out.find('\0') != std::string::npos) fail(text, "the " + what + " contains a NUL character");
    return out;
}

void add_parameter(std::string_view text, ConnectionString& cs, std::string keyword, std::string value) {
    if (!known_keyword(keyword)) {
        fail(text, "unknown PostgreSQL parameter '" + keyword +
                       "' (libpq keywords: host, port, dbname, user, "
                       "password, sslmode, connect_timeout, application_name, ...)");
    }
    // As in libpq, a keyword given again overrides the earlier value (scripts
    // append "dbname=other" to a server's conninfo).
    for (auto& [k, v] : cs.parameters) {
        if (k == keyword) {
            v = std::move(value);
            return;
        }
    }
    cs.parameters.emplace_back(std::move(keyword), std::move(value));
}

void check_port_list(std::string_view text, std::string_view ports) {
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = ports.find(',', start);
        const std::string_view port = ports.substr(start, comma == std::string_view::npos ? comma : comma - start);
        if (!port.empty()) {
            int value = 0;
            bool digits = port.size() <= 5;
            for (const char c : port) {
                if (!digits) break;  // too long or not a digit: stop before value can overflow
                if (c < '0' || c > '9') digits = false;
                else value = value * 10 + (c - '0');
            }
            if (!digits || value < 1 || value > 65535) {
                fail(text, "port '" + std::string(port.substr(0, 20)) + "' is not a number in 1..65535");
            }
        }
        if (comma == std::string_view::npos) return;
        start = comma + 1;
    }
}

/// One host[:port] of a URL's host list: `[v6]`, `[v6]:port`, `name`, `name:port`.
void split_host_port(std::string_view text, std::string_view entry, std::string& host, std::string& port) {
    std::string_view host_part = entry, port_part;
    if (!entry.empty() && entry.front() == '[') {
        const std::size_t close = entry.find(']');
        if (close == std::string_view::npos) fail(text, "unterminated '[' in an IPv6 host");
        host_part = entry.substr(1, close - 1);
        const std::string_view after = entry.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') fail(text, "expected ':port' after the IPv6 host ']'");
            port_part = after.substr(1);
        }
        if (host_part.empty()) fail(text, "empty IPv6 host '[]'");
    } else {
        const std::size_t colon = entry.find(':');
        if (colon != std::string_view::npos) {
            if (entry.find(':', colon + 1) != std::string_view::npos) {
                fail(text, "an IPv6 host must be written in brackets, e.g. postgresql://user@[::1]:5432/db");
            }
            host_part = entry.substr(0, colon);
            port_part = entry.substr(colon + 1);
        }
    }
    host = percent_decode(text, host_part, "host");
    port = percent_decode(text, port_part, "port");
    check_port_list(text, port);
    if (port.find(',') != std::string::npos) fail(text, "a port list belongs in the host list: h1:5432,h2:5433");
}

ConnectionString parse_postgres_url(std::string_view text, std::string_view rest) {
    ConnectionString cs;
    cs.kind = DatabaseKind::postgresql;
    if (rest.find('#') != std::string_view::npos) fail(text, "a PostgreSQL URL takes no '#' fragment");
    const std::size_t question = rest.find('?');
    const std::string_view before_query = rest.substr(0, question);
    const std::string_view query = question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);

    // The last '@' ends the user info, so an unencoded '@' or '/' in a
    // password still parses; a '@' in a database name must be written %40.
    std::string_view userinfo, hostpath = before_query;
    bool has_userinfo = false;
    if (const std::size_t at = before_query.rfind('@'); at != std::string_view::npos) {
        has_userinfo = true;
        userinfo = before_query.substr(0, at);
        hostpath = before_query.substr(at + 1);
    }
    const std::size_t slash = hostpath.find('/');
    const std::string_view hostlist = hostpath.substr(0, slash);
    const std::string_view dbname = slash == std::string_view::npos ? std::string_view{} : hostpath.substr(slash + 1);

    std::vector<std::string> hosts, ports;
    bool any_host = false, any_port = false;
    if (!hostlist.empty()) {
        std::size_t start = 0;
        for (;;) {
            // Commas inside [...] are not separators (they cannot occur in an
            // IPv6 address anyway, but the scan must not split one).
            std::size_t end = start;
            bool in_brackets = false;
            while (end < hostlist.size() && (in_brackets || hostlist[end] != ',')) {
                if (hostlist[end] == '[') in_brackets = true;
                if (hostlist[end] == ']') in_brackets = false;
                ++end;
            }
            std::string host, port;
            split_host_port(text, hostlist.substr(start, end - start), host, port);
            any_host = any_host || !host.empty();
            any_port = any_port || !port.empty();
            hosts.push_back(std::move(host));
            ports.push_back(std::move(port));
            if (end >= hostlist.size()) break;
            start = end + 1;
        }
    }
    const auto join = [](const std::vector<std::string>& items) {
        std::string out;
        for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
        return out;
    };
    for (const auto& host : hosts) {
        if (host.find(',') != std::string::npos) fail(text, "a host name contains ','");
    }
    if (any_host) add_parameter(text, cs, "host", join(hosts));
    if (any_port) add_parameter(text, cs, "port", join(ports));
    if (!dbname.empty()) add_parameter(text, cs, "dbname", percent_decode(text, dbname, "database name"));
    if (has_userinfo) {
        const std::size_t colon = userinfo.find(':');
        const std::string user = percent_decode(text, userinfo.substr(0, colon), "user name");
        if (!user.empty()) add_parameter(text, cs, "user", user);
        if (colon != std::string_view::npos) {
            add_parameter(text, cs, "password", percent_decode(text, userinfo.substr(colon + 1), "password"));
        }
    }

    std::size_t start = 0;
    while (start < query.size()) {
        std::size_t amp = query.find('&', start);
        if (amp == std::string_view::npos) amp = query.size();
        const std::string_view pair = query.substr(start, amp - start);
        start = amp + 1;
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        if (eq == std::string_view::npos) {
            fail(text, "query parameter '" + std::string(pair.substr(0, 40)) + "' has no '=value'");
        }
        std::string keyword = percent_decode(text, pair.substr(0, eq), "name of a query parameter");
        std::string value = percent_decode(text, pair.substr(eq + 1), "value of query parameter '" + keyword + "'");
        if (keyword == "ssl") {  // libpq's JDBC-style alias
            if (value != "true") fail(text, "query parameter 'ssl' takes only 'true' (or use sslmode=...)");
            keyword = "sslmode";
            value = "require";
        }
        if (keyword == "port") check_port_list(text, value);
        add_parameter(text, cs, std::move(keyword), std::move(value));
    }
    if (cs.parameters.empty()) {
        fail(text, "a PostgreSQL URL must name at least a host, database or user (postgresql://user@host/db)");
    }
    return cs;
}

/// libpq's keyword/value syntax: `keyword = value` separated by whitespace;
/// a value is single-quoted (with \' and \\) or ends at whitespace (where a
/// backslash escapes the next character).
ConnectionString parse_postgres_keywords(std::string_view text) {
    ConnectionString cs;
    cs.kind = DatabaseKind::postgresql;
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (true) {
        while (i < n && is_space(text[i])) ++i;
        if (i >= n) break;
        const std::size_t key_start = i;
        while (i < n && text[i] != '=' && !is_space(text[i])) ++i;
        std::string keyword(text.substr(key_start, i - key_start));
        while (i < n && is_space(text[i])) ++i;
        if (keyword.empty()) fail(text, "expected keyword=value, found '=' without a keyword");
        if (i >= n || text[i] != '=') {
            fail(text, "expected keyword=value, found '" + keyword.substr(0, 40) + "' without '='");
        }
        ++i;
        while (i < n && is_space(text[i])) ++i;
        std::string value;
        if (i < n && text[i] == '\'') {
            ++i;
            bool closed = false;
            while (i < n) {
                if (text[i] == '\\' && i + 1 < n) {
                    value += text[i + 1];
                    i += 2;
                } else if (text[i] == '\'') {
                    ++i;
                    closed = true;
                    break;
                } else {
                    value += text[i++];
                }
            }
            if (!closed) fail(text, "unterminated quoted value of '" + keyword + "'");
        } else {
            while (i < n && !is_space(text[i])) {
                if (text[i] == '\\' && i + 1 < n) ++i;
                value += text[i++];
            }
        }
        if (value.find('\0') != std::string::npos)
            fail(text, "the value of '" + keyword + "' contains a NUL character");
        if (keyword == "port") check_port_list(text, value);
        add_parameter(text, cs, std::move(keyword), std::move(value));
    }
    if (cs.parameters.empty()) fail(text, "no PostgreSQL parameters");
    return cs;
}

ConnectionString parse_sqlite(std::string_view text, std::string_view path) {
    if (trim(path).empty())
        fail(text, "empty SQLite database path (expected e.g. sqlite:/var/lib/fanout/read-model.db)");
    if (path.find('\0') != std::string_view::npos) fail(text, "the SQLite path contains a NUL character");
    // SOCI's sqlite3 option scanner cannot carry a double quote in a path.
    if (path.find('"') != std::string_view::npos) fail(text, "the SQLite path must not contain '\"'");
    ConnectionString cs;
    cs.kind = DatabaseKind::sqlite;
    cs.path = std::string(path);
    return cs;
}

bool is_unreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

std::string percent_encode(std::string_view value) {
    static constexpr char k_hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (is_unreserved(c)) {
            out += c;
        } else {
            const auto b = static_cast<unsigned char>(c);
            out += '%';
            out += k_hex[b >> 4];
            out += k_hex[b & 0xF];
        }
    }
    return out;
}

std::string quote_keyword_value(std::string_view value) {
    const bool plain = !value.empty() && std::none_of(value.begin(), value.end(),
                                                      [](char c) { return is_space(c) || c == '\'' || c == '\\'; });
    if (plain) return std::string(value);
    std::string out = "'";
    for (const char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

/// Replace [from, to) of `out` with "***".
void mask(std::string& out, std::size_t from, std::size_t to) { out.replace(from, to - from, "***"); }

}  // namespace

const std::string* ConnectionString::parameter(std::string_view keyword) const {
    for (const auto& [k, v] : parameters) {
        if (k == keyword) return &v;
    }
    return nullptr;
}

void ConnectionString::set_default(std::string_view keyword, std::string value) {
    if (parameter(keyword) == nullptr) parameters.emplace_back(std::string(keyword), std::move(value));
}

std::string ConnectionString::soci_connect_string() const {
    if (kind == DatabaseKind::sqlite) return "db=\"" + path + "\"";
    // SOCI 4.0 rebuilds the string from `key=value` tokens split on spaces and
    // appends '=' when it finds none: a URL without spaces or quotes, with at
    // least one query parameter, passes through unchanged.
    std::string out = "postgresql://?";
    // (The parser never gives an empty list; a hand-made one still needs an '='.)
    if (parameters.empty()) return out + "fallback_application_name=fanout";
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        if (i > 0) out += '&';
        out += parameters[i].first + '=' + percent_encode(parameters[i].second);
    }
    return out;
}

std::string ConnectionString::display() const {
    if (kind == DatabaseKind::sqlite) return "sqlite:" + path;
    std::string out;
    for (const auto& [keyword, value] : parameters) {
        if (!out.empty()) out += ' ';
        out += keyword + '=' + (is_secret(keyword) ? std::string("***") : quote_keyword_value(value));
    }
    return out;
}

ConnectionString parse_connection_string(std::string_view text) {
    const std::string_view trimmed = trim(text);
    if (trimmed.empty())
        fail(text, "empty connection string (expected sqlite:/path.db, postgresql://... or libpq keyword=value)");
    for (const std::string_view scheme : k_postgres_schemes) {
        if (starts_with_nocase(trimmed, scheme)) return parse_postgres_url(text, trimmed.substr(scheme.size()));
    }
    for (const std::string_view prefix : k_sqlite_prefixes) {
        if (starts_with_nocase(trimmed, prefix)) return parse_sqlite(text, trimmed.substr(prefix.size()));
    }
    // "mysql://...", "oracle:db": a scheme this parser does not know. A
    // SQLite file whose name has such a prefix is written ./name or sqlite:name.
    if (const std::size_t colon = trimmed.find(':'); colon != std::string_view::npos && colon > 0) {
        const std::string_view scheme = trimmed.substr(0, colon);
        const bool token = std::isalpha(static_cast<unsigned char>(scheme.front())) &&
                           std::all_of(scheme.begin(), scheme.end(), [](char c) {
                               return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
                           });
        const bool slashes = trimmed.substr(colon).rfind("://", 0) == 0;
        if (token && (slashes || trimmed.find('=') == std::string_view::npos)) {
            fail(text, "unsupported scheme '" + std::string(scheme.substr(0, 20)) + (slashes ? "://" : ":") +
                           "' (expected sqlite:, sqlite3:, postgresql:// or postgres://; a SQLite file named like "
                           "that is written ./NAME or sqlite:NAME)");
        }
    }
    if (trimmed.find('=') != std::string_view::npos) return parse_postgres_keywords(trimmed);
    return parse_sqlite(text, trimmed);
}

std::string redact_connection_string(std::string_view text) {
    std::string out(text);
    const std::size_t scheme_end = out.find("://");
    const bool url = scheme_end != std::string::npos;
    if (url) {
        // user:password@ up to the last '@' anywhere: an unencoded '?' or '/'
        // in a password must not leave its tail visible (masking too much is fine).
        const std::size_t authority = scheme_end + 3;
        const std::size_t at = out.rfind('@');
        if (at != std::string::npos && at >= authority) {
            const std::size_t colon = out.find(':', authority);
            if (colon != std::string::npos && colon < at) mask(out, colon + 1, at);
        }
    }
    // password=... / sslpassword=..., in keyword form or as a query parameter.
    std::size_t from = 0;
    while (true) {
        std::size_t hit = std::string::npos;
        for (std::size_t i = from; i + 8 <= out.size(); ++i) {
            if (starts_with_nocase(std::string_view(out).substr(i), "password")) {
                hit = i;
                break;
            }
        }
        if (hit == std::string::npos) break;
        std::size_t i = hit + 8;
        while (i < out.size() && is_space(out[i])) ++i;
        if (i >= out.size() || out[i] != '=') {
            from = hit + 8;
            continue;
        }
        ++i;
        while (!url && i < out.size() && is_space(out[i])) ++i;
        const std::size_t value_start = i;
        if (!url && i < out.size() && out[i] == '\'') {
            ++i;
            while (i < out.size() && out[i] != '\'') i += out[i] == '\\' ? 2 : 1;
            i = std::min(i + 1, out.size());
        } else {
            while (i < out.size() && !(url ? (out[i] == '&' || out[i] == '#') : is_space(out[i]))) {
                i += (!url && out[i] == '\\') ? 2 : 1;
            }
            i = std::min(i, out.size());
        }
        if (i > value_start) mask(out, value_start, i);
        from = value_start + 3;
    }
    return out;
}

}  // namespace fanout::common
