#include "fanout/harness/proc_stat.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace fanout::harness {
namespace {

/// The fields of /proc/PID/stat after the command name, from `state` on.
std::vector<std::string> stat_fields(pid_t pid, std::size_t count) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name may hold spaces and parentheses; it ends at the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream fields(text.substr(close + 2));
    std::vector<std::string> v;
    for (std::string f; v.size() < count && fields >> f;) v.push_back(f);
    return v;
}

}  // namespace

double proc_cpu_seconds(pid_t pid, bool children) {
    const auto v = stat_fields(pid, 15);
    if (v.size() < 15) return -1;
    double ticks = std::stod(v[11]) + std::stod(v[12]);
    if (children) ticks += std::stod(v[13]) + std::stod(v[14]);
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

pid_t parent_of(pid_t pid) {
    const auto v = stat_fields(pid, 2);
    return v.size() < 2 ? -1 : static_cast<pid_t>(std::stol(v[1]));
}

}  // namespace fanout::harness
