#include "pipeline.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

#include "checkpoint_coordinator.hpp"
#include "log.hpp"

namespace fanout::daemon {
namespace {

using Clock = std::chrono::steady_clock;

static_assert(k_offset_beginning == RD_KAFKA_OFFSET_BEGINNING && k_offset_end == RD_KAFKA_OFFSET_END);

constexpr std::chrono::milliseconds k_idle_poll{100};
constexpr std::chrono::milliseconds k_nudge_interval{10};

// At debug level, one line per batch handed to the plugin: each partition's
// first and last offset and the wall-clock time in microseconds, so a
// benchmark can place an event's delivery without changing what runs.
void log_batch_handed(const std::string& plugin, std::span<const Event* const> events) {
    std::map<std::pair<std::string_view, std::int32_t>, std::pair<std::int64_t, std::int64_t>> spans;
    for (const Event* e : events) {
        auto [it, added] = spans.try_emplace({e->topic(), e->partition()}, e->offset(), e->offset());
        if (!added) it->second.second = std::max(it->second.second, e->offset());
    }
    std::string text;
    for (const auto& [tp, span] : spans) {
        fmt::format_to(std::back_inserter(text), "{}{}/{}:{}-{}", text.empty() ? "" : ",", tp.first, tp.second,
                       span.first, span.second);
    }
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    log().debug("[{}] batch handed at_us={} events={} spans={}", plugin,
                std::chrono::duration_cast<std::chrono::microseconds>(now).count(), events.size(), text);
}

void log_from_kafka(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
    const spdlog::level::level_enum lvl = level <= 3 ? spdlog::level::err
                                          : level <= 4 ? spdlog::level::warn
                                          : level <= 6 ? spdlog::level::info
                                                       : spdlog::level::debug;
    log().log(lvl, "[{}] kafka {}: {}", rd_kafka_name(rk), facility, message);
}

constexpr int k_watermark_timeout_ms = 10'000;

/// Lag of a held partition waiting at `offset`: never 0, so a held partition
/// never reads as caught up. Before the log's start: everything from there
/// to the end; beyond the end (topic recreated): the events the log holds.
std::int64_t held_lag(std::int64_t offset, std::int64_t low, std::int64_t high) {
    if (high < 0 || offset < 0) return 1;
    if (offset > high) return std::max<std::int64_t>(1, high - std::max<std::int64_t>(low, 0));
    return std::max<std::int64_t>(1, high - offset);
}

std::string partition_names(const rd_kafka_topic_partition_list_t* list) {
    std::string out;
    for (int i = 0; i < list->cnt; ++i) {
        if (!out.empty()) out += ',';
        out += std::string(list->elems[i].topic) + "[" + std::to_string(list->elems[i].partition) + "]";
    }
    return out.empty() ? "none" : out;
}

}  // namespace

const char* to_string(PipelineState state) noexcept {
    switch (state) {
        case PipelineState::created: return "created";
        case PipelineState::starting: return "starting";
        case PipelineState::running: return "running";
        case PipelineState::stopping: return "stopping";
        case PipelineState::stopped: return "stopped";
        case PipelineState::failed: return "failed";
    }
    return "unknown";
}

const char* to_string(HoldReason reason) noexcept {
    switch (reason) {
        case HoldReason::retry: return "retry";
        case HoldReason::dead_letter_failed: return "dead_letter_failed";
        case HoldReason::permanent_failure: return "permanent_failure";
        case HoldReason::checkpoint_out_of_range: return "checkpoint_out_of_range";
        case HoldReason::offset_reset: return "offset_reset";
        case HoldReason::stopped: return "stopped";
    }
    return "unknown";
}

Pipeline::Pipeline(std::shared_ptr<const DaemonSettings> daemon, PluginSettings plugin, std::unique_ptr<PluginFactory> factory,
                   DeadLetterSink& dead_letters, HostServices& services, MetricsRegistry& metrics)
    : daemon_(std::move(daemon)),
      settings_(std::move(plugin)),
      group_id_(daemon_->group_id(settings_)),
      dead_letters_(dead_letters),
      services_(services),
      counters_(metrics, settings_.name),
      context_(settings_.name, group_id_, metrics),
      factory_(std::move(factory)),
      ledger_(settings_.retry) {
    batch_.reserve(settings_.batch_max_events);
    incoming_.reserve(settings_.batch_max_events);
}

Pipeline::~Pipeline() {
    request_stop();
    if (thread_.joinable()) thread_.join();
}

void Pipeline::start() {
    set_state(PipelineState::starting);
    thread_ = std::thread([this] { run(); });
}

void Pipeline::request_stop() noexcept { stop_requested_.store(true, std::memory_order_release); }

void Pipeline::request_reload() noexcept { reload_requested_.store(true, std::memory_order_release); }

PipelineState Pipeline::wait_started(Clock::time_point deadline) {
    std::unique_lock lock(state_mutex_);
    state_changed_.wait_until(lock, deadline, [&] { return state_ != PipelineState::starting; });
    // A plugin that started and stopped since (a checkpoint out of range
    // found at its first assignment) did start: the daemon runs on.
    return ran_ ? PipelineState::running : state_;
}

bool Pipeline::wait_finished(Clock::time_point deadline) {
    std::unique_lock lock(state_mutex_);
    if (!state_changed_.wait_until(lock, deadline, [&] { return finished_; })) return false;
    lock.unlock();
    if (thread_.joinable()) thread_.join();
    return true;
}

PipelineStatus Pipeline::status() const {
    std::lock_guard lock(state_mutex_);
    PipelineStatus status{state_, joined_, assignment_, last_error_, reloads_};
    for (const Hold& h : holds_) {
        auto it = std::find_if(status.assignment.begin(), status.assignment.end(), [&](const PartitionStatus& ps) {
            return ps.partition == h.partition && ps.topic == h.topic;
        });
        if (it == status.assignment.end()) {
            // No longer assigned (the plugin stopped): what was known when it stopped.
            it = status.assignment.emplace(status.assignment.end());
            it->topic = h.topic;
            it->partition = h.partition;
            it->high_watermark = h.high;
        }
        it->position = h.offset;
        if (h.high >= 0 && (h.reason == HoldReason::checkpoint_out_of_range || h.reason == HoldReason::offset_reset)) {
            it->high_watermark = h.high;  // asked of the leader when it stopped
        }
        if (h.low >= 0) it->low_watermark = h.low;
        it->lag = held_lag(h.offset, it->low_watermark, it->high_watermark);
        it->held = true;
        it->hold_reason = h.reason;
        it->hold_detail = h.detail;
    }
    return status;
}

void Pipeline::hold(Hold h) {
    std::lock_guard lock(state_mutex_);
    std::erase_if(holds_, [&](const Hold& o) { return o.partition == h.partition && o.topic == h.topic; });
    holds_.push_back(std::move(h));
    holding_ = true;
}

void Pipeline::release_holds(std::string_view topic, std::int32_t partition, std::int64_t next) {
    if (!holding_ || halted_) return;
    std::lock_guard lock(state_mutex_);
    std::erase_if(holds_, [&](const Hold& h) {
        return h.partition == partition && h.topic == topic && h.offset < next &&
               (h.reason == HoldReason::retry || h.reason == HoldReason::dead_letter_failed);
    });
    holding_ = !holds_.empty();
}

void Pipeline::halt(const std::string& error) {
    set_state(PipelineState::failed, error);
    halted_ = true;
}

void Pipeline::heartbeat() noexcept {
    heartbeat_ns_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
}

bool Pipeline::making_progress(std::chrono::milliseconds limit) const {
    const PipelineState s = state();
    if (s != PipelineState::running && s != PipelineState::stopping) return true;  // nothing to be stuck in
    const auto last = Clock::time_point(Clock::duration(heartbeat_ns_.load(std::memory_order_relaxed)));
    return Clock::now() - last <= limit;
}

void Pipeline::refresh_status(bool force) {
    const auto now = Clock::now();
    if (!force && now < next_status_refresh_) return;
    next_status_refresh_ = now + std::chrono::seconds(1);
    rd_kafka_t* rk = consumer_.get();
    bool joined = false;
    if (char* member = rd_kafka_memberid(rk)) {
        joined = *member != '\0';
        rd_kafka_mem_free(rk, member);
    }
    std::vector<PartitionStatus> assignment;
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (rd_kafka_assignment(rk, &raw) == RD_KAFKA_RESP_ERR_NO_ERROR && raw != nullptr) {
        PartitionList list(raw);
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
            assignment.push_back(std::move(ps));
        }
    }
    std::lock_guard lock(state_mutex_);
    joined_ = joined;
    assignment_ = std::move(assignment);
}

