// Webhook signatures: HMAC-SHA256 of the body, compared in constant time.
#pragma once

#include <string>
#include <string_view>

namespace fb::connectors::webhook {

// How the sender writes the digest: hex (GitHub, most ERPs; either case) or base64 (WooCommerce,
// Shopify).
enum class SignatureEncoding { hex, base64 };

// Lowercase hex HMAC-SHA256 of `body`.
std::string hmac_sha256_hex(std::string_view secret, std::string_view body);
// Base64 (RFC 4648 §4, padded) HMAC-SHA256 of `body`.
std::string hmac_sha256_base64(std::string_view secret, std::string_view body);
// `header` is the digest in `encoding`, optionally prefixed "sha256=" and surrounded by blanks; hex
// matches in either case.
bool signature_valid(std::string_view secret, std::string_view body, std::string_view header,
                     SignatureEncoding encoding = SignatureEncoding::hex);

}  // namespace fb::connectors::webhook
