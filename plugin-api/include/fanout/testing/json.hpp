#pragma once
// The JSON reading behind fanout::testing::FakeEvent: a small, self-contained
// reader with the daemon's rules (RapidJSON's defaults, docs/events.md), so the
// testing header needs nothing beyond the standard library.
//
// Not for plugins: plugins read events through fanout::Event.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <forward_list>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "fanout/testing/json_write.hpp"

namespace fanout::testing::detail {

enum class JsonKind : std::uint8_t { null, boolean, integer, unsigned_integer, number, string, array, object };

/// One parsed value. Strings point into the text or into the reader's store.
struct JsonValue {
    JsonKind kind = JsonKind::null;
    bool boolean = false;
    std::int64_t integer = 0;
    double number = 0;
    std::string_view string;
    std::string_view raw;  ///< the value's text as written
};

struct JsonMember {
    std::string_view name;
    JsonValue value;
};

/// Reads one JSON text: the members of the root object, and of the root's
/// first member named `nested` when that is an object. Optionally writes the
/// text back compactly (as the daemon's DataView::json() does).
class JsonReader {
public:
    /// `strings` keeps decoded strings that had escapes; it must outlive the
    /// views. Returns false on anything the daemon's parser refuses.
    bool read(std::string_view text, std::forward_list<std::string>& strings, std::vector<JsonMember>* root,
              std::string_view nested, std::vector<JsonMember>* nested_members, bool* nested_finite,
              std::string* compact = nullptr) {
        text_ = text;
        at_ = 0;
        strings_ = &strings;
        out_ = compact;
        if (text.find('\0') != std::string_view::npos) return false;  // never JSON; fanoutd refuses it whole
        skip_space();
        JsonValue value;
        bool finite = true;
        if (!parse_value(value, 0, root, nested, nested_members, nested_finite, finite)) return false;
        skip_space();
        return at_ == text_.size();
    }

    /// `raw` (a valid JSON value) written compactly.
    static std::string compact(std::string_view raw) {
        std::forward_list<std::string> strings;
        std::string out;
        JsonReader reader;
        if (!reader.read(raw, strings, nullptr, {}, nullptr, nullptr, &out)) return "{}";
        return out;
    }

private:
    static constexpr int k_max_depth = 1000;

    void skip_space() {
        while (at_ < text_.size() &&
               (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
            ++at_;
        }
    }
    bool take(char c) {
        if (at_ < text_.size() && text_[at_] == c) {
            ++at_;
            return true;
        }
        return false;
    }
    void emit(std::string_view s) {
        if (out_ != nullptr) *out_ += s;
    }

    bool parse_value(JsonValue& v, int depth, std::vector<JsonMember>* members, std::string_view nested,
                     std::vector<JsonMember>* nested_members, bool* nested_finite, bool& finite) {
        if (at_ >= text_.size() || depth > k_max_depth) return false;
        const std::size_t begin = at_;
        bool ok = false;
        switch (text_[at_]) {
            case '{': ok = parse_object(v, depth, members, nested, nested_members, nested_finite, finite); break;
            case '[':
                ok = parse_array(depth, finite);
                v.kind = JsonKind::array;
                break;
            case '"':
                ok = parse_string(v.string);
                v.kind = JsonKind::string;
                if (ok && out_ != nullptr) append_json_string(*out_, v.string);
                break;
            case 't':
                ok = literal("true");
                v.kind = JsonKind::boolean;
                v.boolean = true;
                break;
            case 'f':
                ok = literal("false");
                v.kind = JsonKind::boolean;
                break;
            case 'n':
                ok = literal("null");
                v.kind = JsonKind::null;
                break;
            default: ok = parse_number(v, finite);
        }
        v.raw = text_.substr(begin, at_ - begin);
        return ok;
    }

    bool literal(std::string_view word) {
        if (text_.substr(at_, word.size()) != word) return false;
        at_ += word.size();
        emit(word);
        return true;
    }

    bool parse_object(JsonValue& v, int depth, std::vector<JsonMember>* members, std::string_view nested,
                      std::vector<JsonMember>* nested_members, bool* nested_finite, bool& finite) {
        v.kind = JsonKind::object;
        ++at_;
        emit("{");
        skip_space();
        if (take('}')) {
            emit("}");
            return true;
        }
        bool nested_seen = false;
        for (bool first = true;; first = false) {
            if (!first) emit(",");
            skip_space();
            if (at_ >= text_.size() || text_[at_] != '"') return false;
            JsonMember m;
            if (!parse_string(m.name)) return false;
            if (out_ != nullptr) append_json_string(*out_, m.name);
            skip_space();
            if (!take(':')) return false;
            emit(":");
            skip_space();
            // Only the first member of that name counts, as in a lookup by name.
            const bool is_nested = members != nullptr && nested_members != nullptr && !nested_seen && m.name == nested;
            nested_seen = nested_seen || (members != nullptr && m.name == nested);
            bool member_finite = true;
            if (!parse_value(m.value, depth + 1, is_nested ? nested_members : nullptr, {}, nullptr, nullptr,
                             member_finite)) {
                return false;
            }
            if (is_nested && nested_finite != nullptr) *nested_finite = member_finite;
            finite = finite && member_finite;
            if (members != nullptr) members->push_back(m);
            skip_space();
            if (take('}')) {
                emit("}");
                return true;
            }
            if (!take(',')) return false;
        }
    }

    bool parse_array(int depth, bool& finite) {
        ++at_;
        emit("[");
        skip_space();
        if (take(']')) {
            emit("]");
            return true;
        }
        for (bool first = true;; first = false) {
            if (!first) emit(",");
            skip_space();
            JsonValue element;
            if (!parse_value(element, depth + 1, nullptr, {}, nullptr, nullptr, finite)) return false;
            skip_space();
            if (take(']')) {
                emit("]");
                return true;
            }
            if (!take(',')) return false;
        }
    }

    bool hex4(unsigned& out) {
        if (at_ + 4 > text_.size()) return false;
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[at_++];
            out <<= 4;
            if (c >= '0' && c <= '9') {
                out |= static_cast<unsigned>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                out |= static_cast<unsigned>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                out |= static_cast<unsigned>(c - 'A' + 10);
            } else {
                return false;
            }
        }
        return true;
    }

