#include "relay_stream.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <utility>

#include <rapidjson/document.h>

#include "events.hpp"
#include "fanout/testing/batch_driver.hpp"

namespace fanout::test {
namespace {

/// `envelope` with its post removed at its version (PostRemovedEvent).
std::string removal_of(const std::string& envelope) {
    rapidjson::Document d;
    d.Parse(envelope.c_str());
    return make_envelope(d["eventId"].GetString(), "PostRemovedEvent", d["aggregateId"].GetString(),
                         d["version"].GetInt64(), d["globalSequence"].GetInt64(), d["occurredAt"].GetString(), "{}");
}

/// Every date of `envelope` ("2026-11-DD") moved to day `day` (1-28).
std::string on_day(std::string envelope, int day) {
    char date[16];
    std::snprintf(date, sizeof date, "2026-11-%02d", day);
    for (std::size_t at = 0; (at = envelope.find("2026-11-", at)) != std::string::npos; at += 10) {
        envelope.replace(at, 10, date);
    }
    return envelope;
}

}  // namespace

std::vector<FakeEvent> relay_stream() {
    EventGenerator generator(300, 77);
    PartitionEvents partition;
    std::vector<FakeEvent> out;
    std::vector<std::pair<std::string, std::string>> sent;  // envelope, key
    std::set<std::string> removed;
    std::mt19937_64 rng(5);
    for (int i = 0; i < 12'000; ++i) {
        const GeneratedEvent g = generator.next();
        if (removed.count(g.key) != 0) continue;
        std::string value = on_day(g.value, 1 + i / 1000);
        if (g.type != "PostCreatedEvent" && rng() % 400 == 0) {
            value = removal_of(value);
            removed.insert(g.key);
        }
        sent.emplace_back(value, g.key);
        out.push_back(partition.envelope(value, g.key));
        if (out.size() % 40 == 0) {
            const auto& [envelope, key] = sent[std::uniform_int_distribution<std::size_t>(0, sent.size() - 1)(rng)];
            out.push_back(partition.envelope(envelope, key));
        }
    }
    return out;
}

void feed_in_batches(Plugin& plugin, const std::vector<FakeEvent>& events) {
    if (Checkpointing* c = plugin.checkpointing()) {
        const TopicPartition partition{k_topic, 0};
        c->on_assigned(std::span<const TopicPartition>(&partition, 1));
    }
    std::mt19937 rng(9);
    std::vector<const Event*> batch;
    std::vector<Outcome> outcomes;
    for (std::size_t from = 0; from < events.size();) {
        const std::size_t n = std::min(events.size() - from, std::size_t{1} + rng() % 700);
        batch.clear();
        for (std::size_t i = from; i < from + n; ++i) batch.push_back(&events[i]);
        outcomes.assign(n, Outcome::done());
        // Group commit: the transaction stays open while more batches follow.
        const bool last = from + n == events.size();
        if (fanout::testing::handle_then_settle(plugin, batch, outcomes, last) == Checkpointing::Durability::lost) {
            ADD_FAILURE() << "batch of " << n << " at " << from << ": the plugin lost work reported done";
            return;
        }
        if (!all_done(outcomes)) {
            ADD_FAILURE() << "batch of " << n << " at " << from << ": " << ::testing::PrintToString(describe(outcomes));
            return;
        }
        from += n;
    }
}

}  // namespace fanout::test
