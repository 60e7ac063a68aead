#pragma once
// Reading a whole file named by an operator (a configuration, a Lua script)
// without letting a wrong path hang or exhaust the process: the file's kind is
// checked before anything is read, and the read stops past a size limit.
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace fanout::common {

/// Why a file was not read; what() says it of the file, to follow its name:
/// "is a character device, not a regular file", "cannot be opened: No such
/// file or directory", "is 20000000 bytes, over the limit of 16 MiB".
class FileReadError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class FileKinds {
    regular,          ///< regular files only
    regular_or_pipe,  ///< also a FIFO or a pipe (`--config <(generate)`); EOF without a writer
};

/// The file's bytes, at most `max_bytes` of them. Directories, devices
/// (`/dev/zero`), sockets and, unless allowed, FIFOs are refused before they
/// are read; a file over `max_bytes` (or one that grows past it while being
/// read) is refused with its size. Throws FileReadError.
std::string read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes, FileKinds kinds);

/// "16 MiB", "512 KiB", "100 bytes": a limit as people write it.
std::string describe_size(std::size_t bytes);

}  // namespace fanout::common