    static void append_utf8(std::string& s, unsigned cp) {
        if (cp < 0x80) {
            s += static_cast<char>(cp);
        } else if (cp < 0x800) {
            s += static_cast<char>(0xC0 | (cp >> 6));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s += static_cast<char>(0xE0 | (cp >> 12));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            s += static_cast<char>(0xF0 | (cp >> 18));
            s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    bool parse_string(std::string_view& result) {
        ++at_;  // the opening quote
        const std::size_t begin = at_;
        // The common case: no escapes, a view into the text.
        while (at_ < text_.size() && text_[at_] != '"' && text_[at_] != '\\') {
            if (static_cast<unsigned char>(text_[at_]) < 0x20) return false;
            ++at_;
        }
        if (at_ >= text_.size()) return false;
        if (text_[at_] == '"') {
            result = text_.substr(begin, at_ - begin);
            ++at_;
            return true;
        }
        std::string decoded(text_.substr(begin, at_ - begin));
        while (at_ < text_.size()) {
            const char c = text_[at_];
            if (c == '"') {
                ++at_;
                result = strings_->emplace_front(std::move(decoded));
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') {
                decoded += c;
                ++at_;
                continue;
            }
            if (++at_ >= text_.size()) return false;
            switch (text_[at_++]) {
                case '"': decoded += '"'; break;
                case '\\': decoded += '\\'; break;
                case '/': decoded += '/'; break;
                case 'b': decoded += '\b'; break;
                case 'f': decoded += '\f'; break;
                case 'n': decoded += '\n'; break;
                case 'r': decoded += '\r'; break;
                case 't': decoded += '\t'; break;
                case 'u': {
                    unsigned cp = 0;
                    if (!hex4(cp)) return false;
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        // A high surrogate must be followed by a low one; a lone
                        // low surrogate passes through (the data rule refuses it).
                        unsigned low = 0;
                        if (!take('\\') || !take('u') || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
                        cp = (((cp - 0xD800) << 10) | (low - 0xDC00)) + 0x10000;
                    }
                    append_utf8(decoded, cp);
                    break;
                }
                default: return false;
            }
        }
        return false;
    }

    bool parse_number(JsonValue& v, bool& finite) {
        const std::size_t begin = at_;
        const bool minus = take('-');
        const std::size_t int_begin = at_;
        if (at_ >= text_.size() || text_[at_] < '0' || text_[at_] > '9') return false;
        if (!take('0')) {
            while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
        }
        const std::size_t int_digits = at_ - int_begin;
        std::size_t frac_digits = 0;
        bool is_double = false;
        if (take('.')) {
            is_double = true;
            while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') {
                ++at_;
                ++frac_digits;
            }
            if (frac_digits == 0) return false;
        }
        if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
            is_double = true;
            ++at_;
            const bool exp_minus = take('-');
            if (!exp_minus) take('+');
            const std::size_t exp_begin = at_;
            long long exponent = 0;
            while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') {
                if (exponent < 100000) exponent = exponent * 10 + (text_[at_] - '0');
                ++at_;
            }
            if (at_ == exp_begin) return false;
            // The daemon's parser refuses a positive exponent past 308 (plus
            // the fraction's digits) instead of reading infinity.
            if (!exp_minus && exponent > 308 + static_cast<long long>(frac_digits)) return false;
        }
        if (int_digits > 308) return false;  // too big for a double: refused
        const std::string_view text = text_.substr(begin, at_ - begin);
        if (!is_double) {
            std::int64_t i = 0;
            auto r = std::from_chars(text.data(), text.data() + text.size(), i);
            if (r.ec == std::errc{} && r.ptr == text.data() + text.size()) {
                v.kind = JsonKind::integer;
                v.integer = i;
                v.number = static_cast<double>(i);
                emit(std::to_string(i));
                return true;
            }
            std::uint64_t u = 0;
            r = std::from_chars(text.data(), text.data() + text.size(), u);
            if (!minus && r.ec == std::errc{} && r.ptr == text.data() + text.size()) {
                v.kind = JsonKind::unsigned_integer;
                v.number = static_cast<double>(u);
                emit(std::to_string(u));
                return true;
            }
        }
        v.kind = JsonKind::number;
        double d = 0;
        const auto r = std::from_chars(text.data(), text.data() + text.size(), d);
        if (r.ec == std::errc::result_out_of_range) {
            // Overflow reads as infinity, underflow as zero.
            const bool huge =
                text.find_first_of("eE") == std::string_view::npos || text[text.find_first_of("eE") + 1] != '-';
            d = huge ? std::numeric_limits<double>::infinity() : 0.0;
            if (minus) d = -d;
        }
        v.number = d;
        if (!std::isfinite(d)) {
            finite = false;
            emit("null");  // never written back: data holding it counts as absent
        } else if (out_ != nullptr) {
            append_json_double(*out_, d);
        }
        return true;
    }

    std::string_view text_;
    std::size_t at_ = 0;
    std::forward_list<std::string>* strings_ = nullptr;
    std::string* out_ = nullptr;
};

}  // namespace fanout::testing::detail
