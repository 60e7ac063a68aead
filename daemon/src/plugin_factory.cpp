#include "plugin_factory.hpp"

#include <algorithm>

#include "config_error.hpp"
#include "lua/lua_factory.hpp"
#include "plugin_kind.hpp"

namespace fanout::daemon {

std::unique_ptr<Plugin> LibraryPluginFactory::create(Context& context, HostServices&) {
    std::unique_ptr<Plugin> plugin = library_->descriptor().create(options_, context);
    if (!plugin) throw std::runtime_error("create() returned no plugin");
    return plugin;
}

std::string LibraryPluginFactory::describe() const {
    const PluginDescriptor& d = library_->descriptor();
    return std::string("library ") + d.name + " " + (d.version ? d.version : "?") + " (" + library_->path().string() + ")";
}

std::unique_ptr<PluginFactory> LibraryPluginFactory::for_rebuild(std::chrono::seconds retire_after) const {
    // Host options (sql-projection's settings.hpp): in no plugin's schema.
    OptionValues options = options_;
    options.set("fanout.rebuild", true, true);
    options.set("fanout.rebuild_retire_after_s", static_cast<std::int64_t>(retire_after.count()), true);
    return std::make_unique<LibraryPluginFactory>(library_, std::move(options));
}

CheckReport LibraryPluginFactory::check() const {
    const CheckFunction check = library_->check();
    if (check == nullptr) return {};
    try {
        return check(options_);
    } catch (const std::exception& e) {
        return CheckReport{{std::string("the plugin's check failed: ") + e.what()}, {}};
    } catch (...) {
        return CheckReport{{"the plugin's check failed with an unknown exception"}, {}};
    }
}

namespace {

std::unique_ptr<PluginFactory> make_library_factory(const PluginSettings& p) {
    const std::string what = "plugin '" + p.name + "'";
    std::shared_ptr<PluginLibrary> library;
    try {
        library = PluginLibrary::load(p.path);
    } catch (const PluginLoadError& e) {
        throw ConfigError(p.path_location.file, p.path_location.line, p.path_location.column, what + ": " + e.what());
    }
    OptionValues options =
        OptionValues::validate(library->descriptor().option_specs(), p.options, p.options_location, what);
    return std::make_unique<LibraryPluginFactory>(std::move(library), std::move(options));
}

std::unique_ptr<PluginFactory> make_lua_factory(const PluginSettings& p) {
    // Compiles the script and checks its entry points (no init()).
    return std::make_unique<lua::LuaPluginFactory>(p);
}

constexpr FactoryMaker k_makers[] = {
    {"library", &make_library_factory},
    {"lua", &make_lua_factory},
};

}  // namespace

std::span<const FactoryMaker> factory_makers() { return k_makers; }

std::vector<std::unique_ptr<PluginFactory>> prepare_plugins(const DaemonSettings& settings) {
    std::vector<std::unique_ptr<PluginFactory>> out;
    for (const PluginSettings& p : settings.plugins) {
        const auto maker = std::find_if(std::begin(k_makers), std::end(k_makers),
                                        [&](const FactoryMaker& m) { return m.kind == p.type; });
        if (maker == std::end(k_makers)) {
            throw ConfigError(p.location.file, p.location.line, p.location.column,
                              "plugin '" + p.name + "': unknown type '" + p.type + "' (" + plugin_kind_names() + ")");
        }
        out.push_back(maker->make(p));
    }
    return out;
}

}  // namespace fanout::daemon
