// The constructs an integrator missed mapping unseen ERPs: empty values per mapping, zones from
// the document, list functions with predicates, regular expressions, HTML, XML namespaces and a
// rule on the whole input.
#include <catch2/catch.hpp>

#include "decode/decode.h"
#include "helpers.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace json = boost::json;

namespace {

// The value an `expr:` makes from `doc`, as JSON text ("nothing" when the field is left out).
std::string eval(const std::string& expr, const std::string& doc, const std::string& top = "") {
    auto m = work_order_mapping("  notes: { expr: '" + expr + "', as: string }\n", top);
    auto r = map_one(*m, doc);
    if (r.kind == MapResult::Kind::failed) return "failed: " + r.error->message();
    auto it = r.work_order.find("notes");
    return it == r.work_order.end() ? "nothing" : std::string(it->value().as_string());
}

std::string compile_error(const std::string& fields, const std::string& top = "") {
    try {
        work_order_mapping(fields, top);
    } catch (const CompileError& e) {
        return e.what();
    }
    return "compiled";
}

}  // namespace

TEST_CASE("empty: values mean no value to default, required, when, concat and templates") {
    const std::string top = "empty: [null, \"\", false, \"0001-01-01\"]\n";
    auto m = work_order_mapping(
        "  notes: { path: $.Note, default: none }\n"
        "  address: { text: { concat: [$.Street, $.Zip, $.City], separator: \" \" } }\n"
        "  source_ref: { template: \"{{$.DocNo}}/{{$.Ref}}\" }\n"
        "  customer: { name: $.Name, code: { path: $.Code, when: $.Code } }\n",
        top);
    // Odoo writes `false` for every empty field.
    auto r = map_one(*m, R"({"DocNo": "S1", "Note": false, "Street": "Main 1", "Zip": false,
                             "City": "Bonn", "Ref": "0001-01-01", "Name": "N", "Code": false})");
    INFO((r.error ? r.error->message() : ""));
    REQUIRE(r.kind == MapResult::Kind::mapped);
    CHECK(r.work_order.at("notes") == "none");
    CHECK(r.work_order.at("address").at("text") == "Main 1 Bonn");
    CHECK(r.work_order.at("source_ref") == "S1/");
    CHECK_FALSE(r.work_order.at("customer").as_object().contains("code"));
    // required: false is no value, so the document fails naming the field.
    auto req = work_order_mapping("  notes: { path: $.Note, required: true }\n", top);
    auto f = map_one(*req, R"({"DocNo": "S1", "Note": false})");
    REQUIRE(f.kind == MapResult::Kind::failed);
    CHECK(f.error->field == "notes");
    // Functions agree: coalesce skips them, exists() and empty() see them as empty.
    CHECK(eval("coalesce($.A, $.B)", R"({"DocNo": "1", "A": false, "B": "b"})", top) == "b");
    CHECK(eval("string(exists($.A))", R"({"DocNo": "1", "A": false})", top) == "false");
    CHECK(eval("string(empty($.A))", R"({"DocNo": "1", "A": "0001-01-01"})", top) == "true");
    CHECK(eval("join($.L[*], \",\")", R"({"DocNo": "1", "L": ["a", false, "b"]})", top) == "a,b");
    // Without `empty:` false is a value, as before.
    CHECK(eval("coalesce($.A, $.B)", R"({"DocNo": "1", "A": false, "B": "b"})") == "false");
    CHECK_THAT(compile_error("", "empty: false\n"), Catch::Contains("`empty` takes a list"));
}

TEST_CASE("a time zone read from the document, and the output's zone apart from the input's") {
    auto m = work_order_mapping(
        "  window:\n"
        "    start: { path: $.At, time: \"%Y-%m-%d %H:%M\", tz: $.partner.tz }\n"
        "    end: { path: $.At, time: \"%Y-%m-%d %H:%M\", tz: $.partner.tz, output_tz: UTC }\n");
    auto r = map_one(*m, R"({"DocNo": "1", "At": "2026-11-22 09:30", "partner": {"tz": "Europe/Berlin"}})");
    INFO((r.error ? r.error->message() : ""));
    REQUIRE(r.kind == MapResult::Kind::mapped);
    CHECK(r.work_order.at("window").at("start") == "2026-11-22T09:30:00+01:00");
    CHECK(r.work_order.at("window").at("end") == "2026-11-22T08:30:00+00:00");
    auto other = map_one(*m, R"({"DocNo": "1", "At": "2026-11-22 09:30", "partner": {"tz": "Asia/Shanghai"}})");
    CHECK(other.work_order.at("window").at("start") == "2026-11-22T09:30:00+08:00");
    // An unknown zone in the document fails that document, naming the path.
    auto bad = map_one(*m, R"({"DocNo": "1", "At": "2026-11-22 09:30", "partner": {"tz": "Mars/Olympus"}})");
    REQUIRE(bad.kind == MapResult::Kind::failed);
    CHECK(bad.error->expected == "an IANA time zone such as Asia/Shanghai");
    CHECK(bad.error->found == "\"Mars/Olympus\"");
    CHECK(bad.error->path == "$.partner.tz");
    // Values that must be constant say so at compile time.
    CHECK_THAT(compile_error("  notes: { path: $.A, time: $.fmt, tz: UTC }\n"),
               Catch::Contains("`time` must be a constant written in the mapping, not `$.fmt`"));
    CHECK_THAT(compile_error("  notes: { path: $.A, time: rfc3339, tz: UTC, format: $.fmt }\n"),
               Catch::Contains("`format` must be a constant"));
    // (`phone:` may read its region from the document: unseen_documents_test.cpp.)
    CHECK_THAT(compile_error("  notes: { path: $.A, time: rfc3339, tz: Asia/Shangai }\n"),
               Catch::Contains("a zone from the document is a path"));
}

