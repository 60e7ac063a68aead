// Every JSON text Fanout writes escapes every control character, also the
// 0x1A..0x1F that rapidjson 1.1.0's SSE2 scan of Writer<StringBuffer> let
// through inside a long string (json_object.hpp).
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "fanout/common/json_object.hpp"

using namespace fanout::common;

TEST(JsonObject, EveryControlCharacterIsEscapedInStringsOfAnyLength) {
    for (int c = 0x01; c < 0x20; ++c) {
        for (std::size_t pad : {0u, 7u, 16u, 40u}) {
            const std::string text = std::string(pad, 'a') + static_cast<char>(c) + std::string(pad, 'b');
            const std::string json = json_object({{"text", text}});
            for (const char ch : json) ASSERT_GE(static_cast<unsigned char>(ch), 0x20) << "raw control " << c << " in " << json;
            rapidjson::Document d;
            d.Parse(json.c_str(), json.size());
            ASSERT_FALSE(d.HasParseError()) << json;
            EXPECT_EQ(std::string(d["text"].GetString(), d["text"].GetStringLength()), text);
        }
    }
}
