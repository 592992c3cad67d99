#include "http/auth.h"

#include <boost/beast/core/string.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "config/section.h"
#include "http/oauth1.h"
#include "support/base64.h"

#include <cctype>

namespace fb::http {

std::string base64(std::string_view bytes) {
    return support::base64(bytes);
}

void Auth::apply(ClientRequest& request) const {
    for (const auto& h : headers) request.headers.push_back(h);
    if (!basic_user.empty())
        request.headers.emplace_back("Authorization", "Basic " + base64(basic_user + ":" + basic_password));
    if (!bearer.empty()) request.headers.emplace_back("Authorization", "Bearer " + bearer);
    if (!api_key.empty() && !api_key_header.empty()) request.headers.emplace_back(api_key_header, api_key);
    if (!api_key.empty() && !api_key_query.empty()) {
        auto frag = request.url.find('#');
        if (frag != std::string::npos) request.url.resize(frag);
        request.url += request.url.find('?') == std::string::npos ? '?' : '&';
        request.url += boost::urls::encode(api_key_query, boost::urls::unreserved_chars) + "=" +
                       boost::urls::encode(api_key, boost::urls::unreserved_chars);
    }
    if (oauth1) oauth1->sign(request);  // last: the query above is signed too
}

std::vector<std::string> Auth::secrets() const {
    std::vector<std::string> out;
    for (const auto* s : {&basic_password, &bearer, &api_key})
        if (!s->empty()) out.push_back(*s);
    if (!basic_user.empty()) out.push_back(base64(basic_user + ":" + basic_password));
    if (oauth1)  // the consumer key names the integration; the token is a credential
        for (const auto* s : {&oauth1->consumer_secret, &oauth1->token, &oauth1->token_secret})
            if (!s->empty()) out.push_back(*s);
    // A static header that carries a credential (ERPNext's `Authorization: token key:secret`,
    // an `X-Api-Key`) is as secret as `bearer:`; `Accept: application/json` is not.
    for (const auto& [name, value] : headers) {
        std::string n;
        for (char c : name) n += char(std::tolower(static_cast<unsigned char>(c)));
        for (const char* word : {"auth", "cookie", "key", "token", "secret", "session", "password"})
            if (n.find(word) != std::string::npos && !value.empty()) {
                out.push_back(value);
                break;
            }
    }
    return out;
}

namespace {

std::shared_ptr<const OAuth1> read_oauth1(config::Section& s) {
    auto o = std::make_shared<OAuth1>();
    o->consumer_key = s.string("consumer_key", "", true);
    o->consumer_secret = s.string("consumer_secret", "", true);
    o->token = s.string("token", "");
    o->token_secret = s.string("token_secret", "");
    o->realm = s.string("realm", "");
    auto method = s.choice("signature_method", "HMAC-SHA256", {"HMAC-SHA256", "HMAC-SHA1"});
    o->method = method == "HMAC-SHA1" ? OAuth1::Method::hmac_sha1 : OAuth1::Method::hmac_sha256;
    if (o->token.empty() != o->token_secret.empty())
        s.fail(s.get(o->token.empty() ? "token_secret" : "token"),
               s.where() + ": `token` and `token_secret` go together (both, or neither for a consumer-only signature)");
    if (o->realm.find_first_of("\"\\\r\n") != std::string::npos)
        s.fail(s.get("realm"), s.where() + ".realm: a realm (NetSuite's account id, 1234567_SB1) has no quotes, backslashes or line breaks");
    s.reject_unknown();
    return o;
}

}  // namespace

Auth read_auth(config::Section& parent, const std::string& key) {
    Auth a;
    auto node = parent.get(key);
    if (!node) return a;
    auto s = parent.child(node, parent.where() + "." + key);
    for (auto& [k, v] : s.string_map("headers")) a.headers.emplace_back(k, v);
    if (auto b = s.get("basic")) {
        auto bs = s.child(b, s.where() + ".basic");
        a.basic_user = bs.string("user", "", true);
        a.basic_password = bs.string("password", "", true);
        bs.reject_unknown();
    }
    a.bearer = s.string("bearer", "");
    if (auto k = s.get("api_key")) {
        auto ks = s.child(k, s.where() + ".api_key");
        a.api_key = ks.string("value", "", true);
        a.api_key_header = ks.string("header", "");
        a.api_key_query = ks.string("query", "");
        if (a.api_key_header.empty() == a.api_key_query.empty())
            ks.fail(k, s.where() + ".api_key needs one of `header` or `query`");
        ks.reject_unknown();
    }
    if (auto o = s.get("oauth1")) {
        auto os = s.child(o, s.where() + ".oauth1");
        a.oauth1 = read_oauth1(os);
    }
    if (!a.bearer.empty() && !a.basic_user.empty())
        s.fail(node, s.where() + ": `basic` and `bearer` both set an Authorization header; choose one");
    if (a.oauth1) {
        bool other = !a.bearer.empty() || !a.basic_user.empty();
        for (const auto& [k, v] : a.headers) other = other || boost::beast::iequals(k, "Authorization");
        if (other)
            s.fail(s.get("oauth1"), s.where() + ": `oauth1` and `basic`, `bearer` or an Authorization header "
                                                "each set the Authorization header; choose one");
    }
    s.reject_unknown();
    return a;
}

namespace {

// How a secret looks in a URL or a form: percent-encoded (RFC 3986 unreserved kept), upper- or
// lower-case hex, or with `+` for a space.
std::vector<std::string> url_forms(const std::string& secret) {
    std::string upper = boost::urls::encode(secret, boost::urls::unreserved_chars);
    std::string lower = upper, plus;
    for (std::size_t i = 0; i < lower.size(); ++i)
        if (lower[i] == '%') {
            lower[i + 1] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i + 1])));
            lower[i + 2] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[i + 2])));
        }
    for (std::size_t i = 0; i < upper.size(); ++i) {
        if (upper.compare(i, 3, "%20") == 0) plus += '+', i += 2;
        else plus += upper[i];
    }
    std::vector<std::string> out;
    for (auto* f : {&upper, &lower, &plus})
        if (*f != secret) out.push_back(*f);
    return out;
}

void mask_one(std::string& text, const std::string& secret) {
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
        text.replace(at, secret.size(), "***");
}

}  // namespace

std::string mask_secrets(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets) {
        if (secret.size() < 4) continue;  // masking "a" would mangle the text and hide nothing
        mask_one(text, secret);
        // A mapping's url_encode() or the api_key query puts it in the URL encoded.
        for (const auto& form : url_forms(secret)) mask_one(text, form);
    }
    return text;
}

}  // namespace fb::http
