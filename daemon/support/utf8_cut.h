// Text cut to a byte limit between characters, so what is kept stays valid UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fb::support {

// The longest prefix of `text` of at most `limit` bytes that ends on a character boundary.
inline std::string_view utf8_prefix(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) return text;
    while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xC0) == 0x80) --limit;
    return text.substr(0, limit);
}

// `text`, or its prefix as above followed by "…" when it is longer than `limit`.
inline std::string utf8_cut(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) return std::string(text);
    return std::string(utf8_prefix(text, limit)) + "…";
}

}  // namespace fb::support
