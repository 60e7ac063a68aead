#include "generation.hpp"

#include <algorithm>

#include "log.hpp"
#include "repository.hpp"

namespace fanout::post_query {
namespace {

std::int64_t ticks(std::chrono::steady_clock::time_point t) { return t.time_since_epoch().count(); }

}  // namespace

bool is_valid_component(std::string_view component) { return sql::is_component_name(component); }

ConnectionString generation_target(const ConnectionString& base, int generation) {
    ConnectionString target = base;
    if (generation > 0 && base.is_sqlite()) target.path += ".g" + std::to_string(generation);
    return target;
}

std::string quote_identifier(std::string_view name) {
    std::string out = "\"";
    for (const char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string base_schema(soci::session& session) {
    std::string schema;
    soci::indicator ind = soci::i_null;
    session << "SELECT current_schema()", soci::into(schema, ind);
    return ind == soci::i_ok ? schema : std::string();
}

GenerationFollower::GenerationFollower(ConnectionString base, std::string component, std::chrono::milliseconds refresh)
    : base_(std::move(base)), component_(std::move(component)), refresh_(refresh) {}

int GenerationFollower::current() {
    const auto now = std::chrono::steady_clock::now();
    if (ticks(now) >= next_read_.load(std::memory_order_relaxed)) {
        const std::unique_lock lock(reading_, std::try_to_lock);
        // Another worker may have read it between the two checks.
        if (lock.owns_lock() && ticks(now) >= next_read_.load(std::memory_order_relaxed)) {
            refresh();
            next_read_.store(ticks(std::chrono::steady_clock::now() + refresh_), std::memory_order_relaxed);
        }
    }
    return served_.load(std::memory_order_acquire);
}

void GenerationFollower::refresh() {
    const int served = served_.load(std::memory_order_relaxed);
    int live = served;
    try {
        if (session_.get_backend() == nullptr) {
            open_read_session(session_, base_);
            if (base_.is_postgresql()) base_schema_ = base_schema(session_);
        }
        live = read_live();
        if (live != served && !tables_exist(live)) {
            if (missing_warned_ != live) {
                log().warn(
                    "read model generation {} (fanout_generations, component={}) has no tables; still serving "
                    "generation {}",
                    live, component_, served);
                missing_warned_ = live;
            }
            return;
        }
        if (read_failed_) log().info("fanout_generations readable again (component={})", component_);
        read_failed_ = false;
    } catch (const std::exception& e) {
        // The pool's sessions report the database's state to clients; here a
        // failure only means the generation served stays.
        if (!read_failed_) {
            log().warn("cannot read fanout_generations (component={}), still serving generation {}: {}", component_,
                       served, e.what());
        }
        read_failed_ = true;
        close_quietly(session_);  // reopened at the next read, which learns the base schema again
        return;
    }
    missing_warned_.reset();
    if (live == served) return;
    log().info("read model generation switched component={} from={} to={}", component_, served, live);
    served_.store(live, std::memory_order_release);
}

int GenerationFollower::read_live() {
    if (!has_table(session_, "fanout_generations")) return 0;
    int live = 0;
    soci::indicator ind = soci::i_null;
    session_ << "SELECT live FROM fanout_generations WHERE component = :component", soci::use(component_),
        soci::into(live, ind);
    return ind == soci::i_ok && session_.got_data() && live > 0 ? live : 0;
}

bool GenerationFollower::tables_exist(int generation) {
    // posts and comments: the tables a request reads.
    constexpr const char* k_pg_tables =
        "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename IN ('posts', 'comments') AND schemaname = ";
    int tables = 0;
    if (base_.is_postgresql()) {
        if (generation == 0) {
            session_ << std::string(k_pg_tables) + "current_schema()", soci::into(tables);
        } else {
            const std::string schema = generation_schema(base_schema_, component_, generation);
            session_ << std::string(k_pg_tables) + ":schema", soci::use(schema), soci::into(tables);
        }
        return tables == 2;
    }
    soci::session file;
    try {
        open_read_session(file, generation_target(base_, generation));  // read-only: a missing file fails
        file << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('posts', 'comments')",
            soci::into(tables);
    } catch (const soci::soci_error&) {
        return false;
    }
    return tables == 2;
}

}  // namespace fanout::post_query
