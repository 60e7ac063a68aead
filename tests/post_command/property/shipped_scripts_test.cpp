// The Lua scripts shipped in scripts/ are read-only consumers of the same
// events: every value the rule of valid event data allows (names at the
// 100-byte limit, emoji, right-to-left and combining text, control
// characters, the longest texts) must pass through them without a script
// error. Seeded (printed; FANOUT_PROPERTY_SEED replays).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fanout/common/event_data.hpp"
#include "hostile_commands.hpp"
#include "lua_fakes.hpp"

using namespace fanout;
using namespace fanout::test;

namespace {

std::string script(const char* name) {
    std::ifstream in(std::filesystem::path(FANOUT_SOURCE_DIR) / "scripts" / name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// `count` valid values of `kind` from the generator (invalid ones skipped).
std::vector<std::string> valid_values(HostileStrings& strings, event_data::Kind kind, std::size_t count) {
    std::vector<std::string> out;
    while (out.size() < count) {
        const JsonText t = strings.next(kind == event_data::Kind::text);
        if (t.decoded && event_data::valid(kind, *t.decoded)) out.push_back(*t.decoded);
    }
    return out;
}

TEST(ShippedScripts, EveryValueTheRuleAllowsPassesThroughAnalyticsAndTrending) {
    const std::uint64_t seed = property_seed("ShippedScripts.EveryValueTheRuleAllowsPassesThroughAnalyticsAndTrending");
    SCOPED_TRACE("FANOUT_PROPERTY_SEED=" + std::to_string(seed));
    HostileStrings strings(seed);
    const auto names = valid_values(strings, event_data::Kind::name, 600);
    const auto texts = valid_values(strings, event_data::Kind::text, 60);
    std::vector<FakeEvent> events;
    for (std::size_t i = 0; i < names.size(); ++i) {
        EventFields f;
        f.offset = static_cast<std::int64_t>(events.size());
        f.aggregate_id = f.key = "post-" + std::to_string(i);
        f.data = "{\"author\":" + json_literal(names[i]) + ",\"message\":" + json_literal(texts[i % texts.size()]) +
                 ",\"datePosted\":\"2026-11-22T10:00:00.123Z\"}";
        events.emplace_back(f);
        for (const char* type : {"PostLikedEvent", "CommentAddedEvent", "PostRemovedEvent"}) {
            f.offset = static_cast<std::int64_t>(events.size());
            f.type = type;
            f.version += 1;
            f.data = std::string(type) == "CommentAddedEvent"
                         ? "{\"commentId\":\"c-" + std::to_string(i) +
                               "\",\"comment\":" + json_literal(texts[(i + 1) % texts.size()]) +
                               ",\"username\":" + json_literal(names[names.size() - 1 - i]) +
                               ",\"commentDate\":\"2026-11-22T10:00:00.123Z\"}"
                         : "{}";
            events.emplace_back(f);
        }
    }
    for (const auto& [name, options] : {std::pair<const char*, const char*>{"analytics.lua", "{max_authors: 500}"},
                                        {"trending.lua", "{threshold: 1}"}}) {
        ScriptHarness h(script(name), options);
        // In batches, as a pipeline hands them.
        for (std::size_t from = 0; from < events.size(); from += 200) {
            const std::vector<FakeEvent> batch(events.begin() + static_cast<long>(from),
                                               events.begin() + static_cast<long>(std::min(events.size(), from + 200)));
            const auto outcomes = h.run(batch);
            for (std::size_t i = 0; i < outcomes.size(); ++i) {
                ASSERT_TRUE(outcomes[i].is_done()) << name << " on event " << from + i << ": " << outcomes[i].reason();
            }
        }
        EXPECT_EQ(h.context.counter_value("script_errors").value_or(0), 0u) << name;
    }
}

}  // namespace
