#include "mapping/fixtures.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "decode/decode.h"
#include "mapping/tools.h"

namespace fb::mapping {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

bool read_file(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream s;
    s << in.rdbuf();
    out = s.str();
    return true;
}

// Cases of one fixture folder, in name order.
std::vector<FixtureCase> cases_in(const fs::path& dir) {
    std::vector<FixtureCase> cases;
    for (const auto& e : fs::directory_iterator(dir)) {
        std::string name = e.path().filename().string();
        auto at = name.find(".input.");
        if (!e.is_regular_file() || at == std::string::npos) continue;
        fs::path expected = dir / (name.substr(0, at) + ".expected.json");
        cases.push_back({e.path().string(), expected.string()});
    }
    std::sort(cases.begin(), cases.end(),
              [](const auto& a, const auto& b) { return a.input < b.input; });
    return cases;
}

bool is_mapping_file(const fs::path& p) {
    return p.extension() == ".yaml" || p.extension() == ".yml";
}

std::string describe_json(const json::value& v) {
    std::string s = json::serialize(v);
    return s.size() > 120 ? s.substr(0, 117) + "..." : s;
}

std::string kind_name(MapResult::Kind k) {
    switch (k) {
        case MapResult::Kind::mapped:
            return "mapped";
        case MapResult::Kind::filtered:
            return "filtered";
        case MapResult::Kind::cancelled:
            return "cancelled";
        default:
            return "failed";
    }
}

// One expected entry against one result.
void compare_result(const json::value& expected, const MapResult& r, const std::string& where,
                    std::string& out) {
    const json::object* full = expected.is_object() && expected.get_object().contains("$result")
                                   ? &expected.get_object()
                                   : nullptr;
    std::string want = full ? std::string(full->at("$result").as_string()) : "mapped";
    if (want != kind_name(r.kind)) {
        out += "  " + where + "result: expected " + want + ", got " + kind_name(r.kind);
        if (r.error) out += " (" + r.error->message() + ")";
        out += "\n";
        return;
    }
    if (!full) {
        json_diff(expected, r.work_order, where + "work_order", out);
        return;
    }
    for (const auto& kv : *full) {
        std::string_view k = kv.key();
        if (k == "document_id" && kv.value() != json::value(r.document_id))
            out += "  " + where + "document_id: expected " + describe_json(kv.value()) +
                   ", got \"" + r.document_id + "\"\n";
        else if (k == "version" && kv.value() != json::value(r.version))
            out += "  " + where + "version: expected " + describe_json(kv.value()) + ", got \"" +
                   r.version + "\"\n";
        else if (k == "work_order")
            json_diff(kv.value(), r.work_order, where + "work_order", out);
        else if (k == "error") {
            std::string msg = r.error ? r.error->message() : "";
            std::string part = kv.value().is_string() ? std::string(kv.value().get_string()) : "";
            if (msg.find(part) == std::string::npos)
                out += "  " + where + "error: expected it to contain \"" + part + "\", got \"" +
                       msg + "\"\n";
        }
    }
}

}  // namespace

void json_diff(const json::value& expected, const json::value& actual, const std::string& where,
               std::string& out) {
    if (expected.is_object() && actual.is_object()) {
        const auto& e = expected.get_object();
        const auto& a = actual.get_object();
        for (const auto& kv : e) {
            auto it = a.find(kv.key());
            std::string w = where + "." + std::string(kv.key());
            if (it == a.end())
                out += "  " + w + ": expected " + describe_json(kv.value()) + ", missing\n";
            else
                json_diff(kv.value(), it->value(), w, out);
        }
        for (const auto& kv : a)
            if (!e.contains(kv.key()))
                out += "  " + where + "." + std::string(kv.key()) + ": not expected, got " +
                       describe_json(kv.value()) + "\n";
        return;
    }
    if (expected.is_array() && actual.is_array()) {
        const auto& e = expected.get_array();
        const auto& a = actual.get_array();
        for (std::size_t i = 0; i < std::max(e.size(), a.size()); ++i) {
            std::string w = where + "[" + std::to_string(i) + "]";
            if (i >= a.size())
                out += "  " + w + ": expected " + describe_json(e[i]) + ", missing\n";
            else if (i >= e.size())
                out += "  " + w + ": not expected, got " + describe_json(a[i]) + "\n";
            else
                json_diff(e[i], a[i], w, out);
        }
        return;
    }
    bool same = expected == actual;
    if (!same && expected.is_number() && actual.is_number())
        same = expected.to_number<double>() == actual.to_number<double>();
    if (!same)
        out += "  " + where + ": expected " + describe_json(expected) + ", got " +
               describe_json(actual) + "\n";
}

void collect_suites(const std::string& path, std::vector<FixtureSuite>& suites,
                    std::vector<std::string>& problems) {
    std::error_code ec;
    fs::path p(path);
    if (fs::is_regular_file(p, ec) && is_mapping_file(p)) {
        auto dirs = fixture_dirs_for(path);
        if (dirs.empty())
            problems.push_back(path + ": no fixtures (expected them in " +
                               (p.parent_path() / "tests" / p.stem()).string() + ")");
        for (const auto& d : dirs) suites.push_back({path, cases_in(d)});
        return;
    }
    if (!fs::is_directory(p, ec)) {
        problems.push_back(path + ": no such mapping file or folder");
        return;
    }
    // A fixture folder: tests/<mapping>/ beside <mapping>.yaml.
    if (p.parent_path().filename() == "tests") {
        for (const char* ext : {".yaml", ".yml"}) {
            fs::path mapping = p.parent_path().parent_path() / (p.filename().string() + ext);
            if (fs::is_regular_file(mapping, ec)) {
                suites.push_back({mapping.string(), cases_in(p)});
                return;
            }
        }
    }
    std::vector<fs::path> mappings;
    for (auto it = fs::recursive_directory_iterator(p, ec);
         it != fs::recursive_directory_iterator(); ++it)
        if (it->is_regular_file() && is_mapping_file(it->path()) &&
            !fixture_dirs_for(it->path().string()).empty())
            mappings.push_back(it->path());
    std::sort(mappings.begin(), mappings.end());
    for (const auto& m : mappings)
        for (const auto& d : fixture_dirs_for(m.string()))
            suites.push_back({m.string(), cases_in(d)});
}

