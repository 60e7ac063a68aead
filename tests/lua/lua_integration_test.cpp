// Lua scripts in a real fanoutd on the real broker (FANOUT_TEST_BROKERS).
#include <signal.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <set>
#include <sstream>

#include "events.hpp"
#include "fanoutd_config.hpp"
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

struct Names {
    std::string prefix = unique_name("lua");
    std::string dead_letters = unique_name("lua-dlq");
    bool admin = false;
};

std::string make_config(const Names& s, const std::string& topic, const std::vector<LuaSpec>& scripts,
                        const std::vector<LibrarySpec>& libraries = {}) {
    std::ostringstream y;
    y << config_header({.group_prefix = s.prefix, .dead_letter_topic = s.dead_letters});
    if (s.admin) y << "admin:\n  listen: 127.0.0.1:0\n";
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

bool fully_committed(KafkaAdmin& admin, const std::string& group, const std::string& topic, int partitions) {
    return admin.committed(group, topic, partitions) == admin.end_offsets(topic, partitions);
}

std::set<Coordinate> all_coordinates(KafkaAdmin& admin, const std::string& topic, int partitions) {
    std::set<Coordinate> out;
    const auto ends = admin.end_offsets(topic, partitions);
    for (std::size_t p = 0; p < ends.size(); ++p) {
        for (std::int64_t o = 0; o < ends[p]; ++o) out.emplace(static_cast<std::int32_t>(p), o);
    }
    return out;
}

int admin_port(const FanoutdProcess& p) {
    // No std::regex: GCC 12 warns inside it under the sanitizers.
    const std::string log = p.log(), marker = "admin listening on 127.0.0.1:";
    const auto at = log.find(marker);
    return at == std::string::npos ? -1 : std::atoi(log.c_str() + at + marker.size());
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

TEST(LuaIntegration, AnalyticsCountsEveryEventThroughFanoutd) {
    const std::string topic = unique_name("posts");
    constexpr int k_partitions = 4;
    constexpr std::size_t k_events = 3000;
    KafkaAdmin admin;
    admin.create_topic(topic, k_partitions);
    const auto events = produce_generated(topic, k_events);
    std::map<std::string, int> per_type, per_author;
    for (const auto& e : events) {
        ++per_type[e.type];
        if (e.type == "PostCreatedEvent") {
            const auto at = e.value.find("\"author\":\"") + 10;
            ++per_author[e.value.substr(at, e.value.find('"', at) - at)];
        }
    }

    TempDir dir;
    Names setup;
    setup.admin = true;
    FanoutdProcess fanoutd(
        dir.write("fanoutd.yaml",
                  make_config(setup, topic, {{"analytics", k_scripts / "analytics.lua", "{max_authors: 1000}"}})),
        dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(
        wait_until([&] { return fully_committed(admin, setup.prefix + ".analytics", topic, k_partitions); }, 90s))
        << fanoutd.log();
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

    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0) << fanoutd.log();
}

TEST(LuaIntegration, RunawayScriptsAreContainedAndDeadLetteredWhileAnotherPluginKeepsUp) {
    const std::string topic = unique_name("posts");
    KafkaAdmin admin;
    admin.create_topic(topic, 1);
    Names setup;
    admin.create_topic(setup.dead_letters, 1);

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
            producer.produce(topic, e.key, e.value, e.headers);
        }
        producer.flush();
    }

    TempDir dir;
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
    FanoutdProcess fanoutd(
        dir.write(
            "fanoutd.yaml",
            make_config(setup, topic,
                        {{"loop", loop, "{}", limits}, {"bomb", bomb, "{}", limits}, {"raise", raise, "{}", limits}},
                        {{"audit", "libfanout_example.so", "{path: " + (dir / "audit.jsonl").string() + "}"}})),
        dir / "fanoutd.log");
    fanoutd.start();

    for (const char* group : {"audit", "loop", "bomb", "raise"}) {
        ASSERT_TRUE(wait_until([&] { return fully_committed(admin, setup.prefix + "." + group, topic, 1); }, 90s))
            << group << "\n"
            << fanoutd.log();
    }
    const auto letters = consume_all(setup.dead_letters, 3, 30s);
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
        EXPECT_EQ(r.header("fanout.source.topic"), topic);
        EXPECT_EQ(r.header("fanout.attempts"), "3") << plugin;
        EXPECT_EQ(r.header("fanout.reason"), "retries exhausted after 3 attempts: " + what.second) << plugin;
        EXPECT_EQ(r.header("event-type"), what.first) << "original headers kept";
    }
    // The C++ plugin on the same topic saw all 63, and fanoutd is still healthy.
    EXPECT_EQ(read_lines(dir / "audit.jsonl").size(), 63u);
    EXPECT_TRUE(fanoutd.running());
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0) << fanoutd.log();
}

