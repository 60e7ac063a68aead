// A plugin built against the headers of plugin ABI version 1 (whose
// descriptor had no toolchain field): fanoutd must refuse it by its version
// before reading anything past it. The v1 descriptor layout, as it was.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fanout/abi.hpp"

namespace fanout::tests::old_abi {

struct DescriptorV1 {
    std::uint64_t magic;
    std::uint32_t abi_version;
    const char* name;
    const char* version;
    const char* description;
    const void* options;
    std::size_t option_count;
    void* (*create)(const void* options, void* context);
};

void* create(const void*, void*) { return nullptr; }

extern const DescriptorV1 descriptor;
const DescriptorV1 descriptor{k_descriptor_magic, 1, "old", "0.9.0", "built against plugin ABI 1", nullptr, 0, &create};

}  // namespace fanout::tests::old_abi

extern "C" __attribute__((visibility("default"), used)) const fanout::tests::old_abi::DescriptorV1* const
    fanout_plugin_v1 = &fanout::tests::old_abi::descriptor;
