#include "auth_keys.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <rapidjson/document.h>

#include "fanout/common/text.hpp"

namespace fanout::post_command {
namespace {

namespace fs = std::filesystem;

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using PKeyContext = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using ParamBuilder = std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)>;
using Params = std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)>;
using BigNum = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

constexpr std::size_t k_min_secret_bytes = 32;  // RFC 7518 3.2: at least the hash's size
constexpr int k_min_rsa_bits = 2048;

[[noreturn]] void fail(const fs::path& file, const std::string& why) {
    throw std::invalid_argument(file.string() + ": " + why);
}

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(file, "cannot be read");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The ESxxx algorithm of an EC curve, or "" for a curve JWS does not name.
std::string ec_algorithm(const std::string& curve) {
    if (curve == "prime256v1" || curve == "P-256") return "ES256";
    if (curve == "secp384r1" || curve == "P-384") return "ES384";
    if (curve == "secp521r1" || curve == "P-521") return "ES512";
    return {};
}

/// The key's type and algorithms, from the parsed public key.
VerificationKey describe_key(const fs::path& file, EVP_PKEY* pkey) {
    VerificationKey key;
    switch (EVP_PKEY_get_base_id(pkey)) {
        case EVP_PKEY_RSA:
            if (EVP_PKEY_get_bits(pkey) < k_min_rsa_bits) {
                fail(file, "the RSA key has " + std::to_string(EVP_PKEY_get_bits(pkey)) + " bits; at least " +
                               std::to_string(k_min_rsa_bits) + " are required");
            }
            key.type = VerificationKey::Type::rsa;
            key.algorithms = {"RS256", "RS384", "RS512"};
            break;
        case EVP_PKEY_EC: {
            char curve[64] = {};
            std::size_t length = 0;
            if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &length) != 1) {
                fail(file, "the EC key names no curve");
            }
            const std::string alg = ec_algorithm(curve);
            if (alg.empty()) fail(file, std::string("the EC key's curve ") + curve + " is not P-256, P-384 or P-521");
            key.type = VerificationKey::Type::ec;
            key.algorithms = {alg};
            break;
        }
        default: fail(file, "the public key is neither RSA nor EC");
    }
    Bio out(BIO_new(BIO_s_mem()), BIO_free);
    if (!out || PEM_write_bio_PUBKEY(out.get(), pkey) != 1) fail(file, "the public key cannot be encoded as PEM");
    BUF_MEM* buffer = nullptr;
    BIO_get_mem_ptr(out.get(), &buffer);
    key.material.assign(buffer->data, buffer->length);
    return key;
}

std::string member_string(const rapidjson::Value& object, const char* name) {
    const auto it = object.FindMember(name);
    if (it == object.MemberEnd() || !it->value.IsString()) return {};
    return std::string(it->value.GetString(), it->value.GetStringLength());
}

/// A JWK's base64url member as bytes; fails naming the key and member.
std::string jwk_bytes(const fs::path& file, const rapidjson::Value& jwk, const char* name, const std::string& which) {
    std::string bytes;
    if (!base64url_decode(member_string(jwk, name), bytes) || bytes.empty()) {
        fail(file, which + ": member '" + name + "' must be a non-empty base64url string");
    }
    return bytes;
}

BigNum to_bignum(const std::string& bytes) {
    return BigNum(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr),
        BN_free);
}

/// A public key from OpenSSL parameters.
PKey from_params(const fs::path& file, const char* type, OSSL_PARAM_BLD* builder, const std::string& which) {
    Params params(OSSL_PARAM_BLD_to_param(builder), OSSL_PARAM_free);
    PKeyContext context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), EVP_PKEY_CTX_free);
    EVP_PKEY* pkey = nullptr;
    if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
        EVP_PKEY_fromdata(context.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        fail(file, which + ": not a valid " + type + " public key");
    }
    return PKey(pkey, EVP_PKEY_free);
}

