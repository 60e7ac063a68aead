// post-query's pagination cursor: any client text either decodes to a key
// that encodes back to exactly that cursor, or is refused; any key of the
// read model encodes to a cursor that decodes to it.
#include <string>

#include "cursor.hpp"
#include "text_target.hpp"

namespace pq = fanout::post_query;
using fanout::fuzz::check;

void fanout::fuzz::fuzz_text(std::string_view text) {
    if (const auto key = pq::decode_cursor(text)) {
        check(!key->date_posted.empty() && !key->post_id.empty(), "a decoded cursor has both fields");
        check(pq::encode_cursor(*key) == text, "a valid cursor is the only encoding of its key", text);
    }

    // The input as a read model key (date, newline, id): whatever decode
    // accepts must come back unchanged from the cursor made of it.
    const auto parts = fanout::fuzz::split(text, "\n", 2);
    const pq::PageKey key{std::string(parts[0]), parts.size() > 1 ? std::string(parts[1]) : std::string("x")};
    const std::string cursor = pq::encode_cursor(key);
    if (cursor.size() <= pq::k_max_cursor_length) {
        if (const auto back = pq::decode_cursor(cursor)) {
            check(*back == key, "a cursor decodes to the key it was made of", cursor);
        }
    }
}
