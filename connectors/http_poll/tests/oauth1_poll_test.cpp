// NetSuite Token-Based Authentication (OAuth 1.0a, HMAC-SHA256, realm = the account id) as the
// README configures it: a loopback account that verifies every request's signature with its own
// base-string code (tests/support/oauth1_verifier.h), refuses a wrong one with 401 and a reused
// nonce too, and answers SuiteQL pages — polled by http_poll with `auth: { oauth1 }`.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <mutex>

#include "poll_run.h"
#include "support/loopback_server.h"
#include "support/oauth1_verifier.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

class TbaAccount {
public:
    TbaAccount() : server_([this](const fb::test::Request& r) { return handle(r); }) {
        verifier_.consumer_key = "ns-consumer-key";
        verifier_.consumer_secret = "ns+consumer/secret=";
        verifier_.token = "ns-token-id";
        verifier_.token_secret = "ns token~secret";
        verifier_.realm = "1234567_SB1";
        verifier_.port = server_.port();
    }
    std::string base() const { return server_.url(""); }
    void add(int id, const std::string& lastmodified) {
        std::lock_guard lock(mutex_);
        rows_.push_back(json::object{{"id", std::to_string(id)}, {"tranid", "IF-" + std::to_string(id)}, {"entity", "3120"},
                                     {"customer_name", "Bäckerei Hofmann KG"}, {"memo", "Hof"},
                                     {"shipaddress", "Bäckerei Hofmann KG\nKantstr. 7\n10623 Berlin\nGermany"},
                                     {"lastmodified", lastmodified}});
    }
    int verified() const { return verifier_.verified(); }
    int refused() const { std::lock_guard lock(mutex_); return refused_; }
    std::string last_refusal() const { std::lock_guard lock(mutex_); return last_refusal_; }

private:
    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        auto why = verifier_.check(req);
        std::lock_guard lock(mutex_);
        if (!why.empty()) {
            ++refused_;
            last_refusal_ = why;
            return fb::test::reply(401, R"({"o:errorDetails":[{"detail":"Invalid login attempt.","o:errorCode":"INVALID_LOGIN"}]})");
        }
        if (std::string(req.target()).rfind("/services/rest/query/v1/suiteql?limit=", 0) != 0) return fb::test::reply(404, "{}");
        std::string target(req.target());
        auto offset = std::stoul(target.substr(target.find("offset=") + 7));
        json::array items;
        for (std::size_t i = offset; i < rows_.size() && i < offset + 2; ++i) items.push_back(rows_[i]);
        json::object answer{{"items", items}, {"hasMore", offset + 2 < rows_.size()}, {"offset", offset},
                            {"totalResults", rows_.size()}};
        return fb::test::reply(200, json::serialize(answer));
    }

    fb::test::OAuth1Verifier verifier_;
    mutable std::mutex mutex_;
    std::vector<json::object> rows_;
    int refused_ = 0;
    std::string last_refusal_;
    fb::test::LoopbackServer server_;
};

std::string tba_flow(const TbaAccount& a, const std::string& token_secret) {
    return "  - name: ns-tba\n"
           "    document_type: item_fulfillment\n"
           "    mapping: mappings/netsuite/fulfillment-to-delivery.yaml\n"
           "    source:\n"
           "      type: http_poll\n"
           "      request: mappings/netsuite/poll-fulfillments-tba.yaml\n"
           "      vars: { base: \"" + a.base() + "\" }\n"
           "      auth:\n"
           "        oauth1:\n"
           "          realm: 1234567_SB1\n"
           "          consumer_key: ns-consumer-key\n"
           "          consumer_secret: \"ns+consumer/secret=\"\n"
           "          token: ns-token-id\n"
           "          token_secret: \"" + token_secret + "\"\n"
           "      every: 100ms\n"
           "      records: $.items\n"
           "      paging: { type: offset, size: 2, more: $.hasMore }\n"
           "      cursor: { time: $.lastmodified, id: $.id, tz: Europe/Berlin, overlap: 5m, initial: \"2026-11-01T00:00:00Z\" }\n";
}

}  // namespace

TEST_CASE("NetSuite TBA: every SuiteQL page signed with OAuth 1.0a HMAC-SHA256 and a realm, verified by the account") {
    PollRun t("oauth1-poll");
    TbaAccount account;
    for (int i = 0; i < 5; ++i) account.add(5101 + i, "2026-11-20 1" + std::to_string(i) + ":00:00");
    RunningApp app(t.config(tba_flow(account, "ns token~secret")));
    auto orders = t.work_orders(app, "ns-tba", "5105", 5);
    CHECK(orders.size() == 5);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    INFO(account.last_refusal());
    CHECK(account.refused() == 0);
    CHECK(account.verified() >= 3 + 2);  // three pages, then two more polls; each a fresh nonce
}

TEST_CASE("NetSuite TBA: a wrong token secret is refused with 401, nothing is committed, readiness says so") {
    PollRun t("oauth1-poll-wrong");
    TbaAccount account;
    account.add(5101, "2026-11-20 10:00:00");
    RunningApp app(t.config(tba_flow(account, "not the secret")));
    REQUIRE(eventually([&] { return account.refused() >= 2; }));
    CHECK_THAT(account.last_refusal(), Catch::Contains("signature mismatch"));
    CHECK(account.verified() == 0);
    CHECK(t.cursor().empty());
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
    auto ready = http_request(app.port(), "GET", "/readyz").json();
    CHECK_THAT(std::string(ready.at("sources").at("ns-tba").as_string()), Catch::Contains("HTTP 401"));
}
