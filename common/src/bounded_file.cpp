#include "fanout/common/bounded_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fanout::common {
namespace {

struct Descriptor {
    int fd;
    ~Descriptor() {
        if (fd >= 0) ::close(fd);
    }
};

/// Empty when `mode` is acceptable, else why not.
std::string refuse_kind(mode_t mode, FileKinds kinds) {
    if (S_ISREG(mode)) return {};
    if (S_ISFIFO(mode)) {
        return kinds == FileKinds::regular_or_pipe ? std::string() : "is a FIFO (named pipe), not a regular file";
    }
    if (S_ISDIR(mode)) return "is a directory, not a regular file";
    if (S_ISCHR(mode)) return "is a character device, not a regular file";
    if (S_ISBLK(mode)) return "is a block device, not a regular file";
    if (S_ISSOCK(mode)) return "is a socket, not a regular file";
    return "is not a regular file";
}

[[noreturn]] void too_large(std::size_t max_bytes, const std::string& size) {
    throw FileReadError("is " + size + ", over the limit of " + describe_size(max_bytes));
}

[[noreturn]] void grew_too_large(std::size_t max_bytes) {
    throw FileReadError("is larger than the limit of " + describe_size(max_bytes));
}

}  // namespace

std::string describe_size(std::size_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

std::string read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes, FileKinds kinds) {
    // Look before opening: opening a device can have effects of its own.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw FileReadError(std::string("cannot be opened: ") + std::strerror(errno));
    if (std::string why = refuse_kind(st.st_mode, kinds); !why.empty()) throw FileReadError(why);

    // O_NONBLOCK: opening a FIFO without a writer must not hang.
    const Descriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
    if (file.fd < 0) throw FileReadError(std::string("cannot be opened: ") + std::strerror(errno));
    // Check again what was opened: the path may have been replaced meanwhile.
    if (::fstat(file.fd, &st) != 0) throw FileReadError(std::string("cannot be read: ") + std::strerror(errno));
    if (std::string why = refuse_kind(st.st_mode, kinds); !why.empty()) throw FileReadError(why);
    if (S_ISREG(st.st_mode) && static_cast<std::uintmax_t>(st.st_size) > max_bytes) {
        too_large(max_bytes, std::to_string(st.st_size) + " bytes");
    }
    if (S_ISFIFO(st.st_mode)) {
        // A pipe with a writer: wait for its data. Without one, read() says EOF.
        const int flags = ::fcntl(file.fd, F_GETFL);
        if (flags >= 0) ::fcntl(file.fd, F_SETFL, flags & ~O_NONBLOCK);
    }

    std::string text;
    char buffer[1 << 16];
    for (;;) {
        const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw FileReadError(std::string("cannot be read: ") + std::strerror(errno));
        }
        if (n == 0) break;
        if (text.size() + static_cast<std::size_t>(n) > max_bytes) grew_too_large(max_bytes);
        text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
}

}  // namespace fanout::common