std::vector<json::value> read_documents(const std::string& path, const Mapping& mapping,
                                        const std::string& format, const std::string& charset,
                                        std::string& error) {
    std::string bytes;
    if (!read_file(path, bytes)) {
        error = "cannot read the file";
        return {};
    }
    return decode_documents(std::move(bytes), path, mapping, format, charset, {}, error);
}

std::vector<json::value> decode_documents(std::string bytes, const std::string& path, const Mapping& mapping,
                                          const std::string& format, const std::string& charset,
                                          const decode::Limits& limits, std::string& error) {
    std::vector<json::value> docs;
    if (bytes.size() > limits.max_bytes) {
        error = "the file's " + std::to_string(bytes.size()) + " bytes are over the limit of " +
                std::to_string(limits.max_bytes);
        return docs;
    }
    // The limit is on the file: its text converted to UTF-8 (GBK, UTF-16) may be longer.
    auto converted = limits;
    std::string fmt = !format.empty() ? format : mapping.input().format;
    std::string cs = !charset.empty() ? charset : mapping.input().charset;
    decode::Format f = fmt.empty()                         ? decode::format_for_path(path)
                       : fmt == "xml"                      ? decode::Format::xml
                       : fmt == "csv"                      ? decode::Format::csv
                       : fmt == "ndjson" || fmt == "jsonl" ? decode::Format::ndjson
                                                           : decode::Format::json;
    if (f == decode::Format::csv) {
        decode::CsvOptions o;
        if (!cs.empty()) o.charset = cs;
        o.delimiter = mapping.input().delimiter;
        auto d = decode::decode_csv(bytes, o, limits);
        if (!d.ok())
            error = d.error;
        else
            docs.push_back(std::move(d.value));
        return docs;
    }
    if (f == decode::Format::xml) {
        auto d = decode::decode_xml(bytes, limits);
        if (!d.ok())
            error = d.error;
        else
            docs.push_back(std::move(d.value));
        return docs;
    }
    if (!cs.empty()) {
        std::string e;
        bytes = decode::to_utf8(bytes, cs, e);
        if (!e.empty()) {
            error = e;
            return docs;
        }
        converted.max_bytes = std::max(limits.max_bytes, bytes.size());
    }
    if (f == decode::Format::ndjson) {
        std::istringstream lines(bytes);
        std::string line;
        int n = 0;
        while (std::getline(lines, line)) {
            ++n;
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            auto d = decode::decode_json(line, converted);
            if (!d.ok()) {
                error = "line " + std::to_string(n) + ": " + d.error;
                return {};
            }
            docs.push_back(std::move(d.value));
        }
        return docs;
    }
    auto d = decode::decode_json(bytes, converted);
    if (!d.ok())
        error = d.error;
    else
        docs.push_back(std::move(d.value));
    return docs;
}

std::string run_case(const Mapping& mapping, const FixtureCase& c,
                     std::vector<std::string>* warnings) {
    std::string expected_text, error;
    if (!read_file(c.expected, expected_text)) return "  missing " + c.expected + "\n";
    json::value expected;
    try {
        expected = json::parse(expected_text);
    } catch (const std::exception& e) {
        return "  " + c.expected + " is not JSON: " + e.what() + "\n";
    }
    auto inputs = read_documents(c.input, mapping, "", "", error);
    if (!error.empty()) return "  cannot decode the input: " + error + "\n";
    std::string diff;
    if (mapping.is_request()) {
        if (inputs.size() != 1 || !inputs[0].is_object())
            return "  the input must be one object {event, work_order, document}\n";
        auto r = mapping.map_request(inputs[0].get_object());
        bool want_filtered = expected.is_object() && expected.get_object().contains("$result");
        if (r.kind == MapResult::Kind::failed) return "  failed: " + r.error->message() + "\n";
        if (want_filtered != (r.kind == MapResult::Kind::filtered))
            return std::string("  result: expected ") + (want_filtered ? "filtered" : "a request") +
                   ", got " + (r.kind == MapResult::Kind::filtered ? "filtered" : "a request") +
                   "\n";
        if (!want_filtered) json_diff(expected, r.to_json(), "request", diff);
        return diff;
    }
    std::vector<MapResult> results;
    for (const auto& in : inputs)
        for (auto& r : mapping.map(in, warnings != nullptr)) {
            if (warnings)
                for (auto& w : r.warnings)
                    warnings->push_back((r.document_id.empty() ? "" : r.document_id + ": ") + w);
            results.push_back(std::move(r));
        }
    if (expected.is_array()) {
        const auto& e = expected.get_array();
        if (e.size() != results.size())
            diff += "  expected " + std::to_string(e.size()) + " results, got " +
                    std::to_string(results.size()) + "\n";
        for (std::size_t i = 0; i < std::min(e.size(), results.size()); ++i)
            compare_result(e[i], results[i], "[" + std::to_string(i) + "] ", diff);
        return diff;
    }
    if (results.size() != 1)
        return "  expected 1 result, got " + std::to_string(results.size()) + "\n";
    compare_result(expected, results[0], "", diff);
    return diff;
}

}  // namespace fb::mapping
