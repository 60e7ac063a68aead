#pragma once
// One YAML configuration document, read so that no input can crash or exhaust
// the reader: fanoutd and both services load their YAML through here.
//
// yaml-cpp alone accepts what a configuration must not hold: an alias inside
// the collection it names (`x: &x [*x]`) builds a cyclic node graph on which
// every recursive walk overflows the stack; aliases reused level upon level
// expand to billions of nodes; a second document after `---` is silently
// dropped. Here the text is first checked event by event (no node graph yet),
// then loaded.
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace fanout::common {

/// Bounds on one configuration file. The defaults are far above any real
/// configuration and far below what would hurt a process.
struct YamlLimits {
    std::size_t max_bytes = 1u << 20;  ///< the file's size (1 MiB)
    int max_depth = 64;                ///< nested mappings and lists
    /// Nodes in the document with every alias counted at each use.
    std::size_t max_nodes = 100'000;
};

/// A document refused, with where (1-based; 0 when the problem has no place,
/// e.g. a file that cannot be read). what() is the message without location.
class YamlDocumentError : public std::runtime_error {
public:
    YamlDocumentError(int line, int column, const std::string& message)
        : std::runtime_error(message), line_(line), column_(column) {}
    int line() const noexcept { return line_; }
    int column() const noexcept { return column_; }

private:
    int line_;
    int column_;
};

/// Parses `text`, which must hold at most one YAML document. Returns the
/// document's root, or an undefined node (`!IsDefined()`) when the text holds
/// no document at all (empty, only a byte-order mark, only comments). Throws
/// YamlDocumentError for a syntax error, an alias inside the node it refers to,
/// nesting deeper than `limits.max_depth`, more than `limits.max_nodes` nodes,
/// a key repeated in one mapping, a second document, or text over
/// `limits.max_bytes`.
YAML::Node load_yaml_document(std::string_view text, const YamlLimits& limits = {});

/// Reads a configuration file of at most `max_bytes`: a regular file, or a pipe
/// (`--config <(generate)`); directories, devices (`/dev/zero`) and sockets are
/// refused without reading. Throws YamlDocumentError (line 0) saying why.
std::string read_config_text(const std::filesystem::path& file, std::size_t max_bytes = YamlLimits{}.max_bytes);

}  // namespace fanout::common
