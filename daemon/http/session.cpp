#include "http/session.h"

#include "http/json_path.h"

#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>

#include "mapping/time.h"

namespace fb::http {
namespace json = boost::json;

namespace {

std::optional<json::value> parse_limited(std::string_view text) {
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    auto root = json::parse(text, ec, {}, opts);
    if (ec) return std::nullopt;
    return root;
}

}  // namespace

std::optional<std::string> json_path_string(std::string_view text, std::string_view path) {
    auto root = parse_limited(text);
    if (!root) return std::nullopt;
    const json::value* at = find_path(*root, path);
    if (!at) return std::nullopt;
    if (at->is_string()) return std::string(at->as_string());
    if (at->is_int64()) return std::to_string(at->as_int64());
    if (at->is_uint64()) return std::to_string(at->as_uint64());
    if (at->is_bool()) return std::string(at->as_bool() ? "true" : "false");  // IsSuccess: false
    return std::nullopt;
}

namespace {

// `from: cookies`: every cookie named (or every one set), in the order named, as one Cookie
// header; nothing unless all the named ones are there.
std::optional<std::string> cookie_header(const SessionSpec& spec, const ClientResponse& response) {
    std::vector<std::pair<std::string, std::string>> set;
    for (const auto& [k, value] : response.headers) {
        if (!boost::beast::iequals(k, "Set-Cookie")) continue;
        std::string_view c = value;
        auto eq = c.find('=');
        if (eq == c.npos || eq == 0) continue;
        auto rest = c.substr(eq + 1);
        set.emplace_back(std::string(c.substr(0, eq)), std::string(rest.substr(0, rest.find(';'))));
    }
    std::string header;
    auto add = [&](const std::string& name, const std::string& value) {
        if (!header.empty()) header += "; ";
        header += name + "=" + value;
    };
    if (spec.names.empty()) {
        for (const auto& [k, value] : set) add(k, value);
        return header;
    }
    for (const auto& want : spec.names) {
        auto it = std::find_if(set.rbegin(), set.rend(), [&](const auto& kv) { return kv.first == want; });
        if (it == set.rend() || it->second.empty()) return std::nullopt;
        add(it->first, it->second);
    }
    return header;
}

}  // namespace

std::optional<std::string> session_value(const SessionSpec& spec, const ClientResponse& response) {
    std::optional<std::string> v;
    switch (spec.from) {
        case SessionSpec::From::body:
            v = json_path_string(response.body, spec.name);
            if (!v)  // a session made of parts (Tryton: [user_id, key]) is kept as its JSON
                if (auto root = parse_limited(response.body))
                    if (auto at = find_path(*root, spec.name); at && (at->is_array() || at->is_object()) &&
                                                             !(at->is_array() ? at->as_array().empty() : at->as_object().empty()))
                        v = json::serialize(*at);
            break;
        case SessionSpec::From::header:
            if (auto h = response.header(spec.name); !h.empty()) v = std::string(h);
            break;
        case SessionSpec::From::cookies: v = cookie_header(spec, response); break;
        case SessionSpec::From::cookie:
            for (const auto& [k, value] : response.headers) {
                if (!boost::beast::iequals(k, "Set-Cookie")) continue;
                std::string_view c = value;
                auto eq = c.find('=');
                if (eq == c.npos || c.substr(0, eq) != spec.name) continue;
                auto rest = c.substr(eq + 1);
                v = std::string(rest.substr(0, rest.find(';')));
            }
            break;
    }
    if (v && v->empty()) v.reset();
    return v;
}

namespace {

std::string session_source(const SessionSpec& spec) {
    if (spec.from != SessionSpec::From::cookies) return spec.name;
    std::string names;
    for (const auto& n : spec.names) names += (names.empty() ? "" : ", ") + n;
    return "cookies " + (names.empty() ? std::string("(any)") : names);
}

}  // namespace

std::int64_t renew_at(std::int64_t issued_ms, std::int64_t lifetime_ms) {
    return issued_ms + lifetime_ms - std::min<std::int64_t>(lifetime_ms / 10, 60'000);
}

std::optional<std::int64_t> session_expiry(const SessionSpec& spec, std::string_view body, std::int64_t now_ms) {
    constexpr std::int64_t ten_years_s = 10ll * 366 * 86400;
    auto seconds = [](const std::string& text) -> std::optional<std::int64_t> {
        if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        return std::stoll(text);
    };
    if (!spec.expires_in.empty())
        if (auto v = json_path_string(body, spec.expires_in))
            if (auto s = seconds(*v); s && *s > 0 && *s <= ten_years_s) return now_ms + *s * 1000;
    if (!spec.expires_at.empty())
        if (auto v = json_path_string(body, spec.expires_at)) {
            std::optional<std::int64_t> at_ms;
            if (auto s = seconds(*v)) at_ms = *s * 1000;
            mapping::TimeFormat rfc3339;
            mapping::WallTime wall;
            if (!at_ms && mapping::parse_time(rfc3339, *v, wall) && wall.has_offset)
                at_ms = (wall.local_seconds - wall.offset_seconds) * 1000 + wall.millis;
            if (at_ms && *at_ms > now_ms && *at_ms - now_ms <= ten_years_s * 1000) return at_ms;
        }
    return std::nullopt;
}

Session::Session(const Client& client, SessionSpec spec, std::function<ClientRequest()> login,
                 std::function<bool(const ClientResponse&)> expired)
    : client_(client), spec_(std::move(spec)), login_(std::move(login)), expired_(std::move(expired)),
      now_ms_([] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
      }) {}

void Session::invalidate() {
    std::lock_guard lock(mutex_);
    value_.reset();
    expires_ms_.reset();
    renew_ms_.reset();
}

std::string Session::current() const {
    std::lock_guard lock(mutex_);
    return value_.value_or("");
}

Session::Value Session::current_value() const {
    std::lock_guard lock(mutex_);
    return value_ ? Value{*value_, answer_} : Value{};
}

std::int64_t Session::login_backoff_ms(int failures) {
    constexpr std::int64_t first_ms = 1000, max_ms = 5 * 60 * 1000;
    if (failures <= 1) return first_ms;
    if (failures > 20) return max_ms;  // 2^19 s is past the cap; no shift overflows
    return std::min(max_ms, first_ms << (failures - 1));
}

void Session::fail_fast(Result& out) const {
    const auto now = now_ms_();
    std::string at;
    mapping::format_rfc3339(*next_login_ms_ / 1000, 0, 0, true, at);
    const auto wait_s = (*next_login_ms_ - now + 999) / 1000;
    out = Result{};
    out.login_failed = true;
    out.next_login_in_ms = *next_login_ms_ - now;
    out.login_error = "not sent: the login failed " + std::to_string(failed_logins_) +
                      (failed_logins_ == 1 ? " time" : " times in a row") + ", the next login is tried at " + at +
                      " (in " + std::to_string(wait_s) + " s); the last failure: " + last_login_error_;
}

void Session::back_off(Result& out) {
    // Wait before the next login: an ERP with a wrong password must not get one per request.
    ++failed_logins_;
    auto wait = login_backoff_ms(failed_logins_);
    if (out.result.ok()) {
        auto asked = retry_after(out.result.response).count();
        if (asked > wait) wait = std::min<std::int64_t>(asked, 3600'000);
    }
    next_login_ms_ = now_ms_() + wait;
    last_login_error_ = out.login_error;
    out.next_login_in_ms = wait;
}

bool Session::login(Result& out) {
    if (backing_off()) {
        fail_fast(out);
        return false;
    }
    const auto issued = now_ms_();  // before the request: its lifetime runs from when it was asked
    auto answer = client_.send(login_());
    ++logins_;
    last_login_status_ = answer.ok() ? answer.response.status : 0;
    auto failed = [&] {
        back_off(out);
        return false;
    };
    if (!answer.ok()) {
        out.result = std::move(answer);
        out.login_failed = true;
        out.login_error = "login: " + out.result.message;
        return failed();
    }
    auto v = answer.response.status / 100 == 2 ? session_value(spec_, answer.response) : std::nullopt;
    // It goes into a header or a cookie of every request: one the size of a page would fail each
    // of them with "field value too large" far from its cause.
    constexpr std::size_t max_session_bytes = 16 << 10;
    if (v && v->size() > max_session_bytes) {
        out.login_failed = true;
        out.login_error = "login answered a session value (" + session_source(spec_) + ") of " + std::to_string(v->size()) +
                          " bytes, more than " + std::to_string(max_session_bytes) + " a header can carry: not a session";
        out.result = std::move(answer);
        out.result.response.body.clear();  // it is the secret
        return failed();
    }
    if (!v) {
        out.login_failed = true;
        out.login_error = "login answered " + std::to_string(answer.response.status) +
                          " without a session value (" + session_source(spec_) + "): " +
                          answer.response.body.substr(0, 300);
        out.result = std::move(answer);
        return failed();
    }
    // failed_logins_ stays until the ERP takes a request with the session: a session refused as
    // soon as it is issued (a user without the API's permission) must back off 1, 2, 4 s … like
    // a refused login, not log in once a second for ever.
    next_login_ms_.reset();
    unconfirmed_ = true;
    value_ = std::move(v);
    answer_ = std::move(answer.response.body);
    expires_ms_ = session_expiry(spec_, answer_, issued);
    renew_ms_.reset();
    if (expires_ms_) renew_ms_ = renew_at(issued, *expires_ms_ - issued);
    return true;
}

Session::Result Session::send(const Build& build) {
    return send_with_login([&](const Value& v) { return build(v.session); });
}

Session::Result Session::send_with_login(const BuildWithLogin& build) {
    std::lock_guard lock(mutex_);  // one request at a time shares one session
    Result out;
    for (int attempt = 0; attempt < 2; ++attempt) {
        bool fresh = false;
        if (value_ && renew_ms_ && now_ms_() >= *renew_ms_ && (!backing_off() || now_ms_() >= expires_ms_.value_or(0))) {
            // Due: renew before the ERP refuses it. A renewal that fails while the session still
            // lives keeps it (the next request tries again, once the login backoff has passed);
            // once past its end it is a failure.
            ++renewals_;
            if (login(out)) {
                fresh = true;
            } else if (now_ms_() >= expires_ms_.value_or(0)) {
                value_.reset();
                return out;
            } else {
                out = Result{};
            }
        }
        if (!value_) {
            if (!login(out)) return out;
            fresh = true;
        }
        out.result = client_.send(build(Value{*value_, answer_}));
        if (!out.result.ok()) return out;
        const auto& res = out.result.response;
        bool is_expired = std::count(spec_.relogin_status.begin(), spec_.relogin_status.end(),
                                     res.status) > 0 ||
                          (expired_ && expired_(res));
        if (!is_expired) {
            if (unconfirmed_) failed_logins_ = 0, unconfirmed_ = false;  // the new session taken, by whichever request
            return out;
        }
        value_.reset();
        expires_ms_.reset();
        renew_ms_.reset();
        if (fresh) {
            // A session just issued and refused (a user without the API's permission, a token
            // for another audience): logging in again won't help. It counts as a failed login,
            // so the next requests wait out the backoff instead of logging in once each.
            out.login_failed = true;
            out.login_error = "the session just issued was refused: HTTP " + std::to_string(res.status) + " " +
                              res.body.substr(0, 300);
            back_off(out);
            return out;
        }
    }
    return out;
}

}  // namespace fb::http
