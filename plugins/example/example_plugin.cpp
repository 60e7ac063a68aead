// The example plugin: appends every event as one JSON line to a file.
//
// A real audit log, and the template to copy for a new plugin: one option
// schema, one create() function, one exported descriptor.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "fanout/fanout.hpp"
#include "fanout/support/json_string.hpp"

namespace fanout::plugins::example {
namespace {

constexpr OptionSpec k_options[] = {
    {"path", OptionType::string, nullptr, "file the JSON lines are appended to (created if missing)"},
    {"fsync", OptionType::boolean, "false", "fsync after every batch (durable across power loss, slower)"},
};

class AuditLogPlugin final : public Plugin {
public:
    AuditLogPlugin(const Options& options, Context& context)
        : path_(options.get_string("path")), fsync_(options.get_boolean("fsync")), context_(context),
          lines_(context.counter("lines_written")) {
        fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd_ < 0) throw std::runtime_error("cannot open " + path_ + ": " + std::strerror(errno));
        end_torn_line();
        context_.logger().info("appending events to " + path_);
    }

    ~AuditLogPlugin() override {
        if (fd_ >= 0) ::close(fd_);
    }

    void handle(std::span<const Event* const> events, std::span<Outcome> outcomes) override {
        buffer_.clear();
        for (const Event* e : events) {
            buffer_ += "{\"topic\":\"";
            support::append_json_escaped(buffer_, e->topic());
            buffer_ += "\",\"partition\":";
            buffer_ += std::to_string(e->partition());
            buffer_ += ",\"offset\":";
            buffer_ += std::to_string(e->offset());
            buffer_ += ",\"key\":\"";
            support::append_json_escaped(buffer_, e->key());
            buffer_ += "\",\"type\":\"";
            support::append_json_escaped(buffer_, e->type());
            buffer_ += "\",\"payload\":\"";
            support::append_json_escaped(buffer_, e->payload());
            buffer_ += "\"}\n";
        }
        // One write per batch; the events are done only once it is all out.
        std::size_t written = 0;
        while (written < buffer_.size()) {
            const ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
            if (n < 0) {
                if (errno == EINTR) continue;
                fail_all(outcomes, std::string("write failed: ") + std::strerror(errno));
                return;
            }
            written += static_cast<std::size_t>(n);
        }
        if (fsync_ && ::fsync(fd_) != 0 && errno != EINVAL) {
            fail_all(outcomes, std::string("fsync failed: ") + std::strerror(errno));
            return;
        }
        lines_.add(events.size());
    }

private:
    /// A crash can cut the last batch's write short (SIGKILL stops a write
    /// between pages), leaving a torn last line. End it, so the lines
    /// appended from now on never merge with it: every later line is whole.
    void end_torn_line() {
        struct stat st {};
        if (::fstat(fd_, &st) != 0) throw std::runtime_error("cannot stat " + path_ + ": " + std::strerror(errno));
        if (!S_ISREG(st.st_mode) || st.st_size == 0) return;
        // Read through a descriptor of its own: the file may be writable and
        // not readable (an append-only sink), which must still work.
        const int in = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (in < 0) {
            context_.logger().warning("cannot read " + path_ + " to check its last line after a crash: " +
                                      std::strerror(errno));
            return;
        }
        char last = '\n';
        const bool read = ::pread(in, &last, 1, st.st_size - 1) == 1;
        ::close(in);
        if (!read || last == '\n') return;
        if (::write(fd_, "\n", 1) != 1)
            throw std::runtime_error("cannot write " + path_ + ": " + std::strerror(errno));
        context_.logger().warning("the last line of " + path_ + " was torn by a crash; it is ended and left as it is");
    }

    static void fail_all(std::span<Outcome> outcomes, const std::string& reason) {
        // A partial line may be left behind; replays append again (at-least-once).
        for (auto& o : outcomes) o = Outcome::retry_later(reason);
    }

    std::string path_;
    bool fsync_;
    Context& context_;
    Counter& lines_;
    int fd_ = -1;
    std::string buffer_;
};

std::unique_ptr<Plugin> create(const Options& options, Context& context) {
    return std::make_unique<AuditLogPlugin>(options, context);
}

}  // namespace

extern const PluginDescriptor descriptor;
const PluginDescriptor descriptor{
    k_descriptor_magic, k_abi_version, "example", "1.0.0", "appends every event as one JSON line to a file",
    k_options,          std::size(k_options), &create,
};

}  // namespace fanout::plugins::example

FANOUT_EXPORT_PLUGIN(fanout::plugins::example::descriptor)
