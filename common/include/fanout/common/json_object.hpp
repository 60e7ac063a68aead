#pragma once
// A JSON object written from a list of members, one rule for the bodies of
// fanoutd's admin endpoint and post-command (envelopes, status, restore
// progress). Header-only over RapidJSON: users link fanout_rapidjson.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace fanout::common {

/// Every JSON text Fanout writes goes into this buffer. rapidjson 1.1.0
/// (Debian 12's) specialises Writer<StringBuffer> with an SSE2 scan
/// (RAPIDJSON_SSE2, set for every target) whose threshold is 0x19: the
/// control characters 0x1A..0x1F of a string's 16-byte blocks went out
/// unescaped, which is not JSON (fixed upstream after 1.1.0). A buffer type
/// of its own takes the writer's portable path, which escapes every one.
struct JsonBuffer : rapidjson::StringBuffer {};
using JsonWriter = rapidjson::Writer<JsonBuffer>;

/// The value of one member: null, a boolean, an integer, a number, a string,
/// or JSON text written as it is. Holds views: use it within the expression
/// that writes it.
class JsonValue {
public:
    JsonValue(std::nullptr_t) {}
    JsonValue(bool value) : kind_(Kind::boolean), boolean_(value) {}
    template <class Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
    JsonValue(Int value)
        : kind_(std::is_signed_v<Int> ? Kind::signed_integer : Kind::unsigned_integer),
          signed_(static_cast<std::int64_t>(value)),
          unsigned_(static_cast<std::uint64_t>(value)) {}
    JsonValue(double value) : kind_(Kind::number), number_(value) {}
    JsonValue(std::string_view value) : kind_(Kind::string), text_(value) {}
    JsonValue(const std::string& value) : JsonValue(std::string_view(value)) {}
    JsonValue(const char* value) : JsonValue(std::string_view(value)) {}

    /// null for an empty string ("not known yet", "no error").
    static JsonValue or_null(std::string_view value) { return value.empty() ? JsonValue(nullptr) : JsonValue(value); }

    /// `json`, already rendered JSON of `type`, written unchanged.
    static JsonValue raw(std::string_view json, rapidjson::Type type = rapidjson::kObjectType) {
        JsonValue v(json);
        v.kind_ = Kind::raw;
        v.raw_type_ = type;
        return v;
    }

    void write(JsonWriter& w) const {
        const auto size = static_cast<rapidjson::SizeType>(text_.size());
        switch (kind_) {
            case Kind::null: w.Null(); break;
            case Kind::boolean: w.Bool(boolean_); break;
            case Kind::signed_integer: w.Int64(signed_); break;
            case Kind::unsigned_integer: w.Uint64(unsigned_); break;
            case Kind::number: w.Double(number_); break;
            case Kind::string: w.String(text_.data(), size); break;
            case Kind::raw: w.RawValue(text_.data(), text_.size(), raw_type_); break;
        }
    }

private:
    enum class Kind { null, boolean, signed_integer, unsigned_integer, number, string, raw };
    Kind kind_ = Kind::null;
    bool boolean_ = false;
    std::int64_t signed_ = 0;
    std::uint64_t unsigned_ = 0;
    double number_ = 0;
    std::string_view text_;
    rapidjson::Type raw_type_ = rapidjson::kObjectType;
};

struct JsonMember {
    const char* key;
    JsonValue value;
};

/// `members`, in order, into the object `w` has open.
inline void write_members(JsonWriter& w, std::initializer_list<JsonMember> members) {
    for (const JsonMember& m : members) {
        w.Key(m.key);
        m.value.write(w);
    }
}

/// `{...}` of `members`, in order; `reserve`: the expected size, if known.
inline std::string json_object(std::initializer_list<JsonMember> members, std::size_t reserve = 0) {
    JsonBuffer buffer;
    if (reserve > 0) buffer.Reserve(reserve);
    JsonWriter w(buffer);
    w.StartObject();
    write_members(w, members);
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace fanout::common
