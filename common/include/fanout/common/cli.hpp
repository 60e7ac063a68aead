#pragma once
// What the main() of fanoutd and both services share: the exit codes, the
// logging flags, argument parsing and the signal mask. Header-only over
// CLI11: include it from a main.cpp whose target has CLI11's include path.
#include <pthread.h>

#include <csignal>
#include <initializer_list>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace fanout::common {

/// Exit codes (sysexits.h where one fits).
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int usage = 64;        // EX_USAGE
inline constexpr int unavailable = 69;  // EX_UNAVAILABLE: cannot start (store, port, plugin)
inline constexpr int config = 78;       // EX_CONFIG
}  // namespace exit_code

/// `--log-level` into `level` and, when `format` is given, `--log-format`
/// into it (values: fanout/common/log.hpp).
inline void add_log_options(CLI::App& app, std::string& level, std::string* format = nullptr) {
    app.add_option("--log-level", level, "debug, info, warning or error")
        ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
    if (format) {
        app.add_option("--log-format", *format, "auto (journal under systemd), plain or journal")
            ->check(CLI::IsMember({"auto", "plain", "journal"}));
    }
}

/// Parses the arguments; the exit code when the process is done already
/// (after --help: ok; a bad argument, said on stderr: usage).
inline std::optional<int> parse_arguments(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? exit_code::ok : exit_code::usage;
    }
    return std::nullopt;
}

/// Blocks `signals` for this thread and returns them as a set for
/// sigwait/sigtimedwait. Call it before any thread exists: every thread
/// inherits the mask, so only the waiting thread sees these signals.
inline sigset_t block_signals(std::initializer_list<int> signals) {
    sigset_t set;
    sigemptyset(&set);
    for (const int s : signals) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

}  // namespace fanout::common
