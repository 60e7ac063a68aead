// fanoutctl: the operator's command line for a running fanoutd, over its
// admin endpoint (admin.listen).
//
//   fanoutctl status                 every plugin: state, paused, degraded, lag, held partitions
//   fanoutctl pause NAME             hold one plugin (its partitions keep their positions)
//   fanoutctl resume NAME            let it go on after the last event it was handed
//
// --admin HOST:PORT (or FANOUT_ADMIN), --token-file FILE (or
// FANOUT_CONTROL_TOKEN_FILE) for the control verbs, --json for the daemon's
// JSON instead of a table. Exit codes: 0 done; 64 bad usage; 66 no such
// plugin; 69 the daemon cannot be reached or failed; 77 refused (no or a
// wrong token, or control verbs off); 1 `status` found a plugin that stopped.
#include <httplib.h>
#include <rapidjson/document.h>

#include <CLI/CLI.hpp>

#include "fanout/common/text.hpp"
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>


namespace {

namespace exit_code {
constexpr int ok = 0;
constexpr int plugin_stopped = 1;
constexpr int usage = 64;
constexpr int no_such_plugin = 66;
constexpr int unavailable = 69;
constexpr int refused = 77;
}  // namespace exit_code

struct Target {
    std::string host = "127.0.0.1";
    int port = 9464;
};

std::optional<Target> parse_admin(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return std::nullopt;
    Target t;
    t.host = text.substr(0, colon);
    if (t.host.size() >= 2 && t.host.front() == '[' && t.host.back() == ']') t.host = t.host.substr(1, t.host.size() - 2);
    const std::optional<int> port = fanout::common::parse_integer<int>(std::string_view(text).substr(colon + 1));
    if (!port || *port <= 0 || *port > 65535) return std::nullopt;
    t.port = *port;
    return t;
}

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

/// The daemon's message from an error body ({"message": ...}), else the body.
std::string message_of(const std::string& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (!d.HasParseError() && d.IsObject() && d.HasMember("message") && d["message"].IsString()) {
        return d["message"].GetString();
    }
    return body;
}

std::string cell(const rapidjson::Value& plugin, const char* key) {
    if (!plugin.HasMember(key)) return "-";
    const rapidjson::Value& v = plugin[key];
    if (v.IsString()) return v.GetString();
    if (v.IsBool()) return v.GetBool() ? "yes" : "no";
    if (v.IsInt64()) return std::to_string(v.GetInt64());
    return "-";
}

/// The /plugins document as a table; returns whether a plugin stopped.
bool print_table(const rapidjson::Document& doc) {
    const std::vector<std::string> headers = {"PLUGIN", "STATE", "PAUSED", "DEGRADED", "LAG", "HELD", "GROUP"};
    std::vector<std::vector<std::string>> rows;
    bool stopped = false;
    for (const auto& p : doc["plugins"].GetArray()) {
        rows.push_back({cell(p, "name"), cell(p, "state"), cell(p, "paused"), cell(p, "degraded"), cell(p, "lag"),
                        cell(p, "held"), cell(p, "group")});
        if (cell(p, "state") == "failed") stopped = true;
    }
    std::vector<std::size_t> width(headers.size());
    for (std::size_t c = 0; c < headers.size(); ++c) {
        width[c] = headers[c].size();
        for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
    }
    const auto line = [&](const std::vector<std::string>& r) {
        for (std::size_t c = 0; c < r.size(); ++c) {
            std::cout << r[c];
            if (c + 1 < r.size()) std::cout << std::string(width[c] - r[c].size() + 2, ' ');
        }
        std::cout << '\n';
    };
    line(headers);
    for (const auto& r : rows) line(r);
    return stopped;
}

int status(httplib::Client& client, bool json) {
    const auto res = client.Get("/plugins");
    if (!res) {
        std::cerr << "fanoutctl: cannot reach fanoutd's admin endpoint: " << httplib::to_string(res.error()) << '\n';
        return exit_code::unavailable;
    }
    if (res->status != 200) {
        std::cerr << "fanoutctl: fanoutd answered " << res->status << ": " << message_of(res->body) << '\n';
        return exit_code::unavailable;
    }
    rapidjson::Document doc;
    doc.Parse(res->body.c_str(), res->body.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("plugins") || !doc["plugins"].IsArray()) {
        std::cerr << "fanoutctl: unexpected answer from /plugins\n";
        return exit_code::unavailable;
    }
    bool stopped = false;
    for (const auto& p : doc["plugins"].GetArray()) {
        if (cell(p, "state") == "failed") stopped = true;
    }
    if (json) {
        std::cout << res->body << '\n';
    } else {
        print_table(doc);
    }
    return stopped ? exit_code::plugin_stopped : exit_code::ok;
}

int control(httplib::Client& client, const std::string& verb, const std::string& plugin, const std::string& token_file,
            bool json) {
    httplib::Headers headers;
    if (!token_file.empty()) {
        const std::optional<std::string> token = fanout::common::read_secret_file(token_file);
        if (!token) {
            std::cerr << "fanoutctl: cannot read a token from " << token_file << '\n';
            return exit_code::refused;
        }
        headers.emplace("Authorization", "Bearer " + *token);
    }
    const auto res = client.Post("/plugins/" + plugin + "/" + verb, headers, "", "");
    if (!res) {
        std::cerr << "fanoutctl: cannot reach fanoutd's admin endpoint: " << httplib::to_string(res.error()) << '\n';
        return exit_code::unavailable;
    }
    switch (res->status) {
        case 200:
            if (json) {
                std::cout << res->body << '\n';
            } else {
                std::cout << (verb == "pause" ? "paused " : "resumed ") << plugin << '\n';
            }
            return exit_code::ok;
        case 401:
        case 403:
            std::cerr << "fanoutctl: refused: " << message_of(res->body)
                      << (token_file.empty() ? " (give --token-file or FANOUT_CONTROL_TOKEN_FILE)" : "") << '\n';
            return exit_code::refused;
        case 404:
            std::cerr << "fanoutctl: no plugin named '" << plugin << "' runs in this fanoutd\n";
            return exit_code::no_such_plugin;
        default: break;
    }
    std::cerr << "fanoutctl: fanoutd answered " << res->status << ": " << message_of(res->body) << '\n';
    return exit_code::unavailable;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"fanoutctl: status and control of a running fanoutd (its admin endpoint)"};
    app.require_subcommand(1);
    std::string admin = env_or("FANOUT_ADMIN", "127.0.0.1:9464");
    std::string token_file = env_or("FANOUT_CONTROL_TOKEN_FILE", "");
    bool json = false;
    app.add_option("--admin", admin, "fanoutd's admin.listen, HOST:PORT (FANOUT_ADMIN)");
    app.add_option("--token-file", token_file, "file with the control token (FANOUT_CONTROL_TOKEN_FILE)");
    app.add_flag("--json", json, "print fanoutd's JSON instead of a table");
    app.add_subcommand("status", "every plugin: state, paused, degraded, lag, held partitions");
    std::string plugin;
    app.add_subcommand("pause", "hold a plugin: its partitions keep their positions, the others go on")
        ->add_option("plugin", plugin, "the plugin's name in fanoutd.yaml")
        ->required();
    app.add_subcommand("resume", "let a paused plugin go on where it stopped")
        ->add_option("plugin", plugin, "the plugin's name in fanoutd.yaml")
        ->required();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? exit_code::ok : exit_code::usage;
    }
    const std::optional<Target> target = parse_admin(admin);
    if (!target) {
        std::cerr << "fanoutctl: --admin: expected HOST:PORT, got '" << admin << "'\n";
        return exit_code::usage;
    }
    httplib::Client client(target->host, target->port);
    client.set_connection_timeout(5);
    client.set_read_timeout(30);
    const std::string verb = app.get_subcommands().front()->get_name();
    // Plugin names are letters, digits, '_' and '-' (fanoutd.yaml refuses others).
    if (verb != "status" && (plugin.empty() || plugin.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                         "0123456789_-") != std::string::npos)) {
        std::cerr << "fanoutctl: '" << plugin << "' is not a plugin name (letters, digits, '_' and '-')\n";
        return exit_code::usage;
    }
    if (verb == "status") return status(client, json);
    return control(client, verb, plugin, token_file, json);
}