PipelineState Pipeline::state() const {
    std::lock_guard lock(state_mutex_);
    return state_;
}

std::string Pipeline::last_error() const {
    std::lock_guard lock(state_mutex_);
    return last_error_;
}

void Pipeline::set_state(PipelineState state, const std::string& error) {
    {
        std::lock_guard lock(state_mutex_);
        state_ = state;
        if (state == PipelineState::running) ran_ = true;
        if (!error.empty()) last_error_ = error;
    }
    state_changed_.notify_all();
}

void Pipeline::run() {
    try {
        plugin_ = factory_->create(context_, services_);
        checkpointing_ = plugin_->checkpointing();
        create_consumer();
    } catch (const std::exception& e) {
        log().error("[{}] failed to start: {}", settings_.name, e.what());
        consumer_queue_.reset();
        consumer_.reset();
        plugin_.reset();
        set_state(PipelineState::failed, e.what());
        std::lock_guard lock(state_mutex_);
        finished_ = true;
        state_changed_.notify_all();
        return;
    }
    log().info("[{}] started {} group={} topics={}", settings_.name, factory_->describe(), group_id_,
               fmt::join(settings_.topics, ","));
    heartbeat();
    set_state(PipelineState::running);
    if (settings_.batch_parse_ahead) {
        parse_ahead_ = std::make_unique<ParseAhead>([this](const EventRecord& e) {
            return settings_.event_types.empty() || settings_.wants_type(e.type());
        });
    }

    while (!stop_requested_.load(std::memory_order_acquire) && !halted_) {
        heartbeat();
        refresh_status();
        if (reload_requested_.exchange(false)) reload_plugin();
        resume_due_partitions();
        const bool overlap = parse_ahead_ && !batch_.empty();
        collect_batch(/*wait=*/!overlap);
        if (halted_) break;  // nothing more reaches the plugin
        nudge_fetchers();
        if (!overlap) {
            take_incoming();
            // With parse ahead, the next round first collects its successor.
            if (!parse_ahead_ && !batch_.empty()) process_batch();
            continue;
        }
        if (incoming_.empty()) {
            process_batch();
            continue;
        }
        parse_ahead_->start(incoming_);
        {
            struct Joined {
                ParseAhead& parser;
                ~Joined() { parser.wait(); }
            } joined{*parse_ahead_};
            process_batch();
        }
        if (!rewound_.empty()) {
            std::erase_if(incoming_, [&](const EventRecord& e) {
                return std::any_of(rewound_.begin(), rewound_.end(), [&](const auto& tp) {
                    return tp.second == e.partition() && tp.first == e.topic();
                });
            });
        }
        take_incoming();
    }
    parse_ahead_.reset();

    heartbeat();
    if (halted_) {
        // Every partition it had waits now, for an operator: keep saying so
        // (with lag) after the consumer is gone.
        refresh_status(/*force=*/true);
        std::vector<PartitionStatus> assigned;
        {
            std::lock_guard lock(state_mutex_);
            assigned = assignment_;
        }
        for (const PartitionStatus& ps : assigned) {
            std::lock_guard lock(state_mutex_);
            if (std::none_of(holds_.begin(), holds_.end(), [&](const Hold& h) {
                    return h.partition == ps.partition && h.topic == ps.topic;
                })) {
                holds_.push_back({ps.topic, ps.partition, ps.position, HoldReason::stopped,
                                  "the plugin stopped: " + last_error_, -1, ps.high_watermark});
            }
        }
    }
    set_state(halted_ ? PipelineState::failed : PipelineState::stopping);
    shutdown_consumer();
    plugin_.reset();
    log().info("[{}] stopped", settings_.name);
    std::lock_guard lock(state_mutex_);
    assignment_.clear();  // the consumer left its group
    joined_ = false;
    if (state_ != PipelineState::failed) state_ = PipelineState::stopped;
    finished_ = true;
    state_changed_.notify_all();
}

