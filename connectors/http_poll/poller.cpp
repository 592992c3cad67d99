#include "connectors/http_poll/poller.h"

#include <algorithm>
#include <cctype>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "connectors/http_poll/json_path.h"
#include "http/link_header.h"
#include "http/request_body.h"
#include "core/ids.h"
#include "decode/decode.h"
#include "support/control_chars.h"
#include "support/utf8_cut.h"

namespace fb::connectors::http_poll {
namespace json = boost::json;

const char* to_string(Page::Error e) {
    switch (e) {
        case Page::Error::none: return "none";
        case Page::Error::transport: return "transport";
        case Page::Error::status: return "status";
        case Page::Error::error_answer: return "error_answer";
        case Page::Error::login: return "login";
        case Page::Error::request: return "request";
        case Page::Error::decode: return "decode";
    }
    return "none";
}

namespace {

http::ClientRequest to_client_request(const mapping::RequestResult& r) {
    http::ClientRequest out{r.method, r.url, r.headers, {}};
    http::set_body(out, r.body);  // a form when its Content-Type says so (an OAuth2 login)
    return out;
}

// Some ERPs write next links as text, not as URLs: SAP B1's `odata.nextLink` is
// "DeliveryNotes?$filter=UpdateDate ge '2026-11-20'&$skip=50". Spaces, quotes and other bytes
// a URL cannot hold are percent-encoded; what is already encoded (%20) is kept.
std::string url_safe(const std::string& link) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : link) {
        if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
            c == '`' || c == '{' || c == '|' || c == '}') {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += char(c);
        }
    }
    return out;
}

// `$.session` and `$.login` (the whole login answer: Tryton's `[user_id, "session"]`) of a request.
void add_session(json::object& ctx, const http::Session::Value& v) {
    ctx["session"] = v.session;
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    auto answer = v.answer.empty() ? json::value() : json::parse(v.answer, ec, {}, opts);
    ctx["login"] = ec ? json::value() : std::move(answer);
}

}  // namespace

