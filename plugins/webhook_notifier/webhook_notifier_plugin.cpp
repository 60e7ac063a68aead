// webhook_notifier: POSTs one JSON notification per selected event to a
// configured URL. Transient failures pause the partition (retry_later);
// answers the receiver will never accept are dead-lettered (reject).
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "body_template.hpp"
#include "delivery_policy.hpp"
#include "fanout/fanout.hpp"
#include "webhook_target.hpp"

namespace fanout::plugins::webhook {
namespace {

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
constexpr bool k_https_supported = true;
#else
constexpr bool k_https_supported = false;
#endif

constexpr OptionSpec k_options[] = {
    {"url", OptionType::string, nullptr, "where notifications are POSTed: http://host:port/path (or https://...)"},
    {"event_types", OptionType::string_list, "PostCreatedEvent,CommentAddedEvent",
     "event types that send a notification; other events are acknowledged without sending"},
    {"body_template", OptionType::string, k_default_body_template,
     "request body with {{placeholders}} (type, event_id, aggregate_id, version, occurred_at, data, data.<field>...)"},
    {"headers", OptionType::string_list, "", "extra request headers, each 'Name: value'"},
    {"timeout_ms", OptionType::integer, "5000", "connect, send and receive timeout of one request"},
    {"skip_replay", OptionType::boolean, "false",
     "acknowledge without sending replayed events: header fanout-replay: true, or occurredAt older than "
     "replay_threshold_ms (read-model rebuilds)"},
    {"replay_threshold_ms", OptionType::integer, "600000", "age beyond which skip_replay skips an event"},
    {"idempotency_header", OptionType::string, "Idempotency-Key",
     "header carrying the event id so receivers can de-duplicate; empty: none"},
};

// Failed attempts per event are remembered only for log lines; bound the map
// so a long outage over many partitions cannot grow it without limit.
constexpr std::size_t k_max_tracked_attempts = 10'000;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::int64_t positive_option(const Options& options, const char* key) {
    const std::int64_t value = options.get_integer(key);
    if (value <= 0) throw std::invalid_argument(std::string(key) + " must be > 0, got " + std::to_string(value));
    return value;
}

class WebhookNotifier final : public Plugin {
public:
    WebhookNotifier(const Options& options, Context& context)
        : url_(parse_webhook_url(options.get_string("url"), k_https_supported)),
          event_types_(options.get_list("event_types")),
          body_(options.get_string("body_template")),
          timeout_(positive_option(options, "timeout_ms")),
          skip_replay_(options.get_boolean("skip_replay")),
          replay_threshold_(positive_option(options, "replay_threshold_ms")),
          idempotency_header_(options.get_string("idempotency_header")),
          client_(url_.origin()),
          context_(context),
          sent_(context.counter("sent")),
          failed_transient_(context.counter("failed_transient")),
          rejected_(context.counter("rejected")),
          skipped_replay_(context.counter("skipped_replay")) {
        for (auto& [name, value] : parse_header_lines(options.get_list("headers"))) {
            if (equals_ignoring_case(name, "Content-Type")) {
                content_type_ = value;  // httplib sets it from the Post() argument
            } else {
                headers_.emplace(std::move(name), std::move(value));
            }
        }
        client_.set_keep_alive(true);
        // Headers and body go out in separate writes: without this, Nagle plus the
        // receiver's delayed ACK holds every request ~40 ms on a kept-alive connection.
        client_.set_tcp_nodelay(true);
        client_.set_connection_timeout(timeout_);
        client_.set_read_timeout(timeout_);
        client_.set_write_timeout(timeout_);
        client_.set_follow_location(false);
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
        client_.enable_server_certificate_verification(true);
#endif
        std::string types;
        for (const auto& t : event_types_) types += (types.empty() ? "" : ",") + t;
        context_.logger().info(
            "posting to " + url_.origin() + url_.path + " types=" + types +
            " timeout_ms=" + std::to_string(timeout_.count()) +
            (skip_replay_ ? " skip_replay older_than_ms=" + std::to_string(replay_threshold_.count()) : std::string()));
    }

