#pragma once
// --pg: a fresh PostgreSQL schema per fanoutd run of a PostgreSQL scenario.
#include <string>
#include <vector>

namespace fanout::bench {

/// Makes the schemas on `conninfo` and drops them all when destroyed.
class PostgresSchemas {
public:
    PostgresSchemas(std::string conninfo, std::string run_id);
    ~PostgresSchemas();

    /// A new schema named after `name`; the libpq connection string (the
    /// server's conninfo as key=value) with it as the search path. Throws
    /// without a conninfo.
    std::string fresh(const std::string& name);

private:
    void exec(const std::string& sql);

    std::string conninfo_, run_id_;
    std::vector<std::string> made_;
};

}  // namespace fanout::bench
