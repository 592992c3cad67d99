// Shared request auth (static headers, basic, bearer, API key) and the login session, against
// a loopback server that checks what it receives and expires sessions.
#include <catch2/catch.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>

#include "config/section.h"
#include "http/auth.h"
#include "support/auth_yaml.h"
#include "http/json_path.h"
#include "http/request_body.h"
#include "http/session.h"
#include "support/loopback_server.h"

using namespace fb::http;
using fb::test::parse_auth;
using fb::test::LoopbackServer;
using fb::test::reply;
namespace bhttp = boost::beast::http;

TEST_CASE("auth: basic, bearer, API key and static headers are sent as configured") {
    LoopbackServer server([](const fb::test::Request& req) {
        return reply(200, std::string(req[bhttp::field::authorization]) + "|" +
                              std::string(req["X-API-Key"]) + "|" + std::string(req["sap-client"]) +
                              "|" + std::string(req.target()));
    });
    Client client;
    auto send = [&](const Auth& a) {
        ClientRequest r{"GET", server.url("/q?x=1")};
        a.apply(r);
        return client.send(r).response.body;
    };
    CHECK(send(parse_auth("auth: { basic: { user: erp, password: s3cret } }")) ==
          "Basic ZXJwOnMzY3JldA==|||/q?x=1");
    CHECK(send(parse_auth("auth: { bearer: tok-123, headers: { sap-client: '100' } }")) ==
          "Bearer tok-123||100|/q?x=1");
    CHECK(send(parse_auth("auth: { api_key: { value: k-1, header: X-API-Key } }")) == "|k-1||/q?x=1");
    CHECK(send(parse_auth("auth: { api_key: { value: 'k 1', query: api_key } }")) ==
          "|||/q?x=1&api_key=k%201");
}

TEST_CASE("auth: mistakes name file:line:col") {
    CHECK_THROWS_WITH(parse_auth("auth:\n  bearer: a\n  basic: { user: u, password: p }\n"),
                      Catch::Contains("test.yaml:2:3") && Catch::Contains("choose one"));
    CHECK_THROWS_WITH(parse_auth("auth: { api_key: { value: k } }"),
                      Catch::Contains("test.yaml:1:18") && Catch::Contains("`header` or `query`"));
    CHECK_THROWS_WITH(parse_auth("auth: { beare: x }"), Catch::Contains("did you mean `bearer`"));
}

TEST_CASE("secrets are masked in text meant for people") {
    auto a = parse_auth("auth: { basic: { user: erp, password: s3cret } }");
    auto text = mask_secrets("Authorization: Basic ZXJwOnMzY3JldA== password=s3cret", a.secrets());
    CHECK(text == "Authorization: Basic *** password=***");
    // As a mapping's url_encode() or a query api_key writes it into a URL or a form.
    CHECK(mask_secrets("GET /x?apikey=ab%2Bcd%2Fef%3D%3D&k=ab%2bcd%2fef%3d%3d p=pass+word", {"ab+cd/ef==", "pass word"}) ==
          "GET /x?apikey=***&k=*** p=***");
}

TEST_CASE("a session: login yields a body token, 401 logs in again and the request is sent once more") {
    int issued = 0;
    std::string valid;
    int refused = 0;
    LoopbackServer server([&](const fb::test::Request& req) {
        if (req.target() == "/login") {
            valid = "tok-" + std::to_string(++issued);
            return reply(200, R"({"result":{"session_id":")" + valid + R"("}})");
        }
        if (std::string(req[bhttp::field::authorization]) != "Bearer " + valid) {
            ++refused;
            return reply(401, R"({"error":"session expired"})");
        }
        return reply(200, R"({"rows":[1,2]})");
    });
    Client client;
    Session session(client, {SessionSpec::From::body, "$.result.session_id"},
                    [&] { return ClientRequest{"POST", server.url("/login"), {}, "{}"}; });
    auto build = [&](const std::string& s) {
        return ClientRequest{"GET", server.url("/rows"), {{"Authorization", "Bearer " + s}}};
    };
    auto first = session.send(build);
    REQUIRE(first.result.ok());
    CHECK(first.result.response.status == 200);
    CHECK(session.logins() == 1);
    CHECK(session.send(build).result.response.status == 200);
    CHECK(session.logins() == 1);  // the session is reused

    valid = "expired-on-the-server";  // the ERP drops the session
    auto again = session.send(build);
    CHECK(again.result.response.status == 200);
    CHECK(session.logins() == 2);
    CHECK(refused == 1);
}

