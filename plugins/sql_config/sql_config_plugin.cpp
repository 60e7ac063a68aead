// sql_config: an exactly-once SQL projection written in configuration only.
// The definition file (definition.hpp) gives the tables and, per event type,
// the statements an event runs; the engine (fanout/sql/projection_plugin.hpp)
// runs them in the batch's transaction with the checkpoints, so counters and
// other non-idempotent writes are safe across crashes and replays.
//
// A batch runs optimistically: all its events' statements under one
// savepoint (PostgreSQL: pipelined, a round trip per 256 statements). When a
// statement fails for an event (a constraint, a type error), the batch rolls
// back to the savepoint, the events before it run again, that event is
// rejected (dead-lettered with the statement's name and the database's
// message) and the rest goes on the same way. A failure that is not the
// event's (the connection, a lock timeout, a serialization failure) retries
// the whole batch and never dead-letters.
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "definition.hpp"
#include "fanout/fanout.hpp"
#include "fanout/sql/projection_plugin.hpp"
#include "fanout/common/json_object.hpp"

namespace fanout::plugins::sql_config {
namespace {

using sql::Verdict;

/// A parameter's value: NULL, an integer, a number or text.
using Value = std::variant<std::monostate, std::int64_t, double, std::string_view, std::string>;

/// The value of `p` for `event`. `data` caches the event's data parsed as
/// JSON, for paths below the top level and for objects and lists (bound as
/// their JSON text).
Value value_of(const Event& e, const sql::Parameter& p, std::optional<rapidjson::Document>& data) {
    using S = sql::ParameterSource;
    const bool envelope = e.envelope_valid();
    switch (p.source) {
        case S::aggregate_id: return envelope ? Value(e.aggregate_id()) : Value();
        case S::version: return envelope ? Value(e.version()) : Value();
        case S::event_id: return envelope && !e.event_id().empty() ? Value(e.event_id()) : Value();
        case S::type: return e.type().empty() ? Value() : Value(e.type());
        case S::occurred_at: return envelope && !e.occurred_at().empty() ? Value(e.occurred_at()) : Value();
        case S::global_sequence: return envelope ? Value(e.global_sequence()) : Value();
        case S::topic: return Value(e.topic());
        case S::partition: return Value(std::int64_t{e.partition()});
        case S::offset: return Value(e.offset());
        case S::key: return Value(e.key());
        case S::timestamp_ms: return Value(e.record_timestamp_ms());
        case S::named:  // not in a definition: compile() takes event sources only
        case S::data: break;
    }
    if (!envelope) return {};
    const DataView& view = e.data();
    if (p.path.size() == 1) {
        const std::string& field = p.path[0];
        if (!view.has(field)) return {};
        if (auto s = view.string(field)) return Value(*s);
        if (auto i = view.integer(field)) return Value(*i);
        if (auto n = view.number(field)) return Value(*n);
        if (auto b = view.boolean(field)) return Value(std::int64_t{*b ? 1 : 0});
    }
    if (!data) {
        data.emplace();
        data->Parse(view.json().c_str());
    }
    if (data->HasParseError() || !data->IsObject()) return {};
    const rapidjson::Value* at = &*data;
    for (const std::string& segment : p.path) {
        if (!at->IsObject()) return {};
        const auto member = at->FindMember(rapidjson::StringRef(segment.data(), segment.size()));
        if (member == at->MemberEnd()) return {};
        at = &member->value;
    }
    if (at->IsNull()) return {};
    if (at->IsString()) return Value(std::string(at->GetString(), at->GetStringLength()));
    if (at->IsBool()) return Value(std::int64_t{at->GetBool() ? 1 : 0});
    if (at->IsInt64()) return Value(at->GetInt64());
    if (at->IsNumber()) return Value(at->GetDouble());
    fanout::common::JsonBuffer text;
    fanout::common::JsonWriter writer(text);
    at->Accept(writer);
    return Value(std::string(text.GetString(), text.GetSize()));
}

/// A statement failed for one event: which event, and why.
struct EventFailure {
    std::size_t event;
    std::string reason;
};

struct NoChanges {};

/// The projection's store: the statements of a batch's events, per backend.
class Store : public sql::ChangeStore<NoChanges> {
public:
    void write(const NoChanges&) final {}

