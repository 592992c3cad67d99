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

namespace {

std::string compile_error_of(const std::string& expr) {
    try {
        work_order_mapping("  attributes: { x: { expr: '" + expr + "' } }\n");
    } catch (const CompileError& e) {
        return e.what();
    }
    return "compiled";
}

std::string repeated(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

TEST_CASE("an expression nested too deep is a compile error at its line, not a stack overflow") {
    // Each of these overflowed the stack (rc 139) in check, test and at daemon start.
    const std::string deep[] = {
        repeated("(", 10000) + "1" + repeated(")", 10000),
        "1" + repeated(" + 1", 100000),
        "true" + repeated(" and true", 100000),
        repeated("- ", 100000) + "1",
        repeated("not ", 100000) + "true",
        repeated("[", 10000) + repeated("]", 10000),
        repeated("abs(", 10000) + "1" + repeated(")", 10000),
        "count($.a" + repeated("[*]", 100000) + ")",
        "count($.a" + repeated("[?(@.b", 5000) + repeated(")]", 5000) + ")",
    };
    for (const auto& expr : deep) {
        auto error = compile_error_of(expr);
        INFO(error.substr(0, 200));
        CHECK_THAT(error, Catch::StartsWith("m.yaml:4:"));
        CHECK_THAT(error, Catch::Contains("nests more than 200 levels deep"));
        CHECK(error.size() < 1000);  // the text is quoted by its start only
    }
    // Just inside the bound still compiles and evaluates.
    CHECK(value_of(repeated("(", 150) + "1" + repeated(")", 150), R"({"DocNo": "1"})") == "1");
    CHECK(value_of("0" + repeated(" + 1", 150), R"({"DocNo": "1"})") == "150");
}
