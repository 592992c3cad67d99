// A flow's writeback worker: its own thread and state-file connection. Sends due writebacks in
// order of their next attempt, one request of a sequence after the other, records each attempt
// and the ERP's answer, retries with backoff and jitter, and keeps a breaker per endpoint, so a
// flow whose ERP is down holds back neither other flows nor, for long, its own other documents.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "config/config.h"
#include "core/sink.h"
#include "metrics/metrics.h"
#include "store/database.h"
#include "writeback/breaker.h"
#include "writeback/classify.h"
#include "writeback/queue.h"

namespace fb::writeback {

// The sink a flow's config names (connectors/<type>/).
std::unique_ptr<core::ErpSink> make_sink(const config::SinkConfig& config);

class Worker {
public:
    Worker(const config::Config& config, std::shared_ptr<const Plan> plan,
           std::unique_ptr<core::ErpSink> sink, metrics::Registry& metrics, bool held = false);
    ~Worker();
    void wake();  // a writeback was queued
    void stop();
    // The operator's pause: nothing is sent while held; the queue keeps growing and waits.
    void hold(bool held);
    // Empty while the worker runs; why it stopped when it could not (the state file unopenable).
    std::string problem() const;

private:
    struct Row;
    void run();
    void process(store::Database& db, Row& row);
    bool send_step(store::Database& db, Row& row, const boost::json::object& request,
                   const mapping::Mapping* rules, const boost::json::object& context,
                   bool verification);
    void keep_answer(store::Database& db, Row& row, boost::json::value answer);
    void fail_mapping(store::Database& db, Row& row, const std::string& reason);
    void schedule(store::Database& db, Row& row, std::chrono::milliseconds delay,
                  const std::string& error);
    void record_attempt(store::Database& db, const Row& row, const core::ErpRequest& request,
                        const std::string& endpoint, const core::ErpAnswer& answer,
                        const std::string& result, const std::string& reason);
    void refresh_gauges(store::Database& db);
    std::chrono::milliseconds backoff(int attempts);
    Breaker& breaker(const std::string& endpoint);
    void log_breaker(const std::string& endpoint, Breaker::State before, const Breaker& br,
                     const std::string& reason);
    void dead_lettered(const Row& row, const std::string& reason);

    const config::Config& config_;
    std::shared_ptr<const Plan> plan_;
    const config::WritebackConfig& settings_;
    std::unique_ptr<core::ErpSink> sink_;
    metrics::Registry& metrics_;
    std::map<std::string, Breaker> breakers_;  // by endpoint; worker thread only
    std::mt19937_64 random_{std::random_device{}()};
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::string problem_;
    bool woken_ = false;
    bool stopping_ = false;
    bool held_ = false;
    metrics::Gauge& depth_;
    metrics::Gauge& oldest_;
    metrics::Counter& dead_;
    std::thread thread_;
};

}  // namespace fb::writeback
