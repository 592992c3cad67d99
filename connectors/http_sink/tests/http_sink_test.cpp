// The http and jsonrpc sinks on their own, against loopback ERPs: config errors with
// file:line:col, where requests go, the CSRF token and ETag steps, JSON-RPC envelopes and
// answers, login failures, size limits and masking. End-to-end runs are in tests/integration/.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sys/wait.h>

#include "config/config.h"
#include "connectors/http_sink/http_sink.h"
#include "connectors/http_sink/jsonrpc.h"
#include "support/eventually.h"
#include "support/loopback_server.h"
#include "support/temp_dir.h"
#include "writeback/classify.h"
#include "support/source_dir.h"

namespace json = boost::json;
namespace bhttp = boost::beast::http;
using fb::connectors::http_sink::HttpSink;
using fb::connectors::http_sink::Spec;
using fb::core::ErpAnswer;
using fb::core::ErpRequest;

namespace {

std::string config_text(const std::string& sink) {
    return "flows:\n"
           "  - name: delivery\n"
           "    source: { type: webhook }\n"
           "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
           "    writeback:\n"
           "      mapping: mappings/generic-rest/delivery-completion.yaml\n"
           "      sink:\n" + sink;
}

std::shared_ptr<const Spec> spec_of(const std::string& sink) {
    auto c = fb::config::parse(config_text(sink), "sink.yaml", FB_SOURCE_DIR);
    return std::dynamic_pointer_cast<const Spec>(c.flows.at(0).writeback.sink.spec);
}

std::string config_error(const std::string& sink) {
    try {
        fb::config::parse(config_text(sink), "sink.yaml", FB_SOURCE_DIR);
    } catch (const fb::config::ConfigError& e) {
        return e.what();
    }
    return "";
}

ErpRequest post(const std::string& url, const std::string& body = R"({"a":1})") {
    return ErpRequest{"POST", url, {{"Idempotency-Key", "k-1"}}, body, "k-1"};
}

constexpr std::chrono::milliseconds timeout{10000};

// Requests as the loopback ERP saw them.
struct Seen {
    std::mutex mutex;
    std::vector<fb::test::Request> requests;
    void add(const fb::test::Request& r) {
        std::lock_guard lock(mutex);
        requests.push_back(r);
    }
    std::vector<fb::test::Request> all() {
        std::lock_guard lock(mutex);
        return requests;
    }
};

}  // namespace

TEST_CASE("http sink config: what is wrong is named with file:line:col") {
    CHECK_THAT(config_error("        type: http\n        base_url: erp.example.com\n"),
               Catch::Contains("sink.yaml:9:19") && Catch::Contains("base_url must be an http(s) URL"));
    CHECK_THAT(config_error("        type: jsonrpc\n        csrf: { url: /x }\n"),
               Catch::Contains("sink.yaml:9:15") && Catch::Contains("csrf is for OData-style http sinks"));
    CHECK_THAT(config_error("        type: http\n        jsonrpc: { method: call }\n"),
               Catch::Contains("jsonrpc options need `type: jsonrpc`"));
    CHECK_THAT(config_error("        type: http\n        etag: { url: same, header: ETag, body: $.d.etag }\n"),
               Catch::Contains("not both"));
    CHECK_THAT(config_error("        type: http\n        csrf: { header: X-CSRF-Token }\n"),
               Catch::Contains("missing required field `url`"));
    CHECK_THAT(config_error("        type: http\n        login: { request: mappings/generic-rest/poll-login.yaml, name: $.token }\n"),
               Catch::Contains("session_header"));
    CHECK_THAT(config_error("        type: http\n        bse_url: http://x\n"), Catch::Contains("bse_url"));
    CHECK_THAT(config_error("        type: soap\n"), Catch::Contains("known: file_export, http, jsonrpc"));
    CHECK_THAT(config_error("        type: http\n        etag: { url: \"{{$.request.query.X\" }\n"),
               Catch::Contains("etag.url is not a template"));
    auto spec = spec_of("        type: jsonrpc\n        base_url: https://odoo.example.com/\n");
    REQUIRE(spec);
    CHECK(spec->jsonrpc);
    CHECK(spec->base_url == "https://odoo.example.com");
}