void Pipeline::create_consumer() {
    const std::vector<std::pair<std::string, std::string>> overrides = {
        {"group.id", group_id_},
        {"client.id", "fanoutd-" + settings_.name},
        {"enable.auto.commit", "true"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
        {"partition.assignment.strategy", "cooperative-sticky"},
        // A plugin that owns its checkpoints must never be moved silently: an
        // offset out of range becomes an error event that stops it.
        {"auto.offset.reset", checkpointing_ != nullptr                  ? "error"
                              : settings_.start_from == StartFrom::latest ? "latest"
                                                                          : "earliest"},
    };
    // Every plugin has its own consumer: librdkafka's 64 MB prefetch queue
    // per consumer would dominate memory. 16 MB kept the measured rate
    // (bench/README.md); below that, fetch pauses halve it.
    const KafkaProperties defaults = {{"queued.max.messages.kbytes", "16384"}};
    KafkaConf conf = make_kafka_conf(daemon_->kafka, overrides, daemon_->file, defaults);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &Pipeline::rebalance_trampoline);
    rd_kafka_conf_set_log_cb(conf.get(), &log_from_kafka);
    rd_kafka_conf_set_opaque(conf.get(), this);
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err);
    if (rk == nullptr) throw std::runtime_error(std::string("cannot create the Kafka consumer: ") + err);
    conf.release();  // rd_kafka_new took it
    consumer_.reset(rk);
    rd_kafka_poll_set_consumer(rk);
    consumer_queue_.reset(rd_kafka_queue_get_consumer(rk));

    PartitionList topics = make_partition_list(static_cast<int>(settings_.topics.size()));
    for (const auto& t : settings_.topics) rd_kafka_topic_partition_list_add(topics.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(std::string("cannot subscribe: ") + rd_kafka_err2str(e));
    }
}