TEST_CASE("a session from a cookie, and an expiry recognised in an HTTP 200 answer") {
    int logins = 0;
    bool expired = false;
    LoopbackServer server([&](const fb::test::Request& req) {
        if (req.target() == "/login") {
            ++logins;
            expired = false;
            auto res = reply(200, R"({"LoginResultType":1})");
            res.insert(bhttp::field::set_cookie, "other=1; Path=/");
            res.insert(bhttp::field::set_cookie, "kdservice-sessionid=sid-" + std::to_string(logins) + "; Path=/; HttpOnly");
            return res;
        }
        if (expired) return reply(200, R"({"IsSuccess":false,"MsgCode":1})");
        return reply(200, "[[\"ok\"]]|" + std::string(req[bhttp::field::cookie]));
    });
    Client client;
    Session session(
        client, {SessionSpec::From::cookie, "kdservice-sessionid"},
        [&] { return ClientRequest{"POST", server.url("/login")}; },
        [](const ClientResponse& r) { return r.body.find("\"MsgCode\":1") != std::string::npos; });
    auto build = [&](const std::string& s) {
        return ClientRequest{"POST", server.url("/query"), {{"Cookie", "kdservice-sessionid=" + s}}};
    };
    CHECK(session.send(build).result.response.body == "[[\"ok\"]]|kdservice-sessionid=sid-1");
    expired = true;
    CHECK(session.send(build).result.response.body == "[[\"ok\"]]|kdservice-sessionid=sid-2");
    CHECK(session.logins() == 2);
}

TEST_CASE("a session of two cookies (SAP B1: B1SESSION and ROUTEID) is sent back as one Cookie header") {
    int logins = 0;
    std::string last_cookie;
    LoopbackServer server([&](const fb::test::Request& req) {
        if (req.target() == "/b1s/v1/Login") {
            ++logins;
            auto res = reply(200, R"({"SessionId":"s-)" + std::to_string(logins) + R"(","SessionTimeout":30})");
            res.insert(bhttp::field::set_cookie, "B1SESSION=s-" + std::to_string(logins) + "; HttpOnly;");
            if (logins > 1 || req.body() != "no-route") res.insert(bhttp::field::set_cookie, "ROUTEID=.node1; path=/b1s");
            return res;
        }
        last_cookie = std::string(req[bhttp::field::cookie]);
        return reply(200, "{}");
    });
    Client client;
    SessionSpec spec{SessionSpec::From::cookies, ""};
    spec.names = {"B1SESSION", "ROUTEID"};
    Session session(client, spec, [&] { return ClientRequest{"POST", server.url("/b1s/v1/Login"), {}, "{}"}; });
    auto build = [&](const std::string& s) { return ClientRequest{"GET", server.url("/b1s/v1/DeliveryNotes"), {{"Cookie", s}}}; };
    REQUIRE(session.send(build).result.ok());
    CHECK(last_cookie == "B1SESSION=s-1; ROUTEID=.node1");
    // Any cookie the login set, in order, without `names:`.
    SessionSpec any{SessionSpec::From::cookies, ""};
    Session all(client, any, [&] { return ClientRequest{"POST", server.url("/b1s/v1/Login"), {}, "{}"}; });
    REQUIRE(all.send(build).result.ok());
    CHECK(last_cookie == "B1SESSION=s-2; ROUTEID=.node1");
    // A login answer without one of the named cookies is no session, and says which were wanted.
    logins = 0;
    Session missing(client, spec, [&] { return ClientRequest{"POST", server.url("/b1s/v1/Login"), {}, "no-route"}; });
    auto r = missing.send(build);
    CHECK(r.login_failed);
    CHECK_THAT(r.login_error, Catch::Contains("cookies B1SESSION, ROUTEID"));
}

TEST_CASE("the login answer travels with the session value (Tryton: [user_id, session])") {
    LoopbackServer server([&](const fb::test::Request& req) {
        if (req.target() == "/db/") return reply(200, R"({"id":0,"result":[42,"sess-1"]})");
        return reply(200, std::string(req[bhttp::field::authorization]));
    });
    Client client;
    Session session(client, {SessionSpec::From::body, "$.result[1]"},
                    [&] { return ClientRequest{"POST", server.url("/db/"), {}, "{}"}; });
    std::string seen_answer;
    auto r = session.send_with_login([&](const Session::Value& v) {
        seen_answer = v.answer;
        return ClientRequest{"POST", server.url("/db/x"), {{"Authorization", "Session " + v.session}}};
    });
    CHECK(r.result.response.body == "Session sess-1");
    CHECK(seen_answer == R"({"id":0,"result":[42,"sess-1"]})");
    CHECK(session.current_value().answer == seen_answer);
}

TEST_CASE("static auth headers that carry credentials are masked, others are not") {
    auto a = parse_auth("auth: { headers: { Authorization: 'token 4f1c2a:9be07d', X-Api-Key: k-77aa, Accept: application/json } }");
    auto text = mask_secrets("Authorization: token 4f1c2a:9be07d X-Api-Key: k-77aa Accept: application/json", a.secrets());
    CHECK(text == "Authorization: *** X-Api-Key: *** Accept: application/json");
}

