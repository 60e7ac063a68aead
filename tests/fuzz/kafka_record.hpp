#pragma once
// A consumed Kafka record built in memory, for fuzzing what fanoutd does with
// one (EventRecord) without a broker.
//
// librdkafka 2.0.2 has no public constructor for rd_kafka_message_t. It keeps
// each message as the first member of a larger private struct whose other
// fields, zeroed, mean "no flags, nothing to free, no topic": the layout its
// own internal rd_kafka_message_new() allocates. rd_kafka_message_destroy()
// then frees only the headers, so the memory stays ours and is freed after the
// record. Headers are always attached (an empty list when there are none):
// rd_kafka_message_headers() on a message without them looks at its topic.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "fuzz_support.hpp"

namespace fanout::fuzz {

class KafkaRecordMemory {
public:
    /// Bytes far beyond librdkafka's private message struct (under 300).
    static constexpr std::size_t k_size = 2048;

    KafkaRecordMemory(std::string_view key, std::string_view payload,
                      const std::vector<std::pair<std::string_view, std::string_view>>& headers)
        : memory_(static_cast<char*>(std::calloc(1, k_size)), &std::free), key_(copy(key)), payload_(copy(payload)) {
        auto* m = message();
        m->partition = 3;
        m->offset = 42;
        m->payload = payload_.get();
        m->len = payload.size();
        m->key = key_.get();
        m->key_len = key.size();
        rd_kafka_headers_t* list = rd_kafka_headers_new(headers.size());
        for (const auto& [name, value] : headers) {
            // librdkafka takes names as C strings: a name stops at its first NUL.
            rd_kafka_header_add(list, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                                static_cast<ssize_t>(value.size()));
        }
        rd_kafka_message_set_headers(m, list);
    }

    KafkaRecordMemory(const KafkaRecordMemory&) = delete;
    KafkaRecordMemory& operator=(const KafkaRecordMemory&) = delete;

    /// The message: hand it to one owner (EventRecord), which must be gone
    /// before this object is.
    rd_kafka_message_t* message() { return reinterpret_cast<rd_kafka_message_t*>(memory_.get()); }

private:
    /// An exact-size copy (no terminator), so a read past the end is caught;
    /// null when empty, as librdkafka hands an empty key or value.
    static std::unique_ptr<char[]> copy(std::string_view bytes) {
        if (bytes.empty()) return nullptr;
        auto out = std::make_unique_for_overwrite<char[]>(bytes.size());
        std::memcpy(out.get(), bytes.data(), bytes.size());
        return out;
    }

    std::unique_ptr<char, decltype(&std::free)> memory_;
    std::unique_ptr<char[]> key_;
    std::unique_ptr<char[]> payload_;
};

/// A record written as text: optional header lines `name:value` (`@key:value`
/// sets the key), a blank line, then the value. Without a blank line the whole
/// text is the value.
struct RecordText {
    std::string_view key, payload;
    std::vector<std::pair<std::string_view, std::string_view>> headers;
};

inline RecordText parse_record_text(std::string_view input) {
    RecordText r;
    const auto blank = input.find("\n\n");
    if (blank == std::string_view::npos) {
        r.payload = input;
        return r;
    }
    r.payload = input.substr(blank + 2);
    for (std::string_view line : split(input.substr(0, blank), "\n", 64)) {
        const auto colon = line.find(':');
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
        if (name == "@key") {
            r.key = value;
        } else {
            r.headers.emplace_back(name, value);
        }
    }
    return r;
}

}  // namespace fanout::fuzz
