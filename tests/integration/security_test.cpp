// Signed webhooks, the token-protected trace API, and secrets that never leak.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "connectors/webhook/signature.h"
#include "core/secrets.h"
#include "harness.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

fb::config::Config signed_config(const std::string& state) {
    setenv("FB_TEST_HOOK_SECRET", "hook-secret-4f1c", 1);
    setenv("FB_TEST_ADMIN_TOKEN", "admin-token-9d2e", 1);
    std::string text = "state: { path: " + state + " }\n"
                       "kafka: { brokers: embedded, embedded_brokers: 1 }\n"
                       "http: { listen: 127.0.0.1:0, admin_token: \"${env:FB_TEST_ADMIN_TOKEN}\" }\n"
                       "flows:\n"
                       "  - name: delivery\n"
                       "    source: { type: webhook, hmac: { secret: \"${env:FB_TEST_HOOK_SECRET}\", header: X-Signature } }\n"
                       "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n";
    return fb::config::parse(text, "signed.yaml", FB_SOURCE_DIR);
}

}  // namespace

TEST_CASE("a signed webhook refuses wrong signatures, thousands of them, and takes the right one") {
    RunningApp daemon(signed_config(temp_path("signed.db")));
    auto body = sample("generic-rest/shipment-CK20261120-0042.json");
    auto good = fb::connectors::webhook::hmac_sha256_hex("hook-secret-4f1c", body);
    CHECK(http_request(daemon.port(), "POST", "/webhooks/delivery", body).status == 401);
    for (int i = 0; i < 10000; ++i) {
        auto wrong = good;
        wrong[i % wrong.size()] = wrong[i % wrong.size()] == '0' ? '1' : '0';
        auto r = http_request(daemon.port(), "POST", "/webhooks/delivery", body, {{"X-Signature", wrong}});
        REQUIRE(r.status == 401);
    }
    auto ok = http_request(daemon.port(), "POST", "/webhooks/delivery", body, {{"X-Signature", "sha256=" + good}});
    CHECK(ok.status == 202);
    auto metrics = http_request(daemon.port(), "GET", "/metrics").body;
    CHECK(metrics.find("hook-secret-4f1c") == std::string::npos);
    CHECK(metrics.find("admin-token-9d2e") == std::string::npos);
}

