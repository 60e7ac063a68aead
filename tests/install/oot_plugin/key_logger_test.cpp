// The out-of-tree plugin's unit test, built against the installed SDK's
// fanout/testing.hpp alone: the header is installed and needs no other library.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include <fanout/testing.hpp>

namespace oot {
extern const fanout::PluginDescriptor descriptor;
}

int main() {
    using namespace fanout::testing;
    const auto path = std::filesystem::temp_directory_path() / ("key_logger_test_" + std::to_string(::getpid()));
    FakeContext context("keys");
    const FakeOptions options(oot::descriptor.option_specs(), {{"path", path.string()}});
    auto plugin = oot::descriptor.create(options, context);
    BatchDriver driver(*plugin, 2);
    for (int v = 1; v <= 3; ++v) driver.publish({.type = "PostLikedEvent", .aggregate_id = "post-7", .version = v});
    driver.run();
    plugin.reset();
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    std::filesystem::remove(path);
    const std::string expected = "post-7 PostLikedEvent\npost-7 PostLikedEvent\npost-7 PostLikedEvent\n";
    if (text.str() != expected || driver.batches() != 2 || driver.position("post-events", 0) != 3) {
        std::fprintf(stderr, "key_logger_test: unexpected output:\n%s", text.str().c_str());
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
