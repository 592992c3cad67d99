// What the mapping language does, one behaviour at a time.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace json = boost::json;

namespace {

json::object mapped(const std::string& fields, const std::string& doc,
                    const std::string& top = "") {
    auto r = map_one(*work_order_mapping(fields, top), doc);
    INFO((r.error ? r.error->message() : ""));
    REQUIRE(r.kind == MapResult::Kind::mapped);
    return r.work_order;
}

}  // namespace

TEST_CASE("when filters documents, cancelled wins over when") {
    auto m = work_order_mapping(
        "  notes: $.Status\n",
        "when: $.Status in [\"approved\", \"released\"]\ncancelled: $.Status == \"cancelled\"\n");
    CHECK(map_one(*m, R"({"DocNo": "D", "Status": "approved"})").kind == MapResult::Kind::mapped);
    auto f = map_one(*m, R"({"DocNo": "D", "Status": "draft"})");
    CHECK(f.kind == MapResult::Kind::filtered);
    CHECK(f.document_id == "D");
    auto c = map_one(*m, R"({"DocNo": "D", "Status": "cancelled"})");
    CHECK(c.kind == MapResult::Kind::cancelled);
    CHECK(c.work_order.at("notes") == "cancelled");
}

TEST_CASE("key and version come from the document") {
    auto m = work_order_mapping("", "version: { path: $.Changed, time: sap }\n");
    auto r = map_one(*m, R"({"DocNo": 4711, "Changed": "/Date(1763626542123+0000)/"})");
    CHECK(r.document_id == "4711");
    CHECK(r.version == "2025-11-20T08:15:42.123Z");
}

TEST_CASE("constants keep their YAML type and codes keep their zeros") {
    auto wo = mapped(
        "  requires_installation: true\n  attributes: { a: 3, b: 2.5, c: \"007\", d: 007, e: text "
        "}\n",
        R"({"DocNo": "D"})");
    CHECK(wo.at("requires_installation") == true);
    CHECK(wo.at("attributes").at("a") == 3);
    CHECK(wo.at("attributes").at("b") == 2.5);
    CHECK(wo.at("attributes").at("c") == "007");
    CHECK(wo.at("attributes").at("d") == "007");
    CHECK(wo.at("attributes").at("e") == "text");
}

TEST_CASE("defaults fill missing, null and empty values") {
    auto f = "  notes: { path: $.Remark, default: none }\n";
    CHECK(mapped(f, R"({"DocNo": "D"})").at("notes") == "none");
    CHECK(mapped(f, R"({"DocNo": "D", "Remark": null})").at("notes") == "none");
    CHECK(mapped(f, R"({"DocNo": "D", "Remark": ""})").at("notes") == "none");
    CHECK(mapped(f, R"({"DocNo": "D", "Remark": "hi"})").at("notes") == "hi");
}

TEST_CASE("lookups map values, with a fallback for the rest and a default for nothing") {
    auto f =
        "  priority: { path: $.Level, lookup: { VIP: high, \"1\": urgent }, fallback: normal, "
        "default: low }\n";
    CHECK(mapped(f, R"({"DocNo": "D", "Level": "VIP"})").at("priority") == "high");
    CHECK(mapped(f, R"({"DocNo": "D", "Level": 1})").at("priority") == "urgent");
    CHECK(mapped(f, R"({"DocNo": "D", "Level": "GOLD"})").at("priority") == "normal");
    CHECK(mapped(f, R"({"DocNo": "D"})").at("priority") == "low");
    auto named =
        mapped("  priority: { path: $.Level, lookup: levels, fallback: normal }\n",
               R"({"DocNo": "D", "Level": "VIP"})", "lookups:\n  levels: { VIP: urgent }\n");
    CHECK(named.at("priority") == "urgent");
}

