#pragma once
// Admin HTTP: /metrics (Prometheus), /healthz, /readyz, /plugins (JSON), and
// the control verbs POST /plugins/NAME/pause and /plugins/NAME/resume, which
// need `Authorization: Bearer <token>` with the token of
// admin.control_token_file (off, 403, without one; 401 for a wrong token),
// and behind the same token the dead-letter routes (admin_dead_letters.hpp),
// which run on a worker thread of their own.
// Off unless `admin.listen` is set; meant for loopback or a private network.
// Boost.Beast on one I/O thread: a waiting connection holds no thread. At most
// 256 connections: one more closes the one that has waited longest without a
// complete request (or gets 503 when all are being answered); 5 s to start a
// request and 5 s to send it; bodies over 8 KiB are 413.
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

namespace fanout::daemon {

class Daemon;

class AdminServer {
public:
    /// Bind `listen` ("HOST:PORT", port 0 picks one) and serve on a thread.
    /// Throws std::runtime_error when the address cannot be bound.
    AdminServer(Daemon& daemon, const std::string& listen, std::filesystem::path control_token_file = {});
    ~AdminServer();

    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    int port() const noexcept { return port_; }

    struct Core;  ///< for its connections

private:
    std::unique_ptr<Core> core_;
    std::thread thread_;
    int port_ = 0;
};

/// The /plugins document: one object per plugin.
std::string render_plugins_json(const Daemon& daemon);

}  // namespace fanout::daemon
