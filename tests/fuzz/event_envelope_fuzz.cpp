// fanoutd's view of one consumed record (EventRecord): the envelope, the
// headers, `data` access, parsed into a shared batch arena or the record's own.
//
// Input: optional header lines `name:value` (`@key:value` sets the record's
// key), a blank line, then the record's value. Without a blank line the whole
// input is the value.
#include <rapidjson/document.h>

#include "event_record.hpp"
#include "fuzz_support.hpp"
#include "json_arena.hpp"
#include "kafka_record.hpp"

namespace {

using fanout::daemon::EventRecord;
using fanout::daemon::JsonArena;
using fanout::daemon::KafkaMessage;
using fanout::fuzz::check;

constexpr const char* k_contract_fields[] = {"author",  "message",  "datePosted",  "commentId",
                                             "comment", "username", "commentDate", "editDate"};

/// Everything a plugin may ask of an event; returns a digest to compare runs.
std::string exercise(const fanout::Event& e) {
    std::string digest;
    const bool valid = e.envelope_valid();
    digest += valid ? "valid;" : "invalid;";
    digest.append(e.type()).append(";").append(e.aggregate_id()).append(";").append(e.event_id()).append(";");
    digest += std::to_string(e.version()) + ";" + std::to_string(e.global_sequence()) + ";";
    digest.append(e.occurred_at()).append(";") += std::to_string(e.occurred_at_ms()) + ";";
    (void)e.key();
    (void)e.topic();
    (void)e.record_timestamp_ms();
    for (const auto& h : e.headers()) {
        (void)e.header(h.name);
    }
    if (valid) {
        check(e.version() > 0 && !e.type().empty() && !e.aggregate_id().empty(),
              "a valid envelope has a type, an aggregate id and a positive version");
    }
    const fanout::DataView& data = e.data();
    if (!data.valid()) {
        check(!valid, "a valid envelope has a data object");
        check(data.json() == "{}", "absent data reads as {}");
        return digest;
    }
    const std::string json = data.json();
    digest += json;
    // The data as JSON is an object again, and every member reads back.
    rapidjson::Document again;
    again.Parse(json.data(), json.size());
    check(!again.HasParseError() && again.IsObject(), "data().json() is a JSON object", json);
    for (const char* field : k_contract_fields) {
        (void)data.has(field);
        (void)data.string(field);
        (void)data.integer(field);
        (void)data.number(field);
        (void)data.boolean(field);
    }
    for (auto m = again.MemberBegin(); m != again.MemberEnd(); ++m) {
        const std::string_view name(m->name.GetString(), m->name.GetStringLength());
        check(data.has(name), "every member of data() is found by name", name);
        if (m->value.IsString()) {
            // Duplicate names: the first one is found, which may differ in type.
            (void)data.string(name);
        }
        (void)data.integer(name);
        (void)data.number(name);
        (void)data.boolean(name);
    }
    return digest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
    static JsonArena batch_arena(64 * 1024);
    const fanout::fuzz::RecordText r = fanout::fuzz::parse_record_text(fanout::fuzz::as_text(bytes, size));

    // As the pipeline does: parsed into the batch's arena, rewound afterwards.
    std::string shared;
    {
        fanout::fuzz::KafkaRecordMemory memory(r.key, r.payload, r.headers);
        EventRecord record(KafkaMessage(memory.message()), &batch_arena);
        (void)record.parse_envelope();
        shared = exercise(record);
    }
    batch_arena.rewind(1u << 20);

    // And with an arena of the record's own: the same answers.
    fanout::fuzz::KafkaRecordMemory memory(r.key, r.payload, r.headers);
    EventRecord record(KafkaMessage(memory.message()));
    check(exercise(record) == shared, "the same record reads the same in any arena");

    (void)fanout::daemon::parse_rfc3339_ms(r.payload);
    return 0;
}