TEST_CASE("booleans come from Y/N, 是/否, X, true/false and 1/0") {
    auto f = "  requires_installation: { path: $.Flag, as: boolean }\n";
    for (auto yes : {"\"Y\"", "\"y\"", "\"是\"", "\"X\"", "\"true\"", "true", "1", "\"yes\""})
        CHECK(mapped(f, std::string(R"({"DocNo": "D", "Flag": )") + yes + "}")
                  .at("requires_installation") == true);
    for (auto no : {"\"N\"", "\"否\"", "\"false\"", "false", "0", "\"no\""})
        CHECK(mapped(f, std::string(R"({"DocNo": "D", "Flag": )") + no + "}")
                  .at("requires_installation") == false);
    CHECK(map_one(*work_order_mapping(f), R"({"DocNo": "D", "Flag": "maybe"})").kind ==
          MapResult::Kind::failed);
}

TEST_CASE("numbers and integers come from numeric strings") {
    auto wo = mapped(
        "  attributes:\n    n: { path: $.A, as: number }\n    i: { path: $.B, as: integer }\n"
        "    s: { path: $.C, as: string }\n",
        R"({"DocNo": "D", "A": " 2.500 ", "B": "000010", "C": 42})");
    CHECK(wo.at("attributes").at("n") == 2.5);
    CHECK(wo.at("attributes").at("i") == 10);
    CHECK(wo.at("attributes").at("s") == "42");
    CHECK(map_one(*work_order_mapping("  attributes: { i: { path: $.B, as: integer } }\n"),
                  R"({"DocNo": "D", "B": "2.5"})")
              .kind == MapResult::Kind::failed);
}

TEST_CASE("templates and concat join values, skipping missing ones") {
    auto wo = mapped(
        "  notes: { template: \"{{$.A}}-{{ upper($.B) }}-{{$.Missing}}!\" }\n"
        "  address: { text: { concat: [$.A, $.Missing, $.B], separator: \" / \" } }\n",
        R"({"DocNo": "D", "A": "x", "B": "y"})");
    CHECK(wo.at("notes") == "x-Y-!");
    CHECK(wo.at("address").at("text") == "x / y");
}

TEST_CASE("paths filter arrays and pick by index") {
    auto doc =
        R"({"DocNo": "D", "P": {"results": [{"F": "AG", "N": "sold"}, {"F": "WE", "N": "ship"}]},
                   "L": [{"v": 1}, {"v": 2}, {"v": 3}], "k": {"a b": "spaced"}})";
    auto wo = mapped(
        "  attributes:\n    we: $.P.results[?(@.F == \"WE\")].N\n    last: $.L[-1].v\n"
        "    first: $.L[0].v\n    spaced: $.k[\"a b\"]\n    none: $.P.results[?(@.F == "
        "\"ZZ\")].N\n",
        doc);
    const auto& a = wo.at("attributes");
    CHECK(a.at("we") == "ship");
    CHECK(a.at("last") == 3);
    CHECK(a.at("first") == 1);
    CHECK(a.at("spaced") == "spaced");
    CHECK(!a.as_object().contains("none"));
}

TEST_CASE("a lone XML element reads like a list of one") {
    auto wo = mapped(
        "  attributes:\n    one: $.Seg[?(@.Q == \"WE\")].N\n    first: $.Seg[0].N\n"
        "    count: { expr: 'count($.Seg[*])' }\n",
        R"({"DocNo": "D", "Seg": {"Q": "WE", "N": "only"}})");
    CHECK(wo.at("attributes").at("one") == "only");
    CHECK(wo.at("attributes").at("first") == "only");
    CHECK(wo.at("attributes").at("count") == 1);
}

