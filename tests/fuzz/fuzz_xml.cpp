// Fuzz target: decode_xml on arbitrary bytes (any declared charset, DTDs, entities, deep trees).
// What it accepts must be a one-key object whose strings are valid UTF-8: serialized, it decodes
// again as JSON.
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "decode/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    fb::decode::Limits limits;
    auto decoded = fb::decode::decode_xml(bytes, limits);
    if (!decoded.ok()) return 0;
    if (!decoded.value.is_object() || decoded.value.get_object().size() != 1) {
        std::fprintf(stderr, "XML decoded to something other than {root: …}\n");
        std::abort();
    }
    // An element level can become an object and an array: twice the depth, and the root.
    fb::decode::Limits json_limits;
    json_limits.max_depth = 2 * limits.max_depth + 2;
    auto again = fb::decode::decode_json(boost::json::serialize(decoded.value), json_limits);
    if (!again.ok()) {
        std::fprintf(stderr, "XML decoded to invalid JSON: %s\n", again.error.c_str());
        std::abort();
    }
    return 0;
}
