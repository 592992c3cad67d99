// Writebacks signed with OAuth 1.0a: a WooCommerce-like shop over plain HTTP (consumer key and
// secret only, HMAC-SHA1) and a form-encoded write whose body parameters are signed too, each
// verified by the loopback ERP with its own base-string code; a wrong secret is a 401.
#include <catch2/catch.hpp>

#include "config/config.h"
#include "connectors/http_sink/http_sink.h"
#include "support/loopback_server.h"
#include "support/oauth1_verifier.h"
#include "support/source_dir.h"

using fb::connectors::http_sink::HttpSink;
using fb::connectors::http_sink::Spec;
using fb::core::ErpAnswer;
using fb::core::ErpRequest;

namespace {

std::shared_ptr<const Spec> spec_of(const std::string& sink) {
    auto text = "flows:\n"
                "  - name: delivery\n"
                "    source: { type: webhook }\n"
                "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
                "    writeback:\n"
                "      mapping: mappings/generic-rest/delivery-completion.yaml\n"
                "      sink:\n" + sink;
    auto c = fb::config::parse(text, "sink.yaml", FB_SOURCE_DIR);
    return std::dynamic_pointer_cast<const Spec>(c.flows.at(0).writeback.sink.spec);
}

struct Shop {
    fb::test::OAuth1Verifier verifier;
    std::mutex mutex;
    std::string last_refusal;
    std::vector<std::string> bodies;
    fb::test::LoopbackServer server{[this](const fb::test::Request& req) {
        auto why = verifier.check(req);
        std::lock_guard lock(mutex);
        if (!why.empty()) {
            last_refusal = why;
            return fb::test::reply(401, R"({"code":"woocommerce_rest_authentication_error","message":"Invalid signature - provided signature does not match."})");
        }
        bodies.push_back(req.body());
        return fb::test::reply(200, R"({"id":727,"status":"completed"})");
    }};
    Shop() {
        verifier.consumer_key = "ck_4f2a";
        verifier.consumer_secret = "cs_9b1e+/=";
        verifier.port = server.port();
    }
    std::string sink(const std::string& secret) const {
        return "        type: http\n        base_url: \"" + server.url("") + "\"\n"
               "        auth: { oauth1: { consumer_key: ck_4f2a, consumer_secret: \"" + secret + "\", signature_method: HMAC-SHA1 } }\n";
    }
};

constexpr std::chrono::milliseconds timeout{10000};

}  // namespace

TEST_CASE("oauth1 writeback: a WooCommerce-style PUT signed per request, query included, a wrong secret is a 401") {
    Shop shop;
    HttpSink sink(spec_of(shop.sink("cs_9b1e+/=")));
    ErpRequest put{"PUT", "/wp-json/wc/v3/orders/727?context=edit&note=done+ok", {{"Content-Type", "application/json"}},
                   R"({"status":"completed"})", "k-1"};
    for (int i = 0; i < 3; ++i) {  // a fresh nonce each time: the shop refuses a repeated one
        auto a = sink.send(put, timeout);
        INFO(shop.last_refusal);
        CHECK(a.status == 200);
        CHECK(a.refusal == ErpAnswer::Refusal::none);
    }
    CHECK(shop.verifier.verified() == 3);

    HttpSink wrong(spec_of(shop.sink("cs_wrong")));
    auto refused = wrong.send(put, timeout);
    CHECK(refused.status == 401);
    CHECK_THAT(shop.last_refusal, Catch::Contains("signature mismatch"));
    CHECK(refused.body.find("cs_wrong") == std::string::npos);
}

TEST_CASE("oauth1 writeback: a form-encoded body's parameters are signed (RFC 5849 §3.4.1.3.1)") {
    Shop shop;
    HttpSink sink(spec_of(shop.sink("cs_9b1e+/=")));
    ErpRequest form{"POST", "/api/delivery-result", {{"Content-Type", "application/x-www-form-urlencoded"}},
                    R"({"order":"SO 1001","result":"done/ok","note":"a+b=c"})", "k-2"};
    auto a = sink.send(form, timeout);
    INFO(shop.last_refusal);
    CHECK(a.status == 200);
    REQUIRE(shop.bodies.size() == 1);
    CHECK(shop.bodies[0] == "order=SO%201001&result=done%2Fok&note=a%2Bb%3Dc");
    // A signature over the URL alone would not match: the verifier signs the body's parameters.
    CHECK(shop.verifier.verified() == 1);
}
