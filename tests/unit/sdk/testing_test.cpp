// fanout/testing.hpp: the fakes read events as fanoutd does, and the driver
// hands batches over as fanoutd does.
#include "fanout/testing.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "../../fuzz/kafka_record.hpp"
#include "event_record.hpp"

namespace {

using fanout::Event;
using fanout::LogLevel;
using fanout::Outcome;
using fanout::PartitionOffset;
using fanout::TopicPartition;
using fanout::testing::BatchDriver;
using fanout::testing::EventSpec;
using fanout::testing::FakeContext;
using fanout::testing::FakeEvent;
using fanout::testing::FakeOptions;
using fanout::testing::RecordSpec;

FakeEvent raw(std::string payload, std::vector<std::pair<std::string, std::string>> headers = {},
              std::string key = "k-1") {
    return FakeEvent::from_record(
        {.key = std::move(key), .payload = std::move(payload), .headers = std::move(headers)});
}

TEST(FakeEvent, FieldsMakeADocumentedEnvelope) {
    const FakeEvent e({.type = "CommentAddedEvent",
                       .aggregate_id = "post-7",
                       .version = 4,
                       .data = R"({"commentId":"c-1","comment":"hi"})",
                       .topic = "posts",
                       .partition = 2,
                       .offset = 17,
                       .event_id = "e-1",
                       .global_sequence = 99,
                       .occurred_at = "2026-11-22T10:00:00.123Z",
                       .record_timestamp_ms = 5});
    EXPECT_TRUE(e.envelope_valid());
    EXPECT_EQ(e.topic(), "posts");
    EXPECT_EQ(e.partition(), 2);
    EXPECT_EQ(e.offset(), 17);
    EXPECT_EQ(e.key(), "post-7") << "keyed by the aggregate id";
    EXPECT_EQ(e.type(), "CommentAddedEvent");
    EXPECT_EQ(e.aggregate_id(), "post-7");
    EXPECT_EQ(e.version(), 4);
    EXPECT_EQ(e.event_id(), "e-1");
    EXPECT_EQ(e.global_sequence(), 99);
    EXPECT_EQ(e.occurred_at(), "2026-11-22T10:00:00.123Z");
    EXPECT_EQ(e.occurred_at_ms(), 1'795'341'600'123);
    EXPECT_EQ(e.record_timestamp_ms(), 5);
    EXPECT_EQ(e.payload(),
              R"({"eventId":"e-1","type":"CommentAddedEvent","aggregateId":"post-7","aggregateType":"Post",)"
              R"("version":4,"globalSequence":99,"occurredAt":"2026-11-22T10:00:00.123Z",)"
              R"("data":{"commentId":"c-1","comment":"hi"}})");
    EXPECT_EQ(e.header("event-type"), "CommentAddedEvent");
    EXPECT_EQ(e.header("event-id"), "e-1");
    EXPECT_EQ(e.header("content-type"), "application/json");
}

TEST(FakeEvent, DistinctEventsGetDistinctDerivedIds) {
    const FakeEvent a("PostLikedEvent", "p-1", 2), b("PostLikedEvent", "p-1", 3), again("PostLikedEvent", "p-1", 2);
    EXPECT_EQ(a.event_id().size(), 36u);
    EXPECT_NE(a.event_id(), b.event_id());
    EXPECT_EQ(a.event_id(), again.event_id());
}

TEST(FakeEvent, StringFieldsAreEscapedIntoTheEnvelope) {
    const FakeEvent e({.aggregate_id = "a\"b\\c\n"});
    EXPECT_TRUE(e.envelope_valid());
    EXPECT_EQ(e.aggregate_id(), "a\"b\\c\n");
}

TEST(FakeEvent, DataFieldsReadWithTheirJsonTypes) {
    const FakeEvent e("PostCreatedEvent", "p-1", 1,
                      R"({"author":"al\u00e9\"x","likes":12,"big":18446744073709551615,"score":0.5,)"
                      R"("pinned":true,"none":null,"tags":["a"],"place":{"city":"Oslo"}})");
    const auto& d = e.data();
    EXPECT_TRUE(d.valid());
    EXPECT_EQ(d.string("author"), "al\xc3\xa9\"x");
    EXPECT_EQ(d.integer("likes"), 12);
    EXPECT_EQ(d.number("likes"), 12.0);
    EXPECT_EQ(d.integer("big"), std::nullopt) << "beyond int64";
    EXPECT_EQ(d.number("big"), 18446744073709551615.0);
    EXPECT_EQ(d.number("score"), 0.5);
    EXPECT_EQ(d.integer("score"), std::nullopt);
    EXPECT_EQ(d.boolean("pinned"), true);
    EXPECT_EQ(d.string("likes"), std::nullopt);
    EXPECT_TRUE(d.has("none"));
    EXPECT_TRUE(d.has("tags"));
    EXPECT_FALSE(d.has("missing"));
    EXPECT_EQ(d.json(), R"({"author":"alé\"x","likes":12,"big":18446744073709551615,"score":0.5,)"
                        R"("pinned":true,"none":null,"tags":["a"],"place":{"city":"Oslo"}})");
}

