#include "http/jwt_assertion.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <chrono>
#include <stdexcept>

#include "config/section.h"
#include "http/auth.h"
#include "support/base64.h"

namespace fb::http {
namespace json = boost::json;

struct JwtAssertion::Key {
    EVP_PKEY* pkey = nullptr;
    ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

const char* alg_name(JwtAssertion::Alg a) {
    switch (a) {
        case JwtAssertion::Alg::RS256: return "RS256";
        case JwtAssertion::Alg::PS256: return "PS256";
        case JwtAssertion::Alg::ES256: return "ES256";
        case JwtAssertion::Alg::HS256: return "HS256";
    }
    return "";
}

// OpenSSL's reason for the last failure, without anything of the input.
std::string openssl_reason() {
    auto code = ERR_peek_last_error();
    ERR_clear_error();
    const char* reason = code ? ERR_reason_error_string(code) : nullptr;
    return reason ? reason : "unknown error";
}

EVP_PKEY* read_private_key(const std::string& pem, JwtAssertion::Alg alg) {
    std::string text = pem;
    if (text.find("-----BEGIN") == std::string::npos)
        throw std::invalid_argument("the key is not a PEM private key (no -----BEGIN line; ${file:…} reads the file)");
    if (text.find("ENCRYPTED") != std::string::npos)
        throw std::invalid_argument("the key is encrypted with a passphrase; give it unencrypted (a file only fieldbridge can read)");
    if (text.back() != '\n') text += '\n';  // ${file:} drops the last line break
    BIO* bio = BIO_new_mem_buf(text.data(), int(text.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!key) throw std::invalid_argument("the key is not a readable PEM private key (" + openssl_reason() + ")");
    const bool rsa = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
    const bool ec = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC;
    std::string why;
    if ((alg == JwtAssertion::Alg::RS256 || alg == JwtAssertion::Alg::PS256) && !rsa)
        why = std::string(alg_name(alg)) + " signs with an RSA key, this is " + (ec ? "an EC key (use ES256)" : "another kind of key");
    else if ((alg == JwtAssertion::Alg::RS256 || alg == JwtAssertion::Alg::PS256) && EVP_PKEY_get_bits(key) < 2048)
        why = "an RSA key for " + std::string(alg_name(alg)) + " has at least 2048 bits, this one " + std::to_string(EVP_PKEY_get_bits(key));
    else if (alg == JwtAssertion::Alg::ES256 && !ec)
        why = std::string("ES256 signs with an EC P-256 key, this is ") + (rsa ? "an RSA key (use RS256 or PS256)" : "another kind of key");
    else if (alg == JwtAssertion::Alg::ES256) {
        char curve[64] = {0};
        std::size_t n = 0;
        if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &n) ||
            std::string(curve) != "prime256v1")
            why = std::string("ES256 signs with an EC key on P-256 (prime256v1), this one is on ") + (n ? curve : "another curve");
    }
    if (!why.empty()) {
        EVP_PKEY_free(key);
        throw std::invalid_argument(why);
    }
    return key;
}

// An ECDSA signature as DER (what OpenSSL writes) → r||s, 32 bytes each (RFC 7518 §3.4).
std::string jose_ecdsa(const unsigned char* der, std::size_t size) {
    const unsigned char* p = der;
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, long(size));
    if (!sig) throw std::runtime_error("ES256: OpenSSL's signature is not DER (" + openssl_reason() + ")");
    std::string out(64, '\0');
    const BIGNUM *r = nullptr, *s = nullptr;
    ECDSA_SIG_get0(sig, &r, &s);
    bool ok = BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32) == 32 &&
              BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    if (!ok) throw std::runtime_error("ES256: a signature part longer than 32 bytes");
    return out;
}

