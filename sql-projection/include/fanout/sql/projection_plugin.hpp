#pragma once
// An exactly-once SQL projection as a fanout::Plugin with Checkpointing:
// derive from ProjectionPlugin<YourPlugin> and state only the store and how
// a batch becomes verdicts and changes. The loop (projection_loop.hpp) does
// the rest: connection, positions, replay skip, the fenced advance in the
// batch's transaction, group commit, retries of database failures, counters.
//
//   // MyVerdict: .kind of an enum Kind {applied, duplicate, ignored, rejected}, .reason
//   class MyPlugin final : public sql::ProjectionPlugin<MyPlugin, MyVerdict> {
//   public:
//       using Store = sql::ProjectionStore<MyStored, MyChanges>;
//       using SqliteStore = MySqliteStore;      // each constructed from a std::unique_ptr<soci::session>,
//       using PostgresStore = MyPostgresStore;  // connected and migrated (sql::SqliteBatchStore...)
//       MyPlugin(MySettings s, Context& c)
//           : ProjectionPlugin(s.database, c, "my projection", k_schema), ... {}  // sql::Schema
//       void prepare(std::span<const Event* const> events);      // before the transaction
//       const MyChanges& project(Store& store, std::vector<Verdict>& verdicts);  // in it: load, fold
//       // optional:
//       std::unique_ptr<Store> open_store(std::unique_ptr<soci::session> s, sql::Backend b);  // instead of the two
//       void configure_session(soci::session& s, sql::Backend b);  // before migrations: PRAGMAs...
//       void committed(const MyChanges& changes, std::span<const Verdict> verdicts);  // batch written
//       void forget() noexcept override;  // drop caches: failure, rollback, revocation, reconnection
//   };
//
// Calls into the derived class are static (CRTP): one per batch, none per event.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fanout/abi.hpp"
#include "fanout/options.hpp"
#include "fanout/sql/projection_loop.hpp"
#include "fanout/sql/settings.hpp"

namespace fanout::sql {

/// What a projection decided about one event; a projection may use its own
/// type with the same `kind` and `reason` (and more fields).
struct Verdict {
    /// deferred: not applied in this batch, to come again (after a rejected
    /// event of its partition, in a projection without versions: applying it
    /// now could apply it twice when the rejected one is delivered again).
    /// failed: the projection's own code failed on it (a script error): not
    /// applied, delivered again, dead-lettered after retry.max_attempts.
    enum class Kind { applied, duplicate, ignored, rejected, deferred, failed };
    Kind kind = Kind::applied;
    std::string reason;  ///< for rejected, deferred and failed: why
};

template <typename Derived, typename VerdictType = Verdict>
class ProjectionPlugin : public ProjectionLoop {
public:
    void handle(std::span<const Event* const> events, std::span<Outcome> outcomes) final {
        if (!select(events, outcomes)) return;
        Derived& self = static_cast<Derived&>(*this);
        using Store = typename Derived::Store;
        try {
            self.prepare(accepted_);
            // The store is the one the loop made with the derived open_store().
            Store& store = static_cast<Store&>(this->store());
            if (!in_transaction()) {
                store.begin();
                began_transaction();
                guard_generation();  // no batch lands in a generation a rebuild retired
            }
            const std::uint64_t rows_before = store.rows_written();  // earlier batches of the transaction
            const auto& changes = self.project(store, verdicts_);
            store.write(changes);
            const std::uint64_t rows = store.rows_written() - rows_before;  // before the checkpoint rows
            plan_advances([this](std::size_t k) { return holds_checkpoint(verdicts_[k]); });
            if (!advance(outcomes)) return;
            wrote_batch(rows);
            try {
                self.committed(changes, std::span<const VerdictType>(verdicts_));
            } catch (...) {
                forget();  // only a hint; the batch is written and must count as done
            }
        } catch (const ConcurrentChange& e) {
            concurrent_change(outcomes, e);
            return;
        } catch (const std::exception& e) {
            database_error(outcomes, e);
            return;
        }
        commit_batch(outcomes);
    }

protected:
    using ProjectionLoop::ProjectionLoop;

