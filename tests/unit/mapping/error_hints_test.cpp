// Errors that say what to write: an unquoted bracket path, a list where one value belongs, an XML
// element where its text was meant, an attribute read as an element, an empty intermediate.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace json = boost::json;

namespace {

std::string compile_error_of(const std::string& text) {
    try {
        Mapping::compile(text, "m.yaml");
    } catch (const CompileError& e) {
        return e.what();
    }
    return "no error";
}

std::string failure(const std::string& fields, const std::string& doc, const std::string& top = "") {
    auto r = map_one(*work_order_mapping(fields, top), doc);
    return r.kind == MapResult::Kind::failed ? r.error->message() : "mapped";
}

}  // namespace

TEST_CASE("an unquoted bracket path in a flow map says to quote it, at the path's start") {
    auto e = compile_error_of(
        "name: m\nkey: $.DocNo\nwork_order:\n  type: delivery\n  source_ref: $.DocNo\n"
        "  customer: { name: c }\n  address: { text: a }\n"
        "  skills: { each: $.Tasks[*], value: $.Skill }\n");
    CHECK_THAT(e, Catch::StartsWith("m.yaml:8:19: quote a path that contains brackets"));
    CHECK_THAT(e, Catch::Contains("write \"$.Tasks[*]\""));
    CHECK_THAT(e, !Catch::Contains("end of map flow not found"));
}

TEST_CASE("YAML nested past yaml-cpp's depth guard says so, not 'bad file'") {
    auto e = compile_error_of("name: m\nkey: $.DocNo\nwork_order:\n  notes: " + std::string(3000, '[') + "\n");
    CHECK_THAT(e, Catch::StartsWith("m.yaml:"));
    CHECK_THAT(e, Catch::Contains("nested too deeply"));
    CHECK_THAT(e, !Catch::Contains("bad file"));
}

TEST_CASE("a list where one text belongs suggests a filter, `in` or join()") {
    const std::string doc = R"({"DocNo": "1", "Tags": ["a", "b"]})";
    auto contains = failure("  notes: { expr: 'string(contains($.Tags[*], \"a\"))' }\n", doc);
    CHECK_THAT(contains, Catch::Contains("`\"x\" in list`"));
    CHECK_THAT(contains, Catch::Contains("join("));
    auto upper = failure("  notes: { expr: 'upper($.Tags[*])' }\n", doc);
    CHECK_THAT(upper, Catch::Contains("join(list"));
    auto tmpl = failure("  notes: { template: \"tags: {{$.Tags[*]}}\" }\n", doc);
    CHECK_THAT(tmpl, Catch::Contains("join(list"));
}

