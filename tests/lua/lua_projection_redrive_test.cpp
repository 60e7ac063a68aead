// Redrive on a real projection: config/projections/read_model.lua with a
// fault that fails every event of some posts dead-letters about 1,000 of
// 50,000 events; the fix is deployed by a reload (the script changed on
// disk); a redrive through fanoutctl brings the model to the reference
// folded from the events, while two other plugins on the same topic saw each
// event exactly once and nothing of the redrive. A dry run and a second
// redrive change nothing.
#include <signal.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <rapidjson/document.h>

#include "events.hpp"
#include "lua_read_model_traits.hpp"

namespace fanout::test {
namespace {

using namespace std::chrono_literals;
using Traits = LuaReadModelTraits;

constexpr const char* k_token = "redrive-lua-token";
constexpr Pace k_pace{.events = 50'000, .posts = 1'000, .seed = 2033};
constexpr std::size_t k_faulty_events = 1000;

std::string read_text(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

/// The first posts of the stream (by id) holding at least k_faulty_events
/// events, and how many events they hold.
std::pair<std::set<std::string>, std::size_t> faulty_posts() {
    EventGenerator generator(k_pace.posts, k_pace.seed);
    std::map<std::string, std::size_t> per_post;
    for (std::size_t i = 0; i < k_pace.events; ++i) ++per_post[generator.next().key];
    std::set<std::string> posts;
    std::size_t events = 0;
    for (const auto& [post, n] : per_post) {
        if (events >= k_faulty_events) break;
        posts.insert(post);
        events += n;
    }
    return {posts, events};
}

/// The read model with a bug: every event of `posts` fails.
std::string faulty_script(const std::set<std::string>& posts) {
    std::string script = read_text(Traits::lua_script()) + "\nlocal apply_event = on_event\nlocal faulty = {\n";
    for (const std::string& p : posts) script += "  [\"" + p + "\"] = true,\n";
    return script +
           "}\nfunction on_event(event)\n"
           "  if faulty[event.aggregate_id] then error(\"injected fault for \" .. event.aggregate_id) end\n"
           "  apply_event(event)\n"
           "end\n";
}

/// topic/partition/offset -> how often the scripted plugin's record says done.
std::map<std::string, int> done(const std::filesystem::path& record) {
    std::map<std::string, int> counts;
    std::ifstream in(record);
    std::string topic, key, outcome;
    std::int64_t partition = 0, offset = 0, batch = 0;
    while (in >> topic >> partition >> offset >> key >> outcome >> batch) {
        if (outcome == "done") ++counts[topic + "/" + std::to_string(partition) + "/" + std::to_string(offset)];
    }
    return counts;
}

}  // namespace

TEST(LuaProjectionRedrive, AFixedFaultsDeadLettersRedrivenGiveTheReferenceAndReachNoOtherPlugin) {
    ExactlyOnceScenario<Traits> s;
    TestDatabase db(DbBackend::sqlite);
    const auto [posts, faulty_events] = faulty_posts();
    ASSERT_GE(faulty_events, k_faulty_events);
    ASSERT_LT(faulty_events, 2 * k_faulty_events);
    const auto script = s.dir.write("read_model.lua", faulty_script(posts));
    s.dir.write("control.token", std::string(k_token) + "\n");

    std::string lua;
    std::istringstream lines(options_for<Traits>(db.connection()));
    for (std::string line; std::getline(lines, line);) lua += "      " + line + "\n";
    const std::string extra = "    batch: { max_events: 500, linger_ms: 20 }\n"
                              "    retry: { max_attempts: 1, initial_backoff_ms: 10, max_backoff_ms: 50 }\n";
    std::vector<PluginSpec> plugins = {{Traits::k_names.plugin, "", lua, extra, script.string()}};
    for (const char* name : {"a", "b"}) {
        plugins.push_back({name, "libfanout_test_scripted.so", "      record_path: " + (s.dir / name).string() + "\n"});
    }
    // Each dead-lettered event rewinds its partition, and the refetch waits
    // for the fetch long poll in flight (fetch.wait.max.ms, 500 by default)
    // once the consumer's prefetch reached the end of the log: short here, so
    // a thousand of them take seconds, not minutes.
    DaemonSettings settings{.group_prefix = s.prefix, .dead_letter_topic = s.dlq};
    settings.kafka_properties = {{"fetch.wait.max.ms", "20"}};
    const std::string yaml = with_admin(make_config(settings, s.topic, plugins), "  control_token_file: control.token\n");
    s.admin.create_topic(s.topic, s.k_partitions);
    s.admin.create_topic(s.dlq, 3);
    FanoutdProcess fanoutd(s.dir.write("fanoutd.yaml", yaml), s.dir / "fanoutd.log");
    fanoutd.start();
    s.produce(k_pace).finish();
    const auto total = static_cast<std::int64_t>(k_pace.events);
    const auto consumed = [&] { return db.checkpoint_sum(Traits::k_names.checkpoint_table(), s.group()); };

    const auto ctl = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "--json");
        const RunResult r = run_fanoutctl(fanoutd, args, s.dir / "control.token", 150s);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        rapidjson::Document d;
        d.Parse(r.output.c_str());
        EXPECT_TRUE(d.IsObject()) << r.output;
        return d;
    };
    const auto matched = [&] {
        return ctl({"dlq", "list", "--plugin", Traits::k_names.plugin, "--limit", "0"})["matched"].GetInt64();
    };
    ASSERT_TRUE(wait_until([&] { return matched() == static_cast<std::int64_t>(faulty_events); }, 120s))
        << matched() << " of " << faulty_events << " dead-lettered\n"
        << fanoutd.log();
    ASSERT_TRUE(wait_until([&] { return consumed() == total; }, 60s)) << consumed() << "\n" << fanoutd.log();
    const auto& expected = s.reference.tables();
    EXPECT_FALSE(Traits::read(db.session()) == expected) << "the faulty posts are missing before the redrive";

