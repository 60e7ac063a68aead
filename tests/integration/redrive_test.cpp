// Dead-letter redrive on the real broker, through fanoutctl: a plugin's dead
// letters are listed and shown, a dry run sends nothing, a redrive reaches
// that plugin alone with the original key, value and headers, a record that
// fails again goes back to the dead-letter topic with its history, a second
// redrive sends nothing new unless forced, and every dead-letter route needs
// the control token.
#include <signal.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <rapidjson/document.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_token = "5f0e-redrive-operator-token";

struct Redrive : TopicTest {
    std::filesystem::path token_file = dir.write("control.token", std::string(k_token) + "\n");

    /// Scripted plugins a, b, c; `a_rejects` and `b_rejects` are keys they
    /// dead-letter at once.
    std::filesystem::path config(const std::string& a_rejects, const std::string& b_rejects) {
        std::vector<PluginSpec> plugins;
        for (const char* name : {"a", "b", "c"}) {
            const std::string rejects = std::string(name) == "a" ? a_rejects : std::string(name) == "b" ? b_rejects : "";
            plugins.push_back({name, "libfanout_test_scripted.so",
                               "      record_path: " + (dir / name).string() + "\n" +
                                   (rejects.empty() ? "" : "      reject_keys: [" + rejects + "]\n"),
                               ""});
        }
        return dir.write("fanoutd.yaml",
                         with_admin(make_config(prefix, dlq, topic, plugins), "  control_token_file: control.token\n"));
    }

    RunResult ctl(const FanoutdProcess& fanoutd, const std::vector<std::string>& args, bool token = true) {
        return run_fanoutctl(fanoutd, args, token ? token_file : std::filesystem::path());
    }

    /// fanoutctl --json ... parsed; fails the test on a non-zero exit.
    rapidjson::Document json(const FanoutdProcess& fanoutd, std::vector<std::string> args) {
        args.insert(args.begin(), "--json");
        const RunResult r = ctl(fanoutd, args);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        rapidjson::Document d;
        d.Parse(r.output.c_str());
        EXPECT_FALSE(d.HasParseError()) << r.output;
        return d;
    }

    /// Deliveries of `plugin` with outcome `outcome` from `from_topic`, by key.
    std::map<std::string, int> outcomes(const std::string& plugin, const std::string& from_topic,
                                        const std::string& outcome = "done") {
        std::map<std::string, int> counts;
        for (const Delivery& d : read_deliveries(dir / plugin)) {
            if (d.topic == from_topic && d.outcome == outcome) ++counts[d.key];
        }
        return counts;
    }
};

/// Whether the broker lists `topic` (all-topics metadata: asking for one by
/// name could create it).
bool topic_listed(KafkaAdmin& admin, const std::string& topic) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(admin.handle(), 1, nullptr, &md, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ADD_FAILURE() << "no metadata";
        return false;
    }
    bool found = false;
    for (int i = 0; i < md->topic_cnt; ++i) found = found || topic == md->topics[i].topic;
    rd_kafka_metadata_destroy(md);
    return found;
}

std::int64_t number(const rapidjson::Value& v, const char* key) {
    return v.HasMember(key) && v[key].IsInt64() ? v[key].GetInt64() : -1;
}

}  // namespace