TEST_CASE("expressions compare, combine and compute") {
    auto wo = mapped(
        "  attributes:\n"
        "    a: { expr: '$.Qty * 2 + 1' }\n"
        "    b: { expr: '$.Qty > 1 and not ($.Status in [\"x\", \"y\"])' }\n"
        "    c: { expr: 'sum($.L[*].q)' }\n"
        "    d: { expr: 'count($.L[*])' }\n"
        "    e: { expr: 'all($.L[*].q > 0)' }\n"
        "    f: { expr: 'any($.L[*].q > 5)' }\n"
        "    g: { expr: '$.Price / 4' }\n"
        "    h: { expr: '$.Qty % 2 == 1 or false' }\n"
        "    i: { expr: '\"SVC\" in $.L[*].s' }\n"
        "    j: { expr: 'max($.L[*].q) - min($.L[*].q)' }\n"
        "    k: { expr: '-$.Qty' }\n",
        R"({"DocNo": "D", "Qty": "3", "Status": "z", "Price": 10,
            "L": [{"q": 1, "s": "A"}, {"q": "2.5", "s": "SVC"}]})");
    const auto& a = wo.at("attributes");
    CHECK(a.at("a") == 7);
    CHECK(a.at("b") == true);
    CHECK(a.at("c") == 3.5);
    CHECK(a.at("d") == 2);
    CHECK(a.at("e") == true);
    CHECK(a.at("f") == false);
    CHECK(a.at("g") == 2.5);
    CHECK(a.at("h") == true);
    CHECK(a.at("i") == true);
    CHECK(a.at("j") == 1.5);
    CHECK(a.at("k") == -3);
}

TEST_CASE("string functions work on characters, not bytes") {
    auto wo = mapped(
        "  attributes:\n"
        "    a: { expr: 'upper($.S)' }\n"
        "    b: { expr: 'lower(\"ABC\")' }\n"
        "    c: { expr: 'trim($.Pad)' }\n"
        "    d: { expr: 'substr($.Zh, 1, 2)' }\n"
        "    e: { expr: 'replace($.S, \"b\", \"B\")' }\n"
        "    f: { expr: 'len($.Zh)' }\n"
        "    g: { expr: 'join($.L[*].s, \",\")' }\n"
        "    h: { expr: 'coalesce($.Missing, \"\", $.S)' }\n"
        "    i: { expr: 'ltrim($.Num, \"0\")' }\n"
        "    j: { expr: 'pad_left(\"7\", 3, \"0\")' }\n"
        "    k: { expr: 'contains($.S, \"bc\") and starts_with($.S, \"a\") and ends_with($.S, "
        "\"c\")' }\n"
        "    l: { expr: 'concat($.S, 1, $.Missing)' }\n"
        "    m: { expr: 'if($.Missing, \"yes\", \"no\")' }\n"
        "    n: { expr: 'round(2.345, 2)' }\n",
        R"({"DocNo": "D", "S": "abc", "Pad": "  x \u3000", "Zh": "北京市朝阳区", "Num": "0080004712",
            "L": [{"s": "A"}, {"s": "B"}]})");
    const auto& a = wo.at("attributes");
    CHECK(a.at("a") == "ABC");
    CHECK(a.at("b") == "abc");
    CHECK(a.at("c") == "x");
    CHECK(a.at("d") == "京市");
    CHECK(a.at("e") == "aBc");
    CHECK(a.at("f") == 6);
    CHECK(a.at("g") == "A,B");
    CHECK(a.at("h") == "abc");
    CHECK(a.at("i") == "80004712");
    CHECK(a.at("j") == "007");
    CHECK(a.at("k") == true);
    CHECK(a.at("l") == "abc1");
    CHECK(a.at("m") == "no");
    CHECK(a.at("n") == 2.35);
}

TEST_CASE("per-field when leaves a field out") {
    auto f = "  notes: { path: $.Remark, when: '$.Show == \"Y\"' }\n";
    CHECK(mapped(f, R"({"DocNo": "D", "Remark": "r", "Show": "Y"})").at("notes") == "r");
    CHECK(!mapped(f, R"({"DocNo": "D", "Remark": "r", "Show": "N"})").contains("notes"));
}

TEST_CASE("line items have their own rules, filters and positions") {
    auto wo = mapped(
        "  items:\n    each: $.Lines[*]\n    where: $.Qty > 0 and $.Code != \"GIFT\"\n    fields:\n"
        "      line: { expr: 'position()' }\n      sku: $.Code\n      quantity: $.Qty\n"
        "      name: { template: \"{{$.Code}} for {{$$.DocNo}}\" }\n"
        "  skills: { each: \"$.Lines[*]\", where: exists($.Skill), value: $.Skill }\n",
        R"({"DocNo": "D", "Lines": [{"Code": "A", "Qty": 1, "Skill": "s1"}, {"Code": "GIFT", "Qty": 1},
                                    {"Code": "B", "Qty": 0}, {"Code": "C", "Qty": 2, "Skill": "s2"}]})");
    const auto& items = wo.at("items").as_array();
    REQUIRE(items.size() == 2);
    CHECK(items[0].at("line") == 1);
    CHECK(items[1].at("line") == 4);
    CHECK(items[1].at("sku") == "C");
    CHECK(items[1].at("name") == "C for D");
    CHECK(wo.at("skills") == json::array{"s1", "s2"});
}

