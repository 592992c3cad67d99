// A signed JWT assertion for a login request (RFC 7523: NetSuite OAuth 2.0 machine-to-machine,
// Salesforce's JWT bearer flow, Google service accounts): each login signs a fresh one — iat, exp
// = iat + lifetime, a random jti, the configured claims — that the login request mapping reads as
// `$.assertion`. RS256, PS256, ES256 (r||s, not DER) or HS256, with OpenSSL.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fb::config {
class Section;
}

namespace fb::http {

class JwtAssertion {
public:
    enum class Alg { RS256, PS256, ES256, HS256 };
    // `key`: a PEM private key (RSA for RS256/PS256, EC P-256 for ES256) or, for HS256, the shared
    // secret. Throws std::invalid_argument with a reason that never quotes the key.
    JwtAssertion(Alg alg, const std::string& key, std::string kid,
                 std::vector<std::pair<std::string, std::string>> claims, std::int64_t lifetime_s);
    ~JwtAssertion();

    // header.payload.signature, signed now (unix seconds from the clock; tests fix it).
    std::string sign() const;
    void set_clock(std::function<std::int64_t()> now_s) { now_s_ = std::move(now_s); }
    const std::string& key_text() const { return key_text_; }  // for masking
    std::int64_t lifetime_s() const { return lifetime_s_; }

private:
    struct Key;
    Alg alg_;
    std::string key_text_;
    std::unique_ptr<Key> key_;
    std::string kid_;
    std::vector<std::pair<std::string, std::string>> claims_;
    std::int64_t lifetime_s_;
    std::function<std::int64_t()> now_s_;
};

// `assertion: { alg, key, kid, claims: {iss, sub, aud, scope, …}, lifetime: 300 }` under a login;
// a key that cannot sign fails with file:line:col and the reason.
std::shared_ptr<const JwtAssertion> read_assertion(config::Section& login);

// base64url without padding (RFC 7515 §2).
std::string base64url(std::string_view bytes);

}  // namespace fb::http