TEST(FakeEvent, JsonIsCompactWithTheDaemonsNumbersAndEscapes) {
    const FakeEvent e("T", "p", 1,
                      "{ \"a\" : 1.50 , \"b\":1e2, \"c\":-0.0, \"d\":\"\\u0001\\/\", \"e\":1e21, \"f\":1.5e-7 }");
    EXPECT_EQ(e.data().json(), R"({"a":1.5,"b":100.0,"c":-0.0,"d":"\u0001/","e":1e21,"f":1.5e-7})");
}

TEST(FakeEvent, EnvelopeValidFollowsTheDocumentedRule) {
    const auto valid = [](const std::string& payload) { return raw(payload).envelope_valid(); };
    EXPECT_TRUE(valid(R"({"type":"T","aggregateId":"a","version":1,"data":{}})"));
    EXPECT_FALSE(valid(R"({"type":"","aggregateId":"a","version":1,"data":{}})")) << "empty type";
    EXPECT_FALSE(valid(R"({"type":"T","version":1,"data":{}})")) << "no aggregateId (the key does not count)";
    EXPECT_FALSE(valid(R"({"type":"T","aggregateId":"a","version":0,"data":{}})")) << "version 0";
    EXPECT_FALSE(valid(R"({"type":"T","aggregateId":"a","version":"1","data":{}})")) << "version as text";
    EXPECT_FALSE(valid(R"({"type":"T","aggregateId":"a","version":1,"data":[]})")) << "data not an object";
    EXPECT_FALSE(valid(R"({"type":"T","aggregateId":"a","version":1})")) << "no data";
    EXPECT_FALSE(valid(R"({"type":"T","aggregateId":"a","version":1,"data":{"n":1.8e308}})")) << "infinite number";
    EXPECT_FALSE(valid(R"({"type":"T","aggregateId":"a","version":1,"data":{}} x)")) << "trailing text";
    EXPECT_FALSE(valid(std::string(R"({"type":"T","aggregateId":"a","version":1,"data":{}})") + '\0')) << "NUL";
    EXPECT_FALSE(valid("")) << "empty value";
    EXPECT_FALSE(valid(R"({"type":"T","aggregateId":"a","version":1,"data":{"s":"\ud800"}})")) << "lone high surrogate";
}

TEST(FakeEvent, InvalidDataReadsAsAbsent) {
    const FakeEvent e = raw(R"({"type":"T","aggregateId":"a","version":1,"data":{"n":1.8e308,"s":"x"}})");
    EXPECT_EQ(e.type(), "T") << "the envelope still reads";
    EXPECT_FALSE(e.data().valid());
    EXPECT_FALSE(e.data().has("s"));
    EXPECT_EQ(e.data().json(), "{}");
}

TEST(FakeEvent, TheLastHeaderOfANameWins) {
    const FakeEvent e = raw("{}", {{"x", "1"}, {"y", "2"}, {"x", "3"}});
    EXPECT_EQ(e.header("x"), "3");
    EXPECT_EQ(e.header("y"), "2");
    EXPECT_EQ(e.header("z"), std::nullopt);
    ASSERT_EQ(e.headers().size(), 3u);
    EXPECT_EQ(e.headers()[0].value, "1");
}

TEST(FakeEvent, HeadersAndKeyStandInForTheEnvelopeAsInFanoutd) {
    const FakeEvent e = raw(R"({"version":2,"type":"FromEnvelope","data":{}})",
                            {{"event-id", "from-header"}, {"event-type", "FromHeader"}}, "the-key");
    EXPECT_EQ(e.event_id(), "from-header");
    EXPECT_EQ(e.type(), "FromHeader") << "not in the documented order: the header first";
    EXPECT_EQ(e.aggregate_id(), "the-key");
    const FakeEvent ordered = raw(R"({"eventId":"e","type":"FromEnvelope","aggregateId":"a","version":1,"data":{}})",
                                  {{"event-type", "FromHeader"}});
    EXPECT_EQ(ordered.type(), "FromEnvelope") << "the documented order: read from the value";
}