TEST_CASE("times are read in their zone and written in RFC 3339") {
    auto wo = mapped(
        "  window:\n"
        "    start: { path: $.Local, time: \"%Y-%m-%d %H:%M\", tz: Asia/Shanghai }\n"
        "    end: { path: $.Local, time: \"%Y-%m-%d %H:%M\", tz: Asia/Shanghai, add: { hours: $.H, "
        "minutes: 30 } }\n"
        "  due_by: { path: $.Offset, time: rfc3339, tz: Asia/Shanghai }\n"
        "  attributes:\n"
        "    berlin_summer: { path: $.Summer, time: \"%F %T\", tz: Europe/Berlin }\n"
        "    berlin_winter: { path: $.Winter, time: \"%d.%m.%Y %H:%M\", tz: Europe/Berlin }\n"
        "    utc: { path: $.Offset, time: rfc3339 }\n"
        "    plain: { path: $.Local, time: \"%Y-%m-%d %H:%M\", tz: Asia/Shanghai, format: "
        "\"%Y/%m/%d\" }\n"
        "    zoned: { path: $.Zoned, time: \"%Y-%m-%d %H:%M %z\" }\n",
        R"({"DocNo": "D", "Local": "2026-11-22 09:30", "H": 3, "Offset": "2026-11-22T01:30:00Z",
            "Summer": "2026-07-01 12:00:00", "Winter": "01.12.2026 12:00", "Zoned": "2026-11-22 09:30 +0530"})");
    CHECK(wo.at("window").at("start") == "2026-11-22T09:30:00+08:00");
    CHECK(wo.at("window").at("end") == "2026-11-22T13:00:00+08:00");
    CHECK(wo.at("due_by") == "2026-11-22T09:30:00+08:00");
    const auto& a = wo.at("attributes");
    CHECK(a.at("berlin_summer") == "2026-07-01T12:00:00+02:00");
    CHECK(a.at("berlin_winter") == "2026-12-01T12:00:00+01:00");
    CHECK(a.at("utc") == "2026-11-22T01:30:00Z");
    CHECK(a.at("plain") == "2026/11/22");
    CHECK(a.at("zoned") == "2026-11-22T09:30:00+05:30");
}

TEST_CASE("SAP dates, with and without offset, combine with a time of day") {
    auto wo = mapped(
        "  window:\n"
        "    start: { path: $.Date, time: sap, at: $.Time, tz: Europe/Berlin }\n"
        "    end: { path: $.Date, time: sap, at: \"17:00\", tz: Asia/Shanghai }\n"
        "  due_by: { path: $.Changed, time: sap }\n"
        "  attributes:\n"
        "    day: { path: $.Date, time: sap, format: \"%Y-%m-%d\" }\n"
        "    hhmmss: { path: $.Date, time: sap, at: \"083000\", tz: UTC }\n",
        R"({"DocNo": "D", "Date": "/Date(1763769600000)/", "Time": "PT09H30M00S",
            "Changed": "/Date(1763626542123+0000)/"})");
    CHECK(wo.at("window").at("start") == "2025-11-22T09:30:00+01:00");
    CHECK(wo.at("window").at("end") == "2025-11-22T17:00:00+08:00");
    CHECK(wo.at("due_by") == "2025-11-20T08:15:42.123Z");
    CHECK(wo.at("attributes").at("day") == "2025-11-22");
    CHECK(wo.at("attributes").at("hhmmss") == "2025-11-22T08:30:00+00:00");
}

