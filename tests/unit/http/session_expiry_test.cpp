// Sessions that say how long they live (OAuth2 client credentials: `expires_in`): renewed before
// their end, by a clock the test advances — never by sleeping — against a loopback token
// endpoint and API that judge every token by the same clock; the 401 re-login stays the safety net.
#include <catch2/catch.hpp>

#include <boost/beast/http/field.hpp>

#include <atomic>
#include <map>
#include <mutex>

#include "config/section.h"
#include "http/login.h"
#include "http/session.h"
#include "support/loopback_server.h"
#include "support/source_dir.h"

using namespace fb::http;
using fb::test::LoopbackServer;
using fb::test::reply;
namespace bhttp = boost::beast::http;

namespace {

// An OAuth2 authorisation server and a resource API sharing one clock: a token lives
// `lifetime_s` from its issue and is refused (401) after it.
struct TokenErp {
    std::atomic<std::int64_t> now_ms{1'790'000'000'000};
    std::int64_t lifetime_s = 3600;
    std::string expires_field = R"("expires_in":3600)";
    std::mutex mutex;
    std::map<std::string, std::int64_t> ends;  // token → its end (ms)
    int issued = 0, refused = 0, served = 0;
    LoopbackServer server{[this](const fb::test::Request& req) {
        std::lock_guard lock(mutex);
        if (req.target() == "/token") {
            auto token = "at-" + std::to_string(++issued);
            ends[token] = now_ms + lifetime_s * 1000;
            return reply(200, R"({"access_token":")" + token + R"(","token_type":"Bearer",)" + expires_field + "}");
        }
        auto auth = std::string(req[bhttp::field::authorization]);
        auto it = ends.find(auth.substr(auth.find(' ') + 1));
        if (!auth.starts_with("Bearer ") || it == ends.end() || now_ms >= it->second) {
            ++refused;
            return reply(401, R"({"error":"invalid_token"})");
        }
        ++served;
        return reply(200, R"({"value":[]})");
    }};
};

SessionSpec oauth(std::string expires_in = "$.expires_in", std::string expires_at = "") {
    SessionSpec s{SessionSpec::From::body, "$.access_token"};
    s.expires_in = std::move(expires_in);
    s.expires_at = std::move(expires_at);
    return s;
}

}  // namespace

TEST_CASE("a token with expires_in is renewed before its end: the ERP never refuses one") {
    TokenErp erp;
    Client client;
    Session session(client, oauth(), [&] { return ClientRequest{"POST", erp.server.url("/token"), {}, "grant_type=client_credentials"}; });
    session.set_clock([&] { return erp.now_ms.load(); });
    auto get = [&] {
        return session.send([&](const std::string& t) {
            return ClientRequest{"GET", erp.server.url("/api"), {{"Authorization", "Bearer " + t}}};
        });
    };
    // A day of requests, one every 7 minutes: 3600 s tokens renewed 60 s early (10% is 360 s).
    for (int i = 0; i < 24 * 60 / 7; ++i) {
        auto r = get();
        REQUIRE(r.result.ok());
        REQUIRE(r.result.response.status == 200);
        erp.now_ms += 7 * 60 * 1000;
    }
    CHECK(erp.refused == 0);
    CHECK(erp.served == 24 * 60 / 7);
    // Renewed at the first request at or after 59 min, the 9th (63 min): requests 0, 9, 18, … 198.
    CHECK(erp.issued == (24 * 60 / 7 + 8) / 9);
    CHECK(session.renewals() == std::uint64_t(erp.issued - 1));
}

