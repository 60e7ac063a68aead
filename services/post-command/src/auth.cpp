#include "auth.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <stdexcept>

#include <jwt.h>
#include <rapidjson/document.h>

#include "auth_keys.hpp"
#include "fanout/common/event_data.hpp"
#include "post_aggregate.hpp"

namespace fanout::post_command {
namespace {

using Jwt = std::unique_ptr<jwt_t, decltype(&jwt_free)>;

/// Far beyond any real token; a longer header value is not worth parsing.
constexpr std::size_t k_max_token_bytes = 16 * 1024;

struct FreeString {
    void operator()(char* p) const { std::free(p); }
};

AuthFailure failure(const char* description) { return AuthFailure{description}; }

/// The JSON object `segment` (base64url) encodes, or false.
bool decode_json_object(std::string_view segment, rapidjson::Document& out) {
    std::string json;
    if (!base64url_decode(segment, json)) return false;
    out.Parse(json.data(), json.size());
    return !out.HasParseError() && out.IsObject();
}

std::optional<std::string> string_member(const rapidjson::Value& object, const char* name) {
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

/// A NumericDate claim: nothing when absent; `bad` when present but not a number.
std::optional<double> time_member(const rapidjson::Value& claims, const char* name, bool& bad) {
    const auto it = claims.FindMember(name);
    if (it == claims.MemberEnd()) return std::nullopt;
    if (!it->value.IsNumber() || !std::isfinite(it->value.GetDouble())) {
        bad = true;
        return std::nullopt;
    }
    return it->value.GetDouble();
}

/// True when `value` is `wanted`, or an array holding it.
bool holds(const rapidjson::Value& claims, const std::string& name, const std::string& wanted) {
    const auto it = claims.FindMember(name.c_str());
    if (it == claims.MemberEnd()) return false;
    const auto equals = [&](const rapidjson::Value& v) {
        return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == wanted;
    };
    if (equals(it->value)) return true;
    if (!it->value.IsArray()) return false;
    for (const auto& item : it->value.GetArray()) {
        if (equals(item)) return true;
    }
    return false;
}

}  // namespace

TokenVerifier::TokenVerifier(AuthSettings settings) : settings_(std::move(settings)) {
    const int sources =
        !settings_.hs256_secret_file.empty() + !settings_.public_key_file.empty() + !settings_.jwks_file.empty();
    if (sources != 1) {
        throw std::invalid_argument(
            "auth: set exactly one of hs256_secret_file, public_key_file and jwks_file (found " +
            std::to_string(sources) + ")");
    }
    if (settings_.issuer.empty()) throw std::invalid_argument("auth.issuer: must not be empty");
    if (settings_.audience.empty()) throw std::invalid_argument("auth.audience: must not be empty");
    if (settings_.user_claim.empty()) throw std::invalid_argument("auth.user_claim: must not be empty");
    try {
        if (!settings_.hs256_secret_file.empty()) {
            keys_.push_back(load_secret_key(settings_.hs256_secret_file));
        } else if (!settings_.public_key_file.empty()) {
            keys_.push_back(load_pem_key(settings_.public_key_file));
        } else {
            keys_ = load_jwks(settings_.jwks_file);
        }
    } catch (const std::invalid_argument& e) {
        const char* field = !settings_.hs256_secret_file.empty() ? "auth.hs256_secret_file"
                            : !settings_.public_key_file.empty() ? "auth.public_key_file"
                                                                 : "auth.jwks_file";
        throw std::invalid_argument(std::string(field) + ": " + e.what());
    }
}

TokenVerifier::~TokenVerifier() = default;

std::string TokenVerifier::describe() const {
    std::string source =
        !settings_.hs256_secret_file.empty() ? "HMAC secret file " + settings_.hs256_secret_file.string()
        : !settings_.public_key_file.empty()
            ? "public key file " + settings_.public_key_file.string()
            : "JWKS file " + settings_.jwks_file.string() + " (" + std::to_string(keys_.size()) + " keys)";
    return source + ", issuer " + settings_.issuer + ", audience " + settings_.audience + ", user claim " +
           settings_.user_claim + ", clock skew " + std::to_string(settings_.clock_skew_s) + "s";
}

const VerificationKey* TokenVerifier::key_for(const std::string& kid) const {
    if (settings_.jwks_file.empty() || (keys_.size() == 1 && kid.empty())) return &keys_.front();
    for (const VerificationKey& key : keys_) {
        if (key.kid == kid) return &key;
    }
    return nullptr;
}

std::variant<Identity, AuthFailure> TokenVerifier::verify(std::string_view token) const {
    using namespace std::chrono;
    return verify(token, duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

std::variant<Identity, AuthFailure> TokenVerifier::verify(std::string_view token, std::int64_t now) const {
    if (token.empty() || token.size() > k_max_token_bytes) return failure("the token is not a compact JWS");
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        return failure("the token is not a compact JWS");
    }

    // The header picks the key and the algorithm; both must fit the
    // configuration before the signature is checked.
    rapidjson::Document header;
    if (!decode_json_object(token.substr(0, dot1), header)) return failure("the token header is not valid JSON");
    const std::optional<std::string> alg = string_member(header, "alg");
    if (!alg) return failure("the token header names no algorithm");
    if (header.HasMember("crit")) return failure("the token header has critical extensions this service does not know");
    // libjwt 1.10 verifies only JWTs typed JWT (or untyped); say so rather than "bad signature".
    if (const auto typ = string_member(header, "typ"); typ && !equals_ignore_case(*typ, "JWT")) {
        return failure("the token's typ is not JWT");
    }
    const std::string kid = string_member(header, "kid").value_or("");
    const VerificationKey* key = key_for(kid);
    if (key == nullptr) return failure("no configured key has the token's kid");
    if (!key->allows(*alg)) return failure("the token's algorithm is not accepted for the configured key");
    if (dot2 == token.size() - 1) return failure("the token has no signature");

    jwt_t* raw = nullptr;
    const std::string text(token);
    const int rc = jwt_decode(&raw, text.c_str(), reinterpret_cast<const unsigned char*>(key->material.data()),
                              static_cast<int>(key->material.size()));
    Jwt jwt(raw, jwt_free);
    if (rc != 0 || !jwt) return failure("the token's signature does not verify");
    // libjwt read the same header: its algorithm must be the one allowed above.
    if (jwt_get_alg(jwt.get()) == JWT_ALG_NONE || *alg != jwt_alg_str(jwt_get_alg(jwt.get()))) {
        return failure("the token's algorithm is not accepted for the configured key");
    }

    const std::unique_ptr<char, FreeString> grants(jwt_get_grants_json(jwt.get(), nullptr));
    rapidjson::Document claims;
    if (!grants || claims.Parse(grants.get()).HasParseError() || !claims.IsObject()) {
        return failure("the token's claims are not a JSON object");
    }

    bool bad_time = false;
    const std::optional<double> exp = time_member(claims, "exp", bad_time);
    const std::optional<double> nbf = time_member(claims, "nbf", bad_time);
    if (bad_time) return failure("the token's exp or nbf is not a number");
    const double skew = settings_.clock_skew_s;
    if (!exp) return failure("the token has no exp claim");
    if (static_cast<double>(now) >= *exp + skew) return failure("the token has expired");
    if (nbf && static_cast<double>(now) + skew < *nbf) return failure("the token is not valid yet (nbf)");
    if (string_member(claims, "iss") != settings_.issuer) return failure("the token's issuer is not accepted");
    if (!holds(claims, "aud", settings_.audience)) return failure("the token's audience is not this service");

    const std::optional<std::string> user = string_member(claims, settings_.user_claim.c_str());
    if (!user || user->empty()) return failure("the token has no user claim (a non-empty string)");
    if (!event_data::check(event_data::Kind::name, *user)) {
        return failure("the token's user is not a valid author name (1 to 100 bytes of UTF-8, not blank)");
    }
    return Identity{*user, !settings_.admin_role.empty() && holds(claims, settings_.admin_claim, settings_.admin_role)};
}

}  // namespace fanout::post_command
