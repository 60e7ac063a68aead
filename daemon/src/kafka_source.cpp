#include "kafka_source.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "log.hpp"

namespace fanout::daemon {
namespace {

constexpr std::chrono::milliseconds k_idle_poll{100};
constexpr std::chrono::milliseconds k_nudge_interval{10};
constexpr int k_seek_timeout_ms = 10'000;
constexpr std::chrono::seconds k_redrive_recheck{5};
constexpr int k_redrive_check_timeout_ms = 500;

/// A committed offset was read for the partition.
bool has_committed_offset(const rd_kafka_topic_partition_t& p) { return p.err == RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0; }

}  // namespace

std::string partition_names(const rd_kafka_topic_partition_list_t* list) {
    std::string out;
    for (int i = 0; i < list->cnt; ++i) {
        if (!out.empty()) out += ',';
        out += std::string(list->elems[i].topic) + "[" + std::to_string(list->elems[i].partition) + "]";
    }
    return out.empty() ? "none" : out;
}

KafkaSource::KafkaSource(const DaemonSettings& daemon, const PluginSettings& settings, std::string group_id,
                         AtomicCounter& fetch_wakeups)
    : daemon_(daemon), settings_(settings), group_id_(std::move(group_id)), fetch_wakeups_(fetch_wakeups) {}

void KafkaSource::open(bool checkpointing, RebalanceHandler& handler) {
    handler_ = &handler;
    const std::vector<std::pair<std::string, std::string>> overrides = {
        {"group.id", group_id_},
        {"client.id", "fanoutd-" + settings_.name},
        {"enable.auto.commit", "true"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
        {"partition.assignment.strategy", "cooperative-sticky"},
        // A plugin that owns its checkpoints must never be moved silently: an
        // offset out of range becomes an error event that stops it.
        {"auto.offset.reset", checkpointing                               ? "error"
                              : settings_.start_from == StartFrom::latest ? "latest"
                                                                          : "earliest"},
    };
    // Every plugin has its own consumer: librdkafka's 64 MB prefetch queue
    // per consumer would dominate memory. 16 MB kept the measured rate
    // (bench/README.md); below that, fetch pauses halve it.
    // A topic created after fanoutd subscribed (or one that came back) is
    // seen at the next metadata refresh: 10 s rather than librdkafka's 5 min.
    const KafkaProperties defaults = {{"queued.max.messages.kbytes", "16384"},
                                      {"topic.metadata.refresh.interval.ms", "10000"}};
    KafkaConf conf = make_kafka_conf(daemon_.kafka, overrides, daemon_.file, defaults);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaSource::rebalance_trampoline);
    rd_kafka_conf_set_log_cb(conf.get(), &log_from_kafka);
    rd_kafka_conf_set_opaque(conf.get(), this);
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err);
    if (rk == nullptr) throw std::runtime_error(std::string("cannot create the Kafka consumer: ") + err);
    conf.release();  // rd_kafka_new took it
    consumer_.reset(rk);
    rd_kafka_poll_set_consumer(rk);
    queue_.reset(rd_kafka_queue_get_consumer(rk));

    const std::optional<bool> redrive = redrive_topic_exists();
    if (!redrive) next_redrive_check_ = Clock::now() + k_redrive_recheck;
    subscribe(redrive.value_or(false));
}

