#pragma once
// ProjectionGenerations<Case>: a projection's blue/green rebuild at the
// engine (sql-projection's generations.hpp), without Kafka: the live
// instance consumes, a rebuild's instance writes a new generation from the
// first event, makes it live once its checkpoints reach the live ones, the
// live instance follows (its checkpoints read again in the new generation)
// and drops the old generation after the grace period. Instantiated for
// each projection on both backends, like ProjectionConformance.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fanout/sql/generations.hpp"
#include "projection_test.hpp"

namespace fanout::test {

template <class Case>
class ProjectionGenerations : public ProjectionTest<typename Case::Traits> {
protected:
    using T = typename Case::Traits;
    void SetUp() override { this->db_ = std::make_unique<TestDatabase>(Case::backend); }

    std::unique_ptr<PluginUnderTest> rebuilder(std::int64_t retire_after_s) {
        auto p = std::make_unique<PluginUnderTest>(PluginIdentity{T::k_names.library, T::k_names.plugin},
                                                   options_for<T>(this->db_->connection()), this->group(),
                                                   RebuildHostOptions{retire_after_s});
        p->assign(k_topic, {0});
        return p;
    }

    sql::GenerationPointer pointer() {
        sql::Generations generations(this->db_->session(), T::k_names.schema_component);
        return generations.read();
    }

    /// The projection's tables in generation `g`.
    typename T::Tables tables_of(int g) {
        if (g == 0) return this->tables();
        if (Case::backend == DbBackend::postgresql) {
            soci::session& s = this->db_->session();
            std::string base;
            s << "SELECT current_schema()", soci::into(base);
            s << "SET search_path TO \"" + sql::generation_schema(base, T::k_names.schema_component, g) + "\"";
            typename T::Tables t = T::read(s);
            s << "SET search_path TO \"" + base + "\"";
            return t;
        }
        soci::session s;
        sql::open_session(s, "sqlite:" + sql::generation_sqlite_file(this->db_->connection(), g));
        return T::read(s);
    }

    /// How many tables the base location holds besides the shared ones.
    int base_tables() {
        soci::session& s = this->db_->session();
        const std::string version_table = T::k_names.version_table;
        int n = 0;
        if (Case::backend == DbBackend::postgresql) {
            s << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND "
                 "table_name NOT IN ('fanout_generations', 'fanout_schema_history', :v)",
                soci::use(version_table), soci::into(n);
        } else {
            s << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND "
                 "name NOT IN ('fanout_generations', 'fanout_schema_history', :v)",
                soci::use(version_table), soci::into(n);
        }
        return n;
    }

    /// between_batches until `done` (each instance looks at the pointer at
    /// most once a second), at most 10 s.
    template <class Done>
    static bool settle_until(PluginUnderTest& p, Done&& done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            p.settle(true);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return true;
    }
};
TYPED_TEST_SUITE_P(ProjectionGenerations);

TYPED_TEST_P(ProjectionGenerations, ARebuildBuildsANewGenerationSwitchesWhenCaughtUpAndTheLiveInstanceFollows) {
    const std::vector<FakeEvent> stream = generated_stream(600, 25, 7, 1);
    const std::vector<FakeEvent> first(stream.begin(), stream.begin() + 300);
    const std::vector<FakeEvent> second(stream.begin() + 300, stream.begin() + 450);
    const std::vector<FakeEvent> third(stream.begin() + 450, stream.end());

    auto live = this->owner();
    ASSERT_TRUE(all_done(live->handle(first)));
    EXPECT_EQ(this->pointer().live, 0);

    auto rebuild = this->rebuilder(/*retire_after_s=*/0);
    EXPECT_EQ(this->pointer().building, std::optional<int>(1));
    EXPECT_NE(rebuild->log().find("rebuilding"), std::string::npos) << rebuild->log();
    // The live one goes on while the rebuild reads from the first event.
    ASSERT_TRUE(all_done(live->handle(second)));
    ASSERT_TRUE(all_done(rebuild->handle(first)));
    rebuild->settle(true);
    EXPECT_EQ(this->pointer().live, 0) << "300 of 450 events: not caught up, no switch";
    EXPECT_TRUE(this->tables_of(0) == this->reference_of(std::vector<FakeEvent>(stream.begin(), stream.begin() + 450)));

    ASSERT_TRUE(all_done(rebuild->handle(second)));
    ASSERT_TRUE(this->settle_until(*rebuild, [&] { return this->pointer().live == 1; })) << rebuild->log();
    const sql::GenerationPointer switched = this->pointer();
    EXPECT_FALSE(switched.building);
    EXPECT_EQ(switched.retired, std::optional<int>(0));
    EXPECT_FALSE(switched.switched_at.empty());
    EXPECT_TRUE(this->tables_of(1) == this->reference_of(std::vector<FakeEvent>(stream.begin(), stream.begin() + 450)));

    // The rebuild's instance has nothing more to do.
    const auto after = rebuild->handle(third);
    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after[0].kind(), Outcome::Kind::retry_later);
    EXPECT_NE(after[0].reason().find("rebuild finished"), std::string::npos) << after[0].reason();

