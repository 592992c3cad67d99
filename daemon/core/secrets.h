// Secrets compared in constant time (webhook signatures, the admin token).
#pragma once

#include <string_view>

namespace fb::core {

// The time depends only on the lengths, never on where the secrets differ.
bool secrets_equal(std::string_view a, std::string_view b);

}  // namespace fb::core