    /// Default hook: nothing to do once a batch is written in the open
    /// transaction (it commits with it, or rolls back with it: forget()).
    template <typename Changes>
    void committed(const Changes&, std::span<const VerdictType>) {}

private:
    std::vector<VerdictType> verdicts_;  ///< per accepted event; kept to reuse allocations

    void configure(soci::session& session, Backend backend) final {
        if constexpr (requires(Derived& d) { d.configure_session(session, backend); }) {
            static_cast<Derived&>(*this).configure_session(session, backend);
        }
    }
    std::unique_ptr<BatchStore> make_store(std::unique_ptr<soci::session> session, Backend backend) final {
        Derived& self = static_cast<Derived&>(*this);
        if constexpr (requires { self.open_store(std::move(session), backend); }) {
            return self.open_store(std::move(session), backend);
        } else {
            if (backend == Backend::postgresql) return std::make_unique<typename Derived::PostgresStore>(std::move(session));
            return std::make_unique<typename Derived::SqliteStore>(std::move(session));
        }
    }

    static constexpr bool k_defers = requires { VerdictType::Kind::deferred; };

    static constexpr bool k_fails = requires { VerdictType::Kind::failed; };

    /// A partition's checkpoint stops at a rejected (and a deferred or failed) event.
    static bool holds_checkpoint(const VerdictType& v) {
        using Kind = typename VerdictType::Kind;
        if constexpr (k_fails) {
            return v.kind == Kind::rejected || v.kind == Kind::deferred || v.kind == Kind::failed;
        } else if constexpr (k_defers) {
            return v.kind == Kind::rejected || v.kind == Kind::deferred;
        } else {
            return v.kind == Kind::rejected;
        }
    }

    void commit_batch(std::span<Outcome> outcomes) {
        using Kind = typename VerdictType::Kind;
        static_assert(static_cast<int>(Kind::applied) == 0 && static_cast<int>(Kind::duplicate) == 1 &&
                          static_cast<int>(Kind::ignored) == 2 && static_cast<int>(Kind::rejected) == 3,
                      "VerdictType::Kind: applied, duplicate, ignored, rejected (then deferred), in that order");
        advance_positions();
        std::uint64_t counts[6] = {0, 0, 0, 0, 0, 0};
        for (std::size_t k = 0; k < accepted_.size(); ++k) {
            auto& v = verdicts_[k];
            ++counts[static_cast<int>(v.kind)];
            if (v.kind == Kind::rejected) {
                log_rejected(*accepted_[k], v.reason);
                outcomes[accepted_index_[k]] = Outcome::reject(std::move(v.reason));
            } else if constexpr (k_defers) {
                if (v.kind == Kind::deferred) outcomes[accepted_index_[k]] = Outcome::retry_later(std::move(v.reason));
                if constexpr (k_fails) {
                    if (v.kind == Kind::failed) outcomes[accepted_index_[k]] = Outcome::failed(std::move(v.reason));
                }
            }
        }
        count(counts[static_cast<int>(Kind::applied)], counts[static_cast<int>(Kind::duplicate)],
              counts[static_cast<int>(Kind::ignored)], counts[static_cast<int>(Kind::rejected)]);
    }
};

/// The factory of a projection plugin `P` constructed from
/// (ConnectionSettings, Context&): settings parsed from the options
/// (parse_connection_settings), then started (connect, migrate).
template <typename P>
std::unique_ptr<Plugin> create_projection(const Options& options, Context& context) {
    auto plugin = std::make_unique<P>(parse_connection_settings(options), context);
    plugin->start();
    return plugin;
}

/// The descriptor of a projection plugin `P` whose options are `options`
/// (a namespace-scope array, e.g. database_options(...)):
///
///   constexpr auto k_options = sql::database_options("my projection's database: ...");
///   extern const PluginDescriptor descriptor;
///   const PluginDescriptor descriptor = sql::projection_descriptor<MyPlugin>("my", "1.0.0", "what it keeps", k_options);
///   FANOUT_EXPORT_PLUGIN(descriptor)
template <typename P, std::size_t N>
constexpr PluginDescriptor projection_descriptor(const char* name, const char* version, const char* description,
                                                 const std::array<OptionSpec, N>& options) {
    return {k_descriptor_magic, k_abi_version, name,       version, description,
            options.data(),     options.size(), &create_projection<P>};
}

}  // namespace fanout::sql