TEST_CASE("lists: map(), any/all/count/filter with a predicate, let lists filtered and indexed") {
    const std::string doc =
        R"({"DocNo": "1", "Lines": [{"Sku": "a", "Qty": 2}, {"Sku": "b", "Qty": 0}, {"Sku": "c", "Qty": 5}],
            "Tags": "x,y,z"})";
    CHECK(eval("join(map($.Lines[*], upper(@.Sku)), \"|\")", doc) == "A|B|C");
    CHECK(eval("string(any($.Lines[*], @.Qty > 4))", doc) == "true");
    CHECK(eval("string(all($.Lines[*], @.Qty > 0))", doc) == "false");
    CHECK(eval("string(count($.Lines[*], @.Qty > 0))", doc) == "2");
    // count(list, x) without `@` counts the elements equal to x.
    CHECK(eval("string(count(split($.Tags, \",\"), \"y\"))", doc) == "1");
    CHECK(eval("join(map(filter($.Lines[*], @.Qty > 0), @.Sku), \",\")", doc) == "a,c");
    // `@` is a scalar element too.
    CHECK(eval("join(map(split($.Tags, \",\"), upper(@)), \"\")", doc) == "XYZ");
    // Filters and indexes on a computed `let` list.
    const std::string top = "let:\n  tags: { expr: 'split($.Tags, \",\")' }\n  lines: $.Lines[*]\n";
    CHECK(eval("$tags[1]", doc, top) == "y");
    CHECK(eval("$tags[-1]", doc, top) == "z");
    CHECK(eval("join($tags[?(@ != \"x\")], \"+\")", doc, top) == "y+z");
    CHECK(eval("join($lines[?(@.Qty > 0)].Sku, \",\")", doc, top) == "a,c");
    CHECK(eval("$lines[2].Sku", doc, top) == "c");
    // at(): an index computed from the document (1-based line numbers), negative from the end,
    // nothing past either end or for a missing index; an index that is not an integer fails.
    const std::string numbered = R"({"DocNo": "1", "Lines": [{"Sku": "a"}, {"Sku": "b"}, {"Sku": "c"}], "Line": 2})";
    const std::string picked = "let:\n  line: { expr: 'at($.Lines[*], $.Line - 1)' }\n"
                               "  last: { expr: 'at($.Lines[*], -1)' }\n  past: { expr: 'at($.Lines[*], $.Line + 5)' }\n";
    CHECK(eval("$line.Sku", numbered, picked) == "b");
    CHECK(eval("$last.Sku", numbered, picked) == "c");
    CHECK(eval("$past.Sku", numbered, picked) == "nothing");
    CHECK(eval("at(split(\"x,y,z\", \",\"), $.Line)", numbered) == "z");
    CHECK(eval("at($.Lines[*], $.Missing)", numbered) == "nothing");
    CHECK_THAT(eval("at($.Lines[*], 1.5)", numbered), Catch::Contains("an integer as argument 2 of at()"));
    // Inside a filter `$` is still the document (or the `each` item): a filter joins two lists.
    CHECK(eval("join(map($.Lines[?(@.Sku == $.Pick)], @.Sku), \",\")", R"({"DocNo": "1", "Pick": "c", "Lines": [{"Sku": "a"}, {"Sku": "c"}]})") == "c");
    // A predicate that never reads `@` is a compile error saying how to write one.
    CHECK_THAT(compile_error("  notes: { expr: 'string(any($.Lines[*], $.Qty > 0))' }\n"),
               Catch::Contains("any() reads each element as `@`"));
    CHECK_THAT(compile_error("  notes: { expr: 'join(map($.Lines[*], upper($.Sku)), \",\")' }\n"),
               Catch::Contains("map() reads each element as `@`"));
}

