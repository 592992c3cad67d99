// Shared bits of the mapping tests: reading samples and compiling inline mappings.
#pragma once

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "mapping/mapping.h"
#include "support/source_dir.h"

namespace fb::mapping::testing {

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::string repo(const std::string& relative) {
    return std::string(FB_SOURCE_DIR) + "/" + relative;
}

inline boost::json::value sample(const std::string& relative) {
    return boost::json::parse(read_text(repo("tests/fixtures/samples/" + relative)));
}

// A work-order mapping around `fields` (YAML lines under work_order:, indented two spaces),
// with the fields the schema requires filled in unless the test gives them.
inline std::shared_ptr<const Mapping> work_order_mapping(const std::string& fields,
                                                         const std::string& top = "") {
    std::string text = "name: test\nkey: $.DocNo\n" + top + "work_order:\n" + fields;
    auto has = [&](const char* f) {
        return fields.find(std::string("\n  ") + f + ":") != std::string::npos ||
               fields.rfind(std::string("  ") + f + ":", 0) == 0;
    };
    if (!has("type")) text += "  type: delivery\n";
    if (!has("source_ref")) text += "  source_ref: $.DocNo\n";
    if (!has("customer"))
        text += "  customer: { name: { path: $.Customer.Name, default: unknown } }\n";
    if (!has("address")) text += "  address: { text: { path: $.Street, default: unknown } }\n";
    return Mapping::compile(text, "m.yaml");
}

inline MapResult map_one(const Mapping& m, const std::string& json_text) {
    auto results = m.map(boost::json::parse(json_text));
    if (results.size() != 1) throw std::runtime_error("expected one result");
    return results.front();
}

}  // namespace fb::mapping::testing
