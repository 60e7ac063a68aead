// Lua scripts in a real fanoutd on the real broker (FANOUT_TEST_BROKERS).
#include <signal.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <set>
#include <sstream>

#include "events.hpp"
#include "fanoutd_config.hpp"
#include "fanoutd_run.hpp"
#include "kafka_test.hpp"
#include "process.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

using Coordinate = std::pair<std::int32_t, std::int64_t>;

const std::filesystem::path k_scripts = std::filesystem::path(FANOUT_SOURCE_DIR) / "scripts";

struct LuaSpec {
    std::string name;
    std::filesystem::path script;
    std::string options = "{}";  ///< flow-style YAML mapping
    std::string extra = "";      ///< YAML lines at plugin level (4-space indent)
};

struct LibrarySpec {
    std::string name;
    std::string library;  ///< file name in build/lib
    std::string options;  ///< flow-style YAML mapping
};

/// fanoutd's config: the plugins on run's topic; an admin listener on any port when `admin`.
std::string make_config(const FanoutdRun& run, bool admin, const std::vector<LuaSpec>& scripts,
                        const std::vector<LibrarySpec>& libraries) {
    const std::string& topic = run.topic;
    std::ostringstream y;
    y << config_header({.group_prefix = run.prefix, .dead_letter_topic = run.dlq});
    if (admin) y << "admin:\n  listen: 127.0.0.1:0\n";
    y << "plugins:\n";
    for (const auto& p : scripts) {
        y << "  - name: " << p.name << "\n"
          << "    type: lua\n"
          << "    path: " << p.script.string() << "\n"
          << "    topics: [" << topic << "]\n"
          << p.extra << "    options: " << p.options << "\n";
    }
    for (const auto& p : libraries) {
        y << "  - name: " << p.name << "\n"
          << "    type: library\n"
          << "    path: " << (lib_dir() / p.library).string() << "\n"
          << "    topics: [" << topic << "]\n"
          << "    options: " << p.options << "\n";
    }
    return y.str();
}

std::vector<GeneratedEvent> produce_generated(const std::string& topic, std::size_t count, std::uint64_t seed = 42) {
    EventGenerator gen(100, seed);
    TestProducer producer;
    std::vector<GeneratedEvent> out;
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(gen.next());
        producer.produce(topic, out.back().key, out.back().value, out.back().headers);
    }
    producer.flush();
    return out;
}

std::set<Coordinate> all_coordinates(KafkaAdmin& admin, const std::string& topic, int partitions) {
    std::set<Coordinate> out;
    const auto ends = admin.end_offsets(topic, partitions);
    for (std::size_t p = 0; p < ends.size(); ++p) {
        for (std::int64_t o = 0; o < ends[p]; ++o) out.emplace(static_cast<std::int32_t>(p), o);
    }
    return out;
}

/// `fanout_plugin_counter_total{plugin="<plugin>",name="<name>"}` from /metrics (-1 when absent).
double plugin_counter(const std::string& metrics, const std::string& plugin, const std::string& name) {
    const std::string prefix = "fanout_plugin_counter_total{plugin=\"" + plugin + "\",name=\"" + name + "\"} ";
    const auto at = metrics.find(prefix);
    if (at == std::string::npos) return -1;
    return std::stod(metrics.substr(at + prefix.size()));
}

/// "topic:partition:offset" values an emitting script wrote, as coordinates.
std::map<std::string, std::multiset<Coordinate>> emitted_coordinates(const std::vector<Record>& records) {
    std::map<std::string, std::multiset<Coordinate>> out;  // by the value's first field
    for (const auto& r : records) {
        std::istringstream in(r.value);
        std::string tag, partition, offset;
        std::getline(in, tag, '|');
        std::getline(in, partition, '|');
        std::getline(in, offset, '|');
        out[tag].emplace(std::stoi(partition), std::stoll(offset));
    }
    return out;
}

struct Message {
    std::string key;
    std::string value;
    std::vector<std::pair<std::string, std::string>> headers;
};

/// The messages onto `topic`, in order.
void produce_messages(const std::string& topic, const std::vector<Message>& messages) {
    TestProducer producer;
    for (const auto& m : messages) producer.produce(topic, m.key, m.value, m.headers);
    producer.flush();
}

