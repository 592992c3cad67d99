// NetSuite OAuth 2.0 machine-to-machine as the README configures it: the login signs a JWT
// client assertion (PS256, and ES256) with a key made at test time; the loopback token endpoint
// verifies it with the public key alone, checks alg, kid, iss, aud, scope, exp and that no jti
// comes twice, answers {access_token, expires_in}; SuiteQL pages then go with that token.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <boost/url/url.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <set>

#include "poll_run.h"
#include "support/jwt_keys.h"
#include "support/loopback_server.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

class M2mAccount {
public:
    M2mAccount(std::string alg, EVP_PKEY* public_key)
        : alg_(std::move(alg)), public_key_(public_key), server_([this](const fb::test::Request& r) { return handle(r); }) {}
    std::string base() const { return server_.url(""); }
    std::string token_url() const { return server_.url("/services/rest/auth/oauth2/v1/token"); }
    void add(int id, const std::string& lastmodified) {
        std::lock_guard lock(mutex_);
        rows_.push_back(json::object{{"id", std::to_string(id)}, {"tranid", "IF-" + std::to_string(id)}, {"entity", "3120"},
                                     {"customer_name", "Bäckerei Hofmann KG"}, {"memo", "Hof"},
                                     {"shipaddress", "Bäckerei Hofmann KG\nKantstr. 7\n10623 Berlin\nGermany"},
                                     {"lastmodified", lastmodified}});
    }
    int issued() const { std::lock_guard lock(mutex_); return issued_; }
    int refused() const { std::lock_guard lock(mutex_); return refused_; }
    std::string last_refusal() const { std::lock_guard lock(mutex_); return last_refusal_; }

private:
    std::string check_assertion(const std::map<std::string, std::string>& form) {
        auto at = [&](const std::string& k) { auto it = form.find(k); return it == form.end() ? std::string() : it->second; };
        if (at("grant_type") != "client_credentials") return "grant_type";
        if (at("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") return "client_assertion_type";
        auto v = fb::test::verify_jwt(at("client_assertion"), alg_, public_key_);
        if (!v.error.empty()) return v.error;
        if (v.header["kid"] != "ns-cert-42") return "kid";
        if (v.claims["iss"] != "ns-client-id") return "iss";
        if (v.claims["scope"] != "rest_webservices") return "scope";
        if (v.claims["aud"] != token_url().c_str()) return "aud";
        auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        if (!v.claims["exp"].is_int64() || !v.claims["iat"].is_int64()) return "exp/iat not numbers";
        auto exp = v.claims["exp"].as_int64(), iat = v.claims["iat"].as_int64();
        if (exp <= now || iat > now + 60 || exp - iat != 300) return "exp";
        if (!jtis_.insert(std::string(v.claims["jti"].as_string())).second) return "jti replayed";
        return "";
    }
    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        std::lock_guard lock(mutex_);
        std::string target(req.target());
        if (target == "/services/rest/auth/oauth2/v1/token") {
            std::map<std::string, std::string> form;
            boost::urls::url form_url("http://token/?" + req.body());
            for (auto p : form_url.params()) form[p.key] = p.value;
            if (auto why = check_assertion(form); !why.empty()) {
                ++refused_;
                last_refusal_ = why;
                return fb::test::reply(400, R"({"error":"invalid_grant"})");
            }
            auto token = "m2m-token-" + std::to_string(++issued_);
            tokens_.insert(token);
            return fb::test::reply(200, R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":3600})");
        }
        auto auth = std::string(req[boost::beast::http::field::authorization]);
        if (!auth.starts_with("Bearer ") || !tokens_.count(auth.substr(7))) return fb::test::reply(401, R"({"title":"Unauthorized"})");
        if (target.rfind("/services/rest/query/v1/suiteql?limit=", 0) != 0) return fb::test::reply(404, "{}");
        auto offset = std::stoul(target.substr(target.find("offset=") + 7));
        json::array items;
        for (std::size_t i = offset; i < rows_.size() && i < offset + 2; ++i) items.push_back(rows_[i]);
        return fb::test::reply(200, json::serialize(json::object{{"items", items}, {"hasMore", offset + 2 < rows_.size()}}));
    }

