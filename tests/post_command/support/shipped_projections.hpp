#pragma once
// The shipped projections (the sql_read_model and analytics plugins, the
// built .so files loaded by the daemon's own loader) over fresh databases,
// fed the records post-command's relay would publish for stored events:
// what the command side accepts, they must accept.
#include <memory>
#include <string>
#include <vector>

#include "event_store.hpp"
#include "test_database.hpp"

namespace fanout::test {

class PluginUnderTest;

class ShippedProjections {
public:
    explicit ShippedProjections(DbBackend backend);
    ~ShippedProjections();

    /// Hand `events` (in store order) to both plugins as one partition's
    /// records, in batches; returns every outcome that is not done, as
    /// "<plugin>: <type> v<version> of <post>: <reason>".
    std::vector<std::string> feed(const std::vector<post_command::StoredEvent>& events, std::size_t batch = 500);

private:
    TestDatabase read_db_, analytics_db_;
    std::unique_ptr<PluginUnderTest> read_model_;
    std::unique_ptr<PluginUnderTest> analytics_;
    std::int64_t offset_ = 0;
};

}  // namespace fanout::test
