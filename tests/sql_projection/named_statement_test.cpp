// Named parameters made positional (fanout/sql/named_statement.hpp): what is
// a parameter and what is not, one position per distinct name, and a clear
// refusal, at the right byte, of what cannot be bound.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fanout/sql/named_statement.hpp"

namespace sql = fanout::sql;
using sql::Backend;

namespace {

std::vector<std::string> names(const sql::NamedStatement& s) {
    std::vector<std::string> out;
    for (const auto& p : s.parameters) out.push_back(p.name);
    return out;
}

std::size_t error_offset(std::string_view text, Backend backend = Backend::sqlite) {
    try {
        sql::compile_named(text, backend);
    } catch (const sql::NamedStatementError& e) {
        return e.offset();
    }
    ADD_FAILURE() << "accepted: " << text;
    return std::string::npos;
}

}  // namespace

TEST(SqlNamedStatement, EachDistinctNameTakesOnePositionInOrderOfFirstUse) {
    const auto s = sql::compile_named(
        "INSERT INTO likes (post_id, n, by) VALUES (:aggregate_id, 1, :data.likedBy)"
        " ON CONFLICT (post_id) DO UPDATE SET n = likes.n + 1, by = :data.likedBy WHERE likes.post_id = :aggregate_id",
        Backend::sqlite);
    EXPECT_EQ(s.sql,
              "INSERT INTO likes (post_id, n, by) VALUES (?1, 1, ?2)"
              " ON CONFLICT (post_id) DO UPDATE SET n = likes.n + 1, by = ?2 WHERE likes.post_id = ?1");
    EXPECT_EQ(names(s), (std::vector<std::string>{"aggregate_id", "data.likedBy"}));
    EXPECT_EQ(s.parameters[0].source, sql::ParameterSource::aggregate_id);
    EXPECT_EQ(s.parameters[1].source, sql::ParameterSource::data);
    EXPECT_EQ(s.parameters[1].path, std::vector<std::string>{"likedBy"});
    EXPECT_EQ(sql::compile_named("SELECT :version, :data.a.b_2", Backend::postgresql).sql, "SELECT $1, $2");
    EXPECT_EQ(sql::compile_named("SELECT :data.a.b_2", Backend::postgresql).parameters[0].path,
              (std::vector<std::string>{"a", "b_2"}));
}

TEST(SqlNamedStatement, EveryEnvelopeFieldAndKafkaCoordinateIsASource) {
    const auto s = sql::compile_named(
        "SELECT :aggregate_id, :version, :event_id, :type, :occurred_at, :global_sequence, :topic, :partition,"
        " :offset, :key, :timestamp_ms",
        Backend::sqlite);
    EXPECT_EQ(s.parameters.size(), 11u);
    EXPECT_EQ(s.parameters[10].source, sql::ParameterSource::timestamp_ms);
}

TEST(SqlNamedStatement, LiteralsIdentifiersCommentsCastsAndDollarQuotesAreNotParameters) {
    const std::string text =
        "SELECT ':not_a_param', 'it''s :x', \":quoted\"\"id\", x::text, y :: int, a[1:2] -- :comment\n"
        ", /* :block */ $$ :dollar $$, $tag$ :tagged $ $tag$, :data.real";
    const auto s = sql::compile_named(text, Backend::postgresql);
    EXPECT_EQ(names(s), std::vector<std::string>{"data.real"});
    EXPECT_EQ(s.sql.substr(0, s.sql.size() - 2), text.substr(0, text.size() - std::string(":data.real").size()));
    EXPECT_TRUE(s.sql.ends_with("$1"));
}

TEST(SqlNamedStatement, WhatCannotBeBoundIsRefusedAtItsByte) {
    EXPECT_EQ(error_offset("SELECT :nope"), 7u);
    EXPECT_EQ(error_offset("SELECT 'open"), 7u);
    EXPECT_EQ(error_offset("SELECT \"open"), 7u);
    EXPECT_EQ(error_offset("SELECT 1 /* open"), 9u);
    EXPECT_EQ(error_offset("SELECT $x$ open", Backend::postgresql), 7u);
    EXPECT_EQ(error_offset("SELECT ?"), 7u);
    EXPECT_EQ(error_offset("SELECT $1", Backend::postgresql), 7u);
    EXPECT_EQ(error_offset("SELECT @name"), 7u);
    EXPECT_EQ(error_offset("SELECT $name"), 7u);
    EXPECT_EQ(error_offset("SELECT :data"), 7u);
    EXPECT_EQ(error_offset("SELECT :data.x."), 7u);
    try {
        sql::compile_named("SELECT :aggregateId", Backend::sqlite);
        FAIL();
    } catch (const sql::NamedStatementError& e) {
        EXPECT_STREQ(e.what(),
                     "unknown parameter :aggregateId (expected one of aggregate_id, version, event_id, type, "
                     "occurred_at, global_sequence, topic, partition, offset, key, timestamp_ms, data.<path>)");
    }
    // PostgreSQL's @ operator is not a parameter there.
    EXPECT_EQ(sql::compile_named("SELECT @ x", Backend::sqlite).sql, "SELECT @ x");
    EXPECT_EQ(sql::compile_named("SELECT @abs", Backend::postgresql).sql, "SELECT @abs");
}
