// The daemon assembled: state store, intake, publisher, HTTP, one pipeline per flow.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "http/server.h"
#include "ingest/intake.h"
#include "ingest/source_context.h"
#include "mapping/mapping.h"
#include "operator/admin_api.h"
#include "operator/pauses.h"
#include "metrics/metrics.h"
#include "publish/kafka.h"
#include "publish/relay.h"
#include "status/loop.h"
#include "store/database.h"

namespace fb::app {

// What a flow needs at run time: its config, its compiled mapping, its counters.
struct Flow {
    const config::FlowConfig* config;
    std::shared_ptr<const mapping::Mapping> mapping;
    std::map<std::string, metrics::Counter*> documents;  // by outcome
};

// Compiles every mapping the config names; throws mapping::CompileError.
std::map<std::string, Flow> load_flows(const config::Config& config, metrics::Registry* metrics);
// Each flow's mapping by flow name, as on disk now: what a dead-letter replay maps with.
std::map<std::string, std::shared_ptr<const mapping::Mapping>> load_mappings(const config::Config& config);

class App {
public:
    explicit App(config::Config config);
    ~App();
    void run();   // serves until stop() (or SIGTERM/SIGINT when install_signals was called)
    void stop();  // thread-safe: stop intake at the door, drain, flush, close
    void install_signals();
    unsigned short http_port() const { return server_->port(); }
    const std::string& kafka_bootstrap() const { return bootstrap_; }

private:
    boost::asio::awaitable<http::Response> handle(http::Request& req);
    void start_sources();
    http::Response readiness(const http::Request& req);
    void drain(std::chrono::steady_clock::time_point deadline);
    boost::json::object readiness_body();  // /readyz and the operator's page
    void apply_pause(const std::string& flow, const operator_page::Pause& pause);

    config::Config config_;
    metrics::Registry metrics_;
    std::map<std::string, Flow> flows_;
    std::unique_ptr<publish::EmbeddedCluster> embedded_;
    std::string bootstrap_;
    std::unique_ptr<ingest::Intake> intake_;
    std::unique_ptr<publish::Relay> relay_;
    std::unique_ptr<status::Loop> loop_;  // status consumer and writeback workers
    std::unique_ptr<operator_page::Pauses> pauses_;  // the operator's, from the state file
    boost::asio::io_context io_;
    boost::asio::thread_pool workers_;  // decode and map request bodies
    std::unique_ptr<operator_page::AdminApi> admin_;  // /ui and /api/…
    std::unique_ptr<http::Server> server_;
    ingest::SourceHealth health_;
    ingest::EndpointRegistry endpoints_;  // filled before the io thread runs, then read-only
    std::vector<std::unique_ptr<ingest::SourceContext>> contexts_;
    std::vector<std::unique_ptr<core::Source>> sources_;
};

}  // namespace fb::app
