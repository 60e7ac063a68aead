// The checkpoint table on SQLite: creation, loading positions (creating the
// missing rows) and the fenced advance that stops a stale writer.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "fanout/sql/checkpoint_table.hpp"
#include "fanout/sql/connection.hpp"
#include "fanout/sql/sqlite_connection.hpp"
#include "process.hpp"

namespace sql = fanout::sql;
using fanout::k_no_checkpoint;
using fanout::TopicPartition;

namespace {

constexpr const char* k_table = "projection_checkpoints";

class SqlProjectionCheckpoints : public ::testing::Test {
protected:
    void SetUp() override {
        sql::open_session(session_, "sqlite:" + (dir_ / "projection.db").string());
        session_ << sql::checkpoint_table_ddl(k_table);
    }

    std::vector<std::int64_t> load(const std::string& group, const std::vector<TopicPartition>& partitions) {
        return sql::load_checkpoints(session_, k_table, group, partitions);
    }

    long long stored(const std::string& group, const std::string& topic, int partition) {
        long long next = -2;
        session_ << "SELECT next_offset FROM projection_checkpoints"
                    " WHERE consumer_group = :g AND topic = :t AND partition_id = :p",
            soci::into(next), soci::use(group), soci::use(topic), soci::use(partition);
        return next;
    }

    /// One transaction that only advances: committed when every row held
    /// its expected offset, rolled back (and the connection still usable)
    /// when one was fenced.
    bool advance_in_transaction(const std::string& group, std::vector<sql::CheckpointAdvance> advances) {
        if (!db_) {
            db_ = std::make_unique<sql::SqliteConnection>(session_);
            checkpoints_ = std::make_unique<sql::SqliteCheckpoints>(*db_, k_table);
        }
        db_->begin();
        if (checkpoints_->advance(group, advances)) {
            db_->commit();
            return true;
        }
        EXPECT_TRUE(db_->rollback());
        EXPECT_TRUE(db_->usable());
        return false;
    }

    int rows() {
        int n = -1;
        session_ << "SELECT count(*) FROM projection_checkpoints", soci::into(n);
        return n;
    }

    fanout::test::TempDir dir_;
    soci::session session_;
    std::unique_ptr<sql::SqliteConnection> db_;
    std::unique_ptr<sql::SqliteCheckpoints> checkpoints_;
};

}  // namespace

TEST_F(SqlProjectionCheckpoints, LoadingCreatesMissingRowsWithoutACheckpoint) {
    EXPECT_EQ(load("g", {{"posts", 0}, {"posts", 1}}), (std::vector<std::int64_t>{k_no_checkpoint, k_no_checkpoint}));
    EXPECT_EQ(rows(), 2);
    EXPECT_EQ(stored("g", "posts", 1), k_no_checkpoint);
    // Loading again finds the same rows.
    EXPECT_EQ(load("g", {{"posts", 1}}), std::vector<std::int64_t>{k_no_checkpoint});
    EXPECT_EQ(rows(), 2);
}

TEST_F(SqlProjectionCheckpoints, AnAdvanceMovesEachPartitionFromExpectedToNext) {
    load("g", {{"posts", 0}, {"posts", 1}});
    EXPECT_TRUE(advance_in_transaction("g", {{"posts", 0, k_no_checkpoint, 10}, {"posts", 1, k_no_checkpoint, 3}}));
    EXPECT_EQ(load("g", {{"posts", 0}, {"posts", 1}}), (std::vector<std::int64_t>{10, 3}));
}

TEST_F(SqlProjectionCheckpoints, AStaleExpectedOffsetIsFencedAndChangesNothing) {
    load("g", {{"posts", 0}, {"posts", 1}});
    ASSERT_TRUE(advance_in_transaction("g", {{"posts", 0, k_no_checkpoint, 10}, {"posts", 1, k_no_checkpoint, 5}}));

    // A writer that still expects partition 1 at the start: partition 0 moves
    // in the transaction, partition 1 is fenced, and the rollback undoes both.
    EXPECT_FALSE(advance_in_transaction("g", {{"posts", 0, 10, 20}, {"posts", 1, k_no_checkpoint, 7}}));
    EXPECT_EQ(stored("g", "posts", 0), 10);
    EXPECT_EQ(stored("g", "posts", 1), 5);
}

TEST_F(SqlProjectionCheckpoints, GroupsKeepTheirOwnPositions) {
    load("a", {{"posts", 0}});
    load("b", {{"posts", 0}});
    ASSERT_TRUE(advance_in_transaction("a", {{"posts", 0, k_no_checkpoint, 42}}));
    EXPECT_EQ(load("a", {{"posts", 0}}), std::vector<std::int64_t>{42});
    EXPECT_EQ(load("b", {{"posts", 0}}), std::vector<std::int64_t>{k_no_checkpoint});
}

TEST_F(SqlProjectionCheckpoints, TheTableHasTheColumnsExistingDatabasesHave) {
    std::vector<std::string> columns(8);
    soci::rowset<std::string> names =
        (session_.prepare << "SELECT name FROM pragma_table_info('projection_checkpoints')"
                             " ORDER BY cid");
    columns.assign(names.begin(), names.end());
    EXPECT_EQ(columns, (std::vector<std::string>{"consumer_group", "topic", "partition_id", "next_offset"}));
    // Creating it again over an existing table is harmless.
    session_ << sql::checkpoint_table_ddl(k_table);
}
