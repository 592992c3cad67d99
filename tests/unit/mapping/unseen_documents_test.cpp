// What mapping four more unseen documents (UBL 2.1, Tryton, Business Central, ERPNext) from the
// docs alone showed missing: objects whose fields are named like rule keys, `.#text` on an element
// without attributes, a phone region and a zone read from the document, and flatten().
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "decode/decode.h"
#include "helpers.h"
#include "mapping/tools.h"
#include "support/temp_folder.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string compile_error(const std::string& text) {
    try {
        Mapping::compile(text, "m.yaml");
    } catch (const CompileError& e) {
        return e.what();
    }
    return "compiled";
}

// A poll request whose body is the given YAML lines (indented four spaces under `body:`).
RequestResult request_with_body(const std::string& body_lines, const json::object& context) {
    auto m = Mapping::compile(
        "name: r\nrequest:\n  method: POST\n  url: /jsonrpc\n  body:\n" + body_lines, "m.yaml");
    return m->map_request(context);
}

std::string field_of(const MapResult& r, const char* field) {
    if (r.kind == MapResult::Kind::failed) return "failed: " + r.error->message();
    auto it = r.work_order.find(field);
    return it == r.work_order.end() ? "nothing" : json::serialize(it->value());
}

}  // namespace

TEST_CASE("fields: takes its keys as written, so an object may have a field named like a rule key") {
    // Odoo's search_read keyword arguments: `fields` and `limit`; a default for a wizard.
    auto r = request_with_body(
        "    model: stock.picking\n"
        "    kwargs: { fields: { fields: [id, name, state], limit: 5, context: { lang: $.vars.lang } } }\n"
        "    defaults: { fields: { default: 1, value: $.vars.lang, path: /tmp/x } }\n",
        json::object{{"vars", json::object{{"lang", "en_US"}}}});
    INFO((r.error ? r.error->message() : ""));
    REQUIRE(r.kind == MapResult::Kind::mapped);
    CHECK(r.body.at("kwargs") ==
          json::parse(R"({"fields": ["id", "name", "state"], "limit": 5, "context": {"lang": "en_US"}})"));
    // Values under `fields:` are rules (`$.vars.lang` is read); only the keys are literal.
    CHECK(r.body.at("defaults") ==
          json::parse(R"({"default": 1, "value": "en_US", "path": "/tmp/x"})"));
    // Inside `each`, `fields:` is the same object of fields.
    auto each = request_with_body(
        "    lines: { each: \"$.ids[*]\", fields: { value: $, default: 0 } }\n",
        json::object{{"ids", json::array{7, 8}}});
    REQUIRE(each.kind == MapResult::Kind::mapped);
    CHECK(each.body.at("lines") == json::parse(R"([{"value": 7, "default": 0}, {"value": 8, "default": 0}])"));
}

TEST_CASE("an object read as a rule by mistake is a compile error that says to use fields:") {
    auto head = std::string("name: r\nrequest:\n  method: POST\n  url: /jsonrpc\n  body:\n");
    // A source key beside a key that is no rule key: the Odoo kwargs written plainly.
    auto e = compile_error(head + "    kwargs: { fields: [id, name], limit: 5 }\n");
    CHECK_THAT(e, Catch::StartsWith("m.yaml:6:35: unknown key `limit` in a rule"));
    CHECK_THAT(e, Catch::Contains("reads as a rule because of its `fields` key"));
    CHECK_THAT(e, Catch::Contains("`{ fields: { fields: …, limit: … } }`"));
    // A modifier key alone: `{ default: 1 }` meant as an object.
    e = compile_error(head + "    context: { default: 1 }\n");
    CHECK_THAT(e, Catch::StartsWith("m.yaml:6:16: `default` needs a value to work on"));
    CHECK_THAT(e, Catch::Contains("`{ fields: { default: … } }`"));
    // `fields:` given a list: the object with a field named `fields` was meant.
    e = compile_error(head + "    kwargs: { fields: [id, name] }\n");
    CHECK_THAT(e, Catch::Contains("for an output object with a field named `fields`, write "
                                  "`{ fields: { fields: … } }`"));
    // A misspelt rule key still gets its suggestion.
    CHECK_THAT(compile_error(head + "    x: { path: $.a, defualt: 1 }\n"),
               Catch::Contains("(did you mean `default`?)"));
}