    /// In the batch's transaction: every event's statements; verdicts[i]
    /// for events[i]. Throws DatabaseError for a failure that is not an
    /// event's: the batch is retried.
    void run(std::span<const Event* const> events, std::vector<Verdict>& verdicts) {
        verdicts.assign(events.size(), Verdict{});
        for (std::size_t i = 0; i < events.size(); ++i) {
            if (!has_statements(events[i]->type())) verdicts[i].kind = Verdict::Kind::ignored;
        }
        for (std::size_t from = 0; from < events.size();) {
            savepoint();
            std::optional<EventFailure> failure = execute(events, verdicts, from, events.size());
            if (!failure) {
                release();
                return;
            }
            // Undo the run, apply what came before the failing event again
            // (it succeeded once), reject that event, go on after it.
            rollback_to_savepoint();
            if (failure->event > from) {
                if (auto again = execute(events, verdicts, from, failure->event)) {
                    throw sql::DatabaseError("statement results changed between two runs of one batch: " +
                                             again->reason);
                }
            }
            const Event& rejected = *events[failure->event];
            verdicts[failure->event] = Verdict{Verdict::Kind::rejected, std::move(failure->reason)};
            // The rest of its partition waits: it comes again once the
            // rejected event is dead-lettered (its checkpoint stops there).
            for (std::size_t i = failure->event + 1; i < events.size(); ++i) {
                if (events[i]->partition() == rejected.partition() && events[i]->topic() == rejected.topic()) {
                    verdicts[i] = Verdict{Verdict::Kind::deferred, "after a rejected event of its partition"};
                }
            }
            release();
            from = failure->event + 1;
        }
    }

protected:
    using ChangeStore::ChangeStore;

    virtual bool has_statements(std::string_view type) const = 0;
    /// Run the statements of events[from, to) whose verdict is still
    /// applied; the first event a statement failed for, with the statement's
    /// name and the database's message.
    virtual std::optional<EventFailure> execute(std::span<const Event* const> events, std::span<const Verdict> verdicts,
                                                std::size_t from, std::size_t to) = 0;
    virtual void savepoint() = 0;
    virtual void rollback_to_savepoint() = 0;
    virtual void release() = 0;

    /// `each(i, event, statement, data)` for every statement of events[from,
    /// to) still to apply, in order; stops at, and returns, the first failure
    /// `each` reports. `plan`: event type -> prepared statements.
    template <class Plan, class Each>
    static std::optional<EventFailure> for_each_statement(const Plan& plan, std::span<const Event* const> events,
                                                          std::span<const Verdict> verdicts, std::size_t from,
                                                          std::size_t to, Each&& each) {
        for (std::size_t i = from; i < to; ++i) {
            if (verdicts[i].kind != Verdict::Kind::applied) continue;
            const auto it = plan.find(events[i]->type());
            if (it == plan.end()) continue;
            std::optional<rapidjson::Document> data;
            for (const auto& statement : it->second) {
                if (auto failure = each(i, *events[i], statement, data)) return failure;
            }
        }
        return std::nullopt;
    }
};

std::string failed(const Statement& s, const std::string& message) {
    return "statement '" + s.name + "' failed: " + sql::one_line(message);
}

class SqliteStore final : public sql::SqliteBatchStore<Store> {
public:
    SqliteStore(std::unique_ptr<soci::session> session, const Definition& d)
        : sql::SqliteBatchStore<Store>(std::move(session), d.checkpoint_table) {
        for (const auto& [type, statements] : d.on) {
            auto& prepared = plan_[type];
            for (const Statement& s : statements) {
                sql::NamedStatement named = compile(d, s, sql::Backend::sqlite);
                try {
                    prepared.push_back({&s, std::move(named.parameters), db_.prepare(named.sql.c_str())});
                } catch (const sql::DatabaseError& e) {
                    throw DefinitionError(where(d, s) + "statement '" + s.name +
                                          "' does not compile against the schema: " + e.what());
                }
            }
        }
    }

private:
    struct Prepared {
        const Statement* definition;
        std::vector<sql::Parameter> parameters;
        sql::SqliteConnection::Statement statement;
    };

    bool has_statements(std::string_view type) const override { return plan_.find(type) != plan_.end(); }

