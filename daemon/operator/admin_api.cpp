#include "operator/admin_api.h"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <algorithm>
#include <chrono>

#include "app/app.h"
#include "core/secrets.h"
#include "ledger/dead_letter.h"
#include "ledger/trace.h"
#include "operator/overview.h"
#include "support/async_run.h"

namespace fb::operator_page {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr std::string_view api = "/api/";

http::Response json_response(const http::Request& req, const json::value& body,
                             bhttp::status status = bhttp::status::ok) {
    auto res = http::make_response(req, status, json::serialize(body));
    res.set(bhttp::field::cache_control, "no-store");
    return res;
}

// A replay's outcome, or why it could not run (a mapping on disk that no longer compiles).
struct ReplayResult {
    ledger::ReplayReport report;
    std::string error;
};

json::value paused_json(const Pause& p) {
    if (!p.any()) return nullptr;
    return json::object{{"intake", p.intake}, {"writeback", p.writeback}, {"reason", p.reason}, {"since", p.since}};
}

}  // namespace

AdminApi::AdminApi(const config::Config& config, asio::thread_pool& pool, Pauses& pauses, Hooks hooks)
    : config_(config), pool_(pool), pauses_(pauses), hooks_(std::move(hooks)) {}

AdminApi::~AdminApi() = default;

bool AdminApi::owns(std::string_view target) const {
    return target == "/" || target == "/favicon.ico" || target == "/ui" || target.starts_with("/ui/") ||
           target.starts_with(api);
}

store::Database& AdminApi::reader() {
    if (!reader_)
        reader_ = std::make_unique<store::Database>(config_.state.path, store::Database::Mode::read_only);
    return *reader_;
}

asio::awaitable<http::Response> AdminApi::handle(const http::Request& req, std::string_view target) {
    if (!target.starts_with(api)) co_return page(req, target);
    const auto& token = config_.http.admin_token;
    if (token.empty())
        co_return http::error_response(req, bhttp::status::forbidden,
                                       "the admin API is off: set http.admin_token");
    auto given = std::string_view(req[bhttp::field::authorization]);
    if (!given.starts_with("Bearer ") || !core::secrets_equal(given.substr(7), token))
        co_return http::error_response(req, bhttp::status::unauthorized, "missing or wrong admin token");
    auto path = target.substr(api.size());
    bool get = req.method() == bhttp::verb::get;
    if (path == "overview" && get) co_return overview(req);
    if (path == "dead-letter" && get) co_return dead_letters(req);
    if (path == "dead-letter/replay" && req.method() == bhttp::verb::post) co_return co_await replay(req);
    if (path.starts_with("trace/") && get) co_return trace(req);
    bool flow_action = path.starts_with("flows/") && (path.ends_with("/pause") || path.ends_with("/resume"));
    if (flow_action && req.method() == bhttp::verb::post) co_return co_await pause(req, path);
    if (path == "overview" || path == "dead-letter" || path == "dead-letter/replay" ||
        path.starts_with("trace/") || flow_action)
        co_return http::error_response(req, bhttp::status::method_not_allowed,
                                       "method not allowed on /api/" + std::string(path.substr(0, 100)));
    co_return http::error_response(req, bhttp::status::not_found, "no such admin endpoint");
}

