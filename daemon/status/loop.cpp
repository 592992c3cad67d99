#include "status/loop.h"

namespace fb::status {

Loop::Loop(const config::Config& config, const std::string& brokers, metrics::Registry& metrics,
           const std::set<std::string>& held)
    : lives_(load_lives(config)) {
    for (const auto& [name, life] : lives_)
        if (life.writeback)
            workers_[name] = std::make_unique<writeback::Worker>(
                config, life.writeback, writeback::make_sink(life.config->writeback.sink), metrics,
                held.count(name) > 0);
    consumer_ = std::make_unique<Consumer>(config, brokers, lives_, metrics,
                                           [this](const std::string& flow) {
                                               if (auto it = workers_.find(flow); it != workers_.end())
                                                   it->second->wake();
                                           });
}

Loop::~Loop() { stop(); }

std::string Loop::problem() const {
    if (consumer_ && !consumer_->healthy()) return "status consumer: " + consumer_->last_error();
    for (const auto& [flow, worker] : workers_)
        if (auto p = worker->problem(); !p.empty()) return "writeback worker of flow " + flow + ": " + p;
    return "";
}

void Loop::hold_writeback(const std::string& flow, bool held) {
    if (auto it = workers_.find(flow); it != workers_.end()) it->second->hold(held);
}

void Loop::stop() {
    if (consumer_) consumer_->stop();
    for (auto& [_, w] : workers_) w->stop();
}

}  // namespace fb::status
