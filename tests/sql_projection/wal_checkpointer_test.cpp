// WalCheckpointer: commits on one connection are copied back into the
// database file by the checkpointer's own thread and connection.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "fanout/sql/wal_checkpointer.hpp"
#include "process.hpp"

using namespace sqlite_api;
using fanout::sql::WalCheckpointer;
namespace fs = std::filesystem;

namespace {

struct Database {
    explicit Database(const fs::path& file) {
        EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA wal_autocheckpoint=0");  // only the checkpointer copies frames back
        exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    }
    ~Database() { sqlite3_close(db); }
    void exec(const std::string& sql) {
        char* error = nullptr;
        ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
    }
    /// One commit of `rows` rows of 1 KB each.
    void commit(int rows) {
        exec("BEGIN");
        for (int i = 0; i < rows; ++i) exec("INSERT INTO t (body) VALUES (printf('%.1000c', 'x'))");
        exec("COMMIT");
    }
    sqlite3* db = nullptr;
};

bool eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

}  // namespace

TEST(SqlProjectionWalCheckpointer, ARequestCopiesTheCommitsIntoTheDatabaseFile) {
    fanout::test::TempDir dir;
    const fs::path file = dir / "model.db";
    Database writer(file);
    const auto size_before = fs::file_size(file);
    WalCheckpointer checkpointer(file.string());
    for (int c = 0; c < 5; ++c) writer.commit(200);
    checkpointer.request();
    // 1,000 rows of 1 KB reached the database file: only a checkpoint writes it.
    EXPECT_TRUE(eventually([&] { return fs::file_size(file) >= size_before + 900'000; }))
        << fs::file_size(file) << " bytes";
    EXPECT_TRUE(eventually([&] { return checkpointer.checkpoints() >= 1; }));
    EXPECT_EQ(checkpointer.last_error(), "");
    // The writer's own checkpoint then finds nothing left to copy.
    int frames = -1, copied = -1;
    ASSERT_EQ(sqlite3_wal_checkpoint_v2(writer.db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied), SQLITE_OK);
    EXPECT_EQ(copied, frames);
}

TEST(SqlProjectionWalCheckpointer, WithoutARequestNothingIsCopied) {
    fanout::test::TempDir dir;
    const fs::path file = dir / "model.db";
    Database writer(file);
    writer.commit(200);
    const auto size_before = fs::file_size(file);
    {
        WalCheckpointer checkpointer(file.string());
        writer.commit(200);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        EXPECT_EQ(checkpointer.checkpoints(), 0u);
    }
    EXPECT_EQ(fs::file_size(file), size_before);
}

TEST(SqlProjectionWalCheckpointer, AMissingDatabaseIsAClearError) {
    fanout::test::TempDir dir;
    try {
        WalCheckpointer checkpointer((dir / "missing" / "model.db").string());
        FAIL() << "no error";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("missing/model.db"), std::string::npos) << e.what();
    }
}
