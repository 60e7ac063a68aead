// fanoutctl rebuild NAME | rebuild status [NAME]: a checkpointing SQL
// projection rebuilt into a new generation of its tables while the live one
// serves, followed until fanoutd switches readers to it.
#include <unistd.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "admin_client.hpp"

namespace fanoutctl {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto k_poll_interval = 1s;
/// How often the progress line is written when stderr is not a terminal.
constexpr auto k_log_interval = 5s;
/// How long a followed rebuild may go unseen (fanoutd restarting, say)
/// before fanoutctl gives up following it; the rebuild itself goes on.
constexpr auto k_unseen_limit = 30s;

/// 12345 -> "12,345".
std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

/// A whole number of events (or events/s, truncated) from member `key`; 0 when absent.
std::uint64_t count(const rapidjson::Value& r, const char* key) {
    if (!r.HasMember(key) || !r[key].IsNumber()) return 0;
    if (r[key].IsUint64()) return r[key].GetUint64();
    const double v = r[key].GetDouble();
    return v > 0 ? static_cast<std::uint64_t>(v) : 0;
}

std::optional<double> number(const rapidjson::Value& r, const char* key) {
    if (!r.HasMember(key) || !r[key].IsNumber()) return std::nullopt;
    return r[key].GetDouble();
}

/// 7 -> "7 s", 200 -> "3 min 20 s", 3900 -> "1 h 5 min".
std::string duration(double seconds) {
    const auto s = static_cast<long long>(std::llround(std::max(seconds, 0.0)));
    if (s < 60) return std::to_string(s) + " s";
    if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
    return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

std::string percent(const rapidjson::Value& r) {
    const double ratio = std::clamp(number(r, "progress").value_or(0.0), 0.0, 1.0);
    char out[16];
    std::snprintf(out, sizeof out, "%.1f%%", ratio * 100.0);
    return out;
}

std::string eta(const rapidjson::Value& r) {
    const std::optional<double> s = number(r, "etaSeconds");
    return s && field_text(r, "state") == "building" ? duration(*s) : "-";
}

/// `rebuilding read_model into generation 2: 24.7% (12,345 of 50,000 events, 5,300/s, ETA 7 s)`
std::string progress_line(const rapidjson::Value& r) {
    std::string line = "rebuilding " + field_text(r, "plugin") + " into generation " + field_text(r, "generation") +
                       ": " + percent(r) + " (" + grouped(count(r, "position")) + " of " + grouped(count(r, "end")) +
                       " events";
    if (const std::uint64_t rate = count(r, "eventsPerSecond"); rate > 0) line += ", " + grouped(rate) + "/s";
    if (const std::string e = eta(r); e != "-") line += ", ETA " + e;
    return line + ")";
}

/// The progress line on stderr: rewritten in place on a terminal, else one
/// line every k_log_interval.
class ProgressLine {
public:
    ProgressLine() : terminal_(isatty(STDERR_FILENO) == 1) {}

    void show(const rapidjson::Value& r) {
        if (terminal_) {
            std::cerr << '\r' << progress_line(r) << "\x1b[K" << std::flush;
            open_ = true;
        } else if (!last_ || Clock::now() - *last_ >= k_log_interval) {
            std::cerr << progress_line(r) << '\n';
            last_ = Clock::now();
        }
    }
    /// Ends a line rewritten in place, before anything else is written.
    void close() {
        if (open_) std::cerr << '\n';
        open_ = false;
    }

private:
    bool terminal_;
    bool open_ = false;
    std::optional<Clock::time_point> last_;
};

/// The end of a rebuild: the rebuild object (--json) or one human line; 0
/// once switched, 1 when it failed.
int finish(const Admin& admin, const rapidjson::Value& r, const std::string& body) {
    const bool switched = field_text(r, "state") == "switched";
    if (admin.json) {
        std::cout << body << '\n';
    } else if (switched) {
        std::cout << field_text(r, "plugin") << ": generation " << field_text(r, "generation") << " is live\n";
    }
    if (switched) return exit_code::ok;
    std::cerr << "fanoutctl: the rebuild of " << field_text(r, "plugin") << " into generation "
              << field_text(r, "generation") << " failed: " << field_text(r, "error") << '\n';
    return exit_code::some_failed;
}

/// GET the rebuild every k_poll_interval until it switched or failed.
int follow(const Admin& admin, const RebuildArgs& args, const rapidjson::Value& started) {
    const std::string path = "/plugins/" + args.plugin + "/rebuild";
    const std::string generation = field_text(started, "generation");
    ProgressLine progress;
    progress.show(started);
    auto seen = Clock::now();
    for (;;) {
        std::this_thread::sleep_for(k_poll_interval);
        httplib::Headers headers;
        if (!add_token(admin, headers)) return exit_code::refused;
        const httplib::Result res = admin.client.Get(path, headers);
        const bool in_grace = Clock::now() - seen < k_unseen_limit;
        // fanoutd restarting answers nothing, then "idle" until it resumed the rebuild.
        if (!res || res->status == 503) {
            if (in_grace) continue;
            progress.close();
            return failure(admin, res, args.plugin);
        }
        rapidjson::Document r;
        if (res->status == 200) r.Parse(res->body.c_str(), res->body.size());
        if (res->status != 200 || r.HasParseError() || !r.IsObject()) {
            progress.close();
            if (res->status != 200) return failure(admin, res, args.plugin);
            std::cerr << "fanoutctl: unexpected answer from " << path << '\n';
            return exit_code::unavailable;
        }
        if (field_text(r, "state") == "idle" || field_text(r, "generation") != generation) {
            if (in_grace && field_text(r, "state") == "idle") continue;
            progress.close();
            std::cerr << "fanoutctl: fanoutd no longer reports the rebuild of " << args.plugin << " into generation "
                      << generation << " (fanoutctl rebuild status " << args.plugin << ")\n";
            return exit_code::unavailable;
        }
        seen = Clock::now();
        progress.show(r);
        if (field_text(r, "state") != "building") {
            progress.close();
            return finish(admin, r, res->body);
        }
    }
}

}  // namespace

int rebuild_start(const Admin& admin, const RebuildArgs& args) {
    int rc = exit_code::ok;
    const auto started = request(admin, true, "/plugins/" + args.plugin + "/rebuild", 202, rc, args.plugin);
    if (!started) return rc;
    if (args.no_wait) {
        if (admin.json) {
            std::cout << started->body << '\n';
        } else {
            std::cout << "rebuilding " << args.plugin << " into generation " << field_text(started->doc, "generation")
                      << " (fanoutctl rebuild status " << args.plugin << " follows it)\n";
        }
        return exit_code::ok;
    }
    return follow(admin, args, started->doc);
}

int rebuild_status(const Admin& admin, const RebuildArgs& args) {
    int rc = exit_code::ok;
    const bool one = !args.plugin.empty();
    const auto answer =
        request(admin, false, one ? "/plugins/" + args.plugin + "/rebuild" : "/rebuilds", 200, rc, args.plugin);
    if (!answer) return rc;
    if (admin.json) {
        std::cout << answer->body << '\n';
        return exit_code::ok;
    }
    const rapidjson::Document& doc = answer->doc;
    if (!one && (!doc.HasMember("rebuilds") || !doc["rebuilds"].IsArray())) {
        std::cerr << "fanoutctl: unexpected answer from /rebuilds\n";
        return exit_code::unavailable;
    }
    std::vector<std::vector<std::string>> rows;
    const auto row = [&](const rapidjson::Value& r) {
        const bool idle = field_text(r, "state") == "idle";
        rows.push_back({field_text(r, "plugin"), field_text(r, "state"), idle ? "-" : field_text(r, "generation"),
                        idle ? "-" : percent(r), eta(r), field_text(r, "startedAt")});
    };
    if (one) {
        row(doc);
    } else {
        for (const auto& r : doc["rebuilds"].GetArray()) row(r);
    }
    print_table({"PLUGIN", "STATE", "GENERATION", "PROGRESS", "ETA", "STARTED"}, rows);
    return exit_code::ok;
}

}  // namespace fanoutctl
