// A NetSuite-like ERP, configured from the README alone (mappings/netsuite/): an OAuth2
// client-credentials token endpoint (form body, `expires_in`), SuiteQL by POST with `Prefer:
// transient` and limit/offset in the URL, answers of {items, hasMore, offset, totalResults} whose
// `hasMore: false` ends the data even on a full page, and datetimes in the account's zone,
// Europe/Berlin, written without an offset — with fulfillments on both sides of the night of
// 25 October 2026, when the clock shows 02:00–03:00 twice.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <vector>

#include "connectors/http_poll/http_poll.h"
#include "poll_run.h"
#include "support/loopback_server.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

constexpr const char* client_secret = "ns+Secret/=~1";

// The account: fulfillments as SuiteQL rows, compared and written as the account's wall clock
// (text, "YYYY-MM-DD HH:MM:SS", as an ERP keeping local times does); a token is refused after
// `token_uses` API calls (its expiry, driven by counts).
class Account {
public:
    explicit Account(int token_uses = 1000) : token_uses_(token_uses), server_([this](const fb::test::Request& r) { return handle(r); }) {}
    std::string base() const { return server_.url(""); }
    void add(int id, const std::string& lastmodified) {
        std::lock_guard lock(mutex_);
        rows_.push_back(json::object{{"links", json::array{}}, {"id", std::to_string(id)}, {"tranid", "IF-" + std::to_string(id)},
                                     {"entity", "3120"}, {"customer_name", "Bäckerei Hofmann KG"}, {"memo", "Hof"},
                                     {"shipaddress", "Bäckerei Hofmann KG\nKantstr. 7\n10623 Berlin\nGermany"},
                                     {"lastmodified", lastmodified}});
    }
    std::vector<std::string> offsets() const { std::lock_guard lock(mutex_); return offsets_; }
    std::vector<std::string> sinces() const { std::lock_guard lock(mutex_); return sinces_; }
    int tokens() const { std::lock_guard lock(mutex_); return issued_; }
    int refused() const { std::lock_guard lock(mutex_); return refused_; }
    int bad() const { std::lock_guard lock(mutex_); return bad_; }

private:
    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        std::lock_guard lock(mutex_);
        const std::string target_text(req.target());
        auto target = boost::urls::parse_origin_form(target_text);
        if (!target) return fb::test::reply(400, "{}");
        if (target->path() == "/services/rest/auth/oauth2/v1/token") {
            std::map<std::string, std::string> form;
            boost::urls::url form_url("http://token/?" + req.body());  // the form body, decoded as a query
            for (auto p : form_url.params()) form[p.key] = p.value;
            if (req[boost::beast::http::field::content_type] != "application/x-www-form-urlencoded" ||
                form["grant_type"] != "client_credentials" || form["client_id"] != "fb-integration" || form["client_secret"] != client_secret) {
                ++bad_;
                return fb::test::reply(400, R"({"error":"invalid_client"})");
            }
            auto tok = "eyJraWQiOi" + std::to_string(++issued_);
            uses_[tok] = 0;
            return fb::test::reply(200, R"({"access_token":")" + tok + R"(","token_type":"Bearer","expires_in":3600})");
        }
        if (target->path() != "/services/rest/query/v1/suiteql" || req.method() != boost::beast::http::verb::post)
            return fb::test::reply(404, "{}");
        auto auth = std::string(req[boost::beast::http::field::authorization]);
        auto tok = auth.starts_with("Bearer ") ? auth.substr(7) : "";
        if (!uses_.count(tok) || ++uses_[tok] > token_uses_) {
            ++refused_;
            return fb::test::reply(401, R"({"type":"https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2","title":"Unauthorized","status":401,"o:errorDetails":[{"detail":"Invalid login attempt.","o:errorCode":"INVALID_LOGIN"}]})");
        }
        if (req["Prefer"] != "transient") {
            ++bad_;
            return fb::test::reply(400, R"({"o:errorDetails":[{"detail":"Missing Prefer: transient","o:errorCode":"INVALID_HEADER"}]})");
        }
        std::map<std::string, std::string> q;
        for (auto p : target->params()) q[std::string(p.key)] = std::string(p.value);
        boost::system::error_code ec;
        auto body = json::parse(req.body(), ec);
        static const std::regex since_re(R"(lastmodifieddate >= TO_TIMESTAMP\('([0-9: -]{19})', 'YYYY-MM-DD HH24:MI:SS'\))");
        static const std::regex until_re(R"(lastmodifieddate <= TO_TIMESTAMP\('([0-9: -]{19})', 'YYYY-MM-DD HH24:MI:SS'\))");
        std::smatch since, until;
        std::string sql = !ec && body.is_object() && body.as_object().contains("q") && body.at("q").is_string()
                              ? std::string(body.at("q").as_string()) : "";
        if (!std::regex_search(sql, since, since_re) || !std::regex_search(sql, until, until_re) || !q.count("limit") || !q.count("offset")) {
            ++bad_;
            return fb::test::reply(400, R"({"o:errorDetails":[{"detail":"Invalid search query.","o:errorCode":"INVALID_PARAMETER"}]})");
        }
        std::size_t limit = std::stoul(q["limit"]), offset = std::stoul(q["offset"]);
        if (offset % limit != 0) {  // SuiteQL: the offset is a multiple of the limit
            ++bad_;
            return fb::test::reply(400, R"({"o:errorDetails":[{"detail":"Invalid offset.","o:errorCode":"INVALID_PARAMETER"}]})");
        }
        offsets_.push_back(q["offset"]);
        sinces_.push_back(since[1]);
        std::vector<const json::object*> hits;
        for (const auto& r : rows_) {
            std::string at(r.at("lastmodified").as_string());
            if (at >= since[1].str() && at <= until[1].str()) hits.push_back(&r);
        }
        std::stable_sort(hits.begin(), hits.end(), [](auto* a, auto* b) {  // ORDER BY lastmodifieddate, id: the real moments
            auto key = [](const json::object* r) { return std::stoi(std::string(r->at("id").as_string())); };
            return key(a) < key(b);
        });
        json::array items;
        for (std::size_t i = offset; i < std::min(hits.size(), offset + limit); ++i) items.push_back(*hits[i]);
        json::object answer{{"links", json::array{}}, {"count", items.size()}, {"hasMore", offset + limit < hits.size()},
                            {"items", items}, {"offset", offset}, {"totalResults", hits.size()}};
        return fb::test::reply(200, json::serialize(answer));
    }

    int token_uses_;
    mutable std::mutex mutex_;
    std::vector<json::object> rows_;  // ids ascend with the real moment of their change
    std::map<std::string, int> uses_;
    std::vector<std::string> offsets_, sinces_;
    int issued_ = 0, refused_ = 0, bad_ = 0;
    fb::test::LoopbackServer server_;
};

