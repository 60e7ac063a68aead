#include "lua/lua_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include <rapidjson/error/en.h>

#include "fanout/support/json_string.hpp"
#include "lua/lua_state.hpp"

namespace fanout::daemon::lua {
namespace {

// Iterative parsing: a deeply nested input cannot overflow the C stack.
constexpr unsigned k_parse_flags = rapidjson::kParseIterativeFlag;

void push_json_at(lua_State* L, const rapidjson::Value& v, int depth) {
    if (depth > k_json_max_depth) luaL_error(L, "JSON nested deeper than %d levels", k_json_max_depth);
    luaL_checkstack(L, 3, "JSON nested too deep");
    switch (v.GetType()) {
        case rapidjson::kNullType: lua_pushlightuserdata(L, nullptr); break;
        case rapidjson::kFalseType: lua_pushboolean(L, 0); break;
        case rapidjson::kTrueType: lua_pushboolean(L, 1); break;
        case rapidjson::kStringType: lua_pushlstring(L, v.GetString(), v.GetStringLength()); break;
        case rapidjson::kNumberType:
            if (v.IsInt64()) {
                lua_pushinteger(L, static_cast<lua_Integer>(v.GetInt64()));
            } else {
                lua_pushnumber(L, v.GetDouble());
            }
            break;
        case rapidjson::kArrayType: {
            lua_createtable(L, static_cast<int>(v.Size()), 0);
            lua_Integer i = 0;
            for (const auto& item : v.GetArray()) {
                push_json_at(L, item, depth + 1);
                lua_rawseti(L, -2, ++i);
            }
            break;
        }
        case rapidjson::kObjectType:
            lua_createtable(L, 0, static_cast<int>(v.MemberCount()));
            for (const auto& m : v.GetObject()) {
                lua_pushlstring(L, m.name.GetString(), m.name.GetStringLength());
                push_json_at(L, m.value, depth + 1);
                lua_rawset(L, -3);
            }
            break;
    }
}

struct PushRequest {
    const rapidjson::Value* value;
    bool null_as_nil;
};

int push_request_fn(lua_State* L) {
    const auto* request = static_cast<const PushRequest*>(lua_touserdata(L, 1));
    if (request->value == nullptr || (request->null_as_nil && request->value->IsNull())) {
        lua_pushnil(L);
    } else {
        push_json_at(L, *request->value, 0);
    }
    return 1;
}

// The document lives in this frame; the pushes that may longjmp run one
// protected call further in, so its destructor always runs.
int push_protected(lua_State* L, const rapidjson::Value* value, bool null_as_nil) noexcept {
    PushRequest request{value, null_as_nil};
    lua_pushcfunction(L, &push_request_fn);
    lua_pushlightuserdata(L, &request);
    return lua_pcall(L, 1, 1, 0);
}

int push_parse_error(lua_State* L, const rapidjson::Document& doc) noexcept {
    char message[160];
    std::snprintf(message, sizeof message, "invalid JSON at offset %zu: %s", doc.GetErrorOffset(),
                  rapidjson::GetParseError_En(doc.GetParseError()));
    const int status = push_string_protected(L, message);
    return status == LUA_OK ? LUA_ERRRUN : status;
}

bool append_number(lua_State* L, int index, std::string& out, std::string& error) {
    char buffer[64];
    std::to_chars_result r{};
    if (lua_isinteger(L, index)) {
        r = std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(lua_tointeger(L, index)));
    } else {
        const double d = lua_tonumber(L, index);
        if (!std::isfinite(d)) {
            error = "cannot encode NaN or infinity";
            return false;
        }
        r = std::to_chars(buffer, buffer + sizeof buffer, d);
    }
    out.append(buffer, r.ptr);
    return true;
}

class Encoder {
public:
    Encoder(lua_State* L, std::string& out, std::string& error, UserdataEncoder userdata)
        : L_(L), out_(out), error_(error), userdata_(userdata) {}

    // Only Lua API functions that never raise or allocate are used here.
    bool value(int index, int depth) {
        switch (lua_type(L_, index)) {
            case LUA_TNIL: out_ += "null"; return true;
            case LUA_TBOOLEAN: out_ += lua_toboolean(L_, index) ? "true" : "false"; return true;
            case LUA_TNUMBER: return append_number(L_, index, out_, error_);
            case LUA_TSTRING: {
                std::size_t n = 0;
                const char* s = lua_tolstring(L_, index, &n);
                support::append_json_string(out_, {s, n});
                return true;
            }
            case LUA_TLIGHTUSERDATA:
                if (lua_touserdata(L_, index) == nullptr) {
                    out_ += "null";
                    return true;
                }
                break;
            case LUA_TUSERDATA:
                if (userdata_ != nullptr && userdata_(L_, index, out_)) return true;
                break;
            case LUA_TTABLE: return table(index, depth);
            default: break;
        }
        error_ = std::string("cannot encode a ") + lua_typename(L_, lua_type(L_, index)) + " value";
        return false;
    }

private:
    bool table(int index, int depth) {
        if (depth >= k_json_max_depth) {
            error_ =
                "cannot encode tables nested deeper than " + std::to_string(k_json_max_depth) + " levels (a cycle?)";
            return false;
        }
        if (!lua_checkstack(L_, 4)) {
            error_ = "out of Lua stack while encoding";
            return false;
        }
        const lua_Unsigned n = lua_rawlen(L_, index);
        lua_Unsigned count = 0;
        bool sequence = true;
        lua_pushnil(L_);
        while (lua_next(L_, index) != 0) {
            ++count;
            if (sequence) {
                const lua_Integer k = lua_isinteger(L_, -2) ? lua_tointeger(L_, -2) : 0;
                sequence = k >= 1 && static_cast<lua_Unsigned>(k) <= n;
            }
            lua_pop(L_, 1);
        }
        if (count > 0 && sequence && count == n) {
            out_ += '[';
            for (lua_Unsigned i = 1; i <= n; ++i) {
                if (i > 1) out_ += ',';
                lua_rawgeti(L_, index, static_cast<lua_Integer>(i));
                const bool ok = value(lua_gettop(L_), depth + 1);
                lua_pop(L_, 1);
                if (!ok) return false;
            }
            out_ += ']';
            return true;
        }
        out_ += '{';
        bool first = true;
        lua_pushnil(L_);
        while (lua_next(L_, index) != 0) {
            if (!first) out_ += ',';
            first = false;
            if (!key(lua_gettop(L_) - 1)) {
                lua_pop(L_, 2);
                return false;
            }
            out_ += ':';
            if (!value(lua_gettop(L_), depth + 1)) {
                lua_pop(L_, 2);
                return false;
            }
            lua_pop(L_, 1);
        }
        out_ += '}';
        return true;
    }

