// The webhook notifier's body template: compile any template text and render
// it for any record (parsed as fanoutd parses it). The default template gives
// JSON for every record, and the JSON string escaping round-trips.
//
// Input: the template, a NUL byte, then a record as in event_envelope_fuzz
// (header lines, a blank line, the value).
#include <optional>
#include <stdexcept>
#include <string>

#include <rapidjson/document.h>

#include "body_template.hpp"
#include "event_record.hpp"
#include "fuzz_support.hpp"
#include "kafka_record.hpp"

namespace {

using fanout::fuzz::check;
namespace webhook = fanout::plugins::webhook;

const webhook::BodyTemplate& default_template() {
    static const webhook::BodyTemplate t(webhook::k_default_body_template);
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto parts = fanout::fuzz::split(fanout::fuzz::as_text(data, size), std::string_view("\0", 1), 2);
    const std::string_view template_text = parts[0];
    const std::string_view record_text = parts.size() > 1 ? parts[1] : std::string_view{};

    std::optional<webhook::BodyTemplate> compiled;
    try {
        compiled.emplace(template_text);
    } catch (const std::invalid_argument& e) {
        check(e.what()[0] != '\0', "a template error names the placeholder");
    }

    const fanout::fuzz::RecordText r = fanout::fuzz::parse_record_text(record_text);
    fanout::fuzz::KafkaRecordMemory memory(r.key, r.payload, r.headers);
    const fanout::daemon::EventRecord record(fanout::daemon::KafkaMessage(memory.message()));
    if (compiled) (void)compiled->render(record);

    const std::string body = default_template().render(record);
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    check(!doc.HasParseError() && doc.IsObject(), "the default template renders a JSON object", body);

    // Escaped text inside quotes reads back as the same bytes.
    std::string quoted = "\"";
    webhook::append_json_escaped(quoted, template_text);
    quoted += '"';
    rapidjson::Document str;
    str.Parse(quoted.data(), quoted.size());
    check(!str.HasParseError() && str.IsString() &&
              std::string_view(str.GetString(), str.GetStringLength()) == template_text,
          "append_json_escaped round-trips", quoted);
    return 0;
}