TEST_CASE("concat of a list is an error that suggests join(), empty lists go out as []") {
    const std::string doc = R"({"DocNo": "1", "L": ["a", "b"]})";
    auto f = eval("concat($.L[*], \"-\")", doc);
    CHECK_THAT(f, Catch::Contains("for a list use join(list, separator)"));
    auto m = work_order_mapping("  notes: { concat: [$.DocNo, { expr: '$.L[*]' }] }\n");
    auto r = map_one(*m, doc);
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK_THAT(r.error->message(), Catch::Contains("join(list"));
    // A lone match is one value, as elsewhere.
    CHECK(eval("concat($.L[?(@ == \"b\")], \"!\")", doc) == "b!");
    // The stated rule: a list (each, a list rule, a list expression) goes out even when empty.
    auto lists = work_order_mapping("  skills: { each: \"$.S[*]\", value: $.Name }\n");
    auto out = map_one(*lists, R"({"DocNo": "1", "S": []})");
    REQUIRE(out.kind == MapResult::Kind::mapped);
    CHECK(out.work_order.at("skills").as_array().empty());
}

TEST_CASE("regular expressions: matches, capture, replace_re, constant, checked, bounded") {
    const std::string doc = R"J({"DocNo": "1", "Ref": "PO-2026-00042 (urgent)", "Phone": "139-1022-8834"})J";
    CHECK(eval("string(matches($.Ref, \"^PO-[0-9]{4}-\"))", doc) == "true");
    CHECK(eval("string(matches($.Ref, \"^SO-\"))", doc) == "false");
    CHECK(eval("capture($.Ref, \"PO-([0-9]{4})-([0-9]+)\")", doc) == "2026");
    CHECK(eval("capture($.Ref, \"PO-([0-9]{4})-([0-9]+)\", 2)", doc) == "00042");
    CHECK(eval("capture($.Ref, \"PO-[0-9]+\")", doc) == "PO-2026");
    CHECK(eval("capture($.Ref, \"SO-([0-9]+)\")", doc) == "nothing");
    CHECK(eval("replace_re($.Phone, \"[^0-9]\", \"\")", doc) == "13910228834");
    CHECK(eval("replace_re($.Ref, \"([A-Z]+)-([0-9]+)\", \"\\\\2/\\\\1\")", doc) ==
          "2026/PO-00042 (urgent)");
    CHECK_THAT(compile_error("  notes: { expr: 'string(matches($.Ref, \"(unclosed\"))' }\n"),
               Catch::Contains("bad regular expression"));
    CHECK_THAT(compile_error("  notes: { expr: 'string(matches($.Ref, $.Pattern))' }\n"),
               Catch::Contains("the pattern of matches() must be a constant string"));
    CHECK_THAT(compile_error("  notes: { expr: 'replace_re($.Ref, \"(a)\", \"\\\\2\")' }\n"),
               Catch::Contains("bad replacement"));
    std::string long_pattern(1001, 'a');
    CHECK_THAT(compile_error("  notes: { expr: 'string(matches($.Ref, \"" + long_pattern + "\"))' }\n"),
               Catch::Contains("at most 1000 bytes"));
    std::string big = R"({"DocNo": "1", "Ref": ")" + std::string(70000, 'x') + "\"}";
    CHECK_THAT(eval("string(matches($.Ref, \"y\"))", big), Catch::Contains("at most 65536 bytes"));
}

TEST_CASE("text: strip_html, decode_entities, index_of") {
    const std::string doc =
        R"({"DocNo": "1", "Html": "<p>Deliver to <b>back&nbsp;door</b></p><script>x()</script><br/>Tom &amp; Jerry &#20013;&#x6587;",
            "Code": "仓库-A12"})";
    CHECK(eval("strip_html($.Html)", doc) == "Deliver to back door Tom & Jerry 中文");
    CHECK(eval("decode_entities(\"a &lt;b&gt; &quot;c&quot; &#39;d&#39; &bogus;\")", doc) ==
          "a <b> \"c\" 'd' &bogus;");
    CHECK(eval("string(index_of($.Code, \"A\"))", doc) == "3");
    CHECK(eval("string(index_of($.Code, \"Z\"))", doc) == "-1");
    CHECK(eval("substr($.Code, index_of($.Code, \"-\") + 1)", doc) == "A12");
}

