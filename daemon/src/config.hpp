#pragma once
// fanoutd's configuration: the YAML file as typed values.
#include <any>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "env_expand.hpp"

namespace fanout::daemon {

using Milliseconds = std::chrono::milliseconds;

/// Where a value came from, for error messages (1-based; 0 = unknown).
struct SourceLocation {
    std::filesystem::path file;
    int line = 0;
    int column = 0;
};

struct KafkaSettings {
    std::string brokers;
    /// librdkafka properties passed through as given (validated by librdkafka).
    std::vector<std::pair<std::string, std::string>> properties;
    SourceLocation properties_location;
};

struct RetryPolicy {
    /// Failed deliveries (Outcome::failed, a handler's throw) of one event
    /// before it counts as permanent; transient ones (retry_later) never do.
    int max_attempts = 5;
    /// How long transient failures may hold a partition before the plugin
    /// reads as degraded (health, metrics, status).
    Milliseconds degraded_after{60'000};
    Milliseconds initial_backoff{200};
    Milliseconds max_backoff{30'000};
    double multiplier = 2.0;

    /// Backoff before delivery number `attempt + 1` (attempt >= 1).
    Milliseconds backoff_after(int attempt) const;
};

enum class OnPermanentError { dead_letter, stop };
enum class StartFrom { earliest, latest };

/// The topic that redrives dead letters to the plugin `plugin` only.
inline std::string redrive_topic_of(const std::string& dead_letter_topic, const std::string& plugin) {
    return dead_letter_topic + ".redrive." + plugin;
}

struct PluginSettings {
    std::string name;
    /// The plugin kind (plugin_kind.hpp): "library" or "lua".
    std::string type = "library";
    std::filesystem::path path;  ///< absolute (resolved against the config file's folder)
    std::vector<std::string> topics;
    std::vector<std::string> event_types;  ///< empty: every type
    std::size_t batch_max_events = 500;
    Milliseconds batch_linger{20};
    bool batch_parse_ahead = true;  ///< parse the next batch's envelopes while the plugin handles one
    RetryPolicy retry;
    OnPermanentError on_permanent_error = OnPermanentError::dead_letter;
    StartFrom start_from = StartFrom::earliest;
    /// Where this plugin's dead letters are redriven to it alone
    /// (redrive_topic_of()); subscribed once it exists, read from its start.
    std::string redrive_topic;
    /// Set on the copy of a plugin's settings that rebuilds it (fanoutctl
    /// rebuild): the plugin's name. That pipeline is named `<name>.rebuild`
    /// and has its own consumer group; its plugin keeps checkpoints under
    /// the plugin's group, in the generation it builds.
    std::string rebuild_of;
    /// What the kind read from the entry keys it owns (plugin_kind.hpp:
    /// kind_settings<T>()); empty when it owns none.
    std::any kind_settings;

    YAML::Node options;       ///< validated against the plugin's schema later
    SourceLocation location;  ///< the plugin's entry
    SourceLocation path_location;
    SourceLocation options_location;
    /// The entry as YAML text: equal fingerprints mean an unchanged plugin
    /// (hot reload restarts only plugins whose fingerprint changed).
    std::string fingerprint;

    bool wants_type(std::string_view type) const;
};

struct DaemonSettings {
    std::filesystem::path file;
    KafkaSettings kafka;
    std::string group_prefix = "fanout";
    std::string dead_letter_topic = "fanout.dead-letter";
    Milliseconds drain_timeout{30'000};
    /// How long the generation a rebuild replaced is kept once the new one is live.
    std::chrono::seconds rebuild_retire_after{600};
    /// Admin HTTP listen address ("127.0.0.1:9464"); empty: disabled.
    std::string admin_listen;
    /// File with the bearer token the admin control verbs (pause, resume)
    /// require; empty: those verbs are off.
    std::filesystem::path control_token_file;
    std::vector<PluginSettings> plugins;
    /// Settings every pipeline shares (kafka, group prefix, dead letters):
    /// when it changes on reload, every pipeline restarts.
    std::string global_fingerprint;

    std::string group_id(const PluginSettings& plugin) const { return group_prefix + "." + plugin.name; }
    /// The group a plugin's checkpoints are kept under: its own, also for
    /// the pipeline that rebuilds it.
    std::string checkpoint_group(const PluginSettings& plugin) const {
        return group_prefix + "." + (plugin.rebuild_of.empty() ? plugin.name : plugin.rebuild_of);
    }
};

/// Parse and check the file's structure and values. Plugin options are only
/// checked to be a mapping here; their schema comes from the plugin.
/// Throws ConfigError.
DaemonSettings load_config(const std::filesystem::path& file);

/// Same, from text (tests, fuzzing); `file` is used for messages and relative
/// paths. Any text gives settings or a ConfigError, never a crash.
/// `${NAME}` and `${NAME:-fallback}` in values come from the process
/// environment (env_expand.hpp).
DaemonSettings parse_config(const std::string& text, const std::filesystem::path& file);
/// Same, with the environment given (tests).
DaemonSettings parse_config(const std::string& text, const std::filesystem::path& file,
                            const EnvironmentLookup& environment);

}  // namespace fanout::daemon
