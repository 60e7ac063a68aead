// Benchmark plugin: accepts every event and does nothing, so a run measures
// fanoutd's own overhead over raw consumption.
#include "fanout/fanout.hpp"

namespace fanout::bench::noop {
namespace {

class NoopPlugin final : public Plugin {
public:
    void handle(std::span<const Event* const>, std::span<Outcome>) override {}
};

std::unique_ptr<Plugin> create(const Options&, Context&) { return std::make_unique<NoopPlugin>(); }

}  // namespace

extern const PluginDescriptor descriptor;
const PluginDescriptor descriptor{k_descriptor_magic, k_abi_version, "noop", "1.0.0", "does nothing (benchmarks)",
                                  nullptr, 0, &create};

}  // namespace fanout::bench::noop

FANOUT_EXPORT_PLUGIN(fanout::bench::noop::descriptor)
