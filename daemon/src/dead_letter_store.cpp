#include "dead_letter_store.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <stdexcept>

#include <rapidjson/document.h>

#include "fanout/common/json_object.hpp"
#include "fanout/common/text.hpp"
#include "kafka.hpp"
#include "producer.hpp"

namespace fanout::daemon {
namespace {

constexpr int k_broker_timeout_ms = 10'000;
constexpr std::size_t k_send_chunk = 500;  // records in flight at once
constexpr std::size_t k_kept_history = 20;
constexpr std::size_t k_history_reason_bytes = 512;

/// Headers the dead-letter sink and redrive add: not the event's own.
bool added_by_fanout(std::string_view name) {
    static constexpr std::array<std::string_view, 10> k_exact = {
        "fanout.plugin",          "fanout.reason",          "fanout.attempts",        "fanout.original.size",
        "fanout.original.sha256", "fanout.original.headers", "fanout.original.key.size", "fanout.redriven.from",
        "fanout.history",         "fanout.truncated"};
    return std::find(k_exact.begin(), k_exact.end(), name) != k_exact.end() || name.starts_with("fanout.source.") ||
           name.starts_with("fanout.truncated.");
}

std::string text_of(const void* data, std::size_t size) {
    return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
}

/// The record's headers, in order.
std::vector<std::pair<std::string, std::string>> headers_of(const rd_kafka_message_t* m) {
    std::vector<std::pair<std::string, std::string>> out;
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR || headers == nullptr) return out;
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
        out.emplace_back(name, text_of(value, size));
    }
    return out;
}

template <class Int>
Int header_number(const DeadLetter& d, std::string_view name, Int fallback) {
    const std::string* v = d.header(name);
    if (v == nullptr) return fallback;
    return common::parse_integer<Int>(*v).value_or(fallback);
}

DeadLetter dead_letter_of(const rd_kafka_message_t* m) {
    DeadLetter d;
    d.partition = m->partition;
    d.offset = m->offset;
    rd_kafka_timestamp_type_t type;
    d.timestamp_ms = rd_kafka_message_timestamp(m, &type);
    d.key = text_of(m->key, m->key_len);
    d.value = text_of(m->payload, m->len);
    d.headers = headers_of(m);
    if (const std::string* v = d.header("fanout.plugin")) d.plugin = *v;
    if (const std::string* v = d.header("fanout.reason")) d.reason = *v;
    if (const std::string* v = d.header("fanout.source.topic")) d.source_topic = *v;
    d.attempts = header_number<int>(d, "fanout.attempts", 0);
    d.source_partition = header_number<std::int32_t>(d, "fanout.source.partition", -1);
    d.source_offset = header_number<std::int64_t>(d, "fanout.source.offset", -1);
    d.truncated = d.header("fanout.truncated") != nullptr;
    return d;
}

bool selected(const DeadLetterSelection& s, const DeadLetter& d) {
    if (!s.plugin.empty() && d.plugin != s.plugin) return false;
    if (s.since_ms && d.timestamp_ms < *s.since_ms) return false;
    if (s.until_ms && d.timestamp_ms >= *s.until_ms) return false;
    if (s.reason && !std::regex_search(d.reason, *s.reason)) return false;
    return true;
}

/// The `fanout.history` of a redriven record: the failures so far, this one last.
std::string history_with(const DeadLetter& d, const std::string& id) {
    rapidjson::Document previous;
    if (const std::string* h = d.header("fanout.history")) previous.Parse(h->c_str(), h->size());
    fanout::common::JsonBuffer buffer;
    common::JsonWriter w(buffer);
    w.StartArray();
    if (previous.IsArray()) {
        const rapidjson::SizeType n = previous.Size();
        const rapidjson::SizeType skip = n + 1 > k_kept_history ? n + 1 - k_kept_history : 0;
        for (rapidjson::SizeType i = skip; i < n; ++i) previous[i].Accept(w);
    }
    w.StartObject();
    const std::string reason = d.reason.substr(0, k_history_reason_bytes);
    common::write_members(w, {{"plugin", d.plugin},
                              {"reason", reason},
                              {"attempts", d.attempts},
                              {"deadLetter", id},
                              {"deadLetteredAt", format_utc_ms(d.timestamp_ms)}});
    w.EndObject();
    w.EndArray();
    return {buffer.GetString(), buffer.GetSize()};
}

