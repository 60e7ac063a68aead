#include "fanout/sql/pg_array.hpp"

#include <charconv>

namespace fanout::sql {

void PgArray::add(std::string_view value) {
    separator();
    text_ += '"';
    for (const char c : value) {
        if (c == '"' || c == '\\') text_ += '\\';
        text_ += c;
    }
    text_ += '"';
}

void PgArray::add(std::int64_t value) {
    separator();
    char buffer[24];
    text_.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

void PgArray::add_null() {
    separator();
    text_ += "NULL";
}

}  // namespace fanout::sql
