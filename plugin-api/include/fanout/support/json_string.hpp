#pragma once
// JSON string escaping for plugins and the host: one implementation, header
// only. Helpers under fanout/support/ are compiled into each side and never
// cross the plugin boundary, so they are not part of the plugin ABI
// (plugin-api/abi.lock).
#include <string>
#include <string_view>

namespace fanout::support {

/// Digits of a \u00XX escape: JSON.stringify writes lower case, RapidJSON
/// (fanoutd's event writer) upper case. Both read the same.
enum class HexDigits { lower, upper };

/// Append `text` escaped for the inside of a JSON string (no quotes): `"`,
/// `\` and control characters (\b \f \n \r \t, the others as \u00XX). Other
/// bytes, UTF-8 included, pass through unchanged; runs of them are copied at once.
inline void append_json_escaped(std::string& out, std::string_view text, HexDigits hex = HexDigits::lower) {
    const char* digits = hex == HexDigits::lower ? "0123456789abcdef" : "0123456789ABCDEF";
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out += digits[c >> 4];
                out += digits[c & 0xf];
        }
    }
    out.append(text.data() + run, text.size() - run);
}

/// `text` as a JSON string literal, quotes included.
inline void append_json_string(std::string& out, std::string_view text, HexDigits hex = HexDigits::lower) {
    out += '"';
    append_json_escaped(out, text, hex);
    out += '"';
}

}  // namespace fanout::support
