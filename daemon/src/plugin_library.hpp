#pragma once
// Loading a plugin shared library and checking it is one of ours.
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/dll/shared_library.hpp>

#include "fanout/plugin.hpp"

namespace fanout::daemon {

/// The library could not be used as a plugin. what() says why, with the path.
class PluginLoadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Empty when a plugin compiled with `plugin`'s toolchain can pass C++
/// objects to and from a host compiled with `host`'s; else the difference,
/// as "was built with ..., fanoutd with ...".
std::string toolchain_mismatch(const Toolchain& plugin, const Toolchain& host);

/// A loaded plugin library. Shared by every object the plugin makes: hold a
/// shared_ptr to it in anything that holds plugin objects, declared before
/// them, so the library is unloaded only after they are destroyed.
class PluginLibrary {
public:
    /// Check the file (exists, regular, not writable by group/others, owned
    /// by root or the current user), dlopen it, find the descriptor, check
    /// its magic, ABI version and toolchain. Throws PluginLoadError.
    static std::shared_ptr<PluginLibrary> load(const std::filesystem::path& path);

    const PluginDescriptor& descriptor() const noexcept { return *descriptor_; }
    const std::filesystem::path& path() const noexcept { return path_; }
    /// The library's deeper check of its options (FANOUT_EXPORT_PLUGIN_CHECK),
    /// or nullptr when it exports none.
    CheckFunction check() const noexcept { return check_; }

private:
    PluginLibrary() = default;

    std::filesystem::path path_;
    boost::dll::shared_library library_;
    const PluginDescriptor* descriptor_ = nullptr;
    CheckFunction check_ = nullptr;
};

}  // namespace fanout::daemon
