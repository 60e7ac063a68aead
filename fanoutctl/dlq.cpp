// fanoutctl dlq list|show|redrive: a plugin's dead letters, and sending them
// to that plugin again once its fault is fixed.
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <optional>

#include "admin_client.hpp"
#include "fanout/common/text.hpp"
#include "fanout/common/json_object.hpp"

namespace fanoutctl {
namespace {

constexpr std::size_t k_reason_column = 60;

/// `--since 2h` and friends: a duration before now as a UTC time; a time
/// given as such passes unchanged (the daemon checks it).
std::optional<std::string> absolute_time(const std::string& text) {
    if (text.empty()) return text;
    const char unit = text.back();
    const auto n = fanout::common::parse_integer<long long>(std::string_view(text).substr(0, text.size() - 1));
    const long long scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
    if (!n || scale == 0) return text.find('T') != std::string::npos ? std::optional(text) : std::nullopt;
    const std::time_t at = std::time(nullptr) - static_cast<std::time_t>(*n * scale);
    std::tm tm{};
    gmtime_r(&at, &tm);
    char out[32];
    std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(out);
}

/// The selection as a query string ("" or "?a=b&...").
std::optional<std::string> query(const DlqArgs& a, bool with_plugin) {
    std::string q;
    auto add = [&](const char* name, const std::string& value) {
        if (value.empty()) return;
        q += (q.empty() ? "?" : "&") + std::string(name) + "=" + query_encode(value);
    };
    const auto since = absolute_time(a.since), until = absolute_time(a.until);
    if (!since || !until) {
        std::cerr << "fanoutctl: --since/--until: expected a UTC time (2026-12-05T10:00:00Z) or a duration before now "
                     "(90s, 30m, 2h, 7d)\n";
        return std::nullopt;
    }
    if (with_plugin) add("plugin", a.plugin);
    add("reason", a.reason);
    add("since", *since);
    add("until", *until);
    add("partition", a.partition);
    add("from_offset", a.from_offset);
    add("to_offset", a.to_offset);
    add("limit", a.limit);
    if (a.dry_run) add("dry_run", "true");
    if (a.force) add("force", "true");
    return q;
}

std::string coordinates(const rapidjson::Value& d, const char* key) {
    if (!d.HasMember(key)) return "-";
    const rapidjson::Value& c = d[key];
    return field_text(c, "topic") + ":" + field_text(c, "partition") + ":" + field_text(c, "offset");
}

std::string one_line(std::string s, std::size_t max) {
    for (char& c : s) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    return s.size() > max ? s.substr(0, max - 3) + "..." : s;
}

void print_dead_letters(const rapidjson::Value& list) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : list.GetArray()) {
        rows.push_back({field_text(d, "partition") + ":" + field_text(d, "offset"), field_text(d, "deadLetteredAt"), field_text(d, "plugin"),
                        field_text(d, "attempts"), coordinates(d, "source"), field_text(d, "redriven"),
                        one_line(field_text(d, "reason"), k_reason_column)});
    }
    print_table({"DEAD LETTER", "AT", "PLUGIN", "ATTEMPTS", "SOURCE", "REDRIVEN", "REASON"}, rows);
}

/// GET or POST `path`: the parsed body of a 200 (printed as it came with
/// --json), else nothing (after saying why).
std::optional<rapidjson::Document> call(const Admin& admin, bool post, const std::string& path, int& rc,
                                        const std::string& plugin = {}) {
    std::optional<Answer> answer = request(admin, post, path, 200, rc, plugin);
    if (!answer) return std::nullopt;
    if (admin.json) std::cout << answer->body << '\n';
    return std::move(answer->doc);
}

}  // namespace

int dlq_list(const Admin& admin, const DlqArgs& args) {
    const std::optional<std::string> q = query(args, true);
    if (!q) return exit_code::usage;
    int rc = exit_code::ok;
    const auto doc = call(admin, false, "/dead-letters" + *q, rc);
    if (!doc || admin.json) return rc;
    print_dead_letters((*doc)["deadLetters"]);
    std::cout << field_text(*doc, "shown") << " of " << field_text(*doc, "matched") << " matching dead letters shown ("
              << field_text(*doc, "scanned") << " read from " << field_text(*doc, "topic") << ")\n";
    return rc;
}

