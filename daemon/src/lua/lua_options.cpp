#include "lua/lua_options.hpp"

#include <algorithm>
#include <cstdio>

#include "fanout/support/json_string.hpp"

namespace fanout::daemon::lua {
namespace {

/// What the protected read copies out of the script's table. Only plain
/// data: a Lua error may unwind through the reading function.
struct RawOption {
    std::string key, type, description;
    int default_kind = LUA_TNIL;
    bool default_integer = false;
    std::string default_text;  ///< a scalar as text; a list as its YAML flow items
    std::string problem;       ///< set when the declaration is malformed
};

struct Reading {
    bool present = false;
    std::string problem;
    std::vector<RawOption> options;
};

bool note(std::string& to, const char* text) noexcept {
    try {
        to = text;
        return true;
    } catch (...) {
        return false;
    }
}

/// The default at the top of the stack into `o` (scalars as text; a list of
/// strings as YAML flow items, each a JSON string).
void read_default(lua_State* L, RawOption& o) {
    o.default_kind = lua_type(L, -1);
    switch (o.default_kind) {
        case LUA_TNIL: return;
        case LUA_TBOOLEAN: note(o.default_text, lua_toboolean(L, -1) ? "true" : "false"); return;
        case LUA_TNUMBER: {
            o.default_integer = lua_isinteger(L, -1) != 0;
            char buffer[40];
            if (o.default_integer) {
                std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(lua_tointeger(L, -1)));
            } else {
                std::snprintf(buffer, sizeof buffer, "%.17g", lua_tonumber(L, -1));
            }
            note(o.default_text, buffer);
            return;
        }
        case LUA_TSTRING: copy_lua_string(o.default_text, L, -1); return;
        case LUA_TTABLE: {
            const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, -1));
            // Only a sequence: a key beside 1..n would be dropped unseen.
            lua_Integer entries = 0;
            lua_pushnil(L);
            while (lua_next(L, -2) != 0) {
                ++entries;
                lua_pop(L, 1);
            }
            if (entries != n) {
                note(o.problem, "default: expected a list of strings { \"a\", \"b\" }");
                return;
            }
            for (lua_Integer i = 1; i <= n; ++i) {
                if (lua_rawgeti(L, -1, i) != LUA_TSTRING) {
                    lua_pop(L, 1);
                    note(o.problem, "default: a list holds strings only");
                    return;
                }
                std::size_t size = 0;
                const char* text = lua_tolstring(L, -1, &size);
                try {
                    if (i > 1) o.default_text += ", ";
                    support::append_json_string(o.default_text, {text, size});
                } catch (...) {
                    note(o.problem, "not enough memory");
                }
                lua_pop(L, 1);
            }
            return;
        }
        default: note(o.problem, "default: expected a string, number, boolean or list of strings");
    }
}

int read_options_global(lua_State* L) {
    auto* r = static_cast<Reading*>(lua_touserdata(L, 1));
    const int type = lua_getglobal(L, "options_schema");
    if (type == LUA_TNIL) return 0;
    r->present = true;
    if (type != LUA_TTABLE) {
        note(r->problem, "'options_schema' must be a table { name = { type = ..., default = ..., description = ... } }");
        return 0;
    }
    const int schema = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, schema) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            note(r->problem, "options_schema: keys are option names");
            return 0;
        }
        try {
            r->options.emplace_back();
        } catch (...) {
            return 0;
        }
        RawOption& o = r->options.back();
        copy_lua_string(o.key, L, -2);
        if (!lua_istable(L, -1)) {
            note(o.problem, "expected { type = ..., default = ..., description = ... }");
        } else {
            const int entry = lua_gettop(L);
            if (lua_getfield(L, entry, "type") == LUA_TSTRING) copy_lua_string(o.type, L, -1);
            lua_pop(L, 1);
            if (lua_getfield(L, entry, "description") == LUA_TSTRING) copy_lua_string(o.description, L, -1);
            lua_pop(L, 1);
            lua_getfield(L, entry, "default");
            read_default(L, o);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    return 0;
}

