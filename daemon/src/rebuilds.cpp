#include "rebuilds.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "fanout/common/json_object.hpp"
#include "fanout/common/text.hpp"
#include "kafka.hpp"

namespace fanout::daemon {
namespace {

constexpr int k_broker_timeout_ms = 10'000;
constexpr auto k_rate_window = std::chrono::seconds(10);

}  // namespace

PluginSettings rebuild_settings(const PluginSettings& live) {
    PluginSettings settings = live;
    settings.rebuild_of = live.name;
    settings.name = live.name + k_rebuild_suffix;
    settings.start_from = StartFrom::earliest;  // no checkpoint in a new generation: from offset 0
    settings.redrive_topic.clear();
    return settings;
}

std::string utc_now_text() { return common::format_utc_ms(common::now_utc_ms()); }

std::string rebuild_json(const RebuildView& v) {
    using common::JsonValue;
    return common::json_object({
        {"plugin", v.plugin},
        {"state", v.state},
        {"generation", v.generation ? JsonValue(static_cast<std::int64_t>(*v.generation)) : JsonValue(nullptr)},
        {"position", v.position},
        {"end", v.end},
        {"progress", v.progress},
        {"eventsPerSecond", v.events_per_second},
        {"etaSeconds", v.eta_seconds ? JsonValue(*v.eta_seconds) : JsonValue(nullptr)},
        {"startedAt", JsonValue::or_null(v.started_at)},
        {"switchedAt", JsonValue::or_null(v.switched_at)},
        {"error", JsonValue::or_null(v.error)},
    });
}

void RebuildProgress::sample(Clock::time_point at, std::int64_t position, std::int64_t end) {
    position_ = position;
    end_ = end;
    samples_.emplace_back(at, position);
    while (samples_.size() > 2 && at - samples_.front().first > k_rate_window) samples_.pop_front();
}

void RebuildProgress::describe(RebuildView& view) const {
    view.position = position_;
    view.end = end_;
    view.progress = end_ > 0 ? std::clamp(static_cast<double>(position_) / static_cast<double>(end_), 0.0, 1.0) : 0.0;
    view.events_per_second = 0;
    view.eta_seconds.reset();
    if (samples_.size() < 2) return;
    const double seconds = std::chrono::duration<double>(samples_.back().first - samples_.front().first).count();
    const std::int64_t moved = samples_.back().second - samples_.front().second;
    if (seconds <= 0 || moved < 0) return;
    view.events_per_second = static_cast<double>(moved) / seconds;
    const std::int64_t left = std::max<std::int64_t>(0, end_ - position_);
    if (left == 0) {
        view.eta_seconds = 0.0;
    } else if (view.events_per_second > 0) {
        view.eta_seconds = std::ceil(static_cast<double>(left) / view.events_per_second);
    }
}

std::vector<PartitionWatermarks> read_watermarks(const DaemonSettings& settings,
                                                 const std::vector<std::string>& topics) {
    KafkaConf conf = make_kafka_conf(settings.kafka, {{"client.id", "fanoutd-rebuild"}}, settings.file);
    rd_kafka_conf_set_log_cb(conf.get(), &log_from_kafka);
    char err[512];
    KafkaHandle client(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err));
    if (!client) throw std::runtime_error(std::string("cannot create a Kafka client: ") + err);
    conf.release();
    const rd_kafka_metadata_t* md = nullptr;
    // All topics: asking for one by name could create it on a broker that auto-creates topics.
    if (rd_kafka_resp_err_t e = rd_kafka_metadata(client.get(), 1, nullptr, &md, k_broker_timeout_ms); e) {
        throw std::runtime_error("cannot read the broker's metadata: " + std::string(rd_kafka_err2str(e)));
    }
    std::vector<PartitionWatermarks> out;
    for (int i = 0; i < md->topic_cnt; ++i) {
        const std::string name = md->topics[i].topic;
        if (std::find(topics.begin(), topics.end(), name) == topics.end()) continue;
        for (int p = 0; p < md->topics[i].partition_cnt; ++p) out.push_back({name, md->topics[i].partitions[p].id});
    }
    rd_kafka_metadata_destroy(md);
    for (PartitionWatermarks& w : out) {
        if (rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(client.get(), w.topic.c_str(), w.partition, &w.low,
                                                                     &w.high, k_broker_timeout_ms)) {
            throw std::runtime_error("cannot read the offsets of " + w.topic + "[" + std::to_string(w.partition) +
                                     "]: " + rd_kafka_err2str(e));
        }
    }
    std::sort(out.begin(), out.end(), [](const PartitionWatermarks& a, const PartitionWatermarks& b) {
        return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
    });
    return out;
}

std::optional<std::string> retention_refusal(const std::string& plugin, const std::vector<PartitionWatermarks>& marks) {
    std::string gone;
    std::size_t count = 0;
    for (const PartitionWatermarks& w : marks) {
        if (w.low <= 0) continue;
        if (++count <= 10) {
            gone += (gone.empty() ? "" : ", ") + w.topic + "[" + std::to_string(w.partition) + "] starts at offset " +
                    std::to_string(w.low);
        }
    }
    if (count == 0) return std::nullopt;
    if (count > 10) gone += " and " + std::to_string(count - 10) + " more partition(s)";
    return "cannot rebuild " + plugin + " from the start of the stream: Kafka's retention removed its beginning (" +
           gone +
           "); the events before those offsets would be missing. Republish the event store instead: post-command's "
           "restoreReadDb (POST /api/v1/restoreReadDb) sends every stored event again";
}

}  // namespace fanout::daemon
