// What the engine gives every source alike: commit (documents and acknowledgement point in one
// transaction), backpressure, the retry policy, per-source metrics, readiness, a stoppable wait,
// and the state the source left in earlier runs.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.h"
#include "core/retry.h"
#include "core/source.h"
#include "http/server.h"
#include "ingest/intake.h"
#include "mapping/mapping.h"
#include "metrics/metrics.h"

namespace fb::ingest {

// Every source's health, for /readyz: a failing source degrades readiness, other flows run on.
class SourceHealth {
public:
    void ok(const std::string& flow);
    void failing(const std::string& flow, const std::string& reason);
    // flow → "ok" or "failing since <time>: <reason>"
    std::map<std::string, std::string> snapshot() const;
    bool all_ok() const;

private:
    struct State {
        bool ok = true;
        std::string since, reason;
    };
    mutable std::mutex mutex_;
    std::map<std::string, State> state_;
};

// Endpoints sources serve on the daemon's one HTTP listener (the webhook's /webhooks/<flow>).
using EndpointRegistry = std::map<std::string, http::Handler>;

class SourceContext {
public:
    SourceContext(const config::Config& config, const config::FlowConfig& flow,
                  std::shared_ptr<const mapping::Mapping> mapping, Intake& intake,
                  metrics::Registry& metrics, SourceHealth& health, EndpointRegistry& endpoints,
                  boost::asio::thread_pool& workers);

    const config::Config& config() const { return config_; }
    const config::FlowConfig& flow() const { return flow_; }
    const mapping::Mapping& mapping() const { return *mapping_; }
    template <class Spec>
    const Spec& spec() const { return dynamic_cast<const Spec&>(*flow_.source.spec); }
    boost::asio::thread_pool& workers() { return workers_; }
    const core::RetryPolicy& retry() const { return retry_; }

    // Commits documents and checkpoints in one transaction; `done` runs on the intake thread.
    void submit(core::Batch batch, Intake::Done done);
    // The same, waiting for the commit. Outcomes of kind `error` mean nothing was committed.
    std::vector<ledger::Outcome> commit(core::Batch batch);
    // A checkpoint this flow committed earlier (read from the state file), if any.
    std::optional<std::string> checkpoint(const std::string& key);

    // Backpressure: false while the outbox is over its high-water mark or the operator paused
    // this flow's intake.
    bool accepting() { return !paused_by_operator_ && intake_.accepting(); }
    // The operator's pause (operator/pauses.h): the source takes nothing in until resumed.
    bool paused() const { return paused_by_operator_; }
    void set_paused(bool paused);
    // Why the state store takes no writes now (a full disk), or "".
    std::string store_problem() { return intake_.store_problem(); }
    // Waits until the outbox has room (counting the wait) and the flow is not paused, or stop();
    // false when stopping.
    bool wait_for_room();
    // Sleeps up to `d`, waking early on stop() or wake(); false when stopping.
    bool sleep_for(std::chrono::milliseconds d);
    void wake();
    void stop();
    bool stopping() const { return stopping_; }

    void healthy() { health_.ok(flow_.name); }
    void failing(const std::string& reason) { health_.failing(flow_.name, reason); }
    void serve(const std::string& path, http::Handler handler) { endpoints_[path] = std::move(handler); }

    // A per-source series: labels flow and connector, plus `extra` (e.g. `kind="timeout"`).
    metrics::Counter& counter(const std::string& name, const std::string& help, const std::string& extra = "");
    metrics::Gauge& gauge(const std::string& name, const std::string& help, const std::string& extra = "");
    // documents taken in, by outcome (fieldbridge_documents_total)
    void count(const std::vector<ledger::Outcome>& outcomes);

private:
    std::string labels(const std::string& extra) const;

    const config::Config& config_;
    const config::FlowConfig& flow_;
    std::shared_ptr<const mapping::Mapping> mapping_;
    Intake& intake_;
    metrics::Registry& metrics_;
    SourceHealth& health_;
    EndpointRegistry& endpoints_;
    boost::asio::thread_pool& workers_;
    core::RetryPolicy retry_;
    std::unique_ptr<store::Database> reader_;  // read-only, opened on first use
    std::mutex mutex_;
    std::condition_variable cv_;
    bool woken_ = false;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> paused_by_operator_{false};
    metrics::Counter* paused_ = nullptr;
};

}  // namespace fb::ingest
