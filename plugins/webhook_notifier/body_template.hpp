#pragma once
// The notification body: a text template with `{{placeholder}}`s filled from
// one event. Compiled once at configuration time so a typo in a placeholder
// is a startup error, not a stream of malformed notifications.
#include <string>
#include <string_view>
#include <vector>

#include "fanout/event.hpp"
#include "fanout/support/json_string.hpp"

namespace fanout::plugins::webhook {

/// The body sent when `body_template` is not set.
inline constexpr const char* k_default_body_template =
    R"({"event":"{{type}}","postId":"{{aggregate_id}}","eventId":"{{event_id}}","version":{{version}},)"
    R"("occurredAt":"{{occurred_at}}","data":{{data}}})";

/// Append `text` to `out` escaped for the inside of a JSON string literal.
using support::append_json_escaped;

/// A compiled body template.
///
/// Placeholders (whitespace inside the braces is ignored):
///   {{type}} {{event_id}} {{aggregate_id}} {{occurred_at}} {{topic}} {{key}}
///       the envelope field, JSON-escaped, without quotes (write them in the template);
///   {{version}} {{global_sequence}} {{partition}} {{offset}}   a decimal number;
///   {{data}}          the whole `data` object as compact JSON (not quoted);
///   {{data.<field>}}  one field of `data`: a string JSON-escaped without quotes,
///                     a number or boolean as its JSON text, empty when absent.
/// Thread-safety: render() is const and may be called concurrently.
class BodyTemplate {
public:
    /// Throws std::invalid_argument (message names the offending placeholder)
    /// for an unknown placeholder or an unclosed `{{`.
    explicit BodyTemplate(std::string_view text);

    std::string render(const Event& event) const;

private:
    enum class Kind {
        literal,
        type,
        event_id,
        aggregate_id,
        occurred_at,
        topic,
        key,
        version,
        global_sequence,
        partition,
        offset,
        data,
        data_field,
    };
    struct Segment {
        Kind kind;
        std::string text;  ///< literal text, or the data field name
    };
    std::vector<Segment> segments_;
};

}  // namespace fanout::plugins::webhook
