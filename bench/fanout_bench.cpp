// fanout_bench: loads N realistic post events into a fresh topic, then runs a
// list of named scenarios over it one after the other and prints a table of
// figures side by side: events/s, elapsed, startup, peak RSS and CPU.
//
// It prints figures, never pass/fail (DESIGN.md: bench/). The targets are
// printed for context only.
//
// Scenarios (see builtin_scenarios() and --scenario NAME=FILE):
//   kcat     kcat -C ... -o beginning -c N -e: librdkafka's raw consume rate, no group
//   poll     this driver re-executed as a minimal rd_kafka_consumer_poll loop in
//            a consumer group (fanoutd's consume model with no work at all)
//   noop     fanoutd + the no-op plugin (bench/noop_plugin.cpp)
//   example  fanoutd + the example plugin appending JSON lines to /dev/null
//   read_model, notifier, analytics, lua-analytics
//            fanoutd + one of the shipped plugins (SQLite files in the run's
//            folder; the notifier posts to a receiver inside this driver)
//   A+B+C    side by side: one fanoutd running the scenarios A, B and C as
//            plugins, each in its own consumer group; one row per plugin
//
// fanoutd is measured from outside, honestly: from fork() until the group's
// committed offsets equal the topic's end offsets, watched with
// rd_kafka_committed() from a separate client every --poll-ms.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <httplib.h>
#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>
#include <CLI/CLI.hpp>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Properties = std::vector<std::pair<std::string, std::string>>;

namespace {

// ---------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------

double seconds_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

std::string fmt_double(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

/// 1234567 -> "1,234,567".
std::string with_commas(std::uint64_t v) {
    std::string digits = std::to_string(v), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string now_utc_string() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::pair<std::string, std::string> split_property(const std::string& kv) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw std::runtime_error("expected KEY=VALUE, got '" + kv + "'");
    return {kv.substr(0, eq), kv.substr(eq + 1)};
}

/// Set or replace `key` in `props`.
void put_property(Properties& props, const std::string& key, const std::string& value) {
    for (auto& [k, v] : props) {
        if (k == key) {
            v = value;
            return;
        }
    }
    props.emplace_back(key, value);
}

std::string describe_properties(const Properties& props) {
    if (props.empty()) return "(none)";
    std::string out;
    for (const auto& [k, v] : props) out += (out.empty() ? "" : " ") + k + "=" + v;
    return out;
}

/// A value from /proc/PID/status in kB (e.g. "VmHWM"), or -1.
long proc_status_kb(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
    return -1;
}

/// user+system CPU seconds of a live process (from /proc/PID/stat), or -1.
double proc_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(text.substr(close + 2));
    std::string f;
    // Field 3 (state) is the first after ") "; utime and stime are fields 14 and 15.
    std::vector<std::string> v;
    while (fields >> f && v.size() < 13) v.push_back(f);
    if (v.size() < 13) return -1;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    return (std::stod(v[11]) + std::stod(v[12])) / ticks;
}

/// Host-wide CPU jiffies: {busy, total}.
std::pair<double, double> host_cpu_jiffies() {
    std::ifstream in("/proc/stat");
    std::string cpu;
    in >> cpu;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    in >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    const double busy = user + nice + system + irq + softirq + steal;
    return {busy, busy + idle + iowait};
}

/// Samples the host and (optionally) the broker's CPU over an interval.
class CpuWatch {
public:
    explicit CpuWatch(pid_t broker_pid) : broker_pid_(broker_pid) {
        host_ = host_cpu_jiffies();
        broker_ = broker_pid_ > 0 ? proc_cpu_seconds(broker_pid_) : -1;
    }
    /// Host busy fraction (0..1 of all cores) since construction.
    double host_busy() const {
        const auto [busy, total] = host_cpu_jiffies();
        return total > host_.second ? (busy - host_.first) / (total - host_.second) : 0;
    }
    /// Broker CPU seconds since construction, or -1 when unknown.
    double broker_cpu() const {
        if (broker_ < 0) return -1;
        const double now = proc_cpu_seconds(broker_pid_);
        return now < 0 ? -1 : now - broker_;
    }

private:
    pid_t broker_pid_;
    std::pair<double, double> host_;
    double broker_;
};

std::string read_tail(const fs::path& file, std::size_t max_bytes) {
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > max_bytes ? "..." + text.substr(text.size() - max_bytes) : text;
}

/// Lines of `file` that contain one of `needles`.
int count_lines_with(const fs::path& file, std::initializer_list<std::string_view> needles) {
    std::ifstream in(file);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        for (auto needle : needles) {
            if (line.find(needle) != std::string::npos) {
                ++n;
                break;
            }
        }
    }
    return n;
}

/// Quote a string as a YAML double-quoted scalar.
std::string yaml_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

/// fork+exec `argv` with stdout/stderr redirected to the given fds (-1: keep).
pid_t spawn(const std::vector<std::string>& argv, int stdout_fd, int stderr_fd) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        const int devnull = ::open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, STDIN_FILENO);
        if (stdout_fd >= 0) dup2(stdout_fd, STDOUT_FILENO);
        if (stderr_fd >= 0) dup2(stderr_fd, STDERR_FILENO);
        // Unblock everything the parent may have blocked.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execvp(args[0], args.data());
        std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
        _exit(127);
    }
    return pid;
}

struct ExitInfo {
    int status = -1;
    rusage usage{};
    bool exited = false;
};

/// Non-blocking (timeout 0) or blocking-with-timeout wait.
ExitInfo wait_child(pid_t pid, std::chrono::milliseconds timeout) {
    ExitInfo info;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const pid_t r = wait4(pid, &info.status, WNOHANG, &info.usage);
        if (r == pid) {
            info.exited = true;
            return info;
        }
        if (r < 0 && errno != EINTR) {
            info.exited = true;  // not our child any more
            return info;
        }
        if (Clock::now() >= deadline) return info;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
}

double rusage_cpu(const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// ---------------------------------------------------------------------------
// Realistic events (the contract of docs/events.md; same envelope as
// tests/support/events.cpp, all seven types, ~300 bytes on average)
// ---------------------------------------------------------------------------

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
        format_timestamp(seq);
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
                data_ = "{\"commentId\":\"" + comment_id(post, post.comments.back()) + "\",\"comment\":\"";
                words(3, 16);
                data_ +=
                    "\",\"username\":\"user" + std::to_string(rng_() % 5000) + "\",\"commentDate\":\"" + when_ + "\"}";
            } else if (pick < 80) {
                e.type = "MessageUpdatedEvent";
                data_ = "{\"message\":\"";
                words(8, 28);
                data_ += "\"}";
            } else if (pick < 89) {
                e.type = "CommentUpdatedEvent";
                const int c = post.comments[rng_() % post.comments.size()];
                data_ = "{\"commentId\":\"" + comment_id(post, c) + "\",\"comment\":\"";
                words(3, 16);
                data_ +=
                    "\",\"username\":\"user" + std::to_string(rng_() % 5000) + "\",\"editDate\":\"" + when_ + "\"}";
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
        e.value.clear();
        e.value += "{\"eventId\":\"" + e.event_id + "\",\"type\":\"" + e.type + "\",\"aggregateId\":\"" + post.id +
                   "\",\"aggregateType\":\"Post\",\"version\":" + std::to_string(post.version) +
                   ",\"globalSequence\":" + std::to_string(seq) + ",\"occurredAt\":\"" + when_ + "\",\"data\":";
        e.value += data_;
        e.value += '}';
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
        const std::uint64_t a = rng_(), b = rng_();
        char buf[40];
        std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                      static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                      static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                      static_cast<unsigned long long>(b & 0xffffffffffffULL));
        return buf;
    }

    static std::string comment_id(const Post& post, int n) {
        return post.id.substr(0, 24) + std::to_string(100000 + n);
    }

    void words(unsigned min, unsigned max) {
        const unsigned n = min + static_cast<unsigned>(rng_() % (max - min + 1));
        for (unsigned i = 0; i < n; ++i) {
            if (i > 0) data_ += ' ';
            data_ += k_words[rng_() % k_words.size()];
        }
    }

    void format_timestamp(std::int64_t seq) {
        // 2026-11-01T00:00:00Z plus 37 ms per event: RFC 3339, UTC, milliseconds.
        using namespace std::chrono;
        const sys_time<milliseconds> t = sys_days{year{2026} / 11 / 1} + milliseconds(seq * 37);
        const auto day = floor<days>(t);
        const year_month_day ymd{day};
        const hh_mm_ss hms{t - day};
        char buf[40];
        std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                      static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                      static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
        when_ = buf;
    }

    std::mt19937_64 rng_;
    std::vector<Post> posts_;
    std::int64_t sequence_ = 0;
    std::string when_;
    std::string data_;
};

