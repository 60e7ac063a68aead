#include "yaml_reader.hpp"

#include <charconv>
#include <cmath>
#include <sstream>

namespace fanout::daemon {

std::string as_string(const std::filesystem::path& file, const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar()) fail_at(file, node, what + ": expected a string, got " + describe(node));
    return node.Scalar();
}

std::int64_t as_integer(const std::filesystem::path& file, const YAML::Node& node, const std::string& what) {
    if (node.IsScalar()) {
        const std::string& text = node.Scalar();
        std::int64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec == std::errc{} && end == text.data() + text.size() && !text.empty()) return value;
    }
    fail_at(file, node, what + ": expected an integer, got " + describe(node));
}

double as_number(const std::filesystem::path& file, const YAML::Node& node, const std::string& what) {
    if (node.IsScalar()) {
        const std::string& text = node.Scalar();
        std::istringstream in(text);
        double value = 0;
        in >> value;
        if (!text.empty() && in && in.peek() == std::char_traits<char>::eof() && std::isfinite(value)) return value;
    }
    fail_at(file, node, what + ": expected a number, got " + describe(node));
}

bool as_boolean(const std::filesystem::path& file, const YAML::Node& node, const std::string& what) {
    if (node.IsScalar()) {
        const std::string& t = node.Scalar();
        if (t == "true" || t == "True" || t == "TRUE" || t == "yes" || t == "on") return true;
        if (t == "false" || t == "False" || t == "FALSE" || t == "no" || t == "off") return false;
    }
    fail_at(file, node, what + ": expected true or false, got " + describe(node));
}

std::vector<std::string> as_string_list(const std::filesystem::path& file, const YAML::Node& node,
                                        const std::string& what) {
    std::vector<std::string> out;
    if (node.IsScalar()) {
        out.push_back(node.Scalar());
        return out;
    }
    if (!node.IsSequence()) fail_at(file, node, what + ": expected a list of strings, got " + describe(node));
    for (const auto& item : node) out.push_back(as_string(file, item, what + " item"));
    return out;
}

MappingReader::MappingReader(std::filesystem::path file, YAML::Node node, std::string what)
    : file_(std::move(file)), node_(std::move(node)), what_(std::move(what)) {
    if (!node_.IsMap()) fail_at(file_, node_, what_ + ": expected a mapping, got " + describe(node_));
}

YAML::Node MappingReader::get(const std::string& key) {
    read_.insert(key);
    for (const auto& entry : node_) {
        if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node MappingReader::require(const std::string& key) {
    YAML::Node value = get(key);
    if (!value.IsDefined() || value.IsNull()) fail_at(file_, node_, what_ + ": missing required field '" + key + "'");
    return value;
}

std::optional<std::string> MappingReader::string(const std::string& key) {
    YAML::Node value = get(key);
    if (!value.IsDefined() || value.IsNull()) return std::nullopt;
    return as_string(file_, value, field(key));
}

std::optional<std::int64_t> MappingReader::integer(const std::string& key, std::int64_t min, std::int64_t max) {
    YAML::Node value = get(key);
    if (!value.IsDefined() || value.IsNull()) return std::nullopt;
    const std::int64_t v = as_integer(file_, value, field(key));
    if (v < min || v > max) {
        fail_at(file_, value,
                field(key) + ": " + std::to_string(v) + " is out of range [" + std::to_string(min) + ", " +
                    std::to_string(max) + "]");
    }
    return v;
}

std::optional<double> MappingReader::number(const std::string& key, double min, double max) {
    YAML::Node value = get(key);
    if (!value.IsDefined() || value.IsNull()) return std::nullopt;
    const double v = as_number(file_, value, field(key));
    if (v < min || v > max) {
        std::ostringstream m;
        m << field(key) << ": " << v << " is out of range [" << min << ", " << max << "]";
        fail_at(file_, value, m.str());
    }
    return v;
}

std::optional<bool> MappingReader::boolean(const std::string& key) {
    YAML::Node value = get(key);
    if (!value.IsDefined() || value.IsNull()) return std::nullopt;
    return as_boolean(file_, value, field(key));
}

std::optional<std::vector<std::string>> MappingReader::string_list(const std::string& key) {
    YAML::Node value = get(key);
    if (!value.IsDefined() || value.IsNull()) return std::nullopt;
    return as_string_list(file_, value, field(key));
}

std::optional<std::string> MappingReader::choice(const std::string& key, std::initializer_list<const char*> choices) {
    YAML::Node value = get(key);
    if (!value.IsDefined() || value.IsNull()) return std::nullopt;
    std::string v = as_string(file_, value, field(key));
    std::string listed;
    for (const char* c : choices) {
        if (v == c) return v;
        listed += listed.empty() ? std::string(c) : std::string(", ") + c;
    }
    fail_at(file_, value, field(key) + ": expected one of " + listed + ", got '" + v + "'");
}

void MappingReader::finish() const {
    for (const auto& entry : node_) {
        const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : describe(entry.first);
        if (!read_.count(key)) {
            std::string known;
            for (const auto& k : read_) known += known.empty() ? k : ", " + k;
            fail_at(file_, entry.first, what_ + ": unknown field '" + key + "' (expected one of: " + known + ")");
        }
    }
}

}  // namespace fanout::daemon