std::string netsuite_flow(const Account& a, const std::string& initial, int size) {
    return "  - name: ns-fulfillments\n"
           "    document_type: item_fulfillment\n"
           "    mapping: mappings/netsuite/fulfillment-to-delivery.yaml\n"
           "    source:\n"
           "      type: http_poll\n"
           "      request: mappings/netsuite/poll-fulfillments.yaml\n"
           "      vars: { base: \"" + a.base() + "\", client_id: fb-integration, client_secret: \"" + client_secret + "\" }\n"
           "      login:\n"
           "        request: mappings/netsuite/login.yaml\n"
           "        from: body\n"
           "        name: $.access_token\n"
           "        expires_in: $.expires_in\n"
           "      every: 100ms\n"
           "      records: $.items\n"
           "      paging: { type: offset, size: " + std::to_string(size) + ", more: $.hasMore, boundary_check: false }\n"
           "      cursor: { time: $.lastmodified, id: $.id, tz: Europe/Berlin, overlap: 5m, initial: \"" + initial + "\" }\n";
}

}  // namespace

TEST_CASE("NetSuite: SuiteQL pages end on hasMore: false, a full last page included, expired tokens renewed") {
    PollRun t("netsuite");
    Account account(/*token_uses=*/3);
    for (int i = 0; i < 6; ++i) account.add(5101 + i, "2026-11-20 1" + std::to_string(i) + ":00:00");
    RunningApp app(t.config(netsuite_flow(account, "2026-11-01T00:00:00Z", 3)));
    auto orders = t.work_orders(app, "ns-fulfillments", "5106", 6);
    CHECK(orders.size() == 6);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    // Offsets 0 and 3: page 2 is full (3 of 3) but says hasMore: false, so offset 6 is never asked.
    auto offsets = account.offsets();
    REQUIRE(offsets.size() >= 2);
    CHECK(offsets[0] == "0");
    CHECK(offsets[1] == "3");
    CHECK(std::count(offsets.begin(), offsets.end(), "6") == 0);
    // Each token is refused after three calls: a 401, a new token, the same page again — nothing
    // lost (every fulfillment once), and the form body carried the secret percent-encoded.
    CHECK(account.tokens() >= 2);
    CHECK(account.refused() >= 1);
    CHECK(account.refused() <= account.tokens());
    CHECK(account.bad() == 0);
    CHECK(t.cursor("time") == "2026-11-20 15:00:00");
    CHECK(PollRun::metric(app, "fieldbridge_source_logins_total{flow=\"ns-fulfillments\"") >= 2);
}

