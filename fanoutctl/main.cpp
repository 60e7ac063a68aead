// fanoutctl: the operator's command line for a running fanoutd, over its
// admin endpoint (admin.listen).
//
//   fanoutctl status                 every plugin: state, paused, degraded, lag, held partitions
//   fanoutctl pause NAME             hold one plugin (its partitions keep their positions)
//   fanoutctl resume NAME            let it go on after the last event it was handed
//   fanoutctl dlq list [selection]   dead letters: plugin, reason, time, source coordinates, redriven
//   fanoutctl dlq show P:O           one dead letter whole: headers, value, failure history
//   fanoutctl dlq redrive NAME [selection] [--dry-run] [--force]
//                                    send a plugin's dead letters to that plugin alone, once
//   fanoutctl rebuild NAME [--no-wait]
//                                    rebuild a SQL projection into a new generation of its
//                                    tables while the live one serves; follow it to the switch
//   fanoutctl rebuild status [NAME]  rebuilds: state, generation, progress, ETA
//
// --admin HOST:PORT (or FANOUT_ADMIN), --token-file FILE (or
// FANOUT_CONTROL_TOKEN_FILE) for the control verbs, --json for the daemon's
// JSON instead of a table. Exit codes: 0 done; 64 bad usage; 66 no such
// plugin; 69 the daemon cannot be reached or failed; 77 refused (no or a
// wrong token, or control verbs off); 1 `status` found a plugin that
// stopped, `dlq redrive` could not send some records, or the rebuild failed
// or fanoutd refused it (the message says why).
#include <httplib.h>
#include <rapidjson/document.h>

#include <CLI/CLI.hpp>

#include "admin_client.hpp"
#include "fanout/common/text.hpp"
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>


namespace {

using namespace fanoutctl;

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

/// The /plugins document as a table.
void print_plugins(const rapidjson::Document& doc) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : doc["plugins"].GetArray()) {
        rows.push_back({field_text(p, "name"), field_text(p, "state"), field_text(p, "paused"),
                        field_text(p, "degraded"), field_text(p, "lag"), field_text(p, "held"),
                        field_text(p, "group")});
    }
    print_table({"PLUGIN", "STATE", "PAUSED", "DEGRADED", "LAG", "HELD", "GROUP"}, rows);
}

int status(const Admin& admin) {
    const auto res = admin.client.Get("/plugins");
    if (!res || res->status != 200) return failure(admin, res);
    rapidjson::Document doc;
    doc.Parse(res->body.c_str(), res->body.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("plugins") || !doc["plugins"].IsArray()) {
        std::cerr << "fanoutctl: unexpected answer from /plugins\n";
        return exit_code::unavailable;
    }
    bool stopped = false;
    for (const auto& p : doc["plugins"].GetArray()) {
        if (field_text(p, "state") == "failed") stopped = true;
    }
    if (admin.json) {
        std::cout << res->body << '\n';
    } else {
        print_plugins(doc);
    }
    return stopped ? exit_code::some_failed : exit_code::ok;
}