TEST_CASE("http sink: the configured base_url decides where requests go, the endpoint is scheme://host:port") {
    Seen seen;
    fb::test::LoopbackServer erp([&](const fb::test::Request& r) {
        seen.add(r);
        return fb::test::reply(201, R"({"id":7})");
    });
    HttpSink sink(spec_of("        type: http\n        base_url: \"" + erp.url("/erp") + "\"\n"
                          "        auth: { headers: { X-Tenant: acme } }\n"));
    CHECK(sink.endpoint(post("https://erp.example.com/api/x")) == "http://127.0.0.1:" + std::to_string(erp.port()));
    auto a = sink.send(post("https://erp.example.com/api/x?y=1"), timeout);
    CHECK(a.status == 201);
    CHECK(a.refusal == ErpAnswer::Refusal::none);
    CHECK(sink.send(post("api/relative"), timeout).status == 201);
    auto got = seen.all();
    REQUIRE(got.size() == 2);
    CHECK(got[0].target() == "/api/x?y=1");  // the mapping's placeholder host replaced
    CHECK(got[1].target() == "/erp/api/relative");
    CHECK(got[0]["X-Tenant"] == "acme");
    CHECK(got[0]["Content-Type"] == "application/json");
    CHECK(got[0]["Idempotency-Key"] == "k-1");

    HttpSink nowhere(spec_of("        type: http\n"));
    auto refused = nowhere.send(post("/api/x"), timeout);
    CHECK(refused.refusal == ErpAnswer::Refusal::permanent);
    CHECK_THAT(refused.refusal_reason, Catch::Contains("no base_url"));
}

TEST_CASE("http sink: a CSRF token is fetched once and reused with the cookies it came with") {
    Seen seen;
    std::atomic<int> fetches{0};
    fb::test::LoopbackServer erp([&](const fb::test::Request& r) {
        seen.add(r);
        if (r["X-CSRF-Token"] == "Fetch") {
            auto res = fb::test::reply(200, "{}");
            res.set("X-CSRF-Token", "tok-" + std::to_string(++fetches));
            res.insert(bhttp::field::set_cookie, "SAP_SESSIONID=s-1; path=/");
            return res;
        }
        return fb::test::reply(r["X-CSRF-Token"] == "tok-1" && r[bhttp::field::cookie] == "SAP_SESSIONID=s-1" ? 200 : 403, "{}");
    });
    HttpSink sink(spec_of("        type: http\n        base_url: \"" + erp.url() + "\"\n        csrf: { url: /odata/ }\n"));
    CHECK(sink.send(post("/odata/Post?x=1"), timeout).status == 200);
    CHECK(sink.send(post("/odata/Post?x=2"), timeout).status == 200);
    CHECK(sink.send(ErpRequest{"GET", "/odata/Thing", {}, "", "k"}, timeout).status == 403);  // a read needs no token
    CHECK(fetches == 1);
    auto got = seen.all();
    REQUIRE(got.size() == 4);
    CHECK(got[0].target() == "/odata/");
    CHECK(got[0].count("Idempotency-Key") == 0);
}

TEST_CASE("http sink: the ETag is read from the body when configured, a read without one is refused for good") {
    std::atomic<bool> with_etag{true};
    Seen seen;
    fb::test::LoopbackServer erp([&](const fb::test::Request& r) {
        seen.add(r);
        if (r.method() == bhttp::verb::get)
            return fb::test::reply(200, with_etag ? R"({"d":{"__metadata":{"etag":"W/\"v7\""}}})" : R"({"d":{}})");
        return fb::test::reply(r["If-Match"] == "W/\"v7\"" ? 204 : 412, "");
    });
    HttpSink sink(spec_of("        type: http\n        base_url: \"" + erp.url() + "\"\n"
                          "        etag: { url: \"/odata/Header('{{$.request.body.id}}')\", body: $.d.__metadata.etag }\n"));
    CHECK(sink.send(post("/odata/Post", R"({"id":"80001"})"), timeout).status == 204);
    REQUIRE(seen.all().size() == 2);
    CHECK(seen.all()[0].target() == "/odata/Header('80001')");
    with_etag = false;
    auto a = sink.send(post("/odata/Post", R"({"id":"80001"})"), timeout);
    CHECK(a.refusal == ErpAnswer::Refusal::permanent);
    CHECK_THAT(a.refusal_reason, Catch::Contains("answered without an ETag (body $.d.__metadata.etag)"));
    CHECK(seen.all().size() == 3);  // the write was not sent without its ETag
    auto v = fb::writeback::classify(a, nullptr, {});
    CHECK(v.kind == fb::writeback::Verdict::Kind::permanent);
}

