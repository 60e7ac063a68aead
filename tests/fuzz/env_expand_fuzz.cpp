// `${NAME}`, `${NAME:-fallback}`, `${file:PATH}` and `$$` in configuration
// values (env_expand.hpp): one value at a time, against a fixed environment
// and fixed secret files (the fuzzer never opens a file).
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "env_expand.hpp"
#include "fuzz_support.hpp"

namespace {

std::optional<std::string> environment(const std::string& name) {
    if (name == "A") return "alpha";
    if (name == "EMPTY") return "";
    if (name == "DOLLAR") return "$";
    if (name == "REF") return "${A}";
    if (name == "BRACE") return "}";
    return std::nullopt;
}

std::string secret_file(const std::filesystem::path& path) {
    if (path == "/run/secret") return "s3cret";
    if (path == "alpha/ref") return "${A}";
    throw std::invalid_argument("secret file " + path.string() + " cannot be read");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(fanout::fuzz::as_text(data, size));
    std::string expanded;
    try {
        expanded = fanout::daemon::expand_value(text, environment, secret_file);
    } catch (const std::invalid_argument& e) {
        fanout::fuzz::check(e.what()[0] != '\0', "an expansion error says what is wrong");
        return 0;
    }
    if (text.find('$') == std::string::npos) {
        fanout::fuzz::check(expanded == text, "a value without '$' is left as it is", text);
    }
    // Expanded once: `$$` became `$`, so expanding the result again may
    // differ, but a second expansion never fails on the '$' of a variable's
    // value that the first one wrote verbatim.
    return 0;
}
