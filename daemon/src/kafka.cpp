#include "kafka.hpp"

#include <cstring>

#include "config_error.hpp"
#include "log.hpp"

namespace fanout::daemon {

void log_from_kafka(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
    const spdlog::level::level_enum lvl = level <= 3 ? spdlog::level::err
                                          : level <= 4 ? spdlog::level::warn
                                          : level <= 6 ? spdlog::level::info
                                                       : spdlog::level::debug;
    log().log(lvl, "[{}] kafka {}: {}", rd_kafka_name(rk), facility, message);
}

KafkaConf make_kafka_conf(const KafkaSettings& kafka, const KafkaProperties& overrides,
                          const std::filesystem::path& config_file, const KafkaProperties& defaults) {
    KafkaConf conf(rd_kafka_conf_new());
    char err[512];
    auto set = [&](const std::string& key, const std::string& value, bool user) {
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
            if (user) {
                throw ConfigError(config_file, kafka.properties_location.line, kafka.properties_location.column,
                                  "kafka.properties '" + key + "': " + err);
            }
            throw ConfigError("internal Kafka setting '" + key + "' rejected: " + err);
        }
    };
    set("bootstrap.servers", kafka.brokers, true);
    set("client.id", "fanoutd", false);
    for (const auto& [k, v] : defaults) set(k, v, false);
    for (const auto& [k, v] : kafka.properties) set(k, v, true);
    for (const auto& [k, v] : overrides) set(k, v, false);
    return conf;
}

// librdkafka 2.0.2 (Debian's; fixed upstream in 2.3.0) aborts the process
// in rd_kafka_destroy() with `rdkafka_sticky_assignor.c:1896:
// rd_kafka_sticky_assignor_state_destroy: Assertion 'assignor_state' failed`
// when a cooperative-sticky consumer is destroyed after a JoinGroup response
// and before its first SyncGroup assignment:
//   1. the JoinGroup response selects the group's assignor (cooperative-sticky);
//   2. only a SyncGroup response that delivers an assignment creates that
//      assignor's state, and a closing consumer ignores SyncGroup responses
//      (as does one whose SyncGroup failed because the group rebalances again,
//      which keeps it in this window until a later join succeeds);
//   3. destroy hands the assignor its state unconditionally: NULL, abort.
// A consumer closed soon after it subscribed, e.g. by a reload, can be in that
// window. The first rebalance callback proves step 2 happened (librdkafka
// queues it only after creating the state), and the state then lives until
// destroy. A consumer that never got a JoinGroup response selected no
// assignor, and is safe too: unsubscribing first makes a JoinGroup answer
// still in flight outdated, and rd_kafka_rebalance_protocol() then says NONE
// for good. A consumer in neither case is closed (it leaves the group) and its
// handle kept: a few idle threads are a better outcome than an abort.
bool close_consumer(KafkaHandle& consumer, const std::function<bool()>& rebalanced, std::chrono::milliseconds patience,
                    const std::string& name) {
    rd_kafka_t* rk = consumer.get();
    if (rk == nullptr) return true;
    const auto deadline = std::chrono::steady_clock::now() + patience;
    while (!rebalanced() && std::chrono::steady_clock::now() < deadline) {
        // Nothing is assigned before the first rebalance callback, which ends
        // the wait: at most the messages of that callback's poll are dropped.
        KafkaMessage dropped(rd_kafka_consumer_poll(rk, 50));
    }
    bool destroy = rebalanced();
    if (!destroy) {
        rd_kafka_unsubscribe(rk);
        const char* protocol = rd_kafka_rebalance_protocol(rk);
        destroy = protocol != nullptr && std::strcmp(protocol, "NONE") == 0;
    }
    if (rd_kafka_resp_err_t e = rd_kafka_consumer_close(rk); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log().warn("[{}] consumer close: {}", name, rd_kafka_err2str(e));
    }
    if (destroy) {
        consumer.reset();
        return true;
    }
    log().warn(
        "[{}] consumer closed while joining its group, {} ms without a first assignment: its handle is kept, not "
        "destroyed (librdkafka 2.0.2 would abort the process)",
        name, patience.count());
    static_cast<void>(consumer.release());
    return false;
}

}  // namespace fanout::daemon
