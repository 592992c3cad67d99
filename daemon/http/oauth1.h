// OAuth 1.0a request signing (RFC 5849), as NetSuite Token-Based Authentication and WooCommerce
// over plain HTTP want it: every request carries `Authorization: OAuth …` signed with HMAC-SHA256
// (or HMAC-SHA1) over its method, URL, query and form-body parameters, with a fresh nonce and
// timestamp. Applied by Auth::apply when the request is complete, right before it is sent.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/client.h"

namespace fb::http {

struct OAuth1 {
    enum class Method { hmac_sha256, hmac_sha1 };
    std::string consumer_key, consumer_secret;
    std::string token, token_secret;  // both empty: "one-legged" (WooCommerce)
    std::string realm;                // NetSuite: the account id; not signed
    Method method = Method::hmac_sha256;
    // The timestamp (unix seconds) and nonce of each request; tests fix them.
    std::function<std::int64_t()> now_s;
    std::function<std::string()> nonce;

    // Adds the Authorization header for `request` as it is now (URL and body final).
    void sign(ClientRequest& request) const;
    std::string authorization(const ClientRequest& request, std::int64_t timestamp, const std::string& nonce) const;
};

using Params = std::vector<std::pair<std::string, std::string>>;

// RFC 5849 §3.6: every byte but ALPHA, DIGIT, `-._~` as %XX (upper-case hex).
std::string oauth_encode(std::string_view text);
// §3.4.1: METHOD&encode(base string URI)&encode(normalized parameters) of a request: the
// `oauth_*` parameters given, the URL's query and, when `form_body` is set, its parameters.
// Empty when the URL is not an absolute http(s) URL.
std::string oauth1_base_string(std::string_view method, std::string_view url, const Params& oauth_params,
                               std::string_view form_body);
// §3.4.2: base64 of HMAC(encode(consumer secret)&encode(token secret), base string).
std::string oauth1_signature(OAuth1::Method method, std::string_view consumer_secret,
                             std::string_view token_secret, std::string_view base_string);
// 16 random bytes (OpenSSL RAND) as hex.
std::string random_nonce();

}  // namespace fb::http
