// The admin routes' selection of dead letters, and UTC times in milliseconds.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "dead_letter_store.hpp"
#include "fanout/common/text.hpp"

namespace fanout::daemon {

std::optional<std::int64_t> parse_utc_ms(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS[.fraction]Z
    if (text.size() < 20 || text.back() != 'Z' || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    auto number = [&](std::size_t at, std::size_t n) { return common::parse_integer<int>(text.substr(at, n)); };
    const auto year = number(0, 4), month = number(5, 2), day = number(8, 2), hour = number(11, 2),
               minute = number(14, 2), second = number(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || *month < 1 || *month > 12 || *day < 1 ||
        *day > 31 || *hour > 23 || *minute > 59 || *second > 60) {
        return std::nullopt;
    }
    std::int64_t millis = 0;
    const std::string_view rest = text.substr(19, text.size() - 20);
    if (!rest.empty()) {
        if (rest.front() != '.' || rest.size() < 2 || rest.size() > 10) return std::nullopt;
        std::string digits(rest.substr(1));
        if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
        digits.resize(3, '0');
        millis = *common::parse_integer<int>(digits.substr(0, 3));
    }
    std::tm tm{};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    const std::time_t seconds = timegm(&tm);
    if (tm.tm_mday != *day) return std::nullopt;  // 31 April and friends roll over
    return static_cast<std::int64_t>(seconds) * 1000 + millis;
}

DeadLetterSelection parse_selection(const std::vector<std::pair<std::string, std::string>>& params) {
    DeadLetterSelection s;
    auto integer = [](const std::string& name, const std::string& value, std::int64_t min) {
        const auto n = common::parse_integer<std::int64_t>(value);
        if (!n || *n < min) {
            throw std::invalid_argument("parameter '" + name + "': expected an integer of at least " +
                                        std::to_string(min) + ", found '" + value + "'");
        }
        return *n;
    };
    auto time = [](const std::string& name, const std::string& value) {
        const auto ms = parse_utc_ms(value);
        if (!ms) {
            throw std::invalid_argument("parameter '" + name +
                                        "': expected a UTC time like 2026-12-05T10:00:00Z, found '" + value + "'");
        }
        return *ms;
    };
    for (const auto& [name, value] : params) {
        if (name == "plugin") {
            s.plugin = value;
        } else if (name == "reason") {
            try {
                s.reason.emplace(value, std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                throw std::invalid_argument("parameter 'reason': not a regular expression (ECMAScript): " +
                                            std::string(e.what()));
            }
            s.reason_pattern = value;
        } else if (name == "since") {
            s.since_ms = time(name, value);
        } else if (name == "until") {
            s.until_ms = time(name, value);
        } else if (name == "partition") {
            s.partition = static_cast<std::int32_t>(std::min<std::int64_t>(integer(name, value, 0), INT32_MAX));
        } else if (name == "from_offset") {
            s.from_offset = integer(name, value, 0);
        } else if (name == "to_offset") {
            s.to_offset = integer(name, value, 0);
        }
    }
    if (s.since_ms && s.until_ms && *s.since_ms >= *s.until_ms) {
        throw std::invalid_argument("parameters 'since' and 'until': 'since' must be before 'until'");
    }
    if (s.from_offset && s.to_offset && *s.from_offset > *s.to_offset) {
        throw std::invalid_argument("parameters 'from_offset' and 'to_offset': 'from_offset' must not be after 'to_offset'");
    }
    return s;
}

}  // namespace fanout::daemon
