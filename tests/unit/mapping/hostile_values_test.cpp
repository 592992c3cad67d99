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

TEST_CASE("pad_left pads to exactly the width, in characters, whatever the pad's length") {
    const std::string doc = R"({"DocNo": "1", "Pad": ")" + std::string(100000, '0') + "\"}";
    // The whole pad went on once per missing character: "0000007".
    CHECK(value_of("pad_left(\"7\", 4, \"00\")", doc) == R"("0007")");
    CHECK(value_of("pad_left(\"7\", 4, \"abc\")", doc) == R"("abc7")");
    CHECK(value_of("pad_left(\"7\", 6, \"ab\")", doc) == R"("ababa7")");
    CHECK(value_of("pad_left(\"7\", 3, \"中文\")", doc) == R"("中文7")");
    CHECK(value_of("pad_left(\"7\", 4, \"中文\")", doc) == R"("中文中7")");
    CHECK(value_of("pad_left(\"12345\", 3, \"0\")", doc) == R"("12345")");
    CHECK(value_of("pad_left(\"7\", 3)", doc) == R"("  7")");
    // A document's 100 000-character pad made 65535 copies of it; now the width is the bound.
    CHECK(value_of("pad_left(\"7\", 5, $.Pad)", doc) == R"("00007")");
    CHECK(value_of("string(len(pad_left(\"7\", 65536, $.Pad)))", doc) == R"("65536")");
}

TEST_CASE("replace and replace_re make at most 65536 characters, or no more than their text") {
    const std::string a(20000, 'a'), t(20000, 't');
    const std::string doc =
        R"({"DocNo": "1", "S": ")" + a + R"(", "T": ")" + t + R"(", "Short": "abca", "X": "xx"})";
    // 20 000 × 20 000 characters was a 400 MB string.
    CHECK_THAT(value_of("replace($.S, \"a\", $.T)", doc),
               Catch::Contains("expected a result of at most 65536 characters from replace(), "
                               "found one of more than 65536"));
    CHECK_THAT(value_of("replace_re($.S, \"a\", $.T)", doc),
               Catch::Contains("expected a result of at most 65536 characters from replace_re()"));
    CHECK_THAT(value_of("replace_re($.S, \"\", $.T)", doc),
               Catch::Contains("expected a result of at most 65536 characters from replace_re()"));
    // Within the bound, and any replacement that does not lengthen a long text, still work.
    CHECK(value_of("string(len(replace($.S, \"a\", \"bcd\")))", doc) == R"("60000")");
    const std::string long_doc = R"({"DocNo": "1", "L": ")" + std::string(100000, 'a') + "\"}";
    CHECK(value_of("string(len(replace($.L, \"a\", \"b\")))", long_doc) == R"("100000")");
    CHECK(value_of("string(len(replace_re($.S, \"a\", \"bb\")))", doc) == R"("40000")");
    CHECK_THAT(value_of("replace($.L, \"a\", \"bb\")", long_doc),
               Catch::Contains("at most 100000 characters from replace()"));
    CHECK(value_of("replace($.Short, \"a\", $.X)", doc) == R"("xxbcxx")");
    CHECK(value_of("replace($.Short, \"a\", \"\")", doc) == R"("bc")");
    // replace_re's own loop keeps RE2's way with groups and empty matches.
    CHECK(value_of("replace_re($.Short, \"(a)\", \"[\\\\1]\")", doc) == R"("[a]bc[a]")");
    CHECK(value_of("replace_re(\"abc\", \"x*\", \"-\")", doc) == R"("-a-b-c-")");
    CHECK(value_of("replace_re(\"中文\", \"\", \"-\")", doc) == R"("-中-文-")");
    CHECK(value_of("replace_re(\"aaa\", \"a*\", \"-\")", doc) == R"("-")");
    CHECK(value_of("replace_re(\"baaac\", \"a*\", \"-\")", doc) == R"("-b-c-")");
    CHECK(value_of("replace_re(\"Doe, John\", \"(\\\\w+), (\\\\w+)\", \"\\\\2 \\\\1\")", doc) ==
          R"("John Doe")");
    CHECK(value_of("replace_re(\"abc\", \"z\", \"-\")", doc) == R"("abc")");
}

