#pragma once
// A fresh event store per test: a SQLite file in a temp dir, or a new
// database on the PostgreSQL server of FANOUT_TEST_PG (dropped afterwards).
#include <memory>
#include <string>

#include <soci/soci.h>

#include "process.hpp"
#include "test_env.hpp"

namespace fanout::test {

using StoreKind = DbBackend;

class TestStore {
public:
    explicit TestStore(StoreKind kind);
    ~TestStore();
    TestStore(const TestStore&) = delete;
    TestStore& operator=(const TestStore&) = delete;

    StoreKind kind() const { return kind_; }
    /// The --event-store value for post-command.
    const std::string& connection() const { return connection_; }
    /// A session on the store, for assertions (open on first use).
    soci::session& sql();
    /// One integer from `query` (e.g. a COUNT).
    long long scalar(const std::string& query);

private:
    StoreKind kind_;
    TempDir dir_;
    std::string database_;
    std::string connection_;
    std::unique_ptr<soci::session> session_;
};

}  // namespace fanout::test
