// Fuzz target: what an ERP answers, read by every part that reads it without a network: the
// writeback verdict (classify with each sample mapping's `success:` rule, response_json,
// answer_summary), the HTTP client's Retry-After, the session readers (session_value,
// json_path_string, session_expiry), the Link header reader (link_target) and the poll source's
// records and cursor (find_path, parse_time, advance, in fixed offsets and in Europe/Berlin).
// Input, readable so seeds can be written by hand:
//   line 1      `<status> [<mapping>]`, or `timeout` / `error` (no answer); <mapping> 0 = no rule
//   then        `name: value` header lines up to an empty line; `@path: $.a[0]` is not a header
//               but one more path for the path readers
//   the rest    the body
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "connectors/http_poll/cursor.h"
#include "connectors/http_poll/json_path.h"
#include "http/json_path.h"
#include "decode/charset.h"
#include "http/client.h"
#include "http/link_header.h"
#include "mapping/time.h"
#include "http/session.h"
#include "sample_mappings.h"
#include "writeback/classify.h"

namespace {
namespace json = boost::json;
namespace poll = fb::connectors::http_poll;
using fb::core::ErpAnswer;
using fb::writeback::Verdict;

std::vector<std::shared_ptr<const fb::mapping::Mapping>> success_rules;  // mappings with `success:`
json::object context;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "%s: %s\n", what, detail.c_str());
    std::abort();
}

bool valid_utf8(std::string_view s) { return fb::decode::utf8_problem(s).empty(); }

struct Input {
    ErpAnswer answer;
    fb::http::ClientResponse response;  // the same answer as the HTTP client hands it back
    std::size_t rule = 0;
    std::vector<std::string> paths{"$.result.session_id", "$.KDSVCSessionId", "$.d.results[0].DeliveryDocument",
                                   "$.value[1].id", "$['@odata.nextLink']", "$.error.message.value", "$"};
};

Input read(std::string_view in) {
    Input out;
    auto line = [&in] {
        auto end = in.find('\n');
        auto l = in.substr(0, end);
        in = end == in.npos ? std::string_view() : in.substr(end + 1);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        return l;
    };
    auto first = line();
    if (first.starts_with("timeout")) out.answer.transport = ErpAnswer::Transport::timeout;
    if (first.starts_with("error")) out.answer.transport = ErpAnswer::Transport::connection_error;
    // `<status> [<mapping>]`: digits only, each capped, anything else ignored.
    unsigned field[2] = {0, 0};
    std::size_t at = 0;
    for (char c : first) {
        if (c == ' ') at = std::min<std::size_t>(at + 1, 2);
        else if (c >= '0' && c <= '9' && at < 2 && field[at] < 10000) field[at] = field[at] * 10 + (c - '0');
    }
    out.answer.status = static_cast<int>(field[0]);
    out.rule = field[1];
    out.answer.error = std::string(first);
    while (!in.empty()) {
        auto l = line();
        if (l.empty()) break;
        auto colon = l.find(':');
        auto name = std::string(l.substr(0, colon));
        auto value = colon == l.npos ? std::string_view() : l.substr(colon + 1);
        while (value.starts_with(' ')) value.remove_prefix(1);
        if (name == "@path") {
            out.paths.emplace_back(value);
            continue;
        }
        out.response.headers.emplace_back(name, value);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out.answer.headers[name] = std::string(value);  // lower-case names, as the sinks give them
    }
    out.answer.body = std::string(in);
    out.response.status = out.answer.status;
    out.response.body = out.answer.body;
    return out;
}

