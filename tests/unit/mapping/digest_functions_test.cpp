// sha256, sha1, md5, hmac_sha256, hmac_sha1 for request signatures: the published test vectors
// (FIPS 180 "abc", RFC 1321, RFC 4231 / RFC 2202 case 2), the three encodings, compile errors that
// name the function, and the YonBIP-style token request of mappings/README.md checked against a
// signature computed here with OpenSSL directly.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "helpers.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;

namespace {

std::string eval(const std::string& expr, const std::string& doc = R"({"DocNo": "1"})") {
    auto m = work_order_mapping("  notes: { expr: '" + expr + "', as: string }\n");
    auto r = map_one(*m, doc);
    if (r.kind == MapResult::Kind::failed) return "failed: " + r.error->message();
    auto it = r.work_order.find("notes");
    return it == r.work_order.end() ? "nothing" : std::string(it->value().as_string());
}

std::string compile_error(const std::string& expr) {
    try {
        work_order_mapping("  notes: { expr: '" + expr + "' }\n");
    } catch (const CompileError& e) {
        return e.what();
    }
    return "compiled";
}

}  // namespace

TEST_CASE("digests: FIPS 180 and RFC 1321 test vectors, in hex, base64 and base64url") {
    CHECK(eval("sha256(\"abc\")") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(eval("sha256(\"abc\", \"hex\")") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(eval("sha256(\"abc\", \"base64\")") == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    CHECK(eval("sha256(\"abc\", \"base64url\")") == "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    CHECK(eval("sha1(\"abc\")") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(eval("md5(\"\")") == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(eval("md5(\"abc\")") == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(eval("md5(\"message digest\")") == "f96b697d7cb7938d525a2f31aaf161d0");
    // Text is hashed as its UTF-8 bytes; a number as JSON writes it.
    CHECK(eval("md5($.Name)", R"({"DocNo": "1", "Name": "abc"})") == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(eval("md5(string($.N))", R"({"DocNo": "1", "N": 42})") == eval("md5(\"42\")"));
    CHECK(eval("sha256($.Missing)") == "nothing");
}

TEST_CASE("HMACs: RFC 4231 and RFC 2202 test case 2 (key \"Jefe\")") {
    CHECK(eval("hmac_sha256(\"Jefe\", \"what do ya want for nothing?\")") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(eval("hmac_sha256(\"Jefe\", \"what do ya want for nothing?\", \"base64\")") ==
          "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
    CHECK(eval("hmac_sha1(\"Jefe\", \"what do ya want for nothing?\")") ==
          "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    // An empty key is a key (the HMAC of nothing with nothing is well defined).
    CHECK(eval("hmac_sha256(\"\", \"\")") == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    CHECK(eval("hmac_sha256($.NoKey, \"x\")") == "nothing");
}

TEST_CASE("digest mistakes are compile errors naming the function") {
    CHECK_THAT(compile_error("sha256()"), Catch::Contains("sha256() takes 1 to 2 arguments, not 0"));
    CHECK_THAT(compile_error("hmac_sha256(\"k\")"), Catch::Contains("hmac_sha256() takes 2 to 3 arguments, not 1"));
    CHECK_THAT(compile_error("md5(\"a\", \"hex\", \"x\")"), Catch::Contains("md5() takes 1 to 2 arguments, not 3"));
    CHECK_THAT(compile_error("sha1(\"a\", \"base32\")"),
               Catch::Contains("sha1() writes \"hex\", \"base64\" or \"base64url\", not \"base32\""));
    CHECK_THAT(compile_error("hmac_sha1(\"k\", \"a\", $.Encoding)"),
               Catch::Contains("hmac_sha1()") && Catch::Contains("a constant"));
    CHECK_THAT(compile_error("sha265(\"a\")"), Catch::Contains("unknown function `sha265`") && Catch::Contains("sha256"));
    // The error points at the encoding argument (m.yaml, the line of `notes:`).
    CHECK_THAT(compile_error("sha1(\"a\", \"base32\")"), Catch::Contains("m.yaml:"));
}

TEST_CASE("the YonBIP-style token request of mappings/README.md signs appKey and timestamp") {
    auto m = Mapping::load(repo("mappings/yonbip/login.yaml"));
    REQUIRE(m->is_request());
    boost::json::object ctx{{"vars", {{"base", "https://api.example.cn"}, {"app_key", "41832a3d2df94989b500da6a22268747"},
                                      {"app_secret", "c5ab3d8f+/=secret"}}},
                            {"now", "2026-11-20T08:00:00.000Z"},
                            {"now_ms", 1'795'161'600'000}};
    auto r = m->map_request(ctx);
    REQUIRE(r.kind == MapResult::Kind::mapped);
    // The signature as the platform computes it: base64(HMAC-SHA256(secret, "appKey…timestamp…")).
    const std::string text = "appKey41832a3d2df94989b500da6a22268747timestamp1795161600000";
    const std::string key = "c5ab3d8f+/=secret";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
    std::string b64(4 * ((size + 2) / 3) + 1, '\0');
    b64.resize(std::size_t(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()), mac, int(size))));
    std::string escaped;
    for (char c : b64) escaped += c == '+' ? "%2B" : c == '/' ? "%2F" : c == '=' ? "%3D" : std::string(1, c);
    CHECK(r.method == "GET");
    CHECK(r.url == "https://api.example.cn/iuap-api-auth/open-auth/selfAppAuth/getAccessToken?appKey=41832a3d2df94989b500da6a22268747"
                   "&timestamp=1795161600000&signature=" + escaped);
}
