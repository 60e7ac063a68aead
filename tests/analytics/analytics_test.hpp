#pragma once
// Shared by the analytics unit tests: a fresh database per test, on SQLite
// and on PostgreSQL, and the plugin instances to drive over it.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "analytics_driver.hpp"
#include "event_builder.hpp"
#include "tables.hpp"
#include "test_database.hpp"

namespace fanout::test {

class AnalyticsTest : public ::testing::TestWithParam<DbBackend> {
protected:
    void SetUp() override { db_ = std::make_unique<TestDatabase>(GetParam()); }

    std::unique_ptr<AnalyticsUnderTest> plugin(const std::string& group = k_analytics_group,
                                               const std::string& options = "") {
        return std::make_unique<AnalyticsUnderTest>(db_->connection_option() + options, group);
    }
    /// A plugin instance that owns partition 0 (fresh or at its checkpoint).
    std::unique_ptr<AnalyticsUnderTest> owner(const std::string& group = k_analytics_group,
                                              const std::string& options = "") {
        auto p = plugin(group, options);
        p->assign(k_topic, {0});
        return p;
    }
    Tables tables() { return read_tables(db_->session()); }
    std::int64_t checkpoint(int partition = 0, const std::string& group = k_analytics_group) {
        return analytics_checkpoint(db_->session(), group, k_topic, partition);
    }

    std::unique_ptr<TestDatabase> db_;
};

inline std::string backend_name(const ::testing::TestParamInfo<DbBackend>& info) { return to_string(info.param); }

}  // namespace fanout::test
