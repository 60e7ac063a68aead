#pragma once
// A bump allocator for the parsed envelopes of one batch (a rapidjson
// Allocator). Every event of a batch parses into it; the pipeline rewinds it
// when the batch is gone, keeping its blocks: no malloc, free or fresh page
// per event.
#include <cstddef>
#include <memory>
#include <vector>

namespace fanout::daemon {

class JsonArena {
public:
    static const bool kNeedFree = false;  // rapidjson: Free() is a no-op

    explicit JsonArena(std::size_t block_size = 256 * 1024) : block_size_(block_size) {}
    JsonArena(const JsonArena&) = delete;
    JsonArena& operator=(const JsonArena&) = delete;

    void* Malloc(std::size_t size);
    void* Realloc(void* original, std::size_t original_size, std::size_t new_size);
    static void Free(void*) noexcept {}

    /// Forget every allocation (nothing may point into the arena any more).
    /// Keeps the blocks, up to `keep_bytes` of them.
    void rewind(std::size_t keep_bytes = 64u << 20) noexcept;

    std::size_t capacity() const noexcept;  ///< bytes in blocks
    std::size_t used() const noexcept;      ///< bytes handed out since the last rewind

private:
    struct Block {
        std::unique_ptr<std::byte[]> data;
        std::size_t size = 0;
    };
    bool fits(std::size_t size) const noexcept { return current_ < blocks_.size() && used_ + size <= blocks_[current_].size; }

    std::vector<Block> blocks_;
    std::size_t block_size_;
    std::size_t current_ = 0;  ///< block being filled
    std::size_t used_ = 0;     ///< bytes used in blocks_[current_]
    std::size_t used_before_ = 0;  ///< bytes used in the blocks before current_
    void* last_ = nullptr;     ///< the most recent allocation, grown in place when possible
};

}  // namespace fanout::daemon
