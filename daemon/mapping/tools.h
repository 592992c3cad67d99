// The mapping tools behind `fieldbridge map`, `fieldbridge test` and the fixture part of
// `fieldbridge check`. Fixtures live beside the mapping:
//   mappings/<system>/<mapping>.yaml
//   mappings/<system>/tests/<mapping>/<case>.input.<json|xml|csv|ndjson>
//   mappings/<system>/tests/<mapping>/<case>.expected.json
#pragma once

#include <boost/json/value.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace fb::mapping {

// Maps each document file and prints the work orders (or writeback requests) as JSON on `out`,
// and filtered / cancelled / failed documents on `err`. `format` "" means by the mapping's
// `input:` or by extension; `charset` "" means the mapping's or UTF-8. 0 when all mapped.
// Each document is named on `err` (`shipment.json: CK-1 mapped`). `explain` prints, per
// document, its key, version, `cancelled`/`when` outcome, warnings and work order on `out`.
int map_command(const std::string& mapping_path, const std::vector<std::string>& docs,
                const std::string& format, const std::string& charset, std::ostream& out,
                std::ostream& err, bool explain = false);

// Runs fixtures. Each path is a mapping file, a fixture folder, or a folder searched for
// mappings with fixtures. Prints a diff per failing case and last `N passed, M failed`.
// Non-zero when a case fails or nothing was found.
int test_command(const std::vector<std::string>& paths, std::ostream& out);

// The fixture folders of a mapping (empty when it has none).
std::vector<std::string> fixture_dirs_for(const std::string& mapping_path);

// Indented JSON, keys in their order, for people to read and diff.
std::string pretty_json(const boost::json::value& v);

}  // namespace fb::mapping
