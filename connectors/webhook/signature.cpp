#include "connectors/webhook/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/secrets.h"
#include "support/base64.h"

namespace fb::connectors::webhook {

namespace {

std::string hmac_sha256(std::string_view secret, std::string_view body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &len);
    return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view secret, std::string_view body) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : hmac_sha256(secret, body)) out += hex[c >> 4], out += hex[c & 15];
    return out;
}

std::string hmac_sha256_base64(std::string_view secret, std::string_view body) {
    return support::base64(hmac_sha256(secret, body));
}

bool signature_valid(std::string_view secret, std::string_view body, std::string_view header,
                     SignatureEncoding encoding) {
    header = trimmed(header);
    if (header.size() > 7 && (header.substr(0, 7) == "sha256=" || header.substr(0, 7) == "SHA256="))
        header.remove_prefix(7);
    if (encoding == SignatureEncoding::base64)
        return core::secrets_equal(hmac_sha256_base64(secret, body), header);
    std::string given(header);  // the sender's bytes, not the secret: lowercasing them leaks nothing
    for (auto& c : given)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c + ('a' - 'A'));
    return core::secrets_equal(hmac_sha256_hex(secret, body), given);
}

}  // namespace fb::connectors::webhook