TEST_CASE("strip_html keeps a < that starts no tag, ends comments at --> and skips quoted >") {
    const std::string doc = R"({"DocNo": "1"})";
    auto strip = [&](const std::string& html) {
        return value_of("strip_html($.H)",
                        R"({"DocNo": "1", "H": )" + json::serialize(json::string(html)) + "}");
    };
    // These lost text: "Qty", "a y -->b" and "2\">link".
    CHECK(strip("Qty < 5 please call") == R"("Qty < 5 please call")");
    CHECK(strip("Qty <5 or >9") == R"("Qty <5 or >9")");
    CHECK(strip("a<!-- x > y -->b") == R"("ab")");
    CHECK(strip("<a title=\"1>2\">link</a>") == R"("link")");
    CHECK(strip("<a title='1>2' href = \"x>y\">link</a>!") == R"("link !")");
    // Tags still become spaces, and what is left unclosed is dropped.
    CHECK(strip("<p>Back&nbsp;door</p><br>Tom &amp; Jerry") == R"("Back door Tom & Jerry")");
    CHECK(strip("<!DOCTYPE html><?xml version=\"1.0\"?>x</ p>y") == R"("x y")");
    CHECK(strip("a<!-->b<!--->c") == R"("abc")");
    CHECK(strip("a<!-- never closed") == R"("a")");
    CHECK(strip("a<b title=\"never closed>c") == R"("a")");
    CHECK(strip("a<SCRIPT>x > y</SCRIPT>b<Style>p{}</style >c") == R"("a b c")");
    CHECK(strip("1 &lt; 2 &&& 3;") == R"("1 < 2 &&& 3;")");
    CHECK(value_of("strip_html(\"x&nbsp;&nbsp;<i>y</i>&#160;z\")", doc) == R"("x y z")");
}

TEST_CASE("strip_html on a large text: every nbsp entity a space, every & kept") {
    // The &nbsp; pass was quadratic (800 000 took 15 s), and so was "&&&…" without a `;`.
    std::string nbsp, amps(200000, '&');
    for (int i = 0; i < 200000; ++i) nbsp += "x&nbsp;";
    auto r = value_of("strip_html($.H)", R"({"DocNo": "1", "H": ")" + nbsp + "\"}");
    std::string want;
    for (int i = 0; i < 200000; ++i) want += i ? " x" : "x";
    CHECK(r == "\"" + want + "\"");
    CHECK(value_of("string(len(strip_html($.H)))", R"({"DocNo": "1", "H": ")" + amps + "\"}") ==
          R"("200000")");
}

TEST_CASE("group_by with many distinct keys keeps first-seen order and each key's rows") {
    // Each row searched every group so far: 100 000 distinct keys took 30 s.
    auto m = Mapping::compile(
        "key: $.No\ndocuments: $.rows[*]\ncolumns: [No, Sku]\ngroup_by: $.No\n"
        "work_order:\n  type: delivery\n  source_ref: $.No\n  customer: { name: c }\n"
        "  address: { text: a }\n"
        "  items: { each: \"$.lines[*]\", fields: { sku: $.Sku, quantity: 1 } }\n",
        "m.yaml");
    const int n = 20000;
    json::array rows;
    for (int i = 0; i < n; ++i) rows.push_back(json::array{"K" + std::to_string(n - i), "a"});
    rows.push_back(json::array{"K" + std::to_string(n), "b"});  // the first key, again at the end
    rows.push_back(json::array{"1", "c"});                      // keys compare as text
    rows.push_back(json::array{1, "d"});
    auto out = m->map(json::value{{"rows", rows}});
    REQUIRE(out.size() == std::size_t(n) + 1);
    bool in_order = true;
    for (int i = 0; i < n; ++i)
        in_order = in_order && out[i].document_id == "K" + std::to_string(n - i);
    CHECK(in_order);
    const auto& first = out[0].work_order.at("items").as_array();
    REQUIRE(first.size() == 2);
    CHECK(first[0].at("sku") == "a");
    CHECK(first[1].at("sku") == "b");
    CHECK(out[1].work_order.at("items").as_array().size() == 1);
    CHECK(out[n].document_id == "1");
    CHECK(out[n].work_order.at("items").as_array().size() == 2);
}

namespace {

// The `due_by` a time rule makes from `doc`, as JSON, or "failed: …".
std::string due_by(const std::string& rule, const std::string& doc) {
    auto r = map_one(*work_order_mapping("  due_by: " + rule + "\n"), doc);
    if (r.kind == MapResult::Kind::failed) return "failed: " + r.error->message();
    return json::serialize(r.work_order.at("due_by"));
}

}  // namespace

