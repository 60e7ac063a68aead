#include "lua/lua_host.hpp"

namespace fanout::daemon::lua {
namespace {

constexpr std::size_t k_emit_overhead = 64;

}  // namespace

bool LuaHost::add_emit(PendingEmit emit) {
    std::size_t bytes = k_emit_overhead + emit.topic.size() + emit.key.size() + emit.value.size();
    for (const auto& [name, value] : emit.headers) bytes += name.size() + value.size();
    if (emit_bytes_ + bytes > emit_limit_bytes_) return false;
    emits_.push_back(std::move(emit));
    emit_bytes_ += bytes;
    return true;
}

void LuaHost::flush_emits() {
    std::string failure;
    for (PendingEmit& emit : emits_) {
        const auto owners = outcomes_.subspan(emit.first, emit.count);
        bool wanted = false;
        for (const Outcome& o : owners) wanted = wanted || o.is_done();
        if (!wanted) continue;
        if (failure.empty()) {
            emit.headers.emplace_back("fanout.plugin", std::string(context_.plugin_name()));
            if (emit.count == 1) {
                // One triggering event: say which, so consumers can trace and de-duplicate replays.
                const Event& source = *events_[emit.first];
                emit.headers.emplace_back("fanout.source.topic", std::string(source.topic()));
                emit.headers.emplace_back("fanout.source.partition", std::to_string(source.partition()));
                emit.headers.emplace_back("fanout.source.offset", std::to_string(source.offset()));
                if (!source.event_id().empty()) {
                    emit.headers.emplace_back("fanout.source.event-id", std::string(source.event_id()));
                }
            }
            const std::string error = emitter_->send(emit.topic, emit.key, emit.value, emit.headers);
            if (error.empty()) continue;
            failure = "fanout.emit to '" + emit.topic + "' failed: " + error;
            context_.logger().error(failure);
        }
        for (Outcome& o : owners) {
            if (o.is_done()) o = Outcome::retry_later(failure);
        }
    }
    emits_.clear();
    emit_bytes_ = 0;
}

}  // namespace fanout::daemon::lua
