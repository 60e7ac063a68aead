#pragma once
// Database failures as a projection sees them, and how to tell the ones that
// pass by themselves (server down, restarting, busy) from the ones a person
// must fix (wrong path, password or database name).
#include <stdexcept>
#include <string>
#include <string_view>

namespace fanout::sql {

/// A database call failed (server down, connection lost, lock timeout...).
class DatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A version-guarded write found rows another writer changed since they were
/// loaded (a stale consumer of the same partition): roll back and retry.
class ConcurrentChange : public DatabaseError {
public:
    using DatabaseError::DatabaseError;
};

/// True for a failure that goes away by itself (connection refused, timeout,
/// server starting or shutting down, too many clients, database locked...),
/// judged from the driver's message; false for a wrong path, password or
/// database name.
bool is_transient(std::string_view message);

/// `text` on one line: database messages span lines (libpq adds hints), log
/// lines must not. Runs of whitespace become one space.
std::string one_line(std::string_view text);

}  // namespace fanout::sql