TEST_CASE("NetSuite in Europe/Berlin: fulfillments on both sides of the October change, none missed, none doubled") {
    PollRun t("netsuite-dst");
    Account account;
    // 25 Oct 2026: 01:50, 02:20 and 02:40 CEST (the first 02:00–03:00), written zone-less.
    account.add(5501, "2026-10-25 01:50:00");
    account.add(5502, "2026-10-25 02:20:00");
    account.add(5503, "2026-10-25 02:40:00");
    RunningApp app(t.config(netsuite_flow(account, "2026-10-24T00:00:00Z", 100)));
    REQUIRE(eventually([&] { return t.cursor() == "5503"; }));
    // 02:40 is read as its earlier moment (00:40Z, CEST); the cursor's text is the ERP's.
    CHECK(t.cursor("time") == "2026-10-25 02:40:00");
    // After 03:00 CEST the clock shows 02:00 again: 02:10 and 02:50 CET, then 03:30 CET.
    account.add(5504, "2026-10-25 02:10:00");  // later than 5503, but an earlier wall clock
    account.add(5505, "2026-10-25 02:50:00");
    account.add(5506, "2026-10-25 03:30:00");
    auto orders = t.work_orders(app, "ns-fulfillments", "5506", 6);
    CHECK(orders.size() == 6);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    CHECK(orders.count("IF-5504") == 1);  // missed by a request asking from 02:35 (cursor − overlap at CEST)
    CHECK(t.cursor("time") == "2026-10-25 03:30:00");
    // With the cursor at 02:40 CEST and the window reaching past the change, the request asked
    // from 01:35: the smallest offset of the window (+01:00), an hour more, never less.
    auto sinces = account.sinces();
    CHECK(std::count(sinces.begin(), sinces.end(), "2026-10-25 01:35:00") >= 1);
    CHECK(std::count(sinces.begin(), sinces.end(), "2026-10-25 02:35:00") == 0);
    CHECK(account.bad() == 0);
}

TEST_CASE("NetSuite: the dry run with the token lifetime, tz and hasMore keys, the secrets masked") {
    PollRun t("netsuite-dry");
    Account account;
    for (int i = 0; i < 4; ++i) account.add(5101 + i, "2026-11-20 1" + std::to_string(i) + ":00:00");
    auto config = t.config(netsuite_flow(account, "2026-11-01T00:00:00Z", 2));
    std::ostringstream out;
    CHECK(fb::connectors::http_poll::dry_run(config, "ns-fulfillments", 5, out) == 0);
    INFO(out.str());
    CHECK(out.str().find(client_secret) == std::string::npos);
    CHECK(out.str().find("eyJraWQiOi1") == std::string::npos);  // the token
    CHECK(out.str().find("Prefer: transient") != std::string::npos);
    CHECK(out.str().find("offset=2") != std::string::npos);
    CHECK(out.str().find("--- page 3") == std::string::npos);  // page 2 said hasMore: false
    CHECK(out.str().find("(last page)") != std::string::npos);
    CHECK(out.str().find("TO_TIMESTAMP('2026-11-01 00:55:00'") != std::string::npos);  // 00:00Z − 5 min, in Berlin (+01:00)
}