std::string random_jti() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("JWT: no random bytes for a jti");
    return base64url(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace

std::string base64url(std::string_view bytes) {
    return support::base64(bytes, true);
}

JwtAssertion::JwtAssertion(Alg alg, const std::string& key, std::string kid,
                           std::vector<std::pair<std::string, std::string>> claims, std::int64_t lifetime_s)
    : alg_(alg), key_text_(key), key_(std::make_unique<Key>()), kid_(std::move(kid)), claims_(std::move(claims)),
      lifetime_s_(lifetime_s), now_s_([] {
          return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      }) {
    if (alg == Alg::HS256) {
        if (key.size() < 32) throw std::invalid_argument("an HS256 secret has at least 32 bytes (RFC 7518 §3.2), this one " + std::to_string(key.size()));
    } else {
        key_->pkey = read_private_key(key, alg);
    }
}

JwtAssertion::~JwtAssertion() = default;

std::string JwtAssertion::sign() const {
    json::object header{{"alg", alg_name(alg_)}, {"typ", "JWT"}};
    if (!kid_.empty()) header["kid"] = kid_;
    const auto iat = now_s_();
    json::object payload;
    for (const auto& [k, v] : claims_) payload[k] = v;
    payload["iat"] = iat;
    payload["exp"] = iat + lifetime_s_;
    payload["jti"] = random_jti();
    const std::string input = base64url(json::serialize(header)) + "." + base64url(json::serialize(payload));
    std::string signature;
    if (alg_ == Alg::HS256) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (!HMAC(EVP_sha256(), key_text_.data(), int(key_text_.size()), reinterpret_cast<const unsigned char*>(input.data()),
                  input.size(), mac, &n))
            throw std::runtime_error("HS256: HMAC failed");
        signature.assign(reinterpret_cast<const char*>(mac), n);
    } else {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX* pctx = nullptr;
        std::size_t size = 0;
        bool ok = ctx && EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, key_->pkey) == 1;
        if (ok && alg_ == Alg::PS256)  // RFC 7518 §3.5: MGF1 with SHA-256, a salt as long as the hash
            ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
                 EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
        ok = ok && EVP_DigestSign(ctx, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
        std::string der(size, '\0');
        ok = ok && EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &size,
                                  reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
        EVP_MD_CTX_free(ctx);
        if (!ok) throw std::runtime_error(std::string(alg_name(alg_)) + ": signing failed (" + openssl_reason() + ")");
        der.resize(size);
        signature = alg_ == Alg::ES256 ? jose_ecdsa(reinterpret_cast<const unsigned char*>(der.data()), der.size()) : der;
    }
    return input + "." + base64url(signature);
}

std::shared_ptr<const JwtAssertion> read_assertion(config::Section& login) {
    auto node = login.get("assertion");
    if (!node) return nullptr;
    auto s = login.child(node, login.where() + ".assertion");
    if (!s.has("alg")) s.fail(node, s.where() + ": missing required field `alg` (RS256, PS256, ES256 or HS256)");
    auto alg = s.choice("alg", "", {"RS256", "PS256", "ES256", "HS256"});
    auto key_node = s.get("key");
    auto key = s.string("key", "", true);
    auto kid = s.string("kid", "");
    auto lifetime = s.integer("lifetime", 300, 10, 3600);
    std::vector<std::pair<std::string, std::string>> claims;
    auto claims_node = s.get("claims");
    for (auto& [k, v] : s.string_map("claims")) {
        if (k == "iat" || k == "exp" || k == "jti")
            s.fail(claims_node, s.where() + ".claims." + k + " is set by fieldbridge for each login (exp = iat + lifetime)");
        claims.emplace_back(k, v);
    }
    s.reject_unknown();
    auto which = alg == "RS256" ? JwtAssertion::Alg::RS256 : alg == "PS256" ? JwtAssertion::Alg::PS256
               : alg == "ES256" ? JwtAssertion::Alg::ES256 : JwtAssertion::Alg::HS256;
    try {
        return std::make_shared<const JwtAssertion>(which, key, kid, std::move(claims), lifetime);
    } catch (const std::invalid_argument& e) {
        s.fail(key_node, s.where() + ".key cannot sign " + alg + ": " + e.what());
    }
}

}  // namespace fb::http
