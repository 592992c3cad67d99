// Every mistake in a mapping is a CompileError naming file, line and column, with a suggestion
// where one is obvious.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;

namespace {

std::string compile_error_of(const std::string& text) {
    try {
        Mapping::compile(text, "m.yaml");
    } catch (const CompileError& e) {
        return e.what();
    }
    return "no error";
}

std::string field_error(const std::string& field_lines, const std::string& top = "") {
    try {
        work_order_mapping(field_lines, top);
    } catch (const CompileError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("an unknown top-level key is named with its line and a suggestion") {
    auto e = compile_error_of("name: x\nkey: $.DocNo\nwhen: true\nwork_ordr:\n  type: delivery\n");
    CHECK_THAT(
        e, Catch::StartsWith("m.yaml:4:1: unknown key `work_ordr` (did you mean `work_order`?)"));
}

TEST_CASE("a misspelt rule key suggests the right one") {
    auto e = field_error("  notes: { path: $.Remark, defualt: none }\n");
    CHECK_THAT(e, Catch::StartsWith(
                      "m.yaml:4:28: unknown key `defualt` in a rule (did you mean `default`?)"));
}

TEST_CASE("a rule without a value key, where the schema wants a string, is caught") {
    auto e = compile_error_of("name: broken\nkey: $.DocNo\nwork_order:\n  type: { pth: $.X }\n");
    CHECK_THAT(e, Catch::StartsWith("m.yaml:4:11: `pth` is not a rule key (did you mean `path`?)"));
}

TEST_CASE("an output field the work-order schema does not know is an error") {
    auto e = field_error("  custmer_name: $.Customer.Name\n");
    CHECK_THAT(e, Catch::Contains("m.yaml:4:3: unknown field `custmer_name` in work_order"));
    auto f = field_error("  customer: { name: $.N, phnoe: $.P }\n");
    CHECK_THAT(
        f, Catch::Contains("unknown field `phnoe` in work_order.customer (did you mean `phone`?)"));
}

TEST_CASE("a constant outside the schema's enum is an error with a suggestion") {
    auto e = field_error("  type: delivry\n");
    CHECK_THAT(e, Catch::Contains("m.yaml:4:9: `delivry` is not a valid work_order.type"));
    CHECK_THAT(e, Catch::Contains("(did you mean `delivery`?)"));
}

TEST_CASE("a field the schema requires must be mapped") {
    auto e = compile_error_of(
        "key: $.DocNo\nwork_order:\n  type: delivery\n  source_ref: $.DocNo\n"
        "  customer: { code: $.C }\n  address: { text: $.A }\n");
    CHECK_THAT(e, Catch::Contains("m.yaml:5:13: work_order.customer needs `name`"));
}

TEST_CASE("a malformed path is an error at its column") {
    auto e = field_error("  notes: $.Lines[?(@.Qty > 0]\n");
    CHECK_THAT(e, Catch::StartsWith("m.yaml:4:"));
    CHECK_THAT(e, Catch::Contains("expected `)`"));
    auto f = field_error("  notes: $.Lines[abc]\n");
    CHECK_THAT(f, Catch::Contains("m.yaml:4:18: expected an index"));
}

TEST_CASE("a malformed expression is an error at its column") {
    auto e = field_error("  notes: { expr: '$.A ++ ' }\n");
    CHECK_THAT(e, Catch::StartsWith("m.yaml:4:"));
    auto f = field_error("  requires_installation: { expr: '$.A = \"Y\"' }\n");
    CHECK_THAT(f, Catch::Contains("`=` compares nothing: write `==`"));
    auto g = field_error("  notes: { expr: 'upper(Remark)' }\n");
    CHECK_THAT(g, Catch::Contains(
                      "unknown name `Remark` (a path starts with `$.`: did you mean `$.Remark`?)"));
}

TEST_CASE("an unknown function suggests a known one") {
    auto e = field_error("  notes: { expr: 'uper($.Remark)' }\n");
    CHECK_THAT(e,
               Catch::StartsWith("m.yaml:4:19: unknown function `uper` (did you mean `upper`?)"));
}

TEST_CASE("a function with the wrong number or type of arguments is an error") {
    CHECK_THAT(field_error("  notes: { expr: 'substr($.Remark)' }\n"),
               Catch::Contains("substr() takes 2 to 3 arguments, not 1"));
    CHECK_THAT(field_error("  notes: { expr: 'upper(42)' }\n"),
               Catch::Contains("upper() takes a string as argument 1, not a number"));
    CHECK_THAT(field_error("  notes: { expr: 'sum($.Lines[*].Qty) * \"x\"' }\n"),
               Catch::Contains("m.yaml:4:41: arithmetic needs numbers"));
}

TEST_CASE("a lookup without a fallback is an error unless the field is required") {
    auto e = field_error("  priority: { path: $.Level, lookup: { VIP: high } }\n");
    CHECK_THAT(e, Catch::Contains("m.yaml:4:38: a lookup needs `fallback:`"));
    CHECK_NOTHROW(work_order_mapping(
        "  priority: { path: $.Level, lookup: { VIP: high }, required: true }\n"));
    CHECK_NOTHROW(work_order_mapping(
        "  priority: { path: $.Level, lookup: { VIP: high }, fallback: normal }\n"));
}

TEST_CASE("a lookup value outside the schema's enum is an error") {
    auto e =
        field_error("  priority: { path: $.Level, lookup: { VIP: hihg }, fallback: normal }\n");
    CHECK_THAT(e, Catch::Contains("`hihg` is not a valid work_order.priority"));
    CHECK_THAT(e, Catch::Contains("did you mean `high`?"));
}

TEST_CASE("a lookup table name must exist") {
    auto e = field_error("  priority: { path: $.Level, lookup: prioritys, fallback: normal }\n",
                         "lookups:\n  priorities: { VIP: high }\n");
    CHECK_THAT(
        e, Catch::Contains(
               "no lookup table named `prioritys` under `lookups:` (did you mean `priorities`?)"));
}

TEST_CASE("a bad time format, zone or phone region is an error") {
    CHECK_THAT(field_error("  due_by: { path: $.D, time: \"%Y-%m-%d %Q\", tz: Asia/Shanghai }\n"),
               Catch::Contains("bad time format: `%Q` is not supported"));
    CHECK_THAT(field_error("  due_by: { path: $.D, time: \"%Y-%m-%d\", tz: Asia/Shangai }\n"),
               Catch::Contains("unknown time zone `Asia/Shangai` (did you mean `Asia/Shanghai`?)"));
    CHECK_THAT(field_error("  due_by: { path: $.D, time: \"%Y-%m-%d %H:%M\" }\n"),
               Catch::Contains("the format has no %z, so the rule needs `tz:`"));
    CHECK_THAT(field_error("  due_by: { path: $.D, time: yyyy-mm-dd, tz: UTC }\n"),
               Catch::Contains("`time` is a pattern"));
    CHECK_THAT(field_error("  customer: { name: $.N, phone: { path: $.P, phone: XX } }\n"),
               Catch::Contains("`XX` is not a phone region"));
}

TEST_CASE("a wrong `as` type suggests the right one") {
    CHECK_THAT(field_error("  items: { each: \"$.Lines[*]\", fields: { sku: $.S, quantity: { path: "
                           "$.Q, as: numbr } } }\n"),
               Catch::Contains("`as` is one of string, number, integer, boolean, not `numbr` (did "
                               "you mean `number`?)"));
}

TEST_CASE("each needs a list path and item rules") {
    CHECK_THAT(field_error("  items: { each: $.Lines, fields: { sku: $.S, quantity: 1 } }\n"),
               Catch::Contains("`each` needs a path that yields a list, such as `$.Lines[*]`"));
    CHECK_THAT(field_error("  items: { each: \"$.Lines[*]\" }\n"),
               Catch::Contains("`each` needs `fields`"));
    CHECK_THAT(field_error("  notes: { path: $.A, where: $.B }\n"),
               Catch::Contains("`where` belongs with `each`"));
}

TEST_CASE("two value keys in one rule are an error") {
    CHECK_THAT(field_error("  notes: { path: $.A, expr: '$.B' }\n"),
               Catch::Contains("a rule takes one of `path` and `expr`, not both"));
}

TEST_CASE("a mapping needs a key and an output, and not the work order's id") {
    CHECK_THAT(compile_error_of("name: x\nwork_order: { type: delivery }\n"),
               Catch::Contains("needs `key:`"));
    CHECK_THAT(compile_error_of("name: x\nkey: $.A\n"), Catch::Contains("needs `work_order:`"));
    CHECK_THAT(field_error("  id: $.DocNo\n"), Catch::Contains("`id` is given by fieldbridge"));
}

TEST_CASE("broken YAML is reported with its line") {
    auto e = compile_error_of("name: x\nkey: [unclosed\n");
    CHECK_THAT(e, Catch::StartsWith("m.yaml:"));
}

TEST_CASE("a mapping file that cannot be read is a CompileError") {
    CHECK_THROWS_AS(Mapping::load("/nonexistent/mapping.yaml"), CompileError);
}

TEST_CASE("an unknown variable suggests a `let:` name") {
    auto e = field_error("  notes: $shipto.Name\n", "let:\n  ship_to: $.Partner\n");
    CHECK_THAT(e, Catch::Contains("m.yaml:6:10: unknown variable `$shipto` (name it under `let:`) "
                                  "(did you mean `ship_to`?)"));
}

TEST_CASE("an index without digits or too long to be one is a compile error, not a crash") {
    // Found by the fuzz target fuzz_mapping_compile: both made the compiler throw out of range.
    CHECK_THAT(field_error("  source_ref: $.Lines[-].Code\n"),
               Catch::Contains("expected digits after `-` in an index"));
    CHECK_THAT(field_error("  source_ref: $.Lines[99999999999999999999].Code\n"),
               Catch::Contains("an index of more than 9 digits"));
    CHECK(field_error("  source_ref: $.Lines[-1].Code\n") == "no error");
}
