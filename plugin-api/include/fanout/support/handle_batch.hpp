#pragma once
// How a host hands a batch to a plugin: fanoutd's pipeline and
// fanout::testing::BatchDriver both call this, so a plugin's tests see what
// production does when handle() throws.
#include <exception>
#include <span>
#include <string>

#include "fanout/plugin.hpp"

namespace fanout::support {

/// Plugin::handle() on `events`. When it throws, the events are handed one
/// at a time to find the one that throws (at-least-once allows the replay);
/// an event that throws alone is answered failed("handler threw: ...").
/// `on_throw(error, events_in_the_call)` hears of every throw.
template <class OnThrow>
void handle_batch(Plugin& plugin, std::span<const Event* const> events, std::span<Outcome> outcomes,
                  OnThrow&& on_throw) {
    std::string error;
    try {
        plugin.handle(events, outcomes);
        return;
    } catch (const std::exception& e) {
        error = e.what();
    } catch (...) {
        error = "unknown exception";
    }
    on_throw(error, events.size());
    if (events.size() == 1) {
        outcomes[0] = Outcome::failed("handler threw: " + error);
        return;
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
        outcomes[i] = Outcome::done();
        handle_batch(plugin, events.subspan(i, 1), outcomes.subspan(i, 1), on_throw);
    }
}

}  // namespace fanout::support
