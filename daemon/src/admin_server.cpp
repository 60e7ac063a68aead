#include "admin_server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <list>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "admin_dead_letters.hpp"
#include "daemon.hpp"
#include "fanout/common/http_server.hpp"
#include "fanout/common/json_object.hpp"
#include "log.hpp"
#include "fanout/common/text.hpp"
#include "prometheus.hpp"

namespace fanout::daemon {

std::string render_plugins_json(const Daemon& daemon) {
    using common::JsonValue;
    fanout::common::JsonBuffer buffer;
    common::JsonWriter w(buffer);
    const auto settings = daemon.settings();
    w.StartObject();
    w.Key("plugins");
    w.StartArray();
    daemon.for_each_pipeline([&](const Pipeline& p) {
        const PipelineStatus s = p.status();
        w.StartObject();
        common::write_members(w, {{"name", p.settings().name},
                                  {"type", p.settings().type},
                                  {"source", p.factory().describe()},
                                  {"state", to_string(s.state)},
                                  {"group", p.group_id()},
                                  {"joined", s.joined}});
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
            common::write_members(w, {{"topic", a.topic},
                                      {"partition", a.partition},
                                      {"position", a.position},
                                      {"highWatermark", a.high_watermark},
                                      {"lag", a.lag},
                                      {"held", a.held}});
            if (a.held) {
                common::write_members(w, {{"holdReason", to_string(a.hold_reason)}, {"holdDetail", a.hold_detail}});
            }
            w.EndObject();
            if (a.lag > 0) total_lag += a.lag;
            if (a.held) ++held;
        }
        w.EndArray();
        // A failed plugin with nothing known to report is not caught up: -1, unknown.
        common::write_members(w, {{"lag", total_lag == 0 && s.state == PipelineState::failed ? -1 : total_lag},
                                  {"held", held},
                                  {"reloads", s.reloads},
                                  {"paused", s.paused},
                                  {"degraded", s.degraded},
                                  {"outageMs", s.outage_ms},
                                  {"lastError", JsonValue::or_null(s.last_error)}});
        w.EndObject();
    });
    w.EndArray();
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

namespace {

/// The plugins `pick` chooses as a JSON array of {"name", `detail_key`:
/// detail(status)}; empty when it chooses none.
template <class Pick, class Detail>
std::string render_plugin_list(const Daemon& daemon, Pick pick, const char* detail_key, Detail detail) {
    fanout::common::JsonBuffer buffer;
    common::JsonWriter w(buffer);
    bool any = false;
    w.StartArray();
    daemon.for_each_pipeline([&](const Pipeline& p) {
        const PipelineStatus s = p.status();
        if (!pick(s)) return;
        any = true;
        w.StartObject();
        common::write_members(w, {{"name", p.settings().name}, {detail_key, detail(s)}});
        w.EndObject();
    });
    w.EndArray();
    return any ? std::string(buffer.GetString(), buffer.GetSize()) : std::string();
}

/// The degraded plugins (an outage for longer than retry.degraded_after_ms).
std::string render_degraded_json(const Daemon& daemon) {
    return render_plugin_list(
        daemon, [](const PipelineStatus& s) { return s.degraded; }, "outageMs",
        [](const PipelineStatus& s) { return s.outage_ms; });
}

/// The failed plugins and their errors.
std::string render_failed_json(const Daemon& daemon) {
    return render_plugin_list(
        daemon, [](const PipelineStatus& s) { return s.state == PipelineState::failed; }, "lastError",
        [](const PipelineStatus& s) { return s.last_error; });
}

}  // namespace

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

// A connection holds no thread while it waits (asynchronous reads on one I/O
// thread), so idle, half-open or slow clients cannot starve the probes; each
// is bounded in count and time.
constexpr std::size_t k_max_connections = 256;
constexpr auto k_idle_timeout = std::chrono::seconds(5);     // waiting for a request
constexpr auto k_request_timeout = std::chrono::seconds(5);  // header and body, from the first byte
constexpr auto k_write_timeout = std::chrono::seconds(10);
constexpr std::size_t k_max_header = 16 * 1024;
constexpr std::size_t k_max_body = 8 * 1024;  // no route takes a body

struct Answer {
    unsigned status = 200;
    std::string body;
    const char* content_type = "application/json";
    const char* www_authenticate = nullptr;
};

/// `authorization` is "Bearer <token>" (compared in constant time).
bool bearer_matches(std::string_view authorization, const std::string& token) {
    constexpr std::string_view k_scheme = "Bearer ";
    if (authorization.size() != k_scheme.size() + token.size()) return false;
    if (!std::equal(k_scheme.begin(), k_scheme.end(), authorization.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); })) {
        return false;
    }
    return CRYPTO_memcmp(authorization.data() + k_scheme.size(), token.data(), token.size()) == 0;
}

