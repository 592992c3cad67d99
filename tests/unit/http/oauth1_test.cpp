// OAuth 1.0a signing against the examples RFC 5849 publishes: the §3.4.1.1 signature base string,
// the §3.4.1.2 base string URIs, the §1.2 HMAC-SHA1 signature, and OAuth Core 1.0 Appendix A.5
// through the whole header (oauth_version included); then the `auth: { oauth1 }` config.
#include <catch2/catch.hpp>

#include "config/section.h"
#include "http/auth.h"
#include "support/auth_yaml.h"
#include "http/oauth1.h"

using namespace fb::http;
using fb::test::parse_auth;

TEST_CASE("oauth1: the signature base string of RFC 5849 §3.4.1.1") {
    Params oauth{{"oauth_consumer_key", "9djdj82h48djs9d2"},
                 {"oauth_token", "kkk9d7dh3k39sjv7"},
                 {"oauth_signature_method", "HMAC-SHA1"},
                 {"oauth_timestamp", "137131201"},
                 {"oauth_nonce", "7d8f3e4a"}};
    CHECK(oauth1_base_string("POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", oauth, "c2&a3=2+q") ==
          "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26"
          "b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26"
          "oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26"
          "oauth_token%3Dkkk9d7dh3k39sjv7");
    // Without a form body the body's parameters are not signed (a JSON body never is).
    CHECK(oauth1_base_string("POST", "http://example.com/request", {}, "") == "POST&http%3A%2F%2Fexample.com%2Frequest&");
}

TEST_CASE("oauth1: base string URIs of RFC 5849 §3.4.1.2") {
    CHECK(oauth1_base_string("get", "HTTP://EXAMPLE.COM:80/r%20v/X?id=123", {}, "") ==
          "GET&http%3A%2F%2Fexample.com%2Fr%2520v%2FX&id%3D123");
    CHECK(oauth1_base_string("GET", "https://www.example.net:8080/?q=1", {}, "") ==
          "GET&https%3A%2F%2Fwww.example.net%3A8080%2F&q%3D1");
    CHECK(oauth1_base_string("GET", "https://example.net:443", {}, "") == "GET&https%3A%2F%2Fexample.net%2F&");
    CHECK(oauth1_base_string("GET", "ftp://example.net/x", {}, "").empty());
    CHECK(oauth1_base_string("GET", "not a url", {}, "").empty());
}

