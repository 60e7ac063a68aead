// plugin-api/include is the ABI between fanoutd and every plugin library: a
// change to it without a new k_abi_version would let the host load plugins
// whose structs and vtables no longer match. The headers' fingerprint is
// recorded per ABI version in plugin-api/abi.lock; this test recomputes it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fanout/abi.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path k_root = fs::path(FANOUT_SOURCE_DIR) / "plugin-api";

/// The text without comments, with every run of whitespace as one space:
/// rewording a comment or reflowing code is not an interface change.
std::string normalized(const std::string& text) {
    std::string out;
    bool space = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"' || c == '\'') {  // literals as written
            if (space && !out.empty()) out += ' ';
            const std::size_t start = i;
            for (++i; i < text.size() && text[i] != c; ++i) {
                if (text[i] == '\\') ++i;
            }
            out.append(text, start, i - start + 1);
            space = false;
            continue;
        }
        if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
            i = text.find('\n', i);
            if (i == std::string::npos) break;
            space = true;
            continue;
        }
        if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
            i = text.find("*/", i + 2);
            if (i == std::string::npos) break;
            ++i;
            space = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

/// FNV-1a 64 over each interface header's path and normalized text, in path
/// order; testing/ (helpers compiled into a plugin's own tests) and support/
/// (header-only helpers compiled into each side, never crossing the boundary)
/// are not part of it.
std::string fingerprint() {
    std::vector<fs::path> headers;
    for (const auto& entry : fs::recursive_directory_iterator(k_root / "include")) {
        const fs::path relative = fs::relative(entry.path(), k_root / "include");
        if (!entry.is_regular_file() || entry.path().extension() != ".hpp") continue;
        const fs::path folder = *std::next(relative.begin());
        if (relative == "fanout/testing.hpp" || folder == "testing" || folder == "support") continue;
        headers.push_back(relative);
    }
    std::sort(headers.begin(), headers.end());
    std::uint64_t h = 0xcbf29ce484222325ULL;
    const auto mix = [&](const std::string& s) {
        for (const unsigned char c : s) {
            h ^= c;
            h *= 0x100000001b3ULL;
        }
        h ^= 0xff;
        h *= 0x100000001b3ULL;
    };
    for (const fs::path& relative : headers) {
        std::ifstream in(k_root / "include" / relative);
        std::stringstream text;
        text << in.rdbuf();
        mix(relative.generic_string());
        mix(normalized(text.str()));
    }
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
    return out;
}

struct LockEntry {
    std::uint32_t version;
    std::string fingerprint;
};

std::vector<LockEntry> read_lock() {
    std::ifstream in(k_root / "abi.lock");
    std::vector<LockEntry> out;
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        LockEntry e{};
        fields >> e.version >> e.fingerprint;
        out.push_back(e);
    }
    return out;
}

TEST(PluginAbi, TheHeadersMatchTheFingerprintRecordedForThisAbiVersion) {
    const std::vector<LockEntry> lock = read_lock();
    ASSERT_FALSE(lock.empty()) << (k_root / "abi.lock") << " is missing or empty";
    for (std::size_t i = 1; i < lock.size(); ++i) {
        EXPECT_GT(lock[i].version, lock[i - 1].version) << "abi.lock: one line per version, in order";
        EXPECT_NE(lock[i].fingerprint, lock[i - 1].fingerprint) << "abi.lock: a new version for unchanged headers";
    }
    const LockEntry& current = lock.back();
    const std::string now = fingerprint();
    EXPECT_EQ(current.version, fanout::k_abi_version)
        << "abi.lock's last line is for ABI version " << current.version << ", abi.hpp says " << fanout::k_abi_version
        << ": append \"" << fanout::k_abi_version << " " << now << "\"";
    EXPECT_EQ(current.fingerprint, now)
        << "plugin-api/include changed since ABI version " << current.version
        << " was recorded. A plugin built against the old headers would still load: bump k_abi_version in "
           "plugin-api/include/fanout/abi.hpp and append \""
        << current.version + 1 << " " << now << "\" to plugin-api/abi.lock.";
}

TEST(PluginAbi, CommentsAndSpacingAreNotPartOfTheFingerprint) {
    EXPECT_EQ(normalized("struct A {  // the a\n    int x; /* x */\n};\n"), "struct A { int x; };");
    EXPECT_EQ(normalized("const char* s = \"a // b\";"), "const char* s = \"a // b\";");
    EXPECT_NE(normalized("int x;"), normalized("long x;"));
}

}  // namespace