    void handle(std::span<const Event* const> events, std::span<Outcome> outcomes) override {
        // Once a partition failed transiently, its later events are redelivered
        // anyway: sending them now would only reorder and duplicate.
        std::vector<std::pair<std::string_view, std::int32_t>> stalled;
        std::string stall_reason;
        bool unreachable = false;  // no HTTP answer at all: do not wait out a timeout per partition
        const auto now_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        for (std::size_t i = 0; i < events.size(); ++i) {
            const Event& event = *events[i];
            if (!notifies(event.type())) continue;  // done without sending
            const std::pair<std::string_view, std::int32_t> partition{event.topic(), event.partition()};
            if (unreachable || std::find(stalled.begin(), stalled.end(), partition) != stalled.end()) {
                outcomes[i] = Outcome::retry_later("not sent: an earlier notification failed (" + stall_reason + ")");
                continue;
            }
            if (skip_replay_) {
                const std::int64_t occurred = event.occurred_at_ms();
                // A republished event (post-command's restoreReadDb) says so in a
                // header; an old one replayed by a reset consumer only by its age.
                if (event.header("fanout-replay") == std::optional<std::string_view>("true") ||
                    (occurred >= 0 && now_ms - occurred > replay_threshold_.count())) {
                    skipped_replay_.add();
                    continue;  // done: a replayed, old event must not notify again
                }
            }
            if (!event.envelope_valid()) {
                rejected_.add();
                outcomes[i] = Outcome::reject("not a valid event envelope");
                continue;
            }
            outcomes[i] = deliver(event, unreachable);
            if (outcomes[i].kind() == Outcome::Kind::retry_later) {
                stalled.push_back(partition);
                stall_reason = outcomes[i].reason();
            }
        }
    }

private:
    bool notifies(std::string_view type) const {
        return std::find(event_types_.begin(), event_types_.end(), type) != event_types_.end();
    }

    Outcome deliver(const Event& event, bool& unreachable) {
        httplib::Headers headers = headers_;
        if (!idempotency_header_.empty()) headers.emplace(idempotency_header_, std::string(event.event_id()));
        const std::string body = body_.render(event);
        const auto started = std::chrono::steady_clock::now();
        auto result = client_.Post(url_.path, headers, body, content_type_);
        if (!result && (result.error() == httplib::Error::Read || result.error() == httplib::Error::Write) &&
            std::chrono::steady_clock::now() - started < timeout_ / 2) {
            // A quick read/write error is usually a keep-alive connection the
            // receiver closed while idle: one immediate try on a fresh one.
            result = client_.Post(url_.path, headers, body, content_type_);
        }
        if (!result) {
            unreachable = true;
            return transient_failure(event, "error=" + httplib::to_string(result.error()),
                                     "no answer from " + url_.origin() + ": " + httplib::to_string(result.error()));
        }
        const int status = result->status;
        switch (classify_status(status)) {
            case Verdict::delivered:
                attempts_.erase(std::string(event.event_id()));
                sent_.add();
                return Outcome::done();
            case Verdict::transient:
                return transient_failure(event, "status=" + std::to_string(status),
                                         "HTTP " + std::to_string(status) + " " + body_excerpt(result->body, 100));
            case Verdict::permanent: break;
        }
        attempts_.erase(std::string(event.event_id()));
        rejected_.add();
        const std::string reason =
            "HTTP " + std::to_string(status) + " from " + url_.origin() + url_.path + ": " + body_excerpt(result->body);
        context_.logger().error("delivery rejected status=" + std::to_string(status) + " event=" +
                                std::string(event.event_id()) + " partition=" + std::to_string(event.partition()) +
                                " offset=" + std::to_string(event.offset()) + " body=" + body_excerpt(result->body));
        return Outcome::reject(reason);
    }

    Outcome transient_failure(const Event& event, const std::string& what, std::string reason) {
        failed_transient_.add();
        if (attempts_.size() >= k_max_tracked_attempts) attempts_.clear();
        const int attempt = ++attempts_[std::string(event.event_id())];
        context_.logger().warning("delivery failed " + what + " attempt=" + std::to_string(attempt) + " event=" +
                                  std::string(event.event_id()) + " partition=" + std::to_string(event.partition()) +
                                  " offset=" + std::to_string(event.offset()));
        return Outcome::retry_later(std::move(reason));
    }

    WebhookUrl url_;
    std::vector<std::string> event_types_;
    BodyTemplate body_;
    std::chrono::milliseconds timeout_;
    bool skip_replay_;
    std::chrono::milliseconds replay_threshold_;
    std::string idempotency_header_;
    std::string content_type_ = "application/json";
    httplib::Headers headers_;
    httplib::Client client_;  // one persistent keep-alive connection, reused across batches
    Context& context_;
    Counter& sent_;
    Counter& failed_transient_;
    Counter& rejected_;
    Counter& skipped_replay_;
    std::unordered_map<std::string, int> attempts_;  ///< event id -> failed attempts, for log lines
};

std::unique_ptr<Plugin> create(const Options& options, Context& context) {
    return std::make_unique<WebhookNotifier>(options, context);
}

}  // namespace

extern const PluginDescriptor descriptor;
const PluginDescriptor descriptor{
    k_descriptor_magic,
    k_abi_version,
    "webhook_notifier",
    "1.0.0",
    "POSTs a JSON notification per selected event to a URL (idempotency key = event id)",
    k_options,
    std::size(k_options),
    &create,
};

}  // namespace fanout::plugins::webhook

FANOUT_EXPORT_PLUGIN(fanout::plugins::webhook::descriptor)
