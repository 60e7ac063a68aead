// Token verification (auth.hpp): what a TokenVerifier accepts and refuses,
// with tokens signed by libjwt and keys made by OpenSSL at test time.
#include "auth.hpp"
#include "commands.hpp"

#include <gtest/gtest.h>

#include "process.hpp"
#include "token_minter.hpp"

using namespace fanout::post_command;
using namespace fanout::test;

namespace {

const std::string k_secret = "8c1f0b3a9e7d4c2b6a5f1e0d9c8b7a6f5e4d3c2b1a0f9e8d";
const std::string k_iss = "https://id.example.test", k_aud = "fanout-post-command";

AuthSettings settings_with(const std::filesystem::path& file, std::filesystem::path AuthSettings::*source) {
    AuthSettings s;
    s.enabled = true;
    s.*source = file;
    s.issuer = k_iss;
    s.audience = k_aud;
    return s;
}

/// The user, or "refused: <description>".
std::string outcome(const TokenVerifier& verifier, const std::string& token, std::int64_t now = unix_now()) {
    const auto result = verifier.verify(token, now);
    if (const auto* id = std::get_if<Identity>(&result)) return id->user;
    return "refused: " + std::get<AuthFailure>(result).description;
}

std::string time_claims(const std::string& times, const std::string& sub = "alice") {
    return R"({"iss":")" + k_iss + R"(","aud":")" + k_aud + R"(","sub":")" + sub + "\"," + times + "}";
}

class HmacVerifier : public ::testing::Test {
protected:
    TempDir dir;
    TokenVerifier verifier{settings_with(dir.write("secret", k_secret + "\n"), &AuthSettings::hs256_secret_file)};
};

}  // namespace

TEST_F(HmacVerifier, AGoodTokenNamesItsUser) {
    EXPECT_EQ(outcome(verifier, sign_token("HS256", k_secret, claims(k_iss, k_aud, "alice"))), "alice");
    EXPECT_EQ(outcome(verifier, sign_token("HS512", k_secret, claims(k_iss, k_aud, "bob"))), "bob");
}

TEST_F(HmacVerifier, AWrongSignatureOrAChangedPayloadIsRefused) {
    const std::string other = std::string(40, 'x');
    EXPECT_EQ(outcome(verifier, sign_token("HS256", other, claims(k_iss, k_aud, "alice"))),
              "refused: the token's signature does not verify");
    // Alice's signature on a payload that says bob.
    const std::string good = sign_token("HS256", k_secret, claims(k_iss, k_aud, "alice"));
    const std::string forged_payload = base64url(claims(k_iss, k_aud, "bob"));
    const std::size_t dot1 = good.find('.'), dot2 = good.rfind('.');
    const std::string forged = good.substr(0, dot1 + 1) + forged_payload + good.substr(dot2);
    EXPECT_EQ(outcome(verifier, forged), "refused: the token's signature does not verify");
    EXPECT_EQ(outcome(verifier, good.substr(0, dot2 + 1)), "refused: the token has no signature");
}

TEST_F(HmacVerifier, ExpiryAndNotBeforeAllowTheClockSkewAndNoMore) {
    const std::int64_t now = 1'800'000'000;
    const auto token = [&](const std::string& times) { return sign_token("HS256", k_secret, time_claims(times)); };
    EXPECT_EQ(outcome(verifier, token(R"("exp":)" + std::to_string(now - 61)), now), "refused: the token has expired");
    EXPECT_EQ(outcome(verifier, token(R"("exp":)" + std::to_string(now - 30)), now), "alice");  // within 60 s
    EXPECT_EQ(outcome(verifier,
                      token(R"("exp":)" + std::to_string(now + 3600) + R"(,"nbf":)" + std::to_string(now + 61)), now),
              "refused: the token is not valid yet (nbf)");
    EXPECT_EQ(outcome(verifier,
                      token(R"("exp":)" + std::to_string(now + 3600) + R"(,"nbf":)" + std::to_string(now + 30)), now),
              "alice");
    EXPECT_EQ(outcome(verifier, token(R"("iat":)" + std::to_string(now)), now), "refused: the token has no exp claim");
    EXPECT_EQ(outcome(verifier, token(R"("exp":"tomorrow")"), now), "refused: the token's exp or nbf is not a number");
}

TEST_F(HmacVerifier, NoSkewMeansTheExpiryIsExact) {
    AuthSettings s = verifier.settings();
    s.clock_skew_s = 0;
    const TokenVerifier strict(s);
    const std::int64_t now = 1'800'000'000;
    const std::string token = sign_token("HS256", k_secret, time_claims(R"("exp":)" + std::to_string(now)));
    EXPECT_EQ(outcome(strict, token, now - 1), "alice");
    EXPECT_EQ(outcome(strict, token, now), "refused: the token has expired");
}

