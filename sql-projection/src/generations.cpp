#include "fanout/sql/generations.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "fanout/common/connection_string.hpp"
#include "fanout/common/text.hpp"
#include "fanout/timestamp.hpp"

namespace fanout::sql {
namespace {

constexpr const char* k_pointer_table = "fanout_generations";

std::string utc_now_plus(std::chrono::seconds ahead) {
    return common::format_utc_ms(common::now_utc_ms() + ahead.count() * 1000);
}

std::string sql_identifier(const std::string& identifier) {
    std::string out = "\"";
    for (const char c : identifier) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

void check_component(const std::string& component) {
    if (!is_component_name(component)) {
        throw std::invalid_argument("a projection's component name must be letters, digits and '_' for its "
                                    "generations: '" +
                                    component + "'");
    }
}

/// The tables of generation `g`'s location that a drop of generation 0 removes.
std::vector<std::string> tables_in(soci::session& session, bool postgresql, const std::string& schema) {
    std::vector<std::string> names;
    std::string name;
    soci::statement st = postgresql
                             ? (session.prepare << "SELECT table_name FROM information_schema.tables "
                                                   "WHERE table_schema = :s AND table_type = 'BASE TABLE'",
                                soci::use(schema), soci::into(name))
                             : (session.prepare << "SELECT name FROM sqlite_master WHERE type = 'table' "
                                                   "AND name NOT LIKE 'sqlite_%'",
                                soci::into(name));
    st.execute();
    while (st.fetch()) names.push_back(name);
    return names;
}

}  // namespace

bool is_component_name(std::string_view component) {
    return !component.empty() && std::all_of(component.begin(), component.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

std::string generation_schema(const std::string& base_schema, const std::string& component, int g) {
    return base_schema + "_" + component + "_g" + std::to_string(g);
}

std::string generation_sqlite_file(const std::string& connection, int g) {
    const common::ConnectionString parsed = common::parse_connection_string(connection);
    return parsed.path + ".g" + std::to_string(g);
}

void enter_generation_schema(soci::session& session, const std::string& component, int g) {
    check_component(component);
    std::string base_schema;
    session << "SELECT current_schema()", soci::into(base_schema);
    const std::string schema = sql_identifier(generation_schema(base_schema, component, g));
    session << "CREATE SCHEMA IF NOT EXISTS " + schema;
    session << "SET search_path TO " + schema;
}

std::unique_ptr<soci::session> connect_generation(const ConnectionSettings& database, const std::string& component,
                                                  int g) {
    if (g == 0) return connect(database);
    check_component(component);
    if (is_postgresql(database.connection)) {
        std::unique_ptr<soci::session> session = connect(database);
        enter_generation_schema(*session, component, g);
        return session;
    }
    ConnectionSettings file = database;
    file.connection = "sqlite:" + generation_sqlite_file(database.connection, g);
    return connect(file);
}

Generations::Generations(soci::session& base, std::string component)
    : base_(base), component_(std::move(component)), postgresql_(backend_of(base) == Backend::postgresql) {
    check_component(component_);
    if (postgresql_) base_ << "SELECT current_schema()", soci::into(base_schema_);
    // Named with its schema: the session may enter a generation's schema.
    pointer_table_ = postgresql_ ? sql_identifier(base_schema_) + "." + k_pointer_table : k_pointer_table;
}

void Generations::ensure_table() {
    base_ << "CREATE TABLE IF NOT EXISTS " + pointer_table_ +
                 " (component TEXT PRIMARY KEY, live INTEGER NOT NULL, building INTEGER, retired INTEGER,"
                 " retire_after TEXT, switched_at TEXT)";
}

GenerationPointer Generations::read() {
    GenerationPointer p;
    int live = 0, building = 0, retired = 0;
    std::string retire_after, switched_at;
    soci::indicator building_ind = soci::i_null, retired_ind = soci::i_null, after_ind = soci::i_null,
                    switched_ind = soci::i_null;
    base_ << "SELECT live, building, retired, retire_after, switched_at FROM " + pointer_table_ +
                 " WHERE component = :c",
        soci::into(live), soci::into(building, building_ind), soci::into(retired, retired_ind),
        soci::into(retire_after, after_ind), soci::into(switched_at, switched_ind), soci::use(component_);
    if (!base_.got_data()) return p;
    p.live = live;
    if (building_ind == soci::i_ok) p.building = building;
    if (retired_ind == soci::i_ok) p.retired = retired;
    if (after_ind == soci::i_ok) p.retire_after = retire_after;
    if (switched_ind == soci::i_ok) p.switched_at = switched_at;
    return p;
}

int Generations::live_for_write() {
    int live = 0;
    base_ << "SELECT live FROM " + pointer_table_ + " WHERE component = :c" + (postgresql_ ? " FOR SHARE" : ""),
        soci::into(live), soci::use(component_);
    return base_.got_data() ? live : 0;
}

int Generations::begin_building(const ConnectionSettings& database) {
    soci::transaction tx(base_);
    const GenerationPointer p = read();
    if (p.building) {
        tx.commit();
        return *p.building;
    }
    const int next = std::max(p.live, p.retired.value_or(0)) + 1;
    drop_generation(database, next, p.live, {});  // leftovers of that number (never recorded, or made by hand)
    base_ << "INSERT INTO " + pointer_table_ +
                 " (component, live, building) VALUES (:c, :l, :b)"
                 " ON CONFLICT (component) DO UPDATE SET building = excluded.building",
        soci::use(component_), soci::use(p.live), soci::use(next);
    tx.commit();
    return next;
}

std::vector<StoredCheckpoint> Generations::checkpoints_of(const ConnectionSettings& database, int g,
                                                          const std::string& checkpoint_table,
                                                          const std::string& group, bool lock) {
    std::vector<StoredCheckpoint> out;
    const auto fetch = [&](soci::session& session, const std::string& table) {
        std::string topic;
        int partition = 0;
        long long next = 0;
        soci::statement st = (session.prepare << "SELECT topic, partition_id, next_offset FROM " + table +
                                                     " WHERE consumer_group = :g" + (lock ? " FOR UPDATE" : ""),
                              soci::into(topic), soci::into(partition), soci::into(next), soci::use(group));
        st.execute();
        while (st.fetch()) out.push_back({topic, partition, next});
    };
    if (postgresql_) {
        const std::string schema = g == 0 ? base_schema_ : generation_schema(base_schema_, component_, g);
        fetch(base_, sql_identifier(schema) + "." + sql_identifier(checkpoint_table));
    } else if (g == 0) {
        fetch(base_, sql_identifier(checkpoint_table));
    } else {
        std::unique_ptr<soci::session> session = connect_generation(database, component_, g);
        fetch(*session, sql_identifier(checkpoint_table));
    }
    return out;
}

bool Generations::switch_if_caught_up(const ConnectionSettings& database, int building,
                                      const std::string& checkpoint_table, const std::string& group,
                                      const std::vector<StoredCheckpoint>& built, std::chrono::seconds retire_after) {
    soci::transaction tx(base_);
    if (!postgresql_) {
        // BEGIN IMMEDIATE's effect: the write lock on the base file now.
        base_ << "UPDATE " + pointer_table_ + " SET live = live WHERE component = :c",
            soci::use(component_);
    }
    const GenerationPointer p = read();
    if (!p.building || *p.building != building) return false;  // switched (or cancelled) elsewhere
    const std::vector<StoredCheckpoint> live = checkpoints_of(database, p.live, checkpoint_table, group, postgresql_);
    for (const StoredCheckpoint& l : live) {
        if (l.next_offset <= 0) continue;  // nothing consumed there yet
        const auto mine = std::find_if(built.begin(), built.end(), [&](const StoredCheckpoint& b) {
            return b.partition == l.partition && b.topic == l.topic;
        });
        if (mine == built.end() || mine->next_offset < l.next_offset) return false;
    }
    const std::string after = utc_now_plus(retire_after);
    const std::string now = utc_now_plus(std::chrono::seconds(0));
    base_ << "UPDATE " + pointer_table_ +
                 " SET live = :n, building = NULL, retired = :m, retire_after = :a, switched_at = :s"
                 " WHERE component = :c",
        soci::use(building), soci::use(p.live), soci::use(after), soci::use(now), soci::use(component_);
    tx.commit();
    return true;
}

std::optional<int> Generations::drop_retired(const ConnectionSettings& database, const std::vector<std::string>& keep_tables) {
    const GenerationPointer p = read();
    if (!p.retired || p.retire_after.empty()) return std::nullopt;
    const std::int64_t due = parse_rfc3339_ms(p.retire_after);
    if (due >= 0 && common::now_utc_ms() < due) return std::nullopt;
    drop_generation(database, *p.retired, p.live, keep_tables);
    base_ << "UPDATE " + pointer_table_ +
                 " SET retired = NULL, retire_after = NULL WHERE component = :c AND retired = :r",
        soci::use(component_), soci::use(*p.retired);
    return p.retired;
}

void Generations::drop_generation(const ConnectionSettings& database, int g, int live, const std::vector<std::string>& keep_tables) {
    if (g > 0) {
        if (postgresql_) {
            base_ << "DROP SCHEMA IF EXISTS " + sql_identifier(generation_schema(base_schema_, component_, g)) + " CASCADE";
        } else {
            const std::string file = generation_sqlite_file(database.connection, g);
            std::error_code ignored;
            for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file + suffix, ignored);
        }
        return;
    }
    // Generation 0 shares the base location with the pointer table (and,
    // on PostgreSQL, maybe with other components): only the tables the live
    // generation also has are the component's.
    std::vector<std::string> names;
    if (postgresql_) {
        names = tables_in(base_, true, generation_schema(base_schema_, component_, live));
    } else {
        std::unique_ptr<soci::session> live_session = connect_generation(database, component_, live);
        names = tables_in(*live_session, false, {});
    }
    // Foreign keys between them: PostgreSQL drops the constraints with
    // CASCADE, SQLite is told not to check them while they go.
    int foreign_keys = 0;
    if (!postgresql_) {
        base_ << "PRAGMA foreign_keys", soci::into(foreign_keys);
        base_ << "PRAGMA foreign_keys = OFF";
    }
    for (const std::string& name : names) {
        if (name == k_pointer_table || name == "fanout_schema_history" ||
            std::find(keep_tables.begin(), keep_tables.end(), name) != keep_tables.end()) {
            continue;
        }
        if (postgresql_) {
            base_ << "DROP TABLE IF EXISTS " + sql_identifier(base_schema_) + "." + sql_identifier(name) + " CASCADE";
        } else {
            base_ << "DROP TABLE IF EXISTS " + sql_identifier(name);
        }
    }
    if (!postgresql_) base_ << "PRAGMA foreign_keys = " + std::to_string(foreign_keys);
}

}  // namespace fanout::sql
