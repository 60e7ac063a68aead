#pragma once
// Turning a plugin's config entry into something that makes Plugin objects.
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "fanout/plugin.hpp"
#include "option_values.hpp"
#include "plugin_library.hpp"
#include "plugin_kind.hpp"
#include "producer.hpp"

namespace fanout::daemon {

/// Daemon services a factory may hand to the plugins it makes.
struct HostServices {
    SyncProducer& producer;  ///< for derived events (acknowledged before returning)
};

/// Makes the plugin object for one pipeline and keeps what it needs alive
/// (the shared library, the options). Must outlive every Plugin it made.
class PluginFactory {
public:
    virtual ~PluginFactory() = default;
    /// Called on the pipeline thread. Throws when the plugin cannot start.
    virtual std::unique_ptr<Plugin> create(Context& context, HostServices& services) = 0;
    /// True when the plugin's source changed since the last create() (a
    /// script edited on disk): SIGHUP then swaps in a new instance.
    virtual bool changed_on_disk() const { return false; }
    /// e.g. "library example 1.0.0 (/usr/lib/fanout/plugins/libexample.so)"
    virtual std::string describe() const = 0;
    /// `fanoutd --check-config`: the plugin's own check of its options
    /// beyond their types (fanout::CheckFunction); empty when it has none.
    virtual CheckReport check() const { return {}; }
    /// A factory of instances that rebuild the plugin into a new generation
    /// of its tables (sql-projection's generations.hpp), the generation they
    /// replace kept `retire_after` once the new one is live; nullptr when
    /// the kind cannot (Lua scripts).
    virtual std::unique_ptr<PluginFactory> for_rebuild(std::chrono::seconds retire_after) const {
        (void)retire_after;
        return nullptr;
    }
};

class LibraryPluginFactory final : public PluginFactory {
public:
    LibraryPluginFactory(std::shared_ptr<PluginLibrary> library, OptionValues options)
        : library_(std::move(library)), options_(std::move(options)) {}

    std::unique_ptr<Plugin> create(Context& context, HostServices& services) override;
    std::string describe() const override;
    CheckReport check() const override;
    std::unique_ptr<PluginFactory> for_rebuild(std::chrono::seconds retire_after) const override;

private:
    std::shared_ptr<PluginLibrary> library_;
    OptionValues options_;
};

/// How the entries of one plugin kind (plugin_kind.hpp) become factories:
/// loads the library or compiles the script. Throws ConfigError at the
/// entry's location.
struct FactoryMaker {
    std::string_view kind;  ///< PluginKind::name()
    std::unique_ptr<PluginFactory> (*make)(const PluginSettings& settings);
};
/// One maker per registered kind.
std::span<const FactoryMaker> factory_makers();

/// Load every plugin the settings declare and validate its options, without
/// touching Kafka. Same order as settings.plugins. Throws ConfigError at the
/// entry's location (library missing, not a plugin, wrong ABI, bad option).
std::vector<std::unique_ptr<PluginFactory>> prepare_plugins(const DaemonSettings& settings);

}  // namespace fanout::daemon
