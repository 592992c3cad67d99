// The `login:` block as configured, shared by the poll sources and the HTTP sinks: the login
// request (a request mapping), where the session value is in its answer, and what answer means
// "log in again". Read once here so both read it the same way.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "http/client.h"
#include "http/session.h"
#include "mapping/mapping.h"

namespace fb::config {
class Section;
}

namespace fb::http {

class JwtAssertion;

struct LoginSpec {
    std::shared_ptr<const mapping::Mapping> request;  // a request mapping over {vars, now}
    std::string request_file;
    SessionSpec session;
    // An answer that means "log in again" beyond session.relogin_status: the value at this path
    // of the JSON body equals `expired_equals` (present, when that is empty).
    std::string expired_path, expired_equals;
    bool expired(const ClientResponse& response) const;
    // `assertion:`: a JWT signed afresh for each login, `$.assertion` in the login request.
    std::shared_ptr<const JwtAssertion> assertion;
    void add_assertion(boost::json::object& context) const;
    std::vector<std::string> secrets() const;  // the assertion's key
};

// `login: {request, from: body|cookie|header, name, relogin_status: [401, 403],
// expired: {path, equals}, expires_in: $.expires_in, expires_at: $.path, assertion: {alg, key,
// kid, claims, lifetime}}`, or null when `key` is absent. Errors name file:line:col.
std::shared_ptr<const LoginSpec> read_login(config::Section& parent, const std::string& key,
                                            const std::string& base_dir);

}  // namespace fb::http