PKey rsa_from_jwk(const fs::path& file, const rapidjson::Value& jwk, const std::string& which) {
    const BigNum n = to_bignum(jwk_bytes(file, jwk, "n", which));
    const BigNum e = to_bignum(jwk_bytes(file, jwk, "e", which));
    ParamBuilder builder(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
    if (!n || !e || !builder || OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
        fail(file, which + ": cannot build the RSA key");
    }
    return from_params(file, "RSA", builder.get(), which);
}

PKey ec_from_jwk(const fs::path& file, const rapidjson::Value& jwk, const std::string& which) {
    const std::string crv = member_string(jwk, "crv");
    const std::string group = crv == "P-256"   ? "prime256v1"
                              : crv == "P-384" ? "secp384r1"
                              : crv == "P-521" ? "secp521r1"
                                               : "";
    if (group.empty()) fail(file, which + ": member 'crv' must be P-256, P-384 or P-521");
    // An uncompressed point: 0x04 || x || y.
    const std::string point =
        std::string(1, '\x04') + jwk_bytes(file, jwk, "x", which) + jwk_bytes(file, jwk, "y", which);
    ParamBuilder builder(OSSL_PARAM_BLD_new(), OSSL_PARAM_BLD_free);
    if (!builder || OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.c_str(), 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
        fail(file, which + ": cannot build the EC key");
    }
    return from_params(file, "EC", builder.get(), which);
}

}  // namespace

bool VerificationKey::allows(const std::string& alg) const {
    return std::find(algorithms.begin(), algorithms.end(), alg) != algorithms.end();
}

bool base64url_decode(std::string_view text, std::string& out) {
    out.clear();
    if (text.size() % 4 == 1) return false;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        int value;
        if (c >= 'A' && c <= 'Z')
            value = c - 'A';
        else if (c >= 'a' && c <= 'z')
            value = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            value = c - '0' + 52;
        else if (c == '-')
            value = 62;
        else if (c == '_')
            value = 63;
        else
            return false;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    return true;
}

VerificationKey load_secret_key(const fs::path& file) {
    const std::optional<std::string> secret = common::read_secret_file(file);
    if (!secret) fail(file, "cannot be read or holds no secret");
    if (secret->size() < k_min_secret_bytes) {
        fail(file, "the secret is shorter than " + std::to_string(k_min_secret_bytes) +
                       " bytes (e.g. openssl rand -hex 32 > FILE)");
    }
    VerificationKey key;
    key.type = VerificationKey::Type::hmac;
    key.material = *secret;
    key.algorithms = {"HS256", "HS384", "HS512"};
    return key;
}

VerificationKey load_pem_key(const fs::path& file) {
    const std::string pem = read_file(file);
    Bio in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
    PKey pkey(in ? PEM_read_bio_PUBKEY(in.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
    if (!pkey) fail(file, "not a PEM public key (-----BEGIN PUBLIC KEY-----)");
    return describe_key(file, pkey.get());
}

std::vector<VerificationKey> load_jwks(const fs::path& file) {
    const std::string text = read_file(file);
    rapidjson::Document parsed;
    parsed.Parse(text.data(), text.size());
    const rapidjson::Document& doc = parsed;
    if (doc.HasParseError() || !doc.IsObject()) fail(file, "not a JSON object (a JWK Set)");
    const auto keys = doc.FindMember("keys");
    if (keys == doc.MemberEnd() || !keys->value.IsArray()) fail(file, "a JWK Set needs a 'keys' array");
    std::vector<VerificationKey> out;
    std::set<std::string> kids;
    for (rapidjson::SizeType i = 0; i < keys->value.Size(); ++i) {
        const rapidjson::Value& jwk = keys->value[i];
        const std::string which = "keys[" + std::to_string(i) + "]";
        if (!jwk.IsObject()) fail(file, which + ": expected an object");
        const std::string kty = member_string(jwk, "kty");
        const std::string use = member_string(jwk, "use");
        if ((kty != "RSA" && kty != "EC") || (!use.empty() && use != "sig")) continue;
        PKey pkey = kty == "RSA" ? rsa_from_jwk(file, jwk, which) : ec_from_jwk(file, jwk, which);
        VerificationKey key = describe_key(file, pkey.get());
        key.kid = member_string(jwk, "kid");
        if (!kids.insert(key.kid).second) {
            fail(file, which + ": the kid '" + key.kid + "' is used by an earlier key too");
        }
        const std::string alg = member_string(jwk, "alg");
        if (!alg.empty()) {
            if (!key.allows(alg)) fail(file, which + ": alg '" + alg + "' does not fit a " + kty + " key");
            key.algorithms = {alg};
        }
        out.push_back(std::move(key));
    }
    if (out.empty()) fail(file, "the JWK Set holds no RSA or EC signing key");
    return out;
}

}  // namespace fanout::post_command
