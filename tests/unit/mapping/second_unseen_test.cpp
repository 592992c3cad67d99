// What mapping two more unseen XML documents (openTRANS 2.1 DISPATCHNOTIFICATION, cXML
// ShipNoticeRequest) from the docs alone showed missing: namespaces by URI, a DOCTYPE line, a list
// path into a list field, and a template whose every part is empty.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>

#include "decode/decode.h"
#include "helpers.h"
#include "mapping/fixtures.h"
#include "support/temp_folder.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace json = boost::json;

namespace {

std::vector<MapResult> map_file(const Mapping& m, const std::string& path) {
    std::string error;
    auto docs = read_documents(path, m, "", "", error);
    INFO(error);
    REQUIRE(error.empty());
    REQUIRE(docs.size() == 1);
    return m.map(docs[0]);
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
}

std::shared_ptr<const Mapping> small_mapping(const std::string& fields) {
    return Mapping::compile("name: t\nkey: $.id\nwork_order:\n  type: delivery\n  source_ref: $.id\n"
                            "  customer: { name: c }\n  address: { text: a }\n" + fields,
                            "t.yaml");
}

}  // namespace

TEST_CASE("the openTRANS 2.1 sample maps by namespace URI, and any prefixes give the same order",
          "[mapping][namespaces][opentrans]") {
    auto m = Mapping::load(repo("mappings/opentrans/dispatchnotification-to-delivery.yaml"));
    auto sample_path = repo("tests/fixtures/samples/opentrans/DISPATCHNOTIFICATION-LA-2026-1187.xml");
    auto results = map_file(*m, sample_path);
    REQUIRE(results.size() == 1);
    const auto& r = results[0];
    INFO((r.error ? r.error->message() : ""));
    REQUIRE(r.kind == MapResult::Kind::mapped);
    CHECK(r.document_id == "LA-2026-1187");
    CHECK(r.version == "2026-11-24T09:00:00+01:00");
    const auto& wo = r.work_order;
    // The ship-to is the party DELIVERY_IDREF names (a bmecat:PARTY_ID), not the supplier.
    CHECK(wo.at("customer").at("code") == "K-20417");
    CHECK(wo.at("customer").at("name") == "Bäckerei Lindner Filiale Altona");
    CHECK(wo.at("address").at("postal_code") == "22767");
    CHECK(wo.at("items").as_array().size() == 2);
    CHECK(wo.at("items").at(1).at("sku") == "KT-BLECH-60");
    CHECK(wo.at("related_refs") == json::array{"BE-88231"});

    // Another sender: openTRANS as `x:`, BMEcat as the default namespace of the whole document.
    std::string text = std::regex_replace(read_text(sample_path),
                                          std::regex("<(/?)([A-Z][A-Z0-9_.]*)([\\s>/])"), "<$1x:$2$3");
    text = std::regex_replace(text, std::regex("<(/?)bmecat:"), "<$1");
    replace_all(text, "xmlns=\"http://www.opentrans.org/XMLSchema/2.1\"",
                "xmlns:x=\"http://www.opentrans.org/XMLSchema/2.1\"");
    replace_all(text, "xmlns:bmecat=", "xmlns=");
    REQUIRE(text.find("<x:PARTY>") != std::string::npos);
    REQUIRE(text.find("<PARTY_ID type") != std::string::npos);
    auto other_path = fb::testing::temp_path("opentrans-x.xml");
    std::ofstream(other_path) << text;
    auto other = map_file(*m, other_path);
    REQUIRE(other.size() == 1);
    INFO(text.substr(0, 600));
    INFO((other[0].error ? other[0].error->message() : ""));
    REQUIRE(other[0].kind == MapResult::Kind::mapped);
    CHECK(other[0].work_order == wo);
}

TEST_CASE("a cXML ShipNoticeRequest with its DOCTYPE maps, operation=\"delete\" cancels",
          "[mapping][cxml]") {
    auto m = Mapping::load(repo("mappings/cxml/ship-notice-to-delivery.yaml"));
    auto dir = repo("mappings/cxml/tests/ship-notice-to-delivery/");
    auto live = map_file(*m, dir + "SN-2026-40112.input.xml");
    REQUIRE(live.size() == 1);
    INFO((live[0].error ? live[0].error->message() : ""));
    REQUIRE(live[0].kind == MapResult::Kind::mapped);
    CHECK(live[0].work_order.at("customer").at("phone") == "+14155550188");
    // Two order portions: every item, lines numbered as the notice numbers them.
    const auto& items = live[0].work_order.at("items").as_array();
    REQUIRE(items.size() == 3);
    CHECK(items[2].at("line") == 3);
    CHECK(items[2].at("sku") == "RACK-16");
    auto deleted = map_file(*m, dir + "SN-2026-40112-deleted.input.xml");
    REQUIRE(deleted.size() == 1);
    CHECK(deleted[0].kind == MapResult::Kind::cancelled);
    CHECK(deleted[0].version == "2026-11-25T07:30:00-08:00");
}

