#include "connectors/webhook/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/secrets.h"

namespace fb::connectors::webhook {

std::string hmac_sha256_hex(std::string_view secret, std::string_view body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &len);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) out += hex[digest[i] >> 4], out += hex[digest[i] & 15];
    return out;
}

bool signature_valid(std::string_view secret, std::string_view body, std::string_view header) {
    if (header.starts_with("sha256=")) header.remove_prefix(7);
    return core::secrets_equal(hmac_sha256_hex(secret, body), header);
}

}  // namespace fb::connectors::webhook