    bool key(int index) {
        if (lua_type(L_, index) == LUA_TSTRING) return value(index, 0);
        if (lua_type(L_, index) == LUA_TNUMBER) {
            out_ += '"';
            if (!append_number(L_, index, out_, error_)) return false;
            out_ += '"';
            return true;
        }
        error_ = std::string("cannot encode a table key of type ") + lua_typename(L_, lua_type(L_, index));
        return false;
    }

    lua_State* L_;
    std::string& out_;
    std::string& error_;
    UserdataEncoder userdata_;
};

void add_yaml(const YAML::Node& node, rapidjson::Value& out, rapidjson::Document::AllocatorType& alloc) {
    switch (node.Type()) {
        case YAML::NodeType::Sequence:
            out.SetArray();
            for (const auto& item : node) {
                if (item.IsNull()) continue;
                rapidjson::Value v;
                add_yaml(item, v, alloc);
                out.PushBack(v, alloc);
            }
            return;
        case YAML::NodeType::Map:
            out.SetObject();
            for (const auto& entry : node) {
                if (entry.second.IsNull()) continue;
                rapidjson::Value key(entry.first.Scalar().c_str(), alloc);
                rapidjson::Value v;
                add_yaml(entry.second, v, alloc);
                out.AddMember(key, v, alloc);
            }
            return;
        case YAML::NodeType::Scalar: {
            const std::string& s = node.Scalar();
            if (node.Tag() != "!") {  // "!" marks a quoted scalar: always a string
                if (s == "true" || s == "True" || s == "TRUE") return void(out.SetBool(true));
                if (s == "false" || s == "False" || s == "FALSE") return void(out.SetBool(false));
                std::int64_t i = 0;
                if (auto r = std::from_chars(s.data(), s.data() + s.size(), i);
                    r.ec == std::errc() && r.ptr == s.data() + s.size()) {
                    return void(out.SetInt64(i));
                }
                double d = 0;
                if (auto r = std::from_chars(s.data(), s.data() + s.size(), d);
                    r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(d)) {
                    return void(out.SetDouble(d));
                }
            }
            out.SetString(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), alloc);
            return;
        }
        default: out.SetNull(); return;
    }
}

}  // namespace

void push_json(lua_State* L, const rapidjson::Value& value) { push_json_at(L, value, 0); }

int push_decoded(lua_State* L, std::string_view text) noexcept {
    try {
        rapidjson::Document doc;
        doc.Parse<k_parse_flags>(text.data(), text.size());
        if (doc.HasParseError()) return push_parse_error(L, doc);
        return push_protected(L, &doc, false);
    } catch (const std::exception&) {
        lua_pushliteral(L, "not enough memory");  // preallocated: cannot fail
        return LUA_ERRMEM;
    }
}

int push_decoded_member(lua_State* L, std::string_view object_text, std::string_view member) noexcept {
    try {
        rapidjson::Document doc;
        doc.Parse<k_parse_flags>(object_text.data(), object_text.size());
        if (doc.HasParseError()) return push_parse_error(L, doc);
        const rapidjson::Value* found = nullptr;
        if (doc.IsObject()) {
            auto it = doc.FindMember(rapidjson::Value(rapidjson::StringRef(member.data(), member.size())));
            if (it != doc.MemberEnd()) found = &it->value;
        }
        return push_protected(L, found, true);
    } catch (const std::exception&) {
        lua_pushliteral(L, "not enough memory");
        return LUA_ERRMEM;
    }
}

bool encode_json(lua_State* L, int index, std::string& out, std::string& error, UserdataEncoder userdata) {
    Encoder encoder(L, out, error, userdata);
    return encoder.value(lua_absindex(L, index), 0);
}

rapidjson::Document yaml_to_json(const YAML::Node& node) {
    rapidjson::Document doc;
    if (node.IsDefined() && !node.IsNull()) add_yaml(node, doc, doc.GetAllocator());
    if (!doc.IsObject()) doc.SetObject();
    return doc;
}

}  // namespace fanout::daemon::lua
