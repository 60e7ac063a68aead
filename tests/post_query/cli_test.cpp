// post-query's command line and YAML file: located errors with EX_CONFIG (78),
// usage errors with EX_USAGE (64), flags over the file.
#include <regex>

#include "api_fixture.hpp"

namespace fanout::test {
namespace {

using namespace std::chrono_literals;

std::string post_query() { return (bin_dir() / "post-query").string(); }

TEST(PostQueryCli, HelpAndVersionExitZero) {
    const auto help = run_command({post_query(), "--help"});
    EXPECT_EQ(help.exit_code, 0) << help.output;
    for (const char* flag :
         {"--config", "--listen", "--database", "--read-model-component", "--threads", "--pool-size", "--migrate"}) {
        EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
    }
    const auto version = run_command({post_query(), "--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.output.rfind("post-query ", 0), 0u) << version.output;
}

TEST(PostQueryCli, UsageErrorsExit64) {
    EXPECT_EQ(run_command({post_query()}).exit_code, 64);  // no database
    EXPECT_EQ(run_command({post_query(), "--bogus"}).exit_code, 64);
    EXPECT_EQ(run_command({post_query(), "--database", "sqlite:/tmp/x.db", "--listen", "nope"}).exit_code, 64);
    EXPECT_EQ(run_command({post_query(), "--database", "sqlite:/tmp/x.db", "--listen", "127.0.0.1:70000"}).exit_code,
              64);
    EXPECT_EQ(run_command({post_query(), "--database", "sqlite:/tmp/x.db", "--threads", "0"}).exit_code, 64);
    EXPECT_EQ(run_command({post_query(), "--database", "sqlite:"}).exit_code, 64);
    const auto component =
        run_command({post_query(), "--database", "sqlite:/tmp/x.db", "--read-model-component", "read_model;x"});
    EXPECT_EQ(component.exit_code, 64);
    EXPECT_NE(component.output.find("--read-model-component: expected letters, digits and '_' only"), std::string::npos)
        << component.output;
}

struct BadFile {
    std::string yaml;
    std::string expected;  ///< after "<file>:"
};

TEST(PostQueryCli, BadConfigFilesAreLocatedConfigErrors) {
    TempDir dir;
    const std::vector<BadFile> cases = {
        {"listen: [127.0.0.1\ndatabase: x\n", R"(\d+:\d+: \S)"},
        {"database: sqlite:/tmp/x.db\nthreads: 4\nlisten_port: 1\n", "3:1: unknown key 'listen_port'"},
        {"database: sqlite:/tmp/x.db\nthreads: 0\n", "2:10: 'threads': expected an integer in \\[1, 256\\]"},
        {"database: sqlite:/tmp/x.db\npool_size: many\n", "2:12: 'pool_size'"},
        {"database: sqlite:/tmp/x.db\nlisten: nowhere\n", "2:9: 'listen': expected HOST:PORT"},
        {"database: [a, b]\n", "1:11: 'database': expected a non-empty string"},
        {"- just\n- a list\n", "1:1: expected a mapping"},
        {"threads: 2\n", " missing required key 'database'"},
    };
    for (const auto& c : cases) {
        const auto file = dir.write("post-query.yaml", c.yaml);
        const auto r = run_command({post_query(), "--config", file.string()});
        EXPECT_EQ(r.exit_code, 78) << c.yaml << r.output;
        EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(post-query\.yaml:)" + c.expected)))
            << "yaml:\n"
            << c.yaml << "output: " << r.output;
    }
    const auto missing = run_command({post_query(), "--config", (dir / "absent.yaml").string()});
    EXPECT_EQ(missing.exit_code, 78) << missing.output;
    EXPECT_NE(missing.output.find("absent.yaml: the file cannot be opened: No such file or directory"), std::string::npos) << missing.output;
}

TEST(PostQueryCli, AConfigFileAloneServesWithPathsRelativeToIt) {
    TempDir dir;
    ReadModelDb db(TestBackend::sqlite, dir.path());  // dir/read-model.db
    db.migrate();
    const auto file =
        dir.write("post-query.yaml", "listen: 127.0.0.1:0\ndatabase: sqlite:read-model.db\nthreads: 3\npool_size: 2\n");
    PostQueryProcess process({"--config", file.string(), "--log-format", "plain"}, dir / "post-query.log");
    ASSERT_TRUE(process.start());
    EXPECT_EQ(ApiClient(process.port()).get("/readyz").status, 200) << process.log();
    EXPECT_NE(process.log().find("threads=3 pool_size=2"), std::string::npos) << process.log();
}

TEST(PostQueryCli, FlagsOverrideTheFile) {
    TempDir dir;
    ReadModelDb db(TestBackend::sqlite, dir.path());
    db.migrate();
    const auto file = dir.write("post-query.yaml", "listen: 127.0.0.1:1\ndatabase: sqlite:elsewhere.db\n");
    PostQueryProcess process(
        {"--config", file.string(), "--listen", "127.0.0.1:0", "--database", db.connection(), "--log-format", "plain"},
        dir / "post-query.log");
    ASSERT_TRUE(process.start());
    EXPECT_NE(process.port(), 1);
    EXPECT_EQ(ApiClient(process.port()).get("/readyz").status, 200) << process.log();
    EXPECT_FALSE(std::filesystem::exists(dir / "elsewhere.db"));
}

TEST(PostQueryCli, APortInUseExits69) {
    TempDir dir;
    PostQueryProcess first(serve_args("sqlite:" + (dir / "x.db").string()), dir / "first.log");
    ASSERT_TRUE(first.start());
    const auto r = run_command({post_query(), "--database", "sqlite:" + (dir / "x.db").string(), "--listen",
                                "127.0.0.1:" + std::to_string(first.port())},
                               20s);
    EXPECT_EQ(r.exit_code, 69) << r.output;
    EXPECT_NE(r.output.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())), std::string::npos)
        << r.output;
}

}  // namespace
}  // namespace fanout::test
