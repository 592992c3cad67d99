// Base64 of bytes: RFC 4648 §4 with padding, or base64url (§5) without it, as JWTs write it.
// OpenSSL does the encoding; one place for the mapping functions, basic auth and JWTs.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace fb::support {

inline void base64_into(std::string& out, std::string_view bytes, bool url = false) {
    out.resize(4 * ((bytes.size() + 2) / 3) + 1);  // OpenSSL writes the padding and a final NUL
    out.resize(static_cast<std::size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                                        reinterpret_cast<const unsigned char*>(bytes.data()),
                                                        static_cast<int>(bytes.size()))));
    if (!url) return;
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
}

inline std::string base64(std::string_view bytes, bool url = false) {
    std::string out;
    base64_into(out, bytes, url);
    return out;
}

}  // namespace fb::support