/// Why a control request is refused (nothing when its token is right).
std::optional<Answer> refused(const std::filesystem::path& token_file, std::string_view authorization) {
    if (token_file.empty()) {
        return Answer{403, "{\"message\":\"control endpoints are off: set admin.control_token_file in fanoutd.yaml\"}"};
    }
    const std::optional<std::string> token = common::read_secret_file(token_file);
    if (!token) {
        log().error("admin: control token file {} cannot be read or is empty", token_file.string());
        return Answer{503, "{\"message\":\"the control token cannot be read\"}"};
    }
    if (!bearer_matches(authorization, *token)) {
        return Answer{401, "{\"message\":\"a valid bearer token is required\"}", "application/json",
                      "Bearer realm=\"fanoutd\""};
    }
    return std::nullopt;
}

/// POST /plugins/NAME/pause|resume.
Answer control(Daemon& daemon, const std::filesystem::path& token_file, bhttp::verb method, std::string_view path,
               std::string_view authorization) {
    const auto slash = path.rfind('/');
    const std::string_view verb = path.substr(slash + 1);
    const std::string name(path.substr(std::string_view("/plugins/").size(), slash - std::string_view("/plugins/").size()));
    if (verb == "rebuild") {
        // Read-only: a rebuild's progress needs no token (starting one is a deferred POST).
        if (method != bhttp::verb::get && method != bhttp::verb::head) return {405, "{\"message\":\"only GET or POST\"}"};
        const std::optional<RebuildView> view = daemon.rebuild(name);
        if (!view) return {404, "{\"message\":\"no such plugin\"}"};
        return {200, rebuild_json(*view)};
    }
    if (verb != "pause" && verb != "resume") return {404, "{\"message\":\"no such route\"}"};
    if (method != bhttp::verb::post) return {405, "{\"message\":\"only POST\"}"};
    if (std::optional<Answer> no = refused(token_file, authorization)) return std::move(*no);
    const bool pause = verb == "pause";
    if (!daemon.set_paused(name, pause)) return {404, "{\"message\":\"no such plugin\"}"};
    log().info("admin: {} {}", pause ? "pause of" : "resume of", name);
    fanout::common::JsonBuffer buffer;
    common::JsonWriter w(buffer);
    w.StartObject();
    common::write_members(w, {{"plugin", name}, {"paused", pause}});
    w.EndObject();
    return {200, {buffer.GetString(), buffer.GetSize()}};
}

Answer route(Daemon& daemon, const std::filesystem::path& token_file, bhttp::verb method, std::string_view target,
             std::string_view authorization) {
    const std::string_view path = target.substr(0, target.find('?'));
    if (path.starts_with("/plugins/") && path.find('/', std::string_view("/plugins/").size()) != std::string_view::npos) {
        return control(daemon, token_file, method, path, authorization);
    }
    const bool known =
        path == "/metrics" || path == "/healthz" || path == "/readyz" || path == "/plugins" || path == "/rebuilds";
    if (!known) return {404, "{\"message\":\"no such route\"}"};
    if (method != bhttp::verb::get && method != bhttp::verb::head) return {405, "{\"message\":\"only GET\"}"};
    if (path == "/metrics") return {200, render_prometheus(daemon), "text/plain; version=0.0.4; charset=utf-8"};
    if (path == "/rebuilds") {
        std::string list;
        for (const RebuildView& v : daemon.rebuilds()) list += (list.empty() ? "" : ",") + rebuild_json(v);
        return {200, "{\"rebuilds\":[" + list + "]}"};
    }
    if (path == "/healthz") {
        // Unhealthy when a plugin stopped on an error, or a pipeline has been
        // stuck in one step for a minute.
        const bool progressing = daemon.all_making_progress(std::chrono::seconds(60));
        const std::string failed = render_failed_json(daemon);
        if (!failed.empty()) return {503, "{\"status\":\"a plugin stopped\",\"failed\":" + failed + "}"};
        if (!progressing) return {503, "{\"status\":\"a pipeline is not making progress\"}"};
        // An outage (a database or receiver down) is not cured by a restart:
        // still 200, but said.
        const std::string degraded = render_degraded_json(daemon);
        return degraded.empty() ? Answer{200, "{\"status\":\"ok\"}"}
                                : Answer{200, "{\"status\":\"degraded\",\"degraded\":" + degraded + "}"};
    }
    if (path == "/readyz") {
        if (daemon.all_joined()) return {200, "{\"status\":\"ready\"}"};
        const std::string failed = render_failed_json(daemon);
        return {503, "{\"status\":\"not every plugin is running in its group\"" +
                         (failed.empty() ? std::string() : ",\"failed\":" + failed) + "}"};
    }
    return {200, render_plugins_json(daemon)};
}

