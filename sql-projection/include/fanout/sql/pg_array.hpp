#pragma once
// PostgreSQL array literals ('{"a","b\"c",NULL}'), passed as one text
// parameter and unnested server-side: one statement per batch instead of a
// round trip per row.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace fanout::sql {

class PgArray {
public:
    void clear() {
        text_.assign(1, '{');
        size_ = 0;
        closed_ = false;
    }
    /// A quoted element: only `"` and `\` need escaping inside quotes.
    void add(std::string_view value);
    void add(std::optional<std::string_view> value) { value ? add(*value) : add_null(); }
    void add(std::int64_t value);
    void add_null();
    /// Any column value: text (std::string, string_view, const char*),
    /// integers, bool (0/1), and std::optional of those (NULL when empty).
    template <typename T>
    void add_value(const T& value) {
        if constexpr (std::is_same_v<T, bool>) {
            add(std::int64_t{value ? 1 : 0});
        } else if constexpr (std::is_integral_v<T>) {
            add(static_cast<std::int64_t>(value));
        } else if constexpr (requires { value.has_value(); *value; }) {
            value ? add_value(*value) : add_null();
        } else {
            add(std::string_view(value));
        }
    }
    /// The literal; valid until clear(). Add nothing after this.
    const std::string& literal() {
        if (!closed_) text_ += '}';
        closed_ = true;
        return text_;
    }
    std::size_t size() const noexcept { return size_; }

private:
    void separator() {
        if (size_++ > 0) text_ += ',';
    }

    std::string text_ = "{";
    std::size_t size_ = 0;
    bool closed_ = false;
};

}  // namespace fanout::sql
