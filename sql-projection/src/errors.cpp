#include "fanout/sql/errors.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace fanout::sql {

bool is_transient(std::string_view text) {
    std::string message(text);
    std::transform(message.begin(), message.end(), message.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static constexpr std::array k_transient = {
        "connection refused", "could not connect",
        "timeout expired",    "timed out",
        "starting up",        "shutting down",
        "in recovery",        "server closed the connection",
        "too many clients",   "could not translate host",
        "no route to host",   "network is unreachable",
        "connection reset",   "terminating connection",
        "database is locked", "lock timeout",
    };
    return std::any_of(k_transient.begin(), k_transient.end(),
                       [&](const char* phrase) { return message.find(phrase) != std::string::npos; });
}

std::string one_line(std::string_view text) {
    std::string out;
    bool space = false;
    for (const char c : text) {
        if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

}  // namespace fanout::sql