int dlq_show(const Admin& admin, const DlqArgs& args) {
    const auto colon = args.id.rfind(':');
    const auto partition = fanout::common::parse_integer<int>(std::string_view(args.id).substr(0, colon));
    const auto offset = colon == std::string::npos
                            ? std::nullopt
                            : fanout::common::parse_integer<long long>(std::string_view(args.id).substr(colon + 1));
    if (!partition || !offset) {
        std::cerr << "fanoutctl: expected PARTITION:OFFSET of the dead-letter topic (as `dlq list` shows), got '"
                  << args.id << "'\n";
        return exit_code::usage;
    }
    int rc = exit_code::ok;
    const auto doc = call(admin, false, "/dead-letters/" + std::to_string(*partition) + "/" + std::to_string(*offset), rc);
    if (!doc || admin.json) return rc;
    const rapidjson::Value& d = (*doc)["deadLetter"];
    const auto row = [](const char* name, const std::string& value) {
        std::cout << name << std::string(15 - std::string_view(name).size(), ' ') << value << '\n';
    };
    row("dead letter", field_text(d, "id"));
    row("at", field_text(d, "deadLetteredAt"));
    row("plugin", field_text(d, "plugin"));
    row("reason", field_text(d, "reason"));
    row("attempts", field_text(d, "attempts"));
    row("source", coordinates(d, "source"));
    if (d.HasMember("original")) row("original", coordinates(d, "original"));
    row("redriven", field_text(d, "redriven"));
    row("truncated", field_text(d, "truncated"));
    row("key", d.HasMember("key") ? field_text(d, "key") : "(base64) " + field_text(d, "keyBase64"));
    for (const auto& h : d["headers"].GetArray()) {
        row("header", field_text(h, "name") + ": " + (h.HasMember("value") ? field_text(h, "value") : "(base64) " + field_text(h, "valueBase64")));
    }
    if (d.HasMember("history")) {
        fanout::common::JsonBuffer buffer;
        rapidjson::PrettyWriter<fanout::common::JsonBuffer> w(buffer);
        d["history"].Accept(w);
        row("history", buffer.GetString());
    }
    row("value", d.HasMember("value") ? field_text(d, "value") : "(base64) " + field_text(d, "valueBase64"));
    return rc;
}

int dlq_redrive(const Admin& admin, const DlqArgs& args) {
    const std::optional<std::string> q = query(args, false);
    if (!q) return exit_code::usage;
    if (!admin.json && !args.dry_run) std::cerr << "redriving the dead letters of " << args.plugin << "...\n";
    int rc = exit_code::ok;
    const auto doc = call(admin, true, "/plugins/" + args.plugin + "/redrive" + *q, rc, args.plugin);
    if (!doc) return rc;
    const std::size_t unavailable = (*doc)["unavailable"].GetUint64();
    if (!admin.json) {
        if (args.dry_run) {
            std::cout << "dry run: would redrive " << field_text(*doc, "wouldSend") << " dead letters to " << args.plugin
                      << " through " << field_text(*doc, "topic") << '\n';
            print_dead_letters((*doc)["deadLetters"]);
        } else {
            std::cout << "redriven " << field_text(*doc, "sent") << " dead letters to " << args.plugin << " through "
                      << field_text(*doc, "topic") << '\n';
        }
        std::cout << "matched " << field_text(*doc, "matched") << ", already redriven " << field_text(*doc, "alreadyRedriven")
                  << (args.force ? " (forced: sent again)" : " (skipped; --force sends them again)")
                  << ", unavailable " << unavailable
                  << (unavailable > 0 ? " (truncated dead letters whose source records are no longer retained)" : "")
                  << '\n';
    }
    return unavailable > 0 ? exit_code::some_failed : exit_code::ok;
}

}  // namespace fanoutctl