TEST_CASE("an index too long for one is a compile error, however many digits") {
    for (std::string digits : {"1234567890", "99999999999999999999", "18446744073709551617",
                               "123456789012345678901234567890"}) {
        INFO(digits);
        auto e = compile_error("name: t\nkey: $.Lines[" + digits +
                               "].Id\nwork_order:\n  type: delivery\n  source_ref: $.Id\n"
                               "  customer: { name: c }\n  address: { text: a }\n");
        CHECK_THAT(e, Catch::StartsWith("m.yaml:2:"));
        CHECK_THAT(e, Catch::Contains("an index of more than 9 digits"));
        // In an expression, in a filter and on a `let` list alike.
        CHECK_THAT(compile_error("name: t\nkey: $.Id\nlet:\n  l: { expr: 'split($.T, \",\")' }\n"
                                 "work_order:\n  type: delivery\n  source_ref: $.Id\n"
                                 "  notes: { expr: 'upper($l[" + digits + "])' }\n"
                                 "  customer: { name: c }\n  address: { text: a }\n"),
                   Catch::Contains("an index of more than 9 digits"));
    }
}

TEST_CASE(".#text reads an XML element with attributes and the same element without") {
    auto m = work_order_mapping(
        "  items: { each: \"$.*:Line[*]\", fields: { sku: $.*:Sku, quantity: $.*:Qty.#text, "
        "unit: $.*:Qty.*:@unitCode } }\n"
        "  customer: { name: $.*:Party.*:ID.#text }\n");
    // One sender writes attributes on Qty and ID, the other none.
    auto with = fb::decode::decode_xml(
        R"(<r><DocNo>1</DocNo><cac:Party><cbc:ID schemeID="0088">P-1</cbc:ID></cac:Party>)"
        R"(<cac:Line><cbc:Sku>A</cbc:Sku><cbc:Qty unitCode="EA">2</cbc:Qty></cac:Line></r>)");
    auto without = fb::decode::decode_xml(
        R"(<r><DocNo>1</DocNo><Party><ID>P-1</ID></Party><Line><Sku>A</Sku><Qty>2</Qty></Line></r>)");
    REQUIRE(with.ok());
    REQUIRE(without.ok());
    auto a = m->map(with.value.at("r"));
    auto b = m->map(without.value.at("r"));
    REQUIRE(a.size() == 1);
    REQUIRE(b.size() == 1);
    CHECK(field_of(a[0], "customer") == R"({"name":"P-1"})");
    CHECK(field_of(b[0], "customer") == R"({"name":"P-1"})");
    CHECK(field_of(a[0], "items") == R"([{"sku":"A","quantity":2,"unit":"EA"}])");
    CHECK(field_of(b[0], "items") == R"([{"sku":"A","quantity":2}])");
}

TEST_CASE("phone: reads its region from the document, a bad region fails naming the path") {
    auto m = work_order_mapping("  customer: { name: c, phone: { path: $.Tel, phone: $.Country } }\n");
    auto phone = [&](const std::string& doc) { return field_of(map_one(*m, doc), "customer"); };
    CHECK(phone(R"({"DocNo": "1", "Tel": "(912) 555-0147", "Country": "US"})") ==
          R"({"name":"c","phone":"+19125550147"})");
    CHECK(phone(R"({"DocNo": "1", "Tel": "0117 496 0123", "Country": "GB"})") ==
          R"({"name":"c","phone":"+441174960123"})");
    // No region in the document: a number in international form still converts.
    CHECK(phone(R"({"DocNo": "1", "Tel": "+46 8 123 456 78"})") == R"({"name":"c","phone":"+46812345678"})");
    auto bad = phone(R"({"DocNo": "1", "Tel": "0117 496 0123", "Country": "United Kingdom"})");
    CHECK_THAT(bad, Catch::Contains("field customer.phone"));
    CHECK_THAT(bad, Catch::Contains("input $.Country"));
    CHECK_THAT(bad, Catch::Contains("expected a phone region"));
    CHECK_THAT(bad, Catch::Contains("\"United Kingdom\""));
    auto local = phone(R"({"DocNo": "1", "Tel": "0117 496 0123"})");
    CHECK_THAT(local, Catch::Contains("not in international form"));
    // A lookup from the ERP's country names works as the region rule too.
    auto by_name = work_order_mapping(
        "  customer: { name: c, phone: { path: $.Tel, phone: { path: $.Land, lookup: { Schweden: SE }, "
        "fallback: DE } } }\n");
    CHECK(field_of(map_one(*by_name, R"({"DocNo": "1", "Tel": "08-123 456 78", "Land": "Schweden"})"),
                   "customer") == R"({"name":"c","phone":"+46812345678"})");
    // A constant region is still checked when compiled.
    CHECK_THAT(compile_error("name: t\nkey: $.Id\nwork_order:\n  type: delivery\n  source_ref: $.Id\n"
                             "  customer: { name: c, phone: { path: $.T, phone: XX } }\n"
                             "  address: { text: a }\n"),
               Catch::Contains("`XX` is not a phone region"));
}