TEST_CASE("unix times, seconds or milliseconds, as numbers or numeric text (Dolibarr, WooCommerce)") {
    auto wo = mapped(
        "  window:\n"
        "    start: { path: $.Delivery, time: unix, tz: Europe/Paris }\n"
        "    end: { path: $.DeliveryText, time: unix, tz: Europe/Paris, add: { hours: 2 } }\n"
        "  due_by: { path: $.Ms, time: unix_ms }\n"
        "  attributes:\n"
        "    day: { path: $.Delivery, time: unix, tz: Europe/Paris, format: \"%Y-%m-%d %H:%M\" }\n"
        "    before_1970: { path: $.Old, time: unix }\n",
        R"({"DocNo": "D", "Delivery": 1795420800, "DeliveryText": "1795420800", "Ms": 1795167667123, "Old": -86400})");
    CHECK(wo.at("window").at("start") == "2026-11-23T09:00:00+01:00");
    CHECK(wo.at("window").at("end") == "2026-11-23T11:00:00+01:00");
    CHECK(wo.at("due_by") == "2026-11-20T09:41:07.123Z");
    CHECK(wo.at("attributes").at("day") == "2026-11-23 09:00");
    CHECK(wo.at("attributes").at("before_1970") == "1969-12-31T00:00:00Z");
}

TEST_CASE("a unix time that is not a whole number fails naming the field, never a crash") {
    auto m = work_order_mapping("  due_by: { path: $.At, time: unix }\n");
    for (const char* at : {R"("soon")", R"("1795420800.5")", "1795420800.5", R"("")", R"("+1795420800")",
                           "99999999999999999999", R"("123456789012345678901234567890")", "true"}) {
        auto r = map_one(*m, std::string(R"({"DocNo": "D", "At": )") + at + "}");
        INFO(at);
        if (std::string(at) == R"("")") {  // no value: the field is left out
            CHECK(r.kind == MapResult::Kind::mapped);
            continue;
        }
        REQUIRE(r.kind == MapResult::Kind::failed);
        CHECK(r.error->path == "$.At");
    }
}

