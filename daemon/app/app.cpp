#include "app/app.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include <thread>

#include "app/webhook_auth.h"
#include "decode/decode.h"
#include "ledger/trace.h"

namespace fb::app {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using Kind = ledger::Outcome::Kind;

namespace {

const Kind all_kinds[] = {Kind::created,  Kind::updated,  Kind::cancelled,     Kind::unchanged,
                          Kind::stale,    Kind::filtered, Kind::dead_lettered, Kind::error};

// Hands submissions to the intake and resumes the coroutine once they are committed.
template <class Token>
auto async_commit(ingest::Intake& intake, std::vector<ledger::Submission> subs, Token&& token) {
    return asio::async_initiate<Token, void(std::vector<ledger::Outcome>)>(
        [&intake](auto handler, std::vector<ledger::Submission> subs) {
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            intake.submit(std::move(subs), [shared](std::vector<ledger::Outcome> outcomes) {
                auto ex = asio::get_associated_executor(*shared);
                asio::post(ex, [shared, o = std::move(outcomes)]() mutable {
                    (*shared)(std::move(o));
                });
            });
        },
        token, std::move(subs));
}

// Runs `fn` on the pool and resumes the coroutine on its own executor with the result; an
// exception thrown by `fn` is rethrown in the coroutine.
template <class F, class Token>
auto async_run(asio::thread_pool& pool, F fn, Token&& token) {
    using R = std::invoke_result_t<F&>;
    return asio::async_initiate<Token, void(std::exception_ptr, R)>(
        [&pool](auto handler, F fn) {
            asio::post(pool, [handler = std::move(handler), fn = std::move(fn)]() mutable {
                std::exception_ptr error;
                R result{};
                try {
                    result = fn();
                } catch (...) {
                    error = std::current_exception();
                }
                auto ex = asio::get_associated_executor(handler);
                asio::post(ex, [handler = std::move(handler), error, r = std::move(result)]() mutable {
                    handler(error, std::move(r));
                });
            });
        },
        token, std::move(fn));
}

// A request body turned into submissions, or the reason a single document could not be read.
struct Parsed {
    std::vector<ledger::Submission> subs;
    std::string error;
};

Parsed parse_body(const Flow& flow, std::string_view body, bool batch) {
    Parsed out;
    const auto& name = flow.config->name;
    const auto& type = flow.config->document_type;
    if (!batch) {
        auto doc = decode::decode_json(body);
        if (!doc.ok()) out.error = std::move(doc.error);
        else ledger::add_mapped(out.subs, name, type, *flow.mapping, doc.value, body);
        return out;
    }
    std::size_t line = 0;
    while (!body.empty()) {
        auto nl = body.find('\n');
        auto text = body.substr(0, nl);
        body = nl == body.npos ? std::string_view() : body.substr(nl + 1);
        ++line;
        if (text.find_first_not_of(" \t\r") == text.npos) continue;
        auto doc = decode::decode_json(text);
        if (!doc.ok())
            out.subs.push_back(ledger::decode_failure(
                name, type, "line " + std::to_string(line) + ": " + doc.error, std::string(text)));
        else
            ledger::add_mapped(out.subs, name, type, *flow.mapping, doc.value, text);
    }
    return out;
}

json::object describe(const ledger::Outcome& o) {
    json::object r{{"status", ledger::to_string(o.kind)}, {"document_id", o.document_id}};
    if (!o.work_order_id.empty()) r["work_order_id"] = o.work_order_id;
    if (!o.event_id.empty()) r["event_id"] = o.event_id;
    if (o.dead_letter_id) r["dead_letter_id"] = o.dead_letter_id;
    if (!o.reason.empty()) r["error"] = o.reason;
    if (!o.note.empty()) r["note"] = o.note;
    return r;
}

}  // namespace

std::map<std::string, Flow> load_flows(const config::Config& config, metrics::Registry* metrics) {
    std::map<std::string, Flow> flows;
    for (const auto& f : config.flows) {
        Flow flow{&f, mapping::Mapping::load(f.mapping), {}};
        if (metrics)
            for (auto k : all_kinds)
                flow.documents[ledger::to_string(k)] = &metrics->counter(
                    "fieldbridge_documents_total", "Documents taken in, by flow and outcome",
                    "flow=\"" + f.name + "\",outcome=\"" + ledger::to_string(k) + "\"");
        flows.emplace(f.name, std::move(flow));
    }
    return flows;
}

App::App(config::Config config)
    : config_(std::move(config)),
      workers_(config_.http.workers ? config_.http.workers
                                    : std::max(1u, std::thread::hardware_concurrency())) {
    flows_ = load_flows(config_, &metrics_);
    metrics_.gauge("fieldbridge_build_info", "Build information",
                   "version=\"" FIELDBRIDGE_VERSION "\"").set(1);
    backpressure_ = &metrics_.counter("fieldbridge_backpressure_rejections_total",
                                      "Requests answered 503 because the outbox is over its high-water mark");
    if (config_.kafka.embedded()) {
        const auto& t = config_.kafka.topics;
        embedded_ = std::make_unique<publish::EmbeddedCluster>(
            config_.kafka.embedded_brokers, config_.kafka.embedded_partitions,
            std::vector<std::string>{t.work_orders, t.status, t.dead_letter});
        bootstrap_ = embedded_->bootstrap();
        spdlog::info("embedded kafka ({} brokers) listening at {}", embedded_->brokers(), bootstrap_);
    } else {
        bootstrap_ = config_.kafka.brokers;
    }
    intake_ = std::make_unique<ingest::Intake>(config_, metrics_);
    relay_ = std::make_unique<publish::Relay>(config_, bootstrap_, *intake_, metrics_);
    intake_->on_commit([relay = relay_.get()] { relay->wake(); });
    server_ = std::make_unique<http::Server>(io_, config_.http,
                                             [this](http::Request& r) { return handle(r); });
    spdlog::info("http listening on {}:{}; state {}; {} flow(s)", config_.http.address,
                 server_->port(), config_.state.path, flows_.size());
}

App::~App() {
    stop();
    server_.reset();
    workers_.join();
    // Flush what Kafka still owes us, commit its delivery reports, then close the state file.
    if (relay_) relay_->stop();
    if (intake_) intake_->stop();
}

void App::install_signals() {
    auto signals = std::make_shared<asio::signal_set>(io_, SIGINT, SIGTERM);
    signals->async_wait([this, signals](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        spdlog::info("signal {}: no new requests; answering those in progress", sig);
        server_->stop();
        drain(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    });
}

// Requests already read are answered (their documents are being committed) before the loop stops.
void App::drain(std::chrono::steady_clock::time_point deadline) {
    if (server_->requests_in_progress() == 0 || std::chrono::steady_clock::now() > deadline) {
        io_.stop();
        return;
    }
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(20));
    timer->async_wait([this, timer, deadline](const boost::system::error_code&) { drain(deadline); });
}

void App::run() { io_.run(); }

void App::stop() {
    if (server_) server_->stop();
    io_.stop();
}


asio::awaitable<http::Response> App::handle(http::Request& req) {
    auto target = std::string_view(req.target());
    if (auto q = target.find('?'); q != target.npos) target = target.substr(0, q);
    if (target == "/healthz") co_return http::make_response(req, bhttp::status::ok, R"({"status":"ok"})");
    if (target == "/readyz") co_return readiness(req);
    if (target == "/metrics")
        co_return http::make_response(req, bhttp::status::ok, metrics_.render(),
                                      "text/plain; version=0.0.4");
    constexpr std::string_view trace = "/api/trace/";
    if (target.starts_with(trace)) co_return trace_document(req, target.substr(trace.size()));
    constexpr std::string_view hooks = "/webhooks/";
    if (target.starts_with(hooks)) {
        auto name = std::string(target.substr(hooks.size()));
        auto it = flows_.find(name);
        if (it == flows_.end())
            co_return http::error_response(req, bhttp::status::not_found,
                                           "unknown flow `" + name.substr(0, 100) + "`");
        if (req.method() != bhttp::verb::post)
            co_return http::error_response(req, bhttp::status::method_not_allowed,
                                           "webhooks take POST");
        co_return co_await webhook(req, it->second);
    }
    co_return http::error_response(req, bhttp::status::not_found, "no such endpoint");
}

// Ready = a document sent now would be accepted and soon published: the state store takes
// writes, the outbox is under its high-water mark, Kafka is reachable. Each check is named.
http::Response App::readiness(const http::Request& req) {
    auto store = intake_->store_problem();
    bool outbox_ok = !intake_->over_high_water();
    auto kafka = relay_->kafka_problem();
    auto check = [](bool ok, const std::string& detail) {
        json::object c{{"ok", ok}};
        if (!ok) c["detail"] = detail;
        return c;
    };
    json::object checks{
        {"state_store", check(store.empty(), store)},
        {"outbox", check(outbox_ok, "outbox depth " + std::to_string(intake_->outbox_depth()) +
                                        " over the high-water mark " +
                                        std::to_string(config_.outbox.high_water))},
        {"kafka", check(kafka.empty(), kafka)}};
    json::array failing;
    for (const auto& [name, c] : checks)
        if (!c.as_object().at("ok").as_bool()) failing.emplace_back(name);
    bool ready = failing.empty();
    json::object status{{"ready", ready},
                        {"failing", std::move(failing)},
                        {"checks", std::move(checks)},
                        {"kafka", kafka.empty() ? "ok" : kafka},
                        {"outbox_depth", intake_->outbox_depth()},
                        {"accepting", store.empty() && outbox_ok}};
    return http::make_response(req, ready ? bhttp::status::ok : bhttp::status::service_unavailable,
                               json::serialize(status));
}

// GET /api/trace/<flow>/<document id>, with "Authorization: Bearer <admin_token>".
http::Response App::trace_document(const http::Request& req, std::string_view path) {
    const auto& token = config_.http.admin_token;
    if (token.empty())
        return http::error_response(req, bhttp::status::forbidden,
                                    "the admin API is off: set http.admin_token");
    auto given = std::string_view(req[bhttp::field::authorization]);
    if (!given.starts_with("Bearer ") || !secrets_equal(given.substr(7), token))
        return http::error_response(req, bhttp::status::unauthorized, "missing or wrong admin token");
    auto slash = path.find('/');
    if (slash == path.npos)
        return http::error_response(req, bhttp::status::bad_request,
                                    "expected /api/trace/<flow>/<document id>");
    if (!admin_db_)
        admin_db_ = std::make_unique<store::Database>(config_.state.path, store::Database::Mode::read_only);
    auto result = ledger::trace_document(*admin_db_, std::string(path.substr(0, slash)),
                                         std::string(path.substr(slash + 1)));
    return http::make_response(req, bhttp::status::ok, json::serialize(result));
}

asio::awaitable<http::Response> App::webhook(http::Request& req, Flow& flow) {
    const auto& source = flow.config->source;
    if (!source.hmac_secret.empty() &&
        !signature_valid(source.hmac_secret, req.body(), req[source.hmac_header])) {
        co_return http::error_response(req, bhttp::status::unauthorized,
                                       "missing or wrong " + source.hmac_header + " signature");
    }
    if (!intake_->store_problem().empty()) {  // the reason is in /readyz and the log
        auto res = http::error_response(req, bhttp::status::service_unavailable,
                                        "state store unavailable; nothing was accepted, retry later");
        res.set(bhttp::field::retry_after, "5");
        co_return res;
    }
    if (!intake_->accepting()) {
        backpressure_->add();
        auto res = http::error_response(req, bhttp::status::service_unavailable,
                                        "outbox is over its high-water mark; retry later");
        res.set(bhttp::field::retry_after, "1");
        co_return res;
    }
    bool batch = std::string_view(req[bhttp::field::content_type]).starts_with("application/x-ndjson");
    // Decoding and mapping run on the worker threads: the HTTP thread only reads and answers.
    auto [subs, unreadable] = co_await async_run(
        workers_, [&] { return parse_body(flow, req.body(), batch); }, asio::use_awaitable);
    if (!unreadable.empty()) {
        flow.documents["error"]->add();
        co_return http::error_response(req, bhttp::status::bad_request, unreadable);
    }
    if (subs.empty())
        co_return http::error_response(req, bhttp::status::bad_request, "no documents in the body");

    auto outcomes = co_await async_commit(*intake_, std::move(subs), asio::use_awaitable);
    json::array results;
    bool failed = false, error = false;
    for (const auto& o : outcomes) {
        flow.documents[ledger::to_string(o.kind)]->add();
        failed |= o.kind == Kind::dead_lettered;
        error |= o.kind == Kind::error;
        results.push_back(describe(o));
    }
    if (error) {
        auto res = http::error_response(req, bhttp::status::service_unavailable,
                                        "state store unavailable; nothing was accepted");
        res.set(bhttp::field::retry_after, "5");
        co_return res;
    }
    if (!batch && outcomes.size() == 1) {
        auto& o = outcomes.front();
        auto status = failed                      ? bhttp::status::unprocessable_entity
                      : o.outbox_rows > 0 ? bhttp::status::accepted  // an event was queued
                                          : bhttp::status::ok;  // stale, unchanged: nothing to retry
        co_return http::make_response(req, status, json::serialize(results.front()));
    }
    json::object counts;
    for (const auto& o : outcomes) {
        auto& c = counts[ledger::to_string(o.kind)];
        c = c.is_null() ? 1 : c.as_int64() + 1;
    }
    co_return http::make_response(
        req, bhttp::status::ok, json::serialize(json::object{{"counts", counts}, {"results", results}}));
}

}  // namespace fb::app