/// A fresh topic of `partitions` on the broker and, once started, fanoutd
/// running plugins on it, each in its own consumer group under prefix.
class LuaRun : public FanoutdRun {
public:
    explicit LuaRun(int partitions) : FanoutdRun("lua"), partitions_(partitions) { admin.create_topic(topic, partitions); }

    /// A fresh one-partition topic, for what the scripts emit.
    std::string output_topic(const std::string& prefix) {
        std::string name = unique_name(prefix);
        admin.create_topic(name, 1);
        return name;
    }
    FanoutdProcess& start(const std::vector<LuaSpec>& scripts, const std::vector<LibrarySpec>& libraries = {}) {
        return FanoutdRun::start(make_config(*this, admin_listener, scripts, libraries));
    }
    /// Waits until `plugin` has committed the whole topic.
    ::testing::AssertionResult wait_committed(const std::string& plugin, std::chrono::milliseconds timeout) {
        return FanoutdRun::wait_committed(plugin, partitions_, timeout);
    }

    bool admin_listener = false;

private:
    int partitions_;
};

TEST(LuaIntegration, AnalyticsCountsEveryEventThroughFanoutd) {
    constexpr std::size_t k_events = 3000;
    LuaRun run(4);
    const auto events = produce_generated(run.topic, k_events);
    std::map<std::string, int> per_type, per_author;
    for (const auto& e : events) {
        ++per_type[e.type];
        if (e.type == "PostCreatedEvent") {
            const auto at = e.value.find("\"author\":\"") + 10;
            ++per_author[e.value.substr(at, e.value.find('"', at) - at)];
        }
    }

    run.admin_listener = true;
    const FanoutdProcess& fanoutd = run.start({{"analytics", k_scripts / "analytics.lua", "{max_authors: 1000}"}});
    ASSERT_TRUE(run.wait_committed("analytics", 90s));
    const int port = admin_port(fanoutd);
    ASSERT_GT(port, 0) << fanoutd.log();

    httplib::Client client("127.0.0.1", port);
    auto metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics && metrics->status == 200);
    const std::string& body = metrics->body;
    // Offsets are committed only after handling, and a clean run replays nothing.
    EXPECT_EQ(plugin_counter(body, "analytics", "events_total"), k_events) << body;
    for (const auto& [type, n] : per_type) {
        EXPECT_EQ(plugin_counter(body, "analytics", "events_" + type), n) << type;
    }
    ASSERT_FALSE(per_author.empty());
    for (const auto& [author, n] : per_author) {
        EXPECT_EQ(plugin_counter(body, "analytics", "posts_by_" + author), n) << author;
    }
    EXPECT_EQ(plugin_counter(body, "analytics", "script_errors"), 0) << "no script error ever";
    run.stop();
}

