#include "event_store.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>  // also defines SQLITE_CONSTRAINT

#include <unordered_set>

#include "event_columns.hpp"
#include "log.hpp"
#include "utc_clock.hpp"

namespace fanout::post_command {
namespace {

// A version already taken inserts no row instead of failing: no sequence
// number is drawn (PostgreSQL draws one per inserted row, even for a row that
// then violates the unique key, and the relay would have to wait out that
// gap). Appends hold the append lock, so nobody inserts between the check and
// the insert; the unique key stays the guarantee against writers that don't.
//
// occurred_at never goes back within a post: an event stamped before its
// predecessor (the clock stepped back) takes its predecessor's time, so a
// post's time order is its version order and "the version a post had
// reached at time T" is a binary search over its versions (event_history.cpp).
constexpr const char* k_insert =
    "INSERT INTO events (event_id, aggregate_id, version, type, data, occurred_at, actor)"
    " SELECT :event_id, :aggregate_id, :version, :type, :data,"
    " (SELECT MAX(t) FROM (SELECT CAST(:occurred_at AS TEXT) AS t UNION ALL SELECT occurred_at FROM events"
    " WHERE aggregate_id = :previous_id AND version = :previous_version) AS times), :actor"
    " WHERE NOT EXISTS (SELECT 1 FROM events WHERE aggregate_id = :taken_id AND version = :taken_version)";

// PostgreSQL: the whole group in one statement (a round trip per event
// would bound a group's commit by the network, not the database). The arrays
// arrive as text literals; WITH ORDINALITY + ORDER BY keeps the group's
// order, so sequence numbers are drawn in it. A request whose first version
// is taken is filtered out whole, before any sequence number is drawn for it:
// an aggregate's stored versions are contiguous, so if its first is free the
// rest are too (and if not, the unique key fires and the group is isolated).
// A request's events share one time (the group's), raised like k_insert's to
// the time of the event before the request when that is later.
constexpr const char* k_insert_pg =
    "INSERT INTO events (event_id, aggregate_id, version, type, data, occurred_at, actor)"
    " SELECT u.event_id, u.aggregate_id, u.version, u.type, u.data,"
    " GREATEST(u.occurred_at, (SELECT p.occurred_at FROM events p"
    " WHERE p.aggregate_id = u.aggregate_id AND p.version = u.first_version - 1)), u.actor"
    " FROM unnest(CAST(:ids AS text[]), CAST(:aggregates AS text[]), CAST(:versions AS bigint[]),"
    " CAST(:firsts AS bigint[]), CAST(:types AS text[]), CAST(:datas AS text[]), CAST(:times AS text[]),"
    " CAST(:actors AS text[]))"
    " WITH ORDINALITY AS u(event_id, aggregate_id, version, first_version, type, data, occurred_at, actor, n)"
    " WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.aggregate_id = u.aggregate_id AND e.version = u.first_version)"
    " ORDER BY u.n"
    " RETURNING aggregate_id, version";

/// A PostgreSQL array literal of text or integers.
class ArrayLiteral {
public:
    void add(std::string_view text) {
        text_ += text_.size() > 1 ? ",\"" : "\"";
        for (const char c : text) {
            if (c == '"' || c == '\\') text_ += '\\';
            text_ += c;
        }
        text_ += '"';
    }
    void add(std::int64_t value) {
        if (text_.size() > 1) text_ += ',';
        text_ += std::to_string(value);
    }
    /// `text`, or NULL when it is empty.
    void add_or_null(std::string_view text) {
        if (!text.empty()) return add(text);
        text_ += text_.size() > 1 ? ",NULL" : "NULL";
    }
    std::string finish() { return std::move(text_) + "}"; }

private:
    std::string text_ = "{";
};

/// A request's later event found its version taken after the first one was
/// free: impossible with serialised appends and contiguous versions, handled
/// anyway by rolling back and isolating requests.
struct PartialConflict : std::runtime_error {
    PartialConflict() : std::runtime_error("version taken in the middle of a command's events") {}
};

void rollback_quietly(soci::session& session) {
    try {
        session << "ROLLBACK";
    } catch (const std::exception&) {
        // The connection is gone or no transaction is open; either way nothing was committed.
    }
}

}  // namespace

bool is_unique_violation(const soci::soci_error& error) {
    if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&error)) return pg->sqlstate() == "23505";
    if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&error)) {
        return (lite->result() & 0xff) == SQLITE_CONSTRAINT;
    }
    return error.get_error_category() == soci::soci_error::constraint_violation;
}

// ---- EventWriter ----

EventWriter::EventWriter(StoreLocation location, SqliteTuning tuning)
    : location_(std::move(location)), tuning_(std::move(tuning)) {
    ensure_ready();  // fail at startup, not at the first command
}

EventWriter::~EventWriter() = default;