TEST_CASE("tz: may be a rule, such as a lookup from the ship-to country") {
    auto m = work_order_mapping(
        "  due_by: { path: $.Day, time: \"%Y-%m-%d\", at: \"08:00\", "
        "tz: { path: $.Country, lookup: { US: America/New_York, GB: Europe/London }, fallback: UTC } }\n");
    CHECK(field_of(map_one(*m, R"({"DocNo": "1", "Day": "2026-11-23", "Country": "US"})"), "due_by") ==
          R"("2026-11-23T08:00:00-05:00")");
    CHECK(field_of(map_one(*m, R"({"DocNo": "1", "Day": "2026-07-01", "Country": "GB"})"), "due_by") ==
          R"("2026-07-01T08:00:00+01:00")");
    CHECK(field_of(map_one(*m, R"({"DocNo": "1", "Day": "2026-11-23", "Country": "JP"})"), "due_by") ==
          R"("2026-11-23T08:00:00+00:00")");
    // `time` and `format` stay constants: a rule there is a compile error saying so.
    CHECK_THAT(compile_error("name: t\nkey: $.Id\nwork_order:\n  type: delivery\n  source_ref: $.Id\n"
                             "  due_by: { path: $.D, time: { path: $.F }, tz: UTC }\n"
                             "  customer: { name: c }\n  address: { text: a }\n"),
               Catch::Contains("`time` must be a constant written in the mapping, not a rule"));
}

TEST_CASE("flatten() joins single values and lists into one list, leaving out empty ones") {
    auto m = work_order_mapping(
        "  related_refs: { expr: 'distinct(flatten($.Po, $.Lines[*].Order, $.Ext))' }\n",
        "empty: [null, \"\", false]\n");
    auto refs = [&](const std::string& doc) { return field_of(map_one(*m, doc), "related_refs"); };
    CHECK(refs(R"({"DocNo": "1", "Po": "PO-1", "Ext": false,
                   "Lines": [{"Order": "SO-1"}, {"Order": "SO-1"}, {"Order": ""}, {"Order": "SO-2"}]})") ==
          R"(["PO-1","SO-1","SO-2"])");
    CHECK(refs(R"({"DocNo": "1", "Lines": []})") == "[]");
}

TEST_CASE("a rule written as a block map is named on one line in errors and map --explain") {
    auto m = work_order_mapping("  due_by:\n    path: $.Day\n    time: \"%Y-%m-%d\"\n    tz: UTC\n");
    auto r = map_one(*m, R"({"DocNo": "1", "Day": "20.11.2026"})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->rule == "{path: $.Day, time: \"%Y-%m-%d\", tz: UTC}");
    CHECK(r.error->message().find('\n') == std::string::npos);
}

// Issue 12's documented promises that had no test of their own.
TEST_CASE("functions work inside filters, with @ the element tested") {
    auto m = work_order_mapping(
        "  notes: { expr: 'join($.Lines[?(upper(@.Unit) == \"PCE\" and @.Qty > 0)].Sku, \",\")' }\n"
        "  related_refs: { expr: '$.Partners[?(starts_with(@.Role, \"W\"))].No' }\n");
    auto r = map_one(*m, R"({"DocNo": "1",
        "Lines": [{"Sku": "A", "Unit": "pce", "Qty": 1}, {"Sku": "B", "Unit": "KG", "Qty": 2},
                  {"Sku": "C", "Unit": "PCE", "Qty": 0}, {"Sku": "D", "Unit": "Pce", "Qty": "3"}],
        "Partners": [{"Role": "AG", "No": "1"}, {"Role": "WE", "No": "2"}]})");
    CHECK(field_of(r, "notes") == R"("A,D")");
    CHECK(field_of(r, "related_refs") == R"(["2"])");
}

TEST_CASE("string literals: the newline, tab, quote and backslash escapes, and YAML's '' inside single quotes") {
    // The YAML line is  notes: { expr: '"a\tb\nc \"q\" \\ \x" + "it''s"' }  (YAML makes '' one ').
    auto m = work_order_mapping(R"(  notes: { expr: '"a\tb\nc \"q\" \\ \x" + "it''s"' }
)");
    auto r = map_one(*m, R"({"DocNo": "1"})");
    CHECK(field_of(r, "notes") == R"("a\tb\nc \"q\" \\ xit's")");
}

