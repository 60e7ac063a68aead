// ${file:PATH} in configuration values (fanout/common/config_expand.hpp); the
// ${NAME} forms are covered with fanoutd's configuration in
// tests/unit/daemon/env_expand_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "fanout/common/config_error.hpp"
#include "fanout/common/config_expand.hpp"
#include "fanout/common/config_yaml.hpp"

using namespace fanout::common;
namespace fs = std::filesystem;

namespace {

/// A fixed environment.
struct Environment {
    std::map<std::string, std::string> vars;
    std::optional<std::string> operator()(const std::string& name) const {
        const auto found = vars.find(name);
        return found == vars.end() ? std::nullopt : std::optional<std::string>(found->second);
    }
};
EnvironmentLookup env(std::map<std::string, std::string> vars) { return Environment{std::move(vars)}; }

class SecretFiles : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("fanout-config-expand-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path write(const std::string& name, const std::string& text) const {
        std::ofstream(dir_ / name, std::ios::binary) << text;
        return dir_ / name;
    }

    std::string error_of(const std::string& text, const EnvironmentLookup& lookup = env({})) const {
        try {
            expand_value(text, lookup);
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return "no error";
    }

    fs::path dir_;
};

}  // namespace

TEST_F(SecretFiles, AFileReferenceIsTheFilesTextWithoutItsLineEnd) {
    const fs::path file = write("pg-password", "s3cret pass\n");
    EXPECT_EQ(expand_value("${file:" + file.string() + "}", env({})), "s3cret pass");
    EXPECT_EQ(expand_value("password=${file:" + file.string() + "} sslmode=verify-full", env({})),
              "password=s3cret pass sslmode=verify-full");
}

TEST_F(SecretFiles, ThePathMayNameAVariableAsSystemdCredentialsDo) {
    write("token", "t0k3n");
    EXPECT_EQ(expand_value("${file:${CREDENTIALS_DIRECTORY}/token}", env({{"CREDENTIALS_DIRECTORY", dir_.string()}})),
              "t0k3n");
    EXPECT_EQ(expand_value("${file:${DIR:-" + dir_.string() + "}/token}", env({})), "t0k3n");
}

TEST_F(SecretFiles, AVariableNamedFileKeepsItsFallbackForm) {
    EXPECT_EQ(expand_value("${file:-fallback}", env({})), "fallback");
    EXPECT_EQ(expand_value("${file}", env({{"file", "f"}})), "f");
}

TEST_F(SecretFiles, TheSecretIsExpandedOnce) {
    const fs::path file = write("weird", "a$$b${HOME}c");
    EXPECT_EQ(expand_value("${file:" + file.string() + "}", env({{"HOME", "h"}})), "a$$b${HOME}c");
}

TEST_F(SecretFiles, AFileThatCannotServeIsAnErrorNamingItNeverItsContent) {
    const std::string missing = error_of("${file:" + (dir_ / "absent").string() + "}");
    EXPECT_NE(missing.find("secret file " + (dir_ / "absent").string() + " (from ${file:...}) cannot be read"),
              std::string::npos)
        << missing;
    EXPECT_NE(error_of("${file:" + dir_.string() + "}").find("is not a regular file"), std::string::npos);
    EXPECT_NE(error_of("${file:" + write("blank", " \n\t\n").string() + "}").find("holds nothing but spaces"),
              std::string::npos);
    const std::string big = error_of("${file:" + write("big", std::string(70'000, 'x')).string() + "}");
    EXPECT_NE(big.find("more than a secret's 65536"), std::string::npos) << big;
    EXPECT_EQ(big.find("xxxx"), std::string::npos) << big;
    EXPECT_NE(error_of("${file:}").find("the file name is empty"), std::string::npos);
    EXPECT_NE(error_of("${file:/x").find("unterminated secret file reference"), std::string::npos);
    EXPECT_NE(error_of("${file:${file:/etc/hostname}}").find("cannot itself be a ${file:...}"), std::string::npos);
    EXPECT_NE(error_of("${file:${UNSET}/x}").find("environment variable UNSET is not set"), std::string::npos);
}

TEST_F(SecretFiles, ARelativePathInAConfigurationIsRelativeToItsFile) {
    write("db-password", "from-the-file\n");
    const fs::path config = dir_ / "service.yaml";
    YAML::Node root = parse_config_yaml("database: \"password=${file:db-password} host=h\"\n", config);
    expand_environment(config, root, env({}));
    EXPECT_EQ(root["database"].Scalar(), "password=from-the-file host=h");
}

TEST_F(SecretFiles, AFailingReferenceIsAConfigErrorAtTheValue) {
    const fs::path config = dir_ / "service.yaml";
    YAML::Node root = parse_config_yaml("listen: x\ndatabase: ${file:absent}\n", config);
    try {
        expand_environment(config, root, env({}));
        FAIL() << "no error";
    } catch (const ConfigError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find(config.string() + ":2:11:"), std::string::npos) << what;
        EXPECT_NE(what.find((dir_ / "absent").string()), std::string::npos) << what;
    }
}
