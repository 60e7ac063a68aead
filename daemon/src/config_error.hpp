#pragma once
// A configuration problem, located in the file that caused it.
#include <filesystem>
#include <stdexcept>
#include <string>

namespace fanout::daemon {

/// Thrown while loading or validating configuration. what() is
/// `file:line:col: message` (line and column 1-based; omitted when unknown).
class ConfigError : public std::runtime_error {
public:
    ConfigError(const std::filesystem::path& file, int line, int column, const std::string& message)
        : std::runtime_error(format(file, line, column, message)), message_(message) {}

    explicit ConfigError(const std::string& message) : std::runtime_error(message), message_(message) {}

    /// The message without the location.
    const std::string& message() const noexcept { return message_; }

private:
    static std::string format(const std::filesystem::path& file, int line, int column, const std::string& message) {
        std::string out = file.string();
        if (line > 0) {
            out += ':' + std::to_string(line);
            if (column > 0) out += ':' + std::to_string(column);
        }
        return out + ": " + message;
    }

    std::string message_;
};

}  // namespace fanout::daemon
