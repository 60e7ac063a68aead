#pragma once
// /metrics in the Prometheus text exposition format (version 0.0.4).
#include <string>

namespace fanout::daemon {

class Daemon;

std::string render_prometheus(const Daemon& daemon);

/// Escape a label value: backslash, double quote and newline.
std::string escape_label(const std::string& value);

}  // namespace fanout::daemon
