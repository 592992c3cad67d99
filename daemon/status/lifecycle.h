// A flow's work-order state machine: which status may follow which. Pure: no I/O, no clock.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace fb::status {

struct Decision {
    enum class Kind { applied, late, rejected };
    Kind kind = Kind::rejected;
    std::string reason;  // for late and rejected: why nothing changed
};

const char* to_string(Decision::Kind kind);

class Lifecycle {
public:
    explicit Lifecycle(const config::LifecycleConfig& config);
    bool known(std::string_view state) const { return rank(state) >= 0; }
    bool terminal(std::string_view state) const;
    // What an event moving a work order from `current` to `target` does.
    Decision decide(std::string_view current, std::string_view target) const;

private:
    int rank(std::string_view state) const;  // position in `states`, -1 when unknown
    bool allowed(std::string_view from, std::string_view to) const;
    config::LifecycleConfig config_;  // a copy: small, and no lifetime to get wrong
};

}  // namespace fb::status
