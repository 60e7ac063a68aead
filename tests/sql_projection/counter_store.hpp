#pragma once
// The smallest projection store, for the library's tests: a counter per id
// on SQLite, with its checkpoint table `counter_checkpoints`.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <soci/soci.h>

#include "fanout/sql/batch_store.hpp"
#include "fanout/sql/connection.hpp"
#include "fanout/sql/migrations.hpp"

namespace fanout::sql::test {

using Counts = std::vector<std::optional<std::int64_t>>;
using Additions = std::vector<std::pair<std::string_view, std::int64_t>>;
using CounterStore = ProjectionStore<Counts, Additions>;

class SqliteCounterStore final : public SqliteBatchStore<CounterStore> {
public:
    explicit SqliteCounterStore(std::unique_ptr<soci::session> session)
        : SqliteBatchStore<CounterStore>(std::move(session), "counter_checkpoints"),
          load_(db_.prepare("SELECT n FROM counters WHERE id = ?1")),
          add_(db_.prepare("INSERT INTO counters (id, n) VALUES (?1, ?2)"
                           " ON CONFLICT (id) DO UPDATE SET n = n + excluded.n")) {}

    void load(std::span<const std::string_view> ids, Counts& out) override {
        out.assign(ids.size(), std::nullopt);
        auto* s = load_.get();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            db_.bind(s, 1, ids[i]);
            if (sqlite_api::sqlite3_step(s) == SQLITE_ROW) out[i] = sqlite_api::sqlite3_column_int64(s, 0);
            sqlite_api::sqlite3_reset(s);
        }
    }
    void write(const Additions& changes) override {
        for (const auto& [id, n] : changes) db_.run(add_.get(), id, n);
    }

private:
    SqliteConnection::Statement load_, add_;
};

inline const Schema& counter_schema() {
    static const Schema k_schema{
        "counter",
        {{"counters and checkpoints",
          {"CREATE TABLE counters (id TEXT PRIMARY KEY, n BIGINT NOT NULL)", checkpoint_table_ddl("counter_checkpoints")}}},
    };
    return k_schema;
}

/// Connect to `settings.connection` (a SQLite file) and create the tables.
inline std::unique_ptr<CounterStore> open_counter_store(const ConnectionSettings& settings) {
    auto session = connect(settings);
    migrate(*session, counter_schema());
    return std::make_unique<SqliteCounterStore>(std::move(session));
}

inline std::unique_ptr<CounterStore> open_counter_store(const std::string& file) {
    ConnectionSettings settings;
    settings.connection = "sqlite:" + file;
    return open_counter_store(settings);
}

inline std::optional<std::int64_t> count(CounterStore& store, std::string_view id) {
    Counts out;
    const std::string_view ids[] = {id};
    store.load(ids, out);
    return out.at(0);
}

}  // namespace fanout::sql::test
