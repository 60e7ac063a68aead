// post-command's decisions on one post for any sequence of command bodies,
// followed to what fanoutd reads: each accepted event's data decodes to the
// same event, the aggregate survives a snapshot, and the event's envelope is
// a valid envelope for fanoutd with the command's strings intact.
//
// Input: commands separated by NUL bytes; a command's first byte chooses its
// kind (modulo 7: new post, edit message, like, add comment, edit comment,
// remove comment, delete post), the rest is its JSON body. New comments get
// the ids 00000000-0000-4000-8000-00000000000N (N = 1, 2, ... in hex).
#include <cstdio>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "commands.hpp"
#include "domain_events.hpp"
#include "envelope.hpp"
#include "event_record.hpp"
#include "fuzz_support.hpp"
#include "kafka_record.hpp"
#include "post_aggregate.hpp"

namespace {

namespace pc = fanout::post_command;
using fanout::fuzz::check;

constexpr const char* k_post_id = "3f2b8c1e-9a4d-4c7e-8f10-2b3c4d5e6f70";
constexpr const char* k_now = "2026-12-03T10:00:00.000Z";

std::string comment_id(int n) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012x", n);
    return id;
}

pc::Decision decide(const pc::PostAggregate& post, unsigned kind, std::string_view body, int& comments) {
    const auto refused = [](const std::string&) { return pc::Decision{}; };
    switch (kind % 7) {
        case 0: {
            const auto b = pc::parse_new_post(body);
            if (auto* e = std::get_if<std::string>(&b)) return refused(*e);
            const auto& v = std::get<pc::NewPostBody>(b);
            return post.create(v.author, v.message, k_now);
        }
        case 1: {
            const auto b = pc::parse_edit_message(body);
            if (auto* e = std::get_if<std::string>(&b)) return refused(*e);
            const auto& v = std::get<pc::EditMessageBody>(b);
            return post.edit_message(v.message, v.username);
        }
        case 2: return post.like();
        case 3: {
            const auto b = pc::parse_add_comment(body);
            if (auto* e = std::get_if<std::string>(&b)) return refused(*e);
            const auto& v = std::get<pc::AddCommentBody>(b);
            return post.add_comment(v.comment, v.username, comment_id(++comments), k_now);
        }
        case 4: {
            const auto b = pc::parse_edit_comment(body);
            if (auto* e = std::get_if<std::string>(&b)) return refused(*e);
            const auto& v = std::get<pc::EditCommentBody>(b);
            return post.edit_comment(v.comment_id, v.comment, v.username, k_now);
        }
        case 5: {
            const auto b = pc::parse_remove_comment(body);
            if (auto* e = std::get_if<std::string>(&b)) return refused(*e);
            const auto& v = std::get<pc::RemoveCommentBody>(b);
            return post.remove_comment(v.comment_id, v.username);
        }
        default: {
            const auto b = pc::parse_delete_post(body);
            if (auto* e = std::get_if<std::string>(&b)) return refused(*e);
            return post.remove(std::get<pc::DeletePostBody>(b).username);
        }
    }
}

/// The strings of an event's data, by contract field name.
std::vector<std::pair<const char*, std::string>> strings_of(const pc::DomainEvent& event) {
    return std::visit(
        [](const auto& e) -> std::vector<std::pair<const char*, std::string>> {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, pc::PostCreated>) {
                return {{"author", e.author}, {"message", e.message}, {"datePosted", e.date_posted}};
            } else if constexpr (std::is_same_v<T, pc::MessageUpdated>) {
                return {{"message", e.message}};
            } else if constexpr (std::is_same_v<T, pc::CommentAdded>) {
                return {{"commentId", e.comment_id},
                        {"comment", e.comment},
                        {"username", e.username},
                        {"commentDate", e.comment_date}};
            } else if constexpr (std::is_same_v<T, pc::CommentUpdated>) {
                return {{"commentId", e.comment_id},
                        {"comment", e.comment},
                        {"username", e.username},
                        {"editDate", e.edit_date}};
            } else if constexpr (std::is_same_v<T, pc::CommentRemoved>) {
                return {{"commentId", e.comment_id}};
            } else {
                return {};
            }
        },
        event);
}

void check_published(const pc::DomainEvent& event, std::int64_t version) {
    const std::string type = pc::type_name(event);
    const std::string data = pc::encode_data(event);
    check(pc::encode_data(pc::decode_event(type, data)) == data, "stored data decodes to the same event", data);

    pc::StoredEvent stored{version, "0b7e1d2c-3a4f-4e5d-9c8b-7a6f5e4d3c2b", k_post_id, version, type, data, k_now};
    const std::string envelope = pc::make_envelope(stored);
    fanout::fuzz::KafkaRecordMemory memory(k_post_id, envelope, {{"event-type", type}});
    const fanout::daemon::EventRecord record(fanout::daemon::KafkaMessage(memory.message()));
    check(record.envelope_valid(), "fanoutd reads post-command's envelope as valid", envelope);
    check(record.type() == type && record.version() == version && record.aggregate_id() == k_post_id,
          "the envelope's fields read back", envelope);
    for (const auto& [field, value] : strings_of(event)) {
        check(record.data().string(field) == std::optional<std::string_view>(value),
              "every string of the command reaches fanoutd unchanged", envelope);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto commands = fanout::fuzz::split(fanout::fuzz::as_text(data, size), std::string_view("\0", 1), 32);
    pc::PostAggregate post(k_post_id);
    int comments = 0;
    for (const std::string_view command : commands) {
        if (command.empty()) continue;
        const auto kind = static_cast<unsigned char>(command[0]);
        const pc::Decision decision = decide(post, kind, command.substr(1), comments);
        if (decision.error) check(!decision.error->message.empty(), "a refused command has a message");
        for (const pc::DomainEvent& event : decision.events) {
            post.apply(event);
            check_published(event, post.version());
        }
        if (post.exists()) {
            const auto restored = pc::PostAggregate::from_snapshot(post.id(), post.version(), post.snapshot_json());
            check(restored == post, "a snapshot restores the same aggregate", post.snapshot_json());
        }
    }
    return 0;
}