TEST_CASE("oauth1: the HMAC-SHA1 signature of RFC 5849 §1.2 (photos.example.net)") {
    Params oauth{{"oauth_consumer_key", "dpf43f3p2l4k3l03"},
                 {"oauth_token", "nnch734d00sl2jdk"},
                 {"oauth_signature_method", "HMAC-SHA1"},
                 {"oauth_timestamp", "137131202"},
                 {"oauth_nonce", "chapoH"}};
    auto base = oauth1_base_string("GET", "http://photos.example.net/photos?file=vacation.jpg&size=original", oauth, "");
    CHECK(oauth1_signature(OAuth1::Method::hmac_sha1, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00", base) ==
          "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
}

TEST_CASE("oauth1: the whole Authorization header of OAuth Core 1.0 Appendix A.5, nonces fresh per request") {
    OAuth1 o;
    o.consumer_key = "dpf43f3p2l4k3l03";
    o.consumer_secret = "kd94hf93k423kf44";
    o.token = "nnch734d00sl2jdk";
    o.token_secret = "pfkkdhi9sl3r4s00";
    o.realm = "http://photos.example.net/";
    o.method = OAuth1::Method::hmac_sha1;
    ClientRequest r{"GET", "http://photos.example.net/photos?file=vacation.jpg&size=original"};
    auto header = o.authorization(r, 1191242096, "kllo9940pd9333jh");
    CHECK(header.starts_with("OAuth realm=\"http://photos.example.net/\", oauth_consumer_key=\"dpf43f3p2l4k3l03\""));
    CHECK_THAT(header, Catch::Contains("oauth_version=\"1.0\"") && Catch::Contains("oauth_token=\"nnch734d00sl2jdk\""));
    CHECK_THAT(header, Catch::EndsWith("oauth_signature=\"tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D\""));
    // HMAC-SHA256 (the default) signs the same base string with SHA-256.
    o.method = OAuth1::Method::hmac_sha256;
    CHECK_THAT(o.authorization(r, 1191242096, "kllo9940pd9333jh"), Catch::Contains("oauth_signature_method=\"HMAC-SHA256\""));
    // sign(): a nonce from OpenSSL's RAND and the clock's time, new for every request.
    o.now_s = [] { return 1'790'000'000; };
    ClientRequest a = r, b = r;
    o.sign(a);
    o.sign(b);
    auto nonce = [](const ClientRequest& q) {
        auto h = std::string(find_header(q.headers, "Authorization"));
        auto at = h.find("oauth_nonce=\"") + 13;
        return h.substr(at, h.find('"', at) - at);
    };
    CHECK(nonce(a).size() == 32);
    CHECK(nonce(a) != nonce(b));
    CHECK_THAT(std::string(find_header(a.headers, "Authorization")), Catch::Contains("oauth_timestamp=\"1790000000\""));
}

TEST_CASE("oauth1 config: NetSuite TBA and consumer-only, secrets masked, mistakes with file:line:col") {
    auto a = parse_auth("auth:\n  oauth1:\n    consumer_key: ck-1\n    consumer_secret: cs-secret\n"
                        "    token: tok-1234\n    token_secret: ts-secret\n    realm: 1234567_SB1\n");
    REQUIRE(a.oauth1);
    CHECK(a.oauth1->method == OAuth1::Method::hmac_sha256);
    CHECK(a.oauth1->realm == "1234567_SB1");
    ClientRequest r{"GET", "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/itemFulfillment?limit=5"};
    a.apply(r);
    auto header = std::string(find_header(r.headers, "Authorization"));
    CHECK(header.starts_with("OAuth realm=\"1234567_SB1\", "));
    auto masked = mask_secrets("Authorization: " + header + " cs-secret ts-secret", a.secrets());
    CHECK(masked.find("tok-1234") == std::string::npos);
    CHECK(masked.find("cs-secret") == std::string::npos);
    CHECK(masked.find("ts-secret") == std::string::npos);
    CHECK(masked.find("ck-1") != std::string::npos);  // the consumer key names the integration

    auto woo = parse_auth("auth: { oauth1: { consumer_key: ck_1, consumer_secret: cs_1, signature_method: HMAC-SHA1 } }");
    CHECK(woo.oauth1->method == OAuth1::Method::hmac_sha1);
    CHECK(woo.oauth1->token.empty());

    CHECK_THROWS_WITH(parse_auth("auth:\n  oauth1:\n    consumer_key: a\n    consumer_secret: b\n    token: t\n"),
                      Catch::Contains("test.yaml:5:12") && Catch::Contains("`token` and `token_secret` go together"));
    CHECK_THROWS_WITH(parse_auth("auth: { oauth1: { consumer_key: a, consumer_secret: b, signature_method: RSA-SHA1 } }"),
                      Catch::Contains("test.yaml:1:") && Catch::Contains("HMAC-SHA256"));
    CHECK_THROWS_WITH(parse_auth("auth: { oauth1: { consumer_key: a } }"), Catch::Contains("consumer_secret"));
    CHECK_THROWS_WITH(parse_auth("auth:\n  bearer: x\n  oauth1: { consumer_key: a, consumer_secret: b }\n"),
                      Catch::Contains("test.yaml:3:11") && Catch::Contains("choose one"));
    CHECK_THROWS_WITH(parse_auth("auth: { oauth1: { consumer_key: a, consumer_secret: b, realm: 'a\"b' } }"),
                      Catch::Contains("realm"));
    CHECK_THROWS_WITH(parse_auth("auth: { oauth1: { consumer_key: a, consumer_secret: b, tokn: c } }"),
                      Catch::Contains("did you mean `token`"));
}
