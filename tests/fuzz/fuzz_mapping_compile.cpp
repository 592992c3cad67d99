// Fuzz target: Mapping::compile on arbitrary YAML. The only exception it may throw is a
// CompileError (file:line:col: message); anything else escaping is a crash here, as it would stop
// the daemon at start with no useful message. A mapping that compiles is then evaluated on sample
// documents, which must never throw either.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "decode/decode.h"
#include "mapping/mapping.h"
#include "sample_mappings.h"

namespace {
std::vector<boost::json::value> documents;  // for work-order mappings
boost::json::object request_context;        // for writeback mappings: {event, work_order, document}

std::string read(const std::string& relative) {
    std::ifstream in(fb::fuzz::source_path(relative), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

boost::json::value decoded(fb::decode::Decoded d, const char* what) {
    if (!d.ok()) {
        std::fprintf(stderr, "cannot decode %s: %s\n", what, d.error.c_str());
        std::abort();
    }
    return std::move(d.value);
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* json_samples[] = {
        "tests/fixtures/samples/generic-rest/shipment-CK20261120-0042.json",
        "tests/fixtures/samples/repair/repair-request-BX202611230815.json"};
    for (const char* p : json_samples)
        documents.push_back(decoded(fb::decode::decode_json(read(p)), p));
    fb::decode::CsvOptions gbk;
    gbk.charset = "GBK";
    documents.push_back(decoded(
        fb::decode::decode_csv(
            read("tests/fixtures/samples/yonyou-u8-csv/dispatchlist-20261120.gbk.csv"), gbk),
        "the GBK CSV sample"));
    documents.push_back(decoded(
        fb::decode::decode_xml(read("tests/fixtures/samples/sap-idoc/DELVRY07-0080004712.xml")),
        "the IDoc sample"));
    const char* context = "mappings/generic-rest/tests/delivery-completion/4-completed.input.json";
    request_context = decoded(fb::decode::decode_json(read(context)), context).as_object();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string yaml(reinterpret_cast<const char*>(data), size);
    std::shared_ptr<const fb::mapping::Mapping> mapping;
    try {
        mapping = fb::mapping::Mapping::compile(yaml, "fuzz.yaml");
    } catch (const fb::mapping::CompileError& e) {
        if (std::string_view(e.what()).substr(0, 10) != "fuzz.yaml:") {
            std::fprintf(stderr, "a compile error that does not name the file: %s\n", e.what());
            std::abort();
        }
        return 0;
    }
    if (mapping->is_request()) {
        mapping->map_request(request_context);
    } else {
        for (const auto& doc : documents) mapping->map(doc);
    }
    return 0;
}
