#include "event_load.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "events.hpp"
#include "fanout/testing/json_write.hpp"
#include "kafka_topic.hpp"
#include "process_watch.hpp"

namespace fanout::bench {
namespace {

constexpr std::array<std::string_view, 64> k_words = {
    "the",     "a",       "post",    "today",   "really",  "great",    "coffee",   "morning", "release",  "finally",
    "shipped", "team",    "weekend", "photo",   "thanks",  "everyone", "who",      "came",    "to",       "meetup",
    "kafka",   "events",  "stream",  "love",    "this",    "new",      "feature",  "and",     "with",     "for",
    "of",      "our",     "city",    "park",    "sunset",  "dinner",   "friends",  "reading", "book",     "about",
    "systems", "design",  "music",   "concert", "tonight", "cannot",   "wait",     "happy",   "birthday", "congrats",
    "launch",  "project", "open",    "source",  "is",      "amazing",  "learning", "every",   "day",      "small",
    "steps",   "big",     "ideas",   "share"};

class EventGenerator {
public:
    struct Event {
        std::string key;  ///< post id
        std::string type;
        std::string event_id;
        std::string value;  ///< the JSON envelope
    };

    EventGenerator(std::size_t posts, std::uint64_t seed) : rng_(seed), posts_(posts) {}

    /// Fills `e` (its strings are reused).
    void next(Event& e) {
        Post& post = posts_[rng_() % posts_.size()];
        const std::int64_t seq = ++sequence_;
        // 2026-11-01T00:00:00Z plus 37 ms per event: RFC 3339, UTC, milliseconds.
        using namespace std::chrono;
        when_ = utc_text(sys_days{year{2026} / 11 / 1} + milliseconds(seq * 37), 'T', true) + "Z";
        data_.clear();
        if (!post.alive) {
            post.alive = true;
            post.id = uuid();
            post.author = "user" + std::to_string(rng_() % 5000);
            post.version = 0;
            post.next_comment = 0;
            post.comments.clear();
            e.type = "PostCreatedEvent";
            data_ = "{\"author\":\"" + post.author + "\",\"message\":\"";
            words(8, 28);
            data_ += "\",\"datePosted\":\"" + when_ + "\"}";
        } else {
            const unsigned pick = static_cast<unsigned>(rng_() % 100);
            if (pick < 45) {
                e.type = "PostLikedEvent";
                data_ = "{}";
            } else if (pick < 70 || post.comments.empty()) {
                e.type = "CommentAddedEvent";
                post.comments.push_back(++post.next_comment);
                comment(post, post.comments.back(), "commentDate");
            } else if (pick < 80) {
                e.type = "MessageUpdatedEvent";
                data_ = "{\"message\":\"";
                words(8, 28);
                data_ += "\"}";
            } else if (pick < 89) {
                e.type = "CommentUpdatedEvent";
                comment(post, post.comments[rng_() % post.comments.size()], "editDate");
            } else if (pick < 97) {
                e.type = "CommentRemovedEvent";
                const std::size_t i = rng_() % post.comments.size();
                data_ = "{\"commentId\":\"" + comment_id(post, post.comments[i]) + "\"}";
                post.comments.erase(post.comments.begin() + static_cast<std::ptrdiff_t>(i));
            } else {
                e.type = "PostRemovedEvent";
                data_ = "{}";
                post.alive = false;  // the next event on this slot creates a new post
            }
        }
        ++post.version;
        e.key = post.id;
        e.event_id = uuid();
        e.value = fanout::test::make_envelope(e.event_id, e.type, post.id, post.version, seq, when_, data_);
    }

private:
    struct Post {
        bool alive = false;
        std::string id;
        std::string author;
        std::int64_t version = 0;
        int next_comment = 0;
        std::vector<int> comments;
    };

    std::string uuid() {
        // Two draws per id: a seed gives the same posts, types and words as ever.
        const std::uint64_t a = rng_(), b = rng_();
        return fanout::testing::detail::uuid_from(std::to_string(a) + "-" + std::to_string(b));
    }

    static std::string comment_id(const Post& post, int n) {
        return post.id.substr(0, 24) + std::to_string(100000 + n);
    }

    /// CommentAdded's and CommentUpdated's data: the comment, its author and `date_field`.
    void comment(const Post& post, int n, const char* date_field) {
        data_ = "{\"commentId\":\"" + comment_id(post, n) + "\",\"comment\":\"";
        words(3, 16);
        data_ +=
            "\",\"username\":\"user" + std::to_string(rng_() % 5000) + "\",\"" + date_field + "\":\"" + when_ + "\"}";
    }

    void words(unsigned min, unsigned max) {
        const unsigned n = min + static_cast<unsigned>(rng_() % (max - min + 1));
        for (unsigned i = 0; i < n; ++i) {
            if (i > 0) data_ += ' ';
            data_ += k_words[rng_() % k_words.size()];
        }
    }

    std::mt19937_64 rng_;
    std::vector<Post> posts_;
    std::int64_t sequence_ = 0;
    std::string when_;
    std::string data_;
};

std::atomic<std::uint64_t> g_delivery_failures{0};

}  // namespace

std::string utc_text(std::chrono::sys_time<std::chrono::milliseconds> t, char separator, bool millis) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    char buf[40];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u%c%02d:%02d:%02d", static_cast<int>(ymd.year()),
                          static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), separator,
                          static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                          static_cast<int>(hms.seconds().count()));
    if (millis) std::snprintf(buf + n, sizeof buf - n, ".%03d", static_cast<int>(hms.subseconds().count()));
    return buf;
}

LoadResult load_events(const std::string& brokers, const std::string& topic, std::uint64_t n, std::size_t posts,
                       std::uint64_t seed, const Properties& producer_props) {
    Properties props = {{"enable.idempotence", "true"},  // as the outbox relay publishes
                        {"linger.ms", "20"},
                        {"batch.num.messages", "10000"},
                        {"queue.buffering.max.messages", "500000"}};
    for (const auto& [k, v] : producer_props) put_property(props, k, v);
    RdKafka rk = make_client(RD_KAFKA_PRODUCER, brokers, props, [](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
            if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) g_delivery_failures.fetch_add(1);
        });
    });

    EventGenerator gen(posts, seed);
    EventGenerator::Event e;
    LoadResult result;
    const auto t0 = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
        gen.next(e);
        rd_kafka_headers_t* hdrs = rd_kafka_headers_new(3);
        rd_kafka_header_add(hdrs, "event-type", -1, e.type.data(), static_cast<ssize_t>(e.type.size()));
        rd_kafka_header_add(hdrs, "event-id", -1, e.event_id.data(), static_cast<ssize_t>(e.event_id.size()));
        rd_kafka_header_add(hdrs, "content-type", -1, "application/json", -1);
        for (;;) {
            const auto r =
                rd_kafka_producev(rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(e.key.data(), e.key.size()),
                                  RD_KAFKA_V_VALUE(e.value.data(), e.value.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
            if (r == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (r == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk.get(), 10);
                continue;
            }
            rd_kafka_headers_destroy(hdrs);
            throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(r));
        }
        result.value_bytes += e.value.size();
        ++result.types[e.type];
        if ((i & 1023) == 0) rd_kafka_poll(rk.get(), 0);
    }
    if (rd_kafka_flush(rk.get(), 300'000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error("producer flush timed out");
    result.seconds = seconds_between(t0, Clock::now());
    result.events = n;
    if (g_delivery_failures.load() != 0) {
        throw std::runtime_error(std::to_string(g_delivery_failures.load()) + " events failed to produce");
    }
    return result;
}

}  // namespace fanout::bench
