#pragma once
// ABI version of the Fanout plugin interface, and the toolchain facts that
// make passing C++ types (std::string, std::vector, exceptions) between
// fanoutd and a plugin library safe.
//
// The host refuses a plugin whose descriptor carries another ABI version, or
// was compiled with a standard library ABI other than its own. Bump
// k_abi_version whenever anything in plugin-api/include/fanout (outside
// testing/) changes layout or semantics: a virtual function added, removed
// or reordered, a struct field changed, an ownership rule changed; then
// record the headers' new fingerprint in plugin-api/abi.lock (a test
// compares them).
#include <cstdint>

namespace fanout {

/// Version of the interface this translation unit was compiled against.
inline constexpr std::uint32_t k_abi_version = 3;

/// First field of every descriptor; lets the host tell a Fanout plugin from
/// an unrelated library that happens to export the same symbol name.
inline constexpr std::uint64_t k_descriptor_magic = 0x46414e4f55545031ULL;  // "FANOUTP1"

/// Name of the symbol every plugin library exports (FANOUT_EXPORT_PLUGIN): a
/// C-linkage pointer to its PluginDescriptor.
inline constexpr const char* k_descriptor_symbol = "fanout_plugin_v1";

/// Name of the optional check function's symbol (FANOUT_EXPORT_PLUGIN_CHECK):
/// a C-linkage pointer to a fanout::CheckFunction.
inline constexpr const char* k_check_symbol = "fanout_plugin_check_v1";

/// What a C++ type's layout across the library boundary depends on, as the
/// compiler saw it when it compiled the code that includes this header.
struct Toolchain {
    enum StandardLibrary : std::uint32_t { unknown_library = 0, libstdcxx = 1, libcxx = 2 };
    enum Compiler : std::uint32_t { unknown_compiler = 0, gcc = 1, clang = 2 };
    std::uint32_t standard_library;
    /// libstdc++'s dual ABI (_GLIBCXX_USE_CXX11_ABI): 1 for the C++11 std::string
    /// and std::list, 0 for the old ones; 0 for other libraries.
    std::uint32_t cxx11_abi;
    /// For messages only: which compiler, and its major version.
    std::uint32_t compiler;
    std::uint32_t compiler_major;
};

inline constexpr Toolchain k_toolchain{
#if defined(_LIBCPP_VERSION)
    Toolchain::libcxx,
    0,
#elif defined(__GLIBCXX__)
    Toolchain::libstdcxx,
#if defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
    1,
#else
    0,
#endif
#else
    Toolchain::unknown_library,
    0,
#endif
#if defined(__clang__)
    Toolchain::clang,
    __clang_major__,
#elif defined(__GNUC__)
    Toolchain::gcc,
    __GNUC__,
#else
    Toolchain::unknown_compiler,
    0,
#endif
};

}  // namespace fanout