TEST_CASE("jsonrpc sink: the body goes as params of a 2.0 call, errors in a 200 are refusals by their name") {
    std::atomic<int> call{0};
    fb::test::LoopbackServer erp([&](const fb::test::Request& r) {
        auto v = json::parse(r.body()).as_object();
        auto id = v.at("id");
        auto n = ++call;
        if (n == 1) return fb::test::reply(200, json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id},
                                                                              {"result", v.at("params")}}));
        if (n == 2)
            return fb::test::reply(200, R"({"jsonrpc":"2.0","id":2,"error":{"code":200,"message":"Odoo Server Error","data":{"name":"odoo.exceptions.AccessError","message":"not allowed"}}})");
        if (n == 3)
            return fb::test::reply(200, R"({"jsonrpc":"2.0","id":3,"error":{"code":200,"message":"x","data":{"name":"psycopg2.errors.SerializationFailure","message":"retry"}}})");
        return fb::test::reply(200, "<html>login</html>", "text/html");
    });
    HttpSink sink(spec_of("        type: jsonrpc\n        base_url: \"" + erp.url() + "\"\n"));
    auto ok = sink.send(post("/web/dataset/call_kw", R"({"model":"stock.picking","args":[[1]]})"), timeout);
    CHECK(ok.refusal == ErpAnswer::Refusal::none);
    auto echoed = json::parse(ok.body);
    CHECK(echoed.at("id") == 1);
    CHECK(echoed.at("result").at("model") == "stock.picking");
    auto denied = sink.send(post("/web/dataset/call_kw"), timeout);
    CHECK(denied.status == 200);
    CHECK(denied.refusal == ErpAnswer::Refusal::permanent);
    CHECK(denied.refusal_reason == "JSON-RPC error odoo.exceptions.AccessError: not allowed");
    CHECK(fb::writeback::classify(denied, nullptr, {}).reason.starts_with("JSON-RPC error odoo.exceptions.AccessError"));
    CHECK(sink.send(post("/web/dataset/call_kw"), timeout).refusal == ErpAnswer::Refusal::retry);
    auto html = sink.send(post("/web/dataset/call_kw"), timeout);
    CHECK(html.refusal == ErpAnswer::Refusal::permanent);
    CHECK_THAT(html.refusal_reason, Catch::Contains("not a JSON-RPC response"));
    auto bad = sink.send(post("/web/dataset/call_kw", "\"just text\""), timeout);
    CHECK(bad.refusal == ErpAnswer::Refusal::permanent);
    CHECK(call == 4);  // a body that cannot be params is never sent
}