// ---------------------------------------------------------------------------
// Kafka helpers (librdkafka C API)
// ---------------------------------------------------------------------------

struct RdKafkaDeleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using RdKafka = std::unique_ptr<rd_kafka_t, RdKafkaDeleter>;

RdKafka make_client(rd_kafka_type_t type, const std::string& brokers, const Properties& props) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    auto set = [&](const std::string& k, const std::string& v) {
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error("librdkafka property " + k + "=" + v + ": " + err);
        }
    };
    set("bootstrap.servers", brokers);
    set("log_level", "3");
    for (const auto& [k, v] : props) set(k, v);
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("rd_kafka_new: ") + err);
    }
    return RdKafka(rk);
}

/// Runs one admin request and returns its result event (caller destroys).
template <typename Start>
rd_kafka_event_t* admin_call(rd_kafka_t* rk, Start start, int timeout_ms) {
    rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
    start(q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms);
    rd_kafka_queue_destroy(q);
    if (ev == nullptr) throw std::runtime_error("admin request timed out");
    return ev;
}

int topic_partitions(rd_kafka_t* rk, const std::string& topic) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    int n = -1;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 &&
        md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        bool leaders = true;
        for (int i = 0; i < md->topics[0].partition_cnt; ++i)
            leaders = leaders && md->topics[0].partitions[i].leader >= 0;
        n = leaders ? md->topics[0].partition_cnt : 0;
    }
    if (md != nullptr) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return n;
}

