// A login session shared by sources and sinks: a login request whose answer yields a session
// value (a token in the body, a cookie, a header), used by later requests, and renewed when the
// ERP answers that it has expired (401/403 or a configured answer) without losing the request.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/client.h"

namespace fb::http {

struct SessionSpec {
    enum class From { body, cookie, cookies, header };
    From from = From::body;
    // body: a path into the JSON answer (`$.result.session_id`, `$.KDSVCSessionId`);
    // cookie: the cookie's name (`kdservice-sessionid`); header: the header's name.
    std::string name;
    std::vector<int> relogin_status{401, 403};
    // cookies: the cookies to send back together (SAP B1's B1SESSION and ROUTEID), the value is
    // a ready `Cookie:` header, "B1SESSION=…; ROUTEID=…"; empty: every cookie the login set.
    std::vector<std::string> names;
};

// The value `spec` names in a login answer, if it is there and not empty.
std::optional<std::string> session_value(const SessionSpec& spec, const ClientResponse& response);
// The value at a `$.a.b[0].c` path (`$["@odata.etag"]` for a name with dots) of a JSON text (a
// string, an integer, or a boolean as true/false); nullopt when absent, something else, or not JSON.
// session_value() also takes a non-empty list or object at a `from: body` path, as its JSON.
std::optional<std::string> json_path_string(std::string_view json_text, std::string_view path);

class Session {
public:
    using Build = std::function<ClientRequest(const std::string& session)>;
    // The session value and the whole body of the login answer that issued it (Tryton's
    // `[user_id, "session"]`: a header built from both).
    struct Value {
        std::string session;
        std::string answer;
    };
    using BuildWithLogin = std::function<ClientRequest(const Value& value)>;
    // `login` builds the login request each time (it may carry the time); `expired` says when an
    // answer means "log in again" beyond the spec's status codes (Kingdee answers 200 with an
    // error body), and may be empty.
    Session(const Client& client, SessionSpec spec, std::function<ClientRequest()> login,
            std::function<bool(const ClientResponse&)> expired = {});

    // Sends `build(session)`, logging in first when there is no session; an answer that says the
    // session expired logs in again and sends once more. A failed login is a result with status
    // and body of the login answer and `login_failed` set.
    struct Result {
        ClientResult result;
        bool login_failed = false;
        std::string login_error;
    };
    Result send(const Build& build);
    Result send_with_login(const BuildWithLogin& build);
    void invalidate();
    std::uint64_t logins() const { return logins_; }
    std::string current() const;  // for masking in logs
    Value current_value() const;

private:
    bool login(Result& out);

    const Client& client_;
    SessionSpec spec_;
    std::function<ClientRequest()> login_;
    std::function<bool(const ClientResponse&)> expired_;
    mutable std::mutex mutex_;
    std::optional<std::string> value_;
    std::string answer_;  // the body of the login answer that issued value_
    std::uint64_t logins_ = 0;
};

}  // namespace fb::http
