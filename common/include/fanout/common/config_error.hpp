#pragma once
// A configuration problem, located in the file that caused it: the one error
// type of fanoutd's and the services' configuration (exit 78).
#include <filesystem>
#include <stdexcept>
#include <string>

namespace fanout::common {

/// what() is `file:line:col: message` (line and column 1-based; omitted when
/// unknown), or the message alone when it did not come from a file.
class ConfigError : public std::runtime_error {
public:
    ConfigError(const std::filesystem::path& file, int line, int column, const std::string& message)
        : std::runtime_error(located(file, line, column, message)), message_(message) {}

    explicit ConfigError(const std::string& message) : std::runtime_error(message), message_(message) {}

    /// The message without the location.
    const std::string& message() const noexcept { return message_; }

    /// `file:line:col: message`, the parts that are known.
    static std::string located(const std::filesystem::path& file, int line, int column, const std::string& message) {
        std::string out = file.string();
        if (line > 0) {
            out += ':' + std::to_string(line);
            if (column > 0) out += ':' + std::to_string(column);
        }
        return out + ": " + message;
    }

private:
    std::string message_;
};

}  // namespace fanout::common
