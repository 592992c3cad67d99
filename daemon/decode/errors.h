// How the decoders word their errors: where in the text ("line 3, column 7") and which limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace fb::decode {

struct Position {
    std::size_t line = 1;
    std::size_t column = 1;  // in bytes, counted from 1
};

inline Position position_of(std::string_view text, std::size_t offset) {
    Position at;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n')
            ++at.line, at.column = 1;
        else
            ++at.column;
    }
    return at;
}

inline std::string describe(Position at) {
    return "line " + std::to_string(at.line) + ", column " + std::to_string(at.column);
}

inline std::string size_limit_error(std::size_t size, std::size_t limit) {
    return "document of " + std::to_string(size) + " bytes is over the limit of " +
           std::to_string(limit) + " bytes";
}

}  // namespace fb::decode
