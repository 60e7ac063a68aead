#pragma once
// Reading the dead-letter topic back: selecting a plugin's dead letters (by
// reason, time, offsets), and redriving them to that plugin alone.
//
// Redrive writes each selected record, with its original key, value and
// headers, to the plugin's redrive topic `<dead_letter_topic>.redrive.<plugin>`
// (created on first use with the dead-letter topic's partition count), which
// only that plugin's pipeline subscribes to. A redriven record names the dead
// letter it came from (`fanout.redriven.from`), the event's first coordinates
// (`fanout.original.*`) and the failures so far (`fanout.history`, JSON). The
// redrive topic is its own ledger: a dead letter already named there by a
// `fanout.redriven.from` is not sent again unless forced.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "fanout/common/text.hpp"
#include "config.hpp"

namespace fanout::daemon {

/// Which dead letters. Empty fields select everything.
struct DeadLetterSelection {
    std::string plugin;                    ///< the fanout.plugin header, exactly
    std::string reason_pattern;            ///< ECMAScript regex searched in the reason
    std::optional<std::regex> reason;      ///< compiled reason_pattern
    std::optional<std::int64_t> since_ms;  ///< dead-lettered at or after (Unix ms)
    std::optional<std::int64_t> until_ms;  ///< dead-lettered before (Unix ms)
    std::optional<std::int32_t> partition; ///< of the dead-letter topic
    std::optional<std::int64_t> from_offset, to_offset;  ///< dead-letter topic offsets, both included
};

/// Parse the query parameters of the admin routes into a selection. Throws
/// std::invalid_argument naming the parameter and what it expects.
DeadLetterSelection parse_selection(const std::vector<std::pair<std::string, std::string>>& params);

/// `2026-12-05T10:00:00Z` (fraction optional) as Unix milliseconds.
std::optional<std::int64_t> parse_utc_ms(std::string_view text);
using common::format_utc_ms;

struct DeadLetter {
    std::int32_t partition = 0;  ///< in the dead-letter topic
    std::int64_t offset = 0;
    std::int64_t timestamp_ms = 0;  ///< when it was dead-lettered
    std::string plugin, reason;
    int attempts = 0;
    std::string source_topic;  ///< where the failing delivery was read
    std::int32_t source_partition = -1;
    std::int64_t source_offset = -1;
    std::string key, value;
    std::vector<std::pair<std::string, std::string>> headers;  ///< all, in order
    bool truncated = false;                                   ///< the value is a cut copy
    bool redriven = false;                                    ///< named in the plugin's redrive ledger

    /// "topic:partition:offset" of this dead letter.
    std::string id(const std::string& topic) const;
    /// The header's value, if present.
    const std::string* header(std::string_view name) const;
};

/// Thrown when the broker cannot be asked, or the scan ran out of time.
struct DeadLetterError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// What a redrive did (or, dry, would do).
struct RedriveReport {
    std::string topic;            ///< the plugin's redrive topic
    std::size_t scanned = 0;      ///< dead letters read
    std::size_t matched = 0;      ///< selected for the plugin
    std::size_t already = 0;      ///< skipped: redriven before (not forced)
    std::size_t unavailable = 0;  ///< truncated and no longer in the source topic
    std::size_t sent = 0;         ///< written to the redrive topic (0 when dry)
    std::vector<DeadLetter> listed;  ///< the first `limit` that are (or would be) sent
};

/// Reads the dead-letter topic with a short-lived consumer of its own (never
/// a group member). Each call is bounded by `deadline` and stops early when
/// `cancel` becomes true.
class DeadLetterStore {
public:
    DeadLetterStore(const DaemonSettings& settings, const std::atomic<bool>& cancel,
                    std::chrono::seconds deadline = std::chrono::seconds(120));
    ~DeadLetterStore();
    DeadLetterStore(const DeadLetterStore&) = delete;
    DeadLetterStore& operator=(const DeadLetterStore&) = delete;

    /// Call `visit` for each selected dead letter, oldest first per
    /// partition; it returns false to stop. Returns how many were read.
    std::size_t scan(const DeadLetterSelection& selection, const std::function<bool(DeadLetter&&)>& visit);
    /// One dead letter by its coordinates.
    std::optional<DeadLetter> get(std::int32_t partition, std::int64_t offset);
    /// The dead letters already redriven to `plugin` ("partition:offset").
    std::vector<std::string> redriven(const std::string& plugin);
    /// Redrive the selection (its `plugin` is required) to that plugin.
    RedriveReport redrive(const DeadLetterSelection& selection, bool dry_run, bool force, std::size_t limit);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fanout::daemon
