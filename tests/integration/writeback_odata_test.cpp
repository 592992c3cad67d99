// SAP S/4HANA OData v2 writeback (mappings/sap-s4/outbound-delivery-goods-issue.yaml) over the http
// sink against a simulated API_OUTBOUND_DELIVERY_SRV: X-CSRF-Token fetched with the session
// cookies and sent back, the delivery's ETag read before the write and sent as If-Match; a 412
// (changed meanwhile) re-reads the ETag, an expired token (403 Required) is fetched again.
#include <catch2/catch.hpp>

#include <boost/beast/core/detail/base64.hpp>

#include "http/auth.h"
#include "writeback_http_support.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

const std::string service = "/sap/opu/odata/sap/API_OUTBOUND_DELIVERY_SRV;v=0002/";
const std::string password = "s4-pass-SECRET";

// The parts of S/4 that a goods issue touches, with its optimistic locking and CSRF protection.
struct S4 {
    std::mutex mutex;
    int tokens = 0, etag_version = 1, goods_issues = 0;
    bool change_before_first_post = true;  // another user changes the delivery after our read
    bool expire_token_on_second_post = true;
    int posts = 0;
    std::string token, session = "sap-sess-SECRET-1";

    std::string etag() const { return "W/\"datetime'2026-11-22T10:0" + std::to_string(etag_version) + "'\""; }

    std::optional<fb::test::Response> handle(const Received& r) {
        std::lock_guard lock(mutex);
        if (r.header("authorization") != "Basic " + fb::http::base64("FSM_WB:" + password))
            return answer(401, "");
        auto cookie_ok = r.header("cookie").find("SAP_SESSIONID_S4H_100=" + session) != std::string::npos;
        if (r.method == "GET" && r.target == service && r.header("x-csrf-token") == "Fetch") {
            token = "csrf-SECRET-" + std::to_string(++tokens);
            return answer(200, R"({"d":{"EntitySets":[]}})",
                          {{"X-CSRF-Token", token},
                           {"Set-Cookie", "SAP_SESSIONID_S4H_100=" + session + "; path=/; HttpOnly"},
                           {"Set-Cookie", "sap-usercontext=sap-client=100; path=/"}});
        }
        if (r.method == "GET" && r.target == service + "A_OutbDeliveryHeader('80004711')")
            return answer(200, R"({"d":{"DeliveryDocument":"80004711"}})", {{"ETag", etag()}});
        if (r.method == "POST" && r.target == service + "PostGoodsIssue?DeliveryDocument='80004711'") {
            ++posts;
            if (!cookie_ok || r.header("x-csrf-token") != token || (posts == 2 && expire_token_on_second_post))
                return answer(403, "CSRF token validation failed", {{"X-CSRF-Token", "Required"}});
            if (posts == 1 && change_before_first_post) ++etag_version;
            if (r.header("if-match") != etag())
                return answer(412, R"({"error":{"code":"/IWBEP/CM_MGW_RT/020","message":{"lang":"en","value":"Precondition failed"}}})");
            ++goods_issues;
            ++etag_version;
            return answer(200, R"({"d":{"DeliveryDocument":"80004711","OverallGoodsMovementStatus":"C"}})");
        }
        return answer(404, R"({"error":{"message":{"value":"Resource not found"}}})");
    }
};

}  // namespace

TEST_CASE("SAP S/4 OData: goods issue with CSRF token and If-Match, 412 re-reads the ETag, 403 Required fetches a new token") {
    StateFile state("wb-odata.db");
    S4 s4;
    ErpSimulator erp([&](const Received& r) { return s4.handle(r); });
    FlowYaml flow;
    flow.mapping = "mappings/sap-s4/outbound-delivery-to-delivery.yaml";
    flow.writeback = "mappings/sap-s4/outbound-delivery-goods-issue.yaml";
    flow.sink = "base_url: \"" + erp.url() + "\", auth: { basic: { user: FSM_WB, password: " + password + " } }, "
                "csrf: { url: \"" + service + "\" }, "
                "etag: { url: \"" + service + "A_OutbDeliveryHeader({{$.request.query.DeliveryDocument}})\" }";
    RunningApp daemon(http_loop_config(state.path, {flow}));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery",
                         sample("sap-s4-odata/A_OutbDeliveryHeader-page1.json")).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-delivery-80004711", "gi-1")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));

    CHECK(s4.goods_issues == 1);
    auto posts = erp.received("POST", service + "PostGoodsIssue");
    REQUIRE(posts.size() == 3);
    // 1: the ETag read before it went stale → 412. 2: the ETag read again, but the token had
    // expired → 403 Required. 3: a new token, the same fresh ETag → applied.
    CHECK(posts[0].header("if-match") == "W/\"datetime'2026-11-22T10:01'\"");
    CHECK(posts[1].header("if-match") == "W/\"datetime'2026-11-22T10:02'\"");
    CHECK(posts[2].header("if-match") == "W/\"datetime'2026-11-22T10:02'\"");
    CHECK(posts[0].header("x-csrf-token") == "csrf-SECRET-1");
    CHECK(posts[1].header("x-csrf-token") == "csrf-SECRET-1");
    CHECK(posts[2].header("x-csrf-token") == "csrf-SECRET-2");
    for (const auto& p : posts) {
        CHECK(p.header("cookie").find("SAP_SESSIONID_S4H_100=sap-sess-SECRET-1") != std::string::npos);
        CHECK(p.header("cookie").find("sap-usercontext=sap-client=100") != std::string::npos);
    }
    CHECK(keys_of(posts).size() == 1);
    // Read before every send: the token retry within a send keeps the ETag it just read.
    CHECK(erp.received("GET", service + "A_OutbDeliveryHeader").size() == 2);
    CHECK(s4.tokens == 2);
    CHECK(attempt_results(state.path, "delivery", "80004711") == std::vector<std::string>{"conflict", "success"});
    // The trace shows the sink's own requests and the If-Match each write carried: a 412 that
    // repeats can be read off it.
    CHECK(attempt_steps(state.path, "delivery", "80004711") ==
          std::vector<std::string>{"csrf_fetch: success", "etag_read: success", "request: conflict",
                                   "etag_read: success", "csrf_expired: failed", "csrf_fetch: success",
                                   "request: success"});
    auto attempts = trace(state.path, "delivery", "80004711").at("writebacks").at(0).at("attempts").as_array();
    INFO(json::serialize(attempts));
    CHECK(attempts[1].at("answer") == "ETag W/\"datetime'2026-11-22T10:01'\"");
    CHECK(attempts[2].at("request").as_string().ends_with("(If-Match: W/\"datetime'2026-11-22T10:01'\")"));
    CHECK(attempts[2].at("http_status") == 412);
    CHECK_THAT(std::string(attempts[2].at("reason").as_string()), Catch::Contains("HTTP 412"));
    CHECK(attempts[6].at("request").as_string().ends_with("(If-Match: W/\"datetime'2026-11-22T10:02'\")"));
    CHECK(attempts[6].at("reason").is_null());

    auto bytes = state_bytes(state.path);
    for (const std::string& secret : {password, fb::http::base64("FSM_WB:" + password),
                                     std::string("csrf-SECRET"), std::string("sap-sess-SECRET")})
        CHECK(bytes.find(secret) == std::string::npos);
}