    std::optional<EventFailure> execute(std::span<const Event* const> events, std::span<const Verdict> verdicts,
                                        std::size_t from, std::size_t to) override {
        std::vector<std::string> owned;
        return for_each_statement(plan_, events, verdicts, from, to,
                                  [&](std::size_t i, const Event& e, const Prepared& p,
                                      std::optional<rapidjson::Document>& data) -> std::optional<EventFailure> {
            owned.clear();
            owned.reserve(p.parameters.size());
            auto* s = p.statement.get();
            for (std::size_t k = 0; k < p.parameters.size(); ++k) {
                const int index = static_cast<int>(k) + 1;
                const Value v = value_of(e, p.parameters[k], data);
                if (std::holds_alternative<std::monostate>(v)) {
                    db_.bind_null(s, index);
                } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
                    db_.bind(s, index, *n);
                } else if (const auto* d = std::get_if<double>(&v)) {
                    db_.bind(s, index, *d);
                } else if (const auto* t = std::get_if<std::string_view>(&v)) {
                    db_.bind(s, index, *t);
                } else {
                    owned.push_back(std::get<std::string>(v));
                    db_.bind(s, index, std::string_view(owned.back()));
                }
            }
            try {
                db_.run(s);
            } catch (const sql::DatabaseError& error) {
                const int primary = db_.last_error_code() & 0xff;
                if (!db_.usable() || primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_FULL) {
                    throw;
                }
                return EventFailure{i, failed(*p.definition, error.what())};
            }
            return std::nullopt;
        });
    }

    void savepoint() override { db_.exec("SAVEPOINT fanout_batch"); }
    void rollback_to_savepoint() override { db_.exec("ROLLBACK TO fanout_batch"); }
    void release() override { db_.exec("RELEASE fanout_batch"); }

    std::map<std::string, std::vector<Prepared>, std::less<>> plan_;
};

class PostgresStore final : public sql::PostgresBatchStore<Store> {
public:
    PostgresStore(std::unique_ptr<soci::session> session, const Definition& d)
        : sql::PostgresBatchStore<Store>(std::move(session), d.checkpoint_table, "fanout_cfg_advance") {
        for (const auto& [type, statements] : d.on) {
            auto& prepared = plan_[type];
            for (const Statement& s : statements) {
                sql::NamedStatement named = compile(d, s, sql::Backend::postgresql);
                Prepared p{&s, std::move(named.parameters), "fanout_cfg_" + std::to_string(count_++)};
                try {
                    db_.prepare(sql::PreparedSql{p.name.c_str(), named.sql.c_str()});
                } catch (const sql::DatabaseError& e) {
                    throw DefinitionError(where(d, s) + "statement '" + s.name +
                                          "' does not compile against the schema: " + e.what());
                }
                prepared.push_back(std::move(p));
            }
        }
    }

private:
    struct Prepared {
        const Statement* definition;
        std::vector<sql::Parameter> parameters;
        std::string name;
    };

    bool has_statements(std::string_view type) const override { return plan_.find(type) != plan_.end(); }

    static std::optional<std::string> text_of(const Value& v) {
        if (std::holds_alternative<std::monostate>(v)) return std::nullopt;
        if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
        if (const auto* d = std::get_if<double>(&v)) {
            char buffer[32];
            std::snprintf(buffer, sizeof buffer, "%.17g", *d);
            return std::string(buffer);
        }
        if (const auto* t = std::get_if<std::string_view>(&v)) return std::string(*t);
        return std::get<std::string>(v);
    }

    std::optional<EventFailure> execute(std::span<const Event* const> events, std::span<const Verdict> verdicts,
                                        std::size_t from, std::size_t to) override {
        calls_.clear();
        call_event_.clear();
        call_statement_.clear();
        for_each_statement(plan_, events, verdicts, from, to,
                           [&](std::size_t i, const Event& e, const Prepared& p,
                               std::optional<rapidjson::Document>& data) -> std::optional<EventFailure> {
            sql::PgCall call{p.name.c_str(), {}};
            call.values.reserve(p.parameters.size());
            for (const sql::Parameter& parameter : p.parameters) call.values.push_back(text_of(value_of(e, parameter, data)));
            calls_.push_back(std::move(call));
            call_event_.push_back(i);
            call_statement_.push_back(p.definition);
            return std::nullopt;
        });
        const std::optional<sql::PgCallFailure> failure = db_.run_pipelined(calls_);
        if (!failure) return std::nullopt;
        const std::string message = failure->message + (failure->sqlstate.empty() ? "" : " (sqlstate " + failure->sqlstate + ")");
        if (sql::transient_sqlstate(failure->sqlstate)) throw sql::DatabaseError("postgresql: " + message);
        return EventFailure{call_event_[failure->index], failed(*call_statement_[failure->index], message)};
    }

