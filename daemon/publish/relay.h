// The relay: reads unsent outbox rows in id order, produces them (the row id is the message
// opaque), and hands each delivery report back to the intake, the only thing that marks a row sent.
// Rows are produced in id order, so the events of one work order reach its partition in order.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "ingest/intake.h"
#include "metrics/metrics.h"
#include "publish/kafka.h"
#include "store/database.h"

namespace fb::publish {

class Relay {
public:
    Relay(const config::Config& config, const std::string& brokers, ingest::Intake& intake,
          metrics::Registry& metrics);
    ~Relay();
    void wake();  // new rows were committed
    void stop();  // flush what is in flight (bounded wait), then join
    bool healthy() const { return healthy_.load(); }
    std::string last_error() const;

private:
    void run();
    int produce_page(store::Statement& next, std::int64_t& cursor);
    void signal();  // wakes the relay thread
    void on_delivery(const Delivery& d);

    const config::Config& config_;
    ingest::Intake& intake_;
    metrics::Registry& metrics_;
    std::unique_ptr<store::Database> db_;  // read-only; opened by the constructor
    int event_fd_;                         // an eventfd: commits and delivery reports wake the thread
    Producer producer_;
    // Touched only on the relay thread (delivery reports run inside its poll()).
    std::vector<ingest::SentRow> acked_;
    std::unordered_map<std::int64_t, std::int64_t> committed_at_;  // row id → commit time, ms
    std::int64_t in_flight_ = 0;
    std::atomic<bool> wake_{true};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> healthy_{true};
    mutable std::mutex error_mutex_;
    std::string last_error_;
    metrics::Counter& published_;
    metrics::Counter& failed_;
    metrics::Histogram& latency_;
    std::thread thread_;
};

}  // namespace fb::publish
