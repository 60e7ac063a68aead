#include "json_arena.hpp"

#include <cstring>
#include <new>

namespace fanout::daemon {
namespace {

constexpr std::size_t k_align = 8;
constexpr std::size_t aligned(std::size_t n) { return (n + k_align - 1) & ~(k_align - 1); }

}  // namespace

void* JsonArena::Malloc(std::size_t size) {
    if (size == 0) return nullptr;
    size = aligned(size);
    if (!fits(size)) {
        // Move on to the next kept block that is large enough, else add one.
        if (current_ < blocks_.size()) used_before_ += used_;
        std::size_t next = current_ < blocks_.size() ? current_ + 1 : current_;
        while (next < blocks_.size() && blocks_[next].size < size) ++next;
        if (next >= blocks_.size()) {
            const std::size_t block = size > block_size_ ? size : block_size_;
            blocks_.push_back({std::make_unique_for_overwrite<std::byte[]>(block), block});
            next = blocks_.size() - 1;
        }
        current_ = next;
        used_ = 0;
    }
    void* p = blocks_[current_].data.get() + used_;
    used_ += size;
    last_ = p;
    return p;
}

void* JsonArena::Realloc(void* original, std::size_t original_size, std::size_t new_size) {
    if (original == nullptr) return Malloc(new_size);
    if (new_size == 0) return nullptr;
    const std::size_t old_aligned = aligned(original_size), new_aligned = aligned(new_size);
    if (new_aligned <= old_aligned) return original;
    // The latest allocation grows in place while its block has room.
    if (original == last_ && current_ < blocks_.size() && used_ - old_aligned + new_aligned <= blocks_[current_].size) {
        used_ += new_aligned - old_aligned;
        return original;
    }
    void* p = Malloc(new_size);
    std::memcpy(p, original, original_size);
    return p;
}

void JsonArena::rewind(std::size_t keep_bytes) noexcept {
    std::size_t kept = 0, n = 0;
    while (n < blocks_.size() && kept + blocks_[n].size <= keep_bytes) kept += blocks_[n++].size;
    blocks_.resize(n);
    current_ = 0;
    used_ = 0;
    used_before_ = 0;
    last_ = nullptr;
}

std::size_t JsonArena::capacity() const noexcept {
    std::size_t total = 0;
    for (const Block& b : blocks_) total += b.size;
    return total;
}

std::size_t JsonArena::used() const noexcept { return used_before_ + used_; }

}  // namespace fanout::daemon