    // The live instance's next batch does not land in generation 0 (its
    // readers moved on): it is given back, and the positions are read again
    // in generation 1, where it goes on.
    const auto refused = live->handle(third);
    ASSERT_FALSE(refused.empty());
    EXPECT_EQ(refused[0].kind(), Outcome::Kind::retry_later);
    EXPECT_NE(refused[0].reason().find("made live by a rebuild"), std::string::npos) << refused[0].reason();
    EXPECT_TRUE(this->tables_of(0) == this->reference_of(std::vector<FakeEvent>(stream.begin(), stream.begin() + 450)))
        << "the retired generation no longer changes";
    EXPECT_EQ(live->assign(k_topic, {0}), (std::vector<std::int64_t>{450}));
    ASSERT_TRUE(all_done(live->handle(third)));
    EXPECT_TRUE(this->tables_of(1) == this->reference_of(stream)) << "generation 1 holds the whole stream";

    // The grace period (0 s) is over: generation 0's tables go, the pointer stays.
    ASSERT_TRUE(this->settle_until(*live, [&] { return !this->pointer().retired; })) << live->log();
    EXPECT_EQ(this->base_tables(), 0) << "generation 0's tables are dropped";
    EXPECT_EQ(this->pointer().live, 1);
    EXPECT_NE(live->log().find("dropped"), std::string::npos) << live->log();
}

TYPED_TEST_P(ProjectionGenerations, ARestartedRebuildGoesOnInItsGenerationAndTheNextOneIsANewGeneration) {
    const std::vector<FakeEvent> stream = generated_stream(200, 10, 11, 1);
    auto live = this->owner();
    ASSERT_TRUE(all_done(live->handle(stream)));
    {
        auto rebuild = this->rebuilder(600);
        ASSERT_TRUE(all_done(rebuild->handle(std::vector<FakeEvent>(stream.begin(), stream.begin() + 120))));
    }  // fanoutd stopped (or was killed) in the middle
    EXPECT_EQ(this->pointer().building, std::optional<int>(1));

    auto resumed = this->rebuilder(600);
    EXPECT_EQ(this->pointer().building, std::optional<int>(1)) << "the same generation, not a new one";
    EXPECT_EQ(resumed->assign(k_topic, {0}), (std::vector<std::int64_t>{120})) << "from its own checkpoint";
    ASSERT_TRUE(all_done(resumed->handle(std::vector<FakeEvent>(stream.begin() + 120, stream.end()))));
    ASSERT_TRUE(this->settle_until(*resumed, [&] { return this->pointer().live == 1; })) << resumed->log();
    EXPECT_TRUE(this->tables_of(1) == this->reference_of(stream));
    EXPECT_TRUE(this->tables_of(0) == this->reference_of(stream)) << "kept for its grace period (600 s)";

    auto next = this->rebuilder(600);
    EXPECT_EQ(this->pointer().building, std::optional<int>(2));
    EXPECT_EQ(this->pointer().live, 1);
}

// Abandoned by hand as docs/operations.md says (fanoutd stopped, the
// pointer's `building` cleared): the live instance no longer asks for it to
// be resumed, and the next rebuild takes the same number, drops what the
// abandoned one left there and builds from the first event.
TYPED_TEST_P(ProjectionGenerations, AnAbandonedRebuildIsNotResumedAndTheNextOneStartsAfresh) {
    const std::vector<FakeEvent> stream = generated_stream(200, 10, 13, 1);
    {
        auto live = this->owner();
        ASSERT_TRUE(all_done(live->handle(stream)));
        auto rebuild = this->rebuilder(600);
        ASSERT_TRUE(all_done(rebuild->handle(std::vector<FakeEvent>(stream.begin(), stream.begin() + 120))));
        ASSERT_TRUE(this->settle_until(*live, [&] { return live->gauge("rebuild_pending") == 1.0; })) << live->log();
    }  // fanoutd stopped
    ASSERT_EQ(this->pointer().building, std::optional<int>(1));
    const std::string component = TypeParam::Traits::k_names.schema_component;
    this->db_->session() << "UPDATE fanout_generations SET building = NULL WHERE component = :c", soci::use(component);

    auto live = this->owner();
    ASSERT_TRUE(this->settle_until(*live, [&] { return live->gauge("rebuild_pending") == 0.0; })) << live->log();
    EXPECT_EQ(this->pointer().live, 0);
    EXPECT_TRUE(this->tables_of(0) == this->reference_of(stream)) << "the live generation is untouched";

    auto next = this->rebuilder(600);
    EXPECT_EQ(this->pointer().building, std::optional<int>(1)) << "the abandoned generation's number, again";
    EXPECT_EQ(next->assign(k_topic, {0}), (std::vector<std::int64_t>{-1}))
        << "no checkpoint: what the abandoned rebuild wrote was dropped";
    ASSERT_TRUE(all_done(next->handle(stream)));
    ASSERT_TRUE(this->settle_until(*next, [&] { return this->pointer().live == 1; })) << next->log();
    EXPECT_TRUE(this->tables_of(1) == this->reference_of(stream));
}

REGISTER_TYPED_TEST_SUITE_P(ProjectionGenerations,
                            ARebuildBuildsANewGenerationSwitchesWhenCaughtUpAndTheLiveInstanceFollows,
                            ARestartedRebuildGoesOnInItsGenerationAndTheNextOneIsANewGeneration,
                            AnAbandonedRebuildIsNotResumedAndTheNextOneStartsAfresh);

}  // namespace fanout::test
