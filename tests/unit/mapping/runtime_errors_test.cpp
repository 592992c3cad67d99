// A document that cannot be mapped is one `failed` result naming document, field, rule, path,
// expected and found — never a throw, never a half-made work order.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace json = boost::json;

namespace {

std::shared_ptr<const Mapping> shipments() {
    return Mapping::load(repo("mappings/generic-rest/shipment-to-delivery.yaml"));
}

}  // namespace

TEST_CASE("a document without its key fails naming the key's path") {
    auto results = shipments()->map(sample("bad-input/missing-key.json"));
    REQUIRE(results.size() == 1);
    const auto& r = results[0];
    REQUIRE(r.kind == MapResult::Kind::failed);
    REQUIRE(r.error);
    CHECK(r.error->document_id.empty());
    CHECK(r.error->field == "key");
    CHECK(r.error->path == "$.DocNo");
    CHECK(r.error->expected == "the document id");
    CHECK(r.error->found == "nothing");
    CHECK_THAT(r.error->message(), Catch::Contains("DocNo"));
    CHECK(r.work_order.empty());
    CHECK(r.document.is_object());
}

TEST_CASE("a phone number that is not one fails naming the field and the input") {
    auto results = shipments()->map(sample("bad-input/wrong-types.json"));
    REQUIRE(results.size() == 1);
    const auto& e = *results[0].error;
    CHECK(results[0].kind == MapResult::Kind::failed);
    CHECK(e.document_id == "CK20261120-0099");
    CHECK(e.field == "customer.phone");
    CHECK(e.rule == "{path: $.Customer.Mobile, phone: CN}");
    CHECK(e.path == "$.Customer.Mobile");
    CHECK(e.expected == "a phone number (region CN)");
    CHECK(e.found == "\"not a phone\"");
    CHECK(results[0].work_order.empty());
}

TEST_CASE("a word where a number must be fails with the item's index in field and path") {
    auto m = work_order_mapping(
        "  items:\n    each: $.Lines[*]\n    fields:\n      sku: $.ItemCode\n"
        "      quantity: { path: $.Qty, as: number }\n");
    auto r = map_one(
        *m, R"({"DocNo": "D1", "Lines": [{"ItemCode": "A", "Qty": 1}, {"ItemCode": "B", "Qty": 2},
                             {"ItemCode": "C", "Qty": "two"}]})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->document_id == "D1");
    CHECK(r.error->field == "items[2].quantity");
    CHECK(r.error->rule == "{path: $.Qty, as: number}");
    CHECK(r.error->path == "$.Lines[2].Qty");
    CHECK(r.error->expected == "a number");
    CHECK(r.error->found == "\"two\"");
    CHECK(r.error->message() ==
          "document D1, field items[2].quantity, rule `{path: $.Qty, as: number}`, input "
          "$.Lines[2].Qty: expected a number, found \"two\"");
}

