// decode_json: Boost.JSON with the size and depth limits.
// Boost.JSON already refuses invalid UTF-8 and nesting past max_depth (its parser keeps its own
// stack, so 100,000 '[' cannot overflow ours), but its UTF-8 error is a bare "syntax error"; we
// look for the bad byte only when parsing failed, so the error names its offset. RFC 8259 lets a parser ignore a UTF-8
// byte-order mark, and Windows ERPs write one, so it is skipped. Other charsets are not JSON.
// A number past the range of a double is refused: Boost.JSON reads it as infinity and would write
// it back as `Infinity`, which no consumer of a work order could read.
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/stream_parser.hpp>
#include <cmath>
#include <vector>

#include "decode/charset.h"
#include "decode/decode.h"
#include "decode/errors.h"

namespace fb::decode {
namespace {

// Whether `v` holds an infinite number; if so `where` gets its place, innermost step first.
// Recursion is bounded by the depth limit the parser already applied.
bool infinite_number(const boost::json::value& v, std::vector<std::string>& where) {
    if (v.is_double()) return !std::isfinite(v.get_double());
    if (const auto* a = v.if_array()) {
        for (std::size_t i = 0; i < a->size(); ++i)
            if (infinite_number((*a)[i], where)) {
                where.push_back("[" + std::to_string(i) + "]");
                return true;
            }
    } else if (const auto* o = v.if_object()) {
        for (const auto& kv : *o)
            if (infinite_number(kv.value(), where)) {
                where.push_back("." + std::string(kv.key()));
                return true;
            }
    }
    return false;
}

}  // namespace

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
    if (std::vector<std::string> where; infinite_number(out.value, where)) {
        std::string at = "$";
        for (auto step = where.rbegin(); step != where.rend(); ++step) at += *step;
        out.error = "invalid JSON: the number at " + at + " is out of range (beyond ±1.8e308)";
        out.value = nullptr;
    }
    return out;
}

}  // namespace fb::decode