TEST(LuaIntegration, CppAndLuaPluginsSideBySideBothSeeEveryEvent) {
    const std::string topic = unique_name("posts"), out = unique_name("seen");
    constexpr int k_partitions = 4;
    constexpr std::size_t k_events = 1500;
    KafkaAdmin admin;
    admin.create_topic(topic, k_partitions);
    admin.create_topic(out, 1);
    produce_generated(topic, k_events);

    TempDir dir;
    const auto script = dir.write("seen.lua",
                                  "function on_batch(events)\n"
                                  "  for _, e in ipairs(events) do\n"
                                  "    e:emit('" +
                                      out +
                                      "', e.key, 'seen|' .. e.partition .. '|' .. e.offset)\n"
                                      "  end\nend\n");
    Names setup;
    FanoutdProcess fanoutd(
        dir.write("fanoutd.yaml",
                  make_config(setup, topic, {{"lua", script}},
                              {{"cpp", "libfanout_example.so", "{path: " + (dir / "cpp.jsonl").string() + "}"}})),
        dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, setup.prefix + ".lua", topic, k_partitions); }, 90s))
        << fanoutd.log();
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, setup.prefix + ".cpp", topic, k_partitions); }, 30s))
        << fanoutd.log();

    const auto expected = all_coordinates(admin, topic, k_partitions);
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
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0) << fanoutd.log();
}

TEST(LuaIntegration, SighupReloadsAnEditedScriptWithoutLosingEvents) {
    const std::string topic = unique_name("posts"), out = unique_name("versions");
    constexpr int k_partitions = 2;
    KafkaAdmin admin;
    admin.create_topic(topic, k_partitions);
    admin.create_topic(out, 1);
    auto version = [&](const std::string& v) {
        return "function on_event(e)\n  fanout.emit('" + out + "', e.key, '" + v +
               "|' .. e.partition .. '|' .. e.offset)\nend\n";
    };
    TempDir dir;
    const auto script = dir.write("versioned.lua", version("v1"));
    Names setup;
    FanoutdProcess fanoutd(dir.write("fanoutd.yaml", make_config(setup, topic, {{"versioned", script}})),
                           dir / "fanoutd.log");
    fanoutd.start();

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
            for (std::int64_t c : admin.committed(setup.prefix + ".versioned", topic, k_partitions))
                committed += std::max<std::int64_t>(c, 0);
            return committed >= 100;
        },
        60s);
    dir.write("versioned.lua", version("v2"));
    fanoutd.signal(SIGHUP);
    const bool reloaded =
        wait_until([&] { return fanoutd.log().find("[versioned] reloaded") != std::string::npos; }, 30s);
    const std::size_t at_reload = produced.load();
    wait_until([&] { return produced.load() >= at_reload + 200; }, 30s);
    producing.store(false);
    producer_thread.join();
    ASSERT_TRUE(some_v1 && reloaded) << fanoutd.log();

    ASSERT_TRUE(
        wait_until([&] { return fully_committed(admin, setup.prefix + ".versioned", topic, k_partitions); }, 60s))
        << fanoutd.log();
    const auto expected = all_coordinates(admin, topic, k_partitions);
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
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0) << fanoutd.log();
}