TEST_CASE("the renewal margin: 10% of a token's life, at most 60 s") {
    CHECK(renew_at(0, 3600'000) == 3540'000);   // one hour: 60 s early
    CHECK(renew_at(0, 300'000) == 270'000);     // five minutes: 30 s early
    CHECK(renew_at(1000, 10'000) == 10'000);    // ten seconds: 1 s early
    // Just before the margin the token is used, at the margin it is renewed.
    TokenErp erp;
    erp.lifetime_s = 300;
    erp.expires_field = R"("expires_in":"300")";  // Azure AD v1 writes it as text
    Client client;
    Session session(client, oauth(), [&] { return ClientRequest{"POST", erp.server.url("/token")}; });
    session.set_clock([&] { return erp.now_ms.load(); });
    auto get = [&] {
        return session.send([&](const std::string& t) { return ClientRequest{"GET", erp.server.url("/api"), {{"Authorization", "Bearer " + t}}}; });
    };
    const auto start = erp.now_ms.load();
    REQUIRE(get().result.response.status == 200);
    erp.now_ms = start + 270'000 - 1;
    REQUIRE(get().result.response.status == 200);
    CHECK(erp.issued == 1);
    erp.now_ms = start + 270'000;
    REQUIRE(get().result.response.status == 200);
    CHECK(erp.issued == 2);
    CHECK(erp.refused == 0);
}

TEST_CASE("expires_at as a moment, and without any lifetime the 401 re-login is the safety net") {
    TokenErp erp;
    erp.expires_field = R"("expires_at":"2026-09-21T15:00:00Z")";  // 1'790'000'000'000 ms is 2026-09-21T14:13:20Z
    erp.lifetime_s = 46 * 60 + 40;                                   // the same end on the ERP's side
    Client client;
    auto login = [&] { return ClientRequest{"POST", erp.server.url("/token")}; };
    auto build = [&](const std::string& t) { return ClientRequest{"GET", erp.server.url("/api"), {{"Authorization", "Bearer " + t}}}; };
    {
        Session session(client, oauth("", "$.expires_at"), login);
        session.set_clock([&] { return erp.now_ms.load(); });
        const auto start = erp.now_ms.load();
        REQUIRE(session.send(build).result.response.status == 200);
        erp.now_ms = start + (46 * 60 + 40) * 1000 - 60'000;  // 60 s before 15:00
        REQUIRE(session.send(build).result.response.status == 200);
        CHECK(erp.issued == 2);
        CHECK(erp.refused == 0);
    }
    {
        // No lifetime configured: the token is used until the ERP refuses it, then renewed inside
        // the same send (nothing lost).
        erp.issued = erp.refused = 0;
        Session session(client, oauth(""), login);
        session.set_clock([&] { return erp.now_ms.load(); });
        REQUIRE(session.send(build).result.response.status == 200);
        erp.now_ms += 3 * 3600 * 1000;
        auto r = session.send(build);
        CHECK(r.result.response.status == 200);
        CHECK(erp.refused == 1);
        CHECK(erp.issued == 2);
        CHECK(session.renewals() == 0);
    }
}

TEST_CASE("an unusable expires_in is ignored: absent, zero, negative, text, ten years and more") {
    auto spec = oauth();
    for (const char* body : {R"({"access_token":"t"})", R"({"access_token":"t","expires_in":0})",
                             R"({"access_token":"t","expires_in":-5})", R"({"access_token":"t","expires_in":"soon"})",
                             R"({"access_token":"t","expires_in":9999999999})", R"({"access_token":"t","expires_in":3.5})",
                             "not json"}) {
        INFO(body);
        CHECK(session_expiry(spec, body, 1000) == std::nullopt);
    }
    CHECK(session_expiry(spec, R"({"expires_in":3599})", 1000) == 1000 + 3599'000);
    auto at = oauth("", "$.exp");
    CHECK(session_expiry(at, R"({"exp":1790003600})", 1'790'000'000'000) == 1'790'003'600'000);
    CHECK(session_expiry(at, R"({"exp":"2026-09-21T16:13:20+01:00"})", 1'790'000'000'000) == 1'790'000'000'000 + 3600'000);
    CHECK(session_expiry(at, R"({"exp":1})", 1'790'000'000'000) == std::nullopt);  // already past
}

TEST_CASE("login: expires_in and expires_at are read as paths, mistakes name file:line:col") {
    auto read = [](const std::string& yaml) {
        auto root = YAML::Load(yaml);
        fb::config::Section s(root, "erp.yaml", "source");
        return read_login(s, "login", FB_SOURCE_DIR);
    };
    auto ok = read("login: { request: mappings/netsuite/login.yaml, from: body, name: $.access_token, expires_in: $.expires_in }\n");
    CHECK(ok->session.expires_in == "$.expires_in");
    try {
        read("login: { request: mappings/netsuite/login.yaml, from: body, name: $.access_token, expires_in: 3600 }\n");
        FAIL("no error");
    } catch (const std::exception& e) {
        CHECK_THAT(e.what(), Catch::Contains("erp.yaml:1:") && Catch::Contains("login.expires_in: `3600` is not a path into the answer: a path starts with `$`"));
    }
}