int control(const Admin& admin, const std::string& verb, const std::string& plugin) {
    httplib::Headers headers;
    if (!add_token(admin, headers)) return exit_code::refused;
    const auto res = admin.client.Post("/plugins/" + plugin + "/" + verb, headers, "", "");
    if (!res || res->status != 200) return failure(admin, res, plugin);
    if (admin.json) {
        std::cout << res->body << '\n';
    } else {
        std::cout << (verb == "pause" ? "paused " : "resumed ") << plugin << '\n';
    }
    return exit_code::ok;
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
    DlqArgs dlq;
    CLI::App* dlq_app = app.add_subcommand("dlq", "dead letters: list, show, redrive");
    dlq_app->require_subcommand(1);
    const auto selection = [&](CLI::App* sub, bool plugin_option) {
        if (plugin_option) sub->add_option("--plugin", dlq.plugin, "only this plugin's dead letters");
        sub->add_option("--reason", dlq.reason, "only reasons matching this regular expression (ECMAScript)");
        sub->add_option("--since", dlq.since, "dead-lettered at or after: UTC time or a duration before now (2h)");
        sub->add_option("--until", dlq.until, "dead-lettered before: UTC time or a duration before now");
        sub->add_option("--partition", dlq.partition, "only this partition of the dead-letter topic");
        sub->add_option("--from-offset", dlq.from_offset, "first offset of the dead-letter topic");
        sub->add_option("--to-offset", dlq.to_offset, "last offset of the dead-letter topic (included)");
        sub->add_option("--limit", dlq.limit, "how many to print (list: 100; redrive --dry-run: 100)");
    };
    selection(dlq_app->add_subcommand("list", "the dead letters, oldest first per partition"), true);
    dlq_app->add_subcommand("show", "one dead letter whole: headers, value, failure history")
        ->add_option("id", dlq.id, "PARTITION:OFFSET in the dead-letter topic, as `dlq list` prints it")
        ->required();
    CLI::App* redrive = dlq_app->add_subcommand("redrive", "send a plugin's dead letters to that plugin again");
    redrive->add_option("plugin", plugin, "the plugin's name in fanoutd.yaml")->required();
    selection(redrive, false);
    redrive->add_flag("--dry-run", dlq.dry_run, "list what would be sent, send nothing");
    redrive->add_flag("--force", dlq.force, "send again what an earlier redrive sent already");
    RebuildArgs rebuild;
    CLI::App* rebuild_app = app.add_subcommand(
        "rebuild", "rebuild a SQL projection into a new generation while the live one serves, then switch to it");
    rebuild_app->add_option("plugin", rebuild.plugin, "the projection plugin's name in fanoutd.yaml");
    rebuild_app->add_flag("--no-wait", rebuild.no_wait, "return once fanoutd started the rebuild, do not follow it");
    rebuild_app->require_subcommand(0, 1);
    rebuild_app->fallthrough();  // `rebuild NAME --json`
    CLI::App* rebuild_status_app =
        rebuild_app->add_subcommand("status", "rebuilds running or finished since fanoutd started (or one plugin's)");
    rebuild_status_app->add_option("plugin", rebuild.plugin, "only this plugin's rebuild");
    rebuild_status_app->fallthrough();
    rebuild_app->footer(
        "`rebuild NAME` follows the rebuild until fanoutd switched readers to the new generation (exit 0) or the\n"
        "rebuild failed (exit 1), with its progress on stderr; Ctrl-C stops following, not the rebuild.");
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
    const std::string verb = app.get_subcommands().front()->get_name();
    // Reading the dead-letter topic may take the daemon up to its 120 s limit.
    client.set_read_timeout(verb == "dlq" ? 150 : 30);
    const Admin ctl{client, token_file, json};
    if (verb == "rebuild" && !rebuild_status_app->parsed() && rebuild.plugin.empty()) {
        std::cerr << "fanoutctl: rebuild: name the plugin to rebuild, or `rebuild status`\n";
        return exit_code::usage;
    }
    if (verb == "rebuild") plugin = rebuild.plugin;
    const bool names_plugin = verb == "pause" || verb == "resume" || (verb == "dlq" && redrive->parsed()) ||
                              (verb == "rebuild" && !plugin.empty());
    // Plugin names are letters, digits, '_' and '-' (fanoutd.yaml refuses others).
    if (names_plugin && (plugin.empty() || plugin.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                    "0123456789_-") != std::string::npos)) {
        std::cerr << "fanoutctl: '" << plugin << "' is not a plugin name (letters, digits, '_' and '-')\n";
        return exit_code::usage;
    }
    if (verb == "status") return status(ctl);
    if (verb == "rebuild") {
        return rebuild_status_app->parsed() ? rebuild_status(ctl, rebuild) : rebuild_start(ctl, rebuild);
    }
    if (verb == "dlq") {
        const std::string what = dlq_app->get_subcommands().front()->get_name();
        if (what == "list") return dlq_list(ctl, dlq);
        if (what == "show") return dlq_show(ctl, dlq);
        dlq.plugin = plugin;
        return dlq_redrive(ctl, dlq);
    }
    return control(ctl, verb, plugin);
}