TEST_CASE("a fixture's work order compares exactly, in the long form too") {
    auto dir = fs::path(fb::testing::temp_path("fb-fixture-exact"));
    fs::remove_all(dir);
    fs::create_directories(dir / "tests" / "m");
    std::ofstream(dir / "m.yaml")
        << "key: $.DocNo\nwork_order:\n  type: delivery\n  source_ref: $.DocNo\n"
           "  customer: { name: $.Name }\n  address: { text: $.Street }\n  notes: $.Note\n";
    std::ofstream(dir / "tests" / "m" / "cut-short.input.json")
        << R"({"DocNo": "A", "Name": "n", "Street": "s", "Note": "x"})";
    // The long form with a work order cut short (as the README's page shows it) fails.
    std::ofstream(dir / "tests" / "m" / "cut-short.expected.json")
        << R"([{"$result": "mapped", "document_id": "A", "work_order": {"type": "delivery"}}])";
    std::ofstream(dir / "tests" / "m" / "whole.input.json")
        << R"({"DocNo": "B", "Name": "n", "Street": "s", "Note": "x"})";
    std::ofstream(dir / "tests" / "m" / "whole.expected.json")
        << R"([{"$result": "mapped", "document_id": "B", "work_order": {"type": "delivery",
               "source_ref": "B", "customer": {"name": "n"}, "address": {"text": "s"}, "notes": "x"}}])";
    std::ostringstream out;
    CHECK(test_command({(dir / "m.yaml").string()}, out) != 0);
    CHECK_THAT(out.str(), Catch::Contains("work_order.source_ref: not expected, got \"A\""));
    CHECK_THAT(out.str(), Catch::Contains("work_order.notes: not expected, got \"x\""));
    CHECK_THAT(out.str(), Catch::EndsWith("1 passed, 1 failed\n"));
    fs::remove_all(dir);
}

TEST_CASE("a width or index read from a hostile document is bounded, never a crash") {
    auto m = work_order_mapping("  notes: { expr: 'pad_left($.X, $.N, \"0\")' }\n");
    auto pad = [&](const std::string& n) {
        return field_of(map_one(*m, R"({"DocNo": "1", "X": "7", "N": )" + n + "}"), "notes");
    };
    CHECK(pad("3") == R"("007")");
    // A trillion characters would exhaust memory; a width past int64 was undefined behaviour.
    CHECK_THAT(pad("1000000000000"), Catch::Contains("expected a width of at most 65536 as argument 2 of pad_left()"));
    CHECK_THAT(pad("99999999999999999999"), Catch::Contains("expected an integer as argument 2 of pad_left()"));
    CHECK_THAT(pad("1e300"), Catch::Contains("expected an integer as argument 2 of pad_left()"));
    auto sub = work_order_mapping("  notes: { expr: 'substr($.X, $.N, 2)' }\n");
    CHECK_THAT(field_of(map_one(*sub, R"({"DocNo": "1", "X": "abc", "N": 1e19})"), "notes"),
               Catch::Contains("expected an integer as argument 2 of substr()"));
    CHECK(field_of(map_one(*sub, R"({"DocNo": "1", "X": "abc", "N": 123456789012})"), "notes") == "nothing");
}

TEST_CASE("substr with the largest integers reads the text's end, without overflow") {
    auto sub = work_order_mapping("  notes: { expr: 'substr($.X, $.S, $.N)' }\n");
    CHECK(field_of(map_one(*sub, R"({"DocNo": "1", "X": "abc", "S": 1, "N": 9223372036854775807})"),
                   "notes") == R"("bc")");
    CHECK(field_of(map_one(*sub, R"({"DocNo": "1", "X": "abc", "S": 9223372036854775807,
                                     "N": 9223372036854775807})"), "notes") == "nothing");
}

TEST_CASE("string literals: the escape for a carriage return, so CRLF line ends can be replaced") {
    auto m = work_order_mapping(R"(  notes: { expr: 'replace($.Remark, "\r\n", " / ")' }
)");
    auto r = map_one(*m, R"({"DocNo": "1", "Remark": "erste Zeile\r\nzweite Zeile"})");
    CHECK(field_of(r, "notes") == R"("erste Zeile / zweite Zeile")");
}
