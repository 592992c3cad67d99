// Signed JWT assertions for login requests: each of RS256, PS256, ES256 and HS256 verified with
// the public key (or the shared secret) by the test's own OpenSSL code, fresh iat/exp/jti per
// login, ES256 in JOSE r||s form; keys made at test time; config mistakes with file:line:col and
// a reason that never quotes the key.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include "config/section.h"
#include "http/auth.h"
#include "http/jwt_assertion.h"
#include "http/login.h"
#include "support/jwt_keys.h"
#include "support/temp_dir.h"
#include "support/source_dir.h"

using namespace fb::http;
using fb::test::make_key_pair;
using fb::test::verify_jwt;

namespace {

std::vector<std::pair<std::string, std::string>> netsuite_claims() {
    return {{"iss", "ns-client-id"}, {"scope", "rest_webservices"},
            {"aud", "https://1234567.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token"}};
}

// A login block as configured, read with its assertion.
std::shared_ptr<const LoginSpec> login_of(const std::string& assertion_yaml) {
    auto root = YAML::Load("login:\n  request: mappings/netsuite/login-m2m.yaml\n  from: body\n  name: $.access_token\n"
                           "  assertion:\n" + assertion_yaml);
    fb::config::Section s(root, "erp.yaml", "source");
    return read_login(s, "login", FB_SOURCE_DIR);
}

std::string login_error(const std::string& assertion_yaml) {
    try {
        login_of(assertion_yaml);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("JWT assertions: RS256, PS256 and ES256 verify with the public key, claims as configured") {
    for (const char* alg : {"RS256", "PS256", "ES256"}) {
        INFO(alg);
        const bool ec = std::string(alg) == "ES256";
        auto keys = make_key_pair(ec ? "EC" : "RSA");
        auto which = ec ? JwtAssertion::Alg::ES256 : std::string(alg) == "PS256" ? JwtAssertion::Alg::PS256 : JwtAssertion::Alg::RS256;
        JwtAssertion a(which, keys.private_pem, "cert-7f3a", netsuite_claims(), 300);
        a.set_clock([] { return 1'790'000'000; });
        auto jwt = a.sign();
        auto v = verify_jwt(jwt, alg, keys.public_key.get());
        CHECK(v.error.empty());
        CHECK(v.header["typ"] == "JWT");
        CHECK(v.header["kid"] == "cert-7f3a");
        CHECK(v.claims["iss"] == "ns-client-id");
        CHECK(v.claims["scope"] == "rest_webservices");
        CHECK(v.claims["aud"] == "https://1234567.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token");
        CHECK(v.claims["iat"].as_int64() == 1'790'000'000);
        CHECK(v.claims["exp"].as_int64() == 1'790'000'300);
        // Another login: another jti, and a signature the key of another pair does not verify.
        auto again = verify_jwt(a.sign(), alg, keys.public_key.get());
        CHECK(again.error.empty());
        CHECK(again.claims["jti"] != v.claims["jti"]);
        CHECK(std::string(v.claims["jti"].as_string()).size() >= 20);
        auto other = make_key_pair(ec ? "EC" : "RSA");
        CHECK_FALSE(verify_jwt(jwt, alg, other.public_key.get()).error.empty());
        // A tampered payload fails.
        auto dot = jwt.find('.');
        auto tampered = jwt.substr(0, dot + 1) + "x" + jwt.substr(dot + 2);
        CHECK_FALSE(verify_jwt(tampered, alg, keys.public_key.get()).error.empty());
    }
}

TEST_CASE("JWT assertions: HS256 with a shared secret, no kid, no kid header") {
    const std::string secret = "a-shared-secret-of-at-least-32-bytes!";
    JwtAssertion a(JwtAssertion::Alg::HS256, secret, "", {{"iss", "fb"}, {"sub", "integration@example.com"}}, 60);
    auto v = verify_jwt(a.sign(), "HS256", nullptr, secret);
    CHECK(v.error.empty());
    CHECK_FALSE(v.header.contains("kid"));
    CHECK(v.claims["sub"] == "integration@example.com");
    CHECK(v.claims["exp"].as_int64() - v.claims["iat"].as_int64() == 60);
    CHECK_FALSE(verify_jwt(a.sign(), "HS256", nullptr, secret + "x").error.empty());
}

TEST_CASE("JWT assertion config: the key from ${file:}, masked, bad keys fail with file:line:col and a reason") {
    fb::test::TempDir dir("jwt-config");
    auto rsa = make_key_pair("RSA"), ec = make_key_pair("EC");
    fb::test::write_file(dir.str("rsa.pem"), rsa.private_pem);
    fb::test::write_file(dir.str("ec.pem"), ec.private_pem);
    fb::test::write_file(dir.str("garbage.pem"), "not a key at all");
    fb::test::write_file(dir.str("cert.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    auto small = fb::test::Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t(1024)));
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, small.get(), nullptr, nullptr, 0, nullptr, nullptr);
    fb::test::write_file(dir.str("small.pem"), fb::test::bio_text(bio));

    auto login = login_of("    alg: PS256\n    key: \"${file:" + dir.str("rsa.pem") + "}\"\n    kid: c1\n"
                          "    claims: { iss: ns-client-id, aud: https://x/token }\n    lifetime: 600\n");
    REQUIRE(login->assertion);
    CHECK(login->assertion->lifetime_s() == 600);
    auto secrets = login->secrets();
    REQUIRE(secrets.size() == 1);
    CHECK(mask_secrets("key: " + rsa.private_pem.substr(0, rsa.private_pem.size() - 1), secrets) == "key: ***");
    boost::json::object ctx;
    login->add_assertion(ctx);
    CHECK(verify_jwt(std::string(ctx["assertion"].as_string()), "PS256", rsa.public_key.get()).error.empty());

    auto with_key = [&](const std::string& alg, const std::string& file) {
        return login_error("    alg: " + alg + "\n    key: \"${file:" + dir.str(file) + "}\"\n");
    };
    CHECK_THAT(with_key("RS256", "garbage.pem"), Catch::Contains("erp.yaml:7:10") && Catch::Contains("not a PEM private key"));
    CHECK_THAT(with_key("RS256", "cert.pem"), Catch::Contains("erp.yaml:7:10") && Catch::Contains("not a readable PEM private key"));
    CHECK_THAT(with_key("PS256", "ec.pem"), Catch::Contains("PS256 signs with an RSA key, this is an EC key (use ES256)"));
    CHECK_THAT(with_key("ES256", "rsa.pem"), Catch::Contains("ES256 signs with an EC P-256 key, this is an RSA key"));
    CHECK_THAT(with_key("RS256", "small.pem"), Catch::Contains("at least 2048 bits, this one 1024"));
    CHECK_THAT(with_key("RS256", "missing.pem"), Catch::Contains("erp.yaml:7:10") && Catch::Contains("cannot read secret file"));
    CHECK(with_key("PS256", "ec.pem").find("PRIVATE KEY") == std::string::npos);  // the key is never quoted
    CHECK_THAT(login_error("    alg: HS256\n    key: short\n"), Catch::Contains("an HS256 secret has at least 32 bytes") && Catch::Contains("this one 5"));
    CHECK_THAT(login_error("    alg: RS512\n    key: x\n"), Catch::Contains("erp.yaml:6:10") && Catch::Contains("RS256, PS256, ES256, HS256"));
    CHECK_THAT(login_error("    key: x\n"), Catch::Contains("missing required field `alg`"));
    CHECK_THAT(login_error("    alg: ES256\n    key: \"${file:" + dir.str("ec.pem") + "}\"\n    claims: { exp: 1 }\n"),
               Catch::Contains("claims.exp is set by fieldbridge"));
    CHECK_THAT(login_error("    alg: ES256\n    key: \"${file:" + dir.str("ec.pem") + "}\"\n    lifetime: 86400\n"),
               Catch::Contains("lifetime must be between 10 and 3600"));
}
