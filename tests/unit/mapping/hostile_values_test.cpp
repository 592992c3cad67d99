// Values a document or a mapping may carry that once crashed the daemon, built texts past their
// bound or took quadratic time: each has a defined result or a clear error.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace json = boost::json;

namespace {

// The value `expr` makes from `doc`, as JSON ("nothing" when left out, "failed: …" on an error).
std::string value_of(const std::string& expr, const std::string& doc) {
    auto m = work_order_mapping("  attributes: { x: { expr: '" + expr + "' } }\n");
    auto r = map_one(*m, doc);
    if (r.kind == MapResult::Kind::failed) return "failed: " + r.error->message();
    const auto& attributes = r.work_order.at("attributes").as_object();
    auto it = attributes.find("x");
    return it == attributes.end() ? "nothing" : json::serialize(it->value());
}

}  // namespace

TEST_CASE("the smallest integer with % -1, / -1, unary minus and abs() has a defined value") {
    const std::string doc =
        R"({"DocNo": "1", "Qty": "-9223372036854775808", "PackSize": "-1", "N": -9223372036854775808})";
    // INT64_MIN % -1 raised SIGFPE and killed the daemon.
    CHECK(value_of("$.Qty % $.PackSize", doc) == "0");
    CHECK(value_of("$.N % -1", doc) == "0");
    CHECK(value_of("7 % -1", doc) == "0");
    CHECK(value_of("-7 % 3", doc) == "-1");
    // No int64 holds 2^63: these become reals, as + - * do on overflow.
    CHECK(value_of("$.Qty / $.PackSize", doc) == "9.223372036854776E18");
    CHECK(value_of("-$.N", doc) == "9.223372036854776E18");
    CHECK(value_of("abs($.N)", doc) == "9.223372036854776E18");
    CHECK(value_of("abs($.Qty)", doc) == "9.223372036854776E18");
    CHECK(value_of("abs(-5)", doc) == "5");
    CHECK(value_of("-$.PackSize", doc) == "1");
}
