#include "dead_letter.hpp"

namespace fanout::daemon {

std::string DeadLetterSink::send(const Event& event, const DeadLetterInfo& info) {
    SyncProducer::Headers headers;
    for (const Header& h : event.headers()) headers.emplace_back(h.name, h.value);
    headers.emplace_back("fanout.plugin", info.plugin);
    headers.emplace_back("fanout.reason", info.reason);
    headers.emplace_back("fanout.attempts", std::to_string(info.attempts));
    headers.emplace_back("fanout.source.topic", std::string(event.topic()));
    headers.emplace_back("fanout.source.partition", std::to_string(event.partition()));
    headers.emplace_back("fanout.source.offset", std::to_string(event.offset()));
    return producer_.send(topic_, event.key(), event.payload(), headers);
}

}  // namespace fanout::daemon
