#pragma once
// The fanoutd configuration a benchmark writes for one run: the broker, the
// group prefix and dead-letter topic, then one entry per plugin.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace fanout::bench {

/// librdkafka properties, in the order given.
using Properties = std::vector<std::pair<std::string, std::string>>;

/// Set or replace `key` in `props`.
void put_property(Properties& props, const std::string& key, const std::string& value);

/// `s` as a YAML double-quoted scalar.
std::string yaml_quote(const std::string& s);

/// Everything before the plugin entries: `kafka` (with `properties`),
/// `group_prefix`, `dead_letter_topic` (`topic`.dead-letter), the drain
/// timeout, and `plugins:`.
std::string fanoutd_config_head(const std::string& brokers, const Properties& properties,
                                const std::string& group_prefix, const std::string& topic);

/// A plugin entry's first lines (name, topic, batch) under `plugins:`; the
/// rest of the entry follows at `k_entry_indent`. `parse_ahead` false: a
/// plugin that never reads an envelope (the no-op plugin).
std::string plugin_entry_head(const std::string& name, const std::string& topic, std::size_t max_events, int linger_ms,
                              bool parse_ahead);

/// Indentation of a plugin entry's keys.
inline constexpr std::size_t k_entry_indent = 4;

/// Every line of `lines` indented by `spaces`.
std::string indented(const std::string& lines, std::size_t spaces);

}  // namespace fanout::bench