class AdminConnection;

}  // namespace

// Everything runs on the one I/O thread: no locks.
struct AdminServer::Core {
    Core(Daemon& d, std::filesystem::path token) : daemon(d), control_token_file(std::move(token)), jobs(d) {}
    void accept();
    /// At the limit, close the connection that has waited longest without a
    /// complete request (idle, or sending one slowly) to admit a new one;
    /// false when every connection is being answered.
    bool evict_idle();

    Daemon& daemon;
    const std::filesystem::path control_token_file;
    // Declared before the io_context: connections still held by its handlers
    // when it is destroyed use these.
    std::size_t open = 0;
    std::list<std::weak_ptr<AdminConnection>> idle;  // without a complete request, oldest first
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    DeadLetterJobs jobs;  ///< after the io_context: its answers are posted there
};

namespace {

class AdminConnection : public std::enable_shared_from_this<AdminConnection> {
public:
    AdminConnection(tcp::socket&& socket, AdminServer::Core& core) : stream_(std::move(socket)), core_(core) {
        ++core_.open;
    }
    ~AdminConnection() {
        leave_idle();
        --core_.open;
    }

    void wait_request() {
        if (buffer_.size() > 0) return read_request();
        stream_.expires_after(k_idle_timeout);
        idle_at_ = core_.idle.insert(core_.idle.end(), weak_from_this());
        in_idle_ = true;
        stream_.async_read_some(
            buffer_.prepare(1024), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                if (ec) return;  // idle timeout, evicted or closed: the socket closes with the last reference
                self->buffer_.commit(n);
                self->read_request();
            });
    }