TEST_CASE("text: url_encode and base64 for requests to ERPs") {
    const std::string doc = R"({"DocNo": "1", "Name": "Delivery Note/DN-0001", "Since": "2026-11-20 16:41:07"})";
    // ERPNext: a JSON filter in the query string, a doctype with a space in the path.
    CHECK(eval("url_encode(concat(\"[[\\\"modified\\\",\\\">=\\\",\\\"\", $.Since, \"\\\"]]\"))", doc) ==
          "%5B%5B%22modified%22%2C%22%3E%3D%22%2C%222026-11-20%2016%3A41%3A07%22%5D%5D");
    CHECK(eval("url_encode($.Name)", doc) == "Delivery%20Note%2FDN-0001");
    CHECK(eval("url_encode(\"a-b_c.d~e\")", doc) == "a-b_c.d~e");
    CHECK(eval("url_encode(\"中\")", doc) == "%E4%B8%AD");
    // RFC 4648 test vectors, and Tryton's login:user_id:session.
    CHECK(eval("base64(\"f\")", doc) == "Zg==");
    CHECK(eval("base64(\"fo\")", doc) == "Zm8=");
    CHECK(eval("base64(\"foo\")", doc) == "Zm9v");
    CHECK(eval("base64(\"foobar\")", doc) == "Zm9vYmFy");
    CHECK(eval("base64(\"admin:1:abc\")", doc) == "YWRtaW46MTphYmM=");
}

TEST_CASE("XML elements by local name, whatever prefix the sender chose") {
    auto m = work_order_mapping(
        "  source_ref: $.*:Order.*:ID\n  notes: $.*:Order.*:Note.#text\n"
        "  customer: { name: \"$.*:Order.*:Buyer.*:@name\" }\n",
        "");
    for (const char* xml :
         {"<ns0:Order xmlns:ns0=\"urn:x\"><ns0:ID>7</ns0:ID><ns0:Note lang=\"en\">hi</ns0:Note>"
          "<ns0:Buyer ns0:name=\"B\"/></ns0:Order>",
          "<Order xmlns=\"urn:x\"><ID>7</ID><Note lang=\"en\">hi</Note><Buyer name=\"B\"/></Order>",
          "<p:Order xmlns:p=\"urn:x\"><p:ID>7</p:ID><p:Note lang=\"en\">hi</p:Note>"
          "<p:Buyer name=\"B\"/></p:Order>"}) {
        auto decoded = fb::decode::decode_xml(xml);
        INFO(xml << " " << decoded.error);
        REQUIRE(decoded.ok());
        auto doc = decoded.value;
        doc.as_object()["DocNo"] = "1";
        auto results = m->map(doc);
        REQUIRE(results.size() == 1);
        INFO((results[0].error ? results[0].error->message() : ""));
        REQUIRE(results[0].kind == MapResult::Kind::mapped);
        CHECK(results[0].work_order.at("source_ref") == "7");
        CHECK(results[0].work_order.at("notes") == "hi");
        CHECK(results[0].work_order.at("customer").at("name") == "B");
    }
    // xmlns declarations are attributes like any other: `@xmlns:ns0`, and `.*:` never matches them.
    auto decoded = fb::decode::decode_xml("<ns0:Order xmlns:ns0=\"urn:x\"><ns0:ID>7</ns0:ID></ns0:Order>");
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at("ns0:Order").at("@xmlns:ns0") == "urn:x");
}

TEST_CASE("success: and $input see the whole input, beside the documents") {
    auto m = Mapping::compile(
        "name: cloud\nkey: $.id\ndocuments: $.data[*]\nsuccess: $.errcode == 0\n"
        "work_order:\n  type: delivery\n  source_ref: $.id\n  customer: { name: c }\n"
        "  address: { text: a }\n  notes: $input.request_id\n",
        "cloud.yaml");
    auto ok = m->map(json::parse(R"({"errcode": 0, "request_id": "r-9", "data": [{"id": "D1"}]})"));
    REQUIRE(ok.size() == 1);
    REQUIRE(ok[0].kind == MapResult::Kind::mapped);
    CHECK(ok[0].work_order.at("notes") == "r-9");
    auto err = m->map(json::parse(R"({"errcode": 40001, "errmsg": "invalid token", "data": []})"));
    REQUIRE(err.size() == 1);
    CHECK(err[0].kind == MapResult::Kind::failed);
    CHECK(err[0].error->field == "success");
    CHECK_THAT(err[0].error->message(), Catch::Contains("success: $.errcode == 0"));
    CHECK_THAT(err[0].error->message(), Catch::Contains("\"invalid token\""));
    // A document's `when` may read the envelope too.
    auto w = Mapping::compile(
        "name: w\nkey: $.id\ndocuments: $.data[*]\nwhen: $input.mode == \"live\"\n"
        "work_order:\n  type: delivery\n  source_ref: $.id\n  customer: { name: c }\n"
        "  address: { text: a }\n",
        "w.yaml");
    CHECK(w->map(json::parse(R"({"mode": "test", "data": [{"id": "1"}]})"))[0].kind ==
          MapResult::Kind::filtered);
    CHECK(w->map(json::parse(R"({"mode": "live", "data": [{"id": "1"}]})"))[0].kind ==
          MapResult::Kind::mapped);
}