    void savepoint() override { db_.exec("SAVEPOINT fanout_batch", PGRES_COMMAND_OK); }
    void rollback_to_savepoint() override { db_.exec("ROLLBACK TO SAVEPOINT fanout_batch", PGRES_COMMAND_OK); }
    void release() override { db_.exec("RELEASE SAVEPOINT fanout_batch", PGRES_COMMAND_OK); }

    std::map<std::string, std::vector<Prepared>, std::less<>> plan_;
    std::size_t count_ = 0;
    // Per batch, kept to reuse allocations.
    std::vector<sql::PgCall> calls_;
    std::vector<std::size_t> call_event_;
    std::vector<const Statement*> call_statement_;
};

class SqlConfigPlugin final : public sql::ProjectionPlugin<SqlConfigPlugin> {
public:
    using Store = sql_config::Store;

    SqlConfigPlugin(sql::ConnectionSettings database, Definition definition, Context& context)
        : ProjectionPlugin(std::move(database), context, "projection " + definition.component, definition.schema),
          definition_(std::move(definition)) {}

    void configure_session(soci::session& session, sql::Backend) {
        session << sql::checkpoint_table_ddl(definition_.checkpoint_table);
    }
    std::unique_ptr<Store> open_store(std::unique_ptr<soci::session> session, sql::Backend backend) {
        if (backend == sql::Backend::sqlite) return std::make_unique<SqliteStore>(std::move(session), definition_);
        return std::make_unique<PostgresStore>(std::move(session), definition_);
    }
    void prepare(std::span<const Event* const> events) { events_ = events; }
    const NoChanges& project(Store& store, std::vector<Verdict>& verdicts) {
        store.run(events_, verdicts);
        return none_;
    }

private:
    Definition definition_;
    std::span<const Event* const> events_;
    NoChanges none_;
};

constexpr std::array<OptionSpec, 7> k_options{{
    {"connection", OptionType::string, nullptr,
     "the projection's database: sqlite:/path/file.db, or PostgreSQL as postgresql://user:pass@host:port/db or "
     "\"host=... dbname=...\""},
    sql::k_lock_timeout_option,
    sql::k_connect_timeout_option,
    sql::k_reconnect_interval_option,
    sql::k_commit_max_events_option,
    sql::k_commit_max_delay_option,
    {"definition", OptionType::string, nullptr,
     "the projection's definition: a YAML file with component, migrations and, per event type, the SQL statements "
     "its events run (docs/projections.md)"},
}};

std::unique_ptr<Plugin> create(const Options& options, Context& context) {
    auto plugin = std::make_unique<SqlConfigPlugin>(sql::parse_connection_settings(options),
                                                    load_definition(options.get_string("definition")), context);
    plugin->start();
    return plugin;
}

/// `fanoutd --check-config`: the definition, its statements compiled for the
/// connection's backend.
CheckReport check(const Options& options) {
    const std::string& connection = options.get_string("connection");
    DefinitionCheck result = check_definition(
        options.get_string("definition"), sql::is_postgresql(connection) ? sql::Backend::postgresql : sql::Backend::sqlite);
    return CheckReport{std::move(result.errors), std::move(result.notes)};
}

}  // namespace

const PluginDescriptor descriptor{
    k_descriptor_magic,
    k_abi_version,
    "sql_config",
    "1.0.0",
    "an exactly-once SQL projection written in configuration: tables and per event type statements (SQLite or "
    "PostgreSQL)",
    k_options.data(),
    k_options.size(),
    &create,
};

}  // namespace fanout::plugins::sql_config

FANOUT_EXPORT_PLUGIN(fanout::plugins::sql_config::descriptor)
FANOUT_EXPORT_PLUGIN_CHECK(fanout::plugins::sql_config::check)