/// A dead letter as the record its plugin receives again.
struct Redriven {
    std::string key, value;
    SyncProducer::Headers headers;
};

Redriven redriven_record(const DeadLetter& d, const std::string& id, DeadLetter* original) {
    const DeadLetter& body = original != nullptr ? *original : d;
    Redriven r{body.key, body.value, {}};
    for (const auto& [name, value] : body.headers) {
        if (!added_by_fanout(name)) r.headers.emplace_back(name, value);
    }
    if (d.header("fanout.original.topic") == nullptr) {
        r.headers.emplace_back("fanout.original.topic", d.source_topic);
        r.headers.emplace_back("fanout.original.partition", std::to_string(d.source_partition));
        r.headers.emplace_back("fanout.original.offset", std::to_string(d.source_offset));
    }
    r.headers.emplace_back("fanout.redriven.from", id);
    r.headers.emplace_back("fanout.history", history_with(d, id));
    return r;
}

}  // namespace

std::string DeadLetter::id(const std::string& topic) const {
    return topic + ":" + std::to_string(partition) + ":" + std::to_string(offset);
}

const std::string* DeadLetter::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (n == name) return &v;
    }
    return nullptr;
}

namespace {

/// A consumer outside any group that reads ranges of a topic.
class TopicReader {
public:
    TopicReader(const DaemonSettings& settings, const std::atomic<bool>& c, std::chrono::steady_clock::time_point d)
        : cancel(c), deadline(d) {
        KafkaConf conf = make_kafka_conf(settings.kafka,
                                         {{"group.id", "fanoutd-dead-letters"},
                                          {"client.id", "fanoutd-dead-letters"},
                                          {"enable.auto.commit", "false"},
                                          {"enable.auto.offset.store", "false"},
                                          {"enable.partition.eof", "true"},
                                          {"auto.offset.reset", "earliest"}},
                                         settings.file);
        rd_kafka_conf_set_log_cb(conf.get(), &log_from_kafka);
        char err[512];
        consumer.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), err, sizeof err));
        if (!consumer) throw DeadLetterError(std::string("cannot create a Kafka consumer: ") + err);
        conf.release();
    }

    void check_time() const {
        if (cancel.load(std::memory_order_acquire)) throw DeadLetterError("fanoutd is stopping");
        if (std::chrono::steady_clock::now() > deadline) {
            throw DeadLetterError("reading the dead letters took too long: narrow the selection");
        }
    }

    /// The partition ids of `topic`; empty when it does not exist.
    std::vector<std::int32_t> partitions(const std::string& topic) {
        const rd_kafka_metadata_t* md = nullptr;
        // All topics: asking for one by name could create it on a broker that
        // auto-creates topics.
        if (rd_kafka_resp_err_t e = rd_kafka_metadata(consumer.get(), 1, nullptr, &md, k_broker_timeout_ms); e) {
            throw DeadLetterError("cannot read the broker's metadata: " + std::string(rd_kafka_err2str(e)));
        }
        std::vector<std::int32_t> ids;
        for (int i = 0; i < md->topic_cnt; ++i) {
            if (topic != md->topics[i].topic) continue;
            for (int p = 0; p < md->topics[i].partition_cnt; ++p) ids.push_back(md->topics[i].partitions[p].id);
        }
        rd_kafka_metadata_destroy(md);
        std::sort(ids.begin(), ids.end());
        return ids;
    }

    /// Read [start, end) of each partition of `topic` selected by `s`.
    std::size_t read(const std::string& topic, const DeadLetterSelection& s,
                     const std::function<bool(const rd_kafka_message_t*)>& visit) {
        std::map<std::int32_t, std::int64_t> ends;  // partition -> end (exclusive), while unread
        PartitionList assignment = make_partition_list();
        for (std::int32_t p : partitions(topic)) {
            if (s.partition && p != *s.partition) continue;
            std::int64_t low = 0, high = 0;
            if (rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(consumer.get(), topic.c_str(), p, &low, &high,
                                                                         k_broker_timeout_ms)) {
                throw DeadLetterError("cannot read the offsets of " + topic + "[" + std::to_string(p) +
                                      "]: " + rd_kafka_err2str(e));
            }
            std::int64_t start = std::max(low, s.from_offset.value_or(0));
            const std::int64_t end = std::min(high, s.to_offset ? *s.to_offset + 1 : high);
            if (s.since_ms && start < end) start = std::max(start, offset_at(topic, p, *s.since_ms, end));
            if (start >= end) continue;
            rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset = start;
            ends[p] = end;
        }
        if (ends.empty()) return 0;
        if (rd_kafka_resp_err_t e = rd_kafka_assign(consumer.get(), assignment.get())) {
            throw DeadLetterError("cannot read " + topic + ": " + rd_kafka_err2str(e));
        }
        std::size_t count = 0;
        bool go_on = true;
        while (!ends.empty() && go_on) {
            check_time();
            KafkaMessage m(rd_kafka_consumer_poll(consumer.get(), 200));
            if (!m) continue;
            const auto at = ends.find(m->partition);
            if (at == ends.end()) continue;
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                ends.erase(at);
                continue;
            }
            if (m->err) throw DeadLetterError("reading " + topic + ": " + rd_kafka_message_errstr(m.get()));
            if (m->offset >= at->second) {
                ends.erase(at);
                continue;
            }
            ++count;
            go_on = visit(m.get());
            if (m->offset + 1 >= at->second) ends.erase(at);
        }
        rd_kafka_assign(consumer.get(), nullptr);
        return count;
    }

    /// The first offset of `topic[p]` written at or after `ms` (`end` if none).
    std::int64_t offset_at(const std::string& topic, std::int32_t p, std::int64_t ms, std::int64_t end) {
        PartitionList list = make_partition_list(1);
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = ms;
        if (rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(consumer.get(), list.get(), k_broker_timeout_ms)) {
            throw DeadLetterError("cannot find offsets by time in " + topic + ": " + rd_kafka_err2str(e));
        }
        const std::int64_t offset = list->elems[0].offset;
        return offset < 0 ? end : offset;
    }

    std::optional<DeadLetter> one(const std::string& topic, std::int32_t partition, std::int64_t offset) {
        DeadLetterSelection s;
        s.partition = partition;
        s.from_offset = offset;
        s.to_offset = offset;
        std::optional<DeadLetter> found;
        read(topic, s, [&](const rd_kafka_message_t* m) {
            if (m->offset == offset) found = dead_letter_of(m);
            return false;
        });
        return found;
    }

    void create_topic(const std::string& topic, int partitions);

