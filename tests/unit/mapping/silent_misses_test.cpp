// A mapping that matches nothing says so: zero documents from a non-empty input is one failed
// result, and the tools warn about a list path whose way is missing.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.h"
#include "mapping/tools.h"
#include "support/temp_folder.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const Mapping> idoc_mapping() {
    return Mapping::load(repo("mappings/sap-idoc/delvry07-to-delivery.yaml"));
}

}  // namespace

TEST_CASE("a documents: path that finds nothing is one failed result naming mapping, path and top level") {
    // An XML sender that chose the prefix ns0: the envelope key is `ns0:DELVRY07`.
    auto results = idoc_mapping()->map(json::parse(R"({"ns0:DELVRY07": {"IDOC": {"@BEGIN": "1"}}})"));
    REQUIRE(results.size() == 1);
    const auto& r = results[0];
    REQUIRE(r.kind == MapResult::Kind::failed);
    REQUIRE(r.error);
    auto message = r.error->message();
    CHECK(r.error->field == "documents");
    CHECK_THAT(message, Catch::Contains("documents: $.DELVRY07.IDOC[*]"));
    CHECK_THAT(message, Catch::Contains("mapping `delvry07-to-delivery`"));
    CHECK_THAT(message, Catch::Contains("`ns0:DELVRY07` (an object)"));
    // The input is kept whole, so the dead-letter entry can be replayed after the fix.
    CHECK(r.document.as_object().contains("ns0:DELVRY07"));
}

TEST_CASE("a renamed envelope key or a scalar where the list belongs is a failed result too") {
    auto m = Mapping::compile(
        "name: page\nkey: $.No\ndocuments: $.data.rows[*]\nwork_order:\n  type: delivery\n"
        "  source_ref: $.No\n  customer: { name: c }\n  address: { text: a }\n",
        "page.yaml");
    for (const char* input : {R"({"data": {"items": [{"No": "1"}]}})", R"({"data": null})",
                              R"({"result": "ok", "rows": [{"No": "1"}]})"}) {
        auto results = m->map(json::parse(input));
        INFO(input);
        REQUIRE(results.size() == 1);
        CHECK(results[0].kind == MapResult::Kind::failed);
        CHECK_THAT(results[0].error->message(), Catch::Contains("mapping `page`"));
        CHECK_THAT(results[0].error->message(), Catch::Contains("the input's top level is"));
    }
    // The list present and empty is an empty page: nothing to do, nothing failed.
    CHECK(m->map(json::parse(R"({"data": {"rows": []}})")).empty());
    // A filter as the documents path that matches none of the rows: a failure, not silence.
    auto f = Mapping::compile(
        "name: f\nkey: $.No\ndocuments: $.rows[?(@.Type == \"D\")]\nwork_order:\n  type: delivery\n"
        "  source_ref: $.No\n  customer: { name: c }\n  address: { text: a }\n",
        "f.yaml");
    auto none = f->map(json::parse(R"({"rows": [{"No": "1", "Type": "X"}]})"));
    REQUIRE(none.size() == 1);
    CHECK(none[0].kind == MapResult::Kind::failed);
    CHECK_THAT(none[0].error->message(), Catch::Contains("no match"));
}

TEST_CASE("fieldbridge map exits non-zero with the reason when the mapping matches nothing") {
    fs::path dir = fb::testing::temp_path("fb-map-nothing");
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto doc = dir / "ns0.xml";
    std::ofstream(doc) << R"(<ns0:DELVRY07 xmlns:ns0="urn:sap-com:document:sap:idoc"><ns0:IDOC BEGIN="1"/></ns0:DELVRY07>)";
    std::ostringstream out, err;
    int rc = map_command(repo("mappings/sap-idoc/delvry07-to-delivery.yaml"), {doc.string()}, "",
                         "", out, err);
    CHECK(rc == 1);
    CHECK(out.str().empty());
    CHECK_THAT(err.str(), Catch::Contains("documents: $.DELVRY07.IDOC[*]"));
    CHECK_THAT(err.str(), Catch::Contains("ns0:DELVRY07"));
}