TEST_CASE("http sink: a failed login is retried, not a success, secrets are masked in answers, oversized answers keep their status") {
    std::atomic<bool> login_ok{false};
    std::atomic<int> logins{0};
    fb::test::LoopbackServer erp([&](const fb::test::Request& r) {
        if (r.target() == "/api/login") {
            ++logins;
            auto res = fb::test::reply(200, login_ok ? R"({"token":"tok-SECRET-1"})" : R"({"error":"bad password"})");
            return res;
        }
        if (r["Authorization"] != "Bearer tok-SECRET-1") return fb::test::reply(401, "");
        if (r.target() == "/big") return fb::test::reply(200, std::string(4096, 'x'));
        if (r.target() == "/big503") return fb::test::reply(503, std::string(4096, 'x'));
        return fb::test::reply(200, "echo " + std::string(r["Authorization"]) + " pw-SECRET-9");
    });
    HttpSink sink(spec_of("        type: http\n        base_url: \"" + erp.url() + "\"\n"
                          "        max_body_bytes: 2048\n"
                          "        vars: { base: \"" + erp.url("") + "\", user: u, password: pw-SECRET-9 }\n"
                          "        login: { request: mappings/generic-rest/poll-login.yaml, from: body, name: $.token }\n"
                          "        session_header: { name: Authorization, prefix: \"Bearer \" }\n"));
    auto failed = sink.send(post("/w"), timeout);
    CHECK(failed.refusal == ErpAnswer::Refusal::retry);
    CHECK_THAT(failed.refusal_reason, Catch::Contains("without a session value"));
    auto verdict = fb::writeback::classify(failed, nullptr, {});
    CHECK(verdict.kind == fb::writeback::Verdict::Kind::retry);
    // Tried again when the session will log in again (1 s after the first failed login), not
    // at the worker's own backoff to fail fast once more.
    CHECK(failed.retry_after_ms == 1000);
    CHECK(verdict.retry_after == std::chrono::seconds(1));
    login_ok = true;
    // The next login waits out the backoff (1 s after the first failure): sends before it are
    // retries that make no login (login_backoff_test.cpp counts them by its own clock).
    ErpAnswer ok;
    REQUIRE(fb::testing::eventually([&] {
        ok = sink.send(post("/w"), timeout);
        return ok.status == 200;
    }));
    CHECK(logins == 2);
    CHECK(ok.body == "echo Bearer *** ***");
    // An answer over max_body_bytes keeps its status, its body unread: a 200 is a write the ERP
    // applied (not "refused", to be replayed), a 503 a retry.
    auto big = sink.send(post("/big"), timeout);
    CHECK(big.status == 200);
    CHECK(big.body_over_limit);
    CHECK(big.body.empty());
    CHECK(big.refusal == ErpAnswer::Refusal::none);
    CHECK(fb::writeback::classify(big, nullptr, {}).kind == fb::writeback::Verdict::Kind::success);
    auto busy = sink.send(post("/big503"), timeout);
    CHECK(busy.status == 503);
    CHECK(fb::writeback::classify(busy, nullptr, {}).kind == fb::writeback::Verdict::Kind::retry);
}

TEST_CASE("http sink: a login the ERP does not answer (connection refused) is retried when the next login is due") {
    std::atomic<int> writes{0};
    fb::test::LoopbackServer erp([&](const fb::test::Request&) {
        ++writes;
        return fb::test::reply(200, "{}");
    });
    std::string login_url;
    {
        fb::test::LoopbackServer gone([](const fb::test::Request&) { return fb::test::reply(200, "{}"); });
        login_url = gone.url("");
    }  // closed: nothing listens there now
    HttpSink sink(spec_of("        type: http\n        base_url: \"" + erp.url() + "\"\n"
                          "        login_base_url: \"" + login_url + "\"\n"
                          "        vars: { base: \"" + login_url + "\", user: u, password: pw-SECRET-9 }\n"
                          "        login: { request: mappings/generic-rest/poll-login.yaml, from: body, name: $.token }\n"
                          "        session_header: { name: Authorization, prefix: \"Bearer \" }\n"));
    auto failed = sink.send(post("/w"), timeout);
    CHECK(failed.transport != ErpAnswer::Transport::answered);
    CHECK_THAT(failed.error, Catch::Contains("login"));
    CHECK_THAT(failed.error, !Catch::Contains("pw-SECRET-9"));
    CHECK(failed.retry_after_ms == 1000);  // the session's first login backoff
    auto verdict = fb::writeback::classify(failed, nullptr, {});
    CHECK(verdict.kind == fb::writeback::Verdict::Kind::retry);
    CHECK(verdict.retry_after == std::chrono::seconds(1));
    CHECK(writes == 0);  // nothing went to the ERP without a session
}

