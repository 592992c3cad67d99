// The status consumer: reads the platform's status events in a consumer group, applies each one
// to its work order in a SQLite transaction, and only then commits the Kafka offsets. A crash
// re-delivers at most the uncommitted events, and their event ids make the second pass a no-op.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "config/config.h"
#include "metrics/metrics.h"
#include "status/work_orders.h"

namespace fb::status {

class Consumer {
public:
    // `on_writeback(flow)` runs on the consumer thread after a commit that queued writebacks.
    Consumer(const config::Config& config, std::string brokers, const FlowLives& lives,
             metrics::Registry& metrics, std::function<void(const std::string&)> on_writeback);
    ~Consumer();
    void stop();
    bool healthy() const { return healthy_.load(); }
    std::string last_error() const;

private:
    void run();
    void count(const std::string& outcome, const Applied& a);

    const config::Config& config_;
    std::string brokers_;
    const FlowLives& lives_;
    metrics::Registry& metrics_;
    std::function<void(const std::string&)> on_writeback_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> healthy_{true};
    mutable std::mutex error_mutex_;
    std::string last_error_;
    metrics::Gauge& conflicts_;
    std::thread thread_;
};

}  // namespace fb::status
