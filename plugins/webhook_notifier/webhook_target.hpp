#pragma once
// Where notifications go: the parsed `url` and `headers` options.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fanout::plugins::webhook {

/// `s` without leading and trailing spaces and tabs.
inline std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

struct WebhookUrl {
    std::string scheme;  ///< "http" or "https"
    std::string host;
    std::uint16_t port = 0;
    std::string path;  ///< starts with '/', query string included

    /// "scheme://host:port", what httplib::Client takes.
    std::string origin() const;
};

/// Parse `http[s]://host[:port][/path]`. Throws std::invalid_argument with a
/// message meant for the operator. `https_supported` false rejects https.
WebhookUrl parse_webhook_url(std::string_view url, bool https_supported);

/// Parse "Name: value" lines. Throws std::invalid_argument for a line without
/// a colon, an empty or invalid name, or CR/LF anywhere (header injection).
std::vector<std::pair<std::string, std::string>> parse_header_lines(const std::vector<std::string>& lines);

}  // namespace fanout::plugins::webhook
