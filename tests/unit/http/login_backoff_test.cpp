// A failed login is not repeated by every request: against a loopback ERP that counts logins
// (a wrong password, an ERP that locks accounts after N failures), sends during the backoff fail
// fast without a login, by a clock the test advances — never by sleeping.
#include <catch2/catch.hpp>

#include <boost/beast/http/field.hpp>

#include <atomic>

#include "http/session.h"
#include "support/loopback_server.h"

using namespace fb::http;
using fb::test::LoopbackServer;
using fb::test::reply;
namespace bhttp = boost::beast::http;

namespace {

// An ERP whose login refuses the password until `accept` is set; the API wants the token.
struct LockingErp {
    std::atomic<int> logins{0}, calls{0};
    std::atomic<bool> accept{false};
    std::atomic<bool> api_refuses{false};  // the login works, the user lacks the API's permission
    std::atomic<int> retry_after_s{0};
    std::atomic<bool> api_hangs{false};  // the API never answers (a timeout, not a refusal)
    LoopbackServer server{[this](const fb::test::Request& req) -> std::optional<fb::test::Response> {
        if (req.target() == "/login") {
            ++logins;
            if (!accept) {
                auto r = reply(401, R"({"error":"invalid_grant","detail":"wrong password"})");
                if (retry_after_s > 0) r.set(bhttp::field::retry_after, std::to_string(retry_after_s.load()));
                return r;
            }
            return reply(200, R"({"token":"tok-1"})");
        }
        ++calls;
        if (api_hangs) return std::nullopt;
        if (req[bhttp::field::authorization] != "Bearer tok-1") return reply(401, "{}");
        if (api_refuses) return reply(403, R"({"error":"insufficient_scope"})");
        return reply(200, R"({"rows":[]})");
    }};
};

struct Fixture {
    LockingErp erp;
    Client client;
    std::int64_t now_ms = 1'790'000'000'000;
    Session session{client, SessionSpec{SessionSpec::From::body, "$.token"},
                    [this] { return ClientRequest{"POST", erp.server.url("/login"), {}, "{}"}; }};
    Fixture() { session.set_clock([this] { return now_ms; }); }
    Session::Result get() {
        return session.send([this](const std::string& t) {
            return ClientRequest{"GET", erp.server.url("/api"), {{"Authorization", "Bearer " + t}}};
        });
    }
};

}  // namespace

TEST_CASE("after a failed login, sends during the backoff make no login, after it, one more") {
    Fixture f;
    auto first = f.get();
    CHECK(first.login_failed);
    CHECK(first.result.response.status == 401);
    CHECK(first.next_login_in_ms == 1000);  // what a caller's retry waits for
    CHECK(f.erp.logins == 1);
    // Ten sends within the first second: each fails fast, naming when the next login is tried.
    for (int i = 0; i < 10; ++i) {
        f.now_ms += 99;
        auto r = f.get();
        REQUIRE(r.login_failed);
        CHECK(r.result.response.status == 0);  // nothing was sent
        CHECK(r.next_login_in_ms == 1000 - 99 * (i + 1));
        CHECK_THAT(r.login_error, Catch::Contains("the next login is tried at 2026-09-21T14:13:21Z") &&
                                      Catch::Contains("wrong password"));
    }
    CHECK(f.erp.logins == 1);
    CHECK(f.erp.calls == 0);
    // Past 1 s: one login (refused again), then 2 s of fast failures, then 4 s…
    f.now_ms = 1'790'000'000'000 + 1000;
    auto second = f.get();
    CHECK(second.login_failed);
    CHECK(second.next_login_in_ms == 2000);
    CHECK(f.erp.logins == 2);
    f.now_ms += 1999;
    CHECK_THAT(f.get().login_error, Catch::Contains("failed 2 times in a row") && Catch::Contains("(in 1 s)"));
    CHECK(f.erp.logins == 2);
    f.now_ms += 1;
    f.get();
    CHECK(f.erp.logins == 3);
    // The password fixed: the login after the backoff succeeds and the request goes through.
    f.erp.accept = true;
    f.now_ms += 3999;
    CHECK(f.get().login_failed);
    CHECK(f.erp.logins == 3);
    f.now_ms += 1;
    auto ok = f.get();
    CHECK_FALSE(ok.login_failed);
    CHECK(ok.result.response.status == 200);
    CHECK(f.erp.logins == 4);
    CHECK(f.erp.calls == 1);
}