void create_topic(rd_kafka_t* rk, const std::string& topic, int partitions) {
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
    if (nt == nullptr) throw std::runtime_error(std::string("NewTopic: ") + err);
    rd_kafka_event_t* ev = admin_call(
        rk, [&](rd_kafka_queue_t* q) { rd_kafka_CreateTopics(rk, &nt, 1, nullptr, q); }, 30'000);
    rd_kafka_NewTopic_destroy(nt);
    std::string failure;
    size_t n = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; ++i) {
        if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            failure = rd_kafka_topic_result_error_string(results[i]);
        }
    }
    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) failure = rd_kafka_event_error_string(ev);
    rd_kafka_event_destroy(ev);
    if (!failure.empty()) throw std::runtime_error("create topic " + topic + ": " + failure);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (topic_partitions(rk, topic) != partitions) {
        if (Clock::now() > deadline) throw std::runtime_error("topic " + topic + " has no leaders after 30 s");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void delete_topic(rd_kafka_t* rk, const std::string& topic) {
    rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(topic.c_str());
    rd_kafka_event_t* ev = admin_call(
        rk, [&](rd_kafka_queue_t* q) { rd_kafka_DeleteTopics(rk, &dt, 1, nullptr, q); }, 30'000);
    rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_event_destroy(ev);
}

void delete_groups(rd_kafka_t* rk, const std::vector<std::string>& groups) {
    if (groups.empty()) return;
    std::vector<rd_kafka_DeleteGroup_t*> dg;
    for (const auto& g : groups) dg.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
    try {
        rd_kafka_event_t* ev = admin_call(
            rk, [&](rd_kafka_queue_t* q) { rd_kafka_DeleteGroups(rk, dg.data(), dg.size(), nullptr, q); }, 30'000);
        rd_kafka_event_destroy(ev);
    } catch (const std::exception&) {
        // Best effort: leftover groups only cost a few bytes in __consumer_offsets.
    }
    rd_kafka_DeleteGroup_destroy_array(dg.data(), dg.size());
}

std::vector<std::int64_t> end_offsets(rd_kafka_t* rk, const std::string& topic, int partitions) {
    std::vector<std::int64_t> out;
    for (int p = 0; p < partitions; ++p) {
        int64_t low = 0, high = 0;
        const auto e = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10'000);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
            throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(e));
        out.push_back(high);
    }
    return out;
}

std::int64_t sum(const std::vector<std::int64_t>& v) {
    std::int64_t s = 0;
    for (auto x : v) s += std::max<std::int64_t>(x, 0);
    return s;
}

struct LoadResult {
    std::uint64_t events = 0;
    std::uint64_t value_bytes = 0;
    double seconds = 0;
    std::map<std::string, std::uint64_t> types;
};

std::atomic<std::uint64_t> g_delivery_failures{0};

LoadResult load_events(const std::string& brokers, const std::string& topic, std::uint64_t n, std::size_t posts,
                       std::uint64_t seed, const Properties& producer_props) {
    Properties props = {{"enable.idempotence", "true"},  // as the outbox relay publishes
                        {"linger.ms", "20"},
                        {"batch.num.messages", "10000"},
                        {"queue.buffering.max.messages", "500000"}};
    for (const auto& [k, v] : producer_props) put_property(props, k, v);
    put_property(props, "bootstrap.servers", brokers);
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char err[512];
    for (const auto& [k, v] : props) {
        if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error("producer property " + k + ": " + err);
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) g_delivery_failures.fetch_add(1);
    });
    rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (raw == nullptr) throw std::runtime_error(std::string("producer: ") + err);
    RdKafka rk(raw);

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

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

/// What a scenario's plugin entry may refer to.
struct ScenarioEnv {
    fs::path lib_dir;     ///< build/lib (plugin libraries)
    fs::path source_dir;  ///< the source tree (scripts/, config/)
    fs::path work_dir;    ///< this run's scratch folder (one per fanoutd run)
    std::string topic;
    std::string webhook_url;  ///< the driver's own HTTP receiver, for the notifier
    /// --pg: the libpq connection of a fresh schema named after `name` (its
    /// tables are the scenario's alone); throws without --pg.
    std::function<std::string(const std::string& name)> postgres;
};

enum class Runner {
    kcat,     ///< kcat -C -o beginning -c N -e, no group: the reference
    poll,     ///< this driver in --internal-poll-consumer mode
    fanoutd,  ///< fanoutd with one plugin: `plugin_body`
};

struct Scenario {
    Scenario(std::string name_, Runner runner_, std::string description_,
             std::function<std::string(const ScenarioEnv&)> plugin_body_ = {})
        : name(std::move(name_)),
          runner(runner_),
          description(std::move(description_)),
          plugin_body(std::move(plugin_body_)) {}

    std::string name;
    Runner runner;
    std::string description;
    /// fanoutd only: the plugin entry without name/topics/batch, as YAML
    /// lines (no indentation), e.g. "type: library\npath: /x.so\n".
    std::function<std::string(const ScenarioEnv&)> plugin_body;
    /// fanoutd only: a binary other than --fanoutd (set by --variant).
    fs::path fanoutd;
    /// fanoutd only: the plugin's name in the config (default: `name`).
    std::string plugin_name;
    /// Side by side ("A+B+C"): the scenarios run as plugins of one fanoutd.
    std::vector<Scenario> members;

    const std::string& plugin() const { return plugin_name.empty() ? name : plugin_name; }
    /// `name` usable in file and group names.
    std::string slug() const {
        std::string out = name;
        for (char& c : out) {
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
        }
        return out;
    }
};

/// sql_config running `definition` (config/projections/) on `connection`.
std::string sql_config_body(const ScenarioEnv& env, const std::string& connection, const std::string& definition) {
    return "type: library\npath: " + yaml_quote((env.lib_dir / "libfanout_sql_config.so").string()) +
           "\noptions:\n  connection: " + yaml_quote(connection) + "\n  definition: " +
           yaml_quote((env.source_dir / "config/projections" / definition).string()) + "\n";
}

/// A Lua projection `script` (config/projections/) on `connection`.
std::string lua_projection_body(const ScenarioEnv& env, const std::string& connection, const std::string& script) {
    return "type: lua\npath: " + yaml_quote((env.source_dir / "config/projections" / script).string()) +
           "\nlua:\n  connection: " + yaml_quote(connection) + "\n";
}

/// The scenario a projection scenario is compared with: the C++
/// sql_read_model on the same backend ("read_model_config_pg" ->
/// "read_model_pg"), or "" for the others.
std::string projection_reference(const std::string& scenario) {
    const bool pg = scenario.size() > 3 && scenario.compare(scenario.size() - 3, 3, "_pg") == 0;
    const std::string base = pg ? scenario.substr(0, scenario.size() - 3) : scenario;
    if (base.rfind("read_model_", 0) != 0) return {};
    return pg ? "read_model_pg" : "read_model";
}

/// --pg: fresh schemas, one per fanoutd run of a PostgreSQL scenario,
/// dropped at the end.
class PostgresSchemas {
public:
    explicit PostgresSchemas(std::string conninfo, std::string run_id)
        : conninfo_(std::move(conninfo)), run_id_(std::move(run_id)) {
        for (char& c : run_id_) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
    }
    ~PostgresSchemas() {
        for (const std::string& schema : made_) {
            try {
                exec("SET client_min_messages TO warning; DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            } catch (const std::exception& e) {
                std::cerr << "fanout_bench: " << e.what() << "\n";
            }
        }
    }

    std::string fresh(const std::string& name) {
        if (conninfo_.empty()) throw std::runtime_error("a PostgreSQL scenario needs --pg CONNINFO");
        const std::string schema = "fanout_bench_" + run_id_ + "_" + name + "_" + std::to_string(made_.size());
        exec("CREATE SCHEMA " + schema);
        made_.push_back(schema);
        // The server's conninfo (URI or key=value) as key=value, with the schema.
        char* error = nullptr;
        PQconninfoOption* options = PQconninfoParse(conninfo_.c_str(), &error);
        if (options == nullptr) {
            const std::string message = error ? error : "out of memory";
            PQfreemem(error);
            throw std::runtime_error("--pg: " + message);
        }
        std::string out;
        for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
            if (o->val == nullptr || std::string_view(o->keyword) == "options") continue;
            std::string value;
            for (const char* c = o->val; *c; ++c) value += (*c == '\'' || *c == '\\') ? std::string("\\") + *c : std::string(1, *c);
            out += std::string(o->keyword) + "='" + value + "' ";
        }
        PQconninfoFree(options);
        return out + "options='-c search_path=" + schema + "'";
    }

private:
    void exec(const std::string& sql) {
        PGconn* c = PQconnectdb(conninfo_.c_str());
        std::string error;
        if (PQstatus(c) != CONNECTION_OK) {
            error = PQerrorMessage(c);
        } else {
            PGresult* r = PQexec(c, sql.c_str());
            if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
            PQclear(r);
        }
        PQfinish(c);
        if (!error.empty()) throw std::runtime_error("--pg: " + sql + ": " + error);
    }

    std::string conninfo_, run_id_;
    std::vector<std::string> made_;
};

/// The scenarios this driver knows. To add one, append an entry here (or
/// pass --scenario NAME=FILE with the plugin entry in a YAML file).
std::vector<Scenario> builtin_scenarios() {
    return {
        {"kcat", Runner::kcat, "kcat -C -o beginning -c N -e -q -f '%o\\n' (legacy per-partition consumer, no group)"},
        {"poll", Runner::poll,
         "rd_kafka_consumer_poll loop in a group, no work (fanoutd's consume model, nothing else)"},
        {"noop", Runner::fanoutd, "fanoutd + no-op plugin (bench/noop_plugin.cpp)",
         [](const ScenarioEnv& env) {
             return "type: library\npath: " + yaml_quote((env.lib_dir / "libfanout_bench_noop.so").string()) + "\n";
         }},
        {"example", Runner::fanoutd, "fanoutd + example plugin, one JSON line per event to /dev/null",
         [](const ScenarioEnv& env) {
             return "type: library\npath: " + yaml_quote((env.lib_dir / "libfanout_example.so").string()) +
                    "\noptions:\n  path: /dev/null\n";
         }},
        {"lua-analytics", Runner::fanoutd, "fanoutd + scripts/analytics.lua",
         [](const ScenarioEnv& env) {
             return "type: lua\npath: " + yaml_quote((env.source_dir / "scripts/analytics.lua").string()) + "\n";
         }},
        {"read_model", Runner::fanoutd, "fanoutd + sql_read_model into a fresh SQLite file",
         [](const ScenarioEnv& env) {
             return "type: library\npath: " + yaml_quote((env.lib_dir / "libfanout_sql_read_model.so").string()) +
                    "\noptions:\n  connection: " + yaml_quote("sqlite:" + (env.work_dir / "read-model.db").string()) +
                    "\n";
         }},
        {"analytics", Runner::fanoutd, "fanoutd + analytics into a fresh SQLite file",
         [](const ScenarioEnv& env) {
             return "type: library\npath: " + yaml_quote((env.lib_dir / "libfanout_analytics.so").string()) +
                    "\noptions:\n  connection: " + yaml_quote("sqlite:" + (env.work_dir / "analytics.db").string()) +
                    "\n";
         }},
        {"read_model_config", Runner::fanoutd,
         "fanoutd + sql_config with config/projections/read_model.yaml into a fresh SQLite file",
         [](const ScenarioEnv& env) {
             return sql_config_body(env, "sqlite:" + (env.work_dir / "read-model-config.db").string(), "read_model.yaml");
         }},
        {"analytics_config", Runner::fanoutd,
         "fanoutd + sql_config with config/projections/analytics.yaml into a fresh SQLite file",
         [](const ScenarioEnv& env) {
             return sql_config_body(env, "sqlite:" + (env.work_dir / "analytics-config.db").string(), "analytics.yaml");
         }},
        {"read_model_pg", Runner::fanoutd, "fanoutd + sql_read_model into a fresh schema of --pg",
         [](const ScenarioEnv& env) {
             return "type: library\npath: " + yaml_quote((env.lib_dir / "libfanout_sql_read_model.so").string()) +
                    "\noptions:\n  connection: " + yaml_quote(env.postgres("read_model")) + "\n";
         }},
        {"read_model_config_pg", Runner::fanoutd,
         "fanoutd + sql_config with config/projections/read_model.yaml into a fresh schema of --pg",
         [](const ScenarioEnv& env) {
             return sql_config_body(env, env.postgres("read_model_config"), "read_model.yaml");
         }},
        {"read_model_lua", Runner::fanoutd,
         "fanoutd + config/projections/read_model.lua (fanout.sql) into a fresh SQLite file",
         [](const ScenarioEnv& env) {
             return lua_projection_body(env, "sqlite:" + (env.work_dir / "read-model-lua.db").string(), "read_model.lua");
         }},
        {"read_model_lua_pg", Runner::fanoutd,
         "fanoutd + config/projections/read_model.lua (fanout.sql) into a fresh schema of --pg",
         [](const ScenarioEnv& env) {
             return lua_projection_body(env, env.postgres("read_model_lua"), "read_model.lua");
         }},
        {"notifier", Runner::fanoutd,
         "fanoutd + webhook_notifier: PostCreated and CommentAdded POSTed to a receiver in this driver",
         [](const ScenarioEnv& env) {
             return "type: library\npath: " + yaml_quote((env.lib_dir / "libfanout_webhook_notifier.so").string()) +
                    "\noptions:\n  url: " + yaml_quote(env.webhook_url) +
                    "\n  event_types: [PostCreatedEvent, CommentAddedEvent]\n";
         }},
    };
}

/// "A+B+C": the known fanoutd scenarios A, B and C side by side in one fanoutd.
std::optional<Scenario> side_by_side(const std::string& name, const std::vector<Scenario>& known) {
    Scenario out{name, Runner::fanoutd, "side by side in one fanoutd:"};
    std::istringstream in(name);
    for (std::string part; std::getline(in, part, '+');) {
        auto it = std::find_if(known.begin(), known.end(), [&](const Scenario& s) { return s.name == part; });
        if (it == known.end() || it->runner != Runner::fanoutd || !it->members.empty()) return std::nullopt;
        if (std::any_of(out.members.begin(), out.members.end(), [&](const Scenario& m) { return m.name == part; }))
            return std::nullopt;
        out.members.push_back(*it);
        out.description += " " + part;
    }
    if (out.members.size() < 2) return std::nullopt;
    return out;
}

/// --scenario NAME=FILE: the file holds the plugin entry (without name,
/// topics, batch); ${LIB_DIR}, ${SOURCE_DIR}, ${WORK_DIR}, ${TOPIC} are replaced.
Scenario scenario_from_file(const std::string& spec) {
    const auto [name, file] = split_property(spec);
    std::ifstream in(file);
    if (!in) throw std::runtime_error("--scenario " + name + ": cannot read " + file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return Scenario{name, Runner::fanoutd, "fanoutd + plugin entry from " + file, [text](const ScenarioEnv& env) {
                        std::string out = text;
                        const std::pair<std::string, std::string> vars[] = {{"${LIB_DIR}", env.lib_dir.string()},
                                                                            {"${SOURCE_DIR}", env.source_dir.string()},
                                                                            {"${WORK_DIR}", env.work_dir.string()},
                                                                            {"${TOPIC}", env.topic}};
                        for (const auto& [var, value] : vars) {
                            for (std::size_t at; (at = out.find(var)) != std::string::npos;)
                                out.replace(at, var.size(), value);
                        }
                        if (!out.empty() && out.back() != '\n') out += '\n';
                        return out;
                    }};
}

struct BenchSettings {
    std::string brokers;
    std::string topic;
    int partitions = 0;
    std::uint64_t events = 0;  ///< in the topic
    std::vector<std::int64_t> end_offsets;
    std::size_t max_events = 1000;
    int linger_ms = 5;
    int commit_interval_ms = 100;
    int poll_ms = 50;
    int timeout_s = 600;
    Properties consumer_props;  ///< extra librdkafka consumer properties (all runners)
    fs::path fanoutd;
    fs::path self_exe;
    std::string kcat = "kcat";
    std::string run_id;
    pid_t broker_pid = -1;
    ScenarioEnv env;
};

struct Result {
    std::string scenario;
    int round = 1;
    bool ok = false;
    std::string note;
    std::uint64_t events = 0;  ///< consumed (kcat/poll) or committed (fanoutd)
    double elapsed = 0;        ///< process start -> all events consumed/committed
    double startup = 0;        ///< process start -> first progress seen
    std::uint64_t events_at_first = 0;
    double peak_rss_mb = -1;
    double cpu_s = -1;  ///< the consumer process' user+system CPU
    double broker_cpu_s = -1;
    double host_busy = -1;   ///< 0..1 over all cores, during the run
    double shutdown_s = -1;  ///< fanoutd: SIGTERM -> exit
    fs::path log;

    double rate() const { return elapsed > 0 ? static_cast<double>(events) / elapsed : 0; }
    /// -1 when progress was seen only once (everything done before the first look).
    double steady_rate() const {
        const double span = elapsed - startup;
        return span > 0 && events > events_at_first ? static_cast<double>(events - events_at_first) / span : -1;
    }
};

/// Runs a child whose stdout has one line per consumed message; the end is
/// the moment the last expected line arrives.
Result run_line_counting(const BenchSettings& s, const Scenario& sc, const std::vector<std::string>& argv,
                         const fs::path& log) {
    Result r;
    r.scenario = sc.name;
    r.log = log;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CpuWatch cpu(s.broker_pid);
    const auto t0 = Clock::now();
    const pid_t pid = spawn(argv, fds[1], log_fd);
    ::close(fds[1]);
    if (log_fd >= 0) ::close(log_fd);

    std::uint64_t lines = 0;
    bool first = false;
    Clock::time_point t_first{}, t_end{};
    std::vector<char> buf(1 << 16);
    const auto deadline = t0 + std::chrono::seconds(s.timeout_s);
    bool timed_out = false;
    for (;;) {
        pollfd p{fds[0], POLLIN, 0};
        const int pr = ::poll(&p, 1, 200);
        if (pr < 0 && errno == EINTR) continue;
        if (Clock::now() > deadline) {
            timed_out = true;
            break;
        }
        if (pr == 0) continue;
        const ssize_t n = ::read(fds[0], buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the child closed stdout (exited)
        const auto now = Clock::now();
        lines += static_cast<std::uint64_t>(std::count(buf.data(), buf.data() + n, '\n'));
        if (!first && lines > 0) {
            first = true;
            t_first = now;
            r.events_at_first = lines;
        }
        if (lines >= s.events && t_end == Clock::time_point{}) t_end = now;
    }
    ::close(fds[0]);
    const double host = cpu.host_busy();
    if (timed_out) ::kill(pid, SIGKILL);
    ExitInfo ended = wait_child(pid, std::chrono::seconds(60));
    if (!ended.exited) {
        ::kill(pid, SIGKILL);
        ended = wait_child(pid, std::chrono::seconds(10));
    }
    if (t_end == Clock::time_point{}) t_end = Clock::now();
    r.events = lines;
    r.elapsed = seconds_between(t0, t_end);
    r.startup = first ? seconds_between(t0, t_first) : 0;
    r.peak_rss_mb = static_cast<double>(ended.usage.ru_maxrss) / 1024.0;
    r.cpu_s = rusage_cpu(ended.usage);
    r.broker_cpu_s = cpu.broker_cpu();
    r.host_busy = host;
    r.ok = lines == s.events && !timed_out;
    if (timed_out)
        r.note = "timed out after " + std::to_string(s.timeout_s) + " s";
    else if (lines != s.events)
        r.note = "consumed " + std::to_string(lines) + " of " + std::to_string(s.events) + " (" +
                 describe_status(ended.status) + ")";
    else if (!WIFEXITED(ended.status) || WEXITSTATUS(ended.status) != 0)
        r.note = describe_status(ended.status);
    return r;
}

Result run_kcat(const BenchSettings& s, const Scenario& sc, const fs::path& log) {
    // -c N: exit at the Nth message. With -e alone kcat would also wait for
    // an empty fetch on every partition (up to fetch.wait.max.ms, 500 ms) and
    // the clock would include that wait.
    std::vector<std::string> argv = {s.kcat,  "-C", "-b",        s.brokers, "-t",
                                     s.topic, "-o", "beginning", "-c",      std::to_string(s.events),
                                     "-e",    "-q", "-f",        "%o\n"};
    for (const auto& [k, v] : s.consumer_props) {
        argv.push_back("-X");
        argv.push_back(k + "=" + v);
    }
    return run_line_counting(s, sc, argv, log);
}

Result run_poll(const BenchSettings& s, const Scenario& sc, const std::string& group, const fs::path& log) {
    std::vector<std::string> argv = {s.self_exe.string(),     "--internal-poll-consumer", s.brokers, s.topic, group,
                                     std::to_string(s.events)};
    for (const auto& [k, v] : s.consumer_props) argv.push_back(k + "=" + v);
    return run_line_counting(s, sc, argv, log);
}

std::string fanoutd_config(const BenchSettings& s, const Scenario& sc, const std::string& group_prefix,
                           const ScenarioEnv& env) {
    Properties props = {{"auto.commit.interval.ms", std::to_string(s.commit_interval_ms)}};
    for (const auto& [k, v] : s.consumer_props) put_property(props, k, v);
    std::ostringstream y;
    y << "# Generated by fanout_bench (scenario " << sc.name << "): " << sc.description << "\n";
    y << "kafka:\n  brokers: " << yaml_quote(s.brokers) << "\n  properties:\n";
    for (const auto& [k, v] : props) y << "    " << k << ": " << yaml_quote(v) << "\n";
    y << "group_prefix: " << yaml_quote(group_prefix) << "\n";
    y << "dead_letter_topic: " << yaml_quote(s.topic + ".dead-letter") << "\n";
    y << "drain_timeout_ms: 10000\n";
    y << "plugins:\n";
    const std::vector<Scenario> single = {sc};
    for (const Scenario& member : sc.members.empty() ? single : sc.members) {
        y << "  - name: " << member.plugin() << "\n";
        y << "    topics: [" << yaml_quote(s.topic) << "]\n";
        // The no-op plugin never reads an envelope: nothing to parse ahead.
        y << "    batch: { max_events: " << s.max_events << ", linger_ms: " << s.linger_ms
          << (member.name == "noop" ? ", parse_ahead: false" : "") << " }\n";
        std::istringstream body(member.plugin_body(env));
        for (std::string line; std::getline(body, line);) y << "    " << line << "\n";
    }
    return y.str();
}

/// One Result per plugin: each plugin's group is watched on its own, so a side
/// by side run says when each plugin was done. The process figures (RSS, CPU)
/// are the whole fanoutd's, on every row.
std::vector<Result> run_fanoutd(const BenchSettings& s, const Scenario& sc, const std::string& group_prefix,
                                const fs::path& log) {
    ScenarioEnv env = s.env;
    env.work_dir = s.env.work_dir / group_prefix;  // fresh databases per run
    fs::create_directories(env.work_dir);
    const fs::path config = s.env.work_dir / (group_prefix + ".yaml");
    {
        std::ofstream out(config);
        out << fanoutd_config(s, sc, group_prefix, env);
    }
    const std::vector<Scenario> single = {sc};
    const std::vector<Scenario>& members = sc.members.empty() ? single : sc.members;

    struct Watch {
        Result r;
        RdKafka client;
        rd_kafka_topic_partition_list_t* list = nullptr;
        bool first = false, done = false;
        std::uint64_t last = 0;
        Clock::time_point t_first{}, t_end{};
    };
    std::vector<Watch> watches;
    watches.reserve(members.size());
    for (const Scenario& m : members) {
        // The group's committed offsets, watched from a separate client (never joins).
        const std::string group = group_prefix + "." + m.plugin();
        Watch w{Result{}, make_client(RD_KAFKA_CONSUMER, s.brokers, {{"group.id", group}, {"enable.auto.commit", "false"}})};
        w.r.scenario = sc.members.empty() ? sc.name : sc.name + ": " + m.name;
        w.r.log = log;
        w.list = rd_kafka_topic_partition_list_new(s.partitions);
        for (int p = 0; p < s.partitions; ++p) rd_kafka_topic_partition_list_add(w.list, s.topic.c_str(), p);
        watches.push_back(std::move(w));
    }
    auto committed = [&](Watch& w) -> std::optional<std::vector<std::int64_t>> {
        for (int p = 0; p < s.partitions; ++p) w.list->elems[p].offset = RD_KAFKA_OFFSET_INVALID;
        if (rd_kafka_committed(w.client.get(), w.list, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
        std::vector<std::int64_t> out;
        for (int p = 0; p < s.partitions; ++p) out.push_back(w.list->elems[p].err ? -1 : w.list->elems[p].offset);
        return out;
    };
    for (auto& w : watches) committed(w);  // warm up: coordinator lookup and connection before the clock starts

    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CpuWatch cpu(s.broker_pid);
    const auto t0 = Clock::now();
    const fs::path binary = sc.fanoutd.empty() ? s.fanoutd : sc.fanoutd;
    const pid_t pid = spawn({binary.string(), "--config", config.string(), "--log-format", "plain"}, log_fd, log_fd);
    if (log_fd >= 0) ::close(log_fd);

    const auto deadline = t0 + std::chrono::seconds(s.timeout_s);
    bool died = false;
    ExitInfo ended;
    auto all_done = [&] {
        return std::all_of(watches.begin(), watches.end(), [](const Watch& w) { return w.done; });
    };
    while (Clock::now() < deadline && !all_done()) {
        const auto tick = Clock::now();
        for (auto& w : watches) {
            if (w.done) continue;
            if (auto c = committed(w)) {
                const auto now = Clock::now();
                w.last = static_cast<std::uint64_t>(sum(*c));
                if (!w.first && w.last > 0) {
                    w.first = true;
                    w.t_first = now;
                    w.r.events_at_first = w.last;
                }
                bool all = true;
                for (int p = 0; p < s.partitions; ++p) all = all && (*c)[p] >= s.end_offsets[p];
                if (all) {
                    w.done = true;
                    w.t_end = now;
                }
            }
        }
        if (all_done()) break;
        ended = wait_child(pid, std::chrono::milliseconds(0));
        if (ended.exited) {
            died = true;
            break;
        }
        std::this_thread::sleep_until(tick + std::chrono::milliseconds(s.poll_ms));
    }
    const double host = cpu.host_busy();
    const auto t_stopped_watching = Clock::now();

    // Figures of the live process, just before stopping it.
    double peak_rss_mb = -1, cpu_s = -1, shutdown_s = -1;
    std::string note;
    if (!died) {
        peak_rss_mb = static_cast<double>(proc_status_kb(pid, "VmHWM")) / 1024.0;
        cpu_s = proc_cpu_seconds(pid);
        const auto t_stop = Clock::now();
        ::kill(pid, SIGTERM);
        ended = wait_child(pid, std::chrono::seconds(30));
        if (!ended.exited) {
            ::kill(pid, SIGKILL);
            ended = wait_child(pid, std::chrono::seconds(10));
            note = "did not exit within 30 s of SIGTERM; killed. ";
        }
        shutdown_s = seconds_between(t_stop, Clock::now());
    } else {
        cpu_s = rusage_cpu(ended.usage);
        peak_rss_mb = static_cast<double>(ended.usage.ru_maxrss) / 1024.0;
        std::cerr << "\n--- fanoutd exited early; last lines of " << log.string() << " ---\n"
                  << read_tail(log, 3000) << "\n---\n";
    }
    const int problems = count_lines_with(log, {"[warning]", "[error]", "[critical]"});
    std::vector<Result> out;
    for (auto& w : watches) {
        rd_kafka_topic_partition_list_destroy(w.list);
        Result r = w.r;
        r.events = w.last;
        r.elapsed = seconds_between(t0, w.done ? w.t_end : t_stopped_watching);
        r.startup = w.first ? seconds_between(t0, w.t_first) : 0;
        r.peak_rss_mb = peak_rss_mb;
        r.cpu_s = cpu_s;
        r.shutdown_s = shutdown_s;
        r.broker_cpu_s = cpu.broker_cpu();
        r.host_busy = host;
        r.ok = w.done;
        r.note = note;
        if (died)
            r.note += "fanoutd exited early (" + describe_status(ended.status) + "); see " + log.string();
        else if (!w.done)
            r.note += "timed out after " + std::to_string(s.timeout_s) + " s at " + std::to_string(w.last) +
                      " committed";
        else if (!WIFEXITED(ended.status) || WEXITSTATUS(ended.status) != 0)
            r.note += "fanoutd " + describe_status(ended.status) + " after SIGTERM";
        if (problems > 0) {
            r.note += (r.note.empty() ? "" : "; ") + std::to_string(problems) + " warning/error line(s) in the log";
        }
        out.push_back(std::move(r));
    }
    return out;
}

// ---------------------------------------------------------------------------
// --internal-poll-consumer BROKERS TOPIC GROUP COUNT [K=V...]
// A minimal consumer with fanoutd's consume model (subscribe, cooperative-
// sticky, rd_kafka_consumer_poll per message) and no work: one line per
// message on stdout, exits once COUNT messages were read.
// ---------------------------------------------------------------------------

int internal_poll_consumer(int argc, char** argv) {
    if (argc < 6) return 2;
    const std::string brokers = argv[2], topic = argv[3], group = argv[4];
    const std::uint64_t expected = std::strtoull(argv[5], nullptr, 10);
    Properties props = {{"group.id", group},
                        {"client.id", "fanout-bench-poll"},
                        {"enable.auto.commit", "true"},
                        {"enable.auto.offset.store", "false"},
                        {"enable.partition.eof", "false"},
                        {"auto.offset.reset", "earliest"},
                        {"partition.assignment.strategy", "cooperative-sticky"}};
    for (int i = 6; i < argc; ++i) {
        const auto [k, v] = split_property(argv[i]);
        put_property(props, k, v);
    }
    RdKafka rk = make_client(RD_KAFKA_CONSUMER, brokers, props);
    rd_kafka_poll_set_consumer(rk.get());
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk.get(), topics);
    rd_kafka_topic_partition_list_destroy(topics);
    std::uint64_t count = 0;
    char line[32];
    while (count < expected) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
        if (m == nullptr) continue;
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ++count;
            const int n = std::snprintf(line, sizeof line, "%lld\n", static_cast<long long>(m->offset));
            std::fwrite(line, 1, static_cast<std::size_t>(n), stdout);
        }
        rd_kafka_message_destroy(m);
    }
    std::fflush(stdout);
    ::close(STDOUT_FILENO);  // the driver's clock stops here
    rd_kafka_consumer_close(rk.get());
    return 0;
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

std::string pad(const std::string& s, std::size_t w, bool right = true) {
    if (s.size() >= w) return s;
    return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

void print_table(const std::vector<Result>& results, int rounds) {
    std::size_t name_width = 12;
    for (const Result& r : results) name_width = std::max(name_width, r.scenario.size() + (rounds > 1 ? 6 : 2));
    const std::vector<std::pair<std::string, std::size_t>> cols = {
        {"scenario", name_width}, {"events", 11},       {"elapsed s", 10}, {"events/s", 10},    {"vs kcat", 8},
        {"startup s", 10},        {"steady ev/s", 12},  {"vs kcat", 8},    {"peak RSS MB", 12}, {"CPU s", 7},
        {"CPU us/ev", 10},        {"broker CPU s", 13}, {"host busy", 10}};
    std::string header, rule;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        header += pad(cols[i].first, cols[i].second, i != 0) + (i + 1 < cols.size() ? "  " : "");
        rule += std::string(cols[i].second, '-') + (i + 1 < cols.size() ? "  " : "");
    }
    std::cout << header << "\n" << rule << "\n";
    for (const Result& r : results) {
        const Result* ref = nullptr;
        for (const Result& k : results) {
            if (k.scenario == "kcat" && k.round == r.round && k.ok) ref = &k;
        }
        auto pct = [&](double v, double base) {
            return ref && base > 0 && v >= 0 ? fmt_double(100.0 * v / base, 0) + "%" : "-";
        };
        const std::string name = r.scenario + (rounds > 1 ? " #" + std::to_string(r.round) : "") + (r.ok ? "" : " !");
        const std::vector<std::string> cells = {
            name,
            with_commas(r.events),
            fmt_double(r.elapsed, 2),
            with_commas(static_cast<std::uint64_t>(r.rate())),
            pct(r.rate(), ref ? ref->rate() : 0),
            fmt_double(r.startup, 2),
            r.steady_rate() >= 0 ? with_commas(static_cast<std::uint64_t>(r.steady_rate())) : "-",
            pct(r.steady_rate(), ref ? ref->steady_rate() : 0),
            r.peak_rss_mb >= 0 ? fmt_double(r.peak_rss_mb, 1) : "-",
            r.cpu_s >= 0 ? fmt_double(r.cpu_s, 2) : "-",
            r.cpu_s >= 0 && r.events > 0 ? fmt_double(1e6 * r.cpu_s / static_cast<double>(r.events), 2) : "-",
            r.broker_cpu_s >= 0 ? fmt_double(r.broker_cpu_s, 2) : "-",
            r.host_busy >= 0 ? fmt_double(100 * r.host_busy, 0) + "%" : "-",
        };
        std::string row;
        for (std::size_t i = 0; i < cols.size(); ++i)
            row += pad(cells[i], cols[i].second, i != 0) + (i + 1 < cols.size() ? "  " : "");
        std::cout << row << "\n";
    }
    bool any_note = false;
    for (const Result& r : results) {
        if (r.note.empty()) continue;
        if (!any_note) std::cout << "notes:\n";
        any_note = true;
        std::cout << "  " << r.scenario << (rounds > 1 ? " #" + std::to_string(r.round) : "") << ": " << r.note << "\n";
    }
}

void write_csv(const fs::path& file, const std::vector<Result>& results, const BenchSettings& s) {
    const bool fresh = !fs::exists(file);
    std::ofstream out(file, std::ios::app);
    if (fresh) {
        out << "run_id,scenario,round,ok,events,elapsed_s,events_per_s,startup_s,steady_events_per_s,peak_rss_mb,cpu_s,"
               "broker_cpu_s,host_busy,max_events,linger_ms,consumer_properties,note\n";
    }
    for (const Result& r : results) {
        out << s.run_id << ',' << r.scenario << ',' << r.round << ',' << (r.ok ? 1 : 0) << ',' << r.events << ','
            << r.elapsed << ',' << r.rate() << ',' << r.startup << ',' << r.steady_rate() << ',' << r.peak_rss_mb << ','
            << r.cpu_s << ',' << r.broker_cpu_s << ',' << r.host_busy << ',' << s.max_events << ',' << s.linger_ms
            << ",\"" << describe_properties(s.consumer_props) << "\",\"" << r.note << "\"\n";
    }
}

std::string first_line_of_command(const std::string& cmd) {
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return "?";
    char buf[512] = {0};
    if (std::fgets(buf, sizeof buf, p) == nullptr) buf[0] = 0;
    pclose(p);
    std::string s = buf;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

/// The notifier scenario's webhook receiver: answers 200 to every POST on
/// 127.0.0.1, inside this driver, until destroyed.
class WebhookSink {
public:
    WebhookSink() {
        // httplib writes headers and body separately: Nagle would hold each response.
        server_.set_tcp_nodelay(true);
        server_.Post(".*", [this](const httplib::Request&, httplib::Response& res) {
            ++received_;
            res.status = 200;
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        if (port_ <= 0) throw std::runtime_error("cannot listen on 127.0.0.1 for the webhook receiver");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
    }
    ~WebhookSink() {
        server_.stop();
        if (thread_.joinable()) thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/notifications"; }
    std::uint64_t received() const { return received_.load(); }

private:
    httplib::Server server_;
    std::atomic<std::uint64_t> received_{0};
    int port_ = -1;
    std::thread thread_;
};

/// For every plugin that ran both side by side ("A+B: A") and alone ("A") in
/// the same round: its side-by-side rate as a share of its solo rate.
void print_side_by_side(const std::vector<Result>& results, int rounds) {
    bool header = false;
    for (const Result& r : results) {
        const auto colon = r.scenario.find(": ");
        if (colon == std::string::npos || !r.ok) continue;
        const std::string plugin = r.scenario.substr(colon + 2);
        const Result* solo = nullptr;
        for (const Result& k : results) {
            if (k.scenario == plugin && k.round == r.round && k.ok) solo = &k;
        }
        if (solo == nullptr) continue;
        if (!header) std::cout << "\nside by side vs alone (events/s, steady in brackets):\n";
        header = true;
        auto share = [](double a, double b) { return b > 0 && a >= 0 ? fmt_double(100.0 * a / b, 0) + "%" : "-"; };
        std::cout << "  " << r.scenario << (rounds > 1 ? " #" + std::to_string(r.round) : "") << ": "
                  << with_commas(static_cast<std::uint64_t>(r.rate())) << " vs "
                  << with_commas(static_cast<std::uint64_t>(solo->rate())) << " alone = " << share(r.rate(), solo->rate())
                  << " (" << share(r.steady_rate(), solo->steady_rate()) << ")\n";
    }
}

/// Every projection scenario next to the C++ sql_read_model of its backend
/// in the same round: events/s and the share.
void print_projections(const std::vector<Result>& results, int rounds) {
    bool header = false;
    for (const Result& r : results) {
        const std::string reference = projection_reference(r.scenario);
        if (reference.empty() || !r.ok) continue;
        const Result* native = nullptr;
        for (const Result& k : results) {
            if (k.scenario == reference && k.round == r.round && k.ok) native = &k;
        }
        if (native == nullptr) continue;
        if (!header) std::cout << "\nprojections vs the C++ sql_read_model on the same backend (events/s):\n";
        header = true;
        const std::string round = rounds > 1 ? " #" + std::to_string(r.round) : "";
        std::cout << "  " << pad(r.scenario + round, 26, false) << with_commas(static_cast<std::uint64_t>(r.rate()))
                  << " vs " << reference << round << " " << with_commas(static_cast<std::uint64_t>(native->rate()))
                  << " = " << fmt_double(native->rate() > 0 ? 100.0 * r.rate() / native->rate() : 0, 0) << "%\n";
    }
}

fs::path self_exe() {
    std::error_code ec;
    const fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path("fanout_bench") : p;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "--internal-poll-consumer") {
        try {
            return internal_poll_consumer(argc, argv);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "poll consumer: %s\n", e.what());
            return 1;
        }
    }

    const fs::path exe = self_exe();
    const fs::path bin_dir = exe.parent_path();

    CLI::App app{
        "fanout_bench: loads N realistic post events into a fresh topic, then measures kcat and fanoutd "
        "scenarios over it side by side. Prints figures, never pass/fail."};
    std::string brokers = std::getenv("FANOUT_BENCH_BROKERS") ? std::getenv("FANOUT_BENCH_BROKERS") : "127.0.0.1:19092";
    std::uint64_t n_events = 1'000'000;
    int partitions = 6;
    std::size_t posts = 0;
    std::uint64_t seed = 42;
    std::string topic;
    bool no_load = false, keep_topic = false, delete_topic_anyway = false, list = false;
    std::string scenario_list = "kcat,poll,noop,example";
    std::vector<std::string> extra_scenarios, kafka_props, producer_props, variant_specs;
    std::size_t max_events = 1000;
    int linger_ms = 5, commit_ms = 100, poll_ms = 50, repeat = 1, timeout_s = 600;
    std::string fanoutd = (bin_dir / "fanoutd").string(), lib_dir = (bin_dir.parent_path() / "lib").string();
    std::string kcat = "kcat", work_dir, csv;
    pid_t broker_pid = -1;

    app.add_option("-b,--brokers", brokers, "bootstrap servers (env FANOUT_BENCH_BROKERS)")
        ->capture_default_str()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_option("-n,--events", n_events, "events to load")->capture_default_str();
    app.add_option("-p,--partitions", partitions, "partitions of the fresh topic")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    app.add_option("--posts", posts, "live posts the events are spread over (keys); 0: events/50, at least 100")
        ->capture_default_str();
    app.add_option("--seed", seed, "generator seed")->capture_default_str();
    app.add_option("-t,--topic", topic, "topic name (default: a fresh fanout-bench-<time>-<pid>)");
    app.add_flag("--no-load", no_load, "use --topic as it is (already loaded); N = its end offsets");
    app.add_flag("--keep-topic", keep_topic, "do not delete the topic at the end");
    app.add_flag("--delete-topic", delete_topic_anyway, "delete the topic at the end even with --no-load");
    app.add_option("-s,--scenarios", scenario_list, "comma-separated scenarios to run, in order")
        ->capture_default_str();
    app.add_option("--scenario", extra_scenarios,
                   "add a fanoutd scenario NAME=FILE; FILE is the plugin entry (type, path, options, ...; no name, "
                   "topics or batch) with ${LIB_DIR} ${SOURCE_DIR} ${WORK_DIR} ${TOPIC} replaced. Also list NAME in "
                   "--scenarios");
    app.add_flag("--list-scenarios", list, "print the known scenarios and exit");
    app.add_option("--max-events", max_events, "fanoutd batch.max_events")->capture_default_str();
    app.add_option("--linger-ms", linger_ms, "fanoutd batch.linger_ms")->capture_default_str();
    app.add_option("-X,--kafka-property", kafka_props,
                   "extra librdkafka consumer property K=V for every scenario (kcat -X, poll, fanoutd "
                   "kafka.properties); repeatable");
    app.add_option("--producer-property", producer_props, "librdkafka producer property K=V for the load; repeatable");
    app.add_option("--commit-interval-ms", commit_ms, "auto.commit.interval.ms given to fanoutd")
        ->capture_default_str();
    app.add_option("--poll-ms", poll_ms, "how often committed offsets are read")->capture_default_str();
    app.add_option("-r,--repeat", repeat, "run the scenario list this many times (rounds)")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
    app.add_option("--timeout", timeout_s, "per scenario, seconds")->capture_default_str();
    app.add_option("--fanoutd", fanoutd, "fanoutd binary")->capture_default_str();
    app.add_option("--variant", variant_specs,
                   "A/B: NAME=FANOUTD_BINARY also runs every fanoutd scenario S as S@NAME with that binary, in the "
                   "same rounds (interleaved); repeatable");
    app.add_option("--lib-dir", lib_dir, "plugin libraries")->capture_default_str();
    app.add_option("--kcat", kcat, "kcat binary")->capture_default_str();
    app.add_option("--work-dir", work_dir, "generated configs and logs (default: a fresh /tmp/fanout-bench-*)");
    app.add_option("--broker-pid", broker_pid, "broker pid, to report its CPU per scenario")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_option("--csv", csv, "also append the rows to this CSV file");
    std::string pg;
    app.add_option("--pg", pg,
                   "PostgreSQL conninfo for the *_pg scenarios (e.g. \"$(tools/postgres-dev.sh conn)\"); each run gets "
                   "a fresh schema, dropped at the end");
    CLI11_PARSE(app, argc, argv);

    std::vector<Scenario> known = builtin_scenarios();
    try {
        for (const auto& spec : extra_scenarios) known.push_back(scenario_from_file(spec));
    } catch (const std::exception& e) {
        std::cerr << "fanout_bench: " << e.what() << "\n";
        return 2;
    }
    if (list) {
        for (const auto& sc : known) std::cout << pad(sc.name, 10, false) << "  " << sc.description << "\n";
        std::cout << "A+B+...    side by side: the fanoutd scenarios A, B, ... as plugins of one fanoutd, one row each\n";
        return 0;
    }
    std::vector<const Scenario*> chosen;
    std::vector<std::string> chosen_names;
    {
        std::istringstream in(scenario_list);
        for (std::string name; std::getline(in, name, ',');) {
            if (name.empty()) continue;
            auto it = std::find_if(known.begin(), known.end(), [&](const Scenario& s) { return s.name == name; });
            if (it == known.end() && name.find('+') != std::string::npos) {
                auto composite = side_by_side(name, known);
                if (!composite) {
                    std::cerr << "fanout_bench: side-by-side scenario '" << name
                              << "' must join two or more different fanoutd scenarios with '+' (see "
                                 "--list-scenarios)\n";
                    return 2;
                }
                // Appending to `known` may reallocate: resolve every pointer again below.
                known.push_back(std::move(*composite));
                it = known.end() - 1;
            }
            if (it == known.end()) {
                std::cerr << "fanout_bench: unknown scenario '" << name << "' (see --list-scenarios)\n";
                return 2;
            }
            chosen_names.push_back(name);
        }
        for (const auto& n : chosen_names) {
            chosen.push_back(&*std::find_if(known.begin(), known.end(), [&](const Scenario& x) { return x.name == n; }));
        }
    }
    std::vector<std::pair<std::string, std::string>> variants;
    for (const auto& spec : variant_specs) {
        const auto eq = spec.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::cerr << "fanout_bench: --variant expects NAME=FANOUTD_BINARY, got '" << spec << "'\n";
            return 2;
        }
        variants.emplace_back(spec.substr(0, eq), fs::absolute(spec.substr(eq + 1)).string());
    }
    if (!variants.empty()) {
        // Each fanoutd scenario is followed by its variants, so rounds interleave them.
        std::vector<Scenario> added;
        for (const Scenario* sc : chosen) {
            if (sc->runner != Runner::fanoutd) continue;
            for (const auto& [vname, vpath] : variants) {
                Scenario v = *sc;
                v.name = sc->name + "@" + vname;
                v.plugin_name = sc->plugin();
                v.fanoutd = vpath;
                v.description = sc->description + ", fanoutd " + vpath;
                added.push_back(v);
            }
        }
        // Appending to `known` may reallocate: look every pointer up again by name.
        std::vector<std::string> names;
        for (const Scenario* sc : chosen) {
            names.push_back(sc->name);
            if (sc->runner == Runner::fanoutd) {
                for (const auto& [vname, vpath] : variants) names.push_back(sc->name + "@" + vname);
            }
        }
        for (auto& v : added) known.push_back(std::move(v));
        chosen.clear();
        for (const auto& n : names) {
            chosen.push_back(
                &*std::find_if(known.begin(), known.end(), [&](const Scenario& x) { return x.name == n; }));
        }
    }
    if (chosen.empty()) {
        std::cerr << "fanout_bench: no scenario to run\n";
        return 2;
    }
    if (posts == 0) posts = std::max<std::size_t>(100, static_cast<std::size_t>(n_events / 50));
    if (no_load && topic.empty()) {
        std::cerr << "fanout_bench: --no-load needs --topic\n";
        return 2;
    }

    BenchSettings s;
    s.brokers = brokers;
    s.max_events = max_events;
    s.linger_ms = linger_ms;
    s.commit_interval_ms = commit_ms;
    s.poll_ms = poll_ms;
    s.timeout_s = timeout_s;
    s.fanoutd = fanoutd;
    s.self_exe = exe;
    s.kcat = kcat;
    s.broker_pid = broker_pid;
    s.run_id = std::to_string(std::time(nullptr)) + "-" + std::to_string(::getpid());
    try {
        for (const auto& kv : kafka_props) {
            const auto [k, v] = split_property(kv);
            put_property(s.consumer_props, k, v);
        }
        Properties pprops;
        for (const auto& kv : producer_props) {
            const auto [k, v] = split_property(kv);
            put_property(pprops, k, v);
        }
        if (work_dir.empty()) {
            char tmpl[] = "/tmp/fanout-bench-XXXXXX";
            if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
            work_dir = tmpl;
        }
        fs::create_directories(work_dir);
        s.env = {fs::absolute(lib_dir), fs::path(FANOUT_SOURCE_DIR), fs::absolute(work_dir), {}, {}, {}};
        WebhookSink webhooks;
        s.env.webhook_url = webhooks.url();
        PostgresSchemas schemas(pg, s.run_id);
        s.env.postgres = [&schemas](const std::string& name) { return schemas.fresh(name); };
        for (const Scenario* sc : chosen) {
            const fs::path binary = sc->fanoutd.empty() ? s.fanoutd : sc->fanoutd;
            if (sc->runner == Runner::fanoutd && !fs::exists(binary)) {
                throw std::runtime_error("no fanoutd at " + binary.string() + " (--fanoutd / --variant)");
            }
        }

        signal(SIGPIPE, SIG_IGN);
        // Admin and metadata client; never creates a topic by asking about it.
        RdKafka admin = make_client(RD_KAFKA_PRODUCER, brokers, {{"allow.auto.create.topics", "false"}});
        {
            const rd_kafka_metadata_t* md = nullptr;
            const auto e = rd_kafka_metadata(admin.get(), 0, nullptr, &md, 10'000);
            if (md != nullptr) rd_kafka_metadata_destroy(md);
            if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
                throw std::runtime_error("broker " + brokers + " does not answer metadata requests (" +
                                         rd_kafka_err2str(e) + "); start one with tools/kafka-dev.sh start");
            }
        }

        s.topic = topic.empty() ? "fanout-bench-" + s.run_id : topic;
        s.env.topic = s.topic;
        std::optional<LoadResult> load;
        if (!no_load) {
            std::cerr << "loading " << with_commas(n_events) << " events into " << s.topic << " (" << partitions
                      << " partitions) ...\n";
            create_topic(admin.get(), s.topic, partitions);
            load = load_events(brokers, s.topic, n_events, posts, seed, pprops);
        }
        s.partitions = topic_partitions(admin.get(), s.topic);
        if (s.partitions <= 0) throw std::runtime_error("topic " + s.topic + " not found");
        s.end_offsets = end_offsets(admin.get(), s.topic, s.partitions);
        s.events = static_cast<std::uint64_t>(sum(s.end_offsets));

        // Context first: what was measured, on what.
        utsname un{};
        uname(&un);
        std::cout << "fanout_bench  " << now_utc_string() << "  host " << un.nodename << " (" << un.release << ", "
                  << std::thread::hardware_concurrency() << " CPUs)\n";
        std::cout << "  broker        " << brokers
                  << (broker_pid > 0 ? " (pid " + std::to_string(broker_pid) + ")" : "") << "\n";
        std::cout << "  topic         " << s.topic << ": " << with_commas(s.events) << " events over " << s.partitions
                  << " partitions (";
        for (int p = 0; p < s.partitions; ++p) std::cout << (p ? " " : "") << s.end_offsets[p];
        std::cout << ")\n";
        if (load) {
            std::cout << "  load          " << fmt_double(load->seconds, 2) << " s, "
                      << with_commas(static_cast<std::uint64_t>(static_cast<double>(load->events) / load->seconds))
                      << " events/s; avg value " << load->value_bytes / std::max<std::uint64_t>(load->events, 1)
                      << " bytes; keys = post ids over " << posts << " live posts; headers event-type, event-id, "
                      << "content-type\n  types        ";
            for (const auto& [type, count] : load->types) {
                std::cout << " " << type << " "
                          << fmt_double(100.0 * static_cast<double>(count) / static_cast<double>(load->events), 1)
                          << "%";
            }
            std::cout << "\n  producer      " << describe_properties(pprops)
                      << " (on top of enable.idempotence=true linger.ms=20 batch.num.messages=10000)\n";
        }
        std::cout << "  fanoutd       " << s.fanoutd.string() << ": "
                  << first_line_of_command("'" + s.fanoutd.string() + "' --version 2>&1") << "\n";
        for (const auto& [vname, vpath] : variants) std::cout << "  variant @" << vname << "   " << vpath << "\n";
        std::cout << "  kcat          " << first_line_of_command(kcat + " -V 2>&1 | grep -m1 Version") << "\n";
        std::cout << "  batch         max_events " << max_events << ", linger_ms " << linger_ms
                  << "; auto.commit.interval.ms " << commit_ms << ", committed offsets read every " << poll_ms
                  << " ms\n";
        std::cout << "  extra consumer properties: " << describe_properties(s.consumer_props) << "\n";
        std::cout << "  scenarios:\n";
        for (const Scenario* sc : chosen) std::cout << "    " << pad(sc->name, 10, false) << sc->description << "\n";
        std::cout << "  work dir      " << s.env.work_dir.string() << " (generated configs and logs)\n";
        {
            std::ifstream la("/proc/loadavg");
            std::string l1;
            la >> l1;
            std::cout << "  load average  " << l1 << " (1 min) before the first scenario\n";
        }
        std::cout << std::endl;

        std::vector<Result> results;
        std::vector<std::string> groups;
        for (int round = 1; round <= repeat; ++round) {
            for (const Scenario* sc : chosen) {
                const std::string prefix = "bench-" + s.run_id + "-" + sc->slug() + "-" + std::to_string(round);
                const fs::path log = s.env.work_dir / (prefix + ".log");
                std::cerr << "round " << round << "/" << repeat << ": " << sc->name << " ..." << std::flush;
                std::vector<Result> rs;
                switch (sc->runner) {
                    case Runner::kcat: rs.push_back(run_kcat(s, *sc, log)); break;
                    case Runner::poll:
                        rs.push_back(run_poll(s, *sc, prefix, log));
                        groups.push_back(prefix);
                        break;
                    case Runner::fanoutd:
                        rs = run_fanoutd(s, *sc, prefix, log);
                        if (sc->members.empty()) groups.push_back(prefix + "." + sc->plugin());
                        for (const auto& m : sc->members) groups.push_back(prefix + "." + m.plugin());
                        break;
                }
                for (std::size_t i = 0; i < rs.size(); ++i) {
                    Result& r = rs[i];
                    r.round = round;
                    std::cerr << (i ? "\n    " + r.scenario + ":" : "") << " " << fmt_double(r.elapsed, 2) << " s, "
                              << with_commas(static_cast<std::uint64_t>(r.rate())) << " events/s"
                              << (r.ok ? "" : " (" + r.note + ")");
                    results.push_back(r);
                }
                std::cerr << "\n";
            }
        }

        print_table(results, repeat);
        print_side_by_side(results, repeat);
        print_projections(results, repeat);
        if (webhooks.received() > 0) std::cout << "webhook receiver: " << with_commas(webhooks.received()) << " POSTs\n";
        std::cout << "\ncolumns: elapsed = process start -> last event consumed (kcat, poll) or committed (fanoutd); "
                     "events/s = events / elapsed;\n  startup = process start -> first progress seen (first line "
                     "out of kcat/poll; first committed offset > 0 for fanoutd);\n  steady ev/s = events after the "
                     "first progress / (elapsed - startup); vs kcat = against kcat in the same round;\n  peak RSS = "
                     "VmHWM of the live fanoutd just before SIGTERM (ru_maxrss for kcat/poll); CPU = the consumer "
                     "process' user+sys;\n  broker CPU = the broker JVM's CPU during the scenario (--broker-pid); "
                     "host busy = all cores, everything on the host.\n"
                     "  fanoutd's end is seen up to auto.commit.interval.ms + poll-ms late (here <= "
                  << commit_ms + poll_ms << " ms); its startup too, so steady ev/s largely cancels it.\n";
        std::cout << "targets (context, not a verdict): fanoutd no-op >= 90% of kcat's raw consume rate; fanoutd peak "
                     "RSS <= 64 MB\n";
        if (!csv.empty()) write_csv(csv, results, s);

        delete_groups(admin.get(), groups);
        if ((!no_load && !keep_topic) || delete_topic_anyway) {
            delete_topic(admin.get(), s.topic);
        } else {
            std::cout << "topic kept: " << s.topic << " (rerun with --topic " << s.topic << " --no-load)\n";
        }
        bool all_ok = true;
        for (const auto& r : results) all_ok = all_ok && r.ok;
        return all_ok ? 0 : 1;  // 1 only when a scenario could not finish, never a performance verdict
    } catch (const std::exception& e) {
        std::cerr << "fanout_bench: " << e.what() << "\n";
        return 1;
    }
}
