#pragma once
// The interface every Fanout plugin implements, and the descriptor it exports.
//
// A plugin library exports exactly one PluginDescriptor under the C-linkage
// symbol `fanout_plugin_v1` (a pointer to it):
//
//     namespace my { extern const fanout::PluginDescriptor descriptor; }
//     FANOUT_EXPORT_PLUGIN(my::descriptor)
//
// Lifecycle (all on the plugin's own pipeline thread):
//   create(options, context) -> [checkpointing()->on_assigned(...)]
//   -> handle(batch) ... -> [on_revoked(...)] -> destructor.
// The host keeps the library loaded until the object (and anything it
// returned) is destroyed.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fanout/abi.hpp"
#include "fanout/context.hpp"
#include "fanout/event.hpp"
#include "fanout/options.hpp"
#include "fanout/outcome.hpp"

namespace fanout {

struct TopicPartition {
    std::string topic;
    std::int32_t partition = 0;
};

/// Next offset to consume for one partition.
struct PartitionOffset {
    std::string topic;
    std::int32_t partition = 0;
    /// Offset of the next event to hand to the plugin, or k_no_checkpoint when
    /// the plugin has applied nothing of that partition: it then starts at
    /// the plugin's `start_from`, never at the group's committed offset. An
    /// offset outside the partition's [low, high] watermarks stops the plugin.
    std::int64_t next_offset = -1;
};

inline constexpr std::int64_t k_no_checkpoint = -1;

/// Optional capability of plugins that keep their own offsets in the same
/// transaction as their effects (exactly-once effect). Kafka's committed
/// offsets are still maintained for lag reporting, but the host positions
/// the consumer at what the plugin returns.
///
/// Threading: called on the pipeline thread, never concurrently with handle().
class Checkpointing {
public:
    virtual ~Checkpointing() = default;
    /// Partitions were assigned to this consumer. Return the next offset for
    /// each (same order, same size). May throw: the host logs and retries the
    /// assignment after backoff (a transient store failure must not start
    /// the partition from the wrong place).
    virtual std::vector<PartitionOffset> on_assigned(std::span<const TopicPartition> partitions) = 0;
    /// Partitions were revoked (or lost). Forget any expectation about them.
    virtual void on_revoked(std::span<const TopicPartition> partitions) = 0;

    /// What became of the work the plugin reported handled (Outcome::done)
    /// since its last durable checkpoint.
    enum class Durability {
        kept,  ///< durable, or still on its way to be (a transaction kept open)
        lost,  ///< rolled back: the host reads every assigned partition again
               ///< from the plugin's checkpoints (on_assigned), as after a reload
    };
    /// Called after every batch, and between batches while no event waits:
    /// `idle` is false only under a backlog (the batch was full and more
    /// events wait), and true before the instance is replaced or the
    /// pipeline stops. A plugin that
    /// keeps the work of several batches in one transaction (fewer commits
    /// under load) commits it when `idle` or when its own limits say so.
    /// Never called concurrently with handle().
    virtual Durability between_batches(bool idle) {
        (void)idle;
        return Durability::kept;
    }
};

/// A running plugin instance.
///
/// Threading: every method is called from the plugin's pipeline thread only,
/// one call at a time. Plugins need no locking unless they start threads of
/// their own.
class Plugin {
public:
    virtual ~Plugin() = default;

    /// Handle a batch. `events` holds events in offset order per partition
    /// (partitions may interleave); `outcomes` has the same size and starts
    /// as all done. Set an entry to retry_later or reject to fail that event.
    ///
    /// Return only when the effects of every `done` event are durable: the
    /// host stores those offsets right after. The Event objects are valid
    /// until this call returns.
    ///
    /// After a retry_later, the host redelivers that event and every later
    /// event of the same partition (at-least-once), so effects must tolerate
    /// a replay, or the plugin must implement Checkpointing.
    virtual void handle(std::span<const Event* const> events, std::span<Outcome> outcomes) = 0;

    /// The checkpoint capability, or nullptr (the default) for Kafka offsets.
    /// The returned object is owned by the plugin and lives as long as it.
    virtual Checkpointing* checkpointing() noexcept { return nullptr; }
};

/// Convenience base for plugins that handle one event at a time.
class EventPlugin : public Plugin {
public:
    virtual Outcome on_event(const Event& event) = 0;

    void handle(std::span<const Event* const> events, std::span<Outcome> outcomes) override {
        for (std::size_t i = 0; i < events.size(); ++i) outcomes[i] = on_event(*events[i]);
    }
};

/// Exported by each plugin library. Field order is frozen: `magic` and
/// `abi_version` come first so any future host can read them safely.
struct PluginDescriptor {
    std::uint64_t magic;
    std::uint32_t abi_version;
    const char* name;         ///< plugin kind, e.g. "example"
    const char* version;      ///< the plugin's own version string
    const char* description;  ///< one line
    const OptionSpec* options;
    std::size_t option_count;
    /// Make an instance. Throw (any std::exception) when the options or the
    /// environment make starting impossible: the host reports the message
    /// as a startup error. Called on the pipeline thread.
    std::unique_ptr<Plugin> (*create)(const Options& options, Context& context);
    /// How the plugin was compiled (filled in from abi.hpp where the
    /// descriptor is defined; leave it out of the initializer). The host
    /// refuses a standard library ABI other than its own.
    Toolchain toolchain = k_toolchain;

    std::span<const OptionSpec> option_specs() const noexcept { return {options, option_count}; }
};

/// What a plugin's deeper check found (see FANOUT_EXPORT_PLUGIN_CHECK).
struct CheckReport {
    /// Problems that stop the plugin from starting, one per entry, each
    /// "file:line:col: what was expected" when it has a place in a file.
    std::vector<std::string> errors;
    /// What was checked or could not be checked without a server, shown
    /// under the plugin's line by `fanoutd --check-config`.
    std::vector<std::string> notes;
};

/// Optional, exported beside the descriptor: checks a plugin's options
/// deeper than their declared types (a file they name, statements it holds),
/// for `fanoutd --check-config`, without touching any server. The options are
/// already validated against the descriptor. Called on the main thread; may
/// be called with options create() is never called with. Should not throw
/// (a throw is reported as one error).
using CheckFunction = CheckReport (*)(const Options& options);

}  // namespace fanout

/// Export `descriptor` (a fanout::PluginDescriptor) as the library's plugin:
/// a C-linkage pointer named fanout_plugin_v1. Use it once, at global scope,
/// without a semicolon after it.
#define FANOUT_EXPORT_PLUGIN(descriptor)                                                           \
    extern "C" __attribute__((visibility("default"), used)) const fanout::PluginDescriptor* const \
        fanout_plugin_v1 = &(descriptor);

/// Export `function` (a fanout::CheckFunction) as the library's check. A
/// host that does not know the symbol ignores it: adding a check changes no
/// ABI.
#define FANOUT_EXPORT_PLUGIN_CHECK(function)                                                  \
    extern "C" __attribute__((visibility("default"), used)) const fanout::CheckFunction \
        fanout_plugin_check_v1 = &(function);