void EventWriter::ensure_ready() {
    if (!broken_ && insert_) return;
    insert_.reset();
    if (broken_) {
        begin_.reset();
        commit_.reset();
        session_.close();
        open_store_session(session_, location_, tuning_);
        if (location_.backend == Backend::sqlite) {
            begin_.emplace((session_.prepare << "BEGIN IMMEDIATE"));  // the write lock now, not at the first insert
            commit_.emplace((session_.prepare << "COMMIT"));
        }
        broken_ = false;
    }
    insert_.emplace((session_.prepare << k_insert, soci::use(event_id_), soci::use(aggregate_id_), soci::use(version_),
                     soci::use(type_), soci::use(data_), soci::use(occurred_at_), soci::use(aggregate_id_),
                     soci::use(previous_version_), soci::use(actor_, actor_indicator_), soci::use(aggregate_id_),
                     soci::use(version_)));
}

std::vector<AppendStatus> EventWriter::append_in_one_transaction(std::span<const AppendRequest* const> batch) {
    if (location_.backend == Backend::postgresql) {
        session_ << "BEGIN";
        // Serialise appends: a sequence number is drawn only while holding
        // the lock, so sequences commit in order and a gap below a visible
        // sequence is a rolled-back append, never one still in flight.
        session_ << "SELECT pg_advisory_xact_lock(" << advisory_lock::append << ")";
    } else {
        begin_->execute(true);
    }
    std::vector<AppendStatus> out(batch.size(), AppendStatus::committed);
    try {
        if (location_.backend == Backend::postgresql) {
            insert_rows_postgresql(batch, out);
        } else {
            insert_rows_sqlite(batch, out);
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (out[i] == AppendStatus::committed && batch[i]->snapshot) {
                save_snapshot(session_, batch[i]->aggregate_id, *batch[i]->snapshot);
            }
        }
        if (commit_) {
            commit_->execute(true);
        } else {
            session_ << "COMMIT";
        }
        return out;
    } catch (const soci::soci_error& e) {
        rollback_quietly(session_);
        insert_.reset();  // re-prepared by ensure_ready
        if (is_unique_violation(e)) throw UniqueViolation();
        throw;
    } catch (const PartialConflict&) {
        rollback_quietly(session_);
        throw UniqueViolation();
    }
}

void EventWriter::insert_rows_postgresql(std::span<const AppendRequest* const> batch, std::vector<AppendStatus>& out) {
    ArrayLiteral ids, aggregates, versions, firsts, types, datas, times, actors;
    std::size_t rows = 0;
    for (const AppendRequest* request : batch) {
        std::int64_t version = request->expected_version;
        for (const NewEvent& e : request->events) {
            ids.add(e.event_id);
            aggregates.add(request->aggregate_id);
            versions.add(++version);
            firsts.add(request->expected_version + 1);
            types.add(e.type);
            datas.add(e.data);
            times.add(e.occurred_at);
            actors.add_or_null(e.actor);
            ++rows;
        }
    }
    if (rows == 0) return;
    const std::string ids_text = ids.finish(), aggregates_text = aggregates.finish(), versions_text = versions.finish(),
                      firsts_text = firsts.finish(), types_text = types.finish(), datas_text = datas.finish(),
                      times_text = times.finish(), actors_text = actors.finish();
    std::vector<std::string> inserted_aggregates(rows);
    std::vector<long long> inserted_versions(rows);
    soci::statement st =
        (session_.prepare << k_insert_pg, soci::into(inserted_aggregates), soci::into(inserted_versions),
         soci::use(ids_text), soci::use(aggregates_text), soci::use(versions_text), soci::use(firsts_text),
         soci::use(types_text), soci::use(datas_text), soci::use(times_text), soci::use(actors_text));
    st.execute(true);
    if (inserted_aggregates.size() != inserted_versions.size()) {
        throw std::runtime_error("event store: RETURNING gave mismatched columns");
    }
    std::unordered_set<std::string> landed_rows;
    landed_rows.reserve(inserted_aggregates.size());
    for (std::size_t r = 0; r < inserted_aggregates.size(); ++r) {
        landed_rows.insert(inserted_aggregates[r] + '\n' + std::to_string(inserted_versions[r]));
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const AppendRequest& request = *batch[i];
        std::size_t landed = 0;
        for (std::size_t k = 0; k < request.events.size(); ++k) {
            const std::int64_t version = request.expected_version + 1 + static_cast<std::int64_t>(k);
            landed += landed_rows.count(request.aggregate_id + '\n' + std::to_string(version));
        }
        if (landed == 0 && !request.events.empty()) {
            out[i] = AppendStatus::conflict;  // nothing of this request was written
        } else if (landed != request.events.size()) {
            throw PartialConflict();
        }
    }
}

