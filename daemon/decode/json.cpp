#include <boost/json/parser.hpp>

#include "decode/decode.h"

namespace fb::decode {

Decoded decode_json(std::string_view bytes, const Limits& limits) {
    Decoded out;
    if (bytes.size() > limits.max_bytes) {
        out.error = "document of " + std::to_string(bytes.size()) + " bytes is over the limit of " +
                    std::to_string(limits.max_bytes);
        return out;
    }
    boost::json::parse_options options;
    options.max_depth = limits.max_depth;
    boost::json::parser parser({}, options);
    boost::system::error_code ec;
    std::size_t used = parser.write_some(bytes.data(), bytes.size(), ec);
    if (!ec) parser.finish(ec);
    if (!ec && used < bytes.size()) ec = boost::json::error::extra_data;
    if (ec) {
        std::size_t line = 1, column = 1;
        for (std::size_t i = 0; i < used && i < bytes.size(); ++i) {
            if (bytes[i] == '\n') ++line, column = 1;
            else ++column;
        }
        out.error = "invalid JSON at line " + std::to_string(line) + ", column " +
                    std::to_string(column) + ": " + ec.message();
        return out;
    }
    out.value = parser.release();
    return out;
}

}  // namespace fb::decode
