#include "http/auth.h"

#include <boost/beast/core/detail/base64.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "config/section.h"

#include <cctype>

namespace fb::http {

std::string base64(std::string_view bytes) {
    namespace b64 = boost::beast::detail::base64;
    std::string out(b64::encoded_size(bytes.size()), '\0');
    out.resize(b64::encode(out.data(), bytes.data(), bytes.size()));
    return out;
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
}

std::vector<std::string> Auth::secrets() const {
    std::vector<std::string> out;
    for (const auto* s : {&basic_password, &bearer, &api_key})
        if (!s->empty()) out.push_back(*s);
    if (!basic_user.empty()) out.push_back(base64(basic_user + ":" + basic_password));
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
    if (!a.bearer.empty() && !a.basic_user.empty())
        s.fail(node, s.where() + ": `basic` and `bearer` both set an Authorization header; choose one");
    s.reject_unknown();
    return a;
}

std::string mask_secrets(std::string text, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets) {
        if (secret.size() < 4) continue;  // masking "a" would mangle the text and hide nothing
        for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3))
            text.replace(at, secret.size(), "***");
    }
    return text;
}

}  // namespace fb::http