void EventWriter::insert_rows_sqlite(std::span<const AppendRequest* const> batch, std::vector<AppendStatus>& out) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const AppendRequest* request = batch[i];
        aggregate_id_ = request->aggregate_id;
        version_ = request->expected_version;
        bool first = true;
        for (const NewEvent& e : request->events) {
            previous_version_ = version_++;
            event_id_ = e.event_id;
            type_ = e.type;
            data_ = e.data;
            occurred_at_ = e.occurred_at;
            actor_ = e.actor;
            actor_indicator_ = e.actor.empty() ? soci::i_null : soci::i_ok;
            insert_->execute(true);
            if (insert_->get_affected_rows() == 0) {
                if (!first) throw PartialConflict();
                out[i] = AppendStatus::conflict;  // nothing of this request was written
                break;
            }
            first = false;
        }
    }
}

std::vector<AppendStatus> EventWriter::append(std::span<const AppendRequest* const> batch) {
    std::vector<AppendStatus> out(batch.size(), AppendStatus::failed);
    try {
        ensure_ready();
        try {
            return append_in_one_transaction(batch);
        } catch (const UniqueViolation&) {
            // A writer outside the append lock took a version under us: the
            // whole group rolled back; isolate the loser(s).
            for (std::size_t i = 0; i < batch.size(); ++i) {
                ensure_ready();
                try {
                    out[i] = append_in_one_transaction(batch.subspan(i, 1))[0];
                } catch (const UniqueViolation&) {
                    out[i] = AppendStatus::conflict;
                }
            }
        }
    } catch (const std::exception& e) {
        log().error("event store append failed: {}", e.what());
        broken_ = true;
    }
    return out;
}

// ---- EventReader ----

EventReader::EventReader(StoreLocation location, SqliteTuning tuning)
    : location_(std::move(location)), tuning_(std::move(tuning)) {}

soci::session& EventReader::session() {
    if (broken_) {
        session_.close();
        open_store_session(session_, location_, tuning_);
        broken_ = false;
    }
    return session_;
}

AggregateHistory EventReader::load(const std::string& aggregate_id) {
    AggregateHistory history;
    try {
        soci::session& s = session();
        history.snapshot = load_snapshot(s, aggregate_id);
        const long long after = history.snapshot ? history.snapshot->version : 0;
        EventColumns(256).read(s, " FROM events WHERE aggregate_id = :a AND version > :v ORDER BY version",
                               history.events, soci::use(aggregate_id), soci::use(after));
    } catch (...) {
        mark_broken();
        throw;
    }
    return history;
}

std::vector<StoredEvent> EventReader::read_after(std::int64_t after, std::size_t limit) {
    std::vector<StoredEvent> out;
    try {
        soci::session& s = session();
        const long long from = after;
        const long long n = static_cast<long long>(limit);
        EventColumns(std::min<std::size_t>(limit, 1000))
            .read(s, " FROM events WHERE global_sequence > :after ORDER BY global_sequence LIMIT :n", out,
                  soci::use(from), soci::use(n));
    } catch (...) {
        mark_broken();
        throw;
    }
    return out;
}

std::int64_t EventReader::last_sequence() {
    long long last = 0;
    try {
        session() << "SELECT COALESCE(MAX(global_sequence), 0) FROM events", soci::into(last);
    } catch (...) {
        mark_broken();
        throw;
    }
    return last;
}

std::int64_t EventReader::published_position(const std::string& destination) {
    long long position = 0;
    soci::indicator ind = soci::i_null;
    try {
        session() << "SELECT published_sequence FROM outbox_position WHERE destination = :d", soci::into(position, ind),
            soci::use(destination);
    } catch (...) {
        mark_broken();
        throw;
    }
    return ind == soci::i_ok ? position : 0;
}

void EventReader::save_position(const std::string& destination, std::int64_t sequence) {
    const long long position = sequence;
    const std::string now = now_rfc3339_ms();
    try {
        session() << "INSERT INTO outbox_position (destination, published_sequence, updated_at) VALUES (:d, :s, :t)"
                     " ON CONFLICT (destination) DO UPDATE SET published_sequence = excluded.published_sequence,"
                     " updated_at = excluded.updated_at",
            soci::use(destination), soci::use(position), soci::use(now);
    } catch (...) {
        mark_broken();
        throw;
    }
}

bool EventReader::try_lead_relay() {
    if (location_.backend == Backend::sqlite) return true;
    int got = 0;
    try {
        // Session-level: held until this connection closes (also on a crash).
        session() << "SELECT CASE WHEN pg_try_advisory_lock(" << advisory_lock::relay << ") THEN 1 ELSE 0 END",
            soci::into(got);
    } catch (...) {
        mark_broken();
        throw;
    }
    return got == 1;
}

}  // namespace fanout::post_command
