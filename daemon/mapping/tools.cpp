#include "mapping/tools.h"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "decode/decode.h"
#include "mapping/fixtures.h"
#include "mapping/mapping.h"
#include "mapping/plan.h"

namespace fb::mapping {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

void pretty(const json::value& v, std::string& out, int indent) {
    auto pad = [&](int n) { out.append(std::size_t(n) * 2, ' '); };
    if (const auto* o = v.if_object()) {
        if (o->empty()) {
            out += "{}";
            return;
        }
        out += "{\n";
        std::size_t i = 0;
        for (const auto& kv : *o) {
            pad(indent + 1);
            out += json::serialize(json::string(kv.key())) + ": ";
            pretty(kv.value(), out, indent + 1);
            out += ++i < o->size() ? ",\n" : "\n";
        }
        pad(indent);
        out += "}";
    } else if (const auto* a = v.if_array()) {
        if (a->empty()) {
            out += "[]";
            return;
        }
        out += "[\n";
        for (std::size_t i = 0; i < a->size(); ++i) {
            pad(indent + 1);
            pretty((*a)[i], out, indent + 1);
            out += i + 1 < a->size() ? ",\n" : "\n";
        }
        pad(indent);
        out += "]";
    } else if (v.is_double()) {
        // Shortest round-trip form (42.5), where serialize() would write 4.25E1.
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
        out.append(buf, r.ptr);
    } else {
        out += json::serialize(v);
    }
}

// `map --explain`: one block per document, what the mapping decided and why.
void explain_result(const Mapping& mapping, const MapResult& r, std::ostream& out) {
    const Plan& plan = mapping.plan();
    static const char* kinds[] = {"mapped", "filtered", "cancelled", "failed"};
    out << "document " << (r.document_id.empty() ? "(no id)" : r.document_id) << ": "
        << kinds[int(r.kind)] << "\n";
    if (plan.key) out << "  key: " << plan.key->text << " = " << r.document_id << "\n";
    if (plan.version) out << "  version: " << plan.version->text << " = " << r.version << "\n";
    bool decided = r.kind != MapResult::Kind::failed;
    if (plan.cancelled && decided)
        out << "  cancelled: " << plan.cancelled->source << " → "
            << (r.kind == MapResult::Kind::cancelled ? "true" : "false") << "\n";
    if (plan.when && decided && r.kind != MapResult::Kind::cancelled)
        out << "  when: " << plan.when->source << " → "
            << (r.kind == MapResult::Kind::filtered ? "false (filtered)" : "true") << "\n";
    for (const auto& w : r.warnings) out << "  warning: " << w << "\n";
    if (r.error) out << "  error: " << r.error->message() << "\n";
    if (r.kind == MapResult::Kind::mapped || r.kind == MapResult::Kind::cancelled)
        out << "  work order: " << pretty_json(r.work_order) << "\n";
}

}  // namespace

std::string pretty_json(const json::value& v) {
    std::string out;
    pretty(v, out, 0);
    return out;
}

int map_command(const std::string& mapping_path, const std::vector<std::string>& docs,
                const std::string& format, const std::string& charset, std::ostream& out,
                std::ostream& err, bool explain) {
    std::shared_ptr<const Mapping> mapping;
    try {
        mapping = Mapping::load(mapping_path);
    } catch (const CompileError& e) {
        err << e.what() << "\n";
        return 1;
    }
    int failures = 0;
    for (const auto& doc : docs) {
        std::string error;
        auto inputs = read_documents(doc, *mapping, format, charset, error);
        if (!error.empty()) {
            err << doc << ": " << error << "\n";
            ++failures;
            continue;
        }
        for (const auto& input : inputs) {
            if (mapping->is_request()) {
                if (!input.is_object()) {
                    err << doc
                        << ": a writeback context is an object {event, work_order, document}\n";
                    ++failures;
                    continue;
                }
                auto r = mapping->map_request(input.get_object());
                if (r.kind == MapResult::Kind::mapped)
                    out << pretty_json(r.to_json()) << "\n";
                else if (r.kind == MapResult::Kind::filtered)
                    err << doc << ": filtered (no request)\n";
                else {
                    err << doc << ": " << r.error->message() << "\n";
                    ++failures;
                }
                continue;
            }
            auto results = mapping->map(input, true);  // the tools always warn
            if (results.empty()) err << doc << ": no documents (an empty input)\n";
            for (const auto& r : results) {
                if (explain) {
                    explain_result(*mapping, r, out);
                    failures += r.kind == MapResult::Kind::failed;
                    continue;
                }
                for (const auto& w : r.warnings) err << doc << ": warning: " << w << "\n";
                switch (r.kind) {
                    case MapResult::Kind::mapped:
                        err << doc << ": " << r.document_id << " mapped\n";
                        out << pretty_json(r.work_order) << "\n";
                        break;
                    case MapResult::Kind::filtered:
                        err << doc << ": " << r.document_id << " filtered (when)\n";
                        break;
                    case MapResult::Kind::cancelled:
                        err << doc << ": " << r.document_id << " cancelled\n";
                        out << pretty_json(r.work_order) << "\n";
                        break;
                    case MapResult::Kind::failed:
                        err << doc << ": " << (r.error ? r.error->message() : "failed") << "\n";
                        ++failures;
                        break;
                }
            }
        }
    }
    return failures ? 1 : 0;
}

std::vector<std::string> fixture_dirs_for(const std::string& mapping_path) {
    fs::path p(mapping_path);
    fs::path dir = p.parent_path() / "tests" / p.stem();
    std::error_code ec;
    if (fs::is_directory(dir, ec)) return {dir.string()};
    return {};
}

int test_command(const std::vector<std::string>& paths, std::ostream& out) {
    std::vector<FixtureSuite> suites;
    std::vector<std::string> problems;
    for (const auto& p : paths) collect_suites(p, suites, problems);
    int passed = 0, failed = 0;
    for (const auto& problem : problems) {
        out << "FAIL " << problem << "\n";
        ++failed;
    }
    for (const auto& suite : suites) {
        std::shared_ptr<const Mapping> mapping;
        try {
            mapping = Mapping::load(suite.mapping);
        } catch (const CompileError& e) {
            out << "FAIL " << suite.mapping << ": " << e.what() << "\n";
            failed += int(std::max<std::size_t>(1, suite.cases.size()));
            continue;
        }
        for (const auto& c : suite.cases) {
            std::vector<std::string> warnings;
            auto diff = run_case(*mapping, c, &warnings);
            if (diff.empty()) {
                out << "ok   " << c.input << "\n";
                ++passed;
            } else {
                out << "FAIL " << c.input << "\n" << diff;
                ++failed;
            }
            for (const auto& w : warnings) out << "  warning: " << w << "\n";
        }
    }
    if (suites.empty() && problems.empty()) {
        out << "no mappings with fixtures found\n";
        ++failed;
    }
    out << passed << " passed, " << failed << " failed\n";
    return failed ? 1 : 0;
}

}  // namespace fb::mapping
