#pragma once
// sd_notify(3) for Type=notify units: READY, STATUS, RELOADING, STOPPING,
// WATCHDOG. Every call is a no-op when NOTIFY_SOCKET is unset.
#include <chrono>
#include <optional>
#include <string>

namespace fanout::daemon::systemd {

void notify(const std::string& state);

/// The unit's WatchdogSec= (from WATCHDOG_USEC), when the watchdog is on.
std::optional<std::chrono::microseconds> watchdog_interval();

/// CLOCK_MONOTONIC in microseconds, for RELOADING=1 + MONOTONIC_USEC=.
std::uint64_t monotonic_usec();

}  // namespace fanout::daemon::systemd
