#pragma once
// PostgreSQL array literals ('{"a","b\"c",NULL}'), passed as one text
// parameter and unnested server-side: one statement per batch instead of a
// round trip per row.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
