// Request authentication shared by sources and sinks: static headers, basic, bearer, API key
// (header or query parameter), OAuth 1.0a signatures. The secrets it holds are listed so that
// logs can mask them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "http/client.h"

namespace fb::config {
class Section;
}

namespace fb::http {

struct OAuth1;

struct Auth {
    Headers headers;  // sent as they are (X-Tenant, sap-client…)
    std::string basic_user, basic_password;
    std::string bearer;
    std::string api_key;
    std::string api_key_header;  // e.g. X-API-Key; or
    std::string api_key_query;   // a query parameter name
    std::shared_ptr<const OAuth1> oauth1;  // signs each request, last (http/oauth1.h)

    // Call once the request's URL and body are final: an OAuth 1.0a signature covers them.
    void apply(ClientRequest& request) const;
    std::vector<std::string> secrets() const;
};

// `auth:` as configured: { headers: {…}, basic: {user, password}, bearer: T,
// api_key: {value, header | query}, oauth1: {consumer_key, consumer_secret, token, token_secret,
// realm, signature_method: HMAC-SHA256 | HMAC-SHA1} }. Errors name file:line:col.
Auth read_auth(config::Section& parent, const std::string& key = "auth");

// `text` with every secret (of 4 characters or more) replaced by ***, for logs and dry runs.
std::string mask_secrets(std::string text, const std::vector<std::string>& secrets);

// Base64 of `bytes` (for basic auth).
std::string base64(std::string_view bytes);

}  // namespace fb::http
