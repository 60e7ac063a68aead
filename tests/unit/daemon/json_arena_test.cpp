#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "json_arena.hpp"

using fanout::daemon::JsonArena;

namespace {
bool aligned8(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 8 == 0; }
}  // namespace

TEST(JsonArena, AllocationsAreAlignedAndDisjoint) {
    JsonArena arena(1024);
    std::vector<std::pair<char*, std::size_t>> taken;
    for (std::size_t size : {1u, 7u, 8u, 13u, 100u, 1000u, 3u}) {
        auto* p = static_cast<char*>(arena.Malloc(size));
        ASSERT_NE(p, nullptr);
        EXPECT_TRUE(aligned8(p)) << size;
        std::memset(p, static_cast<int>(size), size);
        taken.emplace_back(p, size);
    }
    for (const auto& [p, size] : taken) {
        for (std::size_t i = 0; i < size; ++i) ASSERT_EQ(static_cast<unsigned char>(p[i]), size & 0xff) << size;
    }
    EXPECT_EQ(arena.Malloc(0), nullptr);
}

TEST(JsonArena, AllocationLargerThanABlockGetsItsOwnBlock) {
    JsonArena arena(256);
    auto* big = static_cast<char*>(arena.Malloc(10'000));
    std::memset(big, 'x', 10'000);
    auto* small = static_cast<char*>(arena.Malloc(16));
    std::memset(small, 'y', 16);
    EXPECT_EQ(big[9'999], 'x');
    EXPECT_GE(arena.capacity(), 10'000u + 16u);
}

TEST(JsonArena, ReallocGrowsTheLatestAllocationInPlaceAndCopiesOthers) {
    JsonArena arena(4096);
    auto* a = static_cast<char*>(arena.Malloc(16));
    std::memcpy(a, "0123456789abcdef", 16);
    EXPECT_EQ(arena.Realloc(a, 16, 64), a) << "latest allocation with room: in place";
    auto* b = static_cast<char*>(arena.Malloc(8));
    (void)b;
    auto* moved = static_cast<char*>(arena.Realloc(a, 64, 128));
    EXPECT_NE(moved, a) << "no longer the latest: copied";
    EXPECT_EQ(std::string(moved, 16), "0123456789abcdef");
    EXPECT_EQ(arena.Realloc(moved, 128, 32), moved) << "shrinking keeps the pointer";
    auto* fresh = static_cast<char*>(arena.Realloc(nullptr, 0, 24));
    ASSERT_NE(fresh, nullptr);
    // Growing past the block's end moves to a new block, content kept.
    auto* last = static_cast<char*>(arena.Malloc(8));
    std::memcpy(last, "ABCDEFGH", 8);
    auto* grown = static_cast<char*>(arena.Realloc(last, 8, 8000));
    EXPECT_EQ(std::string(grown, 8), "ABCDEFGH");
}

TEST(JsonArena, RewindReusesTheBlocksAndDropsThoseOverTheLimit) {
    JsonArena arena(1024);
    for (int i = 0; i < 100; ++i) arena.Malloc(512);
    const std::size_t capacity = arena.capacity();
    EXPECT_GE(capacity, 100u * 512u);
    EXPECT_EQ(arena.used(), 100u * 512u);
    arena.rewind();
    EXPECT_EQ(arena.used(), 0u);
    EXPECT_EQ(arena.capacity(), capacity) << "blocks kept";
    for (int i = 0; i < 100; ++i) arena.Malloc(512);
    EXPECT_EQ(arena.capacity(), capacity) << "the same blocks served the second round";
    arena.rewind(4096);
    EXPECT_LE(arena.capacity(), 4096u);
    EXPECT_NE(arena.Malloc(100), nullptr);
}

TEST(JsonArena, ManyDocumentsParseIntoOneArenaAndStayIntactUntilRewound) {
    using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, JsonArena>;
    JsonArena arena(4096);
    std::vector<Document> docs;
    docs.reserve(500);
    for (int i = 0; i < 500; ++i) {
        const std::string text = R"({"eventId":"e-)" + std::to_string(i) + R"(","type":"PostLikedEvent","version":)" +
                                 std::to_string(i + 1) + R"(,"data":{"author":"author-)" + std::to_string(i) +
                                 R"(","tags":["a","b","c"],"nested":{"n":)" + std::to_string(i) + "}}}";
        docs.emplace_back(&arena);
        docs.back().Parse(text.data(), text.size());
        ASSERT_FALSE(docs.back().HasParseError()) << text;
    }
    for (int i = 0; i < 500; ++i) {
        const Document& d = docs[static_cast<std::size_t>(i)];
        EXPECT_EQ(std::string(d["eventId"].GetString()), "e-" + std::to_string(i));
        EXPECT_EQ(d["version"].GetInt64(), i + 1);
        EXPECT_EQ(std::string(d["data"]["author"].GetString()), "author-" + std::to_string(i));
        EXPECT_EQ(d["data"]["tags"].Size(), 3u);
        EXPECT_EQ(d["data"]["nested"]["n"].GetInt(), i);
    }
    docs.clear();
    arena.rewind();
    EXPECT_EQ(arena.used(), 0u);
}
