#include <catch2/catch.hpp>

#include "decode/charset.h"
#include "mapping/mapping.h"
#include "writeback/classify.h"

using fb::core::ErpAnswer;
using fb::writeback::classify;
using Kind = fb::writeback::Verdict::Kind;

namespace {
ErpAnswer answer(int status, std::string body = "", std::map<std::string, std::string> headers = {}) {
    ErpAnswer a;
    a.status = status;
    a.body = std::move(body);
    a.headers = std::move(headers);
    return a;
}
}  // namespace

TEST_CASE("ERP answers are classified: 2xx success, 409/412/428 conflict, 429/5xx retry, other 4xx permanent") {
    boost::json::object ctx;
    CHECK(classify(answer(200), nullptr, ctx).kind == Kind::success);
    CHECK(classify(answer(204), nullptr, ctx).kind == Kind::success);
    for (int s : {409, 412, 428}) CHECK(classify(answer(s), nullptr, ctx).kind == Kind::conflict);
    for (int s : {408, 429, 500, 502, 503}) CHECK(classify(answer(s), nullptr, ctx).kind == Kind::retry);
    for (int s : {400, 401, 403, 404, 422, 302}) CHECK(classify(answer(s), nullptr, ctx).kind == Kind::permanent);
    ErpAnswer down;
    down.transport = ErpAnswer::Transport::connection_error;
    down.error = "connect 127.0.0.1:9: refused";
    CHECK(classify(down, nullptr, ctx).kind == Kind::retry);
    CHECK(classify(down, nullptr, ctx).retry_after.count() == -1);  // the worker's backoff decides
    down.retry_after_ms = 4000;  // the sink knows when to try again (its login backs off)
    CHECK(classify(down, nullptr, ctx).retry_after == std::chrono::seconds(4));
    ErpAnswer slow;
    slow.transport = ErpAnswer::Transport::timeout;
    CHECK(classify(slow, nullptr, ctx).kind == Kind::retry);
}

TEST_CASE("a redirect is permanent and its reason says where it led, since it is not followed") {
    boost::json::object ctx;
    auto moved = classify(answer(307, "", {{"location", "https://erp-new.example.com/api/x"}}), nullptr, ctx);
    CHECK(moved.kind == Kind::permanent);
    CHECK_THAT(moved.reason, Catch::StartsWith("redirect to https://erp-new.example.com/api/x not followed") &&
                                 Catch::Contains("HTTP 307"));
    CHECK_THAT(classify(answer(302), nullptr, ctx).reason, Catch::StartsWith("redirect to (no Location)"));
}

TEST_CASE("a refusal the ERP wrote at length is cut in the verdict's reason, between characters") {
    ErpAnswer a = answer(200, R"({"error":{}})");
    a.refusal = ErpAnswer::Refusal::permanent;
    a.refusal_of_answer = true;
    std::string long_text;
    for (int i = 0; i < 200000; ++i) long_text += "错";  // 3 bytes each: 600 kB
    a.refusal_reason = "JSON-RPC error odoo.exceptions.UserError: " + long_text;
    auto v = classify(a, nullptr, {});
    CHECK(v.kind == Kind::permanent);
    CHECK(v.reason.size() < 1500);
    CHECK(v.reason.starts_with("JSON-RPC error odoo.exceptions.UserError: 错错"));
    auto cut_at = v.reason.find("…");
    REQUIRE(cut_at != std::string::npos);
    const std::string prefix = "JSON-RPC error odoo.exceptions.UserError: ";
    CHECK((cut_at - prefix.size()) % 3 == 0);  // whole characters only: still UTF-8
}

TEST_CASE("Retry-After is honoured and a refusal carries the ERP's answer") {
    boost::json::object ctx;
    auto v = classify(answer(429, "", {{"retry-after", "7"}}), nullptr, ctx);
    CHECK(v.kind == Kind::retry);
    CHECK(v.retry_after == std::chrono::seconds(7));
    auto backing_off = answer(0);  // a sink's login waiting out its backoff: its own "not before"
    backing_off.refusal = ErpAnswer::Refusal::retry;
    backing_off.retry_after_ms = 4000;
    CHECK(classify(backing_off, nullptr, ctx).retry_after == std::chrono::seconds(4));
    backing_off.status = 503;
    backing_off.headers["retry-after"] = "9";  // the longer of the two
    CHECK(classify(backing_off, nullptr, ctx).retry_after == std::chrono::seconds(9));
    auto refused = classify(answer(422, R"({"message":"DocNo CK-1 is closed"})"), nullptr, ctx);
    CHECK(refused.kind == Kind::permanent);
    CHECK_THAT(refused.reason, Catch::Contains("HTTP 422") && Catch::Contains("DocNo CK-1 is closed"));
}

