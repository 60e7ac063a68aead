#include "body_template.hpp"

#include <cstdio>
#include <stdexcept>
#include <utility>

#include "webhook_target.hpp"

namespace fanout::plugins::webhook {
namespace {

void append_data_field(std::string& out, const DataView& data, const std::string& field) {
    if (auto s = data.string(field)) {
        append_json_escaped(out, *s);
    } else if (auto i = data.integer(field)) {
        out += std::to_string(*i);
    } else if (auto b = data.boolean(field)) {
        out += *b ? "true" : "false";
    } else if (auto d = data.number(field)) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        out += buf;
    }
    // absent (or an object/array): nothing, so a quoted placeholder stays valid JSON
}

}  // namespace

BodyTemplate::BodyTemplate(std::string_view text) {
    static const std::pair<std::string_view, Kind> k_names[] = {
        {"type", Kind::type},
        {"event_id", Kind::event_id},
        {"aggregate_id", Kind::aggregate_id},
        {"occurred_at", Kind::occurred_at},
        {"topic", Kind::topic},
        {"key", Kind::key},
        {"version", Kind::version},
        {"global_sequence", Kind::global_sequence},
        {"partition", Kind::partition},
        {"offset", Kind::offset},
        {"data", Kind::data},
    };
    std::string literal;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            literal.append(text.substr(pos));
            break;
        }
        literal.append(text.substr(pos, open - pos));
        const std::size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) {
            throw std::invalid_argument("body_template: unclosed '{{' at character " + std::to_string(open));
        }
        const std::string_view name = trim_blanks(text.substr(open + 2, close - open - 2));
        Segment placeholder{Kind::literal, {}};
        for (const auto& [known, kind] : k_names) {
            if (name == known) placeholder.kind = kind;
        }
        if (placeholder.kind == Kind::literal && name.starts_with("data.") && name.size() > 5) {
            placeholder = {Kind::data_field, std::string(name.substr(5))};
        }
        if (placeholder.kind == Kind::literal) {
            throw std::invalid_argument("body_template: unknown placeholder '{{" + std::string(name) +
                                        "}}' (known: type, event_id, aggregate_id, occurred_at, topic, key, version, "
                                        "global_sequence, partition, offset, data, data.<field>)");
        }
        if (!literal.empty()) segments_.push_back({Kind::literal, std::exchange(literal, {})});
        segments_.push_back(std::move(placeholder));
        pos = close + 2;
    }
    if (!literal.empty()) segments_.push_back({Kind::literal, std::move(literal)});
}

std::string BodyTemplate::render(const Event& event) const {
    std::string out;
    out.reserve(256);
    for (const Segment& s : segments_) {
        switch (s.kind) {
            case Kind::literal: out += s.text; break;
            case Kind::type: append_json_escaped(out, event.type()); break;
            case Kind::event_id: append_json_escaped(out, event.event_id()); break;
            case Kind::aggregate_id: append_json_escaped(out, event.aggregate_id()); break;
            case Kind::occurred_at: append_json_escaped(out, event.occurred_at()); break;
            case Kind::topic: append_json_escaped(out, event.topic()); break;
            case Kind::key: append_json_escaped(out, event.key()); break;
            case Kind::version: out += std::to_string(event.version()); break;
            case Kind::global_sequence: out += std::to_string(event.global_sequence()); break;
            case Kind::partition: out += std::to_string(event.partition()); break;
            case Kind::offset: out += std::to_string(event.offset()); break;
            case Kind::data: out += event.data().json(); break;
            case Kind::data_field: append_data_field(out, event.data(), s.text); break;
        }
    }
    return out;
}

}  // namespace fanout::plugins::webhook