TEST(FakeEvent, CopiesReadTheSameAsTheOriginal) {
    std::vector<FakeEvent> events;
    for (int i = 0; i < 20; ++i) events.emplace_back("T", "p-" + std::to_string(i), 1, R"({"s":"\u00e9"})");
    const FakeEvent copy = events[7];
    EXPECT_EQ(copy.aggregate_id(), "p-7");
    EXPECT_EQ(copy.data().string("s"), "\xc3\xa9");
    EXPECT_EQ(copy.header("event-type"), "T");
}

TEST(FakeEvent, CountsReadsOfTheData) {
    const FakeEvent e("T", "p", 1, R"({"a":1})");
    (void)e.type();
    EXPECT_EQ(e.data_reads(), 0);
    (void)e.data().integer("a");
    EXPECT_EQ(e.data_reads(), 1);
}

// The same record through fanoutd's EventRecord and through FakeEvent.
std::string digest(const Event& e) {
    std::ostringstream out;
    out << e.envelope_valid() << '|' << e.type() << '|' << e.aggregate_id() << '|' << e.event_id() << '|' << e.version()
        << '|' << e.global_sequence() << '|' << e.occurred_at() << '|' << e.occurred_at_ms() << '|' << e.key() << '|'
        << e.headers().size() << '|' << e.header("x").value_or("-") << '|';
    const auto& d = e.data();
    out << d.valid() << '|' << d.json() << '|';
    for (const char* f : {"author", "n", "i", "b", "s", "missing"}) {
        out << f << '=' << d.has(f) << ',' << d.string(f).value_or("-") << ','
            << (d.integer(f) ? std::to_string(*d.integer(f)) : "-") << ','
            << (d.number(f) ? std::to_string(*d.number(f)) : "-") << ',' << (d.boolean(f) ? *d.boolean(f) : 2) << ';';
    }
    return out.str();
}

void expect_same_as_fanoutd(std::string_view text) {
    const auto r = fanout::fuzz::parse_record_text(text);
    fanout::fuzz::KafkaRecordMemory memory(r.key, r.payload, r.headers);
    const fanout::daemon::EventRecord record{fanout::daemon::KafkaMessage(memory.message())};
    RecordSpec spec{.key = std::string(r.key), .payload = std::string(r.payload)};
    for (const auto& [name, value] : r.headers) spec.headers.emplace_back(name, value);
    const FakeEvent fake = FakeEvent::from_record(std::move(spec));
    EXPECT_EQ(digest(fake), digest(record)) << "record: " << text;
}

TEST(FakeEvent, ReadsEveryRecordAsFanoutdDoes) {
    for (
        const char* text : {
            R"({"eventId":"e","type":"T","aggregateId":"a","aggregateType":"Post","version":1,"globalSequence":7,)"
            R"("occurredAt":"2026-11-22T10:00:00.123Z","data":{"author":"x","n":1.25,"i":-3,"b":false,"s":"q\"\u00e9"}})",
            "x:1\nx:2\nevent-type:H\n\n{\"type\":\"T\",\"aggregateId\":\"a\",\"version\":1,\"data\":{\"i\":"
            "9223372036854775807}}",
            "@key:k\n\n{\"type\":\"T\",\"version\":3,\"data\":{\"i\":-9223372036854775808,\"n\":1e-400}}",
            R"({"type":"T","aggregateId":"a","version":1,"data":{"n":1.8e308}})",
            R"({"type":"T","aggregateId":"a","version":1,"data":{"n":1e400}})",
            R"({"type":"T","aggregateId":"a","version":1,"data":{"n":12345678901234567890123}})",
            R"({"type":"T","aggregateId":"a","version":1,"data":{"s":"\udc00","author":"\ud83d\ude00"}})",
            R"({"type":"T","aggregateId":"a","version":1,"data":{"s":"a\tb"}})",
            R"({"type":"T","aggregateId":"a","version":1,"data":{"author":"a","author":1},"data":5})",
            R"({"type":"T","aggregateId":"a","version":1,"data":{"n":0.1,"i":-0,"b":true,"s":[1,{"x":null}]}})",
            R"({"type":"T","aggregateId":"a","version":1.0,"data":{}})",
            R"({"type":"T","aggregateId":"a","version":01,"data":{}})",
            R"(  {"type":"T","aggregateId":"a","version":1,"data":{}}  )",
            R"({"eventId":"\u0065","type":"T\u0041","aggregateId":"a","version":1,"occurredAt":"2026-02-30T00:00:00Z","data":{}})",
            R"([1,2])",
            "",
            "null",
            R"({"data":{})",
            R"({"data":{"a":1,}})",
            R"({"data":{"a":"\x"}})",
        }) {
        expect_same_as_fanoutd(text);
    }
}

