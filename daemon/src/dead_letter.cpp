#include "dead_letter.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace fanout::daemon {
namespace {

constexpr std::size_t k_kept_key_bytes = 256;
constexpr std::size_t k_kept_reason_bytes = 512;

SyncProducer::Headers coordinates(const Event& event, const DeadLetterInfo& info, std::size_t reason_limit) {
    return {{"fanout.plugin", info.plugin},
            {"fanout.reason", info.reason.substr(0, reason_limit)},
            {"fanout.attempts", std::to_string(info.attempts)},
            {"fanout.source.topic", std::string(event.topic())},
            {"fanout.source.partition", std::to_string(event.partition())},
            {"fanout.source.offset", std::to_string(event.offset())}};
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += k_hex[digest[i] >> 4];
        out += k_hex[digest[i] & 0xf];
    }
    return out;
}

DeadLetterResult DeadLetterSink::send(const Event& event, const DeadLetterInfo& info) {
    SyncProducer::Headers headers;
    for (const Header& h : event.headers()) headers.emplace_back(h.name, h.value);
    const std::size_t original_headers = headers.size();
    for (auto& h : coordinates(event, info, std::string::npos)) headers.push_back(std::move(h));
    SyncProducer::Result r = producer_.produce(topic_, event.key(), event.payload(), headers);
    if (r.ok()) return {};
    if (!r.too_large()) return {r.error, false, false};

    // Too large whole: retrying the same record would fail forever and hold
    // the partition. Send what identifies the event instead.
    const std::string_view value = event.payload();
    SyncProducer::Headers marks = {{"fanout.truncated", "true"},
                                   {"fanout.truncated.error", r.error},
                                   {"fanout.original.size", std::to_string(value.size())},
                                   {"fanout.original.sha256", sha256_hex(value)}};
    const std::string_view kept_value = value.substr(0, k_kept_value_bytes);
    headers.insert(headers.end(), marks.begin(), marks.end());
    headers.emplace_back("fanout.truncated.kept", std::to_string(kept_value.size()));
    r = producer_.produce(topic_, event.key(), kept_value, headers);
    if (r.ok()) return {{}, true, false};
    if (!r.too_large()) return {r.error, false, false};

    // The smallest copy: no value, no original headers, key and reason cut.
    const std::string_view key = event.key();
    headers = coordinates(event, info, k_kept_reason_bytes);
    headers.insert(headers.end(), marks.begin(), marks.end());
    headers.emplace_back("fanout.truncated.kept", "0");
    headers.emplace_back("fanout.original.headers", std::to_string(original_headers));
    if (key.size() > k_kept_key_bytes) headers.emplace_back("fanout.original.key.size", std::to_string(key.size()));
    r = producer_.produce(topic_, key.substr(0, k_kept_key_bytes), {}, headers);
    if (r.ok()) return {{}, true, false};
    return {r.error, false, r.too_large()};
}

}  // namespace fanout::daemon
