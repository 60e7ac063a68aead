#pragma once
// Admin HTTP: /metrics (Prometheus), /healthz, /readyz, /plugins (JSON).
// Off unless `admin.listen` is set; meant for loopback or a private network.
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace fanout::daemon {

class Daemon;

class AdminServer {
public:
    /// Bind `listen` ("HOST:PORT", port 0 picks one) and serve on a thread.
    /// Throws std::runtime_error when the address cannot be bound.
    AdminServer(const Daemon& daemon, const std::string& listen);
    ~AdminServer();

    AdminServer(const AdminServer&) = delete;
    AdminServer& operator=(const AdminServer&) = delete;

    int port() const noexcept { return port_; }

private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = 0;
};

/// The /plugins document: one object per plugin.
std::string render_plugins_json(const Daemon& daemon);

}  // namespace fanout::daemon
