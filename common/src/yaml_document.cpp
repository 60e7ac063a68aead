#include "fanout/common/yaml_document.hpp"

#include <sstream>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/eventhandler.h>

#include "fanout/common/bounded_file.hpp"

namespace fanout::common {
namespace {

[[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) {
    if (mark.is_null()) throw YamlDocumentError(0, 0, message);
    throw YamlDocumentError(mark.line + 1, mark.column + 1, message);
}

/// Checks the parser's events before any node graph exists: aliases must
/// point at finished nodes, nesting and expanded size stay bounded, keys are
/// unique per mapping, and the text holds one document.
class DocumentChecker final : public YAML::EventHandler {
public:
    explicit DocumentChecker(const YamlLimits& limits) : limits_(limits) {}

    int documents() const { return documents_; }

    void OnDocumentStart(const YAML::Mark& mark) override {
        if (++documents_ > 1) {
            fail(mark,
                 "a second YAML document starts here; the file must hold exactly one "
                 "(remove the '---' separator or merge the documents)");
        }
        // Anchors are per document: ids restart.
        anchors_.clear();
    }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        child(mark, nullptr);
        leaf(mark, anchor);
    }

    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  const std::string& value) override {
        child(mark, &value);
        leaf(mark, anchor);
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        child(mark, nullptr);
        const Anchor* target = anchor < anchors_.size() ? &anchors_[anchor] : nullptr;
        if (target != nullptr && target->open) {
            fail(mark, "alias refers to the node that contains it (anchored at line " +
                           std::to_string(target->mark.line + 1) + "): a node cannot include itself");
        }
        count(mark, target != nullptr ? target->nodes : 1);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, anchor, false);
    }
    void OnSequenceEnd() override { close(); }

    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, anchor, true);
    }
    void OnMapEnd() override { close(); }

private:
    struct Anchor {
        YAML::Mark mark;
        bool open = false;
        std::size_t nodes = 0;  ///< the anchored node's size, aliases expanded
    };
    struct Frame {
        YAML::anchor_t anchor = YAML::NullAnchor;
        bool mapping = false;
        std::size_t nodes = 1;     ///< this collection's size so far, aliases expanded
        std::size_t children = 0;  ///< in a mapping: even = a key comes next
        std::unordered_map<std::string, YAML::Mark> keys;
    };

    Anchor& anchor_slot(YAML::anchor_t anchor) {
        if (anchor >= anchors_.size()) anchors_.resize(anchor + 1);
        return anchors_[anchor];
    }

    /// A node is about to be added to the innermost collection; `key_text` is
    /// its text when it is a scalar (to find repeated keys).
    void child(const YAML::Mark& mark, const std::string* key_text) {
        if (frames_.empty()) return;
        Frame& frame = frames_.back();
        const bool is_key = frame.mapping && frame.children % 2 == 0;
        ++frame.children;
        if (!is_key || key_text == nullptr) return;
        const auto [it, inserted] = frame.keys.emplace(*key_text, mark);
        if (!inserted) {
            fail(mark, "key '" + *key_text + "' is repeated in this mapping (first at line " +
                           std::to_string(it->second.line + 1) + ")");
        }
    }

    void count(const YAML::Mark& mark, std::size_t nodes) {
        total_ += nodes;
        if (total_ > limits_.max_nodes) {
            fail(mark, "the document has more than " + std::to_string(limits_.max_nodes) +
                           " nodes (every use of an alias counts its node in full)");
        }
        if (!frames_.empty()) frames_.back().nodes += nodes;
    }

    void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
        if (anchor != YAML::NullAnchor) {
            Anchor& a = anchor_slot(anchor);
            a = Anchor{mark, false, 1};
        }
        count(mark, 1);
    }

    void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool mapping) {
        child(mark, nullptr);
        if (static_cast<int>(frames_.size()) >= limits_.max_depth) {
            fail(mark, "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
        }
        count(mark, 1);
        if (anchor != YAML::NullAnchor) anchor_slot(anchor) = Anchor{mark, true, 0};
        Frame& frame = frames_.emplace_back();
        frame.anchor = anchor;
        frame.mapping = mapping;
    }

    void close() {
        const Frame frame = std::move(frames_.back());
        frames_.pop_back();
        if (frame.anchor != YAML::NullAnchor) {
            Anchor& a = anchor_slot(frame.anchor);
            a.open = false;
            a.nodes = frame.nodes;
        }
        // count() already added this collection's nodes to the running total.
        if (!frames_.empty()) frames_.back().nodes += frame.nodes - 1;
    }

    const YamlLimits& limits_;
    int documents_ = 0;
    std::size_t total_ = 0;
    std::vector<Frame> frames_;
    std::vector<Anchor> anchors_;
};

}  // namespace

YAML::Node load_yaml_document(std::string_view text, const YamlLimits& limits) {
    if (text.size() > limits.max_bytes) {
        throw YamlDocumentError(0, 0,
                                "the file is " + std::to_string(text.size()) + " bytes, over the limit of " +
                                    describe_size(limits.max_bytes) + " for a configuration");
    }
    const std::string copy(text);
    DocumentChecker checker(limits);
    try {
        std::istringstream in(copy);
        YAML::Parser parser(in);
        // The second call is where a second document is found (and refused).
        while (parser.HandleNextDocument(checker)) {
        }
    } catch (const YAML::Exception& e) {
        fail(e.mark, "YAML syntax error: " + e.msg);
    }
    if (checker.documents() == 0) return YAML::Node(YAML::NodeType::Undefined);
    try {
        return YAML::Load(copy);
    } catch (const YAML::Exception& e) {
        fail(e.mark, "YAML syntax error: " + e.msg);
    }
}

std::string read_config_text(const std::filesystem::path& file, std::size_t max_bytes) {
    try {
        return read_bounded_file(file, max_bytes, FileKinds::regular_or_pipe);
    } catch (const FileReadError& e) {
        throw YamlDocumentError(0, 0, e.what());
    }
}

}  // namespace fanout::common
