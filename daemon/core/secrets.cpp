#include "core/secrets.h"

#include <openssl/crypto.h>

namespace fb::core {

bool secrets_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace fb::core
