// Fixture cases: finding them, reading their input documents, and comparing results with the
// expected file. An expected file is the work order itself, or for several documents a list;
// a non-mapped result is written {"$result": "filtered" | "cancelled" | "failed", …}.
#pragma once

#include "decode/decode.h"

#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "mapping/mapping.h"

namespace fb::mapping {

struct FixtureCase {
    std::string input;     // <case>.input.<ext>
    std::string expected;  // <case>.expected.json
};

struct FixtureSuite {
    std::string mapping;
    std::vector<FixtureCase> cases;
};

// `path`: a mapping file, a fixture folder (tests/<mapping>/) or a folder to search.
void collect_suites(const std::string& path, std::vector<FixtureSuite>& suites,
                    std::vector<std::string>& problems);

// Decodes a document file as the mapping (or the caller) says; `error` set when it cannot.
std::vector<boost::json::value> read_documents(const std::string& path, const Mapping& mapping,
                                               const std::string& format,
                                               const std::string& charset, std::string& error);
// The same for `bytes` already read from `path` (whose extension may name the format), within
// `limits` (the file source's max_file_bytes; the file's size, before any charset conversion).
std::vector<boost::json::value> decode_documents(std::string bytes, const std::string& path, const Mapping& mapping,
                                                 const std::string& format, const std::string& charset,
                                                 const decode::Limits& limits, std::string& error);

// "" when the case passes; otherwise a readable diff. `warnings` (when given) collects what
// looks like a silent mistake, such as a list path whose way is missing.
std::string run_case(const Mapping& mapping, const FixtureCase& c,
                     std::vector<std::string>* warnings = nullptr);

// Differences between two JSON values, one "  where: expected …, got …" line each.
void json_diff(const boost::json::value& expected, const boost::json::value& actual,
               const std::string& where, std::string& out);

}  // namespace fb::mapping
