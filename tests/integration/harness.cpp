#include "harness.hpp"

#include <httplib.h>

#include <cstdlib>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace fanout::test {

std::vector<GeneratedEvent> produce_events(const std::string& topic, std::size_t count, std::size_t posts,
                                           std::size_t flush_every) {
    EventGenerator gen(posts);
    TestProducer producer;
    std::vector<GeneratedEvent> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(gen.next());
        producer.produce(topic, out.back().key, out.back().value, out.back().headers);
        if (flush_every > 0 && (i + 1) % flush_every == 0) producer.flush();
    }
    producer.flush();
    return out;
}

void produce_keyed(const std::string& topic, int count, int special, const std::string& special_key) {
    TestProducer producer;
    EventGenerator gen(10);
    for (int i = 0; i < count; ++i) {
        auto e = gen.next();
        producer.produce(topic, i == special ? special_key : "k-" + std::to_string(i), e.value, e.headers, 0);
    }
    producer.flush();
}

void produce_numbered(const std::string& topic, int first, int count) {
    TestProducer producer;
    EventGenerator gen(10);
    for (int i = first; i < first + count; ++i) {
        auto e = gen.next();
        producer.produce(topic, "k-" + std::to_string(i), e.value, e.headers, 0);
    }
    producer.flush();
}

std::multiset<Coordinate> audit_coordinates(const std::filesystem::path& file) {
    std::multiset<Coordinate> out;
    for (const auto& line : read_lines(file)) {
        // Only whole lines: a kill -9 mid-write leaves a torn one.
        if (!line.starts_with("{\"topic\":") || !line.ends_with("\"}")) continue;
        const auto p = line.find("\"partition\":");
        const auto o = line.find("\"offset\":");
        if (p == std::string::npos || o == std::string::npos) continue;
        out.emplace(std::stoi(line.substr(p + 12)), std::stoll(line.substr(o + 9)));
    }
    return out;
}

std::vector<Delivery> read_deliveries(const std::filesystem::path& file) {
    std::vector<Delivery> out;
    for (const auto& line : read_lines(file)) {
        std::istringstream in(line);
        Delivery d;
        // Only whole lines (all six fields): a kill -9 mid-write leaves a torn one.
        std::string extra;
        if (in >> d.topic >> d.partition >> d.offset >> d.key >> d.outcome >> d.batch && !(in >> extra)) {
            out.push_back(d);
        }
    }
    return out;
}

std::set<std::int64_t> done_offsets(const std::vector<Delivery>& deliveries) {
    std::set<std::int64_t> done;
    for (const auto& d : deliveries) {
        if (d.outcome == "done") done.insert(d.offset);
    }
    return done;
}

std::set<Coordinate> all_coordinates(const std::vector<std::int64_t>& end_offsets) {
    std::set<Coordinate> out;
    for (std::size_t p = 0; p < end_offsets.size(); ++p) {
        for (std::int64_t o = 0; o < end_offsets[p]; ++o) out.emplace(static_cast<std::int32_t>(p), o);
    }
    return out;
}

void create_topic_with_config(const std::string& topic, int partitions,
                              const std::vector<std::pair<std::string, std::string>>& config) {
    harness::create_topic(KafkaAdmin().handle(), topic, partitions, harness::IfTopicExists::fail, config);
}

void recreate_topic(const std::string& topic, int partitions) {
    KafkaAdmin admin;
    if (const std::string failure = harness::send_delete_topic(admin.handle(), topic); !failure.empty()) {
        throw std::runtime_error("delete topic " + topic + ": " + failure);
    }
    // The deletion completes in the background: create until the broker takes it.
    std::string last_error;
    const bool created = wait_until(
        [&] {
            last_error = harness::send_create_topic(admin.handle(), topic, partitions);
            return last_error.empty();
        },
        std::chrono::seconds(30));
    if (!created) throw std::runtime_error("recreate topic " + topic + ": " + last_error);
    admin.create_topic(topic, partitions);  // waits for the leaders
    const bool empty = wait_until([&] { return watermarks(topic, 0).second == 0; }, std::chrono::seconds(30));
    if (!empty) throw std::runtime_error("recreate topic " + topic + ": not empty");
}

std::int64_t delete_records_before(const std::string& topic, std::int32_t partition, std::int64_t before) {
    return harness::delete_records_before(KafkaAdmin().handle(), topic, partition, before);
}

std::pair<std::int64_t, std::int64_t> watermarks(const std::string& topic, std::int32_t partition) {
    return harness::watermarks(KafkaAdmin().handle(), topic, partition);
}

bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

std::map<std::string, double> scrape_metrics(int admin_port, const TempDir& dir) {
    std::map<std::string, double> samples;
    httplib::Client client("127.0.0.1", admin_port);
    auto res = client.Get("/metrics");
    if (!res || res->status != 200) return samples;
    const char* python = std::getenv("FANOUT_TEST_PYTHON");
    EXPECT_TRUE(python != nullptr && *python != '\0') << "FANOUT_TEST_PYTHON is not set (tools/python-env.sh)";
    if (python == nullptr) return samples;
    const auto file = dir.write("metrics.txt", res->body);
    const auto parsed =
        run_command({python, std::string(FANOUT_SOURCE_DIR) + "/tests/integration/parse_metrics.py", file.string()});
    EXPECT_EQ(parsed.exit_code, 0) << parsed.output;
    std::istringstream lines(parsed.output);
    for (std::string line; std::getline(lines, line);) {
        const auto a = line.find('|'), b = line.rfind('|');
        if (a != std::string::npos && b != a) samples[line.substr(0, b)] = std::stod(line.substr(b + 1));
    }
    return samples;
}

bool fully_committed(KafkaAdmin& admin, const std::string& group, const std::string& topic, int partitions) {
    return admin.committed(group, topic, partitions) == admin.end_offsets(topic, partitions);
}

}  // namespace fanout::test
