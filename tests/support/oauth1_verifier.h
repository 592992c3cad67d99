// The ERP's side of OAuth 1.0a (RFC 5849), for loopback ERPs in tests: it rebuilds the signature
// base string from the request as received — its own code, not fieldbridge's — and checks the
// HMAC, the consumer key, the token, the realm, the timestamp and that no nonce comes twice.
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "support/loopback_server.h"

namespace fb::test {

class OAuth1Verifier {
public:
    std::string consumer_key, consumer_secret, token, token_secret, realm;
    unsigned short port = 0;  // the ERP's, for the base string URI (http://127.0.0.1:port/path)

    // Empty when the request is signed right; else why not (what a 401 would say).
    std::string check(const Request& req) {
        auto auth = std::string(req[boost::beast::http::field::authorization]);
        if (auth.rfind("OAuth ", 0) != 0) return "no OAuth Authorization header";
        std::map<std::string, std::string> oauth;
        for (auto& part : split(auth.substr(6), ',')) {
            auto p = trim(part);
            auto eq = p.find('=');
            if (eq == std::string::npos || p.size() < eq + 3 || p[eq + 1] != '"' || p.back() != '"') return "bad header part " + p;
            oauth[p.substr(0, eq)] = decode(p.substr(eq + 2, p.size() - eq - 3), false);
        }
        auto at = [&](const std::string& k) { auto it = oauth.find(k); return it == oauth.end() ? std::string() : it->second; };
        if (at("oauth_consumer_key") != consumer_key) return "wrong consumer key";
        if (at("oauth_token") != token) return "wrong token";
        if (!realm.empty() && at("realm") != realm) return "wrong realm";
        const auto method = at("oauth_signature_method");
        if (method != "HMAC-SHA256" && method != "HMAC-SHA1") return "unsupported signature method " + method;
        auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        auto ts = at("oauth_timestamp");
        if (ts.empty() || ts.find_first_not_of("0123456789") != std::string::npos || std::llabs(std::stoll(ts) - now) > 300)
            return "timestamp out of range";
        std::vector<std::pair<std::string, std::string>> params;
        for (const auto& [k, v] : oauth)
            if (k != "realm" && k != "oauth_signature") params.emplace_back(k, v);
        std::string target(req.target());
        auto q = target.find('?');
        if (q != std::string::npos) add_form(target.substr(q + 1), params);
        if (req[boost::beast::http::field::content_type].starts_with("application/x-www-form-urlencoded")) add_form(req.body(), params);
        for (auto& [k, v] : params) k = encode(k), v = encode(v);
        std::sort(params.begin(), params.end());
        std::string joined;
        for (const auto& [k, v] : params) joined += (joined.empty() ? "" : "&") + k + "=" + v;
        auto uri = "http://127.0.0.1:" + std::to_string(port) + target.substr(0, q);
        auto base = std::string(req.method_string()) + "&" + encode(uri) + "&" + encode(joined);
        auto key = encode(consumer_secret) + "&" + encode(token_secret);
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        HMAC(method == "HMAC-SHA1" ? EVP_sha1() : EVP_sha256(), key.data(), int(key.size()),
             reinterpret_cast<const unsigned char*>(base.data()), base.size(), mac, &n);
        std::string expected(4 * ((n + 2) / 3) + 1, '\0');
        expected.resize(std::size_t(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected.data()), mac, int(n))));
        const auto got = at("oauth_signature");
        if (got.size() != expected.size() || CRYPTO_memcmp(got.data(), expected.data(), got.size()) != 0)
            return "signature mismatch; base string " + base;
        std::lock_guard lock(mutex_);
        if (at("oauth_nonce").size() < 8) return "nonce too short";
        if (!nonces_.insert(at("oauth_nonce")).second) return "nonce used before";
        ++verified_;
        return "";
    }
    int verified() const {
        std::lock_guard lock(mutex_);
        return verified_;
    }

private:
    static std::vector<std::string> split(const std::string& s, char by) {
        std::vector<std::string> out;
        std::string cur;
        for (char c : s) {
            if (c == by) out.push_back(cur), cur.clear();
            else cur += c;
        }
        out.push_back(cur);
        return out;
    }
    static std::string trim(const std::string& s) {
        auto b = s.find_first_not_of(' ');
        auto e = s.find_last_not_of(' ');
        return b == std::string::npos ? "" : s.substr(b, e - b + 1);
    }
    static std::string decode(const std::string& s, bool plus_is_space) {
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '%' && i + 2 < s.size()) {
                out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else {
                out += plus_is_space && s[i] == '+' ? ' ' : s[i];
            }
        }
        return out;
    }
    static std::string encode(const std::string& s) {
        static const char* hex = "0123456789ABCDEF";
        std::string out;
        for (unsigned char c : s) {
            if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += char(c);
            else out += '%', out += hex[c >> 4], out += hex[c & 15];
        }
        return out;
    }
    static void add_form(const std::string& text, std::vector<std::pair<std::string, std::string>>& out) {
        if (text.empty()) return;
        for (const auto& pair : split(text, '&')) {
            auto eq = pair.find('=');
            out.emplace_back(decode(pair.substr(0, eq), true), eq == std::string::npos ? "" : decode(pair.substr(eq + 1), true));
        }
    }

    mutable std::mutex mutex_;
    std::set<std::string> nonces_;
    int verified_ = 0;
};

}  // namespace fb::test
