// Fuzz target: the sample mappings evaluated on arbitrary JSON. The first byte picks the mapping
// (sample_mappings.h), the rest is the document as a webhook would bring it. Mapping never throws,
// a failed result says why, what it makes is JSON a consumer can read (no infinity), and mapping
// the same document twice gives the same results (no state leaks from one document into the next
// through the thread's evaluation context).
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "decode/decode.h"
#include "mapping/mapping.h"
#include "sample_mappings.h"

namespace {
using fb::mapping::MapResult;

std::vector<std::shared_ptr<const fb::mapping::Mapping>> mappings;

// What a work order or a request body is published as, checked to read back as JSON.
std::string published(const boost::json::value& v) {
    std::string text = boost::json::serialize(v);
    fb::decode::Limits limits;
    limits.max_depth = 1000;
    if (auto back = fb::decode::decode_json(text, limits); !back.ok()) {
        std::fprintf(stderr, "mapped to JSON nobody can read: %s\n%s\n", back.error.c_str(),
                     text.c_str());
        std::abort();
    }
    return text;
}

std::string describe(const MapResult& r) {
    if (r.kind == MapResult::Kind::failed && !r.error) {
        std::fprintf(stderr, "a failed result without an error\n");
        std::abort();
    }
    return std::to_string(int(r.kind)) + " " + r.document_id + " " + r.version + " " +
           published(r.work_order) + (r.error ? r.error->message() : "");
}

std::string map_once(const fb::mapping::Mapping& m, const boost::json::value& doc) {
    std::string out;
    if (m.is_request()) {
        if (!doc.is_object()) return out;
        auto r = m.map_request(doc.get_object());
        if (r.kind == MapResult::Kind::failed && !r.error) {
            std::fprintf(stderr, "a failed request without an error\n");
            std::abort();
        }
        out = published(r.to_json()) + (r.error ? r.error->message() : "");
    } else {
        for (const auto& r : m.map(doc)) out += describe(r) + "\n";
    }
    return out;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    for (const auto& path : fb::fuzz::sample_mapping_paths())
        mappings.push_back(fb::mapping::Mapping::load(path));
    if (mappings.empty()) {
        std::fprintf(stderr, "no sample mappings under %s\n", FB_SOURCE_DIR);
        std::abort();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto& mapping = *mappings[data[0] % mappings.size()];
    auto decoded = fb::decode::decode_json(
        std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
    if (!decoded.ok()) return 0;
    std::string first = map_once(mapping, decoded.value);
    std::string second = map_once(mapping, decoded.value);
    if (first != second) {
        std::fprintf(stderr, "%s mapped one document two ways:\n%s\n---\n%s\n",
                     mapping.name().c_str(), first.c_str(), second.c_str());
        std::abort();
    }
    return 0;
}