/// `text` for a message: control bytes as '?', at most 40 bytes.
std::string printable_excerpt(const std::string& text) {
    std::string out = text.substr(0, 40);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return text.size() > 40 ? out + "..." : out;
}

std::optional<OptionType> type_named(const std::string& name) {
    for (const OptionType t : {OptionType::string, OptionType::integer, OptionType::number, OptionType::boolean,
                               OptionType::string_list}) {
        if (name == (t == OptionType::string_list ? "string_list" : to_string(t))) return t;
    }
    return std::nullopt;
}

/// Whether a default of Lua type `kind` fits an option of type `type`.
bool default_fits(const RawOption& o, OptionType type) {
    switch (type) {
        case OptionType::string: return o.default_kind == LUA_TSTRING;
        case OptionType::integer: return o.default_kind == LUA_TNUMBER && o.default_integer;
        case OptionType::number: return o.default_kind == LUA_TNUMBER;
        case OptionType::boolean: return o.default_kind == LUA_TBOOLEAN;
        case OptionType::string_list: return o.default_kind == LUA_TTABLE;
    }
    return false;
}

}  // namespace

std::optional<ScriptOptionSchema> ScriptOptionSchema::read(LuaPlugin& script) {
    Reading r;
    script.read_script(&read_options_global, &r);
    const auto refuse = [](const std::string& message) { return LuaScriptError(message, 0, message); };
    if (!r.present) return std::nullopt;
    if (!r.problem.empty()) throw refuse(r.problem);
    std::vector<Entry> entries;
    for (const RawOption& o : r.options) {
        const bool plain = !o.key.empty() && o.key.size() <= 64 && std::all_of(o.key.begin(), o.key.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        });
        if (!plain) {
            throw refuse("options_schema: an option name is 1 to 64 letters, digits, '_' or '-', not '" +
                         printable_excerpt(o.key) + "'");
        }
        const std::string what = "options_schema." + o.key;
        if (!o.problem.empty()) throw refuse(what + ": " + o.problem);
        const std::optional<OptionType> type = type_named(o.type);
        if (!type) {
            throw refuse(what + ": type '" + o.type +
                         "' is not one of string, integer, number, boolean, string_list");
        }
        Entry e{o.key, *type, std::nullopt, o.description};
        if (o.default_kind != LUA_TNIL) {
            if (!default_fits(o, *type)) {
                throw refuse(what + ": the default is not a " + std::string(to_string(*type)));
            }
            e.default_value = o.default_text;
        }
        entries.push_back(std::move(e));
    }
    // Declaration order is the table's: sort for stable messages and output.
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
    return ScriptOptionSchema(std::move(entries));
}

void ScriptOptionSchema::point() {
    specs_.clear();
    for (const Entry& e : entries_) {
        specs_.push_back(OptionSpec{e.key.c_str(), e.type, e.default_value ? e.default_value->c_str() : nullptr,
                                    e.description.c_str()});
    }
}

rapidjson::Document ScriptOptionSchema::to_json(const OptionValues& values) const {
    rapidjson::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    for (const Entry& e : entries_) {
        rapidjson::Value key(e.key.c_str(), a);
        rapidjson::Value value;
        switch (e.type) {
            case OptionType::string: {
                const std::string& text = values.get_string(e.key);
                value.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), a);
                break;
            }
            case OptionType::integer: value.SetInt64(values.get_integer(e.key)); break;
            case OptionType::number: value.SetDouble(values.get_number(e.key)); break;
            case OptionType::boolean: value.SetBool(values.get_boolean(e.key)); break;
            case OptionType::string_list:
                value.SetArray();
                for (const std::string& s : values.get_list(e.key)) {
                    value.PushBack(rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a), a);
                }
                break;
        }
        doc.AddMember(key, value, a);
    }
    return doc;
}

}  // namespace fanout::daemon::lua
