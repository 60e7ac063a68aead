#pragma once
// The main thread's job once the daemon runs: wait for signals, reload on
// SIGHUP, drain on SIGTERM/SIGINT, and keep systemd informed (READY,
// STATUS, WATCHDOG, RELOADING, STOPPING).
#include <csignal>
#include <filesystem>

namespace fanout::daemon {

class Daemon;

class Supervisor {
public:
    /// `signals` must already be blocked in every thread.
    Supervisor(Daemon& daemon, std::filesystem::path config_file, sigset_t signals);

    /// Returns the process exit code.
    int run();

private:
    void reload();
    void tick();

    Daemon& daemon_;
    std::filesystem::path config_file_;
    sigset_t signals_;
    bool ready_sent_ = false;
};

}  // namespace fanout::daemon
