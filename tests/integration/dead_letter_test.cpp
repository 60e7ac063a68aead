// Dead letters that do not fit: a record near the broker's size limit that a
// plugin rejects grows past the limit with the dead-letter headers. It is
// still dead-lettered (truncated, with its size, hash and coordinates), and
// the partition moves on instead of being held forever.
#include <signal.h>

#include <set>

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace fanout::test;
using namespace std::chrono_literals;

using DeadLetters = TopicTest;

TEST_F(DeadLetters, ARecordTooLargeToDeadLetterWholeIsDeadLetteredTruncatedAndThePartitionMovesOn) {
    // Both topics take record batches of at most 10,000 bytes.
    create_topic_with_config(topic, 1, {{"max.message.bytes", "10000"}});
    create_topic_with_config(dlq, 1, {{"max.message.bytes", "10000"}});
    {
        // The limit holds: a record of 10,100 bytes is refused.
        TestProducer probe;
        probe.produce(dlq, "probe", std::string(10'100, 'x'));
        EXPECT_THROW(probe.flush(), std::exception);
    }

    std::string big(9'800, 'x');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    {
        TestProducer producer;
        EventGenerator gen(10);
        const auto plain = [&](const std::string& key) {
            auto e = gen.next();
            producer.produce(topic, key, e.value, e.headers, 0);
        };
        plain("k-0");
        plain("k-1");
        producer.flush();  // one record per batch: the big one alone fits
        producer.produce(topic, "k-big", big, {{"event-type", "PostCreatedEvent"}}, 0);
        producer.flush();
        plain("k-small");  // rejected too: the producer goes on after a refused record
        plain("k-4");
        producer.flush();
    }
    const std::string yaml =
        make_config(prefix, dlq, topic,
                    {{"rejecter", "libfanout_test_scripted.so",
                      "      record_path: " + (dir / "record").string() + "\n      reject_keys: [k-big, k-small]\n",
                      "    retry: { max_backoff_ms: 500, initial_backoff_ms: 100 }\n"}});
    FanoutdProcess fanoutd(dir.write("fanoutd.yaml", yaml), dir / "fanoutd.log");
    fanoutd.start();
    // The checkpoint moves past the rejected event.
    ASSERT_TRUE(wait_until([&] { return fully_committed(admin, prefix + ".rejecter", topic, 1); }, 60s))
        << fanoutd.log();

    const auto dead = consume_all(dlq, 2, 30s);
    ASSERT_EQ(dead.size(), 2u) << fanoutd.log();
    EXPECT_EQ(dead[1].key, "k-small");
    EXPECT_EQ(dead[1].header("fanout.source.offset"), "3");
    EXPECT_EQ(dead[1].header("fanout.truncated"), "") << "a record that fits is sent whole";
    const Record& r = dead[0];
    EXPECT_EQ(r.key, "k-big");
    EXPECT_EQ(r.header("fanout.truncated"), "true")
        << "value " << r.value.size() << " bytes, " << r.headers.size() << " headers; " << fanoutd.log();
    EXPECT_EQ(r.header("fanout.original.size"), "9800");
    const auto value_file = dir.write("big", big);
    const auto sum = run_command({"/usr/bin/sha256sum", value_file.string()});
    ASSERT_EQ(sum.exit_code, 0) << sum.output;
    EXPECT_EQ(r.header("fanout.original.sha256"), sum.output.substr(0, 64));
    EXPECT_EQ(r.header("fanout.truncated.kept"), "1024");
    EXPECT_EQ(r.value, big.substr(0, 1024)) << "the value's beginning is kept";
    EXPECT_NE(r.header("fanout.truncated.error").find("too large"), std::string::npos)
        << r.header("fanout.truncated.error");
    EXPECT_EQ(r.header("fanout.plugin"), "rejecter");
    EXPECT_EQ(r.header("fanout.reason"), "rejected: scripted reject of k-big");
    EXPECT_EQ(r.header("fanout.source.topic"), topic);
    EXPECT_EQ(r.header("fanout.source.partition"), "0");
    EXPECT_EQ(r.header("fanout.source.offset"), "2");
    EXPECT_EQ(r.header("event-type"), "PostCreatedEvent") << "original headers are kept";

    std::set<std::int64_t> done;
    for (const auto& d : read_deliveries(dir / "record")) {
        if (d.outcome == "done") done.insert(d.offset);
    }
    EXPECT_EQ(done, (std::set<std::int64_t>{0, 1, 4}));
    EXPECT_TRUE(fanoutd.wait_for_log(
        "[rejecter] dead-lettered (truncated: too large whole) topic=" + topic + " partition=0 offset=2 size=9800", 1s))
        << fanoutd.log();
    EXPECT_FALSE(fanoutd.wait_for_log("dead-letter produce failed", 1ms)) << fanoutd.log();
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}

TEST_F(DeadLetters, ADeadLetterTopicRefusingEvenATruncatedCopyStopsThePluginAtTheEvent) {
    // A limit below what any dead letter needs is a configuration error:
    // retrying cannot help and moving on would lose the event.
    admin.create_topic(topic, 1);
    create_topic_with_config(dlq, 1, {{"max.message.bytes", "200"}});
    produce_keyed(topic, 5, 2, "k-poison");
    const std::string yaml =
        make_config(prefix, dlq, topic,
                    {{"rejecter", "libfanout_test_scripted.so",
                      "      record_path: " + (dir / "record").string() + "\n      reject_keys: [k-poison]\n"}});
    FanoutdProcess fanoutd(dir.write("fanoutd.yaml", yaml), dir / "fanoutd.log");
    fanoutd.start();
    ASSERT_TRUE(fanoutd.wait_for_log("[rejecter] dead-letter topic " + dlq +
                                         " refuses even a truncated copy of topic=" + topic + " partition=0 offset=2",
                                     60s))
        << fanoutd.log();
    ASSERT_TRUE(fanoutd.wait_for_log("[rejecter] stopped", 20s)) << fanoutd.log();
    EXPECT_TRUE(wait_until(
        [&] { return admin.committed(prefix + ".rejecter", topic, 1) == std::vector<std::int64_t>{2}; }, 10s))
        << "held at the event, nothing skipped: " << fanoutd.log();
    EXPECT_TRUE(fanoutd.running());
    EXPECT_EQ(fanoutd.stop(20s), 0) << fanoutd.log();
}
