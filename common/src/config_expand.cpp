#include "fanout/common/config_expand.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

#include "fanout/common/config_yaml.hpp"
#include "fanout/common/text.hpp"

namespace fanout::common {

namespace {

constexpr std::string_view k_file_prefix = "file:";

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

/// `${file:` that is not the fallback form `${file:-...}` of a variable named file.
bool file_reference_at(const std::string& text, std::size_t i) {
    const std::size_t after = i + 2 + k_file_prefix.size();
    return text.compare(i + 2, k_file_prefix.size(), k_file_prefix) == 0 && (after >= text.size() || text[after] != '-');
}

/// The `}` closing the `${` at `open`, counting the `${`...`}` nested in it.
std::size_t matching_close(const std::string& text, std::size_t open) {
    int depth = 0;
    for (std::size_t i = open; i < text.size(); ++i) {
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
            ++depth;
            ++i;
        } else if (text[i] == '}' && --depth == 0) {
            return i;
        }
    }
    return std::string::npos;
}

/// `${NAME}` or `${NAME:-fallback}` (`inner` is what the braces hold).
std::string variable_value(const std::string& inner, const EnvironmentLookup& lookup) {
    std::size_t n = 0;
    while (n < inner.size() && name_char(inner[n])) ++n;
    const std::string name = inner.substr(0, n);
    if (name.empty() || !name_start(name[0])) {
        fail("bad environment reference '${" + inner + "}': expected a variable name (letters, digits, _) " +
             "as in ${NAME} or ${NAME:-fallback}, or ${file:PATH}");
    }
    std::optional<std::string> fallback;
    if (n < inner.size()) {
        if (inner.compare(n, 2, ":-") != 0) {
            fail("bad environment reference '${" + inner + "}': expected ${" + name + "} or ${" + name +
                 ":-fallback}");
        }
        fallback = inner.substr(n + 2);
    }
    std::optional<std::string> value = lookup(name);
    if (fallback && (!value || value->empty())) value = fallback;
    if (!value) {
        fail("environment variable " + name + " is not set (referenced as ${" + name + "}; use ${" + name +
             ":-fallback} to give a default)");
    }
    return *value;
}

/// `${file:PATH}` (`path_text` is PATH before its own expansion).
std::string file_value(const std::string& path_text, const EnvironmentLookup& lookup,
                       const SecretFileReader& read_file) {
    const SecretFileReader no_nested_files = [](const std::filesystem::path&) -> std::string {
        fail("the PATH of ${file:PATH} cannot itself be a ${file:...} reference");
    };
    const std::string path = expand_value(path_text, lookup, no_nested_files);
    if (path.empty()) fail("'${file:" + path_text + "}': the file name is empty (expected ${file:PATH})");
    return read_file(path);
}

/// A scalar and what it expands to.
struct Expansion {
    YAML::Node node;
    std::string value;
};

/// Every expansion is computed before any is applied: a scalar reached twice
/// through an alias must be expanded once, from its original text. The walk
/// keeps its own stack, so no input nests it past the call stack.
void collect(const std::filesystem::path& file, const YAML::Node& root, const EnvironmentLookup& lookup,
             const SecretFileReader& read_file, std::vector<Expansion>& out) {
    std::vector<YAML::Node> pending{root};
    while (!pending.empty()) {
        YAML::Node node = std::move(pending.back());
        pending.pop_back();
        switch (node.Type()) {
            case YAML::NodeType::Scalar: {
                const std::string& text = node.Scalar();
                if (text.find('$') == std::string::npos) break;
                std::string expanded;
                try {
                    expanded = expand_value(text, lookup, read_file);
                } catch (const std::invalid_argument& e) {
                    fail_at(file, node, e.what());
                }
                if (expanded != text) out.push_back({node, std::move(expanded)});
                break;
            }
            case YAML::NodeType::Sequence:
                for (const auto& item : node) pending.push_back(item);
                break;
            case YAML::NodeType::Map:
                for (const auto& entry : node) pending.push_back(entry.second);
                break;
            default: break;
        }
    }
}

}  // namespace

std::optional<std::string> process_environment(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

std::string read_secret_reference(const std::filesystem::path& file) {
    const std::string where = "secret file " + file.string() + " (from ${file:...})";
    std::error_code ec;
    const auto status = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::exists(status)) {
        fail(where + " cannot be read: " + (ec ? ec.message() : std::string("no such file")));
    }
    if (!std::filesystem::is_regular_file(status)) fail(where + " is not a regular file");
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) fail(where + " cannot be read: " + ec.message());
    if (size > k_max_secret_file_bytes) {
        fail(where + " is " + std::to_string(size) + " bytes, more than a secret's " +
             std::to_string(k_max_secret_file_bytes));
    }
    std::optional<std::string> secret = read_secret_file(file);
    if (!secret) fail(where + " cannot be read or holds nothing but spaces");
    return std::move(*secret);
}

std::string expand_value(const std::string& text, const EnvironmentLookup& lookup, const SecretFileReader& read_file) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c != '$' || i + 1 >= text.size()) {
            out += c;
            ++i;
            continue;
        }
        if (text[i + 1] == '$') {  // $$ -> $
            out += '$';
            i += 2;
            continue;
        }
        if (text[i + 1] != '{') {  // a lone $ is itself
            out += c;
            ++i;
            continue;
        }
        if (file_reference_at(text, i)) {
            const std::size_t close = matching_close(text, i);
            if (close == std::string::npos) {
                fail("unterminated secret file reference '" + text.substr(i) + "' (expected ${file:PATH})");
            }
            const std::size_t path_start = i + 2 + k_file_prefix.size();
            out += file_value(text.substr(path_start, close - path_start), lookup, read_file);
            i = close + 1;
            continue;
        }
        const std::size_t close = text.find('}', i + 2);
        if (close == std::string::npos) {
            fail("unterminated environment reference '" + text.substr(i) +
                 "' (expected ${NAME}, ${NAME:-fallback} or ${file:PATH}; write $$ for a literal $)");
        }
        out += variable_value(text.substr(i + 2, close - i - 2), lookup);
        i = close + 1;
    }
    return out;
}

void expand_environment(const std::filesystem::path& file, YAML::Node root, const EnvironmentLookup& lookup,
                        const SecretFileReader& read_file) {
    const std::filesystem::path base = file.parent_path();
    const SecretFileReader relative_to_file = [&](const std::filesystem::path& path) {
        return read_file(path.is_relative() ? base / path : path);
    };
    std::vector<Expansion> expansions;
    collect(file, root, lookup, relative_to_file, expansions);
    for (Expansion& e : expansions) e.node = e.value;
}

}  // namespace fanout::common