    void evict() {
        leave_idle();
        beast::error_code ignored;
        stream_.socket().close(ignored);
    }

private:
    void read_request() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(k_max_header));
        parser_->body_limit(k_max_body);
        stream_.expires_after(k_request_timeout);
        bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->leave_idle();  // read, or failed: no longer evictable
            if (ec == bhttp::error::body_limit)
                return self->answer({413, "{\"message\":\"request body too large\"}"}, 11, true, false);
            if (ec == bhttp::error::header_limit)
                return self->answer({431, "{\"message\":\"request header too large\"}"}, 11, true, false);
            if (ec) return;  // timeout, closed, or not HTTP: drop the connection
            const auto& request = self->parser_->get();
            const std::string_view target(request.target().data(), request.target().size());
            if (DeadLetterJobs::handles(target.substr(0, target.find('?')), request.method() == bhttp::verb::post)) {
                return self->defer(request);
            }
            Answer a;
            try {
                const auto authorization = request[bhttp::field::authorization];
                a = route(self->core_.daemon, self->core_.control_token_file, request.method(),
                          {request.target().data(), request.target().size()},
                          {authorization.data(), authorization.size()});
            } catch (const std::exception& e) {
                a = {500, "{\"message\":\"error\"}"};
                log().error("admin: {} failed: {}", std::string(request.target()), e.what());
            }
            self->answer(std::move(a), request.version(), !request.keep_alive(), request.method() == bhttp::verb::head);
        });
    }

    /// A dead-letter route: answered from the worker, posted back here.
    void defer(const bhttp::request<bhttp::string_body>& request) {
        const unsigned version = request.version();
        const bool close = !request.keep_alive();
        const bool post = request.method() == bhttp::verb::post;
        if (!post && request.method() != bhttp::verb::get) return answer({405, "{\"message\":\"only GET or POST\"}"}, version, close, false);
        const auto authorization = request[bhttp::field::authorization];
        if (std::optional<Answer> no = refused(core_.control_token_file, {authorization.data(), authorization.size()})) {
            return answer(std::move(*no), version, close, false);
        }
        const bool queued = core_.jobs.submit(
            post, std::string(request.target()),
            [self = shared_from_this(), version, close](unsigned status, std::string body) {
                net::post(self->core_.ioc, [self, version, close, status, body = std::move(body)]() mutable {
                    self->answer({status, std::move(body)}, version, close, false);
                });
            });
        if (!queued) {
            answer({429, "{\"message\":\"dead-letter jobs are running already: try again when they end\"}"}, version,
                   close, false);
        }
    }

    void answer(Answer a, unsigned version, bool close, bool head) {
        response_ = {};
        response_.result(a.status);
        response_.version(version);
        response_.set(bhttp::field::content_type, a.content_type);
        if (a.www_authenticate != nullptr) response_.set(bhttp::field::www_authenticate, a.www_authenticate);
        response_.body() = std::move(a.body);
        response_.keep_alive(!close);
        response_.prepare_payload();
        if (head) response_.body().clear();
        stream_.expires_after(k_write_timeout);
        bhttp::async_write(stream_, response_, [self = shared_from_this(), close](beast::error_code ec, std::size_t) {
            if (ec || close) {
                beast::error_code ignored;
                self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                return;
            }
            self->wait_request();
        });
    }

    void leave_idle() {
        if (in_idle_) core_.idle.erase(idle_at_);
        in_idle_ = false;
    }

    beast::tcp_stream stream_;
    AdminServer::Core& core_;
    std::list<std::weak_ptr<AdminConnection>>::iterator idle_at_;
    bool in_idle_ = false;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    bhttp::response<bhttp::string_body> response_;
};

}  // namespace

bool AdminServer::Core::evict_idle() {
    while (!idle.empty()) {
        const std::shared_ptr<AdminConnection> oldest = idle.front().lock();
        if (!oldest) {
            idle.pop_front();  // (a connection leaves the list when destroyed; defensive)
            continue;
        }
        oldest->evict();  // leaves the list; counted until its read handler lets go of it
        return true;
    }
    return false;
}

void AdminServer::Core::accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        if (!ec) {
            if (open >= k_max_connections && !evict_idle()) {
                // Over the limit: refuse at once, the open ones keep their service.
                static const std::string k_body = "{\"message\":\"too many connections\"}";
                static const std::string k_busy =
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(k_body.size()) + "\r\nConnection: close\r\n\r\n" + k_body;
                common::http::refuse_connection(socket, k_busy);
            } else {
                std::make_shared<AdminConnection>(std::move(socket), *this)->wait_request();
            }
            return accept();
        }
        // EMFILE and friends: try again shortly rather than spin.
        auto timer = std::make_shared<net::steady_timer>(ioc, std::chrono::milliseconds(100));
        timer->async_wait([this, timer](beast::error_code) { accept(); });
    });
}

AdminServer::AdminServer(Daemon& daemon, const std::string& listen, std::filesystem::path control_token_file)
    : core_(std::make_unique<Core>(daemon, std::move(control_token_file))) {
    const auto colon = listen.rfind(':');
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string port_text = colon == std::string::npos ? "" : listen.substr(colon + 1);
    beast::error_code ec;
    const auto endpoint = common::http::resolve_listen(core_->ioc, host, port_text, ec);
    if (endpoint) common::http::listen_on(core_->acceptor, *endpoint, ec);
    if (!endpoint || ec) throw std::runtime_error("admin: cannot bind " + listen + ": " + ec.message());
    port_ = core_->acceptor.local_endpoint().port();
    core_->accept();
    thread_ = std::thread([core = core_.get()] { common::http::run_io(core->ioc, "admin: unexpected error"); });
    log().info("admin listening on {}:{}", host, port_);
    const std::filesystem::path& token = core_->control_token_file;
    struct stat st {};
    if (!token.empty() && ::stat(token.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0) {
        log().warn("admin: the control token file {} is readable by every user: chmod o-r it", token.string());
    }
}

AdminServer::~AdminServer() {
    core_->ioc.stop();
    if (thread_.joinable()) thread_.join();
}

}  // namespace fanout::daemon
