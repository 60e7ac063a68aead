#include "fanoutd_config.hpp"

#include <sstream>
#include <stdexcept>

#include "kafka_test.hpp"
#include "process.hpp"

namespace fanout::test {

std::string config_header(const DaemonSettings& settings) {
    std::ostringstream y;
    y << "kafka:\n"
      << "  brokers: " << brokers() << "\n"
      << "  properties:\n"
      << "    auto.commit.interval.ms: \"200\"\n"
      << "    session.timeout.ms: \"6000\"\n"
      << "    heartbeat.interval.ms: \"500\"\n"
      << "    topic.metadata.refresh.interval.ms: \"1000\"\n";
    for (const auto& [key, value] : settings.kafka_properties) y << "    " << key << ": \"" << value << "\"\n";
    y << "group_prefix: " << settings.group_prefix << "\n"
      << "dead_letter_topic: " << settings.dead_letter_topic << "\n"
      << "drain_timeout_ms: " << settings.drain_timeout_ms << "\n";
    return y.str();
}

std::string with_admin(std::string yaml, const std::string& admin_extra) {
    const auto at = yaml.find("plugins:");
    if (at == std::string::npos) throw std::invalid_argument("with_admin: no 'plugins:' in the config");
    yaml.insert(at, "admin:\n  listen: 127.0.0.1:0\n" + admin_extra);
    return yaml;
}

std::string make_config(const DaemonSettings& settings, const std::string& topic,
                        const std::vector<PluginSpec>& plugins) {
    std::ostringstream y;
    y << config_header(settings) << "plugins:\n";
    for (const auto& p : plugins) {
        y << "  - name: " << p.name << "\n";
        if (p.lua_script.empty()) {
            y << "    type: library\n"
              << "    path: " << (lib_dir() / p.library).string() << "\n";
        } else {
            y << "    type: lua\n"
              << "    path: " << p.lua_script << "\n";
        }
        y << "    topics: [" << topic << "]\n"
          << p.extra << (p.lua_script.empty() ? "    options:\n" : "    lua:\n") << p.options;
    }
    return y.str();
}

std::string make_config(const std::string& group_prefix, const std::string& dead_letter_topic, const std::string& topic,
                        const std::vector<PluginSpec>& plugins, int drain_timeout_ms) {
    return make_config(DaemonSettings{group_prefix, dead_letter_topic, drain_timeout_ms}, topic, plugins);
}

}  // namespace fanout::test