std::chrono::milliseconds Pipeline::poll_timeout() const {
    auto timeout = k_idle_poll;
    const auto now = Clock::now();
    for (const auto& p : paused_) {
        timeout = std::min(timeout, std::max(std::chrono::milliseconds(0),
                                             std::chrono::duration_cast<std::chrono::milliseconds>(p.resume_at - now)));
    }
    return timeout;
}

rd_kafka_message_t* Pipeline::poll_for_batch(Clock::time_point deadline) {
    std::chrono::milliseconds timeout = poll_timeout();
    if (incoming_.empty()) {
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

void Pipeline::take_incoming() {
    std::swap(batch_, incoming_);
    batch_arena_ = 1 - batch_arena_;
    incoming_.clear();
}

void Pipeline::collect_batch(bool wait) {
    Clock::time_point deadline{};
    JsonArena& arena = arenas_[1 - batch_arena_];
    if (incoming_.empty()) arena.rewind();  // no event of an earlier batch is left in it
    while (incoming_.size() < settings_.batch_max_events && !halted_) {
        // While events are queued, take them without reading the clock.
        rd_kafka_message_t* raw = incoming_.empty() && wait ? nullptr : rd_kafka_consumer_poll(consumer_.get(), 0);
        if (raw == nullptr && !wait) return;
        if (raw == nullptr) raw = poll_for_batch(deadline);
        if (raw == nullptr) {
            if (incoming_.empty() || Clock::now() >= deadline) return;
            continue;
        }
        KafkaMessage message(raw);
        if (halted_) return;  // stopped in a rebalance callback: hand nothing more
        if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
            if (checkpointing_ != nullptr && message->rkt != nullptr &&
                (message->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
                 message->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE)) {
                on_offset_reset(message.get());
                return;
            }
            log().warn("[{}] consumer error: {}", settings_.name, rd_kafka_message_errstr(message.get()));
            char fatal[256];
            if (rd_kafka_fatal_error(consumer_.get(), fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                log().error("[{}] fatal consumer error, stopping the pipeline: {}", settings_.name, fatal);
                set_state(PipelineState::failed, fatal);
                halted_ = true;
                return;
            }
            continue;
        }
        if (incoming_.empty()) deadline = Clock::now() + settings_.batch_linger;
        incoming_.emplace_back(std::move(message), &arena);
        consumed_since_nudge_ = true;
        if (stop_requested_.load(std::memory_order_acquire)) return;
    }
}

void Pipeline::nudge_fetchers() {
    // librdkafka 2.0 stops fetching a partition while the consumer's local
    // queue is over its limit and decides again only when its broker thread
    // wakes up, at the latest a second later: a plugin slower than the
    // fetcher drains the queue, then idles for the rest of that second. Any
    // request to a leader wakes its thread, which then fetches at once. A
    // ListOffsets request is the cheapest: sent without waiting, its answer
    // dropped. Only after events arrived (an idle consumer is not held back:
    // its queue is empty, so its fetches go on), while less than one batch is
    // queued, and at most every k_nudge_interval.
    if (!consumed_since_nudge_ || consumer_queue_ == nullptr) return;
    const auto now = Clock::now();
    if (now < next_nudge_) return;
    if (rd_kafka_queue_length(consumer_queue_.get()) >= settings_.batch_max_events) return;
    consumed_since_nudge_ = false;
    next_nudge_ = now + k_nudge_interval;
    rd_kafka_topic_partition_list_t* assigned = nullptr;
    if (rd_kafka_assignment(consumer_.get(), &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR || assigned == nullptr) return;
    PartitionList partitions(assigned);
    if (partitions->cnt == 0) return;
    for (int i = 0; i < partitions->cnt; ++i) partitions->elems[i].offset = RD_KAFKA_OFFSET_END;
    // Timeout 0: returns at once with a timeout error, the requests are sent.
    rd_kafka_offsets_for_times(consumer_.get(), partitions.get(), 0);
    counters_.fetch_wakeups.add(1);
}

void Pipeline::invoke_plugin(std::span<const Event* const> events, std::span<Outcome> outcomes) {
    std::string error;
    try {
        plugin_->handle(events, outcomes);
        return;
    } catch (const std::exception& e) {
        error = e.what();
    } catch (...) {
        error = "unknown exception";
    }
    counters_.handler_exceptions.add(1);
    if (events.size() == 1) {
        outcomes[0] = Outcome::retry_later("handler threw: " + error);
        return;
    }
    // Find the event that throws: one at a time (at-least-once allows the replay).
    log().warn("[{}] handler threw on a batch of {} ({}); retrying one event at a time", settings_.name, events.size(),
                  error);
    for (std::size_t i = 0; i < events.size(); ++i) {
        outcomes[i] = Outcome::done();
        invoke_plugin(events.subspan(i, 1), outcomes.subspan(i, 1));
    }
}

void Pipeline::process_batch() {
    rewound_.clear();
    if (halted_) {  // stopped: nothing more reaches the plugin, nothing is stored
        batch_.clear();
        return;
    }
    counters_.batches.add(1);
    std::vector<const Event*> selected;
    std::vector<std::size_t> selected_index(batch_.size(), SIZE_MAX);
    selected.reserve(batch_.size());
    for (std::size_t i = 0; i < batch_.size(); ++i) {
        // Reading the type costs a header parse: only when a filter needs it.
        if (settings_.event_types.empty() || settings_.wants_type(batch_[i].type())) {
            selected_index[i] = selected.size();
            selected.push_back(&batch_[i]);
        }
    }
    std::vector<Outcome> outcomes(selected.size());
    if (!selected.empty()) {
        if (log().should_log(spdlog::level::debug)) log_batch_handed(settings_.name, selected);
        const auto started = Clock::now();
        invoke_plugin(selected, outcomes);
        counters_.handler_seconds.observe(std::chrono::duration<double>(Clock::now() - started).count());
        counters_.batch_size.observe(static_cast<double>(selected.size()));
        heartbeat();
    }

    // The ledger decides, per event in offset order, what its outcome means;
    // the pipeline carries it out (dead-letter topic, rewind) and stores the
    // offsets the batch reached.
    ledger_.begin_batch();
    for (std::size_t i = 0; i < batch_.size() && !halted_; ++i) {
        const EventRecord& event = batch_[i];
        const Outcome* outcome = selected_index[i] == SIZE_MAX ? nullptr : &outcomes[selected_index[i]];
        const std::optional<LedgerDecision> decision =
            ledger_.decide(event.topic(), event.partition(), event.offset(), outcome);
        if (!decision) continue;
        switch (decision->step) {
            case LedgerDecision::Step::advance: break;
            case LedgerDecision::Step::dead_letter:
                ledger_.dead_lettered(event.topic(), event.partition(), event.offset(),
                                      fail_permanently(event, decision->reason, decision->attempts));
                break;
            case LedgerDecision::Step::retry:
                counters_.events_retried.add(1);
                log().warn("[{}] retry later topic={} partition={} offset={} attempt={}/{} next_in={}ms reason={}",
                           settings_.name, event.topic(), event.partition(), event.offset(), decision->attempts,
                           settings_.retry.max_attempts, decision->delay.count(), decision->reason);
                schedule_retry(event, decision->delay, HoldReason::retry,
                               fmt::format("attempt {}/{}: {}", decision->attempts, settings_.retry.max_attempts,
                                           decision->reason));
                break;
        }
    }
    counters_.events_done.add(ledger_.done());
    counters_.events_filtered.add(ledger_.filtered());

    // Store after the plugin finished: a crash before this replays, never skips.
    const std::vector<OutcomeLedger::NextOffset> reached = ledger_.next_offsets();
    for (const OutcomeLedger::NextOffset& n : reached) release_holds(n.topic, n.partition, n.next_offset);
    store_offsets(consumer_.get(), reached);
    batch_.clear();
}

void Pipeline::store_offsets(rd_kafka_t* consumer, std::span<const OutcomeLedger::NextOffset> offsets) {
    if (offsets.empty()) return;
    PartitionList list = make_partition_list(static_cast<int>(offsets.size()));
    for (const OutcomeLedger::NextOffset& n : offsets) {
        const std::string topic(n.topic);
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), n.partition)->offset = n.next_offset;
    }
    if (rd_kafka_resp_err_t e = rd_kafka_offsets_store(consumer, list.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        // Partitions revoked meanwhile: the new owner replays them.
        log().warn("[{}] could not store offsets for {}: {}", settings_.name, partition_names(list.get()),
                   rd_kafka_err2str(e));
    }
}

bool Pipeline::fail_permanently(const EventRecord& event, const std::string& reason, int attempts) {
    if (settings_.on_permanent_error == OnPermanentError::stop) {
        log().error("[{}] permanent failure, stopping the pipeline (on_permanent_error: stop) topic={} partition={} "
                    "offset={} reason={}",
                    settings_.name, event.topic(), event.partition(), event.offset(), reason);
        hold({std::string(event.topic()), event.partition(), event.offset(), HoldReason::permanent_failure, reason, -1, -1});
        halt(reason);
        return false;
    }
    const DeadLetterResult sent = dead_letters_.send(event, {settings_.name, reason, attempts});
    if (sent.too_large) {
        // Not even the smallest copy fits: waiting cannot help, skipping would lose it.
        const std::string error =
            fmt::format("dead-letter topic {} refuses even a truncated copy of topic={} partition={} offset={}: {} "
                        "(raise its max.message.bytes and the producer's message.max.bytes)",
                        dead_letters_.topic(), event.topic(), event.partition(), event.offset(), sent.error);
        log().error("[{}] {}; stopping the pipeline", settings_.name, error);
        hold({std::string(event.topic()), event.partition(), event.offset(), HoldReason::dead_letter_failed, error, -1, -1});
        halt(error);
        return false;
    }
    if (!sent.ok()) {
        log().error("[{}] dead-letter produce failed, keeping the event topic={} partition={} offset={} error={}",
                    settings_.name, event.topic(), event.partition(), event.offset(), sent.error);
        schedule_retry(event, settings_.retry.max_backoff, HoldReason::dead_letter_failed,
                       "dead-letter produce failed: " + sent.error);
        return false;
    }
    counters_.events_dead_lettered.add(1);
    log().warn("[{}] dead-lettered{} topic={} partition={} offset={} size={} attempts={} to={} reason={}",
               settings_.name, sent.truncated ? " (truncated: too large whole)" : "", event.topic(),
               event.partition(), event.offset(), event.payload().size(), attempts, dead_letters_.topic(), reason);
    return true;
}

void Pipeline::schedule_retry(const EventRecord& event, std::chrono::milliseconds delay, HoldReason reason,
                              const std::string& detail) {
    const std::string topic(event.topic());
    hold({topic, event.partition(), event.offset(), reason, detail, -1, -1});
    PartitionList list = make_partition_list(1);
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), event.partition())->offset = event.offset();
    // Pause first so nothing more is fetched, then rewind to the failed event.
    rd_kafka_pause_partitions(consumer_.get(), list.get());
    list->elems[0].offset = event.offset();
    if (rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer_.get(), list.get(), 10'000)) {
        log().error("[{}] seek failed topic={} partition={} offset={}: {}", settings_.name, topic, event.partition(),
                    event.offset(), rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log().error("[{}] seek failed topic={} partition={} offset={}: {}", settings_.name, topic, event.partition(),
                    event.offset(), rd_kafka_err2str(list->elems[0].err));
    }
    std::erase_if(paused_, [&](const PausedPartition& p) { return p.topic == topic && p.partition == event.partition(); });
    paused_.push_back({topic, event.partition(), Clock::now() + delay});
    rewound_.emplace_back(topic, event.partition());
}

void Pipeline::resume_due_partitions() {
    if (paused_.empty()) return;
    const auto now = Clock::now();
    PartitionList list = make_partition_list();
    std::erase_if(paused_, [&](const PausedPartition& p) {
        if (p.resume_at > now) return false;
        rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition);
        return true;
    });
    if (list->cnt > 0) rd_kafka_resume_partitions(consumer_.get(), list.get());
}