TEST_CASE("the trace API shows where a document is, behind the admin token") {
    RunningApp daemon(signed_config(temp_path("trace.db")));
    auto body = sample("generic-rest/shipment-CK20261120-0042.json");
    auto sig = fb::connectors::webhook::hmac_sha256_hex("hook-secret-4f1c", body);
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", body, {{"X-Signature", sig}}).status == 202);
    auto target = "/api/trace/delivery/CK20261120-0042";
    CHECK(http_request(daemon.port(), "GET", target).status == 401);
    CHECK(http_request(daemon.port(), "GET", target, "", {{"Authorization", "Bearer admin-token-9d2f"}}).status == 401);
    json::value trace;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    do {
        auto r = http_request(daemon.port(), "GET", target, "", {{"Authorization", "Bearer admin-token-9d2e"}});
        REQUIRE(r.status == 200);
        trace = r.json();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (!trace.at("events").as_array().empty() &&
             !trace.at("events").at(0).at("published").as_bool() &&
             std::chrono::steady_clock::now() < deadline);
    CHECK(trace.at("ledger").at("work_order_id") == "WO-delivery-CK20261120-0042");
    CHECK(trace.at("ledger").at("state") == "open");
    REQUIRE(trace.at("events").as_array().size() == 1);
    CHECK(trace.at("events").at(0).at("type") == "work_order.created");
    CHECK(trace.at("events").at(0).at("published") == true);
    CHECK(trace.at("events").at(0).at("offset").as_int64() >= 0);
}

TEST_CASE("secrets compare in constant time and only equal secrets match") {
    CHECK(fb::core::secrets_equal("abc", "abc"));
    CHECK_FALSE(fb::core::secrets_equal("abc", "abd"));
    CHECK_FALSE(fb::core::secrets_equal("abc", "abcd"));
    CHECK(fb::connectors::webhook::signature_valid("k", "body", fb::connectors::webhook::hmac_sha256_hex("k", "body")));
    CHECK_FALSE(fb::connectors::webhook::signature_valid("k", "body", ""));
}

TEST_CASE("a hex signature matches in either case and with blanks around it, a base64 one exactly") {
    using namespace fb::connectors::webhook;
    // RFC 4231 test case 2.
    const std::string hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    REQUIRE(hmac_sha256_hex("Jefe", "what do ya want for nothing?") == hex);
    std::string upper = hex;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(signature_valid("Jefe", "what do ya want for nothing?", upper));
    CHECK(signature_valid("Jefe", "what do ya want for nothing?", "SHA256=" + upper));
    CHECK(signature_valid("Jefe", "what do ya want for nothing?", "  sha256=" + hex + " "));
    CHECK_FALSE(signature_valid("Jefe", "what do ya want for nothing!", upper));
    CHECK_FALSE(signature_valid("Jefe", "what do ya want for nothing?", "sha256="));
    CHECK_FALSE(signature_valid("Jefe", "what do ya want for nothing?", hex.substr(0, 63)));

    const std::string b64 = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=";
    REQUIRE(hmac_sha256_base64("Jefe", "what do ya want for nothing?") == b64);
    CHECK(signature_valid("Jefe", "what do ya want for nothing?", b64, SignatureEncoding::base64));
    CHECK(signature_valid("Jefe", "what do ya want for nothing?", "sha256=" + b64, SignatureEncoding::base64));
    // base64 is case-sensitive: another case is another digest; a hex digest is not a base64 one.
    std::string swapped = b64;
    swapped[0] = 'w';
    CHECK_FALSE(signature_valid("Jefe", "what do ya want for nothing?", swapped, SignatureEncoding::base64));
    CHECK_FALSE(signature_valid("Jefe", "what do ya want for nothing?", hex, SignatureEncoding::base64));
    CHECK_FALSE(signature_valid("Jefe", "what do ya want for nothing?", b64));
}

TEST_CASE("a webhook signed the WooCommerce way, base64 in its own header, is taken, and the config names a bad encoding") {
    setenv("FB_TEST_HOOK_SECRET", "hook-secret-4f1c", 1);
    auto text = [](const std::string& state, const std::string& encoding) {
        return "state: { path: " + state + " }\n"
               "kafka: { brokers: embedded, embedded_brokers: 1 }\n"
               "http: { listen: 127.0.0.1:0 }\n"
               "flows:\n"
               "  - name: delivery\n"
               "    source: { type: webhook, hmac: { secret: \"${env:FB_TEST_HOOK_SECRET}\", "
               "header: X-WC-Webhook-Signature, encoding: " + encoding + " } }\n"
               "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n";
    };
    try {
        fb::config::parse(text(temp_path("enc.db"), "base32"), "signed.yaml", FB_SOURCE_DIR);
        FAIL("an unknown encoding was accepted");
    } catch (const std::exception& e) {
        CHECK_THAT(e.what(), Catch::Contains("signed.yaml:6:") && Catch::Contains("encoding") &&
                                 Catch::Contains("base64"));
    }
    RunningApp daemon(fb::config::parse(text(temp_path("woo.db"), "base64"), "signed.yaml", FB_SOURCE_DIR));
    auto body = sample("generic-rest/shipment-CK20261120-0042.json");
    auto sig = fb::connectors::webhook::hmac_sha256_base64("hook-secret-4f1c", body);
    CHECK(http_request(daemon.port(), "POST", "/webhooks/delivery", body,
                       {{"X-WC-Webhook-Signature", fb::connectors::webhook::hmac_sha256_hex("hook-secret-4f1c", body)}})
              .status == 401);
    CHECK(http_request(daemon.port(), "POST", "/webhooks/delivery", body, {{"X-WC-Webhook-Signature", sig}}).status == 202);
}
