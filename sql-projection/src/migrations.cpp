#include "fanout/sql/migrations.hpp"

#include <ctime>
#include <map>
#include <utility>

namespace fanout::sql {
namespace {

/// Every Fanout migration on a PostgreSQL database serialises on this key
/// ("fanoschm"), so concurrent CREATE TABLE IF NOT EXISTS never race.
constexpr std::int64_t k_advisory_lock = 0x66616e6f7363686d;

constexpr const char* k_history_ddl =
    "CREATE TABLE IF NOT EXISTS fanout_schema_history ("
    " component TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " description TEXT NOT NULL,"
    " checksum TEXT NOT NULL,"
    " applied_at TEXT NOT NULL,"
    " PRIMARY KEY (component, version))";

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

struct Recorded {
    std::string checksum;
    std::string applied_at;
};

std::map<int, Recorded> history(soci::session& session, const std::string& component) {
    std::map<int, Recorded> out;
    const soci::rowset<soci::row> rows =
        (session.prepare << "SELECT version, checksum, applied_at FROM fanout_schema_history WHERE component = :c",
         soci::use(component));
    for (const soci::row& row : rows) {
        // INTEGER reads as int on SQLite and PostgreSQL alike.
        out[row.get<int>(0)] = {row.get<std::string>(1), row.get<std::string>(2)};
    }
    return out;
}

void record(soci::session& session, const std::string& component, int version, const std::string& description,
            const std::string& checksum, const std::string& applied_at) {
    session << "INSERT INTO fanout_schema_history (component, version, description, checksum, applied_at)"
               " VALUES (:c, :v, :d, :k, :t)",
        soci::use(component), soci::use(version), soci::use(description), soci::use(checksum), soci::use(applied_at);
}

MigrationResult migrate_in_transaction(soci::session& session, const Schema& schema, Backend backend) {
    session << k_history_ddl;
    const int from = recorded_version(session, schema);
    const int to = schema.version();
    if (from > to) {
        throw SchemaError(schema.component + " schema version " + std::to_string(from) +
                          " is newer than this build understands (" + std::to_string(to) + ")");
    }
    const std::map<int, Recorded> recorded = history(session, schema.component);
    const std::string now = utc_now();
    for (int v = 1; v <= from; ++v) {
        const Migration& m = schema.migrations[static_cast<std::size_t>(v - 1)];
        const std::string checksum = migration_checksum(m.for_backend(backend));
        const auto it = recorded.find(v);
        if (it == recorded.end()) {
            record(session, schema.component, v, m.description, checksum, now);  // applied before the history
        } else if (it->second.checksum != checksum) {
            throw SchemaError(schema.component + " migration " + std::to_string(v) + " (" + m.description +
                              ") changed after it was applied at " + it->second.applied_at + ": checksum " +
                              it->second.checksum + " recorded, " + checksum +
                              " declared; append a new migration instead of editing an applied one");
        }
    }
    for (int v = from + 1; v <= to; ++v) {
        const Migration& m = schema.migrations[static_cast<std::size_t>(v - 1)];
        const auto& statements = m.for_backend(backend);
        for (const std::string& statement : statements) {
            try {
                session << statement;
            } catch (const std::exception& e) {
                throw std::runtime_error(schema.component + " migration " + std::to_string(v) + " (" +
                                         m.description + ") failed: " + e.what());
            }
        }
        record(session, schema.component, v, m.description, migration_checksum(statements), now);
    }
    if (from == 0 && to > 0) {
        session << "INSERT INTO " + schema.version_table + " (component, version) VALUES (:c, :v)",
            soci::use(schema.component), soci::use(to);
    } else if (from < to) {
        session << "UPDATE " + schema.version_table + " SET version = :v WHERE component = :c", soci::use(to),
            soci::use(schema.component);
    }
    return {from, to};
}

}  // namespace

std::string migration_checksum(const std::vector<std::string>& statements) {
    std::uint64_t hash = 14695981039346656037ull;
    const auto add = [&](unsigned char c) {
        hash ^= c;
        hash *= 1099511628211ull;
    };
    for (const std::string& statement : statements) {
        for (const char c : statement) add(static_cast<unsigned char>(c));
        add(0);  // {"ab"} and {"a", "b"} differ
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, hash >>= 4) out[static_cast<std::size_t>(i)] = k_hex[hash & 0xf];
    return out;
}

int recorded_version(soci::session& session, const Schema& schema) {
    session << "CREATE TABLE IF NOT EXISTS " + schema.version_table +
                   " (component TEXT PRIMARY KEY, version INTEGER NOT NULL)";
    int version = 0;
    soci::indicator ind = soci::i_null;
    session << "SELECT version FROM " + schema.version_table + " WHERE component = :c", soci::into(version, ind),
        soci::use(schema.component);
    return session.got_data() && ind == soci::i_ok ? version : 0;
}

MigrationResult migrate(soci::session& session, const Schema& schema) {
    const Backend backend = backend_of(session);
    if (backend == Backend::postgresql) {
        session << "BEGIN";
        session << "SELECT pg_advisory_xact_lock(" + std::to_string(k_advisory_lock) + ")";  // released at the end
    } else {
        session << "BEGIN IMMEDIATE";  // the write lock first: two starts never both read version 0
    }
    try {
        const MigrationResult result = migrate_in_transaction(session, schema, backend);
        session << "COMMIT";
        return result;
    } catch (...) {
        try {
            session << "ROLLBACK";
        } catch (...) {
            // the connection is gone; the server rolled back
        }
        throw;
    }
}

}  // namespace fanout::sql