    // A dry run says what would go and changes nothing.
    rapidjson::Document dry = ctl({"dlq", "redrive", Traits::k_names.plugin, "--dry-run", "--limit", "5"});
    EXPECT_EQ(dry["wouldSend"].GetInt64(), static_cast<std::int64_t>(faulty_events));
    EXPECT_EQ(dry["deadLetters"].Size(), 5u);
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(consumed(), total);

    // The fix: the script as shipped, applied by a reload.
    s.dir.write("read_model.lua", read_text(Traits::lua_script()));
    fanoutd.signal(SIGHUP);
    ASSERT_TRUE(fanoutd.wait_for_log("reload applied", 30s)) << fanoutd.log();

    rapidjson::Document sent = ctl({"dlq", "redrive", Traits::k_names.plugin});
    EXPECT_EQ(sent["sent"].GetInt64(), static_cast<std::int64_t>(faulty_events));
    const auto redriven = total + static_cast<std::int64_t>(faulty_events);
    ASSERT_TRUE(wait_until([&] { return consumed() == redriven; }, 120s))
        << consumed() << " of " << redriven << "\n"
        << fanoutd.log();
    const auto actual = Traits::read(db.session());
    EXPECT_EQ(actual.total_likes(), expected.total_likes()) << "every like counted exactly once";
    EXPECT_TRUE(actual == expected) << differences(expected, actual);

    // Again: nothing new goes; nothing failed again.
    rapidjson::Document noop = ctl({"dlq", "redrive", Traits::k_names.plugin});
    EXPECT_EQ(noop["sent"].GetInt64(), 0);
    EXPECT_EQ(noop["alreadyRedriven"].GetInt64(), static_cast<std::int64_t>(faulty_events));
    EXPECT_EQ(matched(), static_cast<std::int64_t>(faulty_events));

    // The other plugins: every event exactly once, none from a redrive topic.
    for (const char* name : {"a", "b"}) {
        const auto counts = done(s.dir / name);
        EXPECT_EQ(counts.size(), k_pace.events) << name;
        std::size_t repeated = 0, foreign = 0;
        for (const auto& [at, n] : counts) {
            repeated += n != 1;
            foreign += !at.starts_with(s.topic + "/");
        }
        EXPECT_EQ(repeated, 0u) << name;
        EXPECT_EQ(foreign, 0u) << name;
    }
    fanoutd.signal(SIGTERM);
    EXPECT_EQ(fanoutd.wait_exit(30s), 0) << fanoutd.log();
}

}  // namespace fanout::test
