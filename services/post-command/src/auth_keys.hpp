#pragma once
// The keys a TokenVerifier accepts, read from a secret file, a PEM public key
// file or a JWKS file, and which JWS algorithms each one may verify.
#include <filesystem>
#include <string>
#include <vector>

namespace fanout::post_command {

struct VerificationKey {
    enum class Type { hmac, rsa, ec };
    Type type = Type::hmac;
    std::string kid;  ///< empty: none (a secret or PEM file; a JWK without one)
    /// What libjwt is given: the secret's bytes, or the public key as PEM.
    std::string material;
    /// The algorithms this key verifies: HS256/384/512 for a secret,
    /// RS256/384/512 for RSA, the one ESxxx of an EC key's curve; a JWK's
    /// own `alg` narrows it to that one.
    std::vector<std::string> algorithms;

    bool allows(const std::string& alg) const;
};

// Each throws std::invalid_argument("<what>: <why>") naming the file, never
// the key material.

/// A shared secret of at least 32 bytes (common::read_secret_file rules).
VerificationKey load_secret_key(const std::filesystem::path& file);
/// One PEM public key (SubjectPublicKeyInfo): RSA of 2048 bits or more, or
/// EC on P-256, P-384 or P-521.
VerificationKey load_pem_key(const std::filesystem::path& file);
/// A JWK Set: its RSA and EC signing keys (`use` absent or "sig"); keys of
/// other types are skipped, a malformed RSA or EC key is an error, and so is
/// a set with no usable key or two keys with one `kid`.
std::vector<VerificationKey> load_jwks(const std::filesystem::path& file);

/// base64url (RFC 4648 section 5, no padding) decoded; false on a character
/// outside the alphabet or an impossible length.
bool base64url_decode(std::string_view text, std::string& out);

}  // namespace fanout::post_command
