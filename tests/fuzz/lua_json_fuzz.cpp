// The Lua JSON codec (fanout.json and event.data in scripts): decode any text
// into Lua values; what decodes and encodes again is JSON that means the same
// after another round trip.
#include <algorithm>
#include <cmath>
#include <string>

#include <rapidjson/document.h>

#include "fuzz_support.hpp"
#include "lua/lua_json.hpp"
#include "lua/lua_state.hpp"

namespace {

namespace lua = fanout::daemon::lua;
using fanout::fuzz::check;

lua::LuaState& state() {
    static lua::LuaState s(lua::LuaLimits{32u << 20, 10'000'000});
    return s;
}

// Numbers may differ in their last bits: rapidjson's default parsing (as
// fanout.json uses it) is not correctly rounded for long numbers.
bool same_value(const rapidjson::Value& a, const rapidjson::Value& b) {
    if (a.IsNumber() && b.IsNumber()) {
        if (a.IsInt64() && b.IsInt64()) return a.GetInt64() == b.GetInt64();
        const double x = a.GetDouble(), y = b.GetDouble();
        return x == y || std::fabs(x - y) <= 1e-14 * std::max(std::fabs(x), std::fabs(y));
    }
    if (a.GetType() != b.GetType()) return false;
    if (a.IsArray()) {
        if (a.Size() != b.Size()) return false;
        for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
            if (!same_value(a[i], b[i])) return false;
        }
        return true;
    }
    if (a.IsObject()) {
        if (a.MemberCount() != b.MemberCount()) return false;
        for (auto m = a.MemberBegin(); m != a.MemberEnd(); ++m) {
            const auto other = b.FindMember(m->name);
            if (other == b.MemberEnd() || !same_value(m->value, other->value)) return false;
        }
        return true;
    }
    return a == b;
}

bool same_json(const std::string& a, const std::string& b) {
    rapidjson::Document x, y;
    x.Parse(a.data(), a.size());
    y.Parse(b.data(), b.size());
    return !x.HasParseError() && !y.HasParseError() && same_value(x, y);
}

void round_trip(lua::LuaState& s, std::string_view text) {
    lua_State* L = s.get();

    // As event.data.<member> reads a field of the event's data.
    (void)lua::push_decoded_member(L, text, "message");
    lua_settop(L, 0);

    if (lua::push_decoded(L, text) != LUA_OK) return;
    std::string out, error;
    if (!lua::encode_json(L, -1, out, error)) {
        check(!error.empty(), "a failed encoding says why");
        return;
    }
    lua_settop(L, 0);
    rapidjson::Document parsed;
    parsed.Parse(out.data(), out.size());
    check(!parsed.HasParseError(), "encode_json writes JSON", out);

    // Round trip: the encoding of the decoding means the same.
    check(lua::push_decoded(L, out) == LUA_OK, "encoded JSON decodes again", out);
    std::string again;
    check(lua::encode_json(L, -1, again, error), "decoded JSON encodes again", out);
    lua_settop(L, 0);
    check(same_json(out, again), "a JSON round trip through Lua keeps the value", out + "\n" + again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // One state for every input, as a pipeline keeps one.
    lua::LuaState& s = state();
    s.begin_call();
    round_trip(s, fanout::fuzz::as_text(data, size));
    // Collected after each input, so each input frees what it allocated;
    // otherwise libFuzzer runs a leak check after every input.
    lua_settop(s.get(), 0);
    lua_gc(s.get(), LUA_GCCOLLECT);
    return 0;
}
