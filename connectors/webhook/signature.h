// Webhook signatures: HMAC-SHA256 of the body, compared in constant time.
#pragma once

#include <string>
#include <string_view>

namespace fb::connectors::webhook {

// Lowercase hex HMAC-SHA256 of `body`.
std::string hmac_sha256_hex(std::string_view secret, std::string_view body);
// `header` is the hex digest, optionally prefixed "sha256=".
bool signature_valid(std::string_view secret, std::string_view body, std::string_view header);

}  // namespace fb::connectors::webhook