TEST_CASE("a 200 whose body says error is not a success when the mapping's success rule says so") {
    auto rules = fb::mapping::Mapping::compile(R"(
name: rpc
request: { method: POST, url: "http://erp/jsonrpc", body: { id: 1 } }
success: not exists($.response.body.error) and exists($.response.body.result) and $.response.body.result != null
)", "rpc.yaml");
    boost::json::object ctx{{"event", boost::json::object{}}};
    CHECK(classify(answer(200, R"({"jsonrpc":"2.0","id":1,"result":true})"), rules.get(), ctx).kind == Kind::success);
    // An answer over max_body_bytes: the rule cannot be read: permanent, saying so; without a
    // rule a 2xx is a success whatever its body.
    auto big = answer(200);
    big.body_over_limit = true;
    auto unread = classify(big, rules.get(), ctx);
    CHECK(unread.kind == Kind::permanent);
    CHECK_THAT(unread.reason, Catch::StartsWith("the success rule cannot read an answer over max_body_bytes: raise the sink's max_body_bytes") &&
                                  Catch::Contains("HTTP 200 (its body is over the sink's max_body_bytes: not read)"));
    CHECK(classify(big, nullptr, ctx).kind == Kind::success);
    auto error = classify(answer(200, R"({"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"Record does not exist"}})"),
                          rules.get(), ctx);
    CHECK(error.kind == Kind::permanent);
    CHECK_THAT(error.reason, Catch::Contains("success rule") && Catch::Contains("Record does not exist"));
    // A silent no-op (`null` result) is not a success either.
    CHECK(classify(answer(200, R"({"jsonrpc":"2.0","id":1,"result":null})"), rules.get(), ctx).kind == Kind::permanent);
}

TEST_CASE("an answer summary is cut between characters, so the trace keeps valid UTF-8") {
    // Cut at a byte count, "HTTP 400 单据…" lost half a character (found by fuzz_erp_answer).
    fb::core::ErpAnswer a;
    a.status = 400;
    a.body = "单据编号不存在";  // 3 bytes a character
    for (std::size_t limit = 9; limit < 9 + a.body.size(); ++limit) {
        auto s = fb::writeback::answer_summary(a, limit);
        INFO(limit << ": " << s);
        CHECK(fb::decode::utf8_problem(s).empty());
        CHECK(s.size() <= limit + std::string("…").size());
        CHECK(s.ends_with("…"));
    }
    CHECK(fb::writeback::answer_summary(a, 12) == "HTTP 400 单…");
    CHECK(fb::writeback::answer_summary(a, 13) == "HTTP 400 单…");
}

