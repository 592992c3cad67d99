#include "connectors/http_sink/http_sink.h"

#include <boost/beast/core/string.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>

#include "connectors/http_sink/jsonrpc.h"
#include "http/request_body.h"
#include "core/ids.h"
#include "support/utf8_cut.h"

namespace fb::connectors::http_sink {
namespace json = boost::json;
using boost::beast::iequals;
using Refusal = core::ErpAnswer::Refusal;

namespace {

constexpr std::size_t max_cookies = 32;

core::ErpAnswer refused(Refusal how, std::string reason, int status = 0) {
    core::ErpAnswer a;
    a.status = status;
    a.refusal = how;
    a.refusal_reason = std::move(reason);
    return a;
}

bool contains(const std::vector<std::string>& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

bool is_2xx(int status) { return status >= 200 && status < 300; }

// The name=value pairs of a Cookie header ("a=1; b=2").
std::vector<std::pair<std::string, std::string>> cookie_pairs(std::string_view header) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!header.empty()) {
        auto end = header.find(';');
        auto pair = header.substr(0, end);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        if (auto eq = pair.find('='); eq != pair.npos && eq > 0)
            out.emplace_back(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
        header = end == header.npos ? std::string_view() : header.substr(end + 1);
    }
    return out;
}

// The request as the ETag read's URL template sees it: $.request.{method, url, path, query, body}.
json::object request_context(const core::ErpRequest& r, const std::string& url) {
    json::object query;
    std::string path;
    if (auto u = boost::urls::parse_uri_reference(url)) {
        path = std::string(u->path());
        for (auto p : u->params()) query[p.key] = p.value;
    }
    boost::system::error_code ec;
    json::parse_options limits;
    limits.max_depth = 64;
    auto body = r.body.empty() ? json::value() : json::parse(r.body, ec, {}, limits);
    if (ec) body = json::string(r.body);
    json::object headers;
    for (const auto& [k, v] : r.headers) headers[k] = v;
    return {{"request", {{"method", r.method}, {"url", url}, {"path", path}, {"query", std::move(query)},
                         {"headers", std::move(headers)}, {"body", std::move(body)}}}};
}

}  // namespace

HttpSink::HttpSink(std::shared_ptr<const Spec> spec) : spec_(std::move(spec)) {
    if (!spec_) throw std::invalid_argument("http sink without its spec");
}

HttpSink::~HttpSink() = default;

void HttpSink::start(std::chrono::milliseconds timeout) {
    if (client_ && client_->options().timeout == timeout) return;
    auto options = spec_->client;
    options.timeout = timeout;
    session_.reset();
    client_ = std::make_unique<http::Client>(options);
    client_->abandon_when([this] { return stopping_.load(); });
    if (!spec_->login) return;
    const auto* login = spec_->login.get();
    session_ = std::make_unique<http::Session>(
        *client_, login->session,
        [this, login] {
            json::object ctx{{"vars", spec_->vars}, {"now", core::now_rfc3339()}, {"now_ms", core::now_unix_ms()}};
            login->add_assertion(ctx);  // a fresh signed JWT per login: $.assertion
            auto r = login->request->map_request(ctx);
            auto base = spec_->login_base_url.empty() ? spec_->base_url : spec_->login_base_url;
            http::ClientRequest out{r.method, target(r.url, base), r.headers, {}};
            http::set_body(out, r.body);
            spec_->auth.apply(out);
            login_request_ = out.method + " " + out.url.substr(0, out.url.find_first_of("?#"));  // a query may sign or carry credentials
            return out;
        },
        [this, login](const http::ClientResponse& res) {
            if (login->expired(res)) return true;
            if (!spec_->jsonrpc) return false;
            auto rpc = read_rpc_answer(res.body);
            return rpc.kind == RpcAnswer::Kind::error && contains(spec_->rpc.session_expired, rpc.name);
        });
}

std::string HttpSink::target(const std::string& url) const { return target(url, spec_->base_url); }

std::string HttpSink::target(const std::string& url, const std::string& base) const {
    if (base.empty()) return url;
    if (url.starts_with("http://") || url.starts_with("https://")) {
        auto rest = url.find_first_of("/?#", url.find("://") + 3);
        auto base_origin = base.substr(0, base.find('/', base.find("://") + 3));
        return base_origin + (rest == std::string::npos ? "" : url.substr(rest));
    }
    return base + (url.starts_with("/") ? "" : "/") + url;
}

std::string HttpSink::endpoint(const core::ErpRequest& request) const {
    auto origin = origin_of(target(request.url));
    return origin.empty() ? "http:(no base_url)" : origin;
}

std::vector<std::string> HttpSink::secrets() const {
    auto out = spec_->auth.secrets();
    out.insert(out.end(), spec_->var_secrets.begin(), spec_->var_secrets.end());
    if (spec_->login)
        for (auto& k : spec_->login->secrets()) out.push_back(std::move(k));
    if (session_)
        if (auto v = session_->current(); !v.empty()) {
            out.push_back(v);
            boost::system::error_code ec;
            auto parts = json::parse(v, ec);  // a session made of parts: each part is secret too
            if (!ec && parts.is_array())
                for (const auto& p : parts.get_array())
                    if (p.is_string()) out.emplace_back(p.get_string());
            if (spec_->login->session.from == http::SessionSpec::From::cookies)
                for (const auto& [name, value] : cookie_pairs(v))  // each cookie's value is secret
                    if (!value.empty()) out.push_back(value);
        }
    if (!csrf_token_.empty()) out.push_back(csrf_token_);
    if (!templated_.empty()) out.push_back(templated_);  // Tryton's base64 header holds the session
    for (const auto& [name, value] : cookies_) out.push_back(value);
    return out;
}

void HttpSink::keep_cookies(const http::ClientResponse& response) {
    for (const auto& [k, v] : response.headers) {
        if (!iequals(k, "Set-Cookie")) continue;
        std::string_view c = v;
        auto eq = c.find('=');
        if (eq == 0 || eq == c.npos) continue;
        std::string name(c.substr(0, eq));
        auto rest = c.substr(eq + 1);
        std::string value(rest.substr(0, rest.find(';')));
        std::string attributes(rest.substr(std::min(rest.size(), value.size())));
        std::transform(attributes.begin(), attributes.end(), attributes.begin(),
                       [](unsigned char ch) { return std::tolower(ch); });
        if (value.empty() || attributes.find("max-age=0") != std::string::npos) cookies_.erase(name);
        else if (cookies_.size() < max_cookies || cookies_.contains(name)) cookies_[name] = value;
    }
}

std::string HttpSink::session_header_value(const std::string& session) {
    if (!spec_->session_template) return spec_->session_prefix + session;
    if (session == templated_for_) return templated_;
    boost::system::error_code ec;
    json::parse_options limits;
    limits.max_depth = 16;
    auto parsed = json::parse(session, ec, {}, limits);
    json::value value = !ec && (parsed.is_array() || parsed.is_object()) ? parsed : json::value(json::string(session));
    auto r = spec_->session_template->map_request({{"session", value}, {"vars", spec_->vars}});
    templated_for_ = session;
    templated_ = r.kind == mapping::MapResult::Kind::mapped ? r.url : "";  // a failure sends none: the ERP says 401
    return templated_;
}

HttpSink::Exchange HttpSink::exchange(http::ClientRequest request) {
    using From = http::SessionSpec::From;
    const bool session_cookie = spec_->login && spec_->login->session.from == From::cookie;
    // `from: cookies`: the session is a ready "a=1; b=2" (Acumatica's ASP.NET_SessionId and
    // .ASPXAUTH, SAP B1's B1SESSION and ROUTEID), sent back as it came.
    const bool session_cookies = spec_->login && spec_->login->session.from == From::cookies;
    const std::string session_name = spec_->login ? spec_->login->session.name : "";
    auto build = [&](const std::string& session) {
        auto r = request;
        spec_->auth.apply(r);
        auto in_session = [&](const std::string& name) {
            if (session_cookie) return name == session_name;
            if (!session_cookies) return false;
            for (const auto& [k, v] : cookie_pairs(session))
                if (k == name) return true;
            return false;
        };
        std::string cookie;
        for (const auto& [k, v] : cookies_)  // what later answers set; the session's own win
            if (!in_session(k)) cookie += (cookie.empty() ? "" : "; ") + k + "=" + v;
        if (session_cookie && !session.empty()) cookie += (cookie.empty() ? "" : "; ") + session_name + "=" + session;
        if (session_cookies && !session.empty()) cookie += (cookie.empty() ? "" : "; ") + session;
        if (!cookie.empty()) r.headers.emplace_back("Cookie", cookie);
        if (!spec_->session_header.empty() && !session.empty())
            r.headers.emplace_back(spec_->session_header, session_header_value(session));
        return r;
    };
    Exchange out;
    if (session_) {
        const auto logins = session_->logins();
        auto r = session_->send(build);
        if (session_->logins() != logins) {  // it logged in (again) first
            auto n = session_->logins() - logins;
            auto what = r.login_failed ? support::utf8_cut(r.login_error, 300)
                                       : std::string("session issued") + (n > 1 ? " (" + std::to_string(n) + " logins)" : "");
            steps_.push_back({"login", login_request_, session_->last_login_status(),
                              r.login_failed ? "failed" : "success", std::move(what)});
        }
        out.result = std::move(r.result);
        out.login_failed = r.login_failed;
        out.login_error = std::move(r.login_error);
        out.next_login_in_ms = r.next_login_in_ms;
    } else {
        out.result = client_->send(build(""));
    }
    if (out.result.ok() && !out.login_failed) keep_cookies(out.result.response);
    return out;
}

namespace {

void mask_strings(json::value& v, const std::vector<std::string>& secrets) {
    if (auto* s = v.if_string()) {
        *s = http::mask_secrets(std::string(*s), secrets);
    } else if (auto* a = v.if_array()) {
        for (auto& e : *a) mask_strings(e, secrets);
    } else if (auto* o = v.if_object()) {
        for (auto& kv : *o) mask_strings(kv.value(), secrets);
    }
}

// A JSON answer keeps its shape: only its string values are masked. Masked as text, a secret
// that is also a word of the answer (a cookie `remember=true`, a tenant named like a key)
// turned `{"ok": true}` into `{"ok": ***}`, and the success rule judged that, not the answer.
std::string mask_body(const std::string& body, const std::vector<std::string>& secrets) {
    auto as_text = http::mask_secrets(body, secrets);
    if (as_text == body) return body;  // nothing to mask (most answers): not parsed here
    json::parse_options limits;
    limits.max_depth = 64;  // as classify reads it
    boost::system::error_code ec;
    auto v = json::parse(body, ec, {}, limits);
    if (ec || !(v.is_object() || v.is_array())) return as_text;
    mask_strings(v, secrets);
    return json::serialize(v);
}

}  // namespace

core::ErpAnswer HttpSink::answer(const Exchange& ex, const std::string& step) const {
    auto secrets = this->secrets();
    auto mask = [&](const std::string& text) { return http::mask_secrets(text, secrets); };
    const auto& result = ex.result;
    std::string prefix = step.empty() ? "" : step + ": ";
    // The request's own answer, over max_body_bytes: its status still decides (a 200 is a write
    // the ERP applied, a 503 a retry), the body is not read.
    const bool over_limit = step.empty() && !ex.login_failed && result.error == http::TransportError::too_large &&
                            result.response.status != 0;
    if (!result.ok() && !over_limit) {
        auto why = mask(prefix + (ex.login_failed ? "login: " : "") + result.message);
        switch (result.error) {
            case http::TransportError::bad_url:
            case http::TransportError::too_large:
                return refused(Refusal::permanent, why);  // this request's URL or answer: retrying cannot help
            default: break;  // TLS too: an expired or replaced certificate is the endpoint's, not the
                             // document's; retried behind the breaker, the backlog goes once it is fixed
        }
        core::ErpAnswer a;
        a.transport = result.error == http::TransportError::timeout ? core::ErpAnswer::Transport::timeout
                                                                    : core::ErpAnswer::Transport::connection_error;
        a.error = why;
        if (ex.login_failed) a.retry_after_ms = ex.next_login_in_ms;  // the login did not reach the ERP: wait for the next one
        return a;
    }
    core::ErpAnswer a;
    a.status = result.response.status;
    a.body = mask_body(result.response.body, secrets);
    a.body_over_limit = over_limit;
    for (const auto& [k, v] : result.response.headers) {
        std::string name = k;
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        auto& slot = a.headers[name];
        slot += (slot.empty() ? "" : ", ") + mask(v);
    }
    if (ex.login_failed) {
        a.refusal = Refusal::retry;  // credentials or the ERP's login: retried until writeback.retry.max_age
        a.refusal_reason = mask(ex.login_error);
        a.retry_after_ms = ex.next_login_in_ms;
        return a;
    }
    if (!step.empty()) {
        if (is_2xx(a.status)) return a;
        bool later = a.status == 408 || a.status == 429 || a.status >= 500;
        a.refusal = later ? Refusal::retry : Refusal::permanent;
        a.refusal_reason = step + " answered HTTP " + std::to_string(a.status);
        return a;
    }
    if (spec_->jsonrpc && is_2xx(a.status) && over_limit) {
        a.refusal = Refusal::permanent;  // its `error` or `result` cannot be read
        a.refusal_reason = "answered HTTP " + std::to_string(a.status) + " with a JSON-RPC answer over max_body_bytes: "
                           "the ERP most likely applied the call; check the document there, raise max_body_bytes, then replay";
    } else if (spec_->jsonrpc && is_2xx(a.status)) {
        auto rpc = read_rpc_answer(result.response.body);
        a.refusal_of_answer = true;  // the mapping's classify: rules come first (one path with http)
        if (rpc.kind == RpcAnswer::Kind::error) {
            bool later = contains(spec_->rpc.retry_errors, rpc.name) || contains(spec_->rpc.session_expired, rpc.name);
            a.refusal = later ? Refusal::retry : Refusal::permanent;
            a.refusal_reason = mask("JSON-RPC error " + (rpc.name.empty() ? std::string("(no name)") : rpc.name) +
                                    (rpc.message.empty() ? "" : ": " + rpc.message));
        } else if (rpc.kind == RpcAnswer::Kind::not_rpc) {
            a.refusal = Refusal::permanent;
            a.refusal_reason = "answered HTTP " + std::to_string(a.status) + " with a body that is not a JSON-RPC response";
        }
    }
    return a;
}

std::optional<core::ErpAnswer> HttpSink::fetch_csrf(const std::string& url) {
    const auto& csrf = *spec_->csrf;
    auto at = target(csrf.url);
    if (origin_of(at).empty()) at = origin_of(url) + (csrf.url.starts_with("/") ? "" : "/") + csrf.url;
    http::ClientRequest fetch{"GET", at, {{csrf.header, "Fetch"}, {"Accept", "application/json"}}, {}};
    auto ex = exchange(fetch);
    auto step = "CSRF token fetch GET " + at;
    if (!ex.result.ok() || ex.login_failed || !is_2xx(ex.result.response.status)) {
        note_step("csrf_fetch", "GET " + at, ex, "");
        return answer(ex, step);
    }
    auto token = std::string(ex.result.response.header(csrf.header));
    if (token.empty() || iequals(token, "Required") || iequals(token, "Fetch")) {
        note_step("csrf_fetch", "GET " + at, ex, "no token in " + csrf.header, false);
        return refused(Refusal::permanent, step + " answered without a token in " + csrf.header,
                       ex.result.response.status);
    }
    note_step("csrf_fetch", "GET " + at, ex, "token received");  // the token itself is a secret
    csrf_token_ = token;
    return std::nullopt;
}

std::optional<core::ErpAnswer> HttpSink::read_etag(const core::ErpRequest& request, const std::string& url,
                                                   std::string& etag) {
    const auto& spec = *spec_->etag;
    std::string at = url;
    if (spec.read) {
        auto r = spec.read->map_request(request_context(request, url));
        if (r.kind != mapping::MapResult::Kind::mapped)
            return refused(Refusal::permanent, "the ETag read URL could not be made: " +
                                                   (r.error ? r.error->message() : std::string("?")));
        at = target(r.url);
        if (origin_of(at).empty()) at = origin_of(url) + (r.url.starts_with("/") ? "" : "/") + r.url;
    }
    http::ClientRequest read{"GET", at, {{"Accept", "application/json"}}, {}};
    auto ex = exchange(read);
    auto step = "ETag read GET " + at;
    if (!ex.result.ok() || ex.login_failed || !is_2xx(ex.result.response.status)) {
        note_step("etag_read", "GET " + at, ex, "");
        return answer(ex, step);
    }
    const auto& res = ex.result.response;
    if (!spec.body_path.empty()) etag = http::json_path_string(res.body, spec.body_path).value_or("");
    else etag = std::string(res.header(spec.header));
    auto where = spec.body_path.empty() ? "header " + spec.header : "body " + spec.body_path;
    note_step("etag_read", "GET " + at, ex, etag.empty() ? "no ETag in " + where : "ETag " + support::utf8_cut(etag, 200),
              !etag.empty());
    if (etag.empty())
        return refused(Refusal::permanent, step + " answered without an ETag (" + where + ")", res.status);
    return std::nullopt;
}

void HttpSink::note_step(std::string kind, const std::string& request, const Exchange& ex, std::string what,
                         bool found) {
    core::ErpAnswer::Step step{std::move(kind), request, 0, "failed", std::move(what)};
    if (!ex.result.ok()) {
        step.answer = support::utf8_cut(ex.result.message, 300);
    } else if (ex.login_failed) {
        step.answer = support::utf8_cut(ex.login_error, 300);
    } else {
        step.status = ex.result.response.status;
        if (is_2xx(step.status) && found) step.result = "success";
        if (step.answer.empty()) step.answer = "HTTP " + std::to_string(step.status);
    }
    steps_.push_back(std::move(step));
}

core::ErpAnswer HttpSink::send(const core::ErpRequest& request, std::chrono::milliseconds timeout) {
    start(timeout);
    steps_.clear();
    auto a = send_request(request);
    auto secrets = this->secrets();
    for (auto& step : steps_) {
        step.request = http::mask_secrets(step.request, secrets);
        step.answer = http::mask_secrets(step.answer, secrets);
    }
    a.steps = std::move(steps_);
    steps_.clear();
    a.sent_with = http::mask_secrets(a.sent_with, secrets);
    return a;
}

core::ErpAnswer HttpSink::send_request(const core::ErpRequest& request) {
    auto url = target(request.url);
    if (origin_of(url).empty())
        return refused(Refusal::permanent, "the request URL `" + request.url +
                                               "` is not an absolute http(s) URL and the sink has no base_url");
    http::ClientRequest req{request.method, url, request.headers, request.body};
    if (!spec_->jsonrpc && http::is_form(req.headers) && !req.body.empty()) {
        boost::system::error_code ec;
        auto parsed = json::parse(req.body, ec);
        if (auto form = ec ? std::nullopt : http::form_body(parsed)) req.body = *form;
    }
    if (spec_->jsonrpc) {
        std::string error;
        req.body = rpc_envelope(request.body, spec_->rpc.method, ++rpc_id_, error);
        if (!error.empty()) return refused(Refusal::permanent, error);
    }
    if (!req.body.empty() && http::find_header(req.headers, "Content-Type").empty())
        req.headers.emplace_back("Content-Type", "application/json");  // the engine serialises JSON

    const bool modifying = !(iequals(req.method, "GET") || iequals(req.method, "HEAD") || iequals(req.method, "OPTIONS"));
    if (modifying && spec_->csrf && csrf_token_.empty())
        if (auto failed = fetch_csrf(url)) return *failed;
    // Read right before every write, so a write after a 409/412/428 carries the ETag of now.
    std::string etag;
    if (modifying && spec_->etag)
        if (auto failed = read_etag(request, url, etag)) return *failed;
    auto with_tokens = [&] {
        auto r = req;
        if (modifying && spec_->csrf) r.headers.emplace_back(spec_->csrf->header, csrf_token_);
        if (!etag.empty()) r.headers.emplace_back(spec_->etag->send_as, etag);
        return r;
    };
    auto ex = exchange(with_tokens());
    if (modifying && spec_->csrf && ex.result.ok() && !ex.login_failed && ex.result.response.status == 403 &&
        iequals(ex.result.response.header(spec_->csrf->header), "Required")) {
        csrf_token_.clear();  // expired with the ERP's session: fetch a new one, send once more
        steps_.push_back({"csrf_expired", req.method + " " + url, 403, "failed",
                          "HTTP 403 " + spec_->csrf->header + ": Required"});
        if (auto failed = fetch_csrf(url)) return *failed;
        ex = exchange(with_tokens());
    }
    auto a = answer(ex, "");
    if (!etag.empty()) a.sent_with = spec_->etag->send_as + ": " + support::utf8_cut(etag, 200);
    return a;
}

}  // namespace fb::connectors::http_sink
