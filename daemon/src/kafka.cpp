#include "kafka.hpp"

#include "config_error.hpp"

namespace fanout::daemon {

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

}  // namespace fanout::daemon
