// kcat and the poll loop: children whose stdout has one line per consumed
// message; the end is the moment the last expected line arrives.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "kafka_topic.hpp"
#include "options.hpp"
#include "bench_figures.hpp"
#include "process_watch.hpp"
#include "runs.hpp"

namespace fanout::bench {
namespace {

Result run_line_counting(const BenchSettings& s, const Scenario& sc, const std::vector<std::string>& argv,
                         const std::filesystem::path& log) {
    Result r;
    r.scenario = sc.name;
    r.log = log;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CpuWatch cpu(s.broker_pid);
    const auto t0 = Clock::now();
    const pid_t pid = spawn_with_fds(argv, fds[1], log_fd);
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
    r.cpu_s = rusage_cpu_seconds(ended.usage);
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

}  // namespace

Result run_kcat(const BenchSettings& s, const Scenario& sc, const std::filesystem::path& log) {
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

Result run_poll(const BenchSettings& s, const Scenario& sc, const std::string& group,
                const std::filesystem::path& log) {
    std::vector<std::string> argv = {s.self_exe.string(),     "--internal-poll-consumer", s.brokers, s.topic, group,
                                     std::to_string(s.events)};
    for (const auto& [k, v] : s.consumer_props) argv.push_back(k + "=" + v);
    return run_line_counting(s, sc, argv, log);
}

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
                        {"partition.assignment.strategy", "cooperative-sticky"},
                        {"log_level", "3"}};
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

}  // namespace fanout::bench
