// The compiled work-order check agrees with the validator (valijson) it stands in front of.
#include "mapping/schema_check.h"

#include <catch2/catch.hpp>

#include "helpers.h"
#include "schema/validator.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace json = boost::json;

TEST_CASE("the compiled schema check agrees with the validator on good and broken work orders") {
    const SchemaCheck* fast = work_order_check();
    REQUIRE(fast);
    auto good = json::parse(read_text(
        repo("mappings/generic-rest/tests/shipment-to-delivery/CK20261120-0042.expected.json")));
    CHECK(fast->valid(good));
    CHECK(fb::schema::Validator::work_order().check(good).empty());

    auto broken = [&](auto&& change) {
        json::value v = good;
        change(v.as_object());
        return v;
    };
    std::vector<json::value> cases = {
        broken([](json::object& o) { o["customer"].as_object()["phone"] = "13910228834"; }),
        broken([](json::object& o) { o["customer"].as_object()["phone"] = "+0123456789"; }),
        broken([](json::object& o) { o["address"].as_object()["country"] = "cn"; }),
        broken([](json::object& o) { o["priority"] = "asap"; }),
        broken([](json::object& o) { o["items"].as_array()[0].as_object()["quantity"] = 0; }),
        broken([](json::object& o) { o["items"].as_array()[0].as_object()["quantity"] = "1"; }),
        broken([](json::object& o) { o["surprise"] = 1; }),
        broken([](json::object& o) { o.erase("address"); }),
        broken([](json::object& o) { o["customer"].as_object()["name"] = ""; }),
        broken([](json::object& o) { o["window"].as_object()["start"] = "2026-11-22 09:30"; }),
        // Read as times by the mapping's lenient parser, but not RFC 3339 date-times.
        broken([](json::object& o) { o["window"].as_object()["start"] = "2026-11-22T24:00:00+08:00"; }),
        broken([](json::object& o) { o["window"].as_object()["start"] = "2026-11-22T09:30+08:00"; }),
        broken([](json::object& o) { o["window"].as_object()["start"] = "2026-02-30T09:30:00Z"; }),
        broken([](json::object& o) { o["attributes"].as_object()["nested"] = json::object{}; }),
        broken([](json::object& o) { o["address"].as_object()["lat"] = 91; }),
        broken([](json::object& o) { o["items"].as_array()[0].as_object()["minutes"] = 1.5; }),
    };
    for (std::size_t i = 0; i < cases.size(); ++i) {
        INFO("case " << i << ": " << json::serialize(cases[i]));
        CHECK(!fast->valid(cases[i]));
        CHECK(!fb::schema::Validator::work_order().check(cases[i]).empty());
    }
}
