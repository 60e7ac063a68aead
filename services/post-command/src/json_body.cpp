#include "json_body.hpp"

#include <rapidjson/error/en.h>

#include "post_aggregate.hpp"

namespace fanout::post_command {

std::optional<std::string> JsonBody::parse(std::string_view text) {
    if (is_blank(text)) return "a JSON request body is required";
    doc_.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (doc_.HasParseError()) {
        return std::string("request body is not valid JSON: ") + rapidjson::GetParseError_En(doc_.GetParseError()) +
               " (offset " + std::to_string(doc_.GetErrorOffset()) + ")";
    }
    if (!doc_.IsObject()) return "request body must be a JSON object";
    return std::nullopt;
}

const rapidjson::Value* JsonBody::find(std::string_view name, bool& repeated) const {
    const rapidjson::Value* found = nullptr;
    repeated = false;
    for (const auto& member : doc_.GetObject()) {
        const std::string_view key(member.name.GetString(), member.name.GetStringLength());
        if (!equals_ignore_case(key, name)) continue;
        if (found != nullptr) repeated = true;
        found = &member.value;
    }
    return found;
}

std::optional<std::string> JsonBody::string(std::string_view name, std::string& error) const {
    bool repeated = false;
    const rapidjson::Value* value = find(name, repeated);
    if (repeated) {
        // "message" and "Message" in one body: which one was meant is unknowable.
        error = "field '" + std::string(name) + "' is given more than once (names match ignoring case)";
        return std::nullopt;
    }
    if (value == nullptr || value->IsNull()) {
        error = "missing required field '" + std::string(name) + "'";
        return std::nullopt;
    }
    if (!value->IsString()) {
        error = "field '" + std::string(name) + "' must be a string";
        return std::nullopt;
    }
    return std::string(value->GetString(), value->GetStringLength());
}

}  // namespace fanout::post_command