TEST(FakeEvent, ReadsEveryCutOfARecordAsFanoutdDoes) {
    const std::string whole =
        R"({"eventId":"e","type":"T","aggregateId":"a","version":12,"data":{"author":"\u00e9\ud83d\ude00",)"
        R"("n":-1.5e-3,"i":123,"b":true,"s":[{"x":null},false]}})";
    for (std::size_t n = 0; n <= whole.size(); ++n) expect_same_as_fanoutd(whole.substr(0, n));
}

// Not compared: whole numbers beyond 64 bits (18446744073709551616). Both read
// them as a double, but fanoutd's parser rounds past 17 digits its own way and
// its writer may print other last digits (18446744073709553000.0 for ...552000.0).
TEST(FakeEvent, ReadsNumbersAsFanoutdDoes) {
    for (const char* n : {"0",
                          "-0",
                          "1",
                          "-1",
                          "9223372036854775807",
                          "9223372036854775808",
                          "-9223372036854775808",
                          "-9223372036854775809",
                          "18446744073709551615",
                          "1.0",
                          "0.1",
                          "1e0",
                          "1E+2",
                          "1e-2",
                          "123.456e7",
                          "1e308",
                          "1.7976931348623157e308",
                          "1e309",
                          "2e308",
                          "0.0000001",
                          "1e21",
                          "1e20",
                          "4.9e-324",
                          "1e-400",
                          "01",
                          "1.",
                          ".5",
                          "-",
                          "+1",
                          "1e",
                          "0x10",
                          "Infinity",
                          "NaN"}) {
        expect_same_as_fanoutd(std::string(R"({"type":"T","aggregateId":"a","version":1,"data":{"n":)") + n + "}}");
    }
}

TEST(FakeEvent, ReadsTheFuzzCorpusAsFanoutdDoes) {
    const std::filesystem::path dir = std::filesystem::path(FANOUT_SOURCE_DIR) / "tests/fuzz/corpus/event_envelope";
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        expect_same_as_fanoutd(text);
        ++files;
    }
    EXPECT_GT(files, 0);
}

TEST(FakeContext, KeepsLogLinesWithTheirLevels) {
    FakeContext context("audit");
    EXPECT_EQ(context.plugin_name(), "audit");
    EXPECT_EQ(context.consumer_group(), "fanout.audit");
    context.logger().info("started");
    context.logger().warning("slow batch=3");
    ASSERT_EQ(context.log().lines().size(), 2u);
    EXPECT_EQ(context.log().lines()[1].level, LogLevel::warning);
    EXPECT_TRUE(context.log().contains("slow", LogLevel::warning));
    EXPECT_FALSE(context.log().contains("slow", LogLevel::error));
    EXPECT_EQ(context.log().text(), "info [audit] started\nwarning [audit] slow batch=3\n");
}

TEST(FakeContext, LevelsBelowTheMinimumAreNotEnabled) {
    FakeContext context("p", "group", LogLevel::info);
    EXPECT_EQ(context.consumer_group(), "group");
    EXPECT_FALSE(context.logger().enabled(LogLevel::debug));
    context.logger().debug("hidden");
    EXPECT_TRUE(context.log().lines().empty());
}

TEST(FakeContext, CountersAndGaugesReadByName) {
    FakeContext context;
    EXPECT_EQ(context.counter_value("rows"), std::nullopt);
    fanout::Counter& rows = context.counter("rows");
    rows.add(2);
    context.counter("rows").add();
    context.gauge("lag").set(1.5);
    EXPECT_EQ(&rows, &context.counter("rows")) << "a cached reference stays valid";
    EXPECT_EQ(context.counter_value("rows"), 3u);
    EXPECT_EQ(context.gauge_value("lag"), 1.5);
    EXPECT_EQ(context.counters(), (std::map<std::string, std::uint64_t>{{"rows", 3}}));
}