TEST_F(Redrive, DeadLettersReachTheirPluginAloneOnceWithTheirHeadersAndHistory) {
    admin.create_topic(topic, 2);
    TestProducer producer;
    for (int i = 0; i < 40; ++i) {
        const std::string key = "k-" + std::to_string(i);
        producer.produce(topic, key, "{\"n\":" + std::to_string(i) + "}", {{"trace-id", "t-" + key}}, i % 2);
    }
    producer.flush();
    const auto redrive_topic = dlq + ".redrive.a";
    FanoutdProcess fanoutd(config("k-3, k-17, k-30", "k-5"), dir / "fanoutd.log");
    fanoutd.start();
    const auto committed = [&](const char* name) { return fully_committed(admin, prefix + "." + name, topic, 2); };
    ASSERT_TRUE(wait_until([&] { return committed("a") && committed("b") && committed("c"); }, 60s)) << fanoutd.log();

    // Listing and showing need the token.
    const RunResult refused = ctl(fanoutd, {"dlq", "list"}, false);
    EXPECT_EQ(refused.exit_code, 77) << refused.output;
    const RunResult listed = ctl(fanoutd, {"dlq", "list", "--plugin", "a"});
    ASSERT_EQ(listed.exit_code, 0) << listed.output;
    EXPECT_TRUE(has(listed.output, "3 of 3 matching dead letters shown")) << listed.output;
    rapidjson::Document all = json(fanoutd, {"dlq", "list"});
    EXPECT_EQ(number(all, "matched"), 4) << "a's three and b's one";
    rapidjson::Document by_reason = json(fanoutd, {"dlq", "list", "--reason", "reject of k-(3|5)$"});
    EXPECT_EQ(number(by_reason, "matched"), 2);
    const RunResult bad_reason = ctl(fanoutd, {"dlq", "list", "--reason", "(unclosed"});
    EXPECT_EQ(bad_reason.exit_code, 64) << bad_reason.output;
    EXPECT_TRUE(has(bad_reason.output, "parameter 'reason'")) << bad_reason.output;
    EXPECT_EQ(number(json(fanoutd, {"dlq", "list", "--since", "1h"}), "matched"), 4);
    EXPECT_EQ(number(json(fanoutd, {"dlq", "list", "--until", "1h"}), "matched"), 0);

    // By the dead-letter topic's coordinates: a partition, an offset range (both ends included).
    std::map<std::int64_t, std::vector<std::int64_t>> offsets;  // partition -> offsets
    std::pair<std::int64_t, std::int64_t> an_a{-1, -1};       // one of a's dead letters
    for (const auto& d : all["deadLetters"].GetArray()) {
        offsets[number(d, "partition")].push_back(number(d, "offset"));
        if (std::string(d["plugin"].GetString()) == "a") an_a = {number(d, "partition"), number(d, "offset")};
    }
    for (auto& [partition, list] : offsets) {
        std::sort(list.begin(), list.end());
        const std::string p = std::to_string(partition);
        EXPECT_EQ(number(json(fanoutd, {"dlq", "list", "--partition", p}), "matched"),
                  static_cast<std::int64_t>(list.size()));
        const std::string lo = std::to_string(list.front()), hi = std::to_string(list.back());
        EXPECT_EQ(number(json(fanoutd, {"dlq", "list", "--partition", p, "--from-offset", lo, "--to-offset", lo}),
                         "matched"),
                  1);
        EXPECT_EQ(number(json(fanoutd, {"dlq", "list", "--partition", p, "--from-offset", hi}), "matched"), 1);
        EXPECT_EQ(number(json(fanoutd, {"dlq", "list", "--partition", p, "--to-offset", hi}), "matched"),
                  static_cast<std::int64_t>(list.size()));
    }
    EXPECT_EQ(number(json(fanoutd, {"dlq", "list", "--partition", "99"}), "matched"), 0) << "no such partition";
    ASSERT_GE(an_a.first, 0);
    const std::string a_partition = std::to_string(an_a.first), a_offset = std::to_string(an_a.second);
    rapidjson::Document one = json(fanoutd, {"dlq", "redrive", "a", "--dry-run", "--partition", a_partition,
                                             "--from-offset", a_offset, "--to-offset", a_offset});
    EXPECT_EQ(number(one, "wouldSend"), 1) << "a redrive selects by coordinates too";
    const RunResult backwards = ctl(fanoutd, {"dlq", "list", "--from-offset", "5", "--to-offset", "4"});
    EXPECT_EQ(backwards.exit_code, 64) << backwards.output;
    EXPECT_TRUE(has(backwards.output, "'from_offset' must not be after 'to_offset'")) << backwards.output;

    const rapidjson::Value& first = all["deadLetters"][0];
    const std::string id = std::to_string(number(first, "partition")) + ":" + std::to_string(number(first, "offset"));
    const RunResult shown = ctl(fanoutd, {"dlq", "show", id});
    ASSERT_EQ(shown.exit_code, 0) << shown.output;
    EXPECT_TRUE(has(shown.output, "header         trace-id: t-k-")) << shown.output;
    EXPECT_TRUE(has(shown.output, "value          {\"n\":")) << shown.output;
    EXPECT_EQ(ctl(fanoutd, {"dlq", "show", "0:999999"}).exit_code, 66);

    // A dry run lists and sends nothing.
    rapidjson::Document dry = json(fanoutd, {"dlq", "redrive", "a", "--dry-run"});
    EXPECT_EQ(number(dry, "wouldSend"), 3);
    EXPECT_EQ(number(dry, "sent"), 0);
    EXPECT_EQ(dry["deadLetters"].Size(), 3u);
    EXPECT_TRUE(consume_all(redrive_topic, 1, 2s).empty()) << "a dry run writes nothing";

    // Redriven while a still rejects them: each fails again and goes back to
    // the dead-letter topic with what happened before.
    rapidjson::Document again = json(fanoutd, {"dlq", "redrive", "a"});
    EXPECT_EQ(number(again, "sent"), 3);
    ASSERT_TRUE(wait_until([&] { return outcomes("a", redrive_topic, "reject").size() == 3; }, 60s)) << fanoutd.log();
    ASSERT_TRUE(wait_until([&] { return consume_all(dlq, 7, 5s).size() == 7; }, 30s));
    const std::vector<Record> letters = consume_all(dlq, 7, 5s);
    const auto second = std::find_if(letters.begin(), letters.end(), [&](const Record& r) {
        return r.header("fanout.source.topic") == redrive_topic && r.key == "k-17";
    });
    ASSERT_NE(second, letters.end());
    EXPECT_EQ(second->header("trace-id"), "t-k-17") << "the original headers travel";
    EXPECT_EQ(second->header("fanout.original.topic"), topic) << "and where the event first was";
    EXPECT_EQ(second->value, "{\"n\":17}");
    EXPECT_TRUE(has(second->header("fanout.history"), "\"reason\":\"rejected: scripted reject of k-17\""))
        << second->header("fanout.history");
    EXPECT_TRUE(has(second->header("fanout.redriven.from"), dlq + ":")) << second->header("fanout.redriven.from");

    // The fix is deployed (reload); the redrive sends only what was not sent.
    config("", "k-5");  // rewrites fanoutd.yaml
    fanoutd.signal(SIGHUP);
    ASSERT_TRUE(fanoutd.wait_for_log("reload applied", 30s)) << fanoutd.log();
    rapidjson::Document fixed = json(fanoutd, {"dlq", "redrive", "a"});
    EXPECT_EQ(number(fixed, "matched"), 6);
    EXPECT_EQ(number(fixed, "alreadyRedriven"), 3);
    EXPECT_EQ(number(fixed, "sent"), 3);
    ASSERT_TRUE(wait_until([&] { return outcomes("a", redrive_topic).size() == 3; }, 60s)) << fanoutd.log();
    EXPECT_EQ(outcomes("a", redrive_topic), (std::map<std::string, int>{{"k-17", 1}, {"k-3", 1}, {"k-30", 1}}));

    // Again: nothing new. Forced: sent again.
    rapidjson::Document noop = json(fanoutd, {"dlq", "redrive", "a"});
    EXPECT_EQ(number(noop, "sent"), 0);
    EXPECT_EQ(number(noop, "alreadyRedriven"), 6);
    rapidjson::Document listed_after = json(fanoutd, {"dlq", "list", "--plugin", "a"});
    for (const auto& d : listed_after["deadLetters"].GetArray()) EXPECT_TRUE(d["redriven"].GetBool());
    rapidjson::Document forced = json(fanoutd, {"dlq", "redrive", "a", "--force", "--reason", "k-3$"});
    EXPECT_EQ(number(forced, "alreadyRedriven"), 0);
    EXPECT_EQ(number(forced, "sent"), 2) << "k-3's first dead letter and the one of its failed redrive";
    ASSERT_TRUE(wait_until([&] { return outcomes("a", redrive_topic)["k-3"] == 3; }, 60s)) << fanoutd.log();

    // Only a saw them: b and c read no redrive topic, b's dead letter stays.
    for (const char* name : {"b", "c"}) {
        for (const Delivery& d : read_deliveries(dir / name)) EXPECT_EQ(d.topic, topic) << name;
        const auto done = outcomes(name, topic);
        EXPECT_EQ(done.size(), std::string(name) == "b" ? 39u : 40u) << name;
        EXPECT_TRUE(std::all_of(done.begin(), done.end(), [](const auto& c) { return c.second == 1; })) << name;
    }
    EXPECT_EQ(ctl(fanoutd, {"dlq", "redrive", "nobody"}).exit_code, 66);
    rapidjson::Document none = json(fanoutd, {"dlq", "redrive", "c"});
    EXPECT_EQ(number(none, "matched"), 0);
    EXPECT_EQ(number(none, "sent"), 0);
    EXPECT_FALSE(topic_listed(admin, dlq + ".redrive.c")) << "a redrive that sends nothing creates no topic";
    EXPECT_TRUE(topic_listed(admin, redrive_topic));
    httplib::Client metrics("127.0.0.1", admin_port(fanoutd));
    const auto scraped = metrics.Get("/metrics");
    ASSERT_TRUE(scraped);
    EXPECT_TRUE(has(scraped->body, "fanout_dead_letters_redriven_total{plugin=\"a\"} 8\n")) << "3 + 3 + 2 forced";
    EXPECT_TRUE(has(scraped->body, "fanout_dead_letters_redriven_total{plugin=\"b\"} 0\n"));
    EXPECT_EQ(fanoutd.stop(20s), 0);
}
