#include "metrics/metrics.h"

#include <cstdio>
#include <stdexcept>

namespace fb::metrics {

void Histogram::observe(double seconds) {
    std::size_t i = 0;
    while (i < size && seconds > bounds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    micros_sum_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string Histogram::render(const std::string& name, const std::string& labels) const {
    std::string out;
    std::uint64_t cumulative = 0;
    auto sep = labels.empty() ? "" : ",";
    char le[32];
    for (std::size_t i = 0; i <= size; ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        if (i < size) std::snprintf(le, sizeof le, "%g", bounds[i]);
        out += name + "_bucket{" + labels + sep + "le=\"" + (i < size ? le : "+Inf") + "\"} " +
               std::to_string(cumulative) + "\n";
    }
    char sum[64];
    std::snprintf(sum, sizeof sum, "%.6f", micros_sum_.load() / 1e6);
    auto braces = labels.empty() ? std::string() : "{" + labels + "}";
    out += name + "_sum" + braces + " " + sum + "\n";
    out += name + "_count" + braces + " " + std::to_string(cumulative) + "\n";
    return out;
}

Registry::Family& Registry::family(const std::string& name, const std::string& help, Type type) {
    auto [it, fresh] = families_.try_emplace(name, Family{type, help, {}, {}, {}});
    if (!fresh && it->second.type != type)
        throw std::logic_error("metric " + name + " registered with two types");
    return it->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help,
                           const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, Type::counter);
    auto& slot = f.counters[labels];
    if (!slot) slot = &counter_store_.emplace_back();
    return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, Type::gauge);
    auto& slot = f.gauges[labels];
    if (!slot) slot = &gauge_store_.emplace_back();
    return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               const std::string& labels) {
    std::lock_guard lock(mutex_);
    auto& f = family(name, help, Type::histogram);
    auto& slot = f.histograms[labels];
    if (!slot) slot = &histogram_store_.emplace_back();
    return *slot;
}

std::string Registry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name, f] : families_) {
        const char* type = f.type == Type::counter ? "counter"
                           : f.type == Type::gauge ? "gauge"
                                                   : "histogram";
        out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + type + "\n";
        auto series = [&](const std::string& labels, auto value) {
            out += name + (labels.empty() ? "" : "{" + labels + "}") + " " +
                   std::to_string(value) + "\n";
        };
        for (const auto& [labels, c] : f.counters) series(labels, c->value());
        for (const auto& [labels, g] : f.gauges) series(labels, g->value());
        for (const auto& [labels, h] : f.histograms) out += h->render(name, labels);
    }
    return out;
}

}  // namespace fb::metrics
