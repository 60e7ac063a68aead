#include "committed_offsets.hpp"

#include <algorithm>
#include <utility>

namespace fanout::bench {

CommittedOffsets::CommittedOffsets(const std::string& brokers, const std::string& group, const std::string& topic,
                                   int partitions)
    : client_(make_client(RD_KAFKA_CONSUMER, brokers,
                          {{"group.id", group}, {"enable.auto.commit", "false"}, {"log_level", "3"}})),
      list_(rd_kafka_topic_partition_list_new(partitions)) {
    for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list_, topic.c_str(), p);
}

CommittedOffsets::~CommittedOffsets() {
    if (list_ != nullptr) rd_kafka_topic_partition_list_destroy(list_);
}

CommittedOffsets::CommittedOffsets(CommittedOffsets&& other) noexcept
    : client_(std::move(other.client_)), list_(std::exchange(other.list_, nullptr)) {}

std::optional<std::vector<std::int64_t>> CommittedOffsets::read() {
    for (int p = 0; p < list_->cnt; ++p) list_->elems[p].offset = RD_KAFKA_OFFSET_INVALID;
    if (rd_kafka_committed(client_.get(), list_, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
    std::vector<std::int64_t> out;
    for (int p = 0; p < list_->cnt; ++p) out.push_back(list_->elems[p].err ? -1 : list_->elems[p].offset);
    return out;
}

std::int64_t CommittedOffsets::total() {
    const auto offsets = read();
    return offsets ? sum_of(*offsets) : -1;
}

std::int64_t sum_of(const std::vector<std::int64_t>& offsets) {
    std::int64_t sum = 0;
    for (const std::int64_t offset : offsets) sum += std::max<std::int64_t>(offset, 0);
    return sum;
}

}  // namespace fanout::bench
