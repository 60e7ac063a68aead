#include "harness.hpp"

#include <sstream>

namespace fanout::test {

std::string make_config(const std::string& group_prefix, const std::string& dead_letter_topic, const std::string& topic,
                        const std::vector<PluginSpec>& plugins, int drain_timeout_ms) {
    std::ostringstream y;
    y << "kafka:\n"
      << "  brokers: " << brokers() << "\n"
      << "  properties:\n"
      << "    auto.commit.interval.ms: \"200\"\n"
      << "    session.timeout.ms: \"6000\"\n"
      << "    heartbeat.interval.ms: \"500\"\n"
      << "    topic.metadata.refresh.interval.ms: \"1000\"\n"
      << "group_prefix: " << group_prefix << "\n"
      << "dead_letter_topic: " << dead_letter_topic << "\n"
      << "drain_timeout_ms: " << drain_timeout_ms << "\n"
      << "plugins:\n";
    for (const auto& p : plugins) {
        y << "  - name: " << p.name << "\n"
          << "    type: library\n"
          << "    path: " << (lib_dir() / p.library).string() << "\n"
          << "    topics: [" << topic << "]\n"
          << p.extra << "    options:\n"
          << p.options;
    }
    return y.str();
}

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

std::multiset<Coordinate> audit_coordinates(const std::filesystem::path& file) {
    std::multiset<Coordinate> out;
    for (const auto& line : read_lines(file)) {
        const auto p = line.find("\"partition\":");
        const auto o = line.find("\"offset\":");
        if (p == std::string::npos || o == std::string::npos) continue;  // torn last line after kill -9
        out.emplace(std::stoi(line.substr(p + 12)), std::stoll(line.substr(o + 9)));
    }
    return out;
}

std::vector<Delivery> read_deliveries(const std::filesystem::path& file) {
    std::vector<Delivery> out;
    for (const auto& line : read_lines(file)) {
        std::istringstream in(line);
        Delivery d;
        if (in >> d.topic >> d.partition >> d.offset >> d.key >> d.outcome) {
            in >> d.batch;
            out.push_back(d);
        }
    }
    return out;
}

std::set<Coordinate> all_coordinates(const std::vector<std::int64_t>& end_offsets) {
    std::set<Coordinate> out;
    for (std::size_t p = 0; p < end_offsets.size(); ++p) {
        for (std::int64_t o = 0; o < end_offsets[p]; ++o) out.emplace(static_cast<std::int32_t>(p), o);
    }
    return out;
}

bool fully_committed(KafkaAdmin& admin, const std::string& group, const std::string& topic, int partitions) {
    return admin.committed(group, topic, partitions) == admin.end_offsets(topic, partitions);
}

}  // namespace fanout::test
