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
    // Why a document sent now would not reach Kafka soon: the producer stopped, no broker is
    // up, or messages are in flight with no delivery report for kafka.delivery_stall. Empty
    // when Kafka is reachable. Any thread.
    std::string kafka_problem() const;

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
    bool statistics_on_;  // broker states come from librdkafka's statistics, unless turned off
    Producer producer_;
    // Touched only on the relay thread (delivery reports run inside its poll()).
    std::vector<ingest::SentRow> acked_;
    std::unordered_map<std::int64_t, std::int64_t> committed_at_;  // row id → commit time, ms
    std::atomic<std::int64_t> in_flight_{0};
    std::atomic<int> brokers_up_{-1};  // -1 until the first statistics
    // steady_clock time (ms) of the last delivery report, or of the first message put in flight
    // when none were: how long Kafka has been silent while it owes us reports.
    std::atomic<std::int64_t> last_progress_ms_{0};
    std::atomic<bool> wake_{true};
    std::atomic<bool> stopping_{false};
    std::atomic<bool> healthy_{true};
    mutable std::mutex error_mutex_;
    std::string last_error_;
    metrics::Counter& published_;
    metrics::Counter& failed_;
    metrics::Histogram& latency_;
    metrics::Gauge& brokers_gauge_;
    metrics::Gauge& reachable_gauge_;
    metrics::Gauge& in_flight_gauge_;
    std::thread thread_;
};

}  // namespace fb::publish