TEST_CASE("a login that yields no session value is a failure that says why") {
    LoopbackServer server([](const fb::test::Request&) { return reply(200, R"({"error":"bad password"})"); });
    Client client;
    Session session(client, {SessionSpec::From::body, "$.token"},
                    [&] { return ClientRequest{"POST", server.url("/login")}; });
    auto r = session.send([&](const std::string&) { return ClientRequest{"GET", server.url("/x")}; });
    CHECK(r.login_failed);
    CHECK_THAT(r.login_error, Catch::Contains("$.token") && Catch::Contains("bad password"));
    CHECK(server.requests() == 1);  // the request itself was never sent without a session
}

TEST_CASE("a login whose session value is larger than a header can carry is a failure that says so") {
    const std::string token(1 << 20, 't');  // a 1 MiB "token": every request would fail far from here
    LoopbackServer server([&](const fb::test::Request&) { return reply(200, "{\"token\":\"" + token + "\"}"); });
    Client client;
    Session session(client, {SessionSpec::From::body, "$.token"},
                    [&] { return ClientRequest{"POST", server.url("/login")}; });
    auto r = session.send([&](const std::string&) { return ClientRequest{"GET", server.url("/x")}; });
    CHECK(r.login_failed);
    CHECK_THAT(r.login_error, Catch::Contains("login answered a session value ($.token) of 1048576 bytes, more than 16384"));
    CHECK(r.login_error.size() < 300);
    CHECK(r.result.response.body.empty());
    CHECK(server.requests() == 1);  // only the login: the request was not sent
}

TEST_CASE("json paths read nested values and array items") {
    CHECK(json_path_string(R"({"a":{"b":[{"c":"x"},{"c":7}]}})", "$.a.b[1].c") == "7");
    CHECK(json_path_string(R"({"a":{"b":[{"c":"x"}]}})", "$.a.b[0].c") == "x");
    CHECK_FALSE(json_path_string(R"({"a":1})", "$.b"));
    CHECK_FALSE(json_path_string("not json", "$.a"));
}

TEST_CASE("json paths: quoted names either way, and an index too long for any list reads nothing") {
    const char* entity = R"({"@odata.etag":"W/\"1\"","@odata.nextLink":"x?$skip=2","v":[1,2,3]})";
    CHECK(fb::http::text_of(*fb::http::find_path(boost::json::parse(entity), "$[\"@odata.etag\"]")) == "W/\"1\"");
    CHECK(fb::http::text_of(*fb::http::find_path(boost::json::parse(entity), "$['@odata.nextLink']")) == "x?$skip=2");
    auto list = boost::json::parse(entity);
    CHECK(fb::http::find_path(list, "$.v[2]")->as_int64() == 3);
    CHECK(fb::http::find_path(list, "$.v[000000002]")->as_int64() == 3);
    // 2^64 + 1 would wrap to [1] with unchecked arithmetic; 10 digits or more read nothing.
    CHECK(fb::http::find_path(list, "$.v[18446744073709551617]") == nullptr);
    CHECK(fb::http::find_path(list, "$.v[0000000001]") == nullptr);
    CHECK(fb::http::find_path(list, "$.v[]") == nullptr);
    CHECK(fb::http::find_path(list, "$.v[1x]") == nullptr);
    CHECK(fb::http::find_path(list, "$[\"v\"") == nullptr);
}

TEST_CASE("a mapped body goes as written text, as a form when its Content-Type says so, else as JSON") {
    fb::http::ClientRequest form{"POST", "https://login.example.com/token", {{"Content-Type", "application/x-www-form-urlencoded"}}, ""};
    fb::http::set_body(form, boost::json::parse(R"({"grant_type":"client_credentials","client_secret":"a~b+c/d=","scope":["x y","z"],"none":null})"));
    CHECK(form.body == "grant_type=client_credentials&client_secret=a~b%2Bc%2Fd%3D&scope=x%20y&scope=z");
    fb::http::ClientRequest plain{"POST", "https://erp.example.com/x", {}, ""};
    fb::http::set_body(plain, boost::json::parse(R"({"a":1})"));
    CHECK(plain.body == R"({"a":1})");
    CHECK(fb::http::find_header(plain.headers, "Content-Type") == "application/json");
    fb::http::ClientRequest text{"POST", "https://erp.example.com/x", {{"Content-Type", "text/xml"}}, ""};
    fb::http::set_body(text, boost::json::value("<a/>"));
    CHECK(text.body == "<a/>");
    CHECK(fb::http::find_header(text.headers, "Content-Type") == "text/xml");
}