TEST_F(HmacVerifier, IssuerAndAudienceMustBeTheConfiguredOnes) {
    EXPECT_EQ(outcome(verifier, sign_token("HS256", k_secret, claims("https://evil.test", k_aud, "alice"))),
              "refused: the token's issuer is not accepted");
    EXPECT_EQ(outcome(verifier, sign_token("HS256", k_secret, claims(k_iss, "another-service", "alice"))),
              "refused: the token's audience is not this service");
    const std::string both_audiences = R"({"iss":")" + k_iss + R"(","aud":["other",")" + k_aud +
                                       R"("],"sub":"alice","exp":)" + std::to_string(unix_now() + 60) + "}";
    EXPECT_EQ(outcome(verifier, sign_token("HS256", k_secret, both_audiences)), "alice");
}

TEST_F(HmacVerifier, AlgNoneIsRefusedWhateverItsSpelling) {
    for (const char* alg : {"none", "None", "NONE"}) {
        const std::string token =
            raw_token(std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})", claims(k_iss, k_aud, "alice"));
        EXPECT_EQ(outcome(verifier, token), "refused: the token's algorithm is not accepted for the configured key")
            << alg;
    }
    EXPECT_EQ(outcome(verifier, raw_token(R"({"typ":"JWT"})", claims(k_iss, k_aud, "alice"), "sig")),
              "refused: the token header names no algorithm");
}

TEST_F(HmacVerifier, ATokenTypedOtherThanJwtIsRefusedForItsType) {
    EXPECT_EQ(outcome(verifier, raw_token(R"({"alg":"HS256","typ":"at+jwt"})", claims(k_iss, k_aud, "alice"), "s")),
              "refused: the token's typ is not JWT");
    EXPECT_EQ(outcome(verifier, sign_token("HS256", k_secret, claims(k_iss, k_aud, "alice"))), "alice");  // typ JWT
}

TEST_F(HmacVerifier, TheUserClaimMustBeThereAndBeAName) {
    const std::string no_sub =
        R"({"iss":")" + k_iss + R"(","aud":")" + k_aud + R"(","exp":)" + std::to_string(unix_now() + 60) + "}";
    EXPECT_EQ(outcome(verifier, sign_token("HS256", k_secret, no_sub)),
              "refused: the token has no user claim (a non-empty string)");
    EXPECT_EQ(outcome(verifier, sign_token("HS256", k_secret, claims(k_iss, k_aud, "   "))),
              "refused: the token's user is not a valid author name (1 to 100 bytes of UTF-8, not blank)");

    AuthSettings s = verifier.settings();
    s.user_claim = "preferred_username";
    const TokenVerifier by_name(s);
    EXPECT_EQ(outcome(by_name,
                      sign_token("HS256", k_secret, claims(k_iss, k_aud, "id-1", R"(,"preferred_username":"maria")"))),
              "maria");
}

