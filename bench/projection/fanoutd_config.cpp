#include "fanoutd_config.hpp"

#include <sstream>

namespace fanout::bench {

void put_property(Properties& props, const std::string& key, const std::string& value) {
    for (auto& [k, v] : props) {
        if (k == key) {
            v = value;
            return;
        }
    }
    props.emplace_back(key, value);
}

std::string yaml_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string fanoutd_config_head(const std::string& brokers, const Properties& properties,
                                const std::string& group_prefix, const std::string& topic) {
    std::string y = "kafka:\n  brokers: " + yaml_quote(brokers) + "\n  properties:\n";
    for (const auto& [k, v] : properties) y += "    " + k + ": " + yaml_quote(v) + "\n";
    return y + "group_prefix: " + yaml_quote(group_prefix) +
           "\ndead_letter_topic: " + yaml_quote(topic + ".dead-letter") + "\ndrain_timeout_ms: 10000\nplugins:\n";
}

std::string plugin_entry_head(const std::string& name, const std::string& topic, std::size_t max_events, int linger_ms,
                              bool parse_ahead) {
    return "  - name: " + name + "\n    topics: [" + yaml_quote(topic) +
           "]\n    batch: { max_events: " + std::to_string(max_events) + ", linger_ms: " + std::to_string(linger_ms) +
           (parse_ahead ? "" : ", parse_ahead: false") + " }\n";
}

std::string indented(const std::string& lines, std::size_t spaces) {
    std::istringstream in(lines);
    std::string out;
    for (std::string line; std::getline(in, line);) out += std::string(spaces, ' ') + line + "\n";
    return out;
}

}  // namespace fanout::bench
