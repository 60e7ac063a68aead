#include "admin_dead_letters.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "daemon.hpp"
#include "dead_letter_store.hpp"
#include "fanout/common/event_data.hpp"
#include "fanout/common/json_object.hpp"
#include "fanout/common/text.hpp"
#include "log.hpp"

namespace fanout::daemon {
namespace {

constexpr std::size_t k_default_list = 100;
constexpr std::size_t k_max_list = 10'000;
constexpr std::string_view k_list_path = "/dead-letters";

using Params = std::vector<std::pair<std::string, std::string>>;
using Answer = std::pair<unsigned, std::string>;

Params query_params(std::string_view target) {
    Params out;
    const auto q = target.find('?');
    if (q == std::string_view::npos) return out;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        out.emplace_back(common::percent_decode_lenient(pair.substr(0, eq), true),
                         eq == std::string_view::npos ? std::string()
                                                      : common::percent_decode_lenient(pair.substr(eq + 1), true));
    }
    return out;
}

std::string message(std::string_view text) {
    fanout::common::JsonBuffer buffer;
    common::JsonWriter w(buffer);
    w.StartObject();
    common::write_members(w, {{"message", text}});
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

bool flag(const Params& params, std::string_view name) {
    for (const auto& [n, v] : params) {
        if (n != name) continue;
        if (v.empty() || v == "true" || v == "1") return true;
        if (v == "false" || v == "0") return false;
        throw std::invalid_argument("parameter '" + n + "': expected true or false, found '" + v + "'");
    }
    return false;
}

std::size_t limit_of(const Params& params, std::size_t fallback) {
    for (const auto& [n, v] : params) {
        if (n != "limit") continue;
        const auto limit = common::parse_integer<std::size_t>(v);
        if (!limit || *limit > k_max_list) {
            throw std::invalid_argument("parameter 'limit': expected an integer from 0 to " +
                                        std::to_string(k_max_list) + ", found '" + v + "'");
        }
        return *limit;
    }
    return fallback;
}

void check_known(const Params& params, std::initializer_list<std::string_view> extra) {
    static constexpr std::string_view k_selection[] = {"plugin",      "reason",    "since", "until",
                                                       "partition",   "from_offset", "to_offset"};
    for (const auto& [n, v] : params) {
        const bool known = std::find(std::begin(k_selection), std::end(k_selection), n) != std::end(k_selection) ||
                           std::find(extra.begin(), extra.end(), n) != extra.end();
        if (!known) throw std::invalid_argument("unknown parameter '" + n + "'");
    }
}

std::string base64(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

/// Text as a JSON string when it is UTF-8, else base64 under `<name>Base64`.
void write_bytes(common::JsonWriter& w, const char* name, std::string_view bytes) {
    if (event_data::valid_utf8_without_nul(bytes)) {
        common::write_members(w, {{name, bytes}});
    } else {
        const std::string key = std::string(name) + "Base64";
        w.Key(key.c_str());
        const std::string encoded = base64(bytes);
        w.String(encoded.c_str(), static_cast<rapidjson::SizeType>(encoded.size()));
    }
}

void write_coordinates(common::JsonWriter& w, const char* key, const std::string& topic, std::string_view partition,
                       std::string_view offset) {
    w.Key(key);
    w.StartObject();
    common::write_members(w, {{"topic", topic},
                              {"partition", common::parse_integer<std::int64_t>(partition).value_or(-1)},
                              {"offset", common::parse_integer<std::int64_t>(offset).value_or(-1)}});
    w.EndObject();
}

void write_dead_letter(common::JsonWriter& w, const DeadLetter& d, const std::string& topic, bool whole) {
    w.StartObject();
    common::write_members(w, {{"id", d.id(topic)},
                              {"partition", d.partition},
                              {"offset", d.offset},
                              {"deadLetteredAt", format_utc_ms(d.timestamp_ms)},
                              {"plugin", d.plugin},
                              {"reason", d.reason},
                              {"attempts", d.attempts}});
    write_coordinates(w, "source", d.source_topic, std::to_string(d.source_partition), std::to_string(d.source_offset));
    if (const std::string* t = d.header("fanout.original.topic")) {
        const std::string* p = d.header("fanout.original.partition");
        const std::string* o = d.header("fanout.original.offset");
        write_coordinates(w, "original", *t, p != nullptr ? *p : "", o != nullptr ? *o : "");
    }
    write_bytes(w, "key", d.key);
    common::write_members(w, {{"valueBytes", d.value.size()}, {"truncated", d.truncated}, {"redriven", d.redriven}});
    if (whole) {
        write_bytes(w, "value", d.value);
        w.Key("headers");
        w.StartArray();
        for (const auto& [name, value] : d.headers) {
            w.StartObject();
            common::write_members(w, {{"name", name}});
            write_bytes(w, "value", value);
            w.EndObject();
        }
        w.EndArray();
        if (const std::string* h = d.header("fanout.history")) {
            rapidjson::Document history;
            history.Parse(h->c_str(), h->size());
            if (history.IsArray()) {
                w.Key("history");
                history.Accept(w);
            }
        }
    }
    w.EndObject();
}

std::string render(const std::function<void(common::JsonWriter&)>& members) {
    fanout::common::JsonBuffer buffer;
    common::JsonWriter w(buffer);
    w.StartObject();
    members(w);
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

Answer list(DeadLetterStore& store, const DaemonSettings& settings, const Params& params) {
    check_known(params, {"limit"});
    const DeadLetterSelection selection = parse_selection(params);
    const std::size_t limit = limit_of(params, k_default_list);
    // Which of them were redriven already, by the ledger of each plugin named.
    std::set<std::string> redriven;
    for (const PluginSettings& p : settings.plugins) {
        if (!selection.plugin.empty() && p.name != selection.plugin) continue;
        for (std::string& id : store.redriven(p.name)) redriven.insert(p.name + "|" + std::move(id));
    }
    std::vector<DeadLetter> shown;
    std::size_t matched = 0;
    const std::size_t scanned = store.scan(selection, [&](DeadLetter&& d) {
        ++matched;
        if (shown.size() < limit) {
            d.redriven = redriven.contains(d.plugin + "|" + d.id(settings.dead_letter_topic));
            d.value.clear();
            d.value.shrink_to_fit();
            shown.push_back(std::move(d));
        }
        return true;
    });
    return {200, render([&](common::JsonWriter& w) {
                common::write_members(w, {{"topic", settings.dead_letter_topic},
                                          {"scanned", scanned},
                                          {"matched", matched},
                                          {"shown", shown.size()}});
                w.Key("deadLetters");
                w.StartArray();
                for (const DeadLetter& d : shown) write_dead_letter(w, d, settings.dead_letter_topic, false);
                w.EndArray();
            })};
}

Answer show(DeadLetterStore& store, const DaemonSettings& settings, std::string_view rest) {
    const auto slash = rest.find('/');
    const auto partition = common::parse_integer<std::int32_t>(rest.substr(0, slash));
    const auto offset =
        slash == std::string_view::npos ? std::nullopt : common::parse_integer<std::int64_t>(rest.substr(slash + 1));
    if (!partition || !offset || *partition < 0 || *offset < 0) {
        return {400, message("expected /dead-letters/PARTITION/OFFSET with two non-negative integers")};
    }
    std::optional<DeadLetter> d = store.get(*partition, *offset);
    if (!d) return {404, message("no dead letter at partition " + std::to_string(*partition) + " offset " +
                                 std::to_string(*offset) + " of " + settings.dead_letter_topic)};
    for (const std::string& id : store.redriven(d->plugin)) d->redriven |= id == d->id(settings.dead_letter_topic);
    return {200, render([&](common::JsonWriter& w) {
                w.Key("deadLetter");
                write_dead_letter(w, *d, settings.dead_letter_topic, true);
            })};
}

Answer redrive(Daemon& daemon, DeadLetterStore& store, const DaemonSettings& settings, const std::string& plugin,
               Params params) {
    check_known(params, {"dry_run", "force", "limit"});
    if (std::none_of(settings.plugins.begin(), settings.plugins.end(),
                     [&](const PluginSettings& p) { return p.name == plugin; })) {
        return {404, message("no such plugin: " + plugin)};
    }
    const bool dry_run = flag(params, "dry_run"), force = flag(params, "force");
    const std::size_t limit = limit_of(params, dry_run ? k_default_list : 0);
    std::erase_if(params, [](const auto& p) { return p.first == "plugin"; });
    DeadLetterSelection selection = parse_selection(params);
    selection.plugin = plugin;
    const RedriveReport r = store.redrive(selection, dry_run, force, limit);
    if (!dry_run && r.sent > 0) {
        daemon.metrics().counter(plugin, "dead_letters_redriven").add(r.sent);
        daemon.follow_redrive(plugin);
    }
    log().info("admin: redrive to {}{}: matched={} sent={} already_redriven={} unavailable={} topic={}", plugin,
               dry_run ? " (dry run)" : "", r.matched, r.sent, r.already, r.unavailable, r.topic);
    return {200, render([&](common::JsonWriter& w) {
                common::write_members(w, {{"plugin", plugin},
                                          {"topic", r.topic},
                                          {"dryRun", dry_run},
                                          {"force", force},
                                          {"scanned", r.scanned},
                                          {"matched", r.matched},
                                          {"alreadyRedriven", r.already},
                                          {"unavailable", r.unavailable},
                                          {"sent", r.sent},
                                          {"wouldSend", dry_run ? r.matched - r.already - r.unavailable : 0}});
                w.Key("deadLetters");
                w.StartArray();
                for (const DeadLetter& d : r.listed) write_dead_letter(w, d, settings.dead_letter_topic, false);
                w.EndArray();
            })};
}

}  // namespace

bool DeadLetterJobs::handles(std::string_view path, bool post) {
    if (path == k_list_path || path.starts_with("/dead-letters/")) return true;
    if (post && path.starts_with("/plugins/") && path.ends_with("/rebuild") &&
        path.size() > std::string_view("/plugins//rebuild").size()) {
        return true;
    }
    return path.starts_with("/plugins/") && path.ends_with("/redrive") &&
           path.size() > std::string_view("/plugins//redrive").size();
}

std::pair<unsigned, std::string> DeadLetterJobs::answer(Daemon& daemon, bool post, std::string_view target,
                                                        const std::atomic<bool>& cancel) {
    const std::string_view path = target.substr(0, target.find('?'));
    const bool redriving = path.starts_with("/plugins/");
    if (redriving != post) return {405, message(redriving ? "only POST" : "only GET")};
    if (path.ends_with("/rebuild")) {
        return daemon.start_rebuild(std::string(path.substr(9, path.size() - 9 - std::string_view("/rebuild").size())));
    }
    try {
        const std::shared_ptr<const DaemonSettings> settings = daemon.settings();
        DeadLetterStore store(*settings, cancel);
        if (redriving) {
            const std::string plugin(path.substr(9, path.size() - 9 - std::string_view("/redrive").size()));
            return redrive(daemon, store, *settings, plugin, query_params(target));
        }
        if (path == k_list_path) return list(store, *settings, query_params(target));
        return show(store, *settings, path.substr(k_list_path.size() + 1));
    } catch (const std::invalid_argument& e) {
        return {400, message(e.what())};
    } catch (const DeadLetterError& e) {
        return {503, message(e.what())};
    } catch (const std::exception& e) {
        log().error("admin: {} failed: {}", std::string(path), e.what());
        return {500, message(std::string("failed: ") + e.what())};
    }
}

DeadLetterJobs::DeadLetterJobs(Daemon& daemon) : daemon_(daemon), worker_([this] { work(); }) {}

DeadLetterJobs::~DeadLetterJobs() {
    {
        std::lock_guard lock(mutex_);
        stopping_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    worker_.join();
}

bool DeadLetterJobs::submit(bool post, std::string target, Done done) {
    {
        std::lock_guard lock(mutex_);
        if (jobs_.size() + (busy_ ? 1 : 0) >= 2) return false;
        jobs_.push_back({post, std::move(target), std::move(done)});
    }
    wake_.notify_one();
    return true;
}

void DeadLetterJobs::work() {
    std::unique_lock lock(mutex_);
    while (true) {
        wake_.wait(lock, [&] { return stopping_.load(std::memory_order_acquire) || !jobs_.empty(); });
        if (stopping_.load(std::memory_order_acquire)) return;
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        busy_ = true;
        lock.unlock();
        auto [status, body] = answer(daemon_, job.post, job.target, stopping_);
        job.done(status, std::move(body));
        lock.lock();
        busy_ = false;
    }
}

}  // namespace fanout::daemon