TEST_F(HmacVerifier, MalformedTokensAreRefusedNotCrashed) {
    for (const std::string token :
         {"", "abc", "a.b", "a.b.c.d", "!!!.e30.sig", "e30.e30.sig", "bm90IGpzb24.e30.c2ln"}) {
        EXPECT_TRUE(outcome(verifier, token).starts_with("refused: ")) << token;
    }
    EXPECT_EQ(outcome(verifier, std::string(20'000, 'a')), "refused: the token is not a compact JWS");
}

TEST_F(HmacVerifier, TheAdminRoleComesFromTheConfiguredClaim) {
    AuthSettings s = verifier.settings();
    s.admin_role = "fanout-admin";
    const TokenVerifier with_role(s);
    const auto identity = [&](const std::string& extra) {
        return std::get<Identity>(with_role.verify(sign_token("HS256", k_secret, claims(k_iss, k_aud, "ops", extra))));
    };
    EXPECT_TRUE(identity(R"(,"roles":["reader","fanout-admin"])").admin);
    EXPECT_TRUE(identity(R"(,"roles":"fanout-admin")").admin);
    EXPECT_FALSE(identity(R"(,"roles":["reader"])").admin);
    EXPECT_FALSE(identity("").admin);
    // No role configured: nobody is admin.
    EXPECT_FALSE(std::get<Identity>(
                     verifier.verify(sign_token("HS256", k_secret, claims(k_iss, k_aud, "ops", R"(,"roles":[""])"))))
                     .admin);
}

TEST(PublicKeyVerifier, RsaAndEcTokensVerifyWithTheirPemKeys) {
    TempDir dir;
    const KeyPair rsa = make_rsa_key(), ec = make_ec_key("P-256");
    const TokenVerifier by_rsa(settings_with(dir.write("rsa.pem", rsa.public_pem), &AuthSettings::public_key_file));
    const TokenVerifier by_ec(settings_with(dir.write("ec.pem", ec.public_pem), &AuthSettings::public_key_file));
    EXPECT_EQ(outcome(by_rsa, sign_token("RS256", rsa.private_pem, claims(k_iss, k_aud, "alice"))), "alice");
    EXPECT_EQ(outcome(by_ec, sign_token("ES256", ec.private_pem, claims(k_iss, k_aud, "alice"))), "alice");
    // Another key pair's signature.
    EXPECT_EQ(outcome(by_ec, sign_token("ES256", make_ec_key("P-256").private_pem, claims(k_iss, k_aud, "alice"))),
              "refused: the token's signature does not verify");
    // ES384 is not the algorithm of a P-256 key; RS256 is not an EC key's.
    EXPECT_EQ(outcome(by_ec, sign_token("RS256", rsa.private_pem, claims(k_iss, k_aud, "alice"))),
              "refused: the token's algorithm is not accepted for the configured key");
}

TEST(PublicKeyVerifier, AnHmacTokenKeyedWithThePublicKeyIsAlgorithmConfusionAndRefused) {
    TempDir dir;
    const KeyPair rsa = make_rsa_key(), ec = make_ec_key();
    const TokenVerifier by_rsa(settings_with(dir.write("rsa.pem", rsa.public_pem), &AuthSettings::public_key_file));
    const TokenVerifier by_ec(settings_with(dir.write("ec.pem", ec.public_pem), &AuthSettings::public_key_file));
    // The attacker knows the public key and uses its PEM text as an HMAC secret.
    for (const char* alg : {"HS256", "HS384", "HS512"}) {
        EXPECT_EQ(outcome(by_rsa, sign_token(alg, rsa.public_pem, claims(k_iss, k_aud, "alice"))),
                  "refused: the token's algorithm is not accepted for the configured key");
        EXPECT_EQ(outcome(by_ec, sign_token(alg, ec.public_pem, claims(k_iss, k_aud, "alice"))),
                  "refused: the token's algorithm is not accepted for the configured key");
    }
}

TEST(JwksVerifier, TheKidPicksTheKey) {
    TempDir dir;
    const KeyPair rsa = make_rsa_key(), ec = make_ec_key();
    const auto jwks =
        dir.write("jwks.json", R"({"keys":[)" + public_jwk(rsa, "rsa-2026") + "," + public_jwk(ec, "ec-2026") +
                                   R"(,{"kty":"oct","kid":"skipped","k":"c2VjcmV0"}]})");
    const TokenVerifier verifier(settings_with(jwks, &AuthSettings::jwks_file));
    EXPECT_EQ(outcome(verifier, sign_token("RS256", rsa.private_pem, claims(k_iss, k_aud, "alice"), "rsa-2026")),
              "alice");
    EXPECT_EQ(outcome(verifier, sign_token("ES256", ec.private_pem, claims(k_iss, k_aud, "bob"), "ec-2026")), "bob");
    EXPECT_EQ(outcome(verifier, sign_token("ES256", ec.private_pem, claims(k_iss, k_aud, "bob"), "rsa-2026")),
              "refused: the token's algorithm is not accepted for the configured key");
    EXPECT_EQ(outcome(verifier, sign_token("RS256", rsa.private_pem, claims(k_iss, k_aud, "alice"), "old-key")),
              "refused: no configured key has the token's kid");
    EXPECT_EQ(outcome(verifier, sign_token("RS256", rsa.private_pem, claims(k_iss, k_aud, "alice"))),
              "refused: no configured key has the token's kid");
    // The oct key was skipped: an HMAC token naming it finds no key.
    EXPECT_EQ(outcome(verifier, sign_token("HS256", "secret", claims(k_iss, k_aud, "alice"), "skipped")),
              "refused: no configured key has the token's kid");
}

TEST(VerifierSettings, KeyMaterialProblemsNameTheSettingAndFileButNeverTheKey) {
    TempDir dir;
    const auto error = [](const AuthSettings& s) {
        try {
            TokenVerifier verifier(s);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    const auto short_secret = dir.write("short", "tooshort-but-secret\n");
    const std::string msg = error(settings_with(short_secret, &AuthSettings::hs256_secret_file));
    EXPECT_TRUE(msg.starts_with("auth.hs256_secret_file: " + short_secret.string() + ": the secret is shorter than 32"))
        << msg;
    EXPECT_EQ(msg.find("tooshort-but-secret"), std::string::npos) << msg;

    EXPECT_NE(error(settings_with(dir / "missing", &AuthSettings::hs256_secret_file)).find("cannot be read"),
              std::string::npos);
    const auto weak = dir.write("weak.pem", make_rsa_key(1024).public_pem);
    EXPECT_NE(error(settings_with(weak, &AuthSettings::public_key_file)).find("has 1024 bits"), std::string::npos);
    const auto private_only = dir.write("private.pem", make_ec_key().private_pem);
    EXPECT_NE(error(settings_with(private_only, &AuthSettings::public_key_file)).find("not a PEM public key"),
              std::string::npos);
    const auto empty_set = dir.write("jwks.json", R"({"keys":[{"kty":"oct","k":"c2VjcmV0"}]})");
    EXPECT_NE(error(settings_with(empty_set, &AuthSettings::jwks_file)).find("no RSA or EC signing key"),
              std::string::npos);
    const auto bad_jwk = dir.write("bad.json", R"({"keys":[{"kty":"EC","crv":"P-256","x":"!!","y":"AA"}]})");
    EXPECT_NE(error(settings_with(bad_jwk, &AuthSettings::jwks_file)).find("keys[0]: member 'x'"), std::string::npos);

    AuthSettings two = settings_with(short_secret, &AuthSettings::hs256_secret_file);
    two.jwks_file = empty_set;
    EXPECT_NE(error(two).find("exactly one of"), std::string::npos);
    AuthSettings no_issuer = settings_with(dir.write("ok", k_secret), &AuthSettings::hs256_secret_file);
    no_issuer.issuer.clear();
    EXPECT_EQ(error(no_issuer), "auth.issuer: must not be empty");
}

TEST(JwksVerifier, ATokenAndKeyFromAnotherImplementationVerify) {
    // Made once with PyJWT 2.6 (ES256, raw r||s signature) and its to_jwk(); exp in 2100.
    const std::string token =
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImVjLWV4dCIsInR5cCI6IkpXVCJ9."
        "eyJpc3MiOiJodHRwczovL2lkLmV4YW1wbGUudGVzdCIsImF1ZCI6ImZhbm91dC1wb3N0LWNvbW1hbmQiLCJzdWIiOiJweWp3dC11c2VyIiwi"
        "ZXhwIjo0MTAyNDQ0ODAwfQ."
        "F9F4ANbfkAShGw1HTWIyXdfQRSllXYhDEURUHwKyI8NjE_cG05XWjrq410Q_oD6gAMtV28DyYtYhexfSLslITQ";
    TempDir dir;
    const auto jwks = dir.write("jwks.json", R"({"keys":[{"kty": "EC", "crv": "P-256", "kid": "ec-ext",
        "x": "gdRo8EDjd5GOTQgCIskefLAm-9g1ElbwS_jy2JWbHYQ", "y": "k6N3lXu1D78WS-9iEcSKPNmMhJtPxsjZ6LwVhf7PCK4"}]})");
    const TokenVerifier verifier(settings_with(jwks, &AuthSettings::jwks_file));
    EXPECT_EQ(outcome(verifier, token), "pyjwt-user");
    std::string tampered = token;
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(outcome(verifier, tampered), "refused: the token's signature does not verify");
}

TEST(BodyIdentity, TheTokensUserFillsAnAbsentOrNullFieldAndNothingElse) {
    EXPECT_EQ(with_identity(R"({"message":"m"})", "username", "alice"), R"({"message":"m","username":"alice"})");
    EXPECT_EQ(with_identity(R"({"message":"m","username":null})", "username", "alice"),
              R"({"message":"m","username":"alice"})");
    // A name the body gives is kept (the route compares it with the token's), in any spelling of the key.
    EXPECT_EQ(with_identity(R"({"Username":"bob"})", "username", "alice"), R"({"Username":"bob"})");
    EXPECT_EQ(with_identity(R"({"author":""})", "author", "alice"), R"({"author":""})");
    // What is not a JSON object is left for the parser to refuse.
    for (const std::string body : {"", "[1]", "{\"a\":", "not json"}) {
        EXPECT_EQ(with_identity(body, "username", "alice"), body);
    }
    const auto parsed = parse_edit_message(with_identity(R"({"message":"m"})", "username", "alice"));
    ASSERT_TRUE(std::holds_alternative<EditMessageBody>(parsed));
    EXPECT_EQ(std::get<EditMessageBody>(parsed).username, "alice");
}