private:
    const std::atomic<bool>& cancel;
    const std::chrono::steady_clock::time_point deadline;
    KafkaHandle consumer;
};

void TopicReader::create_topic(const std::string& topic, int partitions) {
    char err[512];
    rd_kafka_NewTopic_t* spec = rd_kafka_NewTopic_new(topic.c_str(), std::max(partitions, 1), -1, err, sizeof err);
    if (spec == nullptr) throw DeadLetterError("cannot create topic " + topic + ": " + err);
    KafkaQueue queue(rd_kafka_queue_new(consumer.get()));
    rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(consumer.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(options, k_broker_timeout_ms, err, sizeof err);
    rd_kafka_CreateTopics(consumer.get(), &spec, 1, options, queue.get());
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue.get(), k_broker_timeout_ms + 5000);
    std::string error;
    if (event == nullptr) {
        error = "no answer from the broker";
    } else if (rd_kafka_event_error(event)) {
        error = rd_kafka_event_error_string(event);
    } else {
        std::size_t n = 0;
        const rd_kafka_topic_result_t** results =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &n);
        for (std::size_t i = 0; i < n; ++i) {
            const rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
            if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) error = rd_kafka_topic_result_error_string(results[i]);
        }
    }
    if (event != nullptr) rd_kafka_event_destroy(event);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_NewTopic_destroy(spec);
    if (!error.empty()) throw DeadLetterError("cannot create topic " + topic + ": " + error);
}

}  // namespace

struct DeadLetterStore::Impl {
    Impl(const DaemonSettings& s, const std::atomic<bool>& c, std::chrono::seconds limit)
        : settings(s), cancel(c), deadline(std::chrono::steady_clock::now() + limit), reader(s, c, deadline) {}

