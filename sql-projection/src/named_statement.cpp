#include "fanout/sql/named_statement.hpp"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <utility>

namespace fanout::sql {
namespace {

struct Source {
    std::string_view name;
    ParameterSource source;
};

constexpr std::array<Source, 11> k_sources = {{
    {"aggregate_id", ParameterSource::aggregate_id},
    {"version", ParameterSource::version},
    {"event_id", ParameterSource::event_id},
    {"type", ParameterSource::type},
    {"occurred_at", ParameterSource::occurred_at},
    {"global_sequence", ParameterSource::global_sequence},
    {"topic", ParameterSource::topic},
    {"partition", ParameterSource::partition},
    {"offset", ParameterSource::offset},
    {"key", ParameterSource::key},
    {"timestamp_ms", ParameterSource::timestamp_ms},
}};

bool starts_identifier(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool continues_identifier(char c) noexcept { return starts_identifier(c) || (c >= '0' && c <= '9'); }

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

const char* k_use_named = "; write a named parameter instead (:aggregate_id, :data.author, ...)";

/// The parameter a name binds; throws for a name that is not a source.
Parameter resolve(const std::string& name, std::size_t offset) {
    Parameter p;
    p.name = name;
    if (name.starts_with("data.")) {
        p.source = ParameterSource::data;
        for (std::size_t at = 5;;) {
            const std::size_t dot = name.find('.', at);
            p.path.push_back(name.substr(at, dot == std::string::npos ? std::string::npos : dot - at));
            if (dot == std::string::npos) break;
            at = dot + 1;
        }
        return p;
    }
    for (const Source& s : k_sources) {
        if (name == s.name) {
            p.source = s.source;
            return p;
        }
    }
    throw NamedStatementError(
        "unknown parameter :" + name + " (expected one of " + parameter_sources() + ")", offset);
}

}  // namespace

std::string parameter_sources() {
    std::string out;
    for (const Source& s : k_sources) {
        out += std::string(s.name) + ", ";
    }
    return out + "data.<path>";
}

bool plain_identifier(std::string_view name) noexcept {
    if (name.empty() || name.size() > 63 || !starts_identifier(name[0])) return false;
    return std::all_of(name.begin(), name.end(), continues_identifier);
}

NamedStatement compile_named(std::string_view sql, Backend backend, ParameterNames names) {
    NamedStatement out;
    bool ended = false;  // a ';' was seen: anything but space and comments after it is a second statement
    const auto word = [&](std::string_view text) {
        if (ended) out.several = true;
        std::string w(text);
        for (char& ch : w) {
            if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
        }
        out.words.push_back(std::move(w));
    };
    out.sql.reserve(sql.size());
    std::unordered_map<std::string, std::size_t> positions;
    const std::size_t n = sql.size();
    std::size_t i = 0;
    const auto copy_through = [&](std::size_t end) {
        out.sql.append(sql.substr(i, end - i));
        i = end;
    };
    while (i < n) {
        const char c = sql[i];
        if (c == '\'' || c == '"') {
            // A literal or a quoted identifier; a doubled quote is one quote.
            std::size_t j = i + 1;
            for (;;) {
                if (j >= n) {
                    throw NamedStatementError(
                        c == '\'' ? "unterminated string literal" : "unterminated quoted identifier", i);
                }
                if (sql[j] == c) {
                    if (j + 1 < n && sql[j + 1] == c) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            if (c == '"') {
                word(sql.substr(i + 1, j - i - 1));
            } else if (ended) {
                out.several = true;
            }
            copy_through(j + 1);
        } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
            const std::size_t end = sql.find('\n', i);
            copy_through(end == std::string_view::npos ? n : end);
        } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
            const std::size_t end = sql.find("*/", i + 2);
            if (end == std::string_view::npos) throw NamedStatementError("unterminated comment", i);
            copy_through(end + 2);
        } else if (c == '$') {
            std::size_t j = i + 1;
            while (j < n && continues_identifier(sql[j])) ++j;
            if (j < n && sql[j] == '$' && (j == i + 1 || !is_digit(sql[i + 1]))) {
                // $$...$$ or $tag$...$tag$
                const std::string_view tag = sql.substr(i, j - i + 1);
                const std::size_t end = sql.find(tag, j + 1);
                if (end == std::string_view::npos) throw NamedStatementError("unterminated dollar-quoted string", i);
                if (ended) out.several = true;
                copy_through(end + tag.size());
            } else if (j > i + 1) {
                throw NamedStatementError("parameter " + std::string(sql.substr(i, j - i)) + k_use_named, i);
            } else {
                copy_through(i + 1);
            }
        } else if (c == '?' || (c == '@' && backend == Backend::sqlite && i + 1 < n && starts_identifier(sql[i + 1]))) {
            throw NamedStatementError(std::string("parameter ") + c + k_use_named, i);
        } else if (c == ':' && i + 1 < n && sql[i + 1] == ':') {
            copy_through(i + 2);  // a cast
        } else if (c == ':' && i + 1 < n && starts_identifier(sql[i + 1])) {
            std::size_t j = i + 1;
            for (;;) {
                while (j < n && continues_identifier(sql[j])) ++j;
                if (j + 1 < n && sql[j] == '.' && starts_identifier(sql[j + 1])) {
                    ++j;
                    continue;
                }
                break;
            }
            if (j < n && sql[j] == '.') {
                throw NamedStatementError("parameter :" + std::string(sql.substr(i + 1, j - i)) +
                                              " ends with '.': name a field after it",
                                          i);
            }
            const std::string name(sql.substr(i + 1, j - i - 1));
            if (ended) out.several = true;
            if (names == ParameterNames::free) {
                if (name.find('.') != std::string::npos) {
                    throw NamedStatementError("parameter :" + name + ": a name is letters, digits and _ (no dots)", i);
                }
            } else if (name == "data") {
                throw NamedStatementError("parameter :data needs a path, e.g. :data.author", i);
            }
            auto [it, added] = positions.try_emplace(name, out.parameters.size() + 1);
            if (added) {
                if (names == ParameterNames::free) {
                    out.parameters.push_back(Parameter{name, ParameterSource::named, {}});
                } else {
                    out.parameters.push_back(resolve(name, i));
                }
            }
            out.sql += backend == Backend::postgresql ? '$' : '?';
            out.sql += std::to_string(it->second);
            i = j;
        } else if (starts_identifier(c)) {
            std::size_t j = i + 1;
            while (j < n && (continues_identifier(sql[j]) || sql[j] == '$')) ++j;
            word(sql.substr(i, j - i));
            copy_through(j);
        } else if (c == ';') {
            if (ended) out.several = true;
            ended = true;
            copy_through(i + 1);
        } else {
            if (ended && c != ' ' && c != '\t' && c != '\n' && c != '\r') out.several = true;
            copy_through(i + 1);
        }
    }
    return out;
}

}  // namespace fanout::sql