void KafkaSource::subscribe(bool with_redrive) {
    PartitionList topics = make_partition_list(static_cast<int>(settings_.topics.size()) + 1);
    for (const auto& t : settings_.topics) rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    const bool listed = std::find(settings_.topics.begin(), settings_.topics.end(), settings_.redrive_topic) !=
                        settings_.topics.end();
    if (with_redrive && !listed) {
        rd_kafka_topic_partition_list_add(topics.get(), settings_.redrive_topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (rd_kafka_resp_err_t e = rd_kafka_subscribe(consumer_.get(), topics.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(std::string("cannot subscribe: ") + rd_kafka_err2str(e));
    }
    following_redrive_ = with_redrive;
    if (with_redrive) log().info("[{}] following its redrive topic {}", settings_.name, settings_.redrive_topic);
}

std::optional<bool> KafkaSource::redrive_topic_exists() const {
    if (settings_.redrive_topic.empty()) return false;
    const rd_kafka_metadata_t* md = nullptr;
    // Every topic: asking for one by name could create it on a broker that
    // creates topics on demand.
    // Briefly: the pipeline thread waits for it, and a broker that is down
    // must not hold its start or its stop (checked again in 5 s).
    if (rd_kafka_resp_err_t e = rd_kafka_metadata(consumer_.get(), 1, nullptr, &md, k_redrive_check_timeout_ms); e) {
        log().debug("[{}] cannot check for its redrive topic (again in 5 s): {}", settings_.name,
                   rd_kafka_err2str(e));
        return std::nullopt;
    }
    bool found = false;
    for (int i = 0; i < md->topic_cnt && !found; ++i) found = settings_.redrive_topic == md->topics[i].topic;
    rd_kafka_metadata_destroy(md);
    return found;
}

void KafkaSource::follow_redrive_topic(bool asked) {
    if (following_redrive_ || (!asked && Clock::now() < next_redrive_check_)) return;
    const std::optional<bool> exists = redrive_topic_exists();
    next_redrive_check_ = exists ? Clock::time_point::max() : Clock::now() + k_redrive_recheck;
    if (!exists.value_or(false)) return;
    try {
        subscribe(true);
    } catch (const std::exception& e) {
        log().error("[{}] {} (retried in 5 s)", settings_.name, e.what());
        next_redrive_check_ = Clock::now() + k_redrive_recheck;
    }
}

void KafkaSource::start_redrive_at_beginning(rd_kafka_topic_partition_list_t* assigned) {
    if (settings_.start_from != StartFrom::latest) return;  // an unknown position resets to the beginning anyway
    PartitionList redrive = make_partition_list();
    for (int i = 0; i < assigned->cnt; ++i) {
        if (settings_.redrive_topic == assigned->elems[i].topic) {
            rd_kafka_topic_partition_list_add(redrive.get(), assigned->elems[i].topic, assigned->elems[i].partition);
        }
    }
    if (redrive->cnt == 0) return;
    if (rd_kafka_resp_err_t e = rd_kafka_committed(consumer_.get(), redrive.get(), k_seek_timeout_ms); e) {
        log().warn("[{}] cannot read the committed offsets of {}: it starts at its beginning", settings_.name,
                   settings_.redrive_topic);
    }
    for (int i = 0; i < redrive->cnt; ++i) {
        if (has_committed_offset(redrive->elems[i])) continue;
        rd_kafka_topic_partition_t* p =
            rd_kafka_topic_partition_list_find(assigned, redrive->elems[i].topic, redrive->elems[i].partition);
        if (p != nullptr) p->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
}

void KafkaSource::close(std::chrono::milliseconds drain_timeout) {
    queue_.reset();
    if (!consumer_) return;
    commit("final commit");
    // Leaves the group (revoke callback commits again, harmlessly); a consumer
    // still joining is first let finish its first rebalance.
    close_consumer(
        consumer_, [this] { return rebalanced_; }, std::min(k_first_rebalance_wait, drain_timeout / 2),
        settings_.name);
}

void KafkaSource::discard() noexcept {
    queue_.reset();
    consumer_.reset();
}

void KafkaSource::rebalance_trampoline(rd_kafka_t*, rd_kafka_resp_err_t err,
                                       rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<KafkaSource*>(opaque);
    self->rebalanced_ = true;  // from now on the consumer may be destroyed: see close_consumer()
    self->handler_->on_rebalance(err, partitions);
}

std::chrono::milliseconds KafkaSource::poll_timeout() const {
    auto timeout = k_idle_poll;
    const auto now = Clock::now();
    for (const auto& p : paused_) {
        timeout = std::min(timeout, std::max(std::chrono::milliseconds(0),
                                             std::chrono::duration_cast<std::chrono::milliseconds>(p.resume_at - now)));
    }
    return timeout;
}

rd_kafka_message_t* KafkaSource::poll_waiting(bool first, Clock::time_point deadline) {
    std::chrono::milliseconds timeout = poll_timeout();
    if (first) {
        // About to wait for events: make sure the fetchers are not asleep.
        nudge_fetchers();
        if (consumed_since_nudge_) {
            const auto until_nudge = std::chrono::duration_cast<std::chrono::milliseconds>(next_nudge_ - Clock::now()) +
                                     std::chrono::milliseconds(1);
            timeout = std::clamp(until_nudge, std::chrono::milliseconds(0), timeout);
        }
    } else {
        timeout = std::max(std::chrono::milliseconds(0),
                           std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    }
    return rd_kafka_consumer_poll(consumer_.get(), static_cast<int>(timeout.count()));
}

void KafkaSource::nudge_fetchers() {
    // librdkafka 2.0 stops fetching a partition while the consumer's local
    // queue is over its limit and decides again only when its broker thread
    // wakes up, at the latest a second later: a plugin slower than the
    // fetcher drains the queue, then idles for the rest of that second. Any
    // request to a leader wakes its thread, which then fetches at once. A
    // ListOffsets request is the cheapest: sent without waiting, its answer
    // dropped. Only after events arrived (an idle consumer is not held back:
    // its queue is empty, so its fetches go on), while less than one batch is
    // queued, and at most every k_nudge_interval.
    if (!consumed_since_nudge_ || queue_ == nullptr) return;
    const auto now = Clock::now();
    if (now < next_nudge_) return;
    if (rd_kafka_queue_length(queue_.get()) >= settings_.batch_max_events) return;
    consumed_since_nudge_ = false;
    next_nudge_ = now + k_nudge_interval;
    PartitionList partitions = assignment();
    if (partitions->cnt == 0) return;
    for (int i = 0; i < partitions->cnt; ++i) partitions->elems[i].offset = RD_KAFKA_OFFSET_END;
    // Timeout 0: returns at once with a timeout error, the requests are sent.
    rd_kafka_offsets_for_times(consumer_.get(), partitions.get(), 0);
    fetch_wakeups_.add(1);
}

void KafkaSource::rewind(const std::string& topic, std::int32_t partition, std::int64_t offset,
                         Clock::time_point resume_at) {
    PartitionList list = make_partition_list(1);
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = offset;
    // Pause first so nothing more is fetched, then rewind to the failed event.
    rd_kafka_pause_partitions(consumer_.get(), list.get());
    list->elems[0].offset = offset;
    if (rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer_.get(), list.get(), k_seek_timeout_ms)) {
        log().error("[{}] seek failed topic={} partition={} offset={}: {}", settings_.name, topic, partition, offset,
                    rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log().error("[{}] seek failed topic={} partition={} offset={}: {}", settings_.name, topic, partition, offset,
                    rd_kafka_err2str(list->elems[0].err));
    }
    std::erase_if(paused_, [&](const Paused& p) { return p.topic == topic && p.partition == partition; });
    paused_.push_back({topic, partition, resume_at});
}

void KafkaSource::resume_due_partitions() {
    if (paused_.empty()) return;
    const auto now = Clock::now();
    PartitionList list = make_partition_list();
    std::erase_if(paused_, [&](const Paused& p) {
        if (p.resume_at > now) return false;
        rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition);
        return true;
    });
    if (list->cnt > 0) rd_kafka_resume_partitions(consumer_.get(), list.get());
}

void KafkaSource::pause_assigned() {
    PartitionList list = assignment();
    if (list->cnt > 0) rd_kafka_pause_partitions(consumer_.get(), list.get());
}

void KafkaSource::resume_assigned(const std::function<bool(std::string_view, std::int32_t)>& held) {
    PartitionList assigned = assignment();
    PartitionList list = make_partition_list();
    for (int i = 0; i < assigned->cnt; ++i) {
        const rd_kafka_topic_partition_t& tp = assigned->elems[i];
        if (paused(tp.topic, tp.partition) || held(tp.topic, tp.partition)) continue;
        rd_kafka_topic_partition_list_add(list.get(), tp.topic, tp.partition);
    }
    if (list->cnt > 0) rd_kafka_resume_partitions(consumer_.get(), list.get());
}

bool KafkaSource::waiting() const noexcept {
    return queue_ != nullptr && rd_kafka_queue_length(queue_.get()) > 0;
}

bool KafkaSource::paused(std::string_view topic, std::int32_t partition) const {
    return std::any_of(paused_.begin(), paused_.end(),
                       [&](const Paused& p) { return p.partition == partition && p.topic == topic; });
}

void KafkaSource::store_offsets(std::span<const OutcomeLedger::NextOffset> offsets) {
    if (offsets.empty()) return;
    PartitionList list = make_partition_list(static_cast<int>(offsets.size()));
    for (const OutcomeLedger::NextOffset& n : offsets) {
        const std::string topic(n.topic);
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), n.partition)->offset = n.next_offset;
    }
    if (rd_kafka_resp_err_t e = rd_kafka_offsets_store(consumer_.get(), list.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        // Partitions revoked meanwhile: the new owner replays them.
        log().warn("[{}] could not store offsets for {}: {}", settings_.name, partition_names(list.get()),
                   rd_kafka_err2str(e));
    }
}

void KafkaSource::commit(std::string_view what) {
    const rd_kafka_resp_err_t e = rd_kafka_commit(consumer_.get(), nullptr, 0);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        log().warn("[{}] {} failed: {}", settings_.name, what, rd_kafka_err2str(e));
    }
}

PartitionList KafkaSource::assignment() const {
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (rd_kafka_assignment(consumer_.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR || raw == nullptr) {
        return make_partition_list();
    }
    return PartitionList(raw);
}

std::pair<bool, std::vector<PartitionStatus>> KafkaSource::membership() const {
    rd_kafka_t* rk = consumer_.get();
    bool joined = false;
    if (char* member = rd_kafka_memberid(rk)) {
        joined = *member != '\0';
        rd_kafka_mem_free(rk, member);
    }
    std::vector<PartitionStatus> assigned;
    PartitionList list = assignment();
    rd_kafka_position(rk, list.get());
    for (int i = 0; i < list->cnt; ++i) {
        PartitionStatus ps;
        ps.topic = list->elems[i].topic;
        ps.partition = list->elems[i].partition;
        ps.position = list->elems[i].offset;
        std::int64_t low = -1, high = -1;
        // Cached from fetch responses: no broker round trip.
        if (rd_kafka_get_watermark_offsets(rk, ps.topic.c_str(), ps.partition, &low, &high) ==
                RD_KAFKA_RESP_ERR_NO_ERROR &&
            high >= 0) {
            ps.high_watermark = high;
            if (ps.position >= 0) ps.lag = std::max<std::int64_t>(0, high - ps.position);
        }
        assigned.push_back(std::move(ps));
    }
    return {joined, std::move(assigned)};
}

rd_kafka_resp_err_t KafkaSource::query_watermarks(const char* topic, std::int32_t partition, std::int64_t& low,
                                                  std::int64_t& high) const {
    constexpr int k_watermark_timeout_ms = 10'000;
    return rd_kafka_query_watermark_offsets(consumer_.get(), topic, partition, &low, &high, k_watermark_timeout_ms);
}

std::string KafkaSource::fatal_error() const {
    char fatal[256];
    if (rd_kafka_fatal_error(consumer_.get(), fatal, sizeof fatal) == RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    return fatal;
}

bool KafkaSource::cooperative() const {
    return std::strcmp(rd_kafka_rebalance_protocol(consumer_.get()), "COOPERATIVE") == 0;
}

}  // namespace fanout::daemon
