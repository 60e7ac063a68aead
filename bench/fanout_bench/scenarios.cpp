#include "scenarios.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "fanoutd_config.hpp"
#include "options.hpp"

namespace fanout::bench {
namespace {

/// `file` of the lib dir as a `type: library` entry; `options` are its YAML
/// lines under `options:` (indented 2), when any.
std::string library(const ScenarioEnv& env, const std::string& file, const std::string& options = {}) {
    return "type: library\npath: " + yaml_quote((env.lib_dir / file).string()) + "\n" +
           (options.empty() ? "" : "options:\n" + options);
}

std::string connection(const std::string& conninfo) { return "  connection: " + yaml_quote(conninfo) + "\n"; }

/// A fresh SQLite file in the run's folder.
std::string sqlite(const ScenarioEnv& env, const std::string& file) {
    return "sqlite:" + (env.work_dir / file).string();
}

/// sql_config running `definition` (config/projections/) on `conninfo`.
std::string sql_config(const ScenarioEnv& env, const std::string& conninfo, const std::string& definition) {
    return library(env, "libfanout_sql_config.so",
                   connection(conninfo) + "  definition: " +
                       yaml_quote((env.source_dir / "config/projections" / definition).string()) + "\n");
}

/// A Lua projection `script` (config/projections/) on `conninfo`.
std::string lua_projection(const ScenarioEnv& env, const std::string& conninfo, const std::string& script) {
    return "type: lua\npath: " + yaml_quote((env.source_dir / "config/projections" / script).string()) + "\nlua:\n" +
           connection(conninfo);
}

std::vector<Scenario> builtin_scenarios() {
    using Env = const ScenarioEnv&;
    const std::string sql_config_read_model = "fanoutd + sql_config with config/projections/read_model.yaml into ";
    const std::string lua_read_model = "fanoutd + config/projections/read_model.lua (fanout.sql) into ";
    return {
        {"kcat", Runner::kcat, "kcat -C -o beginning -c N -e -q -f '%o\\n' (legacy per-partition consumer, no group)"},
        {"poll", Runner::poll,
         "rd_kafka_consumer_poll loop in a group, no work (fanoutd's consume model, nothing else)"},
        {"noop", Runner::fanoutd, "fanoutd + no-op plugin (bench/noop_plugin.cpp)",
         [](Env env) { return library(env, "libfanout_bench_noop.so"); }},
        {"example", Runner::fanoutd, "fanoutd + example plugin, one JSON line per event to /dev/null",
         [](Env env) { return library(env, "libfanout_example.so", "  path: /dev/null\n"); }},
        {"lua-analytics", Runner::fanoutd, "fanoutd + scripts/analytics.lua",
         [](Env env) {
             return "type: lua\npath: " + yaml_quote((env.source_dir / "scripts/analytics.lua").string()) + "\n";
         }},
        {"read_model", Runner::fanoutd, "fanoutd + sql_read_model into a fresh SQLite file",
         [](Env env) { return library(env, "libfanout_sql_read_model.so", connection(sqlite(env, "read-model.db"))); }},
        {"analytics", Runner::fanoutd, "fanoutd + analytics into a fresh SQLite file",
         [](Env env) { return library(env, "libfanout_analytics.so", connection(sqlite(env, "analytics.db"))); }},
        {"read_model_config", Runner::fanoutd, sql_config_read_model + "a fresh SQLite file",
         [](Env env) { return sql_config(env, sqlite(env, "read-model-config.db"), "read_model.yaml"); }},
        {"analytics_config", Runner::fanoutd,
         "fanoutd + sql_config with config/projections/analytics.yaml into a fresh SQLite file",
         [](Env env) { return sql_config(env, sqlite(env, "analytics-config.db"), "analytics.yaml"); }},
        {"read_model_pg", Runner::fanoutd, "fanoutd + sql_read_model into a fresh schema of --pg",
         [](Env env) { return library(env, "libfanout_sql_read_model.so", connection(env.postgres("read_model"))); }},
        {"read_model_config_pg", Runner::fanoutd, sql_config_read_model + "a fresh schema of --pg",
         [](Env env) { return sql_config(env, env.postgres("read_model_config"), "read_model.yaml"); }},
        {"read_model_lua", Runner::fanoutd, lua_read_model + "a fresh SQLite file",
         [](Env env) { return lua_projection(env, sqlite(env, "read-model-lua.db"), "read_model.lua"); }},
        {"read_model_lua_pg", Runner::fanoutd, lua_read_model + "a fresh schema of --pg",
         [](Env env) { return lua_projection(env, env.postgres("read_model_lua"), "read_model.lua"); }},
        {"notifier", Runner::fanoutd,
         "fanoutd + webhook_notifier: PostCreated and CommentAdded POSTed to a receiver in this driver",
         [](Env env) {
             return library(
                 env, "libfanout_webhook_notifier.so",
                 "  url: " + yaml_quote(env.webhook_url) + "\n  event_types: [PostCreatedEvent, CommentAddedEvent]\n");
         }},
    };
}

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

const Scenario* find(const std::vector<Scenario>& scenarios, const std::string& name) {
    auto it = std::find_if(scenarios.begin(), scenarios.end(), [&](const Scenario& s) { return s.name == name; });
    return it == scenarios.end() ? nullptr : &*it;
}

/// "A+B+C": the known fanoutd scenarios A, B and C side by side in one fanoutd.
std::optional<Scenario> side_by_side(const std::string& name, const std::vector<Scenario>& known) {
    Scenario out{name, Runner::fanoutd, "side by side in one fanoutd:"};
    std::istringstream in(name);
    for (std::string part; std::getline(in, part, '+');) {
        const Scenario* member = find(known, part);
        if (member == nullptr || member->runner != Runner::fanoutd || !member->members.empty()) return std::nullopt;
        if (find(out.members, part) != nullptr) return std::nullopt;
        out.members.push_back(*member);
        out.description += " " + part;
    }
    if (out.members.size() < 2) return std::nullopt;
    return out;
}

}  // namespace

std::string Scenario::slug() const {
    std::string out = name;
    for (char& c : out) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    }
    return out;
}

