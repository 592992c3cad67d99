#include "http/oauth1.h"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <stdexcept>

#include "http/auth.h"
#include "http/request_body.h"

namespace fb::http {

namespace {

// Name/value pairs of a query or a form body, decoded as application/x-www-form-urlencoded
// (`+` is a space), as §3.4.1.3.1 says; a pair without `=` has an empty value.
void add_params(std::string_view text, Params& out) {
    if (text.empty()) return;
    if (!boost::urls::parse_query(text)) return;  // not a query: nothing signable (the ERP says so)
    boost::urls::encoding_opts opts(true, false, false);
    for (auto p : boost::urls::params_view(text, opts))
        out.emplace_back(p.key, p.has_value ? p.value : "");
}

template <class View>
std::string_view sv(const View& v) {
    return std::string_view(v.data(), v.size());
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::string oauth_encode(std::string_view text) {
    return boost::urls::encode(text, boost::urls::unreserved_chars);
}

std::string oauth1_base_string(std::string_view method, std::string_view url, const Params& oauth_params,
                               std::string_view form_body) {
    auto u = boost::urls::parse_absolute_uri(url);
    if (!u) return "";
    const auto scheme = lower(sv(u->scheme()));
    if (scheme != "http" && scheme != "https") return "";
    // §3.4.1.2: lower-case scheme and host, the port only when not the scheme's default.
    std::string uri = scheme + "://" + lower(sv(u->encoded_host()));
    const auto port = sv(u->port());
    if (!port.empty() && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443"))
        uri += ":" + std::string(port);
    const auto path = sv(u->encoded_path());
    uri += path.empty() ? std::string("/") : std::string(path);
    // §3.4.1.3: every parameter encoded, sorted by name then value, joined by & and =.
    Params params = oauth_params;
    if (u->has_query()) add_params(sv(u->encoded_query()), params);
    add_params(form_body, params);
    for (auto& [k, v] : params) k = oauth_encode(k), v = oauth_encode(v);
    std::sort(params.begin(), params.end());
    std::string normalized;
    for (const auto& [k, v] : params) normalized += (normalized.empty() ? "" : "&") + k + "=" + v;
    std::string m(method);
    for (auto& c : m) c = char(std::toupper(static_cast<unsigned char>(c)));
    return m + "&" + oauth_encode(uri) + "&" + oauth_encode(normalized);
}

std::string oauth1_signature(OAuth1::Method method, std::string_view consumer_secret,
                             std::string_view token_secret, std::string_view base_string) {
    const std::string key = oauth_encode(consumer_secret) + "&" + oauth_encode(token_secret);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    const EVP_MD* md = method == OAuth1::Method::hmac_sha1 ? EVP_sha1() : EVP_sha256();
    if (!HMAC(md, key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(base_string.data()),
              base_string.size(), mac, &size))
        throw std::runtime_error("OAuth 1.0a: HMAC failed");
    return base64(std::string_view(reinterpret_cast<const char*>(mac), size));
}

std::string random_nonce() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("OAuth 1.0a: no random bytes for a nonce");
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) out += digits[b >> 4], out += digits[b & 15];
    return out;
}

std::string OAuth1::authorization(const ClientRequest& request, std::int64_t timestamp,
                                  const std::string& nonce_value) const {
    Params oauth{{"oauth_consumer_key", consumer_key},
                 {"oauth_nonce", nonce_value},
                 {"oauth_signature_method", method == Method::hmac_sha1 ? "HMAC-SHA1" : "HMAC-SHA256"},
                 {"oauth_timestamp", std::to_string(timestamp)},
                 {"oauth_version", "1.0"}};
    if (!token.empty()) oauth.emplace_back("oauth_token", token);
    // §3.4.1.3.1: form parameters are signed only for a single-part form body.
    const std::string_view form = is_form(request.headers) ? std::string_view(request.body) : std::string_view();
    auto base = oauth1_base_string(request.method, request.url, oauth, form);
    oauth.emplace_back("oauth_signature", oauth1_signature(method, consumer_secret, token_secret, base));
    std::string header = "OAuth ";
    if (!realm.empty()) header += "realm=\"" + realm + "\", ";
    for (std::size_t i = 0; i < oauth.size(); ++i)
        header += (i ? ", " : "") + oauth[i].first + "=\"" + oauth_encode(oauth[i].second) + "\"";
    return header;
}

void OAuth1::sign(ClientRequest& request) const {
    const auto ts = now_s ? now_s()
                          : std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
    request.headers.emplace_back("Authorization", authorization(request, ts, nonce ? nonce() : random_nonce()));
}

}  // namespace fb::http
