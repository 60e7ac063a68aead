#pragma once
// A lean HTTP/1.1 load generator for the post-command benchmark: keep-alive
// connections driven by one epoll loop on the calling thread, one request in
// flight per connection (closed loop). It costs the shared machine a few
// microseconds per request, so the figures are the service's, not the
// client's.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace fanout::bench {

/// The raw text of one request (Host, Content-Type: application/json and
/// Content-Length set).
std::string http_request(std::string_view method, std::string_view path, std::string_view body = {});

struct LoadResult {
    double seconds = 0;
    int errors = 0;
    std::vector<double> latencies_ms;  ///< one per request, in completion order
};

/// Send `requests` requests, request i being `make(i)`, over `connections`
/// connections to 127.0.0.1:`port`. `check(i, status, body)` says whether
/// request i succeeded. Throws std::runtime_error when a connection fails.
LoadResult run_load(int port, int connections, int requests, const std::function<std::string(int)>& make,
                    const std::function<bool(int, int, std::string_view)>& check);

}  // namespace fanout::bench
