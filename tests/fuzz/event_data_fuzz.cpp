// The one definition of valid event data (fanout/common/event_data.hpp):
// every kind's rule on any bytes, agreeing with the other readers of the same
// text (post-query's UTF-8 check, fanoutd's RFC 3339 parser), and
// data_violation() over any `data` object.
//
// Input: an event type, a newline, then a `data` JSON object; every value is
// also judged as each kind of field.
#include <string>

#include <rapidjson/document.h>

#include "event_record.hpp"
#include "fanout/common/event_data.hpp"
#include "fuzz_support.hpp"
#include "input.hpp"

namespace {

namespace ed = fanout::event_data;
using fanout::fuzz::check;

void judge(std::string_view value) {
    const bool encoding_ok = ed::valid_utf8_without_nul(value);
    const bool has_nul = value.find('\0') != std::string_view::npos;
    check(encoding_ok == (fanout::post_query::is_valid_utf8(value) && !has_nul),
          "event data and post-query agree on valid UTF-8", value);
    for (const ed::Kind kind : {ed::Kind::id, ed::Kind::name, ed::Kind::text, ed::Kind::timestamp}) {
        const ed::Check c = ed::check(kind, value);
        if (!c) {
            check(!ed::explain("f", kind, c).empty(), "a broken rule is explained");
            if (c.problem == ed::Problem::nul || c.problem == ed::Problem::control ||
                c.problem == ed::Problem::invalid_utf8 || c.problem == ed::Problem::surrogate) {
                check(c.at < value.size(), "the offending byte is inside the value");
            }
            continue;
        }
        check(!value.empty(), "a valid value is not empty");
        switch (kind) {
            case ed::Kind::name:
                check(encoding_ok && !ed::is_blank(value) && value.size() <= ed::k_max_name_bytes,
                      "a valid name is non-blank UTF-8 within its limit", value);
                break;
            case ed::Kind::text:
                check(encoding_ok && !ed::is_blank(value) && value.size() <= ed::k_max_text_bytes,
                      "a valid text is non-blank UTF-8 within its limit", value);
                break;
            case ed::Kind::id: check(value.size() <= ed::k_max_id_bytes, "a valid id is within its limit"); break;
            case ed::Kind::timestamp:
                // What the projections compute from it (-1 is also 1969-12-31T23:59:59.999Z).
                check(fanout::daemon::parse_rfc3339_ms(value) != -1 || value.starts_with("1969-12-31T23:59:59.999"),
                      "fanoutd reads every valid timestamp", value);
                break;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts = fanout::fuzz::split(fanout::fuzz::as_text(data, size), "\n", 2);
    judge(parts[0]);
    if (parts.size() < 2) return 0;
    const std::string_view type = parts[0];
    rapidjson::Document doc;
    doc.Parse(parts[1].data(), parts[1].size());
    if (doc.HasParseError() || !doc.IsObject()) return 0;
    const auto violation = ed::data_violation(type, [&](std::string_view name) -> std::optional<std::string_view> {
        const auto it = doc.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
        if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
        return std::string_view(it->value.GetString(), it->value.GetStringLength());
    });
    if (violation) check(!violation->empty(), "a violation has a message");
    for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
        if (m->value.IsString()) judge({m->value.GetString(), m->value.GetStringLength()});
    }
    return 0;
}
