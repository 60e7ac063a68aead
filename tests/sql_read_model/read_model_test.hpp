#pragma once
// Shared by the sql_read_model unit tests: a fresh database per test, on
// SQLite and on PostgreSQL, and the plugin instances to drive over it.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "event_builder.hpp"
#include "plugin_driver.hpp"
#include "test_database.hpp"

namespace fanout::test {

inline constexpr const char* k_group = "fanout.read-model";
inline const std::string k_day = "2026-11-01T10:00:00.000Z";

class ReadModelTest : public ::testing::TestWithParam<DbBackend> {
protected:
    void SetUp() override { db_ = std::make_unique<TestDatabase>(GetParam()); }

    std::unique_ptr<PluginUnderTest> plugin(const std::string& group = k_group, const std::string& options = "") {
        return std::make_unique<PluginUnderTest>(db_->connection_option() + options, group);
    }
    /// A plugin instance that owns partition 0 (fresh or at its checkpoint).
    std::unique_ptr<PluginUnderTest> owner(const std::string& group = k_group, const std::string& options = "") {
        auto p = plugin(group, options);
        p->assign(k_topic, {0});
        return p;
    }

    std::unique_ptr<TestDatabase> db_;
};

inline std::string backend_name(const ::testing::TestParamInfo<DbBackend>& info) { return to_string(info.param); }

}  // namespace fanout::test
