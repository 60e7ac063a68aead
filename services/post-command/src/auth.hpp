#pragma once
// Who is acting: bearer JWTs verified with libjwt (HS256/384/512 with a
// secret file, RS256/384/512 or ES256/384/512 with a PEM public key or a
// JWKS file), then `iss`, `aud`, `exp`, `nbf` checked here with a small
// clock skew. The algorithm a token may use follows from the configured key,
// never from the token alone: `alg: none`, and an HS256 token against an RSA
// or EC key (algorithm confusion), are refused before libjwt sees the token.
//
// Nothing here puts a token, a secret or key material into a message: the
// failure descriptions are fixed texts, safe for logs and for clients.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fanout::post_command {

struct AuthSettings {
    bool enabled = false;
    // Exactly one key source when enabled.
    std::filesystem::path hs256_secret_file;  ///< a shared secret (at least 32 bytes)
    std::filesystem::path public_key_file;    ///< a PEM public key (RSA of 2048+ bits, or EC P-256/384/521)
    std::filesystem::path jwks_file;          ///< a JWK Set; the token's `kid` picks the key
    std::string issuer;                       ///< `iss` must equal it
    std::string audience;                     ///< `aud` (a string or an array) must hold it
    std::string user_claim = "sub";           ///< the acting user
    int clock_skew_s = 60;                    ///< allowed on `exp` and `nbf`
    /// restoreReadDb needs a token whose `admin_claim` (a string or an array
    /// of strings) holds `admin_role`; with no role configured it is refused.
    std::string admin_claim = "roles";
    std::string admin_role;
};

/// A verified token's user.
struct Identity {
    std::string user;
    bool admin = false;
};

/// Why a token was refused: a fixed text for `error_description`.
struct AuthFailure {
    std::string description;
};

struct VerificationKey;

class TokenVerifier {
public:
    /// Reads the key material `settings` names. Throws std::invalid_argument
    /// naming the setting and the file (never the key) when it cannot.
    explicit TokenVerifier(AuthSettings settings);
    ~TokenVerifier();
    TokenVerifier(const TokenVerifier&) = delete;
    TokenVerifier& operator=(const TokenVerifier&) = delete;

    /// Verify a compact JWS at `now` (seconds since the epoch). Thread-safe.
    std::variant<Identity, AuthFailure> verify(std::string_view token, std::int64_t now) const;
    /// verify() at the current time.
    std::variant<Identity, AuthFailure> verify(std::string_view token) const;

    const AuthSettings& settings() const { return settings_; }
    /// The key source for the start-up log, e.g. "HS256 secret file /etc/...".
    std::string describe() const;

private:
    const VerificationKey* key_for(const std::string& kid) const;

    AuthSettings settings_;
    std::vector<VerificationKey> keys_;
};

}  // namespace fanout::post_command
