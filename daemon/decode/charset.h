// Charset pieces the decoders share beyond to_utf8: UTF-8 validation and the byte-order mark.
#pragma once

#include <string>
#include <string_view>

namespace fb::decode {

// Why `bytes` is not UTF-8 ("invalid UTF-8 at byte offset 66 (0xFF …)"), or "" when it is.
// A leading byte-order mark is allowed; offsets count from the first byte, mark included.
// Overlong forms, surrogates and code points past U+10FFFF are invalid.
std::string utf8_problem(std::string_view bytes);

// `text` without a leading UTF-8 byte-order mark.
std::string_view without_utf8_bom(std::string_view text);

}  // namespace fb::decode