TEST_CASE("a list path into a list field keeps every match, into one value, its first",
          "[mapping][lists]") {
    auto m = small_mapping("  related_refs: \"$.l[*].o\"\n  notes: \"$.l[*].o\"\n");
    auto two = map_one(*m, R"({"id": "1", "l": [{"o": "a"}, {"o": "b"}]})");
    INFO((two.error ? two.error->message() : ""));
    REQUIRE(two.kind == MapResult::Kind::mapped);
    CHECK(two.work_order.at("related_refs") == json::array{"a", "b"});
    CHECK(two.work_order.at("notes") == "a");
    // A lone XML element is a list of one; none is an empty list, as flatten() gives.
    auto one = map_one(*m, R"({"id": "1", "l": {"o": "a"}})");
    REQUIRE(one.kind == MapResult::Kind::mapped);
    CHECK(one.work_order.at("related_refs") == json::array{"a"});
    auto none = map_one(*m, R"({"id": "1", "l": []})");
    REQUIRE(none.kind == MapResult::Kind::mapped);
    CHECK(none.work_order.at("related_refs") == json::array{});
}

TEST_CASE("a template whose every part is empty is no value, one filled part keeps the text",
          "[mapping][template]") {
    auto m = small_mapping("  notes: { template: \"+{{$.cc}} {{$.number}}\", default: none }\n");
    auto empty = map_one(*m, R"({"id": "1"})");
    INFO((empty.error ? empty.error->message() : ""));
    REQUIRE(empty.kind == MapResult::Kind::mapped);
    CHECK(empty.work_order.at("notes") == "none");
    auto half = map_one(*m, R"({"id": "1", "number": "4155550188"})");
    REQUIRE(half.kind == MapResult::Kind::mapped);
    CHECK(half.work_order.at("notes") == "+ 4155550188");
    // cXML's phone parts: no phone at all is no phone, not a phone number "+  " that fails.
    auto phone = Mapping::compile(
        "name: t\nkey: $.id\nwork_order:\n  type: delivery\n  source_ref: $.id\n"
        "  customer: { name: c, phone: { template: \"+{{$.cc}} {{$.number}}\", phone: US } }\n"
        "  address: { text: a }\n",
        "t.yaml");
    auto without = map_one(*phone, R"({"id": "1"})");
    INFO((without.error ? without.error->message() : ""));
    REQUIRE(without.kind == MapResult::Kind::mapped);
    CHECK_FALSE(without.work_order.at("customer").as_object().contains("phone"));
    auto full = map_one(*phone, R"({"id": "1", "cc": "1", "number": "4155550188"})");
    REQUIRE(full.kind == MapResult::Kind::mapped);
    CHECK(full.work_order.at("customer").at("phone") == "+14155550188");
}

TEST_CASE("a request sends a literal null as JSON null, a work order still has no null",
          "[mapping][request][null]") {
    auto m = Mapping::compile(
        "name: clear\nrequest:\n  method: PATCH\n  url: /api/shipments/1\n"
        "  headers: { X-Empty: null, X-Id: $.work_order.id }\n"
        "  body:\n    carrier: null\n    tracking: ~\n    domain: [write_date, \"=\", null]\n"
        "    note: { value: null, when: $.event.clear }\n    absent: $.event.nothing\n",
        "clear.yaml");
    json::object context{{"event", json::object{{"clear", true}}},
                         {"work_order", json::object{{"id", "wo-1"}}}};
    auto r = m->map_request(context);
    INFO((r.error ? r.error->message() : ""));
    REQUIRE(r.kind == MapResult::Kind::mapped);
    CHECK(json::serialize(r.body) ==
          R"({"carrier":null,"tracking":null,"domain":["write_date","=",null],"note":null})");
    REQUIRE(r.headers.size() == 1);  // a null header is not sent
    CHECK(r.headers[0].first == "X-Id");
    context["event"].as_object()["clear"] = false;
    auto kept = m->map_request(context);
    REQUIRE(kept.kind == MapResult::Kind::mapped);
    CHECK_FALSE(kept.body.as_object().contains("note"));
    // An empty value is still a mistake, with the hint; in a work order null stays "no value".
    try {
        Mapping::compile("name: c\nrequest:\n  method: POST\n  url: /x\n  body:\n    a:\n    b: 1\n",
                         "c.yaml");
        FAIL("compiled");
    } catch (const CompileError& e) {
        CHECK(std::string(e.what()).find("has no rule (an empty value); to send JSON null write `null`") !=
              std::string::npos);
    }
    try {
        small_mapping("  notes: { value: null, default: none }\n");
        FAIL("compiled");
    } catch (const CompileError& e) {
        CHECK(std::string(e.what()) ==
              "t.yaml:8:10: `null` does not fit work_order.notes in the work-order schema");
    }
    // A null read from the document is no value in a request too: left out, not sent.
    CHECK_FALSE(r.body.as_object().contains("absent"));
}
