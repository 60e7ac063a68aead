// Test plugin whose behaviour is set by options: records every delivery,
// and rejects, retries, throws or sleeps on chosen keys. With `checkpointing`
// it owns its positions, answering the assignment with `checkpoints`.
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "fanout/fanout.hpp"

namespace fanout::tests::scripted {
namespace {

constexpr OptionSpec k_options[] = {
    {"record_path", OptionType::string, nullptr,
     "each delivery appended as 'topic partition offset key outcome batch'"},
    {"reject_keys", OptionType::string_list, "", "keys rejected (dead-lettered)"},
    {"retry_keys", OptionType::string_list, "", "keys answered retry_later (transient) retry_times times, then done"},
    {"fail_keys", OptionType::string_list, "", "keys answered failed (not transient) retry_times times, then done"},
    {"retry_times", OptionType::integer, "2", "how often a retry or fail key fails before it succeeds"},
    {"throw_keys", OptionType::string_list, "", "keys whose delivery throws"},
    {"sleep_ms", OptionType::integer, "0", "sleep at the end of every batch"},
    {"fail_create", OptionType::boolean, "false", "throw from create()"},
    {"checkpointing", OptionType::boolean, "false", "implement Checkpointing (positions owned by the plugin)"},
    {"checkpoints", OptionType::string_list, "",
     "with checkpointing: 'partition:offset' answered on assignment (others: no checkpoint)"},
    {"assign_failures", OptionType::integer, "0",
     "with checkpointing: how many times on_assigned() throws (its store is down) before it answers"},
};

class ScriptedPlugin final : public Plugin, public Checkpointing {
public:
    ScriptedPlugin(const Options& o, Context& context)
        : record_(open_record(o.get_string("record_path"))),
          retry_times_(o.get_integer("retry_times")),
          sleep_(o.get_integer("sleep_ms")),
          context_(context) {
        for (const auto& k : o.get_list("reject_keys")) reject_.insert(k);
        for (const auto& k : o.get_list("retry_keys")) retry_.insert(k);
        for (const auto& k : o.get_list("fail_keys")) fail_.insert(k);
        for (const auto& k : o.get_list("throw_keys")) throw_.insert(k);
        checkpointing_ = o.get_boolean("checkpointing");
        assign_failures_ = o.get_integer("assign_failures");
        for (const auto& c : o.get_list("checkpoints")) {
            const auto colon = c.find(':');
            if (colon == std::string::npos)
                throw std::runtime_error("checkpoints: expected 'partition:offset', got " + c);
            checkpoints_[std::stoi(c.substr(0, colon))] = std::stoll(c.substr(colon + 1));
        }
        if (!record_) throw std::runtime_error("cannot open record_path");
    }

    Checkpointing* checkpointing() noexcept override { return checkpointing_ ? this : nullptr; }

    std::vector<PartitionOffset> on_assigned(std::span<const TopicPartition> partitions) override {
        if (assign_failures_ > 0) {
            --assign_failures_;
            throw std::runtime_error("scripted checkpoint store down");
        }
        std::vector<PartitionOffset> out;
        for (const auto& tp : partitions) {
            const auto it = checkpoints_.find(tp.partition);
            out.push_back({tp.topic, tp.partition, it == checkpoints_.end() ? k_no_checkpoint : it->second});
        }
        return out;
    }

    void on_revoked(std::span<const TopicPartition>) override {}

    void handle(std::span<const Event* const> events, std::span<Outcome> outcomes) override {
        ++batch_;
        for (std::size_t i = 0; i < events.size(); ++i) {
            const Event& e = *events[i];
            const std::string key(e.key());
            std::string outcome = "done";
            if (throw_.count(key)) {
                record(e, "throw");
                throw std::runtime_error("scripted throw for " + key);
            }
            if (reject_.count(key)) {
                outcomes[i] = Outcome::reject("scripted reject of " + key);
                outcome = "reject";
            } else if (retry_.count(key) && failures_[key] < retry_times_) {
                ++failures_[key];
                outcomes[i] = Outcome::retry_later("scripted retry of " + key);
                outcome = "retry";
            } else if (fail_.count(key) && failures_[key] < retry_times_) {
                ++failures_[key];
                outcomes[i] = Outcome::failed("scripted failure of " + key);
                outcome = "failed";
            }
            record(e, outcome);
        }
        record_.flush();
        context_.counter("deliveries").add(events.size());
        // After recording, so a test sees the plugin is inside the call.
        if (sleep_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_));
    }

private:
    /// Appends to `path`, first ending a last line a crash tore, so no
    /// record merges with it.
    static std::ofstream open_record(const std::string& path) {
        bool torn = false;
        if (std::ifstream in{path, std::ios::binary | std::ios::ate}; in && in.tellg() > 0) {
            in.seekg(-1, std::ios::end);
            torn = in.get() != '\n';
        }
        std::ofstream out(path, std::ios::app);
        if (torn) out << '\n';
        return out;
    }

    void record(const Event& e, const std::string& outcome) {
        record_ << e.topic() << ' ' << e.partition() << ' ' << e.offset() << ' ' << e.key() << ' ' << outcome << ' '
                << batch_ << '\n';
        record_.flush();
    }

    std::ofstream record_;
    std::int64_t retry_times_;
    std::int64_t sleep_;
    std::int64_t batch_ = 0;  ///< handle() calls so far, 1-based in the record
    Context& context_;
    std::set<std::string> reject_, retry_, fail_, throw_;
    std::map<std::string, std::int64_t> failures_;
    bool checkpointing_ = false;
    std::int64_t assign_failures_ = 0;
    std::map<std::int32_t, std::int64_t> checkpoints_;
};

std::unique_ptr<Plugin> create(const Options& options, Context& context) {
    if (options.get_boolean("fail_create")) throw std::runtime_error("scripted create failure");
    return std::make_unique<ScriptedPlugin>(options, context);
}

}  // namespace

extern const PluginDescriptor descriptor;
const PluginDescriptor descriptor{
    k_descriptor_magic, k_abi_version,        "scripted", "0.0.1", "test plugin driven by options",
    k_options,          std::size(k_options), &create};

}  // namespace fanout::tests::scripted

FANOUT_EXPORT_PLUGIN(fanout::tests::scripted::descriptor)