std::vector<Scenario> Scenario::plugins() const { return members.empty() ? std::vector<Scenario>{*this} : members; }

std::vector<Scenario> known_scenarios(const std::vector<std::string>& scenario_files) {
    std::vector<Scenario> known = builtin_scenarios();
    for (const auto& spec : scenario_files) known.push_back(scenario_from_file(spec));
    return known;
}

std::vector<Scenario> choose_scenarios(const std::string& list, const std::vector<Scenario>& known,
                                       const std::vector<Variant>& variants) {
    std::vector<Scenario> chosen;
    std::istringstream in(list);
    for (std::string name; std::getline(in, name, ',');) {
        if (name.empty()) continue;
        const Scenario* sc = find(known, name);
        std::optional<Scenario> composite;
        if (sc == nullptr && name.find('+') != std::string::npos) {
            composite = side_by_side(name, known);
            if (!composite) {
                throw std::invalid_argument("side-by-side scenario '" + name +
                                            "' must join two or more different fanoutd scenarios with '+' (see "
                                            "--list-scenarios)");
            }
            sc = &*composite;
        }
        if (sc == nullptr) throw std::invalid_argument("unknown scenario '" + name + "' (see --list-scenarios)");
        chosen.push_back(*sc);
        if (sc->runner != Runner::fanoutd) continue;
        for (const auto& [vname, vpath] : variants) {
            Scenario v = *sc;
            v.name = sc->name + "@" + vname;
            v.plugin_name = sc->plugin();
            v.fanoutd = vpath;
            v.description = sc->description + ", fanoutd " + vpath;
            chosen.push_back(std::move(v));
        }
    }
    return chosen;
}

std::string projection_reference(const std::string& scenario) {
    const bool pg = scenario.size() > 3 && scenario.compare(scenario.size() - 3, 3, "_pg") == 0;
    const std::string base = pg ? scenario.substr(0, scenario.size() - 3) : scenario;
    if (base.rfind("read_model_", 0) != 0) return {};
    return pg ? "read_model_pg" : "read_model";
}

}  // namespace fanout::bench