std::string resolve_link(const std::string& base, const std::string& raw) {
    std::string link = url_safe(raw);
    // An absolute link keeps its own scheme (compared case-blind: `HTTP://` is http), any other
    // scheme too (`file:`, `gopher:`), which foreign_link() then refuses by name.
    auto colon = link.find(':');
    bool has_scheme = colon != std::string::npos && colon > 0 && std::isalpha(static_cast<unsigned char>(link[0])) &&
                      link.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") == colon;
    if (has_scheme) {
        std::transform(link.begin(), link.begin() + static_cast<std::ptrdiff_t>(colon), link.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        return link;
    }
    auto scheme_end = base.find("://");
    if (link.starts_with("//")) return base.substr(0, scheme_end + 1) + link;  // scheme-relative: the host is the link's
    auto host_end = base.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    auto origin = base.substr(0, host_end);
    if (link.starts_with("/")) return origin + link;
    auto path = base.substr(0, base.find('?'));
    return path.substr(0, path.rfind('/') + 1) + link;
}

namespace {

// "https://erp.example.com:8443" of a URL, lower-cased, without user info or the scheme's default
// port: where credentials may go.
std::string origin_of(const std::string& url) {
    auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return {};
    auto end = url.find_first_of("/?#", scheme_end + 3);
    std::string origin = url.substr(0, end);
    std::transform(origin.begin(), origin.end(), origin.begin(), [](unsigned char c) { return std::tolower(c); });
    if (auto at = origin.find('@'); at != std::string::npos) origin.erase(scheme_end + 3, at - scheme_end - 2);
    // The scheme's own port is the same place as no port: http://erp:80 is http://erp.
    auto drop = [&](std::string_view scheme, std::string_view port) {
        if (origin.starts_with(scheme) && origin.ends_with(port)) origin.resize(origin.size() - port.size());
    };
    drop("http://", ":80");
    drop("https://", ":443");
    return origin;
}

// Why `next` is the page just asked for, or empty. An ERP that answers a page's own link (or the
// token it was sent) as the next one would be read again and again, up to max_pages — with
// catch_up for ever — and the poll would look healthy all along.
std::string repeated_page(const PageState& sent, const PageState& next, const std::string& sent_url) {
    if (!next.next_url.empty() && (next.next_url == sent.next_url || next.next_url == sent_url))
        return "the next link is the link just requested (" + next.next_url.substr(0, 200) +
               "): the ERP repeats its page; not followed";
    if (!next.token.empty() && next.token == sent.token)
        return "the next page token is the token just sent (`" + next.token.substr(0, 100) +
               "`): the ERP repeats its page; not followed";
    return {};
}

}  // namespace

std::string foreign_link(const std::string& request_url, const std::string& link) {
    if (!link.starts_with("http://") && !link.starts_with("https://"))
        return "the next link `" + link.substr(0, 100) + "` is not an http(s) URL: not followed";
    auto from = origin_of(request_url), to = origin_of(link);
    if (!to.empty() && to == from) return {};
    return "the next link leads to " + (to.empty() ? "`" + link.substr(0, 100) + "`" : to) + ", not to " + from +
           " where the request went: not followed (the request's credentials would go with it)";
}

Poller::Poller(const Spec& spec) : spec_(spec), client_(spec.client) {
    if (spec.login) {
        const auto* login = spec.login.get();
        session_ = std::make_unique<http::Session>(
            client_, login->session,
            [this, login] {
                json::object ctx{{"vars", spec_.vars}};
                add_times(ctx, std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count(), 0, spec_.cursor);
                login->add_assertion(ctx);  // a fresh signed JWT per login: $.assertion
                auto r = to_client_request(login->request->map_request(ctx));
                spec_.auth.apply(r);
                return r;
            },
            [login](const http::ClientResponse& r) { return login->expired(r); });
    }
}

std::vector<std::string> Poller::secrets() const {
    auto s = spec_.auth.secrets();
    s.insert(s.end(), spec_.var_secrets.begin(), spec_.var_secrets.end());
    if (spec_.login)
        for (auto& k : spec_.login->secrets()) s.push_back(std::move(k));
    if (session_) {
        auto v = session_->current();
        if (!v.empty()) s.push_back(v);
    }
    return s;
}

bool Poller::build(const Cursor& cursor, const PageState& state, std::int64_t now_ms,
                   const http::Session::Value& session, http::ClientRequest& out, std::string& error) const {
    const auto until_ms = now_ms - spec_.cursor.settle.count();
    json::object ctx{{"cursor", cursor_context(cursor, spec_.cursor, until_ms)},
                     {"page", {{"number", state.number}, {"offset", state.offset},
                               {"size", spec_.size}, {"token", state.token}}},
                     {"vars", spec_.vars}};
    add_session(ctx, session);
    add_times(ctx, now_ms, until_ms, spec_.cursor, cursor.time_ms - spec_.cursor.overlap.count());
    auto r = spec_.request->map_request(ctx);
    if (r.kind != mapping::MapResult::Kind::mapped) {
        error = r.error ? r.error->message() : "the request mapping's `when` said no request";
        return false;
    }
    out = to_client_request(r);
    if (!state.next_url.empty()) {  // the ERP's next link replaces the URL (and the body)
        out.url = resolve_link(out.url, state.next_url);
        out.method = "GET";
        out.body.clear();
    }
    spec_.auth.apply(out);
    return true;
}

Exchange Poller::send_checked(const std::function<bool(const http::Session::Value&, http::ClientRequest&, std::string&)>& build,
                              const BodyRule& error_rule, const std::string& what, const EmptyAnswer* empty) {
    Exchange out;
    std::string error;
    const std::string prefix = what.empty() ? "" : what + ": ";
    if (stopped()) {
        out.error = Exchange::Error::transport;
        out.reason = prefix + "not sent: the source is stopping";
        return out;
    }
    if (!build(session_ ? session_->current_value() : http::Session::Value{}, out.sent, error)) {
        out.error = Exchange::Error::request;
        out.reason = prefix + "the request mapping failed: " + error;
        out.retryable = false;
        return out;
    }
    http::ClientResult result;
    if (session_) {
        auto r = session_->send_with_login([&](const http::Session::Value& s) {
            http::ClientRequest req;
            build(s, req, error);
            out.sent = req;
            return req;
        });
        if (r.login_failed) {
            out.error = Exchange::Error::login;
            out.reason = prefix + http::mask_secrets(r.login_error, secrets());
            // Tried again when the session's login backoff has passed: not once a second
            // in between, each failing fast with the same reason.
            out.retry_after = std::chrono::milliseconds(r.next_login_in_ms);
            return out;
        }
        result = std::move(r.result);
    } else {
        result = client_.send(out.sent);
    }
    if (!result.ok()) {
        out.error = Exchange::Error::transport;
        out.reason = prefix + http::to_string(result.error) + ": " + result.message;
        out.retryable = http::retryable(result.error);
        return out;
    }
    const auto& res = result.response;
    if (empty && empty->matches(res.status, res.body)) {  // Dolibarr's 404 "No shipment found"
        out.empty_answer = true;
        out.headers = res.headers;
        return out;
    }
    if (res.status / 100 != 2) {
        out.error = Exchange::Error::status;
        out.retry_after = http::retry_after(res);
        out.retryable = res.status == 408 || res.status == 429 || res.status >= 500;
        out.reason = prefix + "HTTP " + std::to_string(res.status) +
                     (result.redirected() ? " redirect to " + std::string(res.header("Location")) + " (not followed)" : "") +
                     ": " + http::mask_secrets(res.body.substr(0, 300), secrets());
        return out;
    }
    decode::Limits limits;
    limits.max_bytes = spec_.client.max_body_bytes;
    auto decoded = decode::decode_json(res.body, limits);
    if (!decoded.ok()) {
        out.error = Exchange::Error::decode;
        out.reason = prefix + "the answer is not JSON: " + decoded.error;
        // What the ERP said it sent, and how it starts: a login page or a proxy's error page
        // (text/html) reads as "line 1, column 1: syntax error" otherwise.
        auto type = std::string(res.header("Content-Type"));
        if (!type.empty()) out.reason += " (Content-Type: " + support::escape_control(support::utf8_cut(type, 100)) + ")";
        auto start = res.body.substr(0, 80);
        if (std::all_of(start.begin(), start.end(), [](unsigned char c) { return c < 0x80; }))  // ASCII: shown as it is
            out.reason += "; it starts `" + http::mask_secrets(support::escape_control(start), secrets()) + "`";
        return out;
    }
    out.body = std::move(decoded.value);
    out.headers = res.headers;
    if (error_rule.matches(res.body)) {
        out.error = Exchange::Error::error_answer;
        out.reason = prefix + "the ERP answered an error (" + error_rule.path + "): " +
                     http::mask_secrets(res.body.substr(0, 300), secrets());
    }
    return out;
}

Exchange Poller::exchange(const mapping::Mapping& mapping, json::object context, const BodyRule& error_rule,
                          const std::string& what, const EmptyAnswer* empty, const std::string& url) {
    add_times(context, core::now_unix_ms(), core::now_unix_ms() - spec_.cursor.settle.count(), spec_.cursor);
    context["vars"] = spec_.vars;
    return send_checked(
        [&](const http::Session::Value& session, http::ClientRequest& out, std::string& error) {
            add_session(context, session);
            auto r = mapping.map_request(context);
            if (r.kind != mapping::MapResult::Kind::mapped) {
                error = r.error ? r.error->message() : "the request mapping's `when` said no request";
                return false;
            }
            out = to_client_request(r);
            if (!url.empty()) {
                out.url = url;
                out.method = "GET";
                out.body.clear();
            }
            spec_.auth.apply(out);
            return true;
        },
        error_rule, what, empty);
}

Page Poller::fetch(const Cursor& cursor, const PageState& state, std::int64_t now_ms) {
    Page page;
    static_cast<Exchange&>(page) = send_checked(
        [&](const http::Session::Value& session, http::ClientRequest& out, std::string& error) {
            return build(cursor, state, now_ms, session, out, error);
        },
        spec_.error, "", &spec_.empty_answer);
    if (page.error == Page::Error::request)  // name the file: the integrator's first question
        page.reason = "the request mapping " + spec_.request_file + page.reason.substr(page.reason.find(" failed: "));
    if (page.error != Page::Error::none || page.empty_answer) return page;  // empty: no records, no next page
    const auto* records = find_path(page.body, spec_.records);
    static const json::value none;  // an absent list read as null: no records
    if (!records && spec_.missing_records_empty && page.body.is_object()) records = &none;
    if (!records || !(records->is_array() || records->is_null())) {
        page.error = Page::Error::decode;
        page.reason = "no list of records at " + spec_.records + " in the answer" +
                      std::string(records ? "" : " (records_missing: empty reads an answer without it as an empty page)") + ": " +
                      http::mask_secrets(json::serialize(page.body).substr(0, 200), secrets());
        return page;
    }
    if (records->is_array() && records->as_array().size() > spec_.max_records) {
        page.error = Page::Error::decode;  // failed before a record is mapped: the page costs nothing more
        page.reason = "the answer holds " + std::to_string(records->as_array().size()) + " records at " +
                      spec_.records + ", more than paging.max_records (" + std::to_string(spec_.max_records) +
                      "): ask for smaller pages (paging.size), or raise max_records if the ERP's pages are that big";
        return page;
    }
    if (records->is_array()) page.records = records->as_array();
    const std::size_t answered = page.records.size();
    if (state.boundary) {
        if (page.records.empty() || page.records.front() != *state.boundary) {
            page.shifted = true;
            page.reason = "the record last on the page before (offset " + std::to_string(state.offset) +
                          ") is not first on this one: the ERP's rows moved between the two requests";
            return page;
        }
        page.records.erase(page.records.begin());  // committed with the page before
    }
    bool empty = page.records.empty();
    bool full = answered >= spec_.size;
    std::optional<bool> more_flag;
    if (!spec_.more.empty() && !empty) {  // the ERP's own "more pages follow" flag decides
        const auto* more = find_path(page.body, spec_.more);
        auto flag = more ? text_of(*more) : std::string();
        if (flag != "true" && flag != "false" && flag != "1" && flag != "0" && !(more && more->is_null())) {
            page.error = Page::Error::decode;
            page.reason = "no true/false flag at " + spec_.more + " (paging.more) in the answer: " +
                          http::mask_secrets(json::serialize(page.body).substr(0, 200), secrets());
            return page;
        }
        more_flag = flag == "true" || flag == "1";
        full = *more_flag;  // a short page with more to come, a full one without: the flag wins
    }
    PageState next = state;
    switch (more_flag == false ? Spec::Paging::none : spec_.paging) {  // false: the last page
        case Spec::Paging::none: break;
        case Spec::Paging::next_link:
            if (const auto* link = find_path(page.body, spec_.next); link && link->is_string() && !link->as_string().empty() && !empty) {
                next.next_url = resolve_link(page.sent.url, std::string(link->as_string()));
                page.next = next;
                page.reason = foreign_link(page.sent.url, next.next_url);
            }
            break;
        case Spec::Paging::offset:
            if (full) {
                // Asked again from the last record (boundary_check), so a shift shows.
                bool overlap = spec_.boundary_check && answered >= 2;
                next.offset += overlap ? answered - 1 : answered;
                next.boundary.reset();
                if (overlap) next.boundary = page.records.back();
                page.next = next;
            }
            break;
        case Spec::Paging::page_number:
            if (full) {
                ++next.number;
                page.next = next;
            }
            break;
        case Spec::Paging::link_header:
            if (auto link = http::link_target(page.headers, spec_.rel); link && !empty) {
                next.next_url = resolve_link(page.sent.url, *link);
                page.next = next;
                page.reason = foreign_link(page.sent.url, next.next_url);
            }
            break;
        case Spec::Paging::token:
            if (const auto* t = find_path(page.body, spec_.next); t && !text_of(*t).empty() && !empty) {
                next.token = text_of(*t);
                page.next = next;
            }
            break;
    }
    if (page.reason.empty() && page.next) page.reason = repeated_page(state, *page.next, page.sent.url);
    if (!page.reason.empty()) {  // a next link to another host, or a page repeated: the page fails, nothing of it is committed
        page.error = Page::Error::decode;
        page.reason = http::mask_secrets(page.reason, secrets());
        page.next.reset();
        return page;
    }
    if (!spec_.details.empty() && !page.records.empty()) fetch_details(cursor, page);
    return page;
}

}  // namespace fb::connectors::http_poll
