#pragma once
// SQL with named parameters, as a projection written in configuration or Lua
// states it, made positional for the backend:
//
//   INSERT INTO likes (post_id, n) VALUES (:aggregate_id, 1)
//     ON CONFLICT (post_id) DO UPDATE SET n = likes.n + 1, last_by = :data.likedBy
//   -> SQLite     ... VALUES (?1, 1) ... last_by = ?2          names {aggregate_id, data.likedBy}
//   -> PostgreSQL ... VALUES ($1, 1) ... last_by = $2
//
// A name is `:` then identifier segments joined by dots (`:data.author`,
// `:data.post.title`); each distinct name takes one position, in order of
// first use. Parameters are looked for outside string literals ('it''s'),
// quoted identifiers ("x"), comments (-- and /* */) and PostgreSQL
// dollar-quoted strings ($$...$$, $tag$...$tag$); `::type` is a cast, not a
// parameter. Positional parameters written by hand (?, ?1, $1) are refused:
// one statement uses one style.
//
// The sources a name may bind (docs/projections.md): the envelope fields
// aggregate_id, version, event_id, type, occurred_at, global_sequence; the
// Kafka coordinates topic, partition, offset, key, timestamp_ms; and
// data.<path>, any path in the event's data (absent: NULL).
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fanout/sql/connection.hpp"

namespace fanout::sql {

/// Where a named parameter's value comes from.
enum class ParameterSource {
    aggregate_id,
    version,
    event_id,
    type,
    occurred_at,
    global_sequence,
    topic,
    partition,
    offset,
    key,
    timestamp_ms,
    data,   ///< a path in the event's data: Parameter::path
    named,  ///< ParameterNames::free: bound by its name from the caller's values
};

/// Which names a statement may use.
enum class ParameterNames {
    event,  ///< the event's sources above (a projection written in configuration)
    free,   ///< any identifier, bound by name by the caller (fanout.sql in Lua); no dots
};

struct Parameter {
    std::string name;                ///< as written, without the colon: "data.author"
    ParameterSource source = ParameterSource::data;
    std::vector<std::string> path;  ///< for data: the segments after "data" ({"author"})
};

struct NamedStatement {
    std::string sql;                     ///< with positional parameters for the backend
    std::vector<Parameter> parameters;  ///< parameters[k] is position k + 1
    /// The statement's words outside literals and comments, lower-cased, in
    /// order (quoted identifiers included, as written): what a sandbox reads.
    std::vector<std::string> words;
    /// True when text other than whitespace, comments or one trailing ';'
    /// follows a ';' (more than one statement).
    bool several = false;
};

/// A statement that cannot be made positional; `offset` is the byte of the
/// statement where the problem is (for "line L, column C" in messages).
class NamedStatementError : public std::invalid_argument {
public:
    NamedStatementError(const std::string& what, std::size_t offset) : std::invalid_argument(what), offset_(offset) {}
    std::size_t offset() const noexcept { return offset_; }

private:
    std::size_t offset_;
};

/// A name SQL takes unquoted, so it can be written into statements: a letter
/// or `_`, then letters, digits or `_`, at most 63 characters.
bool plain_identifier(std::string_view name) noexcept;

/// Make `sql` positional for `backend`. Throws NamedStatementError for an
/// unterminated literal, quoted identifier, comment or dollar quote, a
/// parameter name that is not a known source (the message lists them), or a
/// positional parameter written by hand.
NamedStatement compile_named(std::string_view sql, Backend backend, ParameterNames names = ParameterNames::event);

/// The known sources, for messages: "aggregate_id, version, ..., data.<path>".
std::string parameter_sources();

}  // namespace fanout::sql
