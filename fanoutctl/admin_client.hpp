#pragma once
// What every fanoutctl command shares: the admin endpoint, the token, exit
// codes, the daemon's error messages and plain tables.
#include <httplib.h>
#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <vector>

namespace fanoutctl {

namespace exit_code {
constexpr int ok = 0;
constexpr int some_failed = 1;  ///< status: a plugin stopped; redrive: records could not be sent; rebuild: failed or refused
constexpr int usage = 64;
constexpr int no_such_plugin = 66;
constexpr int unavailable = 69;
constexpr int refused = 77;
}  // namespace exit_code

struct Admin {
    httplib::Client& client;
    std::string token_file;
    bool json = false;
};

/// `Authorization: Bearer <token>` from the token file; false (after saying
/// why on stderr) when the file cannot be read.
bool add_token(const Admin& admin, httplib::Headers& headers);

/// The daemon's message from an error body ({"message": ...} or
/// {"error": ...}), else the body.
std::string message_of(const std::string& body);

/// Say why a request failed (no answer, refused, or an error status) and
/// return the exit code for it. `plugin` names the plugin of a 404.
int failure(const Admin& admin, const httplib::Result& res, const std::string& plugin = {});

/// An answer of fanoutd: its JSON object, and its text as sent.
struct Answer {
    rapidjson::Document doc;
    std::string body;
};

/// GET or POST `path` with the token: the answer when its status is
/// `expected` and its body a JSON object, else nothing after saying why on
/// stderr, with the exit code in `rc` (failure(); `plugin` as there).
std::optional<Answer> request(const Admin& admin, bool post, const std::string& path, int expected, int& rc,
                              const std::string& plugin = {});

/// Member `key` of an object as a table cell: a string, yes/no, an integer;
/// "-" when absent, null or of another type.
std::string field_text(const rapidjson::Value& object, const char* key);

/// Columns padded to their widest cell.
void print_table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& rows);

/// `value` percent-encoded for a query string.
std::string query_encode(const std::string& value);

/// `dlq list|show|redrive`; `args` are the subcommand's parsed values.
struct DlqArgs {
    std::string plugin, reason, since, until, id;
    std::string partition, from_offset, to_offset, limit;
    bool dry_run = false, force = false;
};
int dlq_list(const Admin& admin, const DlqArgs& args);
int dlq_show(const Admin& admin, const DlqArgs& args);
int dlq_redrive(const Admin& admin, const DlqArgs& args);

/// `rebuild NAME` (start, then follow until the switch) and `rebuild status [NAME]`.
struct RebuildArgs {
    std::string plugin;
    bool no_wait = false;
};
int rebuild_start(const Admin& admin, const RebuildArgs& args);
int rebuild_status(const Admin& admin, const RebuildArgs& args);

}  // namespace fanoutctl
