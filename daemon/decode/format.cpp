// Which decoder a file needs, judged by its extension (drop folders name files, ERPs don't label).
#include <algorithm>
#include <cctype>

#include "decode/decode.h"

namespace fb::decode {

Format format_for_path(std::string_view path) {
    std::string_view name = path.substr(path.find_last_of('/') + 1);
    std::size_t dot = name.find_last_of('.');
    if (dot == std::string_view::npos) return Format::json;
    std::string extension(name.substr(dot + 1));
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (extension == "ndjson" || extension == "jsonl") return Format::ndjson;
    if (extension == "xml") return Format::xml;
    if (extension == "csv") return Format::csv;
    return Format::json;
}

}  // namespace fb::decode
