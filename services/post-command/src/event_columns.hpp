#pragma once
// The columns of `events` as EventReader reads them, in bulk: shared by the
// relay's and the command loads' reads (event_store.cpp) and the history's
// (event_history.cpp).
#include <string>
#include <utility>
#include <vector>

#include <soci/soci.h>

#include "event_store.hpp"

namespace fanout::post_command {

inline constexpr const char* k_columns =
    "SELECT global_sequence, event_id, aggregate_id, version, type, data, occurred_at, actor";

/// Columns of `events` in bulk, `chunk` rows at a time.
struct EventColumns {
    explicit EventColumns(std::size_t chunk)
        : sequence(chunk),
          version(chunk),
          event_id(chunk),
          aggregate_id(chunk),
          type(chunk),
          data(chunk),
          occurred_at(chunk),
          actor(chunk),
          actor_indicator(chunk),
          chunk_(chunk) {}

    /// Run `k_columns` + `rest` with `uses` bound and append every row to `out`.
    template <class... Uses>
    void read(soci::session& session, const char* rest, std::vector<StoredEvent>& out, Uses&&... uses) {
        soci::statement st = ((session.prepare << k_columns << rest, soci::into(sequence), soci::into(event_id),
                               soci::into(aggregate_id), soci::into(version), soci::into(type), soci::into(data),
                               soci::into(occurred_at), soci::into(actor, actor_indicator)),
                              ..., std::forward<Uses>(uses));
        st.execute();
        while (st.fetch()) append_to(out);
    }

    void append_to(std::vector<StoredEvent>& out) {
        for (std::size_t i = 0; i < sequence.size(); ++i) {
            out.push_back(StoredEvent{sequence[i], std::move(event_id[i]), std::move(aggregate_id[i]), version[i],
                                      std::move(type[i]), std::move(data[i]), std::move(occurred_at[i]),
                                      actor_indicator[i] == soci::i_ok ? std::move(actor[i]) : std::string()});
        }
        for (auto* v : {&sequence, &version}) v->resize(chunk_);
        for (auto* v : {&event_id, &aggregate_id, &type, &data, &occurred_at, &actor}) v->resize(chunk_);
        actor_indicator.resize(chunk_);
    }

    std::vector<long long> sequence, version;
    std::vector<std::string> event_id, aggregate_id, type, data, occurred_at, actor;
    std::vector<soci::indicator> actor_indicator;

private:
    std::size_t chunk_;
};


}  // namespace fanout::post_command
