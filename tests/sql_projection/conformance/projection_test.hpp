#pragma once
// The pieces of the projection suites (projection_conformance.hpp) that a
// projection's own tests use too: a fixture with plugin instances over a
// database of the test's own, generated streams over partitions, and the
// names of typed and parameterised instantiations.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "event_builder.hpp"
#include "events.hpp"
#include "plugin_under_test.hpp"
#include "projection_traits.hpp"
#include "test_database.hpp"

namespace fanout::test {

template <ProjectionTraits T, DbBackend B>
struct OnBackend {
    using Traits = T;
    static constexpr DbBackend backend = B;
};

template <ProjectionTraits T>
using OnBothBackends = ::testing::Types<OnBackend<T, DbBackend::sqlite>, OnBackend<T, DbBackend::postgresql>>;

/// Type names of OnBackend instantiations: "sqlite", "postgresql".
struct BackendNames {
    template <class Case>
    static std::string GetName(int) {
        return to_string(Case::backend);
    }
};

/// Takes the write lock in `other` (a session that is not the plugin's) until
/// it rolls back: SQLite's database lock, PostgreSQL's lock on `table`.
inline void lock_for_writes(soci::session& other, DbBackend backend, const std::string& table) {
    other << (backend == DbBackend::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    if (backend == DbBackend::postgresql) other << "LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE";
}

/// What `handle()` returns while the test's own session holds the write lock
/// (lock_for_writes on `table`); the lock is released after.
template <class Handle>
auto while_locked(TestDatabase& db, const std::string& table, Handle handle) {
    soci::session& other = db.session();
    lock_for_writes(other, db.backend(), table);
    auto result = handle();
    other << "ROLLBACK";
    return result;
}

/// An instance of the projection's plugin; `options`: YAML lines.
template <ProjectionTraits T>
std::unique_ptr<PluginUnderTest> make_plugin(const std::string& options, const std::string& group = T::k_names.group()) {
    return std::make_unique<PluginUnderTest>(PluginIdentity{T::k_names.library, T::k_names.plugin}, options, group);
}

inline const std::string k_day = "2026-11-01T10:00:00.000Z";

/// Plugin instances over a database of the test's own (db_, made by the
/// derived fixture's SetUp), and what they stored.
template <ProjectionTraits T, class Base = ::testing::Test>
class ProjectionTest : public Base {
protected:
    using Tables = typename T::Tables;

    static std::string group() { return T::k_names.group(); }
    static std::unique_ptr<PluginUnderTest> plugin_with(const std::string& options, const std::string& group) {
        return make_plugin<T>(options, group);
    }
    /// An instance on the test's database; `extra`: option lines.
    std::unique_ptr<PluginUnderTest> plugin(const std::string& group = T::k_names.group(),
                                            const std::string& extra = "") {
        return plugin_with(options_for<T>(db_->connection()) + extra, group);
    }
    /// An instance that owns partition 0 (fresh or at its checkpoint).
    std::unique_ptr<PluginUnderTest> owner(const std::string& group = T::k_names.group(), const std::string& extra = "") {
        auto p = plugin(group, extra);
        p->assign(k_topic, {0});
        return p;
    }
    /// The instance that owns partition 0 of the group (made on first use),
    /// its handle() and its counters.
    PluginUnderTest& the_owner() {
        if (!owner_) owner_ = owner();
        return *owner_;
    }
    std::vector<Outcome> handle(const std::vector<FakeEvent>& events) { return the_owner().handle(events); }
    std::uint64_t counter(const std::string& name) { return the_owner().counter(name); }

    Tables tables() { return T::read(db_->session()); }
    std::int64_t checkpoint(int partition = 0, const std::string& group = T::k_names.group()) {
        return db_->checkpoint(T::k_names.checkpoint_table(), group, k_topic, partition);
    }
    /// The tables the reference computes from `events`, in order.
    static Tables reference_of(const std::vector<FakeEvent>& events) {
        typename T::Reference reference;
        for (const FakeEvent& e : events) reference.apply(e.payload());
        return reference.tables();
    }
    /// Fails the test, with the differences, unless the database holds `expected`.
    void expect_tables(const Tables& expected) {
        const Tables actual = tables();
        EXPECT_TRUE(actual == expected) << differences(expected, actual);
    }
    /// Takes the write lock in `other` (a session that is not the plugin's)
    /// until it rolls back: SQLite's database lock, PostgreSQL's lock on the
    /// checkpoint table.
    void lock_checkpoints(soci::session& other) { lock_for_writes(other, db_->backend(), T::k_names.checkpoint_table()); }

    std::unique_ptr<TestDatabase> db_;
    std::unique_ptr<PluginUnderTest> owner_;  // destroyed before db_
};

/// `count` generated events over `posts` posts, spread over `partitions`
/// partitions by key as Kafka spreads them.
inline std::vector<FakeEvent> generated_stream(int count, std::size_t posts, std::uint64_t seed, int partitions) {
    EventGenerator generator(posts, seed);
    std::vector<PartitionEvents> by_partition;
    for (int p = 0; p < partitions; ++p) by_partition.emplace_back(p);
    std::vector<FakeEvent> stream;
    for (int i = 0; i < count; ++i) {
        const GeneratedEvent g = generator.next();
        const std::size_t p = std::hash<std::string>{}(g.key) % static_cast<std::size_t>(partitions);
        stream.push_back(by_partition[p].envelope(g.value, g.key));
    }
    return stream;
}

/// The events of `stream` in `partition`, from offset `from` on.
inline std::vector<FakeEvent> of_partition(const std::vector<FakeEvent>& stream, int partition, std::int64_t from = 0) {
    std::vector<FakeEvent> out;
    std::copy_if(stream.begin(), stream.end(), std::back_inserter(out),
                 [&](const FakeEvent& e) { return e.partition() == partition && e.offset() >= from; });
    return out;
}

/// A projection's own tests on both backends:
///   class SqlReadModel : public ProjectionOnEachBackend<ReadModelTraits> {};
///   INSTANTIATE_TEST_SUITE_P(Backends, SqlReadModel, each_backend(), backend_name);
template <ProjectionTraits T>
class ProjectionOnEachBackend : public ProjectionTest<T, ::testing::TestWithParam<DbBackend>> {
protected:
    void SetUp() override { this->db_ = std::make_unique<TestDatabase>(this->GetParam()); }
};

inline auto each_backend() { return ::testing::Values(DbBackend::sqlite, DbBackend::postgresql); }
inline std::string backend_name(const ::testing::TestParamInfo<DbBackend>& info) { return to_string(info.param); }

}  // namespace fanout::test
