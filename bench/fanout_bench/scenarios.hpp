#pragma once
// fanout_bench's scenarios: what runs over the topic (kcat, the poll loop,
// or fanoutd with one or more plugins) and the plugin entries they write.
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace fanout::bench {

/// What a scenario's plugin entry may refer to.
struct ScenarioEnv {
    std::filesystem::path lib_dir;     ///< build/lib (plugin libraries)
    std::filesystem::path source_dir;  ///< the source tree (scripts/, config/)
    std::filesystem::path work_dir;    ///< this run's scratch folder (one per fanoutd run)
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
    std::filesystem::path fanoutd;
    /// fanoutd only: the plugin's name in the config (default: `name`).
    std::string plugin_name;
    /// Side by side ("A+B+C"): the scenarios run as plugins of one fanoutd.
    std::vector<Scenario> members;

    const std::string& plugin() const { return plugin_name.empty() ? name : plugin_name; }
    /// `name` usable in file and group names.
    std::string slug() const;
    /// The scenarios whose plugins one fanoutd runs: `members`, or itself.
    std::vector<Scenario> plugins() const;
};

/// The scenarios this driver knows, then one per --scenario NAME=FILE (the
/// file holds the plugin entry without name, topics, batch; ${LIB_DIR},
/// ${SOURCE_DIR}, ${WORK_DIR}, ${TOPIC} are replaced).
std::vector<Scenario> known_scenarios(const std::vector<std::string>& scenario_files);

/// --variant NAME=FANOUTD_BINARY.
using Variant = std::pair<std::string, std::string>;

/// The scenarios of the comma-separated `list`, in order, an "A+B+C" name
/// joining known fanoutd scenarios side by side; each fanoutd scenario S is
/// followed by S@NAME per variant, so rounds interleave them. Throws
/// std::invalid_argument naming the first problem.
std::vector<Scenario> choose_scenarios(const std::string& list, const std::vector<Scenario>& known,
                                       const std::vector<Variant>& variants);

/// The scenario a projection scenario is compared with: the C++
/// sql_read_model on the same backend ("read_model_config_pg" ->
/// "read_model_pg"), or "" for the others.
std::string projection_reference(const std::string& scenario);

}  // namespace fanout::bench