TEST_CASE("the login backoff doubles from 1 s to 5 min and a success resets it") {
    CHECK(Session::login_backoff_ms(1) == 1000);
    CHECK(Session::login_backoff_ms(2) == 2000);
    CHECK(Session::login_backoff_ms(9) == 256'000);
    CHECK(Session::login_backoff_ms(10) == 300'000);
    CHECK(Session::login_backoff_ms(1000) == 300'000);
    Fixture f;
    // An hour of sends, one every 10 s, against a wrong password: 1+2+4+…+256 s, then every 5 min.
    for (int i = 0; i < 360; ++i, f.now_ms += 10'000) f.get();
    // Logins at 0, 10 (≥1 s), 20 (≥2), 30 (≥4), 40 (≥8), 60 (≥16), 100 (≥32), 170 (≥64),
    // 300 (≥128), 560 (≥256) s, then every 300 s: 860, 1160, … 3560 s (10 more).
    CHECK(f.erp.logins == 10 + 10);
    f.erp.accept = true;
    f.now_ms += 300'000;
    REQUIRE_FALSE(f.get().login_failed);
    // A session lost later logs in again at once: the success reset the backoff.
    f.erp.accept = false;
    auto logins = f.erp.logins.load();
    f.session.invalidate();
    CHECK(f.get().login_failed);
    CHECK(f.erp.logins == logins + 1);
    f.now_ms += 1000;  // the first failure again waits 1 s, not 5 min
    f.get();
    CHECK(f.erp.logins == logins + 2);
}

TEST_CASE("a new session's first request that times out does not keep the failed logins: the next one taken resets them") {
    LockingErp erp;
    ClientOptions quick;
    quick.timeout = std::chrono::milliseconds(300);
    Client client(quick);
    std::int64_t now_ms = 1'790'000'000'000;
    Session session{client, SessionSpec{SessionSpec::From::body, "$.token"},
                    [&] { return ClientRequest{"POST", erp.server.url("/login"), {}, "{}"}; }};
    session.set_clock([&] { return now_ms; });
    auto get = [&] {
        return session.send([&](const std::string& t) {
            return ClientRequest{"GET", erp.server.url("/api"), {{"Authorization", "Bearer " + t}}};
        });
    };
    CHECK(get().login_failed);  // 1 failed login
    now_ms += 1000;
    CHECK(get().next_login_in_ms == 2000);  // 2
    erp.accept = true;
    erp.api_hangs = true;
    now_ms += 2000;
    auto timed_out = get();  // the login works, its request times out: nothing confirmed yet
    CHECK_FALSE(timed_out.login_failed);
    CHECK_FALSE(timed_out.result.ok());
    erp.api_hangs = false;
    CHECK(get().result.response.status == 200);  // the same session taken: the failures are over
    erp.accept = false;
    session.invalidate();
    CHECK(get().next_login_in_ms == 1000);  // counted from one again, not 2^3 s
}

TEST_CASE("a login answer's Retry-After longer than the backoff is waited out") {
    Fixture f;
    f.erp.retry_after_s = 120;
    CHECK(f.get().next_login_in_ms == 120'000);
    f.now_ms += 119'000;
    CHECK_THAT(f.get().login_error, Catch::Contains("(in 1 s)"));
    CHECK(f.erp.logins == 1);
    f.now_ms += 1000;
    f.get();
    CHECK(f.erp.logins == 2);
}

TEST_CASE("a due renewal that fails keeps the live session, and is not retried until the backoff passed") {
    std::atomic<int> logins{0};
    std::atomic<bool> accept{true};
    LoopbackServer server([&](const fb::test::Request& req) {
        if (req.target() == "/token") {
            ++logins;
            if (!accept) return reply(503, R"({"error":"temporarily_unavailable"})");
            return reply(200, R"({"access_token":"at-)" + std::to_string(logins.load()) + R"(","expires_in":300})");
        }
        return reply(200, "{}");
    });
    Client client;
    SessionSpec spec{SessionSpec::From::body, "$.access_token"};
    spec.expires_in = "$.expires_in";
    std::int64_t now = 1'790'000'000'000;
    Session session(client, spec, [&] { return ClientRequest{"POST", server.url("/token")}; });
    session.set_clock([&] { return now; });
    auto get = [&] { return session.send([&](const std::string& t) { return ClientRequest{"GET", server.url("/api"), {{"Authorization", "Bearer " + t}}}; }); };
    REQUIRE_FALSE(get().login_failed);
    accept = false;
    now += 270'000;  // due (30 s before the end): the renewal fails, the old token still serves
    CHECK_FALSE(get().login_failed);
    CHECK(logins == 2);
    now += 500;
    CHECK_FALSE(get().login_failed);  // within the backoff: no renewal tried, the old token used
    CHECK(logins == 2);
    now += 500;
    CHECK_FALSE(get().login_failed);  // 1 s later: tried again
    CHECK(logins == 3);
    now = 1'790'000'000'000 + 300'000;  // past its end: the renewal is a failure
    CHECK(get().login_failed);
    CHECK(logins == 4);
    now += 100;  // and within the backoff that follows, no login at all
    CHECK_THAT(get().login_error, Catch::Contains("failed 3 times in a row"));
    CHECK(logins == 4);
}

TEST_CASE("a session refused by the request it was issued for waits out the backoff like a failed login") {
    Fixture f;
    f.erp.accept = true;
    f.erp.api_refuses = true;
    auto first = f.get();
    REQUIRE(first.login_failed);
    CHECK(first.result.response.status == 403);  // the ERP's answer travels with the failure
    CHECK_THAT(first.login_error, Catch::Contains("the session just issued was refused: HTTP 403") &&
                                      Catch::Contains("insufficient_scope"));
    CHECK(f.erp.logins == 1);
    CHECK(f.erp.calls == 1);
    // Ten sends within the next second: no login, no request (each would have logged in once).
    for (int i = 0; i < 10; ++i) {
        f.now_ms += 99;
        auto r = f.get();
        REQUIRE(r.login_failed);
        CHECK(r.result.response.status == 0);
        CHECK_THAT(r.login_error, Catch::Contains("insufficient_scope"));
    }
    CHECK(f.erp.logins == 1);
    CHECK(f.erp.calls == 1);
    // Still refused: each new session refused again doubles the wait (1 s, 2 s, 4 s …), though
    // every login itself succeeds — not one login a second for ever (an ERP that locks accounts).
    f.now_ms += 10;
    auto second = f.get();
    REQUIRE(second.login_failed);
    CHECK(f.erp.logins == 2);
    CHECK(second.next_login_in_ms == 2000);
    f.now_ms += 1500;
    CHECK(f.get().login_failed);
    CHECK(f.erp.logins == 2);  // within the 2 s: no login
    f.now_ms += 600;
    auto third = f.get();
    REQUIRE(third.login_failed);
    CHECK(f.erp.logins == 3);
    CHECK(third.next_login_in_ms == 4000);
    // The permission granted: after the backoff one login, and the request goes through.
    f.erp.api_refuses = false;
    f.now_ms += 4000;
    auto ok = f.get();
    CHECK_FALSE(ok.login_failed);
    CHECK(ok.result.response.status == 200);
    CHECK(f.erp.logins == 4);
    // Taken: the backoff starts from the beginning again.
    f.erp.api_refuses = true;
    f.erp.accept = false;
    f.now_ms += 400'000;
    f.session.invalidate();
    auto again = f.get();
    REQUIRE(again.login_failed);
    CHECK(again.next_login_in_ms == 1000);
}