void check_verdict(const Input& in) {
    const auto& a = in.answer;
    for (std::size_t limit : {std::size_t(0), std::size_t(1), std::size_t(17), std::size_t(300), std::size_t(4096)}) {
        auto s = fb::writeback::answer_summary(a, limit);
        if (s.size() > limit + 3) fail("a summary over its limit", std::to_string(s.size()));
        if (valid_utf8(a.body) && valid_utf8(a.error) && !valid_utf8(s))
            fail("a summary of a UTF-8 answer that is not UTF-8", s);
    }
    auto r = fb::writeback::response_json(a);
    if (r.at("status").as_int64() != a.status) fail("response_json changed the status", "");
    {  // the body as JSON when it is (within the depth limit), else as the text it was
        json::parse_options opts;
        opts.max_depth = 64;
        boost::system::error_code ec;
        (void)json::parse(a.body, ec, {}, opts);
        if (ec && r.at("body") != json::value(a.body)) fail("response_json changed a body that is not JSON", "");
    }
    std::size_t pick = in.rule % (success_rules.size() + 1);
    const fb::mapping::Mapping* rules = pick == 0 ? nullptr : success_rules[pick - 1].get();
    auto v = fb::writeback::classify(a, rules, context);
    bool answered = a.transport == ErpAnswer::Transport::answered;
    bool ok2xx = answered && a.status >= 200 && a.status < 300;
    if (v.kind == Verdict::Kind::success && !ok2xx) fail("success without a 2xx answer", std::to_string(a.status));
    if (ok2xx && !rules && v.kind != Verdict::Kind::success) fail("a 2xx without a rule not a success", v.reason);
    if (v.kind != Verdict::Kind::success && v.reason.empty()) fail("a failure without a reason", "");
    if (v.retry_after.count() < -1) fail("a negative Retry-After", std::to_string(v.retry_after.count()));
    auto wait = fb::http::retry_after(in.response);
    if (wait.count() < -1) fail("the client's negative Retry-After", std::to_string(wait.count()));
}

void check_session(const Input& in) {
    using fb::http::SessionSpec;
    for (const auto& path : in.paths) {
        auto v = fb::http::session_value(SessionSpec{SessionSpec::From::body, path, {}}, in.response);
        auto direct = fb::http::json_path_string(in.response.body, path);
        // A scalar is the session as json_path_string reads it; a non-empty list or object (a
        // session of parts: Tryton's [user_id, key]) is kept as its JSON.
        if (v && !direct) {
            json::parse_options parts_opts;
            parts_opts.max_depth = 64;
            boost::system::error_code parts_ec;
            auto parts_root = json::parse(in.response.body, parts_ec, {}, parts_opts);
            const json::value* parts = parts_ec ? nullptr : fb::http::find_path(parts_root, path);
            if (!parts || !(parts->is_array() || parts->is_object()) || *v != json::serialize(*parts))
                fail("a session value that is neither the scalar nor the JSON at its path", path);
        } else if (v && v != direct) {
            fail("session_value and json_path_string disagree", path);
        }
        if (v && v->empty()) fail("an empty session value", path);
        // The poll source's reader must agree with the session's on the paths both read.
        if (direct && path.find("['") == std::string::npos) {
            json::parse_options opts;
            opts.max_depth = 64;
            boost::system::error_code ec;
            auto root = json::parse(in.response.body, ec, {}, opts);
            const json::value* at = ec ? nullptr : poll::find_path(root, path);
            if (!at || poll::text_of(*at) != *direct) fail("the two JSON path readers disagree", path);
        }
    }
    for (const char* name : {"kdservice-sessionid", "ASP.NET_SessionId"})
        if (auto v = fb::http::session_value(SessionSpec{SessionSpec::From::cookie, name, {}}, in.response);
            v && (v->empty() || v->find(';') != std::string::npos))
            fail("a cookie value with its attributes", *v);
    // A session's end from the login answer: absent, or within ten years after now.
    for (const auto& path : in.paths) {
        SessionSpec spec{SessionSpec::From::body, "$.access_token", {}};
        spec.expires_in = path;
        spec.expires_at = path;
        constexpr std::int64_t now = 1'790'000'000'000;
        if (auto end = fb::http::session_expiry(spec, in.response.body, now);
            end && (*end <= now || *end - now > 10ll * 366 * 86400 * 1000))
            fail("a session end outside (now, now + 10 years]", std::to_string(*end));
        if (auto end = fb::http::session_expiry(spec, in.response.body, now))
            if (auto at = fb::http::renew_at(now, *end - now); at < now || at > *end)
                fail("a renewal outside the session's life", std::to_string(at));
    }
    if (auto v = fb::http::session_value(SessionSpec{SessionSpec::From::header, "X-CSRF-Token", {}}, in.response);
        v && v->empty())
        fail("an empty header session value", "");
}

