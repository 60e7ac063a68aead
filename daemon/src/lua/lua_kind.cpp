#include "lua/lua_kind.hpp"

#include "fanout/common/connection_string.hpp"
#include "yaml_reader.hpp"

namespace fanout::daemon::lua {
namespace {

class LuaKind final : public PluginKind {
public:
    std::string_view name() const noexcept override { return "lua"; }

    std::span<const std::string_view> keys() const noexcept override {
        static constexpr std::string_view k_keys[] = {"lua"};
        return k_keys;
    }

    std::any read(const std::filesystem::path& file, const YAML::Node& entry, const std::string& what) const override {
        LuaSettings s;
        const YAML::Node lua = entry["lua"];
        if (!lua.IsDefined() || lua.IsNull()) return s;
        MappingReader l(file, lua, what + " lua");
        if (auto v = l.integer("memory_limit_mb", 1, 16'384)) s.memory_limit_bytes = static_cast<std::size_t>(*v) << 20;
        if (auto v = l.integer("instruction_limit", 1000, 1'000'000'000'000)) {
            s.instruction_limit = static_cast<std::uint64_t>(*v);
        }
        if (auto v = l.integer("max_script_mb", 1, 1024)) s.max_script_bytes = static_cast<std::size_t>(*v) << 20;
        if (const YAML::Node connection = l.get("connection"); connection.IsDefined()) {
            const YAML::Mark mark = connection.Mark();
            s.connection_location = {file, mark.is_null() ? 0 : mark.line + 1, mark.is_null() ? 0 : mark.column + 1};
            s.connection = as_string(file, connection, l.field("connection"));
            try {
                common::parse_connection_string(s.connection);
            } catch (const common::ConnectionStringError& e) {
                fail_at(file, connection,
                        l.field("connection") + ": " + e.what() +
                            " (expected sqlite:/path/file.db, postgresql://user@host/db or \"host=... dbname=...\")");
            }
        }
        for (const char* key :
             {"lock_timeout_ms", "reconnect_interval_ms", "connect_timeout_s", "commit_max_events", "commit_max_delay_ms"}) {
            if (l.get(key).IsDefined() && s.connection.empty()) {
                fail_at(file, l.get(key), what + ": lua." + key + " needs lua.connection");
            }
        }
        if (auto v = l.integer("lock_timeout_ms", 1, 3'600'000)) s.lock_timeout = Milliseconds(*v);
        if (auto v = l.integer("reconnect_interval_ms", 0, 3'600'000)) s.reconnect_interval = Milliseconds(*v);
        if (auto v = l.integer("connect_timeout_s", 1, 3600)) s.connect_timeout = std::chrono::seconds(*v);
        if (auto v = l.integer("commit_max_events", 1, 10'000'000)) s.commit_max_events = static_cast<std::uint64_t>(*v);
        if (auto v = l.integer("commit_max_delay_ms", 0, 60'000)) s.commit_max_delay = Milliseconds(*v);
        l.finish();
        return s;
    }
};

}  // namespace

const LuaSettings& lua_settings(const PluginSettings& settings) {
    static const LuaSettings k_defaults;
    const auto* s = std::any_cast<LuaSettings>(&settings.kind_settings);
    return s != nullptr ? *s : k_defaults;
}

const PluginKind& lua_kind() {
    static const LuaKind k_kind;
    return k_kind;
}

}  // namespace fanout::daemon::lua