TEST(LuaIntegration, RunawayScriptsAreContainedAndDeadLetteredWhileAnotherPluginKeepsUp) {
    LuaRun run(1);
    run.admin.create_topic(run.dlq, 1);

    // 60 ordinary events with one poison event per script among them.
    const std::map<std::string, std::int64_t> poison_offset = {
        {"LoopEvent", 10}, {"BombEvent", 25}, {"RaiseEvent", 40}};
    {
        EventGenerator gen(10);
        TestProducer producer;
        for (std::int64_t offset = 0; offset < 63; ++offset) {
            GeneratedEvent e = gen.next();
            for (const auto& [poison, at] : poison_offset) {
                if (offset != at) continue;
                e.value = make_envelope(e.event_id, poison, e.key, 1, offset, "2026-11-22T10:00:00.000Z", "{}");
                e.headers = {{"event-type", poison}};
            }
            producer.produce(run.topic, e.key, e.value, e.headers);
        }
        producer.flush();
    }

    const TempDir& dir = run.dir;
    const std::string tail = "  fanout.counter('handled')\nend\n";
    const auto loop =
        dir.write("loop.lua", "function on_event(e)\n  if e.type == 'LoopEvent' then while true do end end\n" + tail);
    const auto bomb = dir.write("bomb.lua",
                                "function on_event(e)\n  if e.type == 'BombEvent' then\n"
                                "    local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 100) .. i end\n"
                                "  end\n" +
                                    tail);
    const auto raise = dir.write("raise.lua",
                                 "function on_batch(events)\n  for _, e in ipairs(events) do\n"
                                 "    if e.type == 'RaiseEvent' then error('cannot handle ' .. e.offset) end\n"
                                 "  end\n  fanout.counter('handled', #events)\nend\n");
    const std::string limits =
        "    lua: {memory_limit_mb: 16, instruction_limit: 2000000}\n"
        "    retry: {max_attempts: 3, initial_backoff_ms: 50, max_backoff_ms: 200}\n";
    FanoutdProcess& fanoutd =
        run.start({{"loop", loop, "{}", limits}, {"bomb", bomb, "{}", limits}, {"raise", raise, "{}", limits}},
                  {{"audit", "libfanout_example.so", "{path: " + (dir / "audit.jsonl").string() + "}"}});
    for (const char* plugin : {"audit", "loop", "bomb", "raise"}) ASSERT_TRUE(run.wait_committed(plugin, 90s));
    const auto letters = consume_all(run.dlq, 3, 30s);
    ASSERT_EQ(letters.size(), 3u) << fanoutd.log();
    std::map<std::string, Record> by_plugin;
    for (const auto& r : letters) by_plugin[r.header("fanout.plugin")] = r;
    const std::map<std::string, std::pair<std::string, std::string>> expected = {
        {"loop", {"LoopEvent", "loop.lua:2: instruction budget exceeded (2000000 instructions per call)"}},
        {"bomb", {"BombEvent", "memory limit exceeded (16 MiB)"}},
        {"raise", {"RaiseEvent", "raise.lua:3: cannot handle " + std::to_string(poison_offset.at("RaiseEvent"))}},
    };
    for (const auto& [plugin, what] : expected) {
        ASSERT_TRUE(by_plugin.count(plugin)) << plugin;
        const Record& r = by_plugin[plugin];
        EXPECT_EQ(r.header("fanout.source.offset"), std::to_string(poison_offset.at(what.first))) << plugin;
        EXPECT_EQ(r.header("fanout.source.topic"), run.topic);
        EXPECT_EQ(r.header("fanout.attempts"), "3") << plugin;
        EXPECT_EQ(r.header("fanout.reason"), "retries exhausted after 3 attempts: " + what.second) << plugin;
        EXPECT_EQ(r.header("event-type"), what.first) << "original headers kept";
    }
    // The C++ plugin on the same topic saw all 63, and fanoutd is still healthy.
    EXPECT_EQ(read_lines(dir / "audit.jsonl").size(), 63u);
    EXPECT_TRUE(fanoutd.running());
    run.stop();
}

TEST(LuaIntegration, CppAndLuaPluginsSideBySideBothSeeEveryEvent) {
    constexpr int k_partitions = 4;
    constexpr std::size_t k_events = 1500;
    LuaRun run(k_partitions);
    const std::string out = run.output_topic("seen");
    produce_generated(run.topic, k_events);

    const TempDir& dir = run.dir;
    const auto script = dir.write("seen.lua",
                                  "function on_batch(events)\n"
                                  "  for _, e in ipairs(events) do\n"
                                  "    e:emit('" +
                                      out +
                                      "', e.key, 'seen|' .. e.partition .. '|' .. e.offset)\n"
                                      "  end\nend\n");
    run.start({{"lua", script}}, {{"cpp", "libfanout_example.so", "{path: " + (dir / "cpp.jsonl").string() + "}"}});
    ASSERT_TRUE(run.wait_committed("lua", 90s));
    ASSERT_TRUE(run.wait_committed("cpp", 30s));

    const auto expected = all_coordinates(run.admin, run.topic, k_partitions);
    ASSERT_EQ(expected.size(), k_events);
    const auto seen = emitted_coordinates(consume_all(out, k_events, 30s));
    ASSERT_TRUE(seen.count("seen"));
    EXPECT_EQ(std::set<Coordinate>(seen.at("seen").begin(), seen.at("seen").end()), expected);

    std::set<Coordinate> cpp;
    for (const auto& line : read_lines(dir / "cpp.jsonl")) {
        const auto p = line.find("\"partition\":"), o = line.find("\"offset\":");
        cpp.emplace(std::stoi(line.substr(p + 12)), std::stoll(line.substr(o + 9)));
    }
    EXPECT_EQ(cpp, expected);
    run.stop();
}

