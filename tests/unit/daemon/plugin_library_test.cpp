// Loading plugin libraries: the real example plugin, and every way a file
// can fail to be one.
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "plugin_library.hpp"
#include "process.hpp"

using fanout::daemon::PluginLibrary;
using fanout::daemon::PluginLoadError;
using fanout::test::lib_dir;

namespace {
std::string load_error(const std::filesystem::path& path) {
    try {
        PluginLibrary::load(path);
    } catch (const PluginLoadError& e) {
        return e.what();
    }
    return "no error";
}
}  // namespace

TEST(PluginLibrary, LoadsTheExamplePluginAndItsSchema) {
    auto lib = PluginLibrary::load(lib_dir() / "libfanout_example.so");
    const auto& d = lib->descriptor();
    EXPECT_STREQ(d.name, "example");
    EXPECT_EQ(d.abi_version, fanout::k_abi_version);
    ASSERT_EQ(d.option_specs().size(), 2u);
    EXPECT_STREQ(d.option_specs()[0].key, "path");
    EXPECT_EQ(d.option_specs()[0].default_value, nullptr);
}

TEST(PluginLibrary, MissingFileIsReported) {
    EXPECT_EQ(load_error("/nonexistent/libx.so"), "plugin library not found: /nonexistent/libx.so");
}

/// A test library the loader refuses, and what its message says.
struct RefusedLibrary {
    const char* name;
    const char* library;  ///< in build/lib
    std::vector<std::string> says;
};

void PrintTo(const RefusedLibrary& c, std::ostream* out) { *out << c.name; }

class PluginLibraryRefuses : public ::testing::TestWithParam<RefusedLibrary> {};

TEST_P(PluginLibraryRefuses, SayingWhy) {
    const std::string e = load_error(lib_dir() / GetParam().library);
    for (const auto& text : GetParam().says) EXPECT_NE(e.find(text), std::string::npos) << e;
}

INSTANTIATE_TEST_SUITE_P(
    Libraries, PluginLibraryRefuses,
    ::testing::Values(
        RefusedLibrary{"APluginBuiltAgainstOlderHeaders",
                       "libfanout_test_abi_mismatch.so",
                       {"was built for plugin ABI version 1, this fanoutd speaks version " +
                            std::to_string(fanout::k_abi_version),
                        "rebuild the plugin against this release's plugin-api"}},
        RefusedLibrary{"APluginBuiltWithAnotherStandardLibraryAbi",
                       "libfanout_test_old_cxx_abi.so",
                       {"was built with _GLIBCXX_USE_CXX11_ABI=0 (GCC ", "fanoutd with _GLIBCXX_USE_CXX11_ABI=1",
                        "rebuild the plugin with the toolchain settings fanoutd was built with"}},
        RefusedLibrary{"ALibraryWithoutDescriptor",
                       "libfanout_test_not_a_plugin.so",
                       {"not a Fanout plugin", "exports no 'fanout_plugin_v1'"}},
        RefusedLibrary{"ADescriptorWithoutMagic", "libfanout_test_bad_magic.so", {"without a Fanout descriptor"}}),
    [](const ::testing::TestParamInfo<RefusedLibrary>& info) { return std::string(info.param.name); });

TEST(PluginLibrary, ToolchainsDifferOnlyInWhatChangesLayouts) {
    using fanout::Toolchain;
    const Toolchain gcc12{Toolchain::libstdcxx, 1, Toolchain::gcc, 12};
    EXPECT_EQ(fanout::daemon::toolchain_mismatch(gcc12, gcc12), "");
    EXPECT_EQ(fanout::daemon::toolchain_mismatch({Toolchain::libstdcxx, 1, Toolchain::clang, 16}, gcc12), "")
        << "Clang on libstdc++ with the same ABI is compatible";
    EXPECT_EQ(fanout::daemon::toolchain_mismatch({Toolchain::libcxx, 0, Toolchain::clang, 16}, gcc12),
              "was built with libc++ (Clang 16), fanoutd with libstdc++ (GCC 12)");
    EXPECT_EQ(fanout::daemon::toolchain_mismatch({Toolchain::libstdcxx, 0, Toolchain::gcc, 12}, gcc12),
              "was built with _GLIBCXX_USE_CXX11_ABI=0 (GCC 12), fanoutd with _GLIBCXX_USE_CXX11_ABI=1 (GCC 12)");
    EXPECT_EQ(fanout::k_toolchain.standard_library, Toolchain::libstdcxx);
    EXPECT_EQ(fanout::k_toolchain.cxx11_abi, 1u);
}

TEST(PluginLibrary, RefusesAFileThatIsNotALibrary) {
    fanout::test::TempDir dir;
    const auto path = dir.write("libfake.so", "not an ELF file");
    ::chmod(path.c_str(), 0644);
    const std::string e = load_error(path);
    EXPECT_NE(e.find("cannot load plugin library"), std::string::npos) << e;
}

TEST(PluginLibrary, RefusesAWorldWritableLibrary) {
    fanout::test::TempDir dir;
    const auto copy = dir / "libcopy.so";
    std::filesystem::copy_file(lib_dir() / "libfanout_example.so", copy);
    ::chmod(copy.c_str(), 0666);
    const std::string e = load_error(copy);
    EXPECT_NE(e.find("writable by group or others"), std::string::npos) << e;
}

TEST(PluginLibrary, UnloadsOnlyAfterTheLastReference) {
    std::weak_ptr<PluginLibrary> weak;
    {
        auto lib = PluginLibrary::load(lib_dir() / "libfanout_example.so");
        weak = lib;
        auto second = lib;
        lib.reset();
        EXPECT_FALSE(weak.expired());
        EXPECT_STREQ(second->descriptor().name, "example");
    }
    EXPECT_TRUE(weak.expired());
}