    std::string alg_;
    EVP_PKEY* public_key_;
    mutable std::mutex mutex_;
    std::vector<json::object> rows_;
    std::set<std::string> tokens_, jtis_;
    int issued_ = 0, refused_ = 0;
    std::string last_refusal_;
    fb::test::LoopbackServer server_;
};

std::string m2m_flow(const M2mAccount& a, const std::string& alg, const std::string& key_file) {
    return "  - name: ns-m2m\n"
           "    document_type: item_fulfillment\n"
           "    mapping: mappings/netsuite/fulfillment-to-delivery.yaml\n"
           "    source:\n"
           "      type: http_poll\n"
           "      request: mappings/netsuite/poll-fulfillments.yaml\n"
           "      vars: { base: \"" + a.base() + "\" }\n"
           "      login:\n"
           "        request: mappings/netsuite/login-m2m.yaml\n"
           "        from: body\n"
           "        name: $.access_token\n"
           "        expires_in: $.expires_in\n"
           "        assertion:\n"
           "          alg: " + alg + "\n"
           "          key: \"${file:" + key_file + "}\"\n"
           "          kid: ns-cert-42\n"
           "          claims: { iss: ns-client-id, scope: rest_webservices, aud: \"" + a.token_url() + "\" }\n"
           "          lifetime: 300\n"
           "      every: 100ms\n"
           "      records: $.items\n"
           "      paging: { type: offset, size: 2, more: $.hasMore }\n"
           "      cursor: { time: $.lastmodified, id: $.id, tz: Europe/Berlin, overlap: 5m, initial: \"2026-11-01T00:00:00Z\" }\n";
}

}  // namespace

TEST_CASE("NetSuite M2M: a PS256 and an ES256 client assertion verified by the token endpoint, the poll runs on its token") {
    for (const std::string alg : {"PS256", "ES256"}) {
        INFO(alg);
        PollRun t("jwt-poll-" + alg);
        auto keys = fb::test::make_key_pair(alg == "ES256" ? "EC" : "RSA");
        fb::test::write_file(t.dir.str("netsuite.pem"), keys.private_pem);
        M2mAccount account(alg, keys.public_key.get());
        for (int i = 0; i < 3; ++i) account.add(5101 + i, "2026-11-20 1" + std::to_string(i) + ":00:00");
        RunningApp app(t.config(m2m_flow(account, alg, t.dir.str("netsuite.pem"))));
        auto orders = t.work_orders(app, "ns-m2m", "5103", 3);
        INFO(account.last_refusal());
        CHECK(orders.size() == 3);
        CHECK(account.refused() == 0);
        CHECK(account.issued() == 1);  // one token, renewed only before its hour ends
    }
}

TEST_CASE("NetSuite M2M: an assertion signed with another key is refused, the login backs off, nothing is committed") {
    PollRun t("jwt-poll-wrong");
    auto registered = fb::test::make_key_pair("RSA"), other = fb::test::make_key_pair("RSA");
    fb::test::write_file(t.dir.str("netsuite.pem"), other.private_pem);
    M2mAccount account("PS256", registered.public_key.get());
    account.add(5101, "2026-11-20 10:00:00");
    RunningApp app(t.config(m2m_flow(account, "PS256", t.dir.str("netsuite.pem"))));
    REQUIRE(eventually([&] { return account.refused() >= 2; }));
    CHECK(account.last_refusal() == "bad PS256 signature");
    CHECK(account.issued() == 0);
    CHECK(t.cursor().empty());
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
    auto ready = std::string(http_request(app.port(), "GET", "/readyz").json().at("sources").at("ns-m2m").as_string());
    CHECK_THAT(ready, Catch::Contains("login"));
    CHECK(ready.find("PRIVATE KEY") == std::string::npos);
}