TEST_CASE("an XML element with attributes where a text was expected points at .#text") {
    auto m = work_order_mapping("  notes: $.Note\n");
    auto r = map_one(*m, R"({"DocNo": "1", "Note": {"@lang": "en", "#text": "hi"}})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK_THAT(r.error->found, Catch::Contains("its text is `.#text`"));
}

TEST_CASE("a name that exists as an attribute suggests @name") {
    auto msg = failure("  notes: { path: $.Item.Unit, required: true }\n",
                       R"({"DocNo": "1", "Item": {"@Unit": "PCE", "#text": "x"}})");
    CHECK_THAT(msg, Catch::Contains("has the attribute `@Unit`: read `$.Item.@Unit`"));
    // The document key too.
    auto m = Mapping::compile(
        "name: m\nkey: $.IDOC.DOCNUM\nwork_order:\n  type: delivery\n  source_ref: x\n"
        "  customer: { name: c }\n  address: { text: a }\n",
        "m.yaml");
    auto r = map_one(*m, R"({"IDOC": {"@DOCNUM": "42"}})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK_THAT(r.error->message(), Catch::Contains("`@DOCNUM`"));
}

TEST_CASE("a run-time error from an empty intermediate names it") {
    const std::string doc =
        R"({"DocNo": "1", "Partners": [{"Role": "AG", "City": "Bonn"}, {"Role": "RE", "City": "Köln"}]})";
    // A `let:` filter that matched nothing.
    auto let = failure("  address: { text: { path: $ship_to.City, required: true } }\n", doc,
                       "let:\n  ship_to: $.Partners[?(@.Role == \"WE\")]\n");
    CHECK_THAT(let, Catch::Contains("`$ship_to` has no value: its rule under `let:` read or matched nothing"));
    // A filter inside the path itself.
    auto filter = failure(
        "  address: { text: { path: '$.Partners[?(@.Role == \"WE\")].City', required: true } }\n",
        doc);
    CHECK_THAT(filter, Catch::Contains("matched none of the 2 elements of `$.Partners`"));
    // A missing intermediate on the way.
    auto missing =
        failure("  address: { text: { path: $.Ship.To.City, required: true } }\n", doc);
    CHECK_THAT(missing, Catch::Contains("`$.Ship` is missing"));
}

TEST_CASE("a document that is not an object says so, not only that its key is missing") {
    auto plain = failure("", "false");
    CHECK_THAT(plain, Catch::Contains("the document itself is false, not an object"));
    CHECK_THAT(plain, Catch::Contains("a list at the top level is read as a list of documents"));
    auto selected = failure("", R"({"data": [7]})", "documents: $.data[*]\n");
    CHECK_THAT(selected, Catch::Contains("the document itself is 7, not an object"));
    CHECK_THAT(selected, Catch::Contains("look at what `documents:` selects"));
    // An object without the key keeps the usual reason.
    CHECK_THAT(failure("", R"({"No": "1"})"), !Catch::Contains("not an object"));
}

TEST_CASE("a document id with a control character or over 200 characters is refused, shown escaped") {
    auto newline = failure("", R"({"DocNo": "id\nwith\u001b[31m newline"})");
    CHECK_THAT(newline, Catch::StartsWith("document (no id), field key"));
    CHECK_THAT(newline, Catch::Contains("expected a document id of at most 200 characters without control characters, "
                                        "found `id\\nwith\\x1b[31m newline` (a control character)"));
    CHECK(newline.find('\n') == std::string::npos);
    auto nul = failure("", R"({"DocNo": "HX\u0000NUL"})");
    CHECK_THAT(nul, Catch::Contains("`HX\\x00NUL`"));
    auto long_id = failure("", "{\"DocNo\": \"" + std::string(201, 'x') + "\"}");
    CHECK_THAT(long_id, Catch::Contains("found 201 characters: `" + std::string(60, 'x') + "…`"));
    CHECK(failure("", "{\"DocNo\": \"" + std::string(200, 'x') + "\"}").find("field key") == std::string::npos);
    CHECK(failure("", R"({"DocNo": "望京\t西路"})").find("field key") == std::string::npos);  // a tab and any script
}

TEST_CASE("an input of more documents than max_documents fails whole, before any is mapped") {
    auto m = work_order_mapping("", "max_documents: 3\n");
    auto three = m->map(boost::json::parse(R"([{"DocNo": "1"}, {"DocNo": "2"}, {"DocNo": "3"}])"));
    CHECK(three.size() == 3);
    auto four = m->map(boost::json::parse(R"([{"DocNo": "1"}, {"DocNo": "2"}, {"DocNo": "3"}, {"DocNo": "4"}])"));
    REQUIRE(four.size() == 1);
    REQUIRE(four[0].kind == MapResult::Kind::failed);
    CHECK_THAT(four[0].error->message(), Catch::Contains("field documents") &&
                                             Catch::Contains("expected at most 3 documents in one input (the mapping's max_documents), "
                                                             "found 4: send smaller batches or pages, or raise max_documents"));
    CHECK(four[0].document.is_array());  // the whole input, for the dead-letter entry and its replay
    // Rows grouped into documents count as the documents they make (a CSV of line items).
    auto grouped = work_order_mapping("", "max_documents: 2\ngroup_by: $.DocNo\n");
    auto rows = grouped->map(boost::json::parse(R"([{"DocNo": "1"}, {"DocNo": "1"}, {"DocNo": "2"}, {"DocNo": "2"}])"));
    CHECK(rows.size() == 2);
    CHECK(rows[0].kind == MapResult::Kind::mapped);
    CHECK(grouped->map(boost::json::parse(R"([{"DocNo": "1"}, {"DocNo": "2"}, {"DocNo": "3"}])")).at(0).kind == MapResult::Kind::failed);
    CHECK_THAT(compile_error_of("name: m\nkey: $.DocNo\nmax_documents: 0\nwork_order: { type: delivery }\n"),
               Catch::Contains("m.yaml:3:16: `max_documents` is a whole number from 1 to 10000000"));
}