    /// A second reader, for the records a scan needs while it runs.
    TopicReader& lookup() {
        if (!side) side = std::make_unique<TopicReader>(settings, cancel, deadline);
        return *side;
    }
    SyncProducer& producer() {
        if (!sender) sender = std::make_unique<SyncProducer>(settings, "fanoutd-redrive");
        return *sender;
    }

    const DaemonSettings& settings;
    const std::atomic<bool>& cancel;
    const std::chrono::steady_clock::time_point deadline;
    TopicReader reader;
    std::unique_ptr<TopicReader> side;
    std::unique_ptr<SyncProducer> sender;
};

DeadLetterStore::DeadLetterStore(const DaemonSettings& settings, const std::atomic<bool>& cancel,
                                 std::chrono::seconds deadline)
    : impl_(std::make_unique<Impl>(settings, cancel, deadline)) {}

DeadLetterStore::~DeadLetterStore() = default;

std::size_t DeadLetterStore::scan(const DeadLetterSelection& selection,
                                  const std::function<bool(DeadLetter&&)>& visit) {
    return impl_->reader.read(impl_->settings.dead_letter_topic, selection, [&](const rd_kafka_message_t* m) {
        DeadLetter d = dead_letter_of(m);
        return selected(selection, d) ? visit(std::move(d)) : true;
    });
}

std::optional<DeadLetter> DeadLetterStore::get(std::int32_t partition, std::int64_t offset) {
    return impl_->reader.one(impl_->settings.dead_letter_topic, partition, offset);
}

std::vector<std::string> DeadLetterStore::redriven(const std::string& plugin) {
    std::vector<std::string> ids;
    impl_->reader.read(redrive_topic_of(impl_->settings.dead_letter_topic, plugin), {}, [&](const rd_kafka_message_t* m) {
        for (auto& [name, value] : headers_of(m)) {
            if (name == "fanout.redriven.from") ids.push_back(std::move(value));
        }
        return true;
    });
    return ids;
}

RedriveReport DeadLetterStore::redrive(const DeadLetterSelection& selection, bool dry_run, bool force,
                                       std::size_t limit) {
    if (selection.plugin.empty()) throw std::invalid_argument("a redrive needs the plugin's name");
    const std::string& dlq = impl_->settings.dead_letter_topic;
    RedriveReport report;
    report.topic = redrive_topic_of(dlq, selection.plugin);
    std::set<std::string> ledger;
    if (!force) {
        for (std::string& id : redriven(selection.plugin)) ledger.insert(std::move(id));
    }
    // Created on the first record sent: a redrive that matches nothing
    // leaves the cluster as it was.
    const int partitions = static_cast<int>(impl_->reader.partitions(dlq).size());
    bool created = false;

    std::vector<Redriven> pending;
    auto send = [&] {
        if (pending.empty()) return;
        if (!created) impl_->reader.create_topic(report.topic, partitions);
        created = true;
        std::vector<SyncProducer::Record> records;
        records.reserve(pending.size());
        for (const Redriven& r : pending) records.push_back({r.key, r.value, &r.headers});
        const SyncProducer::Result result = impl_->producer().produce_all(report.topic, records);
        if (!result.ok()) {
            throw DeadLetterError("the redrive stopped after " + std::to_string(report.sent) + " records: " +
                                  result.error + " (run it again: what was sent is not sent twice)");
        }
        report.sent += pending.size();
        pending.clear();
    };
    report.scanned = scan(selection, [&](DeadLetter&& d) {
        ++report.matched;
        const std::string id = d.id(dlq);
        d.redriven = ledger.contains(id);
        if (d.redriven) {
            ++report.already;
            return true;
        }
        std::optional<DeadLetter> original;
        if (d.truncated) {
            // The dead letter holds a cut copy: the whole record is read from
            // where it failed, while that topic still retains it.
            if (d.source_partition >= 0 && d.source_offset >= 0) {
                original = impl_->lookup().one(d.source_topic, d.source_partition, d.source_offset);
            }
            if (!original) {
                ++report.unavailable;
                return true;
            }
        }
        if (report.listed.size() < limit) report.listed.push_back(d);
        if (!dry_run) {
            pending.push_back(redriven_record(d, id, original ? &*original : nullptr));
            if (pending.size() >= k_send_chunk) send();
        }
        return true;
    });
    if (!dry_run) send();
    return report;
}

}  // namespace fanout::daemon
