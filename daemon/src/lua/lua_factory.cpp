#include "lua/lua_factory.hpp"

#include <optional>

#include <fmt/format.h>

#include "config_error.hpp"
#include "fanout/common/bounded_file.hpp"
#include "lua/lua_json.hpp"
#include "lua/lua_kind.hpp"
#include "lua/lua_plugin.hpp"
#include "fanout/sql/connection.hpp"
#include "fanout/sql/dry_run.hpp"
#include "lua/lua_options.hpp"
#include "lua/lua_projection.hpp"

namespace fanout::daemon::lua {
namespace {

/// Reads the whole script; nullopt with `error` set (a phrase about the file,
/// e.g. "is a directory, not a regular file") when it cannot. Only regular
/// files up to the limit are read: a path such as /dev/zero or a FIFO would
/// otherwise be read until memory runs out, or forever.
std::optional<std::string> read_script(const std::filesystem::path& path, std::size_t max_bytes, std::string& error) {
    try {
        return common::read_bounded_file(path, max_bytes, common::FileKinds::regular);
    } catch (const common::FileReadError& e) {
        error = e.what();
        return std::nullopt;
    }
}

std::uint64_t content_hash(std::string_view text) {
    std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a: detects edits; no security role
    for (const unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h | 1;  // 0 means "nothing loaded"
}

// The check at startup and --check-config runs the script's top level; its
// log lines and metrics go nowhere.
class DiscardingLogger final : public Logger {
public:
    void log(LogLevel, std::string_view) override {}
    bool enabled(LogLevel) const override { return false; }
};

class DiscardingCounter final : public Counter {
public:
    void add(std::uint64_t) override {}
    std::uint64_t value() const override { return 0; }
};

class DiscardingGauge final : public Gauge {
public:
    void set(double) override {}
    double value() const override { return 0; }
};

class CheckContext final : public Context {
public:
    explicit CheckContext(std::string name) : name_(std::move(name)) {}
    std::string_view plugin_name() const override { return name_; }
    std::string_view consumer_group() const override { return {}; }
    Logger& logger() override { return logger_; }
    Counter& counter(std::string_view) override { return counter_; }
    Gauge& gauge(std::string_view) override { return gauge_; }

private:
    std::string name_;
    DiscardingLogger logger_;
    DiscardingCounter counter_;
    DiscardingGauge gauge_;
};

class NoEmitter final : public Emitter {
public:
    std::string send(std::string_view, std::string_view, std::string_view, const Headers&) override {
        return "no producer while checking the configuration";
    }
};

class ProducerEmitter final : public Emitter {
public:
    explicit ProducerEmitter(SyncProducer& producer) : producer_(producer) {}
    std::string send(std::string_view topic, std::string_view key, std::string_view value,
                     const Headers& headers) override {
        return producer_.send(topic, key, value, headers);
    }

private:
    SyncProducer& producer_;
};

std::string located(const std::filesystem::path& path, int line, const std::string& detail) {
    return line > 0 ? fmt::format("{}:{}: {}", path.string(), line, detail)
                    : fmt::format("{}: {}", path.string(), detail);
}

}  // namespace

LuaPluginFactory::LuaPluginFactory(const PluginSettings& settings)
    : name_(settings.name),
      path_(settings.path),
      database_{lua_settings(settings).connection, lua_settings(settings).lock_timeout,
                lua_settings(settings).connect_timeout, lua_settings(settings).reconnect_interval,
                lua_settings(settings).commit_max_events, lua_settings(settings).commit_max_delay},
      limits_{lua_settings(settings).memory_limit_bytes, lua_settings(settings).instruction_limit},
      max_script_bytes_(lua_settings(settings).max_script_bytes),
      options_(yaml_to_json(settings.options)) {
    const SourceLocation& at = settings.path_location;
    std::string error;
    const std::optional<std::string> source = read_script(path_, max_script_bytes_, error);
    if (!source) {
        throw ConfigError(at.file, at.line, at.column,
                          fmt::format("plugin '{}': Lua script {} {}", name_, path_.string(), error));
    }
    CheckContext context(name_);
    try {
        LuaPlugin check(LuaScript{path_, *source}, options_, limits_, context, std::make_unique<NoEmitter>(),
                        LuaPlugin::Start::check_only, projection());
        if (const std::optional<ScriptOptionSchema> declared = ScriptOptionSchema::read(check)) {
            // Checked like a C++ plugin's options, at their lines; init()
            // receives every declared option, defaults filled in.
            const OptionValues values = OptionValues::validate(declared->specs(), settings.options,
                                                               settings.options_location, "plugin '" + name_ + "'");
            rapidjson::Document checked = declared->to_json(values);
            options_.Swap(checked);
        }
        if (projection()) {
            if (check.batched()) {
                throw LuaScriptError("a Lua projection (lua.connection) runs on_event(event) for each event; it "
                                     "cannot define on_batch",
                                     0, "a Lua projection (lua.connection) runs on_event(event) for each event; it "
                                        "cannot define on_batch");
            }
            schema_ = read_schema(check, name_);
            const ScriptSchema& schema = *schema_;
            projection_note_ = fmt::format("SQL projection {} ({} migration{}, checkpoints in {}) on {}",
                                           schema.schema.component, schema.schema.migrations.size(),
                                           schema.schema.migrations.size() == 1 ? "" : "s", schema.checkpoint_table,
                                           sql::redacted(database_.connection));
        }
    } catch (const ConfigError&) {
        throw;  // an option, at its place in the config file
    } catch (const LuaScriptError& e) {
        if (e.line() > 0) throw ConfigError(path_, e.line(), 0, e.detail());
        // Not at a line of the script (e.g. no entry point): point at the entry.
        throw ConfigError(at.file, at.line, at.column,
                          fmt::format("plugin '{}': Lua script {}: {}", name_, path_.string(), e.detail()));
    } catch (const std::exception& e) {
        throw ConfigError(at.file, at.line, at.column,
                          fmt::format("plugin '{}': Lua script {}: {}", name_, path_.string(), e.what()));
    }
    loaded_hash_.store(content_hash(*source));
}

std::unique_ptr<Plugin> LuaPluginFactory::create(Context& context, HostServices& services) {
    std::string error;
    const std::optional<std::string> source = read_script(path_, max_script_bytes_, error);
    if (!source) throw std::runtime_error(fmt::format("Lua script {} {}", path_.string(), error));
    std::unique_ptr<Plugin> plugin;
    try {
        if (projection()) {
            auto script = std::make_unique<LuaPlugin>(LuaScript{path_, *source}, options_, limits_, context,
                                                      std::make_unique<NoEmitter>(), LuaPlugin::Start::run_init, true);
            if (script->batched()) throw LuaScriptError("a Lua projection cannot define on_batch", 0,
                                                        "a Lua projection cannot define on_batch");
            ScriptSchema schema = read_schema(*script, name_);
            plugin = make_lua_projection(std::move(script), std::move(schema), database_, context);
        } else {
            plugin = std::make_unique<LuaPlugin>(LuaScript{path_, *source}, options_, limits_, context,
                                                 std::make_unique<ProducerEmitter>(services.producer));
        }
    } catch (const LuaScriptError& e) {
        throw std::runtime_error(located(path_, e.line(), e.detail()));
    }
    loaded_hash_.store(content_hash(*source));
    return plugin;
}

CheckReport LuaPluginFactory::check() const {
    CheckReport report;
    if (!schema_) return report;
    if (sql::is_postgresql(database_.connection)) {
        report.notes.push_back("projection " + schema_->schema.component +
                               ": PostgreSQL runs its migrations, and prepares each fanout.sql statement the first "
                               "time on_event runs it; --check-config does not reach the server");
        return report;
    }
    try {
        sql::SqliteDryRun dry;
        if (const auto failure = dry.migrate(schema_->schema, schema_->checkpoint_table)) {
            const sql::Migration& m = schema_->schema.migrations[failure->migration];
            report.errors.push_back(fmt::format(
                "{}: schema.migrations[{}] ('{}'), statement {}, does not run on an empty SQLite database: {}",
                path_.string(), failure->migration + 1, m.description, failure->statement + 1, failure->message));
        } else {
            report.notes.push_back(fmt::format("projection {}: {} migration{} applied to an empty SQLite database",
                                               schema_->schema.component, schema_->schema.migrations.size(),
                                               schema_->schema.migrations.size() == 1 ? "" : "s"));
        }
    } catch (const std::exception& e) {
        report.errors.push_back(path_.string() + ": cannot try the migrations: " + e.what());
    }
    return report;
}

bool LuaPluginFactory::changed_on_disk() const {
    std::string error;
    const std::optional<std::string> source = read_script(path_, max_script_bytes_, error);
    return !source || content_hash(*source) != loaded_hash_.load();
}

std::string LuaPluginFactory::describe() const {
    return fmt::format("lua {} (content {:016x}, memory_limit={}MiB, instruction_limit={}){}{}", path_.string(),
                       loaded_hash_.load(), limits_.memory_bytes >> 20, limits_.instructions,
                       projection_note_.empty() ? "" : ": ", projection_note_);
}

}  // namespace fanout::daemon::lua