// The envelope is parsed in place from a copy: escapes must come out decoded,
// the payload itself unchanged, and a NUL byte (never valid JSON, and the end
// of the copy's text) must fail the parse rather than cut the payload short.
TEST(LuaIntegration, EscapedFieldsArriveDecodedAndANulBytePayloadIsNotAnEnvelope) {
    const std::string topic = unique_name("posts"), out = unique_name("echo");
    KafkaAdmin admin;
    admin.create_topic(topic, 1);
    admin.create_topic(out, 1);
    const std::string data = R"({"message":"say \"hi\"\nline2 \u00e9 caf\u00e9 \\ end \/","n":42})";
    const std::string good = make_envelope("e-good", "PostCreatedEvent", "post-1", 1, 1, "2026-11-22T10:00:00.000Z", data);
    std::string nul = make_envelope("e-nul", "PostCreatedEvent", "post-2", 1, 2, "2026-11-22T10:00:00.000Z", data);
    nul += std::string("\0{\"junk\":1}", 11);
    {
        TestProducer producer;
        producer.produce(topic, "post-1", good, {{"event-id", "e-good"}});
        producer.produce(topic, "post-2", nul, {{"event-id", "e-nul"}});
        producer.flush();
    }
    TempDir dir;
    const auto script = dir.write("echo.lua", R"(
local topic
function init(options) topic = options.topic end
function on_event(event)
  local d = event.data
  fanout.emit(topic, event.event_id, table.concat({
    tostring(d.message), tostring(d.n), tostring(event.version), tostring(event.aggregate_id),
    tostring(#event.payload)}, "|"))
end
)");
    Names setup;
    FanoutdProcess fanoutd(dir.write("fanoutd.yaml", make_config(setup, topic, {{"echo", script, "{topic: " + out + "}"}})),
                           dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, setup.prefix + ".echo", topic, 1); }, 60s))
        << fanoutd.log();
    const auto records = consume_all(out, 2, 10s);
    ASSERT_EQ(records.size(), 2u) << fanoutd.log();
    std::map<std::string, std::string> by_key;
    for (const auto& r : records) by_key[r.key] = r.value;
    EXPECT_EQ(by_key["e-good"], "say \"hi\"\nline2 \xc3\xa9 caf\xc3\xa9 \\ end /|42|1|post-1|" + std::to_string(good.size()));
    // Not an envelope: no data, no version; the aggregate id falls back to the key; the payload is whole.
    EXPECT_EQ(by_key["e-nul"], "nil|nil|0|post-2|" + std::to_string(nul.size()));
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0) << fanoutd.log();
}

TEST(LuaIntegration, TrendingEmitLandsOnTheTargetTopic) {
    const std::string topic = unique_name("posts"), trending = unique_name("trending");
    KafkaAdmin admin;
    admin.create_topic(topic, 2);
    admin.create_topic(trending, 1);
    {
        TestProducer producer;
        std::int64_t seq = 0;
        for (const char* post : {"post-hot", "post-cold"}) {
            const int likes = std::string(post) == "post-hot" ? 5 : 2;
            producer.produce(topic, post,
                             make_envelope("c-" + std::string(post), "PostCreatedEvent", post, 1, ++seq,
                                           "2026-11-22T10:00:00.000Z", R"({"author":"alice","message":"hi"})"),
                             {{"event-type", "PostCreatedEvent"}});
            for (int i = 0; i < likes; ++i) {
                producer.produce(topic, post,
                                 make_envelope("like-" + std::string(post) + "-" + std::to_string(i), "PostLikedEvent",
                                               post, 2 + i, ++seq, "2026-11-22T10:00:01.000Z", "{}"),
                                 {{"event-type", "PostLikedEvent"}});
            }
        }
        producer.flush();
    }

    TempDir dir;
    Names setup;
    FanoutdProcess fanoutd(
        dir.write("fanoutd.yaml",
                  make_config(setup, topic,
                              {{"trending", k_scripts / "trending.lua", "{threshold: 3, topic: " + trending + "}",
                                "    event_types: [PostLikedEvent, PostRemovedEvent]\n"}})),
        dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, setup.prefix + ".trending", topic, 2); }, 90s))
        << fanoutd.log();
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
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(20s), 0) << fanoutd.log();
}

}  // namespace
