#pragma once
// fanoutd config files for tests: Kafka settings tuned for tests (fast
// commits, fast failure detection) and library or Lua plugins on one topic.
#include <string>
#include <utility>
#include <vector>

namespace fanout::test {

struct PluginSpec {
    std::string name;
    std::string library;     ///< file name in build/lib
    std::string options;     ///< YAML lines under `options:` (6-space indent)
    std::string extra = {};  ///< YAML lines at plugin level (4-space indent)
    /// Not empty: a `type: lua` plugin running this script, `options` its
    /// `lua:` block (a Lua projection's connection) instead.
    std::string lua_script = {};
};

/// What a config says above `plugins:`.
struct DaemonSettings {
    std::string group_prefix;
    std::string dead_letter_topic;
    int drain_timeout_ms = 10000;
    /// Kafka properties after the test-tuned ones (e.g. group.instance.id).
    std::vector<std::pair<std::string, std::string>> kafka_properties = {};
};

/// The config up to `plugins:` (not included): brokers from FANOUT_TEST_BROKERS.
std::string config_header(const DaemonSettings& settings);

/// `yaml` (a config from make_config) with the admin endpoint on an
/// ephemeral loopback port (admin_port() reads it from the log), followed by
/// `admin_extra` (more `admin:` keys, each line indented by two spaces).
std::string with_admin(std::string yaml, const std::string& admin_extra = {});

/// A fanoutd config running `plugins` (type library) on `topic`.
std::string make_config(const DaemonSettings& settings, const std::string& topic,
                        const std::vector<PluginSpec>& plugins);
std::string make_config(const std::string& group_prefix, const std::string& dead_letter_topic, const std::string& topic,
                        const std::vector<PluginSpec>& plugins, int drain_timeout_ms = 10000);

}  // namespace fanout::test
