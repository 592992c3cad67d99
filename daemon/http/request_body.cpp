#include "http/request_body.h"

#include <boost/beast/core/string.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

namespace fb::http {
namespace json = boost::json;

namespace {

// RFC 3986 unreserved characters stay, everything else is %XX (a client secret's `~+/=`).
std::string form_escape(std::string_view text) {
    return boost::urls::encode(text, boost::urls::unreserved_chars);
}

}  // namespace

bool is_form(const Headers& headers) {
    auto type = find_header(headers, "Content-Type");
    return type.size() >= 33 &&
           boost::beast::iequals(type.substr(0, 33), "application/x-www-form-urlencoded");
}

std::optional<std::string> form_body(const json::value& body) {
    if (!body.is_object()) return std::nullopt;
    std::string out;
    auto add = [&](std::string_view key, const json::value& v) {
        if (v.is_null()) return;
        out += (out.empty() ? "" : "&") + form_escape(key) + "=" +
               form_escape(v.is_string() ? std::string(v.get_string()) : json::serialize(v));
    };
    for (const auto& kv : body.get_object()) {
        if (kv.value().is_array())
            for (const auto& v : kv.value().get_array()) add(kv.key(), v);
        else add(kv.key(), kv.value());
    }
    return out;
}

void set_body(ClientRequest& request, const json::value& body) {
    if (body.is_string()) {
        request.body = std::string(body.get_string());
    } else if (auto form = is_form(request.headers) ? form_body(body) : std::nullopt) {
        request.body = *form;
    } else if (!body.is_null()) {
        request.body = json::serialize(body);
        if (find_header(request.headers, "Content-Type").empty())
            request.headers.emplace_back("Content-Type", "application/json");
    }
}

}  // namespace fb::http