TEST_CASE("a date moved or read past the years 0001-9999 fails the document, never garbage") {
    const std::string add = "{ path: $.At, time: rfc3339, add: { days: $.N } }";
    auto at = [](const std::string& n) {
        return R"({"DocNo": "1", "At": "2026-11-20T08:00:00Z", "N": )" + n + "}";
    };
    CHECK(due_by(add, at("2")) == R"("2026-11-22T08:00:00Z")");
    CHECK(due_by(add, at("-2")) == R"("2026-11-18T08:00:00Z")");
    // 1e300 days was an out-of-range double converted to int64 (undefined): garbage years.
    CHECK_THAT(due_by(add, at("1e300")),
               Catch::Contains("expected an amount to add that keeps the date within the years "
                               "0001–9999, found 1e+300"));
    CHECK_THAT(due_by(add, at("-9223372036854775808")),
               Catch::Contains("an amount to add that keeps the date within the years 0001–9999"));
    // Within int64 but past the year 9999 (or before 0001): a clear error, not "10000-…".
    CHECK_THAT(due_by(add, at("3000000")),
               Catch::Contains("expected a date/time within the years 0001–9999 after `add:`"));
    CHECK_THAT(due_by(add, at("-800000")),
               Catch::Contains("expected a date/time within the years 0001–9999 after `add:`"));
    CHECK(due_by(add, at("2912119")) == R"("9999-12-31T08:00:00Z")");
    CHECK_THAT(due_by(add, at("2912120")), Catch::Contains("within the years 0001–9999 after"));
    const std::string hours = "{ path: $.At, time: rfc3339, add: { hours: $.N } }";
    CHECK_THAT(due_by(hours, at("1e18")), Catch::Contains("within the years 0001–9999"));

    const std::string sap = "{ path: $.At, time: sap }";
    auto sap_at = [](const std::string& ms) {
        return R"({"DocNo": "1", "At": "/Date()" + ms + R"()/"})";
    };
    CHECK(due_by(sap, sap_at("1763769600000")) == R"("2025-11-22T00:00:00Z")");
    // Negating INT64_MIN was undefined; beyond parse_unix's range it is no SAP date.
    CHECK_THAT(due_by(sap, sap_at("-9223372036854775808")),
               Catch::Contains("expected a SAP date such as /Date(1763769600000)/"));
    CHECK_THAT(due_by(sap, sap_at("9223372036854775807")),
               Catch::Contains("expected a SAP date such as /Date(1763769600000)/"));
    CHECK_THAT(due_by(sap, sap_at("-99999999999999")),
               Catch::Contains("expected a date/time within the years 0001–9999"));
    CHECK_THAT(due_by("{ path: $.At, time: unix }", R"({"DocNo": "1", "At": -99999999999})"),
               Catch::Contains("expected a date/time within the years 0001–9999"));
    CHECK(due_by(sap, sap_at("-62135596800000")) == R"("0001-01-01T00:00:00Z")");
}

TEST_CASE("a time of day as a duration too long for int64 is no time of day") {
    const std::string rule = "{ path: $.D, time: \"%Y-%m-%d\", tz: UTC, at: $.T }";
    auto at = [&](const std::string& t) {
        return due_by(rule, R"({"DocNo": "1", "D": "2026-11-20", "T": ")" + t + "\"}");
    };
    CHECK(at("PT9H30M") == R"("2026-11-20T09:30:00+00:00")");
    // n * 86400 overflowed int64 (undefined): this one wrapped to 16:59:44.
    CHECK_THAT(at("P213503982334602D"), Catch::Contains("expected a time of day"));
    CHECK_THAT(at("P106751991167301D"), Catch::Contains("expected a time of day"));
    CHECK_THAT(at("PT9223372036854775807H"), Catch::Contains("expected a time of day"));
}

TEST_CASE("a null where the documents' list belongs is no documents, not one null document") {
    auto m = Mapping::compile(
        "key: $.No\ndocuments: $.data[*]\nwork_order:\n  type: delivery\n  source_ref: $.No\n"
        "  customer: { name: c }\n  address: { text: a }\n",
        "m.yaml");
    auto out = m->map(json::parse(R"({"data": null})"));
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].kind == MapResult::Kind::failed);
    CHECK(out[0].error->field == "documents");
    CHECK_THAT(out[0].error->message(), Catch::Contains("expected documents for mapping"));
    CHECK(m->map(json::parse(R"({"data": []})")).empty());  // an empty page is no error
    CHECK(m->map(json::parse(R"({"data": {"No": "A"}})")).at(0).document_id == "A");
    // The same null is an empty list to every [*] and filter.
    const std::string doc = R"({"DocNo": "1", "Lines": null})";
    CHECK(value_of("count($.Lines[*])", doc) == "0");
    CHECK(value_of("count($.Lines[?(@.Qty > 0)])", doc) == "0");
}

TEST_CASE("upper and lower change ASCII letters only, as the language reference says") {
    const std::string doc = R"({"DocNo": "1"})";
    CHECK(value_of("upper(\"café straße 中文 ab\")", doc) == R"("CAFé STRAßE 中文 AB")");
    CHECK(value_of("lower(\"ÉCOLE ABC\")", doc) == R"("École abc")");
}

TEST_CASE("distinct over many values keeps the first of each, in order") {
    // Each value was compared with every one kept: quadratic in a document's list.
    json::array xs;
    for (int i = 0; i < 20000; ++i) xs.push_back(json::value(std::to_string(i % 15000)));
    xs.push_back(json::value("x"));
    const std::string doc = json::serialize(json::object{{"DocNo", "1"}, {"Xs", xs}});
    CHECK(value_of("count(distinct($.Xs[*]))", doc) == "15001");
    auto joined = value_of("join(distinct($.Xs[*]), \",\")", doc);
    CHECK_THAT(joined, Catch::StartsWith("\"0,1,2,"));
    CHECK_THAT(joined, Catch::EndsWith(",14998,14999,x\""));
    // The number 1 is not the text "1"; 1.0 is the number 1 again; empty values are left out.
    const std::string none = R"({"DocNo": "1"})";
    CHECK(value_of("count(distinct([\"1\", 1, 1.0, \"\", null, true, \"true\", true]))", none) ==
          "4");
    CHECK(value_of("join(distinct([\"b\", \"a\", \"b\", \"c\", \"a\"]), \",\")", none) ==
          R"("b,a,c")");
}
