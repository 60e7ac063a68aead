// Database connection strings (fanout/common/connection_string.hpp), the one
// parser of fanoutd's plugins and both services: any text parses or is
// refused with a message; what parses survives the trip through the string
// handed to SOCI, and redaction never throws.
#include <string>

#include "fanout/common/connection_string.hpp"
#include "text_target.hpp"

namespace common = fanout::common;
using fanout::fuzz::check;

void fanout::fuzz::fuzz_text(std::string_view text) {
    (void)common::redact_connection_string(text);

    common::ConnectionString parsed;
    try {
        parsed = common::parse_connection_string(text);
    } catch (const common::ConnectionStringError& e) {
        check(e.what()[0] != '\0', "a refused connection string says why");
        return;
    }
    (void)parsed.display();
    const std::string soci = parsed.soci_connect_string();
    if (parsed.is_sqlite()) {
        check(!parsed.path.empty(), "a SQLite connection names a file", text);
        return;
    }
    // The PostgreSQL URL made for SOCI means the same parameters.
    common::ConnectionString again;
    try {
        again = common::parse_connection_string(soci);
    } catch (const common::ConnectionStringError& e) {
        check(false, "the SOCI form of a parsed connection string parses again", soci + "\n" + e.what());
    }
    check(again.is_postgresql() && again.parameters == parsed.parameters,
          "the SOCI form keeps every PostgreSQL parameter", soci);
    if (const std::string* password = parsed.parameter("password"); password != nullptr && password->size() >= 6) {
        // The rest of the display may happen to hold the password's text
        // (`dbname=p@ss`, `port=15432` beside `password==15432`), and so may
        // the masked entry itself (`password=***` holds "assword"): it must
        // not appear more often than in the display without the password
        // plus the display of the masked password alone.
        common::ConnectionString without = parsed;
        std::erase_if(without.parameters, [](const auto& p) { return p.first == "password"; });
        common::ConnectionString masked_alone = parsed;
        std::erase_if(masked_alone.parameters, [](const auto& p) { return p.first != "password"; });
        const auto count = [&](const std::string& text) {
            std::size_t n = 0;
            for (auto at = text.find(*password); at != std::string::npos; at = text.find(*password, at + 1)) ++n;
            return n;
        };
        check(count(parsed.display()) <= count(without.display()) + count(masked_alone.display()),
              "display() hides the password", parsed.display());
    }
}
