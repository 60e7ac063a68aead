#pragma once
// A request body as one JSON object whose field names match ignoring ASCII
// case, so the seed's camelCase and PascalCase bodies both work (as ASP.NET's
// default binder accepted them). A field given twice in two spellings is an
// error, not a guess.
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace fanout::post_command {

class JsonBody {
public:
    /// Parse `text`. Returns an error message for clients, or nothing.
    /// Iterative parsing: deep nesting cannot overflow the stack.
    std::optional<std::string> parse(std::string_view text);

    /// The string field `name`. On failure returns nothing and sets `error`
    /// (missing, null, not a string, or given twice in two spellings).
    std::optional<std::string> string(std::string_view name, std::string& error) const;

private:
    /// The member named `name` ignoring ASCII case; `repeated` when several are.
    const rapidjson::Value* find(std::string_view name, bool& repeated) const;

    rapidjson::Document doc_;
};

}  // namespace fanout::post_command
