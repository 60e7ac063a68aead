// Build tool: an OpenAPI document in YAML (the one source of truth, beside its
// service) becomes compact JSON in a generated C++ source, which the service
// serves at GET /openapi.json.
//
//   embed_openapi INPUT.yaml NAMESPACE OUTPUT.cpp
//
// The output defines `std::string_view NAMESPACE::openapi_json() noexcept`.
// The build fails, naming the problem, when the YAML does not parse, is not an
// OpenAPI 3 document, or holds a local `$ref` that points nowhere.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <exception>
#include <fstream>
#include <iostream>
#include <regex>
#include <stdexcept>
#include <string>

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace {

using Allocator = rapidjson::Document::AllocatorType;

/// A plain (unquoted) scalar as YAML 1.2's core schema reads it; quoted and
/// block scalars are always strings.
rapidjson::Value scalar(const YAML::Node& node, Allocator& alloc) {
    const std::string& text = node.Scalar();
    if (node.Tag() == "?") {
        static const std::regex k_true("true|True|TRUE"), k_false("false|False|FALSE");
        static const std::regex k_int("[-+]?[0-9]+");
        static const std::regex k_float(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
        if (std::regex_match(text, k_true)) return rapidjson::Value(true);
        if (std::regex_match(text, k_false)) return rapidjson::Value(false);
        try {
            if (std::regex_match(text, k_int)) return rapidjson::Value(static_cast<std::int64_t>(std::stoll(text)));
            if (std::regex_match(text, k_float)) return rapidjson::Value(std::stod(text));
        } catch (const std::out_of_range&) {
            throw std::runtime_error("number out of range: " + text);
        }
    }
    return rapidjson::Value(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), alloc);
}

rapidjson::Value convert(const YAML::Node& node, Allocator& alloc) {
    switch (node.Type()) {
        case YAML::NodeType::Null: return rapidjson::Value(rapidjson::kNullType);
        case YAML::NodeType::Scalar: return scalar(node, alloc);
        case YAML::NodeType::Sequence: {
            rapidjson::Value array(rapidjson::kArrayType);
            for (const YAML::Node& item : node) array.PushBack(convert(item, alloc), alloc);
            return array;
        }
        case YAML::NodeType::Map: {
            rapidjson::Value object(rapidjson::kObjectType);
            for (const auto& member : node) {
                if (!member.first.IsScalar()) throw std::runtime_error("a mapping key that is not a scalar");
                const std::string& key = member.first.Scalar();
                if (object.HasMember(key.c_str())) {
                    throw std::runtime_error("key '" + key + "' given twice (line " +
                                             std::to_string(member.first.Mark().line + 1) + ")");
                }
                object.AddMember(rapidjson::Value(key.c_str(), alloc), convert(member.second, alloc), alloc);
            }
            return object;
        }
        case YAML::NodeType::Undefined: break;
    }
    throw std::runtime_error("an undefined node");
}

/// Every `$ref` of the form "#/..." must resolve within the document.
void check_refs(const rapidjson::Value& value, const rapidjson::Document& root) {
    if (value.IsArray()) {
        for (const auto& item : value.GetArray()) check_refs(item, root);
        return;
    }
    if (!value.IsObject()) return;
    for (const auto& member : value.GetObject()) {
        if (std::string_view(member.name.GetString()) == "$ref" && member.value.IsString()) {
            const std::string ref = member.value.GetString();
            if (ref.starts_with("#") && rapidjson::Pointer(ref.substr(1).c_str()).Get(root) == nullptr) {
                throw std::runtime_error("$ref " + ref + " points nowhere");
            }
        }
        check_refs(member.value, root);
    }
}

void check_openapi(const rapidjson::Document& doc) {
    if (!doc.IsObject()) throw std::runtime_error("not a mapping");
    const auto version = doc.FindMember("openapi");
    if (version == doc.MemberEnd() || !version->value.IsString() ||
        !std::string_view(version->value.GetString()).starts_with("3.")) {
        throw std::runtime_error("'openapi' must be a 3.x version string");
    }
    for (const char* key : {"info", "paths"}) {
        const auto member = doc.FindMember(key);
        if (member == doc.MemberEnd() || !member->value.IsObject()) {
            throw std::runtime_error(std::string("'") + key + "' must be a mapping");
        }
    }
    check_refs(doc, doc);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: embed_openapi INPUT.yaml NAMESPACE OUTPUT.cpp\n";
        return 64;
    }
    const std::string input = argv[1], ns = argv[2], output = argv[3];
    try {
        rapidjson::Document doc;
        static_cast<rapidjson::Value&>(doc) = convert(YAML::LoadFile(input), doc.GetAllocator());
        check_openapi(doc);
        rapidjson::StringBuffer buffer;
        rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
        doc.Accept(writer);
        const std::string json(buffer.GetString(), buffer.GetSize());
        const std::string delimiter = "fanout_openapi";
        if (json.find(")" + delimiter + "\"") != std::string::npos) throw std::runtime_error("holds the delimiter");

        std::ofstream out(output, std::ios::trunc);
        out << "// Generated from " << input << " by services/openapi/embed_openapi.cpp; do not edit.\n"
            << "#include <string_view>\n\nnamespace " << ns << " {\n\n"
            << "std::string_view openapi_json() noexcept {\n"
            << "    static constexpr char k_json[] = R\"" << delimiter << "(" << json << ")" << delimiter << "\";\n"
            << "    return {k_json, sizeof k_json - 1};\n}\n\n}  // namespace " << ns << "\n";
        if (!out.flush()) throw std::runtime_error("cannot write " + output);
    } catch (const std::exception& e) {
        std::cerr << input << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}