constexpr fanout::OptionSpec k_schema[] = {
    {"connection", fanout::OptionType::string, nullptr, "where"},
    {"batch", fanout::OptionType::integer, "100", "rows"},
    {"ratio", fanout::OptionType::number, "0.5", "share"},
    {"strict", fanout::OptionType::boolean, "true", "stop on errors"},
    {"tables", fanout::OptionType::string_list, "a, b", "tables"},
};

TEST(FakeOptions, DefaultsComeFromTheSchema) {
    const FakeOptions options(k_schema, {{"connection", std::string("sqlite::memory:")}, {"ratio", std::int64_t{2}}});
    EXPECT_EQ(options.get_string("connection"), "sqlite::memory:");
    EXPECT_EQ(options.get_integer("batch"), 100);
    EXPECT_EQ(options.get_number("ratio"), 2.0);
    EXPECT_TRUE(options.get_boolean("strict"));
    EXPECT_EQ(options.get_list("tables"), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(options.is_set("connection"));
    EXPECT_FALSE(options.is_set("batch"));
    EXPECT_THROW((void)options.get_integer("connection"), std::out_of_range);
    EXPECT_THROW((void)options.get_string("nope"), std::out_of_range);
    const FakeOptions one(k_schema, {{"connection", std::string("x")}, {"tables", std::string("posts")}});
    EXPECT_EQ(one.get_list("tables"), (std::vector<std::string>{"posts"})) << "one scalar is a one-item list";
}

TEST(FakeOptions, RefusesWhatTheHostRefuses) {
    EXPECT_THROW(FakeOptions(k_schema, {}), std::invalid_argument) << "required option missing";
    EXPECT_THROW(FakeOptions(k_schema, {{"connection", std::string("x")}, {"typo", true}}), std::invalid_argument);
    EXPECT_THROW(FakeOptions(k_schema, {{"connection", std::string("x")}, {"batch", std::string("1")}}),
                 std::invalid_argument);
}

/// Records what it is handed; fails what the test says.
class Recorder : public fanout::Plugin, public fanout::Checkpointing {
public:
    void handle(std::span<const Event* const> events, std::span<Outcome> outcomes) override {
        batch_sizes.push_back(events.size());
        for (std::size_t i = 0; i < events.size(); ++i) {
            const Event& e = *events[i];
            seen.push_back(std::string(e.topic()) + "/" + std::to_string(e.partition()) + "@" +
                           std::to_string(e.offset()));
            if (e.type() == "Throw") throw std::runtime_error("boom");
            if (e.type() == "Retry" && retries_left > 0) {
                --retries_left;
                outcomes[i] = Outcome::retry_later("later");
            }
            if (e.type() == "Fail" && retries_left > 0) {
                --retries_left;
                outcomes[i] = Outcome::failed("broken");
            }
            if (e.type() == "Reject") outcomes[i] = Outcome::reject("bad");
        }
    }
    Checkpointing* checkpointing() noexcept override { return checkpointing_ ? this : nullptr; }
    std::vector<PartitionOffset> on_assigned(std::span<const TopicPartition> partitions) override {
        std::vector<PartitionOffset> out;
        for (const auto& tp : partitions)
            out.push_back({tp.topic, tp.partition, tp.partition == 1 ? 2 : fanout::k_no_checkpoint});
        return out;
    }
    void on_revoked(std::span<const TopicPartition> partitions) override { revoked += partitions.size(); }

    bool checkpointing_ = false;
    int retries_left = 0;
    std::vector<std::size_t> batch_sizes;
    std::vector<std::string> seen;
    std::size_t revoked = 0;
};

TEST(BatchDriver, GivesEachPartitionConsecutiveOffsetsAndHandsBatchesOfTheChosenSize) {
    Recorder plugin;
    BatchDriver driver(plugin, 3);
    for (int i = 0; i < 4; ++i) driver.publish({.aggregate_id = "a" + std::to_string(i), .partition = i % 2});
    EXPECT_EQ(driver.publish({.partition = 0}).offset(), 2);
    EXPECT_EQ(driver.end_offset("post-events", 1), 2);
    EXPECT_EQ(driver.run(), 5u);
    EXPECT_EQ(plugin.batch_sizes, (std::vector<std::size_t>{3, 2}));
    // Partitions take turns within each batch.
    EXPECT_EQ(plugin.seen, (std::vector<std::string>{"post-events/0@0", "post-events/1@0", "post-events/0@1",
                                                     "post-events/0@2", "post-events/1@1"}));
    EXPECT_EQ(driver.position("post-events", 0), 3);
    EXPECT_EQ(driver.committed("post-events", 1), 2);
    EXPECT_EQ(driver.run(), 0u) << "nothing new";
    driver.publish({.partition = 1});
    EXPECT_EQ(driver.run(), 1u);
    EXPECT_EQ(plugin.seen.back(), "post-events/1@2");
}

TEST(BatchDriver, ACheckpointingPluginSaysWhereEachPartitionStarts) {
    Recorder plugin;
    plugin.checkpointing_ = true;
    BatchDriver driver(plugin, 10);
    for (int i = 0; i < 6; ++i) driver.publish({.partition = i % 2});
    const auto positions = driver.assign({{"post-events", 0}, {"post-events", 1}});
    ASSERT_EQ(positions.size(), 2u);
    EXPECT_EQ(positions[0].next_offset, fanout::k_no_checkpoint);
    EXPECT_EQ(positions[1].next_offset, 2);
    EXPECT_EQ(driver.run(), 4u) << "partition 0 from its start, partition 1 from offset 2";
    driver.revoke_all();
    EXPECT_EQ(plugin.revoked, 2u);
    EXPECT_EQ(driver.position("post-events", 0), std::nullopt);
}

TEST(BatchDriver, AnOffsetOutsideThePartitionIsRefusedAsFanoutdDoes) {
    Recorder plugin;
    plugin.checkpointing_ = true;
    BatchDriver driver(plugin);
    driver.publish(EventSpec{.partition = 1});
    EXPECT_THROW(driver.assign({{"post-events", 1}}), std::out_of_range) << "offset 2 of a partition holding 1";
}

TEST(BatchDriver, RetryLaterHoldsThePartitionUntilTheNextRun) {
    Recorder plugin;
    plugin.retries_left = 1;
    BatchDriver driver(plugin, 10);
    driver.publish({.partition = 0});
    driver.publish({.type = "Retry", .partition = 0});
    driver.publish({.partition = 0});
    driver.publish({.partition = 1});
    EXPECT_EQ(driver.run(), 4u);
    EXPECT_EQ(driver.position("post-events", 0), 1) << "held at the retried event";
    EXPECT_EQ(driver.position("post-events", 1), 1);
    EXPECT_EQ(driver.run(), 2u) << "the retried event and the one after it again";
    EXPECT_EQ(driver.position("post-events", 0), 3);
    EXPECT_TRUE(driver.outcome("post-events", 0, 1)->is_done());
    EXPECT_EQ(driver.deliveries().size(), 6u);
    EXPECT_EQ(driver.deliveries()[4].attempt, 2);
}

TEST(BatchDriver, RejectsAndExhaustedFailuresAreDeadLetteredOutagesNever) {
    Recorder plugin;
    plugin.retries_left = 100;
    BatchDriver driver(plugin, 10, 2);
    driver.publish({.type = "Reject"});
    driver.publish({.type = "Fail"});
    driver.publish({.type = "Retry", .partition = 1});
    for (int run = 0; run < 6; ++run) driver.run();
    ASSERT_EQ(driver.dead_letters().size(), 2u);
    EXPECT_EQ(driver.dead_letters()[0].reason, "rejected: bad");
    EXPECT_EQ(driver.dead_letters()[1].reason, "retries exhausted after 2 attempts: broken");
    EXPECT_EQ(driver.position("post-events", 0), 2);
    EXPECT_EQ(driver.position("post-events", 1), 0) << "an outage holds its partition, never dead-lettered";
    EXPECT_EQ(driver.outcome("post-events", 1, 0)->kind(), Outcome::Kind::retry_later);
}

TEST(BatchDriver, AThrowIsRetriedOneEventAtATimeAsFanoutdDoes) {
    Recorder plugin;
    BatchDriver driver(plugin, 10);
    driver.publish(EventSpec{});
    driver.publish({.type = "Throw"});
    driver.publish(EventSpec{});
    driver.run();
    EXPECT_EQ(plugin.batch_sizes, (std::vector<std::size_t>{3, 1, 1, 1}));
    EXPECT_TRUE(driver.outcome("post-events", 0, 0)->is_done());
    const auto thrown = driver.outcome("post-events", 0, 1);
    EXPECT_EQ(thrown->kind(), Outcome::Kind::failed);
    EXPECT_EQ(thrown->reason(), "handler threw: boom");
}

}  // namespace
