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

#include "connectors/registry.h"
#include "core/secrets.h"
#include "decode/decode.h"
#include "operator/admin_api.h"

namespace fb::app {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using Kind = ledger::Outcome::Kind;

namespace {

const Kind all_kinds[] = {Kind::created,  Kind::updated,  Kind::cancelled,     Kind::unchanged,
                          Kind::stale,    Kind::filtered, Kind::dead_lettered, Kind::error};

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

std::map<std::string, std::shared_ptr<const mapping::Mapping>> load_mappings(const config::Config& config) {
    std::map<std::string, std::shared_ptr<const mapping::Mapping>> mappings;
    for (auto& [name, flow] : load_flows(config, nullptr)) mappings[name] = flow.mapping;
    return mappings;
}

App::App(config::Config config)
    : config_(std::move(config)),
      workers_(config_.http.workers ? config_.http.workers
                                    : std::max(1u, std::thread::hardware_concurrency())) {
    flows_ = load_flows(config_, &metrics_);
    metrics_.gauge("fieldbridge_build_info", "Build information",
                   "version=\"" FIELDBRIDGE_VERSION "\"").set(1);
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
    pauses_ = std::make_unique<operator_page::Pauses>(config_);
    std::set<std::string> held;
    for (const auto& [flow, p] : pauses_->snapshot())
        if (p.writeback) held.insert(flow);
    loop_ = std::make_unique<status::Loop>(config_, bootstrap_, metrics_, held);
    admin_ = std::make_unique<operator_page::AdminApi>(
        config_, workers_, *pauses_,
        operator_page::AdminApi::Hooks{[this] { return readiness_body(); },
                                       [this] { relay_->wake(); }});
    server_ = std::make_unique<http::Server>(io_, config_.http,
                                             [this](http::Request& r) { return handle(r); });
    spdlog::info("http listening on {}:{}; state {}; {} flow(s)", config_.http.address,
                 server_->port(), config_.state.path, flows_.size());
    start_sources();  // after the line above: tests wait for it to know the daemon is up
}

App::~App() {
    stop();
    for (auto& source : sources_) source->stop();
    server_.reset();
    workers_.join();
    if (loop_) loop_->stop();
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

// Each flow's source, built by its connector from the already-validated spec.
void App::start_sources() {
    for (auto& [name, flow] : flows_) {
        const auto* connector = connectors::find(flow.config->source.type);
        auto& ctx = *contexts_.emplace_back(std::make_unique<ingest::SourceContext>(
            config_, *flow.config, flow.mapping, *intake_, metrics_, health_, endpoints_, workers_));
        sources_.push_back(connector->make(ctx));
    }
    // A pause the operator left in place holds from the first moment, before any source starts.
    for (const auto& [name, _] : flows_) apply_pause(name, pauses_->get(name));
    pauses_->on_change([this](const std::string& flow, const operator_page::Pause& p) { apply_pause(flow, p); });
    for (auto& source : sources_) source->start();
}

void App::apply_pause(const std::string& flow, const operator_page::Pause& pause) {
    for (auto& ctx : contexts_)
        if (ctx->flow().name == flow) ctx->set_paused(pause.intake);
    loop_->hold_writeback(flow, pause.writeback);
    for (auto [part, on] : {std::pair{"intake", pause.intake}, std::pair{"writeback", pause.writeback}})
        metrics_
            .gauge("fieldbridge_flow_paused", "1 while the operator holds this part of the flow",
                   "flow=\"" + flow + "\",part=\"" + part + "\"")
            .set(on ? 1 : 0);
}

void App::run() { io_.run(); }

void App::stop() {
    if (server_) server_->stop();
    for (auto& ctx : contexts_) ctx->stop();
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
    if (admin_->owns(target)) co_return co_await admin_->handle(req, target);
    if (auto it = endpoints_.find(std::string(target)); it != endpoints_.end())
        co_return co_await it->second(req);
    constexpr std::string_view hooks = "/webhooks/";
    if (target.starts_with(hooks)) {
        auto name = std::string(target.substr(hooks.size()));
        co_return http::error_response(req, bhttp::status::not_found,
                                       (flows_.count(name) ? "flow `" + name + "` does not take webhooks"
                                                           : "unknown flow `" + name.substr(0, 100) + "`"));
    }
    co_return http::error_response(req, bhttp::status::not_found, "no such endpoint");
}

// Ready = a document sent now would be accepted and soon published: the state store takes
// writes, the outbox is under its high-water mark, Kafka is reachable. Each check is named.
http::Response App::readiness(const http::Request& req) {
    auto status = readiness_body();
    bool ready = status.at("ready").as_bool();
    return http::make_response(req, ready ? bhttp::status::ok : bhttp::status::service_unavailable,
                               json::serialize(status));
}

json::object App::readiness_body() {
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
    // A failing source degrades readiness without failing it: the other flows still take
    // documents, and a 503 would take the webhooks away from them too.
    json::object sources;
    for (const auto& [flow, state] : health_.snapshot()) sources[flow] = state;
    status["sources"] = std::move(sources);
    // Paused flows are the operator's choice, not a fault: named here, readiness unchanged.
    json::object paused;
    for (const auto& [flow, p] : pauses_->snapshot())
        paused[flow] = json::object{{"intake", p.intake}, {"writeback", p.writeback}, {"since", p.since}};
    status["paused"] = std::move(paused);
    // The way back failing (events not applied, writebacks not sent) degrades like a source:
    // documents sent now are still taken and published.
    auto loop = loop_ ? loop_->problem() : std::string();
    status["status_loop"] = loop.empty() ? json::value("ok") : json::value(loop);
    status["status"] = !ready ? "unavailable" : health_.all_ok() && loop.empty() ? "ok" : "degraded";
    return status;
}

}  // namespace fb::app
