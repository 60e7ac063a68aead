#include "postgres_schemas.hpp"

#include <cctype>
#include <iostream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <libpq-fe.h>

namespace fanout::bench {

PostgresSchemas::PostgresSchemas(std::string conninfo, std::string run_id)
    : conninfo_(std::move(conninfo)), run_id_(std::move(run_id)) {
    for (char& c : run_id_) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
}

PostgresSchemas::~PostgresSchemas() {
    for (const std::string& schema : made_) {
        try {
            exec("SET client_min_messages TO warning; DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (const std::exception& e) {
            std::cerr << "fanout_bench: " << e.what() << "\n";
        }
    }
}

std::string PostgresSchemas::fresh(const std::string& name) {
    if (conninfo_.empty()) throw std::runtime_error("a PostgreSQL scenario needs --pg CONNINFO");
    const std::string schema = "fanout_bench_" + run_id_ + "_" + name + "_" + std::to_string(made_.size());
    exec("CREATE SCHEMA " + schema);
    made_.push_back(schema);
    // The server's conninfo (URI or key=value) as key=value, with the schema.
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo_.c_str(), &error);
    if (options == nullptr) {
        const std::string message = error ? error : "out of memory";
        PQfreemem(error);
        throw std::runtime_error("--pg: " + message);
    }
    std::string out;
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        if (o->val == nullptr || std::string_view(o->keyword) == "options") continue;
        std::string value;
        for (const char* c = o->val; *c; ++c)
            value += (*c == '\'' || *c == '\\') ? std::string("\\") + *c : std::string(1, *c);
        out += std::string(o->keyword) + "='" + value + "' ";
    }
    PQconninfoFree(options);
    return out + "options='-c search_path=" + schema + "'";
}

void PostgresSchemas::exec(const std::string& sql) {
    PGconn* c = PQconnectdb(conninfo_.c_str());
    std::string error;
    if (PQstatus(c) != CONNECTION_OK) {
        error = PQerrorMessage(c);
    } else {
        PGresult* r = PQexec(c, sql.c_str());
        if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
        PQclear(r);
    }
    PQfinish(c);
    if (!error.empty()) throw std::runtime_error("--pg: " + sql + ": " + error);
}

}  // namespace fanout::bench
