#include "pipeline.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "fanout/support/handle_batch.hpp"
#include "log.hpp"

namespace fanout::daemon {
namespace {

using Clock = std::chrono::steady_clock;

static_assert(k_offset_beginning == RD_KAFKA_OFFSET_BEGINNING && k_offset_end == RD_KAFKA_OFFSET_END);

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

}  // namespace

Pipeline::Pipeline(std::shared_ptr<const DaemonSettings> daemon, PluginSettings plugin, std::unique_ptr<PluginFactory> factory,
                   DeadLetterSink& dead_letters, HostServices& services, MetricsRegistry& metrics)
    : daemon_(std::move(daemon)),
      settings_(std::move(plugin)),
      group_id_(daemon_->group_id(settings_)),
      dead_letters_(dead_letters),
      services_(services),
      counters_(metrics, settings_.name),
      context_(settings_.name, daemon_->checkpoint_group(settings_), metrics),
      factory_(std::move(factory)),
      source_(*daemon_, settings_, group_id_, counters_.fetch_wakeups),
      buffers_(settings_.name, settings_.batch_max_events),
      ledger_(settings_.retry),
      checkpoints_(settings_, source_, status_, [this](const std::string& error) { halt(error); }) {
    status_.set_degraded_after(settings_.retry.degraded_after);
}

Pipeline::~Pipeline() {
    request_stop();
    if (thread_.joinable()) thread_.join();
}

void Pipeline::start() {
    status_.set_state(PipelineState::starting);
    thread_ = std::thread([this] { run(); });
}

void Pipeline::request_stop() noexcept { stop_requested_.store(true, std::memory_order_release); }

void Pipeline::request_reload() noexcept { reload_requested_.store(true, std::memory_order_release); }

PipelineState Pipeline::wait_started(Clock::time_point deadline) { return status_.wait_started(deadline); }

bool Pipeline::wait_finished(Clock::time_point deadline) {
    if (!status_.wait_finished(deadline)) return false;
    if (thread_.joinable()) thread_.join();
    return true;
}

void Pipeline::halt(const std::string& error) {
    status_.set_state(PipelineState::failed, error);
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
    auto [joined, assignment] = source_.membership();
    status_.set_membership(joined, std::move(assignment));
}

// The algorithm: collect the next batch while the plugin handles this one,
// hand it over, carry out what its outcomes mean, store the offsets reached.
void Pipeline::run() {
    if (!start_plugin()) return;
    while (!stop_requested_.load(std::memory_order_acquire) && !halted_) {
        heartbeat();
        refresh_status();
        if (reload_requested_.exchange(false)) reload_plugin();
        if (pause_requested_.load(std::memory_order_acquire) != paused_) apply_pause();
        source_.follow_redrive_topic(redrive_asked_.exchange(false, std::memory_order_acq_rel));
        if (paused_) source_.pause_assigned();  // also what a reload or a rebalance resumed
        if (!paused_) {
            checkpoints_.load_pending();
            source_.resume_due_partitions();
        }
        const bool overlap = !paused_ && buffers_.parse_ahead() && !buffers_.batch().empty();
        BatchBuffers::Interruption stop = buffers_.collect(source_, /*wait=*/!overlap, settings_.batch_linger,
                                                           checkpointing_ != nullptr, stop_requested_, halted_);
        if (stop.offset_reset) on_offset_reset(stop.offset_reset.get());
        if (!stop.fatal.empty()) {
            log().error("[{}] fatal consumer error, stopping the pipeline: {}", settings_.name, stop.fatal);
            halt(stop.fatal);
        }
        if (halted_) break;  // nothing more reaches the plugin
        if (paused_) continue;  // what a rebalance let through waits in the buffers
        source_.nudge_fetchers();
        if (!overlap) {
            buffers_.take_incoming();
            // With parse ahead, the next round first collects its successor.
            if (!buffers_.parse_ahead() && !buffers_.batch().empty()) process_batch();
        } else if (buffers_.incoming_empty()) {
            process_batch();
        } else {
            buffers_.overlap([this] { process_batch(); });
        }
        // Group commit only under a backlog: the batch handed over was full and
        // more events wait. A stream that does not fill its batches commits
        // each one, so its latency stays what it was.
        settle(!last_batch_full_ || (buffers_.batch().empty() && buffers_.incoming_empty() && !source_.waiting()));
    }
    finish_run();
}

bool Pipeline::start_plugin() {
    try {
        plugin_ = factory_->create(context_, services_);
        checkpointing_ = plugin_->checkpointing();
        checkpoints_.set_plugin(checkpointing_);
        source_.open(checkpointing_ != nullptr, *this);
    } catch (const std::exception& e) {
        log().error("[{}] failed to start: {}", settings_.name, e.what());
        source_.discard();
        plugin_.reset();
        status_.set_state(PipelineState::failed, e.what());
        status_.finish();
        return false;
    }
    log().info("[{}] started {} group={} topics={}", settings_.name, factory_->describe(), group_id_,
               fmt::join(settings_.topics, ","));
    heartbeat();
    status_.set_state(PipelineState::running);
    if (settings_.batch_parse_ahead) {
        buffers_.enable_parse_ahead([this](const EventRecord& e) {
            return settings_.event_types.empty() || settings_.wants_type(e.type());
        });
    }
    return true;
}

void Pipeline::finish_run() {
    buffers_.disable_parse_ahead();
    heartbeat();
    if (halted_) {
        // Every partition it had waits now, for an operator: keep saying so
        // (with lag) after the consumer is gone.
        refresh_status(/*force=*/true);
        status_.hold_assigned_on_stop();
    }
    status_.set_state(halted_ ? PipelineState::failed : PipelineState::stopping);
    settle_before_leaving();
    source_.close(daemon_->drain_timeout);
    plugin_.reset();
    log().info("[{}] stopped", settings_.name);
    status_.finish();
}

void Pipeline::apply_pause() {
    if (!paused_) {
        // Hand over the batch collected already: on resume each partition
        // continues after the last event polled, so none is skipped (events
        // still in the buffers wait there and go first).
        if (!buffers_.batch().empty()) process_batch();
        settle(/*idle=*/true);
        source_.pause_assigned();
        paused_ = true;
        status_.set_paused(true);
        log().info("[{}] paused by an operator: its partitions hold their positions", settings_.name);
        return;
    }
    paused_ = false;
    status_.set_paused(false);
    source_.resume_assigned([this](std::string_view topic, std::int32_t partition) {
        return checkpoints_.pending(topic, partition);
    });
    log().info("[{}] resumed by an operator", settings_.name);
}

void Pipeline::settle(bool idle) {
    if (checkpointing_ == nullptr || halted_) return;
    Checkpointing::Durability durability = Checkpointing::Durability::lost;
    try {
        durability = checkpointing_->between_batches(idle);
    } catch (const std::exception& e) {
        log().error("[{}] between_batches threw: {}", settings_.name, e.what());
    } catch (...) {
        log().error("[{}] between_batches threw", settings_.name);
    }
    if (durability == Checkpointing::Durability::kept) return;
    // Offsets stored since are ahead of what the plugin keeps: start again
    // from its checkpoints, as after a reload.
    log().warn("[{}] the plugin rolled back work it had reported done: reading every assigned partition again from "
               "its checkpoints",
               settings_.name);
    buffers_.clear();
    checkpoints_.reposition();
}

void Pipeline::settle_before_leaving() noexcept {
    if (checkpointing_ == nullptr) return;
    try {
        // A loss is read again from the checkpoints by whoever runs next.
        (void)checkpointing_->between_batches(true);
    } catch (...) {
        log().warn("[{}] between_batches threw before the plugin stopped", settings_.name);
    }
}

void Pipeline::invoke_plugin(std::span<const Event* const> events, std::span<Outcome> outcomes) {
    support::handle_batch(*plugin_, events, outcomes, [&](const std::string& error, std::size_t size) {
        counters_.handler_exceptions.add(1);
        if (size > 1) {
            log().warn("[{}] handler threw on a batch of {} ({}); retrying one event at a time", settings_.name, size,
                       error);
        }
    });
}

void Pipeline::process_batch() {
    std::vector<EventRecord>& batch = buffers_.batch();
    last_batch_full_ = batch.size() >= settings_.batch_max_events;
    if (halted_) {  // stopped: nothing more reaches the plugin, nothing is stored
        batch.clear();
        return;
    }
    counters_.batches.add(1);
    std::vector<const Event*> selected;
    std::vector<std::size_t> selected_index(batch.size(), SIZE_MAX);
    selected.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        // Reading the type costs a header parse: only when a filter needs it.
        if (settings_.event_types.empty() || settings_.wants_type(batch[i].type())) {
            selected_index[i] = selected.size();
            selected.push_back(&batch[i]);
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
    for (std::size_t i = 0; i < batch.size() && !halted_; ++i) {
        const EventRecord& event = batch[i];
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
            case LedgerDecision::Step::retry: {
                counters_.events_retried.add(1);
                // A transient failure (an outage) has no limit; failures count toward max_attempts.
                const std::string attempt =
                    decision->transient ? fmt::format("{} (transient)", decision->attempts)
                                        : fmt::format("{} (failures count to {})", decision->attempts,
                                                      settings_.retry.max_attempts);
                log().warn("[{}] retry later topic={} partition={} offset={} attempt={} next_in={}ms reason={}",
                           settings_.name, event.topic(), event.partition(), event.offset(), attempt,
                           decision->delay.count(), decision->reason);
                schedule_retry(event, decision->delay, HoldReason::retry, decision->transient,
                               fmt::format("attempt {}: {}", attempt, decision->reason));
                break;
            }
        }
    }
    counters_.events_done.add(ledger_.done());
    counters_.events_filtered.add(ledger_.filtered());

    // Store after the plugin finished: a crash before this replays, never skips.
    const std::vector<OutcomeLedger::NextOffset> reached = ledger_.next_offsets();
    if (!halted_) {
        for (const OutcomeLedger::NextOffset& n : reached) status_.release_retry_holds(n.topic, n.partition, n.next_offset);
    }
    source_.store_offsets(reached);
    batch.clear();
}

bool Pipeline::fail_permanently(const EventRecord& event, const std::string& reason, int attempts) {
    if (settings_.on_permanent_error == OnPermanentError::stop) {
        log().error("[{}] permanent failure, stopping the pipeline (on_permanent_error: stop) topic={} partition={} "
                    "offset={} reason={}",
                    settings_.name, event.topic(), event.partition(), event.offset(), reason);
        status_.hold({std::string(event.topic()), event.partition(), event.offset(), HoldReason::permanent_failure,
                      reason, -1, -1});
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
        status_.hold({std::string(event.topic()), event.partition(), event.offset(), HoldReason::dead_letter_failed,
                      error, -1, -1});
        halt(error);
        return false;
    }
    if (!sent.ok()) {
        log().error("[{}] dead-letter produce failed, keeping the event topic={} partition={} offset={} error={}",
                    settings_.name, event.topic(), event.partition(), event.offset(), sent.error);
        schedule_retry(event, settings_.retry.max_backoff, HoldReason::dead_letter_failed, /*transient=*/true,
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
                              bool transient, const std::string& detail) {
    std::string topic(event.topic());
    status_.hold({topic, event.partition(), event.offset(), reason, detail, -1, -1, transient});
    source_.rewind(topic, event.partition(), event.offset(), Clock::now() + delay);
    buffers_.rewound(std::move(topic), event.partition());
}

void Pipeline::on_offset_reset(const rd_kafka_message_t* message) {
    const std::string topic = rd_kafka_topic_name(message->rkt);
    std::int64_t low = -1, high = -1;
    source_.query_watermarks(topic.c_str(), message->partition, low, high);
    const std::string error =
        fmt::format("offset out of range: topic={} partition={} offset={} watermarks low={} high={}; the log no "
                    "longer holds the position this plugin resumes from (deleted by retention, or the topic was "
                    "recreated): {}",
                    topic, message->partition, message->offset, low, high, rd_kafka_message_errstr(message));
    log().error("[{}] {}; stopping this plugin instead of skipping (rebuild its projection: docs/operations.md)",
                settings_.name, error);
    status_.hold({topic, message->partition, message->offset, HoldReason::offset_reset, error, low, high});
    halt(error);
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
    settle_before_leaving();
    source_.commit("commit before reload");
    plugin_ = std::move(fresh);
    checkpointing_ = plugin_->checkpointing();
    checkpoints_.set_plugin(checkpointing_);
    if (checkpointing_ != nullptr) {
        // The new instance owns the positions: consumed but not handled
        // events come again from its checkpoints.
        buffers_.clear();
        checkpoints_.reposition();
    }
    status_.count_reload();
    log().info("[{}] reloaded {}", settings_.name, factory_->describe());
}

// Inside a poll, on the pipeline thread.
void Pipeline::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assign(partitions);
    } else {
        revoke(err, partitions);
    }
}

void Pipeline::assign(rd_kafka_topic_partition_list_t* partitions) {
    rd_kafka_t* rk = source_.handle();
    const bool cooperative = source_.cooperative();
    if (checkpointing_ == nullptr) source_.start_redrive_at_beginning(partitions);
    const CheckpointCoordinator::Start start =
        checkpointing_ != nullptr ? checkpoints_.on_assigned(partitions) : CheckpointCoordinator::Start::consume;
    if (cooperative) {
        if (rd_kafka_error_t* error = rd_kafka_incremental_assign(rk, partitions)) {
            log().error("[{}] incremental assign failed: {}", settings_.name, rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            return;
        }
    } else if (const rd_kafka_resp_err_t e = rd_kafka_assign(rk, partitions); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log().error("[{}] assign failed: {}", settings_.name, rd_kafka_err2str(e));
        return;
    }
    if (start == CheckpointCoordinator::Start::paused) {
        // Assigned (the group's state stays consistent) but not fetched: the
        // checkpoints are pending, or out of range and the pipeline stops.
        rd_kafka_pause_partitions(rk, partitions);
        log().info("[{}] assigned {} and paused{}", settings_.name, partition_names(partitions),
                   halted_ ? ": stopping" : " until its checkpoints load");
        return;
    }
    // Report the plugin's position as the group's, so lag is right.
    if (checkpointing_ != nullptr) checkpoints_.report_positions(partitions);
    log().info("[{}] assigned {} ({})", settings_.name, partition_names(partitions),
               cooperative ? "cooperative" : "eager");
}

void Pipeline::revoke(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
    rd_kafka_t* rk = source_.handle();
    const bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk);
    if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        log().error("[{}] rebalance error: {}", settings_.name, rd_kafka_err2str(err));
    }
    const auto revoked = [&](std::string_view topic, std::int32_t partition) {
        for (int i = 0; i < partitions->cnt; ++i) {
            if (partitions->elems[i].partition == partition && topic == partitions->elems[i].topic) return true;
        }
        return false;
    };
    // Not yet handled, not yet stored: the next owner consumes them.
    buffers_.forget(revoked);
    source_.forget_paused(revoked);
    ledger_.forget(revoked);
    if (!halted_) status_.forget_holds(revoked);  // a stopped plugin's holds stay for the operator
    // Commit what was handled so the next owner starts right after it.
    if (!lost) source_.commit("commit on revoke");
    if (checkpointing_ != nullptr) checkpoints_.on_revoked(partitions);
    if (source_.cooperative()) {
        if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk, partitions)) {
            log().error("[{}] incremental unassign failed: {}", settings_.name, rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
    } else {
        rd_kafka_assign(rk, nullptr);
    }
    log().info("[{}] {} {}", settings_.name, lost ? "lost" : "revoked", partition_names(partitions));
}

}  // namespace fanout::daemon
