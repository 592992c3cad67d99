// A login session shared by sources and sinks: a login request whose answer yields a session
// value (a token in the body, a cookie, a header), used by later requests, and renewed when the
// ERP answers that it has expired (401/403 or a configured answer) without losing the request,
// or before that, when the login answered how long the session lives (OAuth2's `expires_in`).
// A failed login is not tried again at once: further sends fail fast until a backoff has passed
// (an ERP with a wrong password is not hammered, an account is not locked by failed logins).
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
    // Paths in the login's JSON answer to the session's lifetime: `expires_in` in seconds (OAuth2,
    // a number or a numeric string), `expires_at` a moment (unix seconds or RFC 3339). Empty, or
    // absent from the answer: the session lives until the ERP refuses it.
    std::string expires_in, expires_at;
};

// When a session that lives `lifetime_ms` from `issued_ms` is renewed: 10% of its life early,
// at most 60 s early (a one-hour token at 59 min, a five-minute one at 4.5 min).
std::int64_t renew_at(std::int64_t issued_ms, std::int64_t lifetime_ms);
// The session's end read from a login answer by spec.expires_in / expires_at, as unix ms; nullopt
// when not configured, absent, or not a usable value (<= 0 s, over ten years).
std::optional<std::int64_t> session_expiry(const SessionSpec& spec, std::string_view body, std::int64_t now_ms);

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
    // and body of the login answer and `login_failed` set. After a failed login, sends fail fast
    // with `login_failed` (status 0, no request made) and a message saying when the next login
    // is tried: 1 s after the first failure, doubling to 5 min (or the login answer's
    // Retry-After, when longer); a successful login resets it. A session refused by the very
    // request it was issued for counts as a failed login too.
    struct Result {
        ClientResult result;
        bool login_failed = false;
        std::string login_error;
        std::int64_t next_login_in_ms = -1;  // with login_failed: when the next login is tried
    };
    Result send(const Build& build);
    Result send_with_login(const BuildWithLogin& build);
    void invalidate();
    std::uint64_t logins() const { return logins_; }
    int last_login_status() const { return last_login_status_; }  // 0: no answer
    std::string current() const;  // for masking in logs
    Value current_value() const;
    // The clock the expiry is measured by: unix ms (the system clock; tests advance their own).
    void set_clock(std::function<std::int64_t()> now_ms) { now_ms_ = std::move(now_ms); }
    std::uint64_t renewals() const { return renewals_; }  // logins made because the session was due
    // The wait after `failures` (>= 1) failed logins in a row: 1 s doubling, at most 5 min.
    static std::int64_t login_backoff_ms(int failures);

private:
    bool login(Result& out);
    bool backing_off() const { return next_login_ms_ && now_ms_() < *next_login_ms_; }
    void fail_fast(Result& out) const;
    // Starts (or lengthens) the wait before the next login after the failure in `out` (its
    // answer may ask for longer), and says in `out` how long it is.
    void back_off(Result& out);

    const Client& client_;
    SessionSpec spec_;
    std::function<ClientRequest()> login_;
    std::function<bool(const ClientResponse&)> expired_;
    mutable std::mutex mutex_;
    std::optional<std::string> value_;
    std::string answer_;  // the body of the login answer that issued value_
    std::uint64_t logins_ = 0;
    int last_login_status_ = 0;
    bool unconfirmed_ = false;  // value_ issued, no request taken with it yet: failed_logins_ stands
    std::uint64_t renewals_ = 0;
    std::optional<std::int64_t> expires_ms_, renew_ms_;  // of value_, when the login said
    int failed_logins_ = 0;                        // in a row
    std::optional<std::int64_t> next_login_ms_;   // no login before this, after a failure
    std::string last_login_error_;
    std::function<std::int64_t()> now_ms_;
};

}  // namespace fb::http
