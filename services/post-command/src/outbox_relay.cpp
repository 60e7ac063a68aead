#include "outbox_relay.hpp"

#include <algorithm>

#include "envelope.hpp"
#include "log.hpp"

namespace fanout::post_command {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds k_gap_recheck{20};
constexpr milliseconds k_min_backoff{100};
constexpr milliseconds k_max_backoff{5000};
constexpr milliseconds k_standby_recheck{1000};

/// The length of the run of `rows` whose sequences follow `after` without a hole.
std::size_t contiguous_prefix(const std::vector<StoredEvent>& rows, std::int64_t after) {
    std::size_t n = 0;
    while (n < rows.size() && rows[n].global_sequence == after + 1) {
        after = rows[n].global_sequence;
        ++n;
    }
    return n;
}

}  // namespace

OutboxRelay::OutboxRelay(StoreLocation location, SqliteTuning tuning, KafkaSettings kafka, RelaySettings settings,
                         RestoreJob& restore)
    : location_(std::move(location)),
      tuning_(std::move(tuning)),
      kafka_(std::move(kafka)),
      settings_(settings),
      restore_(restore) {}

OutboxRelay::~OutboxRelay() { stop(milliseconds(0)); }

void OutboxRelay::start() {
    thread_ = std::thread([this] { run(); });
}

void OutboxRelay::notify() {
    {
        std::lock_guard lock(wake_mutex_);
        notified_ = true;
    }
    wake_.notify_one();
}

void OutboxRelay::stop(milliseconds drain_timeout) {
    if (!stopping_.exchange(true)) {
        drain_deadline_.store((Clock::now() + drain_timeout).time_since_epoch().count());
    }
    notify();
    if (thread_.joinable()) thread_.join();
}

RelayStatus OutboxRelay::status() const {
    std::lock_guard lock(status_mutex_);
    return status_;
}

void OutboxRelay::set_role(const std::string& role) {
    std::lock_guard lock(status_mutex_);
    status_.role = role;
}

bool OutboxRelay::give_up() {
    // Called every ~100 ms while a publish waits for the broker: the lag
    // stays visible during an outage. Must not throw (librdkafka holds
    // pointers into the publish in progress).
    try {
        log_lag();
    } catch (const std::exception&) {
        reader_->mark_broken();
    }
    return stopping_.load() && Clock::now().time_since_epoch().count() >= drain_deadline_.load();
}

void OutboxRelay::pause(milliseconds duration) {
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, duration, [this] { return notified_ || reports_ready_ || stopping_.load(); });
    notified_ = false;
}

void OutboxRelay::linger(milliseconds duration) {
    // Not cut short by notify(): the point is to let commits accumulate.
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, duration, [this] { return stopping_.load(); });
}

void OutboxRelay::run() {
    reader_ = std::make_unique<EventReader>(location_, tuning_);
    next_lag_log_ = Clock::now() + settings_.lag_log_interval;
    while (!stopping_.load()) {
        bool progressed = false;
        try {
            if (!publisher_ || publisher_->fatal()) {
                if (publisher_) {
                    log().error("relay: the Kafka producer hit a fatal error; replacing it");
                    reset_in_flight();
                }
                publisher_ = std::make_unique<KafkaPublisher>(kafka_, "post-command-relay", [this] {
                    {
                        std::lock_guard lock(wake_mutex_);
                        reports_ready_ = true;
                    }
                    wake_.notify_one();
                });
            }
            if (!leading_) {
                leading_ = reader_->try_lead_relay();
                if (!leading_) {
                    set_role("standby");
                    pause(k_standby_recheck);
                    continue;
                }
                position_ = reader_->published_position(kafka_.topic);
                produced_ = position_;
                {
                    std::lock_guard lock(status_mutex_);
                    status_.role = "leading";
                    status_.published_sequence = position_;
                }
                const std::int64_t stored = reader_->last_sequence();
                last_logged_lag_ = std::max<std::int64_t>(0, stored - position_);
                log().info("relay: publishing to topic {} from sequence {}: lag stored={} published={} lag={}",
                           kafka_.topic, position_ + 1, stored, position_, last_logged_lag_);
            }
            last_batch_full_ = true;
            progressed = step();
            if (progressed) backoff_ = milliseconds(0);
            log_lag();
            if (progressed && !last_batch_full_ && settings_.linger.count() > 0) linger(settings_.linger);
        } catch (const std::exception& e) {
            // The store is unreachable (or a connection broke): reconnect,
            // and re-take the lead, which a lost connection released. What
            // is in flight is dropped and published again from the recorded
            // position (at least once).
            reader_->mark_broken();
            leading_ = false;
            if (publisher_) reset_in_flight();
            backoff_ = std::clamp(backoff_ * 2, k_min_backoff, k_max_backoff);
            log().warn("relay: {}; retrying in {} ms", e.what(), backoff_.count());
            {
                std::lock_guard lock(status_mutex_);
                status_.last_error = e.what();
            }
        }
        if (!progressed) {
            const milliseconds wait = backoff_.count() > 0 ? backoff_
                                      : gap_after_ >= 0    ? k_gap_recheck
                                                           : settings_.poll_interval;
            pause(wait);
        }
    }
    if (publisher_) drain_in_flight();
    publisher_.reset();  // while what its report callback touches still exists
    if (restore_.active()) restore_.cancel();
    set_role("stopped");
    log().info("relay: stopped at sequence {}", position_);
}

