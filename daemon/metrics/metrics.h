// Counters, gauges and histograms owned by the engine, rendered in Prometheus text format.
// Series are created once (at start-up or on first use) and then updated lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace fb::metrics {

class Counter {
public:
    void add(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

class Gauge {
public:
    void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
    void add(std::int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
    std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

// Fixed buckets in seconds, from 1 ms to 10 s.
class Histogram {
public:
    static constexpr double bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1,   0.25,   0.5,   1,    2.5,   10};
    static constexpr std::size_t size = sizeof(bounds) / sizeof(bounds[0]);
    void observe(double seconds);
    std::string render(const std::string& name, const std::string& labels) const;

private:
    std::atomic<std::uint64_t> buckets_[size + 1] = {};
    std::atomic<std::uint64_t> micros_sum_{0};
};

class Registry {
public:
    // `labels` is the inside of {…}, e.g. `flow="delivery",result="created"`.
    Counter& counter(const std::string& name, const std::string& help, const std::string& labels = "");
    Gauge& gauge(const std::string& name, const std::string& help, const std::string& labels = "");
    Histogram& histogram(const std::string& name, const std::string& help,
                         const std::string& labels = "");
    std::string render() const;

private:
    enum class Type { counter, gauge, histogram };
    struct Family {
        Type type;
        std::string help;
        std::map<std::string, Counter*> counters;
        std::map<std::string, Gauge*> gauges;
        std::map<std::string, Histogram*> histograms;
    };
    Family& family(const std::string& name, const std::string& help, Type type);

    mutable std::mutex mutex_;
    std::map<std::string, Family> families_;
    std::deque<Counter> counter_store_;
    std::deque<Gauge> gauge_store_;
    std::deque<Histogram> histogram_store_;
};

}  // namespace fb::metrics