TEST_CASE("http sink: a JSON answer keeps its shape when a secret is also a word in it, only its strings are masked") {
    // The ERP (or a proxy in front of it) sets a cookie whose value is `true`: every cookie
    // value is masked, and masked as text the answer read {"ok": ***}.
    fb::test::LoopbackServer erp([&](const fb::test::Request&) {
        auto res = fb::test::reply(200, R"({"ok":true,"note":"saved, remember=true","user":"pw-SECRET-9"})");
        res.set(bhttp::field::set_cookie, "remember=true; Path=/");
        return res;
    });
    HttpSink sink(spec_of("        type: http\n        base_url: \"" + erp.url() + "\"\n"
                          "        vars: { password: pw-SECRET-9 }\n"));
    sink.send(post("/w"), timeout);  // the cookie is kept from here on
    auto a = sink.send(post("/w"), timeout);
    REQUIRE(a.status == 200);
    INFO(a.body);
    auto body = json::parse(a.body).as_object();
    CHECK(body.at("ok") == true);
    CHECK(body.at("note") == "saved, remember=***");
    CHECK(body.at("user") == "***");
    CHECK(a.body.find("pw-SECRET-9") == std::string::npos);
}

TEST_CASE("fieldbridge check validates http and jsonrpc sinks, and names the line of a mistake") {
    fb::test::TempDir dir("http-sink-check");
    auto flows = [](const std::string& odoo_extra) {
        return std::string("flows:\n") +
               "  - name: s4\n    source: { type: webhook }\n"
               "    mapping: " + FB_SOURCE_DIR + "/mappings/sap-s4/outbound-delivery-to-delivery.yaml\n"
               "    writeback:\n      mapping: " + FB_SOURCE_DIR + "/mappings/sap-s4/outbound-delivery-goods-issue.yaml\n"
               "      sink:\n        type: http\n        base_url: https://s4.example.com\n"
               "        auth: { basic: { user: FSM_WB, password: x-secret } }\n"
               "        csrf: { url: \"/sap/opu/odata/sap/API_OUTBOUND_DELIVERY_SRV;v=0002/\" }\n"
               "        etag: { url: \"/sap/opu/odata/sap/API_OUTBOUND_DELIVERY_SRV;v=0002/A_OutbDeliveryHeader({{$.request.query.DeliveryDocument}})\" }\n"
               "  - name: odoo\n    source: { type: webhook }\n"
               "    mapping: " + FB_SOURCE_DIR + "/mappings/generic-rest/shipment-to-delivery.yaml\n"
               "    writeback:\n      mapping: " + FB_SOURCE_DIR + "/mappings/odoo/picking-validate-writeback.yaml\n"
               "      verify: " + FB_SOURCE_DIR + "/mappings/odoo/picking-validate-verify.yaml\n"
               "      sink:\n        type: jsonrpc\n        base_url: https://odoo.example.com\n"
               "        vars: { db: prod, user: fsm, password: x-secret }\n"
               "        login: { request: " + FB_SOURCE_DIR + "/mappings/odoo/picking-validate-writeback-login.yaml, from: cookie, name: session_id }\n" +
               odoo_extra;
    };
    auto check = [&](const std::string& text) {
        auto path = dir.str("check.yaml");
        std::ofstream(path) << "state: { path: " << dir.str("state.db") << " }\n" << text;
        std::string cmd = std::string(FB_BINARY) + " check --config " + path + " 2>&1";
        FILE* p = ::popen(cmd.c_str(), "r");
        std::string out;
        char buf[4096];
        while (auto n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        int status = ::pclose(p);
        return std::pair<int, std::string>{WEXITSTATUS(status), out};
    };
    auto [ok, out] = check(flows(""));
    INFO(out);
    CHECK(ok == 0);
    CHECK_THAT(out, Catch::Contains("2 flow(s), config and mappings valid"));
    auto [bad, why] = check(flows("        etag: { url: same }\n"));
    INFO(why);
    CHECK(bad != 0);
    CHECK_THAT(why, Catch::Contains("check.yaml:25:15") && Catch::Contains("etag is for OData-style http sinks"));
}

TEST_CASE("http sink over TLS: a peer verified with tls.ca_file is answered, an untrusted one is retried behind the breaker") {
    fb::test::TempDir dir("http-sink-tls");
    auto files = fb::test::make_self_signed(dir.str());
    fb::test::LoopbackServer erp(
        [](const fb::test::Request&) {
            auto res = fb::test::reply(429, R"({"error":"slow down"})");
            res.set("Retry-After", "7");
            return res;
        },
        files);
    HttpSink trusted(spec_of("        type: http\n        base_url: \"" + erp.url() + "\"\n"
                             "        tls: { ca_file: " + files.cert + " }\n"));
    auto a = trusted.send(post("/w"), timeout);
    CHECK(a.status == 429);
    CHECK(a.headers.at("retry-after") == "7");  // lower-case names, as the engine reads them
    auto v = fb::writeback::classify(a, nullptr, {});
    CHECK(v.kind == fb::writeback::Verdict::Kind::retry);
    CHECK(v.retry_after == std::chrono::seconds(7));

    HttpSink untrusted(spec_of("        type: http\n        base_url: \"" + erp.url() + "\"\n"));
    // An expired or replaced certificate is the endpoint's fault, not the document's: retried (and
    // counted by the breaker) until it is fixed, never a dead letter per document.
    auto refused = untrusted.send(post("/w"), timeout);
    CHECK(refused.refusal == ErpAnswer::Refusal::none);
    CHECK(refused.transport == ErpAnswer::Transport::connection_error);
    CHECK_THAT(refused.error, Catch::Contains("tls handshake"));
    CHECK(fb::writeback::classify(refused, nullptr, {}).kind == fb::writeback::Verdict::Kind::retry);
}

TEST_CASE("http sink: an OData v4 ETag in the entity ($[\"@odata.etag\"]) goes as If-Match") {
    Seen seen;
    fb::test::LoopbackServer erp([&](const fb::test::Request& r) {
        seen.add(r);
        if (r.method() == bhttp::verb::get)
            return fb::test::reply(200, R"({"@odata.etag":"W/\"JzQ0O0VBQUFBQUo3OzE7MDsn\"","id":"5a1d"})");
        return fb::test::reply(r["If-Match"] == "W/\"JzQ0O0VBQUFBQUo3OzE7MDsn\"" ? 200 : 412, "{}");
    });
    HttpSink sink(spec_of("        type: http\n        base_url: \"" + erp.url() + "\"\n"
                          "        etag: { url: same, body: '$[\"@odata.etag\"]' }\n"));
    CHECK(sink.send(ErpRequest{"PATCH", "/salesShipments(5a1d)", {}, R"({"fsmStatus":"Delivered"})", "k-1"}, timeout).status == 200);
    REQUIRE(seen.all().size() == 2);
    CHECK(seen.all()[0].target() == "/salesShipments(5a1d)");
}

