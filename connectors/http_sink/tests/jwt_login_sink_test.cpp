// The http sink's login with a signed JWT client assertion (RFC 7523, as NetSuite M2M wants it),
// against a loopback ERP whose token endpoint verifies the assertion with the public key alone
// (tests/support/jwt_keys.h: OpenSSL, not fieldbridge's code) and whose API takes only the token
// it issued. The poll side of the same login is in connectors/http_poll/tests/jwt_login_poll_test.cpp.
#include <catch2/catch.hpp>

#include <boost/url/url.hpp>

#include <map>
#include <mutex>
#include <set>

#include "config/config.h"
#include "connectors/http_sink/http_sink.h"
#include "support/jwt_keys.h"
#include "support/loopback_server.h"
#include "support/source_dir.h"
#include "support/temp_dir.h"
#include "writeback/classify.h"

using fb::connectors::http_sink::HttpSink;
using fb::core::ErpAnswer;

namespace {

class TokenErp {
public:
    explicit TokenErp(EVP_PKEY* public_key)
        : public_key_(public_key), server_([this](const fb::test::Request& r) { return handle(r); }) {}
    std::string base() const { return server_.url(""); }
    std::string token_url() const { return server_.url("/services/rest/auth/oauth2/v1/token"); }
    int issued() const { std::lock_guard lock(mutex_); return issued_; }
    int refused() const { std::lock_guard lock(mutex_); return refused_; }
    int writes() const { std::lock_guard lock(mutex_); return writes_; }
    std::string last_refusal() const { std::lock_guard lock(mutex_); return last_refusal_; }

private:
    std::string check(const std::map<std::string, std::string>& form) {
        auto at = [&](const std::string& k) { auto it = form.find(k); return it == form.end() ? std::string() : it->second; };
        if (at("grant_type") != "client_credentials") return "grant_type";
        auto v = fb::test::verify_jwt(at("client_assertion"), "ES256", public_key_);
        if (!v.error.empty()) return v.error;
        if (v.header["kid"] != "cert-7") return "kid";
        if (v.claims["iss"] != "fb-client" || v.claims["aud"] != token_url().c_str()) return "iss/aud";
        if (!jtis_.insert(std::string(v.claims["jti"].as_string())).second) return "jti replayed";
        return "";
    }
    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        std::lock_guard lock(mutex_);
        if (req.target() == "/services/rest/auth/oauth2/v1/token") {
            std::map<std::string, std::string> form;
            boost::urls::url form_url("http://token/?" + req.body());
            for (auto p : form_url.params()) form[p.key] = p.value;
            if (auto why = check(form); !why.empty()) {
                ++refused_;
                last_refusal_ = why;
                return fb::test::reply(400, R"({"error":"invalid_grant"})");
            }
            auto token = "tok-" + std::to_string(++issued_);
            tokens_.insert(token);
            return fb::test::reply(200, R"({"access_token":")" + token + R"(","expires_in":3600})");
        }
        auto auth = std::string(req[boost::beast::http::field::authorization]);
        if (!auth.starts_with("Bearer ") || !tokens_.count(auth.substr(7))) return fb::test::reply(401, "{}");
        ++writes_;
        return fb::test::reply(200, R"({"status":"completed"})");
    }

    EVP_PKEY* public_key_;
    mutable std::mutex mutex_;
    std::set<std::string> tokens_, jtis_;
    int issued_ = 0, refused_ = 0, writes_ = 0;
    std::string last_refusal_;
    fb::test::LoopbackServer server_;
};

std::shared_ptr<const fb::connectors::http_sink::Spec> sink_spec(const TokenErp& erp, const std::string& key_file) {
    auto yaml = "flows:\n"
                "  - name: delivery\n"
                "    source: { type: webhook }\n"
                "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
                "    writeback:\n"
                "      mapping: mappings/generic-rest/delivery-completion.yaml\n"
                "      sink:\n"
                "        type: http\n"
                "        base_url: \"" + erp.base() + "\"\n"
                "        vars: { base: \"" + erp.base() + "\" }\n"
                "        login:\n"
                "          request: mappings/netsuite/login-m2m.yaml\n"
                "          from: body\n"
                "          name: $.access_token\n"
                "          expires_in: $.expires_in\n"
                "          assertion:\n"
                "            alg: ES256\n"
                "            key: \"${file:" + key_file + "}\"\n"
                "            kid: cert-7\n"
                "            claims: { iss: fb-client, aud: \"" + erp.token_url() + "\" }\n"
                "        session_header: { name: Authorization, prefix: \"Bearer \" }\n";
    auto c = fb::config::parse(yaml, "sink.yaml", FB_SOURCE_DIR);
    return std::dynamic_pointer_cast<const fb::connectors::http_sink::Spec>(c.flows.at(0).writeback.sink.spec);
}

fb::core::ErpRequest post(const std::string& key) {
    return fb::core::ErpRequest{"POST", "/api/deliveries/CK-1/complete", {{"Idempotency-Key", key}}, R"({"done":true})", key};
}

}  // namespace

TEST_CASE("http sink: a login by signed JWT assertion is verified by the token endpoint, writebacks go with its token") {
    fb::test::TempDir dir("jwt-sink");
    auto keys = fb::test::make_key_pair("EC");
    SECTION("the registered key: one token for every writeback") {
        fb::test::write_file(dir.str("key.pem"), keys.private_pem);
        TokenErp erp(keys.public_key.get());
        HttpSink sink(sink_spec(erp, dir.str("key.pem")));
        for (const char* key : {"k-1", "k-2", "k-3"}) {
            auto a = sink.send(post(key), std::chrono::seconds(10));
            INFO(erp.last_refusal());
            CHECK(a.status == 200);
            CHECK(fb::writeback::classify(a, nullptr, {}).kind == fb::writeback::Verdict::Kind::success);
        }
        CHECK(erp.issued() == 1);
        CHECK(erp.refused() == 0);
        CHECK(erp.writes() == 3);
    }
    SECTION("another key: refused, retried when the next login is due, the key never in the reason") {
        auto other = fb::test::make_key_pair("EC");
        fb::test::write_file(dir.str("key.pem"), other.private_pem);
        TokenErp erp(keys.public_key.get());
        HttpSink sink(sink_spec(erp, dir.str("key.pem")));
        auto a = sink.send(post("k-1"), std::chrono::seconds(10));
        CHECK(erp.last_refusal() == "bad ES256 signature");
        CHECK(a.refusal == ErpAnswer::Refusal::retry);
        CHECK(a.retry_after_ms == 1000);
        auto verdict = fb::writeback::classify(a, nullptr, {});
        CHECK(verdict.kind == fb::writeback::Verdict::Kind::retry);
        CHECK(verdict.reason.find("PRIVATE KEY") == std::string::npos);
        CHECK(a.refusal_reason.find("PRIVATE KEY") == std::string::npos);
        CHECK(erp.writes() == 0);
        CHECK(erp.issued() == 0);
    }
}
