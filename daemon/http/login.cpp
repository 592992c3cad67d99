#include "http/login.h"

#include "config/section.h"
#include "http/endpoint_config.h"
#include "http/jwt_assertion.h"

namespace fb::http {

bool LoginSpec::expired(const ClientResponse& response) const {
    if (expired_path.empty()) return false;
    auto v = json_path_string(response.body, expired_path);
    return v && (expired_equals.empty() || *v == expired_equals);
}

void LoginSpec::add_assertion(boost::json::object& context) const {
    if (assertion) context["assertion"] = assertion->sign();
}

std::vector<std::string> LoginSpec::secrets() const {
    if (!assertion) return {};
    return {assertion->key_text()};
}

std::shared_ptr<const LoginSpec> read_login(config::Section& parent, const std::string& key,
                                            const std::string& base_dir) {
    auto node = parent.get(key);
    if (!node) return nullptr;
    auto s = parent.child(node, parent.where() + "." + key);
    auto login = std::make_shared<LoginSpec>();
    auto file = s.string("request", "", true);
    login->request_file = config::resolve(base_dir, file);
    login->request = mapping::Mapping::load(login->request_file);
    if (!login->request->is_request())
        s.fail(s.get("request"), s.where() + ".request: " + file +
                                     " is a work-order mapping; a login is a mapping with `request:`");
    auto from = s.choice("from", "body", {"body", "cookie", "cookies", "header"});
    login->session.from = from == "cookie"    ? SessionSpec::From::cookie
                          : from == "cookies" ? SessionSpec::From::cookies
                          : from == "header"  ? SessionSpec::From::header
                                              : SessionSpec::From::body;
    if (login->session.from == SessionSpec::From::cookies) {
        // Several cookies sent back as one Cookie header (SAP B1: B1SESSION and ROUTEID).
        if (s.has("names")) login->session.names = s.strings("names");
    } else {
        login->session.name = login->session.from == SessionSpec::From::body ? read_path(s, "name", "", true)
                                                                             : s.string("name", "", true);
    }
    if (s.has("relogin_status")) {
        login->session.relogin_status.clear();
        for (const auto& code : s.strings("relogin_status")) {
            if (code.empty() || code.size() > 3 || code.find_first_not_of("0123456789") != std::string::npos)
                s.fail(s.get("relogin_status"), s.where() + ".relogin_status lists HTTP status codes, found `" + code + "`");
            login->session.relogin_status.push_back(std::stoi(code));
        }
    }
    // The session's lifetime in the login answer (OAuth2 `expires_in`): renewed before its end.
    login->session.expires_in = read_path(s, "expires_in");
    login->session.expires_at = read_path(s, "expires_at");
    if (auto e = s.get("expired")) {
        auto es = s.child(e, s.where() + ".expired");
        login->expired_path = read_path(es, "path", "", true);
        login->expired_equals = es.string("equals", "");
        es.reject_unknown();
    }
    login->assertion = read_assertion(s);
    s.reject_unknown();
    return login;
}

}  // namespace fb::http
