#pragma once
// The Query API's behaviour, independent of the HTTP library: a matched route
// and its query parameters in, a status and JSON body out. Client mistakes are
// 4xx; a database that is down or not yet initialised is 503 (logged when the
// state changes, not per request); nothing a client sends yields another 5xx.
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "database.hpp"
#include "generation.hpp"
#include "query_string.hpp"
#include "router.hpp"

namespace fanout::post_query {

struct HttpReply {
    int status = 200;
    std::string body;   ///< JSON, or empty (204, HEAD)
    std::string allow;  ///< the Allow header when not empty
};

/// Page sizes: the default when `limit` is absent, and the largest accepted.
inline constexpr std::size_t k_default_limit = 100;
inline constexpr std::size_t k_max_limit = 1000;

class PostLookup {
public:
    /// Every request reads the generation `generations` serves when it starts.
    PostLookup(SessionPool& pool, GenerationFollower& generations) : pool_(pool), generations_(generations) {}

    /// Called concurrently from every HTTP worker thread.
    HttpReply handle(const RouteMatch& route, const QueryParams& params);

    /// /readyz: 200 when the database answers and the read model's schema is
    /// there, with the generation served.
    HttpReply readiness();

private:
    enum class DbState { unknown, ok, unavailable, not_initialised };

    HttpReply lookup(const RouteMatch& route, const QueryParams& params);
    /// Runs `work(lease)` on a session leased on the generation served, and once more on a fresh one
    /// when the first had lost its connection. Nothing when it ran; else the
    /// answer: 503 `busy` without a free session, or `failed(lease, error)`.
    template <class Work, class Failed>
    std::optional<HttpReply> with_session(const char* busy, const Work& work, const Failed& failed);
    HttpReply query_failed(SessionPool::Lease& lease, const std::string& error);
    HttpReply unavailable(const std::string& error);
    /// Log a change of the database's state once, not on every request.
    void note(DbState state, std::string_view detail);

    SessionPool& pool_;
    GenerationFollower& generations_;
    std::atomic<DbState> db_state_{DbState::unknown};
};

}  // namespace fanout::post_query