TEST_CASE("http sink: a body mapped as an object goes form-encoded when its Content-Type says so, every value escaped") {
    Seen seen;
    fb::test::LoopbackServer erp([&](const fb::test::Request& r) {
        seen.add(r);
        return fb::test::reply(200, "{}");
    });
    HttpSink sink(spec_of("        type: http\n        base_url: \"" + erp.url() + "\"\n"));
    ErpRequest form{"POST", "/import", {{"Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"}},
                    R"({"doc":"DN 1/2","secret":"a~b+c=d&e","lines":[1,2],"none":null})", "k-1"};
    CHECK(sink.send(form, timeout).status == 200);
    CHECK(sink.send(post("/json"), timeout).status == 200);
    auto all = seen.all();
    REQUIRE(all.size() == 2);
    CHECK(all[0].body() == "doc=DN%201%2F2&secret=a~b%2Bc%3Dd%26e&lines=1&lines=2");
    CHECK(all[1].body() == R"({"a":1})");  // JSON stays JSON
}

TEST_CASE("http sink config: login_base_url and session_header.template are checked") {
    CHECK_THAT(config_error("        type: http\n        base_url: https://erp.example.com\n        login_base_url: ftp://x\n"),
               Catch::Contains("login_base_url must be an http(s) URL"));
    CHECK_THAT(config_error("        type: http\n        base_url: https://erp.example.com\n"
                            "        login: { request: mappings/tryton/login.yaml, from: body, name: $.result }\n"
                            "        session_header: { name: Authorization, prefix: \"x\", template: \"Session {{$.session[1]}}\" }\n"),
               Catch::Contains("a `template` or a `prefix`, not both"));
    CHECK_THAT(config_error("        type: http\n        base_url: https://erp.example.com\n"
                            "        login: { request: mappings/tryton/login.yaml, from: body, name: $.result }\n"
                            "        session_header: { name: Authorization, template: \"Session {{ nosuch($.session) }}\" }\n"),
               Catch::Contains("session_header.template is not a template"));
}
