// The loop closed: the status consumer and one writeback worker per flow that writes back, wired
// together. The app owns one Loop; nothing else needs to know the parts.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "config/config.h"
#include "metrics/metrics.h"
#include "status/consumer.h"
#include "status/work_orders.h"
#include "writeback/worker.h"

namespace fb::status {

class Loop {
public:
    // `held`: the flows whose writeback the operator paused (held from the worker's first moment).
    Loop(const config::Config& config, const std::string& brokers, metrics::Registry& metrics,
         const std::set<std::string>& held = {});
    ~Loop();
    void stop();  // the consumer first (no new writebacks), then the workers
    // Empty while events are applied and writebacks sent; else what stopped (for /readyz).
    std::string problem() const;
    // The operator's pause of a flow's writeback (no-op for a flow that does not write back).
    void hold_writeback(const std::string& flow, bool held);

private:
    FlowLives lives_;
    std::map<std::string, std::unique_ptr<writeback::Worker>> workers_;
    std::unique_ptr<Consumer> consumer_;
};

}  // namespace fb::status