TEST_CASE("a list path whose way is missing is a warning in map --explain, not in the daemon") {
    auto m = Mapping::compile(
        "name: lines\nkey: $.No\ndocuments: $.rows[*]\nwork_order:\n  type: delivery\n"
        "  source_ref: $.No\n  customer: { name: c }\n  address: { text: a }\n"
        "  notes: { expr: 'string(count($$.lines[*]))' }\n",
        "lines.yaml");
    auto input = json::parse(R"({"rows": [{"No": "1"}], "lines": [1, 2]})");
    auto quiet = m->map(input);
    REQUIRE(quiet.size() == 1);
    CHECK(quiet[0].kind == MapResult::Kind::mapped);
    CHECK(quiet[0].warnings.empty());
    auto loud = m->map(input, true);
    REQUIRE(loud.size() == 1);
    REQUIRE(loud[0].warnings.size() == 1);
    CHECK_THAT(loud[0].warnings[0], Catch::Contains("`$$.lines[*]` read nothing"));
    CHECK_THAT(loud[0].warnings[0], Catch::Contains("`$input`"));
    // What the integrator meant reads the whole input and warns about nothing.
    auto fixed = Mapping::compile(
        "name: lines\nkey: $.No\ndocuments: $.rows[*]\nwork_order:\n  type: delivery\n"
        "  source_ref: $.No\n  customer: { name: c }\n  address: { text: a }\n"
        "  notes: { expr: 'string(count($input.lines[*]))' }\n",
        "lines.yaml");
    auto ok = fixed->map(input, true);
    CHECK(ok[0].warnings.empty());
    CHECK(ok[0].work_order.at("notes") == "2");
    // An empty list is not a mistake: no warning.
    auto empty = m->map(json::parse(R"({"rows": [{"No": "1", "lines": []}]})"), true);
    CHECK(empty[0].warnings.empty());
}

TEST_CASE("map --explain prints key, version, cancelled, when, warnings and the work order") {
    fs::path dir = fb::testing::temp_path("fb-map-explain");
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto mapping = dir / "m.yaml";
    std::ofstream(mapping) << "name: m\nkey: $.No\nversion: $.Rev\ncancelled: $.S == \"X\"\n"
                              "when: $.S != \"draft\"\nwork_order:\n  type: delivery\n"
                              "  source_ref: $.No\n  customer: { name: c }\n  address: { text: a }\n"
                              "  notes: { expr: 'string(count($.Lines[*]))' }\n";
    auto doc = dir / "d.ndjson";
    std::ofstream(doc) << R"({"No": "A-1", "Rev": "3", "S": "ok"})" << "\n"
                       << R"({"No": "A-2", "Rev": "1", "S": "draft", "Lines": []})" << "\n";
    std::ostringstream out, err;
    int rc = map_command(mapping.string(), {doc.string()}, "", "", out, err, true);
    INFO(out.str() << err.str());
    CHECK(rc == 0);
    const std::string text = out.str();
    CHECK_THAT(text, Catch::Contains("document A-1: mapped"));
    CHECK_THAT(text, Catch::Contains("version: $.Rev = 3"));
    CHECK_THAT(text, Catch::Contains("cancelled: $.S == \"X\" → false"));
    CHECK_THAT(text, Catch::Contains("when: $.S != \"draft\" → true"));
    CHECK_THAT(text, Catch::Contains("warning: `$.Lines[*]` read nothing: `$.Lines` is missing"));
    CHECK_THAT(text, Catch::Contains("\"source_ref\": \"A-1\""));
    CHECK_THAT(text, Catch::Contains("document A-2: filtered"));
    CHECK_THAT(text, Catch::Contains("→ false (filtered)"));
    // Without --explain each document is named on stderr and stdout stays work orders only.
    std::ostringstream out2, err2;
    CHECK(map_command(mapping.string(), {doc.string()}, "", "", out2, err2) == 0);
    CHECK_THAT(err2.str(), Catch::Contains("A-1 mapped"));
    CHECK_THAT(err2.str(), Catch::Contains("A-2 filtered"));
    CHECK_THAT(err2.str(), Catch::Contains("warning: `$.Lines[*]` read nothing"));
    CHECK(json::parse(out2.str()).at("source_ref") == "A-1");
}

TEST_CASE("fieldbridge test prints a warning under the case it came from") {
    fs::path dir = fb::testing::temp_path("fb-test-warning");
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(dir / "m.yaml")
        << "name: m\nkey: $.No\nwork_order:\n  type: delivery\n  source_ref: $.No\n"
           "  customer: { name: c }\n  address: { text: a }\n"
           "  notes: { expr: 'string(count($$.lines[*]))' }\n";
    fs::create_directories(dir / "tests" / "m");
    std::ofstream(dir / "tests" / "m" / "one.input.json") << R"({"No": "1"})";
    std::ofstream(dir / "tests" / "m" / "one.expected.json")
        << R"({"type": "delivery", "source_ref": "1", "customer": {"name": "c"},
              "address": {"text": "a"}, "notes": "0"})";
    std::ostringstream out;
    int rc = test_command({(dir / "m.yaml").string()}, out);
    INFO(out.str());
    CHECK(rc == 0);
    CHECK_THAT(out.str(), Catch::Contains("warning: 1: `$$.lines[*]` read nothing"));
}
