// Test keys made at test time (no private key is committed) and the token endpoint's side of a
// JWT assertion: the signature verified with the public key alone (OpenSSL, its own code, not
// fieldbridge's), the header and claims decoded for the test to judge.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace fb::test {

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A new key pair: "RSA" (2048 bits) or "EC" (P-256). The private key as PEM (PKCS#8), the public
// key read back from its own PEM, so verifying never touches the private half.
struct KeyPair {
    std::string private_pem;
    Pkey public_key;
};

inline std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, std::size_t(n));
    BIO_free(bio);
    return out;
}

inline KeyPair make_key_pair(const std::string& type) {
    Pkey key(type == "EC" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                          : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t(2048)));
    if (!key) throw std::runtime_error("key generation failed");
    BIO* priv = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(priv, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    BIO* pub = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(pub, key.get());
    auto pub_pem = bio_text(pub);
    BIO* in = BIO_new_mem_buf(pub_pem.data(), int(pub_pem.size()));
    Pkey public_key(PEM_read_bio_PUBKEY(in, nullptr, nullptr, nullptr));
    BIO_free(in);
    return {bio_text(priv), std::move(public_key)};
}

inline void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

inline std::string from_base64url(std::string s) {
    for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
    std::size_t pad = (4 - s.size() % 4) % 4;
    s.append(pad, '=');
    std::string out(s.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()), int(s.size()));
    if (n < 0) throw std::runtime_error("not base64url");
    out.resize(std::size_t(n) - pad);
    return out;
}

struct VerifiedJwt {
    std::string error;  // empty: the signature holds
    boost::json::object header, claims;
};

// `public_key` for RS256/PS256/ES256; `secret` for HS256.
inline VerifiedJwt verify_jwt(const std::string& jwt, const std::string& alg, EVP_PKEY* public_key,
                              const std::string& secret = "") {
    VerifiedJwt out;
    auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
    if (dot1 == std::string::npos || dot1 == dot2) return {"not three parts"};
    try {
        out.header = boost::json::parse(from_base64url(jwt.substr(0, dot1))).as_object();
        out.claims = boost::json::parse(from_base64url(jwt.substr(dot1 + 1, dot2 - dot1 - 1))).as_object();
    } catch (const std::exception& e) {
        return {std::string("undecodable: ") + e.what()};
    }
    if (out.header["alg"] != alg.c_str()) return {"alg is not " + alg};
    const std::string input = jwt.substr(0, dot2);
    std::string sig = from_base64url(jwt.substr(dot2 + 1));
    const auto* data = reinterpret_cast<const unsigned char*>(input.data());
    if (alg == "HS256") {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        HMAC(EVP_sha256(), secret.data(), int(secret.size()), data, input.size(), mac, &n);
        if (sig.size() != n || CRYPTO_memcmp(sig.data(), mac, n) != 0) out.error = "bad HS256 signature";
        return out;
    }
    if (alg == "ES256") {  // JOSE r||s back to DER for OpenSSL
        if (sig.size() != 64) return {"an ES256 signature is 64 bytes, not " + std::to_string(sig.size())};
        ECDSA_SIG* es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32, nullptr),
                       BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr));
        unsigned char* der = nullptr;
        int n = i2d_ECDSA_SIG(es, &der);
        sig.assign(reinterpret_cast<const char*>(der), std::size_t(n));
        OPENSSL_free(der);
        ECDSA_SIG_free(es);
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    bool ok = EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), nullptr, public_key) == 1;
    if (ok && alg == "PS256")
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1 && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1;
    ok = ok && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(), data, input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) out.error = "bad " + alg + " signature";
    return out;
}

}  // namespace fb::test
