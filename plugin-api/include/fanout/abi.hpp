#pragma once
// ABI version of the Fanout plugin interface.
//
// The host refuses a plugin whose descriptor carries another ABI version.
// Bump k_abi_version whenever anything in plugin-api/ changes layout or
// semantics: a virtual function added, removed or reordered, a struct field
// changed, an ownership rule changed.
#include <cstdint>

#ifndef FANOUT_PLUGIN_ABI_VERSION
#define FANOUT_PLUGIN_ABI_VERSION 1
#endif

namespace fanout {

/// Version of the interface this translation unit was compiled against.
inline constexpr std::uint32_t k_abi_version = FANOUT_PLUGIN_ABI_VERSION;

/// First field of every descriptor; lets the host tell a Fanout plugin from
/// an unrelated library that happens to export the same symbol name.
inline constexpr std::uint64_t k_descriptor_magic = 0x46414e4f55545031ULL;  // "FANOUTP1"

/// Name of the symbol (made with BOOST_DLL_ALIAS) every plugin library exports.
inline constexpr const char* k_descriptor_symbol = "fanout_plugin_v1";

/// Name of the optional check function (FANOUT_EXPORT_PLUGIN_CHECK).
inline constexpr const char* k_check_symbol = "fanout_plugin_check_v1";

}  // namespace fanout