TEST_CASE("a number read by a time rule of another format says to use time: unix") {
    auto m = work_order_mapping("  due_by: { path: $.At, time: rfc3339 }\n");
    auto r = map_one(*m, R"({"DocNo": "D", "At": 1795420800})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK_THAT(r.error->message(), Catch::Contains("read with `time: unix`") && Catch::Contains("1795420800"));
}

TEST_CASE("a bad time of day fails naming it") {
    auto m = work_order_mapping("  due_by: { path: $.Date, time: sap, at: $.Time, tz: UTC }\n");
    auto r =
        map_one(*m, R"({"DocNo": "D", "Date": "/Date(1763769600000)/", "Time": "half past nine"})");
    REQUIRE(r.kind == MapResult::Kind::failed);
    CHECK(r.error->path == "$.Time");
}

TEST_CASE("phone numbers become E.164 with a default region") {
    auto f = "  customer: { name: x, phone: { path: $.P, phone: CN } }\n";
    auto phone = [&](const char* p) {
        auto r =
            map_one(*work_order_mapping(f), std::string(R"({"DocNo": "D", "P": ")") + p + "\"}");
        return r.kind == MapResult::Kind::mapped
                   ? std::string(r.work_order.at("customer").at("phone").as_string())
                   : std::string("failed");
    };
    CHECK(phone("139 1022 8834") == "+8613910228834");
    CHECK(phone("+86 186-0011-2233") == "+8618600112233");
    CHECK(phone("8613910228834") == "+8613910228834");
    CHECK(phone("010-84561234") == "+861084561234");
    CHECK(phone("+49 170 5550123") == "+491705550123");
    CHECK(phone("12345") == "failed");
    CHECK(phone("not a phone") == "failed");
}

TEST_CASE(
    "documents splits a page, columns name row arrays, group_by gathers rows into documents") {
    auto m = Mapping::compile(
        "key: $.No\ndocuments: $.rows[*]\ncolumns: [No, Sku, Qty]\ngroup_by: $.No\n"
        "work_order:\n  type: delivery\n  source_ref: $.No\n  customer: { name: c }\n  address: { "
        "text: a }\n"
        "  items: { each: \"$.lines[*]\", fields: { sku: $.Sku, quantity: $.Qty } }\n",
        "m.yaml");
    auto out = m->map(json::parse(R"({"rows": [["A", "s1", 1], ["B", "s2", 2], ["A", "s3", 3]]})"));
    REQUIRE(out.size() == 2);
    CHECK(out[0].document_id == "A");
    CHECK(out[0].work_order.at("items").as_array().size() == 2);
    CHECK(out[0].work_order.at("items").at(1).at("sku") == "s3");
    CHECK(out[1].document_id == "B");
    CHECK(out[1].work_order.at("items").as_array().size() == 1);
}

TEST_CASE("an array given to a mapping without `documents` is a list of documents") {
    auto m = work_order_mapping("");
    auto out = m->map(json::parse(R"([{"DocNo": "A"}, {"DocNo": "B"}])"));
    REQUIRE(out.size() == 2);
    CHECK(out[1].document_id == "B");
}

TEST_CASE("the Yonyou CSV groups rows by 发货单号 into documents with their lines") {
    std::string error;
    auto m = Mapping::load(repo("mappings/yonyou-u8/dispatchlist-to-delivery.yaml"));
    CHECK(m->input().charset == "GBK");
    CHECK(m->input().format == "csv");
}

TEST_CASE("a writeback mapping turns a status event into an ERP request") {
    auto m = Mapping::load(repo("mappings/generic-rest/delivery-completion.yaml"));
    REQUIRE(m->is_request());
    json::object context{{"event", sample("status-events/4-completed.json")},
                         {"work_order", json::object{{"id", "WO-delivery-CK20261120-0042"}}},
                         {"document", sample("generic-rest/shipment-CK20261120-0042.json")},
                         {"writeback", json::object{{"idempotency_key", "k-WO-0042-completed"}}}};
    auto r = m->map_request(context);
    INFO((r.error ? r.error->message() : ""));
    REQUIRE(r.kind == MapResult::Kind::mapped);
    CHECK(r.method == "POST");
    CHECK(r.url == "https://erp.example.com/api/shipments/CK20261120-0042/delivery-result");
    CHECK(r.headers.size() == 2);
    CHECK(r.headers[1] == std::pair<std::string, std::string>{
                              "Idempotency-Key", "k-WO-0042-completed"});
    CHECK(r.body.at("Result") == "delivered");
    CHECK(r.body.at("FinishedAt") == "2026-11-22 09:58:30");
    CHECK(r.body.at("Photos").as_array().size() == 2);
    CHECK(r.body.at("Lines").at(2).at("DeliveredQty") == 2);

    context["event"] = sample("status-events/2-en-route.json");
    CHECK(m->map_request(context).kind == MapResult::Kind::filtered);
}

TEST_CASE("a writeback mapping checks its request shape when compiled") {
    auto e = [](const std::string& text) {
        try {
            Mapping::compile(text, "w.yaml");
        } catch (const CompileError& err) {
            return std::string(err.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(e("request:\n  method: FETCH\n  url: x\n"),
               Catch::Contains("`FETCH` is not a valid request.method"));
    CHECK_THAT(e("request:\n  method: POST\n"), Catch::Contains("request needs `url`"));
    CHECK_THAT(e("request:\n  method: POST\n  url: x\n  bdy: {}\n"),
               Catch::Contains("unknown field `bdy` in request (did you mean `body`?)"));
}

TEST_CASE("let names a value once per document for every rule to read") {
    auto wo = mapped(
        "  customer: { name: $we.N, code: $we.C }\n  notes: { template: \"{{$we.N}}/{{$count}}\" "
        "}\n",
        R"({"DocNo": "D", "P": [{"F": "AG", "N": "sold", "C": "1"}, {"F": "WE", "N": "ship", "C": "2"}]})",
        "let:\n  we: $.P[?(@.F == \"WE\")]\n  count: { expr: 'count($.P[*])' }\n");
    CHECK(wo.at("customer").at("name") == "ship");
    CHECK(wo.at("customer").at("code") == "2");
    CHECK(wo.at("notes") == "ship/2");
}