void Pipeline::rebalance_trampoline(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
                                    void* opaque) {
    static_cast<Pipeline*>(opaque)->on_rebalance(err, partitions);
}

void Pipeline::apply_checkpoints(rd_kafka_topic_partition_list_t* partitions) {
    std::vector<TopicPartition> asked;
    for (int i = 0; i < partitions->cnt; ++i) asked.push_back({partitions->elems[i].topic, partitions->elems[i].partition});
    int attempt = 0;
    for (;;) {
        try {
            const std::vector<std::int64_t> starts =
                starting_offsets(asked, checkpointing_->on_assigned(asked), settings_.start_from);
            for (int i = 0; i < partitions->cnt; ++i) partitions->elems[i].offset = starts[static_cast<std::size_t>(i)];
            return;
        } catch (const std::exception& e) {
            ++attempt;
            const auto delay = settings_.retry.backoff_after(attempt);
            log().warn("[{}] loading checkpoints failed attempt={} next_in={}ms: {}", settings_.name, attempt,
                          delay.count(), e.what());
            const auto until = Clock::now() + delay;
            while (Clock::now() < until) {
                if (stop_requested_.load(std::memory_order_acquire)) throw;
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
    }
}

bool Pipeline::checkpoints_in_range(const rd_kafka_topic_partition_list_t* partitions) {
    std::vector<Hold> out_of_range;
    for (int i = 0; i < partitions->cnt; ++i) {
        const auto& e = partitions->elems[i];
        if (e.offset < 0) continue;  // a logical start: nothing to lose
        std::int64_t low = -1, high = -1;
        // Asked of the leader now: a watermark cached from before a topic
        // was recreated would let a stale checkpoint pass.
        for (int attempt = 1;; ++attempt) {
            const rd_kafka_resp_err_t err =
                rd_kafka_query_watermark_offsets(consumer_.get(), e.topic, e.partition, &low, &high, k_watermark_timeout_ms);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            const auto delay = settings_.retry.backoff_after(attempt);
            log().warn("[{}] reading the watermarks of {}[{}] failed attempt={} next_in={}ms: {}", settings_.name, e.topic,
                       e.partition, attempt, delay.count(), rd_kafka_err2str(err));
            const auto until = Clock::now() + delay;
            while (Clock::now() < until) {
                if (stop_requested_.load(std::memory_order_acquire)) throw std::runtime_error("stopping");
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        }
        if (auto problem = check_checkpoint(e.topic, e.partition, e.offset, low, high)) {
            out_of_range.push_back({e.topic, e.partition, e.offset, HoldReason::checkpoint_out_of_range,
                                    std::move(problem->detail), low, high});
        }
    }
    if (out_of_range.empty()) return true;
    for (const Hold& h : out_of_range) {
        log().error("[{}] {}; stopping this plugin instead of skipping (rebuild its projection: docs/operations.md)",
                    settings_.name, h.detail);
    }
    const std::string error = out_of_range.front().detail +
                              (out_of_range.size() > 1 ? fmt::format(" (and {} more partitions)", out_of_range.size() - 1)
                                                       : std::string());
    for (Hold& h : out_of_range) hold(std::move(h));
    halt(error);
    return false;
}

void Pipeline::on_offset_reset(const rd_kafka_message_t* message) {
    const std::string topic = rd_kafka_topic_name(message->rkt);
    std::int64_t low = -1, high = -1;
    rd_kafka_query_watermark_offsets(consumer_.get(), topic.c_str(), message->partition, &low, &high,
                                     k_watermark_timeout_ms);
    const std::string error =
        fmt::format("offset out of range: topic={} partition={} offset={} watermarks low={} high={}; the log no "
                    "longer holds the position this plugin resumes from (deleted by retention, or the topic was "
                    "recreated): {}",
                    topic, message->partition, message->offset, low, high, rd_kafka_message_errstr(message));
    log().error("[{}] {}; stopping this plugin instead of skipping (rebuild its projection: docs/operations.md)",
                settings_.name, error);
    hold({topic, message->partition, message->offset, HoldReason::offset_reset, error, low, high});
    halt(error);
}

void Pipeline::forget_partitions(const rd_kafka_topic_partition_list_t* partitions) {
    auto revoked = [&](std::string_view topic, std::int32_t partition) {
        for (int i = 0; i < partitions->cnt; ++i) {
            if (partitions->elems[i].partition == partition && topic == partitions->elems[i].topic) return true;
        }
        return false;
    };
    // Not yet handled, not yet stored: the next owner consumes them.
    std::erase_if(batch_, [&](const EventRecord& e) { return revoked(e.topic(), e.partition()); });
    std::erase_if(incoming_, [&](const EventRecord& e) { return revoked(e.topic(), e.partition()); });
    std::erase_if(paused_, [&](const PausedPartition& p) { return revoked(p.topic, p.partition); });
    ledger_.forget(revoked);
    if (holding_ && !halted_) {  // a stopped plugin's holds stay for the operator
        std::lock_guard lock(state_mutex_);
        std::erase_if(holds_, [&](const Hold& h) { return revoked(h.topic, h.partition); });
        holding_ = !holds_.empty();
    }
}

void Pipeline::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
    rebalanced_ = true;  // from now on the consumer may be destroyed: see close_consumer()
    rd_kafka_t* rk = consumer_.get();
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        bool in_range = true;
        if (checkpointing_ != nullptr) {
            try {
                apply_checkpoints(partitions);
                in_range = checkpoints_in_range(partitions);
            } catch (const std::exception&) {
                return;  // stopping: do not consume from a guessed position
            }
        }
        rd_kafka_error_t* error = nullptr;
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (cooperative) {
            error = rd_kafka_incremental_assign(rk, partitions);
        } else {
            e = rd_kafka_assign(rk, partitions);
        }
        if (error != nullptr) {
            log().error("[{}] incremental assign failed: {}", settings_.name, rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            return;
        }
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log().error("[{}] assign failed: {}", settings_.name, rd_kafka_err2str(e));
            return;
        }
        if (!in_range) {
            // Assigned (the group's state stays consistent) but never fetched:
            // the pipeline is stopping.
            rd_kafka_pause_partitions(rk, partitions);
            log().info("[{}] assigned {} and paused: stopping", settings_.name, partition_names(partitions));
            return;
        }
        if (checkpointing_ != nullptr) {
            // Report the plugin's position as the group's, so lag is right.
            std::vector<OutcomeLedger::NextOffset> positions;
            for (int i = 0; i < partitions->cnt; ++i) {
                if (partitions->elems[i].offset >= 0) {
                    positions.push_back({partitions->elems[i].topic, partitions->elems[i].partition,
                                         partitions->elems[i].offset});
                }
            }
            store_offsets(rk, positions);
        }
        log().info("[{}] assigned {} ({})", settings_.name, partition_names(partitions),
                   cooperative ? "cooperative" : "eager");
        return;
    }

    const bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk);
    if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        log().error("[{}] rebalance error: {}", settings_.name, rd_kafka_err2str(err));
    }
    forget_partitions(partitions);
    if (!lost) {
        // Commit what was handled so the next owner starts right after it.
        const rd_kafka_resp_err_t e = rd_kafka_commit(rk, nullptr, 0);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            log().warn("[{}] commit on revoke failed: {}", settings_.name, rd_kafka_err2str(e));
        }
    }
    if (checkpointing_ != nullptr) {
        std::vector<TopicPartition> revoked;
        for (int i = 0; i < partitions->cnt; ++i) revoked.push_back({partitions->elems[i].topic, partitions->elems[i].partition});
        try {
            checkpointing_->on_revoked(revoked);
        } catch (const std::exception& ex) {
            log().warn("[{}] on_revoked threw: {}", settings_.name, ex.what());
        }
    }
    if (cooperative) {
        if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk, partitions)) {
            log().error("[{}] incremental unassign failed: {}", settings_.name, rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
    } else {
        rd_kafka_assign(rk, nullptr);
    }
    log().info("[{}] {} {}", settings_.name, lost ? "lost" : "revoked", partition_names(partitions));
}