bool OutboxRelay::step() {
    if (const auto job = restore_.active()) {
        // A restore republishes up to the recorded position: let the live
        // events in flight be acknowledged and recorded first.
        if (!in_flight_->empty()) return collect_acknowledged();
        return publish_restore_page(*job);
    }
    return publish_live();
}

bool OutboxRelay::publish_live() {
    const bool produced = produce_new();
    const bool acknowledged = collect_acknowledged();
    return produced || acknowledged;
}

bool OutboxRelay::produce_new() {
    if (in_flight_->size() >= settings_.max_in_flight) {
        last_batch_full_ = false;
        return false;
    }
    const std::size_t room = std::min(settings_.batch_size, settings_.max_in_flight - in_flight_->size());
    std::vector<StoredEvent> rows = reader_->read_after(produced_, room);
    if (rows.empty()) {
        gap_after_ = -1;
        last_batch_full_ = false;
        return false;
    }
    std::size_t n = contiguous_prefix(rows, produced_);
    if (n == 0) {
        // The next sequence is missing but a later one is committed.
        last_batch_full_ = false;
        const auto now = Clock::now();
        if (gap_after_ != produced_) {
            gap_after_ = produced_;
            gap_since_ = now;
        }
        if (now - gap_since_ < settings_.gap_grace) return false;
        log().warn("relay: sequences {}..{} never committed (rolled-back appends); moving past them", produced_ + 1,
                   rows.front().global_sequence - 1);
        n = contiguous_prefix(rows, rows.front().global_sequence - 1);
    }
    gap_after_ = -1;
    last_batch_full_ = n == room;
    std::size_t handed = 0;
    for (; handed < n; ++handed) {
        InFlight& slot = in_flight_->emplace_back(InFlight{rows[handed].global_sequence, {}});
        const rd_kafka_resp_err_t err = publisher_->produce(kafka_.topic, rows[handed], {}, &slot.delivery);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            in_flight_->pop_back();  // the producer's queue is full: the rest after some acknowledgements
            last_batch_full_ = false;
            break;
        }
        produced_ = slot.sequence;
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            slot.delivery = Delivery{true, err};  // refused outright: fails in its turn, nothing overtakes it
            ++handed;
            break;
        }
    }
    return handed > 0;
}

bool OutboxRelay::collect_acknowledged() {
    if (in_flight_->empty()) return false;
    {
        std::lock_guard lock(wake_mutex_);
        reports_ready_ = false;
    }
    publisher_->serve(0);
    std::size_t acknowledged = 0;
    std::int64_t position = position_;
    while (!in_flight_->empty() && in_flight_->front().delivery.finished &&
           in_flight_->front().delivery.error == RD_KAFKA_RESP_ERR_NO_ERROR) {
        position = in_flight_->front().sequence;
        in_flight_->pop_front();
        ++acknowledged;
    }
    if (acknowledged > 0) {
        // Record only what the broker acknowledged, in order: a crash after
        // this line replays nothing, a crash before it replays what followed
        // the previous position (at least once).
        reader_->save_position(kafka_.topic, position);
        position_ = position;
        std::lock_guard lock(status_mutex_);
        status_.published_sequence = position_;
        status_.published_events += acknowledged;
        status_.last_error.clear();
    } else if (!in_flight_->empty()) {
        // Nothing acknowledged while events wait: say why, when the client
        // knows (the broker refused the credentials, is down, ...).
        if (std::string why = publisher_->client_error(); !why.empty()) {
            std::lock_guard lock(status_mutex_);
            status_.last_error = "kafka: " + why;
        }
    }
    if (!in_flight_->empty() && in_flight_->front().delivery.finished) {
        PublishResult failed;
        failed.error = rd_kafka_err2str(in_flight_->front().delivery.error);
        record_failure("publishing sequence " + std::to_string(in_flight_->front().sequence), failed);
        // Everything after it is dropped and produced again after the
        // backoff, so no event overtakes the failed one for good.
        reset_in_flight();
        return false;
    }
    return acknowledged > 0;
}

