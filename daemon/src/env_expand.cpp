#include "env_expand.hpp"

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "yaml_reader.hpp"

namespace fanout::daemon {

namespace {

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

/// A scalar and what it expands to.
struct Expansion {
    YAML::Node node;
    std::string value;
};

/// Every expansion is computed before any is applied: a scalar reached twice
/// through an alias must be expanded once, from its original text. The walk
/// keeps its own stack, so no input nests it past the call stack.
void collect(const std::filesystem::path& file, const YAML::Node& root, const EnvironmentLookup& lookup,
             std::vector<Expansion>& out) {
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
                    expanded = expand_value(text, lookup);
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

std::string expand_value(const std::string& text, const EnvironmentLookup& lookup) {
    const auto fail = [](const std::string& message) { throw std::invalid_argument(message); };
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
        const std::size_t close = text.find('}', i + 2);
        if (close == std::string::npos) {
            fail("unterminated environment reference '" + text.substr(i) +
                 "' (expected ${NAME} or ${NAME:-fallback}; "
                 "write $$ for a literal $)");
        }
        const std::string inner = text.substr(i + 2, close - i - 2);
        std::size_t n = 0;
        while (n < inner.size() && name_char(inner[n])) ++n;
        const std::string name = inner.substr(0, n);
        if (name.empty() || !name_start(name[0])) {
            fail("bad environment reference '${" + inner + "}': expected a variable name (letters, digits, _) " +
                 "as in ${NAME} or ${NAME:-fallback}");
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
        out += *value;
        i = close + 1;
    }
    return out;
}

void expand_environment(const std::filesystem::path& file, YAML::Node root, const EnvironmentLookup& lookup) {
    std::vector<Expansion> expansions;
    collect(file, root, lookup, expansions);
    for (Expansion& e : expansions) e.node = e.value;
}

}  // namespace fanout::daemon
