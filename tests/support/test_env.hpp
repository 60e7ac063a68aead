#pragma once
// What the tests take from their environment: the broker and the PostgreSQL
// server that tools/test.sh starts, and names no other test uses.
#include <string>

namespace fanout::test {

/// Where a test's database lives: a SQLite file, or the shared PostgreSQL server.
enum class DbBackend { sqlite, postgresql };
/// "sqlite" / "postgresql", for test names.
std::string to_string(DbBackend backend);

/// Bootstrap servers from FANOUT_TEST_BROKERS. Fails the current test
/// (never skips) when unset: start one with `tools/kafka-dev.sh start`.
std::string brokers();

/// libpq conninfo of the shared server from FANOUT_TEST_PG. Fails the current
/// test (never skips) when unset: start one with `tools/postgres-dev.sh start`.
std::string postgres_server();

/// A name unique to this process and call: `prefix`, the pid, a clock
/// reading and a counter, joined by `separator` ('_' for SQL identifiers).
std::string unique_name(const std::string& prefix, char separator = '-');

}  // namespace fanout::test
