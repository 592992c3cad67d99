// The example mappings in mappings/ on the ERP samples.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace json = boost::json;

TEST_CASE("the generic shipment maps to a delivery work order") {
    auto m = Mapping::load(repo("mappings/generic-rest/shipment-to-delivery.yaml"));
    auto results = m->map(sample("generic-rest/shipment-CK20261120-0042.json"));
    REQUIRE(results.size() == 1);
    const auto& r = results[0];
    INFO((r.error ? r.error->message() : json::serialize(r.work_order)));
    REQUIRE(r.kind == MapResult::Kind::mapped);
    CHECK(r.document_id == "CK20261120-0042");
    CHECK(r.version == "2026-11-20T16:41:07+08:00");
    const auto& wo = r.work_order;
    CHECK(wo.at("type") == "delivery");
    CHECK(wo.at("source_ref") == "CK20261120-0042");
    CHECK(wo.at("priority") == "high");
    CHECK(wo.at("customer").at("name") == "李女士");
    CHECK(wo.at("customer").at("code") == "C0098812");
    CHECK(wo.at("customer").at("phone") == "+8613910228834");
    CHECK(wo.at("address").at("text") == "北京市北京市朝阳区望京西路48号院 3号楼 1502");
    CHECK(wo.at("address").at("country") == "CN");
    CHECK(wo.at("window").at("start") == "2026-11-22T09:30:00+08:00");
    CHECK(wo.at("window").at("end") == "2026-11-22T12:30:00+08:00");
    CHECK(wo.at("requires_installation") == true);
    CHECK(wo.at("items").as_array().size() == 3);
    CHECK(wo.at("items").at(2).at("quantity") == 2);
    CHECK(wo.at("items").at(0).at("requires_installation") == true);
    CHECK(wo.at("attributes").at("salesman") == "王磊");
}
