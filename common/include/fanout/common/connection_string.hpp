#pragma once
// Database connection strings: one parser for fanoutd's plugins and both
// services, so every component accepts the same forms and says the same thing
// about a bad one.
//
// Accepted forms:
//   SQLite      sqlite:/path/file.db   sqlite3:/path   sqlite:///abs/path   sqlite3://path
//               or a bare path without '=' and without a scheme (/data/read-model.db, rm.db)
//   PostgreSQL  postgresql://user:pass@host:port/db?sslmode=require   (postgres:// too; percent-
//               encoded parts, [v6] hosts, host lists h1:5432,h2:5433, any libpq keyword as a
//               query parameter)
//               or libpq keyword/value: "host=h port=5432 dbname=db user=u password='p w'"
//
// Pure: no I/O, no global state; every function works on the text alone.
// Messages (exceptions, display(), redact_connection_string) never contain a
// password.
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fanout::common {

enum class DatabaseKind { sqlite, postgresql };

/// A connection string that cannot be used; what() says why, with the
/// string's password masked.
class ConnectionStringError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

struct ConnectionString {
    DatabaseKind kind = DatabaseKind::sqlite;
    /// SQLite: the database file, as written (relative paths stay relative).
    std::string path;
    /// PostgreSQL: libpq keywords with their decoded values, in the order
    /// given; each keyword at most once (a repeated one keeps the last value,
    /// as in libpq).
    std::vector<std::pair<std::string, std::string>> parameters;

    bool is_postgresql() const { return kind == DatabaseKind::postgresql; }
    bool is_sqlite() const { return kind == DatabaseKind::sqlite; }

    /// The value of a PostgreSQL keyword, or null when absent.
    const std::string* parameter(std::string_view keyword) const;
    /// PostgreSQL: add `keyword=value` unless the keyword is present.
    void set_default(std::string_view keyword, std::string value);

    /// What soci::session::open needs with the matching backend factory
    /// (soci::sqlite3 or soci::postgresql). SQLite: `db="path"`; append SOCI
    /// options such as " timeout=5" after it. PostgreSQL: a percent-encoded
    /// `postgresql://?keyword=value&...` URL, the one form that reaches libpq
    /// intact through SOCI 4.0's option scanner (which splits on spaces and
    /// drops quoting).
    std::string soci_connect_string() const;

    /// For logs and messages: `sqlite:PATH`, or libpq keyword/value form with
    /// the password (and sslpassword) shown as `***`.
    std::string display() const;
};

/// Parse `text` in any accepted form. Throws ConnectionStringError naming
/// what is wrong (unknown scheme or keyword, bad port, bad percent-encoding,
/// unterminated quote, empty path, ...).
ConnectionString parse_connection_string(std::string_view text);

/// `text` with passwords replaced by `***`, for messages about strings that
/// may not parse. Masks the URL user-info password, `password=` and
/// `sslpassword=` values (keyword form and query parameters); never throws.
std::string redact_connection_string(std::string_view text);

}  // namespace fanout::common