void Pipeline::reload_plugin() {
    std::unique_ptr<Plugin> fresh;
    try {
        fresh = factory_->create(context_, services_);
    } catch (const std::exception& e) {
        log().error("[{}] reload failed, keeping the running instance: {}", settings_.name, e.what());
        return;
    }
    // Between batches: everything handled is stored; make it committed too.
    const rd_kafka_resp_err_t e = rd_kafka_commit(consumer_.get(), nullptr, 0);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        log().warn("[{}] commit before reload failed: {}", settings_.name, rd_kafka_err2str(e));
    }
    plugin_ = std::move(fresh);
    checkpointing_ = plugin_->checkpointing();
    if (checkpointing_ != nullptr) {
        // The new instance owns the positions: rewind to its checkpoints.
        rd_kafka_topic_partition_list_t* raw = nullptr;
        if (rd_kafka_assignment(consumer_.get(), &raw) == RD_KAFKA_RESP_ERR_NO_ERROR && raw != nullptr) {
            PartitionList assigned(raw);
            if (assigned->cnt > 0) {
                // Consumed but not handled: redelivered from the checkpoints.
                batch_.clear();
                incoming_.clear();
                apply_checkpoints(assigned.get());
                if (!checkpoints_in_range(assigned.get())) {
                    rd_kafka_pause_partitions(consumer_.get(), assigned.get());
                } else if (rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer_.get(), assigned.get(), 10'000)) {
                    log().error("[{}] seek after reload failed: {}", settings_.name, rd_kafka_error_string(error));
                    rd_kafka_error_destroy(error);
                }
            }
        }
    }
    {
        std::lock_guard lock(state_mutex_);
        ++reloads_;
    }
    log().info("[{}] reloaded {}", settings_.name, factory_->describe());
}

void Pipeline::shutdown_consumer() {
    if (!consumer_) return;
    rd_kafka_t* rk = consumer_.get();
    const rd_kafka_resp_err_t e = rd_kafka_commit(rk, nullptr, 0);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        log().warn("[{}] final commit failed: {}", settings_.name, rd_kafka_err2str(e));
    }
    // Leaves the group (revoke callback commits again, harmlessly); a consumer
    // still joining is first let finish its first rebalance.
    consumer_queue_.reset();
    close_consumer(
        consumer_, [this] { return rebalanced_; }, std::min(k_first_rebalance_wait, daemon_->drain_timeout / 2),
        settings_.name);
}

}  // namespace fanout::daemon