TEST_CASE("a mapping's classify rules judge the ERP's own codes before the built-in table") {
    // Frappe: 417 is a stale `modified` (conflict) or a validation error (permanent) by exc_type.
    auto rules = fb::mapping::Mapping::compile(R"(
name: frappe
request: { method: PUT, url: "http://erp/api/resource/Delivery%20Note/DN-1", body: { docstatus: 1 } }
classify:
  conflict: $.response.status == 417 and $.response.body.exc_type == "TimestampMismatchError"
  retry: $.response.body.exc_type == "QueryDeadlockError"
  success: $.response.status == 404 and $.request_was_delete == true
success: $.response.body.data.docstatus == 1
)", "frappe.yaml");
    boost::json::object ctx{{"event", boost::json::object{}}};
    auto stale = classify(answer(417, R"({"exc_type":"TimestampMismatchError","exception":"modified after you opened it"})"),
                          rules.get(), ctx);
    CHECK(stale.kind == Kind::conflict);
    CHECK_THAT(stale.reason, Catch::Contains("classify: conflict") && Catch::Contains("HTTP 417"));
    CHECK(classify(answer(417, R"({"exc_type":"ValidationError"})"), rules.get(), ctx).kind == Kind::permanent);
    CHECK(classify(answer(500, R"({"exc_type":"QueryDeadlockError"})"), rules.get(), ctx).kind == Kind::retry);
    CHECK(classify(answer(200, R"({"exc_type":"QueryDeadlockError"})"), rules.get(), ctx).kind == Kind::retry);
    // No rule holds: the table and `success:` decide as before.
    CHECK(classify(answer(200, R"({"data":{"docstatus":1}})"), rules.get(), ctx).kind == Kind::success);
    CHECK(classify(answer(200, R"({"data":{"docstatus":0}})"), rules.get(), ctx).kind == Kind::permanent);
    CHECK(classify(answer(412), rules.get(), ctx).kind == Kind::conflict);
    CHECK(classify(answer(503, "<html>down</html>"), rules.get(), ctx).kind == Kind::retry);
    // A 404 is permanent unless a rule says otherwise; here one does.
    boost::json::object deleting{{"request_was_delete", true}};
    CHECK(classify(answer(404), rules.get(), deleting).kind == Kind::success);
    CHECK(classify(answer(404), rules.get(), ctx).kind == Kind::permanent);
}

TEST_CASE("classify rules overrule a sink's reading of its protocol, never a failed step before the request") {
    // The jsonrpc sink reads Odoo's `error` in a 200 as permanent; a rule may say retry (and an
    // answer no rule names keeps the sink's verdict). A failed login or CSRF fetch is not the
    // request's answer: rules over `$.response` do not judge it.
    auto rules = fb::mapping::Mapping::compile(R"(
name: odoo
request: { method: POST, url: "http://erp/web/dataset/call_kw", body: { model: stock.picking } }
classify:
  retry: $.response.body.error.data.name == "odoo.exceptions.ValidationError"
  success: $.response.body.error.data.name == "odoo.exceptions.AlreadyDone"
)", "odoo.yaml");
    boost::json::object ctx;
    auto rpc_error = [](const std::string& name, ErpAnswer::Refusal how) {
        auto a = answer(200, R"({"jsonrpc":"2.0","id":1,"error":{"code":200,"data":{"name":")" + name + R"("}}})");
        a.refusal = how;
        a.refusal_reason = "JSON-RPC error " + name;
        a.refusal_of_answer = true;
        return a;
    };
    auto retried = classify(rpc_error("odoo.exceptions.ValidationError", ErpAnswer::Refusal::permanent), rules.get(), ctx);
    CHECK(retried.kind == Kind::retry);
    CHECK_THAT(retried.reason, Catch::StartsWith("classify: retry"));
    CHECK(classify(rpc_error("odoo.exceptions.AlreadyDone", ErpAnswer::Refusal::permanent), rules.get(), ctx).kind ==
          Kind::success);
    auto kept = classify(rpc_error("odoo.exceptions.AccessError", ErpAnswer::Refusal::permanent), rules.get(), ctx);
    CHECK(kept.kind == Kind::permanent);
    CHECK_THAT(kept.reason, Catch::StartsWith("JSON-RPC error odoo.exceptions.AccessError"));
    CHECK(classify(rpc_error("psycopg2.OperationalError", ErpAnswer::Refusal::retry), nullptr, ctx).kind == Kind::retry);

    auto step = rpc_error("odoo.exceptions.ValidationError", ErpAnswer::Refusal::permanent);
    step.refusal_of_answer = false;  // e.g. "CSRF token fetch GET … answered without a token"
    CHECK(classify(step, rules.get(), ctx).kind == Kind::permanent);
}

TEST_CASE("classify rules are checked when the mapping compiles") {
    CHECK_THROWS_WITH(fb::mapping::Mapping::compile(R"(
name: bad
request: { method: POST, url: "http://erp/x" }
classify: { later: $.response.status == 418 }
)", "bad.yaml"), Catch::Contains("`classify` verdict `later` is not one of success, retry, conflict, permanent"));
    CHECK_THROWS_WITH(fb::mapping::Mapping::compile(R"(
name: bad
request: { method: POST, url: "http://erp/x" }
classify: [retry]
)", "bad.yaml"), Catch::Contains("`classify` takes a map"));
}