// The page holds no data: it asks for the token and reads everything through /api/. The CSP
// keeps whatever an ERP wrote into a document (shown as text) from ever running as script.
http::Response AdminApi::page(const http::Request& req, std::string_view target) const {
    if (target == "/" || target == "/ui") {  // the page's links are relative to /ui/
        auto res = http::make_response(req, bhttp::status::found, "", "text/plain");
        res.set(bhttp::field::location, "/ui/");
        return res;
    }
    if (target == "/favicon.ico")  // browsers ask; the page has none
        return http::make_response(req, bhttp::status::no_content, "", "image/x-icon");
    std::string_view name = target == "/ui/" ? "index.html" : target.substr(4);
    auto body = page_file(name);
    if (body.empty() || req.method() != bhttp::verb::get)
        return http::error_response(req, bhttp::status::not_found, "no such page");
    const char* type = name.ends_with(".js")    ? "text/javascript; charset=utf-8"
                       : name.ends_with(".css") ? "text/css; charset=utf-8"
                                                : "text/html; charset=utf-8";
    auto res = http::make_response(req, bhttp::status::ok, std::string(body), type);
    res.set("Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            "img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    return res;
}

http::Response AdminApi::overview(const http::Request& req) {
    std::vector<std::string> names;
    for (const auto& f : config_.flows) names.push_back(f.name);
    auto counts = operator_page::overview(reader(), names);
    json::array flows;
    for (const auto& f : config_.flows) {
        auto entry = counts.at(f.name).as_object();
        entry["name"] = f.name;
        entry["source"] = f.source.type;
        entry["writeback"] = f.writeback.enabled() ? json::value(f.writeback.sink.type) : json::value();
        entry["paused"] = paused_json(pauses_.get(f.name));
        flows.push_back(std::move(entry));
    }
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    return json_response(req, json::object{{"now_ms", now_ms},
                                           {"version", FIELDBRIDGE_VERSION},
                                           {"readiness", hooks_.readiness()},
                                           {"flows", std::move(flows)}});
}

http::Response AdminApi::dead_letters(const http::Request& req) {
    bool all = false;  // ?all=1: replayed entries too
    auto target = std::string_view(req.target());
    if (auto q = target.find('?'); q != target.npos)
        for (auto rest = target.substr(q + 1); !rest.empty();) {
            auto amp = rest.find('&');
            all = all || rest.substr(0, amp) == "all=1";
            rest = amp == rest.npos ? std::string_view() : rest.substr(amp + 1);
        }
    json::array entries;
    for (const auto& e : ledger::list_dead_letters(reader(), all))
        entries.push_back({{"id", e.id},
                           {"flow", e.flow},
                           {"stage", e.stage},
                           {"document_id", e.document_id},
                           {"reason", e.reason},
                           {"created_at", e.created_at},
                           {"arrivals", e.repeats + 1},
                           {"last_seen_at", e.last_seen_at.empty() ? json::value() : json::value(e.last_seen_at)},
                           {"replayed_at", e.replayed_at.empty() ? json::value() : json::value(e.replayed_at)}});
    return json_response(req, json::object{{"entries", std::move(entries)}});
}

// /api/trace/<flow>/<document id>, each part percent-encoded (an id may hold '/', spaces, any
// UTF-8); an unencoded '/' inside the id is kept as one.
http::Response AdminApi::trace(const http::Request& req) {
    auto url = boost::urls::parse_origin_form(std::string_view(req.target()));
    std::vector<std::string> parts;
    if (url)
        for (auto segment : url->segments()) parts.push_back(std::string(segment));
    if (!url || parts.size() < 4 || parts[2].empty() || parts[3].empty())
        return http::error_response(req, bhttp::status::bad_request,
                                    "expected /api/trace/<flow>/<document id>, percent-encoded");
    std::string document = parts[3];
    for (std::size_t i = 4; i < parts.size(); ++i) document += "/" + parts[i];
    return json_response(req, ledger::trace_document(reader(), parts[2], document));
}

// POST {"ids": [3, 4]} (or {} for every open entry). Like `fieldbridge dead-letter replay`: the
// mappings as they are on disk now, in one transaction, on the pool so webhooks keep answering.
asio::awaitable<http::Response> AdminApi::replay(const http::Request& req) {
    std::vector<std::int64_t> ids;
    boost::system::error_code ec;
    json::parse_options limits;
    limits.max_depth = 4;
    auto body = req.body().empty() ? json::value(json::object{}) : json::parse(req.body(), ec, {}, limits);
    const json::value* list = body.is_object() ? body.as_object().if_contains("ids") : nullptr;
    if (ec || !body.is_object() || (list && !list->is_array()))
        co_return http::error_response(req, bhttp::status::bad_request,
                                       "expected a JSON object {\"ids\": [<dead-letter id>, …]}");
    if (list)
        for (const auto& id : list->as_array()) {
            if (!id.is_int64() || id.as_int64() <= 0)
                co_return http::error_response(req, bhttp::status::bad_request,
                                               "ids: each must be a dead-letter id (a positive integer)");
            ids.push_back(id.as_int64());
        }
    // The lambda captures references only (to the frame's named locals): GCC 12 destroys a
    // temporary of a co_await expression twice, harmless only when it owns nothing.
    const auto& config = config_;
    ReplayResult result = co_await support::async_run(
        pool_,
        [&config, &ids] {
            ReplayResult r;
            try {
                auto mappings = app::load_mappings(config);
                store::Database db(config.state.path, store::Database::Mode::read_write,
                                   config.state.synchronous);
                r.report = ledger::replay_dead_letters(db, config, mappings, ids);
            } catch (const std::exception& e) {
                r.error = e.what();
            }
            return r;
        },
        asio::use_awaitable);
    if (!result.error.empty())
        co_return http::error_response(req, bhttp::status::unprocessable_entity,
                                       "nothing was replayed: " + result.error);
    if (result.report.replayed) hooks_.replayed();
    json::array lines;
    for (auto& l : result.report.lines) lines.emplace_back(l);
    co_return json_response(req, json::object{{"replayed", result.report.replayed},
                                              {"still_failing", result.report.still_failing},
                                              {"lines", std::move(lines)}});
}

// POST /api/flows/<name>/pause {"reason": "…", "intake": true, "writeback": true} (both parts
// unless one is set false), /resume likewise. The change is in the state file before the answer.
asio::awaitable<http::Response> AdminApi::pause(const http::Request& req, std::string_view path) {
    bool on = path.ends_with("/pause");
    std::string flow(path.substr(6, path.rfind('/') - 6));
    if (std::none_of(config_.flows.begin(), config_.flows.end(), [&](const auto& f) { return f.name == flow; }))
        co_return http::error_response(req, bhttp::status::not_found, "unknown flow `" + flow.substr(0, 100) + "`");
    boost::system::error_code ec;
    json::parse_options limits;
    limits.max_depth = 2;
    auto body = req.body().empty() ? json::value(json::object{}) : json::parse(req.body(), ec, {}, limits);
    const char* expected = "expected a JSON object {\"reason\": \"…\", \"intake\": true, \"writeback\": true}";
    if (ec || !body.is_object()) co_return http::error_response(req, bhttp::status::bad_request, expected);
    bool intake = true, writeback = true;
    std::string reason;
    for (const auto& [key, value] : body.as_object()) {
        if ((key == "intake" || key == "writeback") && value.is_bool())
            (key == "intake" ? intake : writeback) = value.as_bool();
        else if (key == "reason" && value.is_string() && value.as_string().size() <= 500)
            reason = value.as_string();
        else
            co_return http::error_response(req, bhttp::status::bad_request,
                                           std::string(expected) + "; `" + std::string(key).substr(0, 50) +
                                               "` is not one of them (reason: text up to 500 bytes)");
    }
    for (auto& c : reason)  // one log line per change: no control characters from the request
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    if (!intake && !writeback)
        co_return http::error_response(req, bhttp::status::bad_request, "nothing to change: intake and writeback are both false");
    auto& pauses = pauses_;
    std::string error;
    Pause result = co_await support::async_run(
        pool_,
        [&pauses, &flow, &on, &intake, &writeback, &reason, &error] {
            try {
                return pauses.change(flow, on, intake, writeback, reason);
            } catch (const std::exception& e) {
                error = e.what();
                return Pause{};
            }
        },
        asio::use_awaitable);
    if (!error.empty())
        co_return http::error_response(req, bhttp::status::service_unavailable,
                                       "the change could not be recorded in the state file, nothing changed: " + error);
    co_return json_response(req, json::object{{"flow", flow}, {"paused", paused_json(result)}});
}

}  // namespace fb::operator_page
