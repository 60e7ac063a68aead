#include "fanout/sql/aggregate_batch.hpp"

#include "fanout/common/event_data.hpp"

namespace fanout::sql {

const std::vector<std::string_view>& AggregateBatch::read(std::span<const Event* const> events) {
    heads_.resize(events.size());
    index_.clear();
    ids_.clear();
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Event& e = *events[i];
        Head& h = heads_[i];
        h = Head{&e, {}, 0, 0, nullptr};
        if (!e.envelope_valid()) {
            h.malformed = "malformed envelope: not a JSON event envelope";
            continue;
        }
        const std::string_view id = e.aggregate_id();
        h.type = e.type();
        h.version = e.version();
        if (!event_data::valid(event_data::Kind::id, id)) {
            h.malformed = "malformed envelope: missing or invalid aggregateId";
        } else if (h.type.empty()) {
            h.malformed = "malformed envelope: missing type";
        } else if (h.version < 1) {
            h.malformed = "malformed envelope: missing or invalid version";
        } else {
            const auto [it, inserted] = index_.try_emplace(id, static_cast<std::uint32_t>(ids_.size()));
            if (inserted) ids_.push_back(id);
            h.aggregate = it->second;
        }
    }
    return ids_;
}

AggregateBatch::Admission AggregateBatch::admit(const Head& head, std::string_view creation) const {
    if (head.malformed != nullptr) return {Admission::reject, head.malformed};
    const Aggregate& a = aggregates_[head.aggregate];
    if (a.state != State::absent && head.version <= a.version) return {Admission::duplicate, {}};
    const std::string id(ids_[head.aggregate]);
    const std::string what = std::string(head.type) + " version " + std::to_string(head.version);
    switch (a.state) {
        case State::removed:
            return {Admission::reject, "post " + id + " was removed at version " + std::to_string(a.version) + ": " + what};
        case State::absent:
            if (head.type != creation) return {Admission::reject, "unknown post " + id + ": " + what, true};
            if (head.version != 1) return {Admission::reject, "version gap: post " + id + " does not exist, " + what};
            break;
        case State::live:
            if (head.version != a.version + 1) {
                return {Admission::reject,
                        "version gap: post " + id + " is at version " + std::to_string(a.version) + ", " + what};
            }
            if (head.type == creation) return {Admission::reject, "post " + id + " already exists: " + what};
            break;
    }
    const DataView& data = head.event->data();
    if (auto violation = event_data::data_violation(head.type, [&](std::string_view name) { return data.string(name); })) {
        return {Admission::reject, std::string(head.type) + ": " + *violation};
    }
    return {Admission::apply, {}};
}

}  // namespace fanout::sql