TEST(LuaIntegration, SighupReloadsAnEditedScriptWithoutLosingEvents) {
    constexpr int k_partitions = 2;
    LuaRun run(k_partitions);
    const std::string& topic = run.topic;
    const std::string out = run.output_topic("versions");
    auto version = [&](const std::string& v) {
        return "function on_event(e)\n  fanout.emit('" + out + "', e.key, '" + v +
               "|' .. e.partition .. '|' .. e.offset)\nend\n";
    };
    FanoutdProcess& fanoutd = run.start({{"versioned", run.dir.write("versioned.lua", version("v1"))}});

    // Events keep arriving across the reload.
    std::atomic<bool> producing{true};
    std::atomic<std::size_t> produced{0};
    std::thread producer_thread([&] {
        EventGenerator gen(50, 7);
        TestProducer producer;
        while (producing.load() || produced.load() < 400) {
            const GeneratedEvent e = gen.next();
            producer.produce(topic, e.key, e.value, e.headers);
            if (++produced % 20 == 0) {
                producer.flush();
                std::this_thread::sleep_for(10ms);
            }
        }
        producer.flush();
    });
    // Let v1 handle (and commit) some of them first.
    const bool some_v1 = wait_until(
        [&] {
            std::int64_t committed = 0;
            for (std::int64_t c : run.admin.committed(run.group("versioned"), topic, k_partitions))
                committed += std::max<std::int64_t>(c, 0);
            return committed >= 100;
        },
        60s);
    run.dir.write("versioned.lua", version("v2"));
    fanoutd.signal(SIGHUP);
    const bool reloaded =
        wait_until([&] { return fanoutd.log().find("[versioned] reloaded") != std::string::npos; }, 30s);
    const std::size_t at_reload = produced.load();
    wait_until([&] { return produced.load() >= at_reload + 200; }, 30s);
    producing.store(false);
    producer_thread.join();
    ASSERT_TRUE(some_v1 && reloaded) << fanoutd.log();

    ASSERT_TRUE(run.wait_committed("versioned", 60s));
    const auto expected = all_coordinates(run.admin, topic, k_partitions);
    const auto by_version = emitted_coordinates(consume_all(out, expected.size(), 30s));
    std::set<Coordinate> handled;
    for (const auto& [v, coordinates] : by_version) handled.insert(coordinates.begin(), coordinates.end());
    EXPECT_EQ(handled, expected) << "every event handled by the old or the new version";
    EXPECT_TRUE(by_version.count("v1")) << fanoutd.log();
    EXPECT_TRUE(by_version.count("v2")) << fanoutd.log();
    // After the swap only the new version runs: nothing after a v2 event is v1 in its partition.
    if (by_version.count("v1") && by_version.count("v2")) {
        for (std::int32_t p = 0; p < k_partitions; ++p) {
            std::int64_t last_v1 = -1, first_v2 = INT64_MAX;
            for (const auto& [pp, o] : by_version.at("v1"))
                if (pp == p) last_v1 = std::max(last_v1, o);
            for (const auto& [pp, o] : by_version.at("v2"))
                if (pp == p) first_v2 = std::min(first_v2, o);
            EXPECT_LT(last_v1, first_v2) << "partition " << p;
        }
    }
    run.stop();
}

