// How fast the mapping engine is, against the JSON work around it: for each sample, documents per
// second for parse + map + serialize beside parse + serialize alone, in one thread, same run.
//   bench_mapping [seconds per measurement, default 2] [only: shipment | sap]
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "mapping/mapping.h"
#include "support/source_dir.h"

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs `step` in batches until `seconds` have passed; returns iterations per second.
template <class Step>
double rate(double seconds, Step&& step) {
    for (int i = 0; i < 1000; ++i) step();  // warm up caches and the thread's scratch space
    std::size_t n = 0;
    auto start = Clock::now();
    double elapsed = 0;
    do {
        for (int i = 0; i < 2000; ++i) step();
        n += 2000;
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < seconds);
    return double(n) / elapsed;
}

std::size_t sink = 0;  // keeps the optimiser from dropping the work

void bench(const char* label, const std::string& mapping_file, const std::string& sample_file,
           double seconds) {
    auto mapping = fb::mapping::Mapping::load(std::string(FB_SOURCE_DIR) + "/" + mapping_file);
    std::string text = read_text(std::string(FB_SOURCE_DIR) + "/" + sample_file);
    auto check = mapping->map(json::parse(text));
    std::size_t docs = check.size();
    for (const auto& r : check)
        if (r.kind != fb::mapping::MapResult::Kind::mapped) {
            std::fprintf(stderr, "%s: a sample document did not map: %s\n", label,
                         r.error ? r.error->message().c_str() : "filtered");
            std::exit(1);
        }

    double baseline = rate(seconds, [&] {
        json::value v = json::parse(text);
        sink += json::serialize(v).size();
    });
    double full = rate(seconds, [&] {
        json::value v = json::parse(text);
        for (const auto& r : mapping->map(v)) sink += json::serialize(r.work_order).size();
    });
    double map_only_us = 1e6 / full - 1e6 / baseline;
    std::printf(
        "%-22s parse+map+serialize %10.0f docs/s   parse+serialize %10.0f docs/s   "
        "time ratio %.2f   mapping %.2f us/doc (%zu doc%s per input, %zu bytes)\n",
        label, full * double(docs), baseline * double(docs), baseline / full,
        map_only_us / double(docs), docs, docs == 1 ? "" : "s", text.size());
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
    std::string only = argc > 2 ? argv[2] : "";
    if (only.empty() || only == "shipment")
        bench("generic shipment", "mappings/generic-rest/shipment-to-delivery.yaml",
              "tests/fixtures/samples/generic-rest/shipment-CK20261120-0042.json", seconds);
    if (only.empty() || only == "sap")
        bench("SAP OData delivery", "mappings/sap-s4/outbound-delivery-to-delivery.yaml",
              "tests/fixtures/samples/sap-s4-odata/A_OutbDeliveryHeader-page1.json", seconds);
    std::printf(
        "(time ratio = (parse+map+serialize) / (parse+serialize); target: generic shipment "
        ">= 250000 docs/s and ratio <= 2)\n");
    return sink == 0;
}
