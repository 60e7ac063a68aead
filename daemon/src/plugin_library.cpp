#include "plugin_library.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/dll/shared_library_load_mode.hpp>
#include <boost/system/system_error.hpp>

namespace fanout::daemon {
namespace {

// Same policy as osquery's extension loading: a library anyone else can
// replace would run their code inside the daemon.
void check_file(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw PluginLoadError("plugin library not found: " + path.string());
    }
    if (!S_ISREG(st.st_mode)) throw PluginLoadError("plugin library is not a regular file: " + path.string());
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        throw PluginLoadError("refusing to load plugin library writable by group or others: " + path.string() +
                              " (chmod go-w it)");
    }
    if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
        throw PluginLoadError("refusing to load plugin library owned by uid " + std::to_string(st.st_uid) +
                              " (expected root or the daemon's user): " + path.string());
    }
}

std::string library_name(std::uint32_t library) {
    switch (library) {
        case Toolchain::libstdcxx: return "libstdc++";
        case Toolchain::libcxx: return "libc++";
        default: return "an unknown C++ standard library";
    }
}

std::string compiler_name(const Toolchain& t) {
    const std::string version = t.compiler_major > 0 ? " " + std::to_string(t.compiler_major) : "";
    switch (t.compiler) {
        case Toolchain::gcc: return "GCC" + version;
        case Toolchain::clang: return "Clang" + version;
        default: return "an unknown compiler";
    }
}

}  // namespace

std::string toolchain_mismatch(const Toolchain& plugin, const Toolchain& host) {
    if (plugin.standard_library != host.standard_library) {
        return "was built with " + library_name(plugin.standard_library) + " (" + compiler_name(plugin) +
               "), fanoutd with " + library_name(host.standard_library) + " (" + compiler_name(host) + ")";
    }
    if (plugin.cxx11_abi != host.cxx11_abi) {
        return "was built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(plugin.cxx11_abi) + " (" +
               compiler_name(plugin) + "), fanoutd with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(host.cxx11_abi) +
               " (" + compiler_name(host) + ")";
    }
    return {};
}

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::filesystem::path& path) {
    check_file(path);
    std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
    lib->path_ = path;
    try {
        lib->library_.load(boost::dll::fs::path(path.string()),
                           boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const boost::system::system_error& e) {
        throw PluginLoadError("cannot load plugin library " + path.string() + ": " + e.what());
    }
    if (!lib->library_.has(k_descriptor_symbol)) {
        throw PluginLoadError("not a Fanout plugin: " + path.string() + " exports no '" + k_descriptor_symbol +
                              "' descriptor (use FANOUT_EXPORT_PLUGIN)");
    }
    const auto* descriptor = &lib->library_.get_alias<const PluginDescriptor>(k_descriptor_symbol);
    if (descriptor == nullptr || descriptor->magic != k_descriptor_magic) {
        throw PluginLoadError("not a Fanout plugin: " + path.string() + " has a '" + k_descriptor_symbol +
                              "' symbol without a Fanout descriptor");
    }
    if (descriptor->abi_version != k_abi_version) {
        throw PluginLoadError("plugin library " + path.string() + " was built for plugin ABI version " +
                              std::to_string(descriptor->abi_version) + ", this fanoutd speaks version " +
                              std::to_string(k_abi_version) + "; rebuild the plugin against this release's plugin-api");
    }
    // Read only now: a descriptor of another ABI version may be shorter.
    if (const std::string mismatch = toolchain_mismatch(descriptor->toolchain, k_toolchain); !mismatch.empty()) {
        throw PluginLoadError("plugin library " + path.string() + " " + mismatch +
                              ": C++ objects cannot cross between them safely; rebuild the plugin with the "
                              "toolchain settings fanoutd was built with");
    }
    if (descriptor->create == nullptr || descriptor->name == nullptr) {
        throw PluginLoadError("plugin library " + path.string() + " has an incomplete descriptor (no name or create)");
    }
    lib->descriptor_ = descriptor;
    if (lib->library_.has(k_check_symbol)) {
        lib->check_ = &lib->library_.get_alias<CheckReport(const Options&)>(k_check_symbol);
    }
    return lib;
}

}  // namespace fanout::daemon
