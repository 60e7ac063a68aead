#pragma once
// Tokens and keys for the authentication tests, made with the library that
// post-command verifies with (libjwt) and OpenSSL: HS/RS/ES-signed JWTs,
// RSA and EC key pairs as PEM and as JWKs, and hand-built tokens for what no
// honest signer makes (alg none, a forged header).
#include <cstdint>
#include <string>

namespace fanout::test {

struct KeyPair {
    std::string private_pem, public_pem;
};

/// A fresh RSA key pair of `bits` bits.
KeyPair make_rsa_key(int bits = 2048);
/// A fresh EC key pair on `curve` ("P-256", "P-384", "P-521").
KeyPair make_ec_key(const char* curve = "P-256");

/// The public half of `pair` as one JWK object (kty RSA or EC) with `kid`.
std::string public_jwk(const KeyPair& pair, const std::string& kid);

/// A JWS of `claims_json` signed with `alg` (HS256 ... ES512) and `key`
/// (the secret, or a private key as PEM); `kid` set in the header when not empty.
std::string sign_token(const std::string& alg, const std::string& key, const std::string& claims_json,
                       const std::string& kid = "");

/// `header_json`.`claims_json`.`signature`, each part base64url-encoded as
/// given (signature raw bytes; empty: no signature).
std::string raw_token(const std::string& header_json, const std::string& claims_json,
                      const std::string& signature = "");

/// base64url without padding.
std::string base64url(const std::string& bytes);

/// Now, in seconds since the epoch.
std::int64_t unix_now();

/// Claims: {"iss":..,"aud":..,"sub":..,"exp":now+3600} plus `extra` members
/// (",\"roles\":[\"admin\"]", ...) appended inside the object.
std::string claims(const std::string& iss, const std::string& aud, const std::string& sub,
                   const std::string& extra = "");

}  // namespace fanout::test