// The RFC 8288 reader on every Link header the input carries: a target is never empty, never
// over the size limit, holds no angle bracket, and is text of the headers.
void check_links(const Input& in) {
    for (const char* rel : {"next", "previous", "last"}) {
        auto t = fb::http::link_target(in.response.headers, rel);
        if (!t) continue;
        if (t->empty() || t->size() > fb::http::max_link_bytes) fail("a Link target empty or over its limit", *t);
        if (t->find('>') != std::string::npos) fail("a Link target with its angle bracket", *t);
        bool inside = false;
        for (const auto& [name, value] : in.response.headers) inside = inside || value.find(*t) != std::string::npos;
        if (!inside) fail("a Link target that is in no header", *t);
    }
}

void check_poll(const Input& in) {
    json::parse_options opts;
    opts.max_depth = 64;
    boost::system::error_code ec;
    auto root = json::parse(in.answer.body, ec, {}, opts);
    if (ec) return;
    constexpr std::int64_t until = 1'800'000'000'000;  // 2027-01-15
    poll::Spec::Cursor specs[4];
    specs[0].time = "$.LastChangeDateTime", specs[0].id = "$.DeliveryDocument";  // SAP OData
    specs[1].time = "$.FModifyDate", specs[1].id = "$.FBillNo", specs[1].tz_offset_minutes = 480;  // Kingdee
    specs[2].time = "$.updated_at", specs[2].id = "$['id']", specs[2].initial = "2026-11-20 08:00:00";
    specs[3].time = "$.lastmodified", specs[3].id = "$.id", specs[3].tz = fb::mapping::find_zone("Europe/Berlin");  // NetSuite
    std::vector<std::string> records_at{"$.d.results", "$.value", "$.data", "$"};
    records_at.insert(records_at.end(), in.paths.begin(), in.paths.end());
    for (const auto& path : records_at) {
        const auto* records = poll::find_path(root, path);
        if (!records) continue;
        for (int tz : {-720, 0, 480, 840})
            if (auto ms = poll::parse_time(*records, tz)) (void)poll::format_local(*ms, tz);
        if (auto ms = poll::parse_time(*records, specs[3].zone())) (void)poll::format_local(*ms, specs[3].zone());
        if (!records->is_array()) continue;
        for (const auto& spec : specs) {
            auto start = poll::Cursor::initial(spec);
            std::size_t unreadable = 0;
            auto next = poll::advance(start, records->get_array(), spec, until, unreadable);
            if (next < start) fail("the cursor moved back", next.to_json());
            if (start < next && next.time_ms > until) fail("the cursor moved past `until`", next.to_json());
            if (unreadable > records->get_array().size()) fail("more unreadable records than records", "");
            auto c = poll::cursor_context(next, spec, until);
            poll::add_times(c, until, until - spec.settle.count(), spec, next.time_ms - spec.overlap.count());
            auto saved = poll::Cursor::from_json(next.to_json());
            if (!saved || saved->time_ms != next.time_ms || saved->id != next.id || saved->time != next.time)
                fail("the cursor does not survive its state row", next.to_json());
        }
    }
    if (auto c = poll::Cursor::from_json(in.answer.body)) {
        auto again = poll::Cursor::from_json(c->to_json());
        if (!again || again->time_ms != c->time_ms || again->id != c->id) fail("a cursor round trip", c->to_json());
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    for (const auto& path : fb::fuzz::sample_mapping_paths()) {
        auto m = fb::mapping::Mapping::load(path);
        if (m->has_success_rule()) success_rules.push_back(m);
    }
    if (success_rules.empty()) fail("no sample mapping with a success rule under", FB_SOURCE_DIR);
    context = json::parse(R"({"event":{"event_id":"e-1","work_order_id":"WO-1","status":"completed"},
        "work_order":{"id":"WO-1"},"document":{"id":"CK1"},
        "writeback":{"idempotency_key":"fb-e-1"}})").as_object();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto in = read(std::string_view(reinterpret_cast<const char*>(data), size));
    check_verdict(in);
    check_session(in);
    check_links(in);
    check_poll(in);
    return 0;
}
