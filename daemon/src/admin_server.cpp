#include "admin_server.hpp"

#include <httplib.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>

#include "daemon.hpp"
#include "log.hpp"
#include "prometheus.hpp"

namespace fanout::daemon {

std::string render_plugins_json(const Daemon& daemon) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    const auto settings = daemon.settings();
    w.StartObject();
    w.Key("plugins");
    w.StartArray();
    daemon.for_each_pipeline([&](const Pipeline& p) {
        const PipelineStatus s = p.status();
        w.StartObject();
        w.Key("name");
        w.String(p.settings().name);
        w.Key("type");
        w.String(p.settings().type == PluginType::lua ? "lua" : "library");
        w.Key("source");
        w.String(p.factory().describe());
        w.Key("state");
        w.String(to_string(s.state));
        w.Key("group");
        w.String(p.group_id());
        w.Key("joined");
        w.Bool(s.joined);
        w.Key("topics");
        w.StartArray();
        for (const auto& t : p.settings().topics) w.String(t);
        w.EndArray();
        w.Key("assignment");
        w.StartArray();
        std::int64_t total_lag = 0;
        int held = 0;
        for (const auto& a : s.assignment) {
            w.StartObject();
            w.Key("topic");
            w.String(a.topic);
            w.Key("partition");
            w.Int(a.partition);
            w.Key("position");
            w.Int64(a.position);
            w.Key("highWatermark");
            w.Int64(a.high_watermark);
            w.Key("lag");
            w.Int64(a.lag);
            w.Key("held");
            w.Bool(a.held);
            if (a.held) {
                w.Key("holdReason");
                w.String(to_string(a.hold_reason));
                w.Key("holdDetail");
                w.String(a.hold_detail);
            }
            w.EndObject();
            if (a.lag > 0) total_lag += a.lag;
            if (a.held) ++held;
        }
        w.EndArray();
        w.Key("lag");
        // A failed plugin with nothing known to report is not caught up: -1, unknown.
        w.Int64(total_lag == 0 && s.state == PipelineState::failed ? -1 : total_lag);
        w.Key("held");
        w.Int(held);
        w.Key("reloads");
        w.Uint64(s.reloads);
        w.Key("lastError");
        if (s.last_error.empty()) {
            w.Null();
        } else {
            w.String(s.last_error);
        }
        w.EndObject();
    });
    w.EndArray();
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

namespace {

/// The failed plugins and their errors as a JSON array; empty when none.
std::string render_failed_json(const Daemon& daemon) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    bool any = false;
    w.StartArray();
    daemon.for_each_pipeline([&](const Pipeline& p) {
        const PipelineStatus s = p.status();
        if (s.state != PipelineState::failed) return;
        any = true;
        w.StartObject();
        w.Key("name");
        w.String(p.settings().name);
        w.Key("lastError");
        w.String(s.last_error);
        w.EndObject();
    });
    w.EndArray();
    return any ? std::string(buffer.GetString(), buffer.GetSize()) : std::string();
}

}  // namespace

AdminServer::AdminServer(const Daemon& daemon, const std::string& listen) : server_(std::make_unique<httplib::Server>()) {
    const auto colon = listen.rfind(':');
    const std::string host = listen.substr(0, colon);
    const int port = std::stoi(listen.substr(colon + 1));

    server_->Get("/metrics", [&daemon](const httplib::Request&, httplib::Response& res) {
        res.set_content(render_prometheus(daemon), "text/plain; version=0.0.4; charset=utf-8");
    });
    server_->Get("/healthz", [&daemon](const httplib::Request&, httplib::Response& res) {
        // Unhealthy when a plugin stopped on an error, or a pipeline has been
        // stuck in one step for a minute.
        const bool progressing = daemon.all_making_progress(std::chrono::seconds(60));
        const std::string failed = render_failed_json(daemon);
        res.status = progressing && failed.empty() ? 200 : 503;
        res.set_content(!failed.empty() ? "{\"status\":\"a plugin stopped\",\"failed\":" + failed + "}"
                        : progressing   ? "{\"status\":\"ok\"}"
                                        : "{\"status\":\"a pipeline is not making progress\"}",
                        "application/json");
    });
    server_->Get("/readyz", [&daemon](const httplib::Request&, httplib::Response& res) {
        const bool ok = daemon.all_joined();
        const std::string failed = ok ? std::string() : render_failed_json(daemon);
        res.status = ok ? 200 : 503;
        res.set_content(ok ? "{\"status\":\"ready\"}"
                           : "{\"status\":\"not every plugin is running in its group\"" +
                                 (failed.empty() ? std::string() : ",\"failed\":" + failed) + "}",
                        "application/json");
    });
    server_->Get("/plugins", [&daemon](const httplib::Request&, httplib::Response& res) {
        res.set_content(render_plugins_json(daemon), "application/json");
    });
    server_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty()) {
            res.set_content("{\"message\":\"" + std::string(res.status == 404 ? "no such route" : "error") + "\"}",
                            "application/json");
        }
    });

    if (port == 0) {
        port_ = server_->bind_to_any_port(host);
        if (port_ < 0) throw std::runtime_error("admin: cannot bind " + listen);
    } else {
        if (!server_->bind_to_port(host, port)) throw std::runtime_error("admin: cannot bind " + listen);
        port_ = port;
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    log().info("admin listening on {}:{}", host, port_);
}

AdminServer::~AdminServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace fanout::daemon
