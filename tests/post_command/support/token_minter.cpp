#include "token_minter.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace fanout::test {
namespace {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using BigNum = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

std::string bio_text(BIO* bio) {
    BUF_MEM* buffer = nullptr;
    BIO_get_mem_ptr(bio, &buffer);
    return std::string(buffer->data, buffer->length);
}

KeyPair to_pem(EVP_PKEY* raw) {
    if (raw == nullptr) throw std::runtime_error("key generation failed");
    PKey key(raw, EVP_PKEY_free);
    Bio priv(BIO_new(BIO_s_mem()), BIO_free), pub(BIO_new(BIO_s_mem()), BIO_free);
    if (PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
        PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
        throw std::runtime_error("PEM encoding failed");
    }
    return {bio_text(priv.get()), bio_text(pub.get())};
}

/// A big number parameter as exactly `width` big-endian bytes (0: its own size).
std::string bn_bytes(EVP_PKEY* key, const char* name, int width) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &raw) != 1) throw std::runtime_error(std::string("no key parameter ") + name);
    BigNum bn(raw, BN_free);
    std::string out(width > 0 ? width : BN_num_bytes(bn.get()), '\0');
    BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
    return out;
}

}  // namespace

KeyPair make_rsa_key(int bits) { return to_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits))); }

KeyPair make_ec_key(const char* curve) { return to_pem(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve)); }

std::string public_jwk(const KeyPair& pair, const std::string& kid) {
    Bio in(BIO_new_mem_buf(pair.public_pem.data(), static_cast<int>(pair.public_pem.size())), BIO_free);
    PKey key(PEM_read_bio_PUBKEY(in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    if (!key) throw std::runtime_error("not a public key");
    if (EVP_PKEY_get_base_id(key.get()) == EVP_PKEY_RSA) {
        return R"({"kty":"RSA","kid":")" + kid + R"(","use":"sig","n":")" +
               base64url(bn_bytes(key.get(), OSSL_PKEY_PARAM_RSA_N, 0)) + R"(","e":")" +
               base64url(bn_bytes(key.get(), OSSL_PKEY_PARAM_RSA_E, 0)) + R"("})";
    }
    char curve[64] = {};
    EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, nullptr);
    const std::string group = curve;
    const auto [crv, width] = group == "prime256v1"  ? std::pair{"P-256", 32}
                              : group == "secp384r1" ? std::pair{"P-384", 48}
                                                     : std::pair{"P-521", 66};
    return R"({"kty":"EC","kid":")" + kid + R"(","crv":")" + crv + R"(","x":")" +
           base64url(bn_bytes(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, width)) + R"(","y":")" +
           base64url(bn_bytes(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, width)) + R"("})";
}

std::string sign_token(const std::string& alg, const std::string& key, const std::string& claims_json,
                       const std::string& kid) {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
    std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, jwt_free);
    if (jwt_add_grants_json(jwt.get(), claims_json.c_str()) != 0) throw std::runtime_error("bad claims JSON");
    if (!kid.empty()) jwt_add_header(jwt.get(), "kid", kid.c_str());
    if (jwt_set_alg(jwt.get(), jwt_str_alg(alg.c_str()), reinterpret_cast<const unsigned char*>(key.data()),
                    static_cast<int>(key.size())) != 0) {
        throw std::runtime_error("jwt_set_alg " + alg + " failed");
    }
    char* encoded = jwt_encode_str(jwt.get());
    if (encoded == nullptr) throw std::runtime_error("jwt_encode_str failed");
    std::string token(encoded);
    free(encoded);
    return token;
}

std::string base64url(const std::string& bytes) {
    static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const unsigned char c : bytes) {
        buffer = (buffer << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(k_alphabet[(buffer >> bits) & 0x3F]);
        }
    }
    if (bits > 0) out.push_back(k_alphabet[(buffer << (6 - bits)) & 0x3F]);
    return out;
}

std::string raw_token(const std::string& header_json, const std::string& claims_json, const std::string& signature) {
    return base64url(header_json) + "." + base64url(claims_json) + "." + base64url(signature);
}

std::int64_t unix_now() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

std::string claims(const std::string& iss, const std::string& aud, const std::string& sub, const std::string& extra) {
    return R"({"iss":")" + iss + R"(","aud":")" + aud + R"(","sub":")" + sub + R"(","exp":)" +
           std::to_string(unix_now() + 3600) + extra + "}";
}

}  // namespace fanout::test