void OutboxRelay::reset_in_flight() {
    if (!in_flight_->empty()) {
        publisher_->purge();
        // Purged records report back on the next serves; bounded in case one never does.
        const auto deadline = Clock::now() + std::chrono::seconds(5);
        auto pending = [this] {
            return std::any_of(in_flight_->begin(), in_flight_->end(),
                               [](const InFlight& f) { return !f.delivery.finished; });
        };
        while (pending() && Clock::now() < deadline) publisher_->serve(50);
        if (pending()) {
            // librdkafka may still write to these: leak them rather than free them under it.
            log().warn("relay: {} delivery reports never arrived after a purge", in_flight_->size());
            static_cast<void>(in_flight_.release());
        }
        in_flight_ = std::make_unique<std::deque<InFlight>>();
    }
    produced_ = position_;
}

void OutboxRelay::drain_in_flight() {
    // Shutdown: wait for what is in flight until the drain deadline, record
    // what was acknowledged, drop the rest (published after the restart).
    try {
        while (!in_flight_->empty() && Clock::now().time_since_epoch().count() < drain_deadline_.load()) {
            if (!collect_acknowledged() && !in_flight_->empty()) publisher_->serve(20);
        }
        if (!in_flight_->empty()) {
            log().warn("relay: shutting down with {} events unacknowledged; they are published after the restart",
                       in_flight_->size());
        }
    } catch (const std::exception& e) {
        log().warn("relay: recording the position at shutdown failed: {}", e.what());
    }
    reset_in_flight();
}

bool OutboxRelay::publish_restore_page(const RestoreProgress& job) {
    if (job.started_at.empty()) {
        // Only what this relay has already published (acknowledged and
        // recorded): every event's first copy on the topic is then its live,
        // unmarked one, so a consumer that skips `fanout-replay` records never
        // misses an event. Later events are published live after the restore.
        const std::int64_t target = position_;
        restore_.start(target);
        restore_cursor_ = 0;
        log().info("restore: republishing sequences 1..{} (published so far; stored {}) to topic {}", target,
                   reader_->last_sequence(), job.topic);
        return true;
    }
    if (restore_cursor_ >= job.target_sequence) {
        restore_.complete();
        log().info("restore: completed, {} events republished up to sequence {}", job.published_events,
                   restore_cursor_);
        return true;
    }
    std::vector<StoredEvent> rows = reader_->read_after(restore_cursor_, settings_.restore_page_size);
    while (!rows.empty() && rows.back().global_sequence > job.target_sequence) rows.pop_back();
    if (rows.empty()) {
        restore_cursor_ = job.target_sequence;
        return true;
    }
    const PublishResult result =
        publisher_->publish(job.topic, rows, {{header::replay, "true"}}, [this] { return give_up(); });
    if (result.acknowledged > 0) {
        restore_cursor_ = rows[result.acknowledged - 1].global_sequence;
        restore_.advance(restore_cursor_, result.acknowledged);
    }
    if (result.acknowledged < rows.size()) {
        record_failure("restore at sequence " + std::to_string(rows[result.acknowledged].global_sequence), result);
        return false;
    }
    return true;
}

void OutboxRelay::record_failure(const std::string& what, const PublishResult& result) {
    if (result.abandoned) {
        log().warn("relay: shutting down with {} unacknowledged; they are published after the restart", what);
        return;
    }
    backoff_ = std::clamp(backoff_ * 2, k_min_backoff, k_max_backoff);
    log().warn("relay: {} failed: {}; retrying in {} ms", what, result.error, backoff_.count());
    std::lock_guard lock(status_mutex_);
    status_.last_error = what + ": " + result.error;
}

void OutboxRelay::log_lag() {
    const auto now = Clock::now();
    if (now < next_lag_log_) return;
    next_lag_log_ = now + settings_.lag_log_interval;
    const std::int64_t stored = reader_->last_sequence();
    const std::int64_t lag = std::max<std::int64_t>(0, stored - position_);
    if (lag > 0 || last_logged_lag_ > 0) {
        log().info("relay: lag stored={} published={} lag={}", stored, position_, lag);
    }
    last_logged_lag_ = lag;
}

}  // namespace fanout::post_command
