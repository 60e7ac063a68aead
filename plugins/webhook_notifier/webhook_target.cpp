#include "webhook_target.hpp"

#include <charconv>
#include <stdexcept>

namespace fanout::plugins::webhook {
namespace {

bool is_token_char(char c) {
    // RFC 9110 tchar
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

std::string WebhookUrl::origin() const { return scheme + "://" + host + ":" + std::to_string(port); }

WebhookUrl parse_webhook_url(std::string_view url, bool https_supported) {
    const auto bad = [&](const std::string& why) {
        return std::invalid_argument("url '" + std::string(url) + "': " + why + " (expected http://host:port/path)");
    };
    WebhookUrl out;
    const std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) throw bad("no scheme");
    out.scheme = std::string(url.substr(0, sep));
    if (out.scheme != "http" && out.scheme != "https") throw bad("scheme must be http or https");
    if (out.scheme == "https" && !https_supported) {
        throw bad("https is not available: this build of cpp-httplib has no OpenSSL support");
    }
    std::string_view rest = url.substr(sep + 3);
    const std::size_t slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (out.path.front() == '?') out.path.insert(0, "/");
    if (authority.find('@') != std::string_view::npos)
        throw bad("credentials in the URL are not supported; use headers");
    out.port = out.scheme == "https" ? 443 : 80;
    std::string_view host = authority;
    if (!authority.empty() && authority.front() == '[') {  // [v6]:port
        const std::size_t end = authority.find(']');
        if (end == std::string_view::npos) throw bad("unclosed '[' in host");
        host = authority.substr(1, end - 1);
        authority.remove_prefix(end + 1);
        if (!authority.empty() && authority.front() != ':') throw bad("junk after ']'");
    } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        authority.remove_prefix(colon);
    } else {
        authority = {};
    }
    if (!authority.empty()) {  // ":port"
        const std::string_view digits = authority.substr(1);
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || value == 0 ||
            value > 65535) {
            throw bad("invalid port '" + std::string(digits) + "'");
        }
        out.port = static_cast<std::uint16_t>(value);
    }
    if (host.empty()) throw bad("no host");
    out.host = std::string(host);
    for (const char c : url) {
        if (static_cast<unsigned char>(c) <= 0x20) throw bad("whitespace or control character in URL");
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> parse_header_lines(const std::vector<std::string>& lines) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const std::string& line : lines) {
        if (line.find_first_of("\r\n") != std::string::npos) {
            throw std::invalid_argument("headers: '" + line + "' contains a line break");
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos) throw std::invalid_argument("headers: '" + line + "' is not 'Name: value'");
        const std::string_view name = trim_blanks(std::string_view(line).substr(0, colon));
        if (name.empty()) throw std::invalid_argument("headers: '" + line + "' has an empty name");
        for (const char c : name) {
            if (!is_token_char(c))
                throw std::invalid_argument("headers: invalid character in name '" + std::string(name) + "'");
        }
        out.emplace_back(std::string(name), std::string(trim_blanks(std::string_view(line).substr(colon + 1))));
    }
    return out;
}

}  // namespace fanout::plugins::webhook