// The envelope is parsed in place from a copy: escapes must come out decoded,
// the payload itself unchanged, and a NUL byte (never valid JSON, and the end
// of the copy's text) must fail the parse rather than cut the payload short.
TEST(LuaIntegration, EscapedFieldsArriveDecodedAndANulBytePayloadIsNotAnEnvelope) {
    LuaRun run(1);
    const std::string out = run.output_topic("echo");
    const std::string data = R"({"message":"say \"hi\"\nline2 \u00e9 caf\u00e9 \\ end \/","n":42})";
    const std::string good = make_envelope("e-good", "PostCreatedEvent", "post-1", 1, 1, "2026-11-22T10:00:00.000Z", data);
    std::string nul = make_envelope("e-nul", "PostCreatedEvent", "post-2", 1, 2, "2026-11-22T10:00:00.000Z", data);
    nul += std::string("\0{\"junk\":1}", 11);
    produce_messages(run.topic, {{.key = "post-1", .value = good, .headers = {{"event-id", "e-good"}}},
                                {.key = "post-2", .value = nul, .headers = {{"event-id", "e-nul"}}}});
    const auto script = run.dir.write("echo.lua", R"(
local topic
function init(options) topic = options.topic end
function on_event(event)
  local d = event.data
  fanout.emit(topic, event.event_id, table.concat({
    tostring(d.message), tostring(d.n), tostring(event.version), tostring(event.aggregate_id),
    tostring(#event.payload)}, "|"))
end
)");
    const FanoutdProcess& fanoutd = run.start({{"echo", script, "{topic: " + out + "}"}});
    ASSERT_TRUE(run.wait_committed("echo", 60s));
    const auto records = consume_all(out, 2, 10s);
    ASSERT_EQ(records.size(), 2u) << fanoutd.log();
    std::map<std::string, std::string> by_key;
    for (const auto& r : records) by_key[r.key] = r.value;
    EXPECT_EQ(by_key["e-good"], "say \"hi\"\nline2 \xc3\xa9 caf\xc3\xa9 \\ end /|42|1|post-1|" + std::to_string(good.size()));
    // Not an envelope: no data, no version; the aggregate id falls back to the key; the payload is whole.
    EXPECT_EQ(by_key["e-nul"], "nil|nil|0|post-2|" + std::to_string(nul.size()));
    run.stop();
}

TEST(LuaIntegration, TrendingEmitLandsOnTheTargetTopic) {
    LuaRun run(2);
    const std::string trending = run.output_topic("trending");
    std::vector<Message> events;
    std::int64_t seq = 0;
    for (const std::string post : {"post-hot", "post-cold"}) {
        const int likes = post == "post-hot" ? 5 : 2;
        events.push_back({.key = post,
                          .value = make_envelope("c-" + post, "PostCreatedEvent", post, 1, ++seq,
                                                 "2026-11-22T10:00:00.000Z", R"({"author":"alice","message":"hi"})"),
                          .headers = {{"event-type", "PostCreatedEvent"}}});
        for (int i = 0; i < likes; ++i) {
            events.push_back({.key = post,
                              .value = make_envelope("like-" + post + "-" + std::to_string(i), "PostLikedEvent", post,
                                                     2 + i, ++seq, "2026-11-22T10:00:01.000Z", "{}"),
                              .headers = {{"event-type", "PostLikedEvent"}}});
        }
    }
    produce_messages(run.topic, events);

    run.start({{"trending", k_scripts / "trending.lua", "{threshold: 3, topic: " + trending + "}",
                "    event_types: [PostLikedEvent, PostRemovedEvent]\n"}});
    ASSERT_TRUE(run.wait_committed("trending", 90s));
    // Emits are acknowledged before offsets are stored: everything is there by now.
    const auto records = consume_all(trending, 2, 3s);
    ASSERT_EQ(records.size(), 1u) << "one post crossed the threshold, once";
    const Record& r = records[0];
    EXPECT_EQ(r.key, "post-hot");
    EXPECT_EQ(r.header("event-type"), "PostTrending");
    EXPECT_EQ(r.header("fanout.plugin"), "trending");
    EXPECT_EQ(r.header("fanout.source.event-id"), "like-post-hot-2");
    EXPECT_NE(r.value.find("\"type\":\"PostTrending\""), std::string::npos) << r.value;
    EXPECT_NE(r.value.find("\"likes\":3"), std::string::npos) << r.value;
    EXPECT_NE(r.value.find("\"eventId\":\"trending-like-post-hot-2\""), std::string::npos) << r.value;
    run.stop();
}

}  // namespace
