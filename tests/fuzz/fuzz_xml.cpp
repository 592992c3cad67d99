// Fuzz target: decode_xml on arbitrary bytes (any declared charset, DTDs, entities, deep trees),
// then resolve_namespaces on what it accepts. What decode_xml accepts must be a one-key object
// whose strings are valid UTF-8: serialized, it decodes again as JSON. Namespace resolution only
// renames: the same number of values (none lost, none made up), still one root, still JSON, and
// a tree without xmlns declarations comes back unchanged.
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "decode/decode.h"
#include "mapping/namespaces.h"

namespace {

std::size_t values_in(const boost::json::value& v) {
    if (const auto* o = v.if_object()) {
        std::size_t n = 0;
        for (const auto& kv : *o) n += values_in(kv.value());
        return n;
    }
    if (const auto* a = v.if_array()) {
        std::size_t n = 0;
        for (const auto& e : *a) n += values_in(e);
        return n;
    }
    return 1;
}

void fail(const char* what) {
    std::fprintf(stderr, "%s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    fb::decode::Limits limits;
    auto decoded = fb::decode::decode_xml(bytes, limits);
    if (!decoded.ok()) return 0;
    if (!decoded.value.is_object() || decoded.value.get_object().size() != 1)
        fail("XML decoded to something other than {root: …}");
    // An element level can become an object and an array: twice the depth, and the root.
    fb::decode::Limits json_limits;
    json_limits.max_depth = 2 * limits.max_depth + 2;
    std::string text = boost::json::serialize(decoded.value);
    auto again = fb::decode::decode_json(text, json_limits);
    if (!again.ok()) {
        std::fprintf(stderr, "XML decoded to invalid JSON: %s\n", again.error.c_str());
        std::abort();
    }

    // The mapping's prefixes: the dictionary's URIs, and prefixes senders also write (cbc, a)
    // so that a sender's binding of them to another URI is exercised.
    static const fb::mapping::Namespaces declared = {
        {"a", "urn:a"},
        {"m", "urn:b"},
        {"cbc", "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"},
        {"ot", "http://www.opentrans.org/XMLSchema/2.1"},
        {"bmecat", "http://www.bmecat.org/bmecat/2005"}};
    auto resolved = fb::mapping::resolve_namespaces(decoded.value, declared);
    if (!resolved.is_object() || resolved.get_object().size() != 1)
        fail("namespace resolution made something other than {root: …}");
    if (values_in(resolved) != values_in(decoded.value))
        fail("namespace resolution lost or made up a value");
    if (text.find("\"@xmlns") == std::string::npos && resolved != decoded.value)
        fail("namespace resolution renamed a tree without xmlns declarations");
    if (!fb::decode::decode_json(boost::json::serialize(resolved), json_limits).ok())
        fail("namespace resolution made invalid JSON");
    return 0;
}
