// decode_json: Boost.JSON with the size and depth limits.
// Boost.JSON already refuses invalid UTF-8 and nesting past max_depth (its parser keeps its own
// stack, so 100,000 '[' cannot overflow ours), but its UTF-8 error is a bare "syntax error"; we
// look for the bad byte only when parsing failed, so the error names its offset. RFC 8259 lets a parser ignore a UTF-8
// byte-order mark, and Windows ERPs write one, so it is skipped. Other charsets are not JSON.
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/stream_parser.hpp>

#include "decode/charset.h"
#include "decode/decode.h"
#include "decode/errors.h"

namespace fb::decode {

Decoded decode_json(std::string_view bytes, const Limits& limits) {
    Decoded out;
    if (bytes.size() > limits.max_bytes) {
        out.error = size_limit_error(bytes.size(), limits.max_bytes);
        return out;
    }
    std::string_view text = without_utf8_bom(bytes);
    boost::json::parse_options options;
    options.max_depth = limits.max_depth;
    boost::json::stream_parser parser({}, options);
    // One arena per document: parsing allocates from it, and freeing the document is one free.
    parser.reset(boost::json::make_shared_resource<boost::json::monotonic_resource>());
    boost::system::error_code ec;
    std::size_t used = parser.write_some(text.data(), text.size(), ec);
    if (!ec) parser.finish(ec);
    if (!ec && used < text.size()) ec = boost::json::error::extra_data;
    if (ec) {
        if (out.error = utf8_problem(bytes); !out.error.empty()) return out;
        std::string reason =
            ec == boost::json::error::too_deep
                ? "nested deeper than " + std::to_string(limits.max_depth) + " levels"
                : ec.message();
        out.error = "invalid JSON at " + describe(position_of(text, used)) + ": " + reason;
        return out;
    }
    out.value = parser.release();
    return out;
}

}  // namespace fb::decode