TEST_CASE("a date that is not one fails naming the format") {
    auto m = work_order_mapping(
        "  due_by: { path: $.DeliverDate, time: \"%Y-%m-%d %H:%M\", tz: Asia/Shanghai }\n");
    auto r = map_one(*m, R"({"DocNo": "D1", "DeliverDate": "next tuesday"})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->field == "due_by");
    CHECK(r.error->path == "$.DeliverDate");
    CHECK(r.error->expected == "a date/time in the rule's format");
    CHECK(r.error->found == "\"next tuesday\"");
    CHECK(map_one(*m, R"({"DocNo": "D1", "DeliverDate": "2026-02-30 09:00"})").kind ==
          MapResult::Kind::failed);
}

TEST_CASE("a missing required field fails, a missing optional one is left out") {
    auto m = work_order_mapping("  notes: { path: $.Remark, required: true }\n  due_by: $.Due\n");
    auto r = map_one(*m, R"({"DocNo": "D1"})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->field == "notes");
    CHECK(r.error->expected == "a value (the field is required)");
    CHECK(r.error->found == "nothing");
    auto ok = map_one(*m, R"({"DocNo": "D1", "Remark": "x"})");
    REQUIRE(ok.kind == MapResult::Kind::mapped);
    CHECK(!ok.work_order.contains("due_by"));
}

TEST_CASE("a field the schema requires fails when the document lacks it") {
    auto m = work_order_mapping("  customer: { name: $.Customer.Name }\n");
    auto r = map_one(*m, R"({"DocNo": "D1", "Customer": {"Name": ""}})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->field == "customer.name");
    CHECK(r.error->found == "\"\"");
}

TEST_CASE("a value outside a required lookup fails listing what it knows") {
    auto m = work_order_mapping(
        "  priority: { path: $.Level, lookup: { VIP: high, STD: normal }, required: true }\n");
    auto r = map_one(*m, R"({"DocNo": "D1", "Level": "GOLD"})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->expected == "one of VIP, STD");
    CHECK(r.error->found == "\"GOLD\"");
}

TEST_CASE("a work order that breaks the schema fails with the schema's reason") {
    auto m = work_order_mapping("  priority: $.Level\n");
    auto r = map_one(*m, R"({"DocNo": "D1", "Level": "sky-high"})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->rule == "schema");
    CHECK(r.error->field == "priority");
    CHECK(r.work_order.empty());
}

TEST_CASE("an expression on the wrong type fails naming the path") {
    auto m = work_order_mapping("  requires_installation: { expr: '$.Count > 3' }\n");
    auto r = map_one(*m, R"({"DocNo": "D1", "Count": "many"})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->path == "$.Count");
    CHECK(r.error->expected == "a number");
}

// Found after fuzz_json's infinity: arithmetic can overflow too, and JSON cannot carry the result.
TEST_CASE("an expression whose result is beyond the range of a number fails naming the field") {
    auto m = work_order_mapping("  attributes: { total: { expr: '$.Qty * $.Price' } }\n");
    auto r = map_one(*m, R"({"DocNo": "D1", "Qty": 1e200, "Price": 1e200})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->field == "attributes.total");
    CHECK(r.error->expected == "a number within ±1.8e308");
    auto fine = map_one(*m, R"({"DocNo": "D1", "Qty": 1e100, "Price": 1e100})");
    CHECK(fine.kind == MapResult::Kind::mapped);
}

TEST_CASE("a failing `where` names the item") {
    auto m = work_order_mapping(
        "  items:\n    each: $.Lines[*]\n    where: $.Qty > 0\n    fields: { sku: $.S, quantity: "
        "$.Qty }\n");
    auto r = map_one(*m, R"({"DocNo": "D1", "Lines": [{"S": "A", "Qty": "zero"}]})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->field == "items[0]");
    CHECK(r.error->rule == "where: $.Qty > 0");
    CHECK(r.error->path == "$.Lines[0].Qty");
}

TEST_CASE("a bad document among good ones fails alone") {
    auto m = Mapping::load(repo("mappings/sap-s4/outbound-delivery-to-delivery.yaml"));
    auto page = sample("sap-s4-odata/A_OutbDeliveryHeader-page1.json");
    auto& results = page.at("d").at("results").as_array();
    json::value broken = results[0];
    broken.as_object()["DeliveryDocument"] = "80004799";
    broken.as_object()["DeliveryDate"] = "/Date(yesterday)/";
    results.push_back(broken);
    auto out = m->map(page);
    REQUIRE(out.size() == 2);
    CHECK(out[0].kind == MapResult::Kind::mapped);
    CHECK(out[1].kind == MapResult::Kind::failed);
    CHECK(out[1].error->document_id == "80004799");
    CHECK(out[1].error->field == "window.start");
    CHECK_THAT(out[1].error->expected, Catch::Contains("SAP date"));
}

TEST_CASE("input of the wrong shape is a failed result, not a throw") {
    auto m = Mapping::load(repo("mappings/kingdee/sal-outstock-to-delivery.yaml"));
    auto out = m->map(json::parse(R"({"response": [["only", "three", "values"]]})"));
    REQUIRE(out.size() == 1);
    CHECK(out[0].kind == MapResult::Kind::failed);
    CHECK(out[0].error->expected == "a row of 13 values");
    auto g = shipments()->map(json::parse("[1, \"x\", null]"));
    CHECK(g.size() == 3);
    for (const auto& r : g) CHECK(r.kind == MapResult::Kind::failed);
}

TEST_CASE("an input without the documents' list fails, an empty page maps to nothing") {
    auto m = Mapping::load(repo("mappings/sap-s4/outbound-delivery-to-delivery.yaml"));
    auto missing = m->map(json::parse(R"({"error": {"code": "/IWBEP/CM_MGW_RT/020"}})"));
    REQUIRE(missing.size() == 1);
    CHECK(missing[0].kind == MapResult::Kind::failed);
    CHECK(missing[0].error->path == "$.d.results");
    CHECK(m->map(json::parse(R"({"d": {"results": []}})")).empty());
}

TEST_CASE("a required object left empty fails the schema check") {
    auto m =
        work_order_mapping("  customer: { name: { path: $.Name, when: '$.Show == \"Y\"' } }\n");
    CHECK(map_one(*m, R"({"DocNo": "D", "Name": "n", "Show": "Y"})").kind ==
          MapResult::Kind::mapped);
    auto r = map_one(*m, R"({"DocNo": "D", "Name": "n", "Show": "N"})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->rule == "schema");
}

TEST_CASE("a pattern the schema demands is checked on mapped values and on constants") {
    auto m = work_order_mapping("  address: { text: t, country: $.Country }\n");
    CHECK(map_one(*m, R"({"DocNo": "D", "Country": "CN"})").kind == MapResult::Kind::mapped);
    auto r = map_one(*m, R"({"DocNo": "D", "Country": "China"})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->field == "address.country");
    CHECK_THROWS_WITH(work_order_mapping("  address: { text: t, country: China }\n"),
                      Catch::Contains("`China` does not fit work_order.address.country"));
}

TEST_CASE("a huge string copied into a date-time field fails naming the field, not a stack overflow") {
    // The schema's explanation (valijson) checks date-time with a std::regex that recurses per
    // character: 200,000 characters copied into due_by crashed the daemon.
    auto m = work_order_mapping("  due_by: $.Due\n");
    json::object doc{{"DocNo", "D-1"}, {"Due", std::string(200'000, '1')}, {"Customer", {{"Name", "x"}}}};
    auto results = m->map(doc);
    REQUIRE(results.size() == 1);
    CHECK(results[0].kind == MapResult::Kind::failed);
    REQUIRE(results[0].error);
    CHECK(results[0].error->field == "due_by");
    CHECK(results[0].error->message().find("no date or time is over 64") != std::string::npos);
    // A real date-time still passes.
    auto ok = m->map(json::object{{"DocNo", "D-2"}, {"Due", "2026-11-22T09:58:30+08:00"}, {"Customer", {{"Name", "x"}}}});
    REQUIRE(ok.size() == 1);
    CHECK(ok[0].kind == MapResult::Kind::mapped);
}
