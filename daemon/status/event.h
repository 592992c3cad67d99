// Reading one status event off the topic: size and depth limits first, then the contract
// (schemas/status_event.schema.json). The platform's bytes are untrusted.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "status/work_orders.h"

namespace fb::status {

// True with `event` filled, or false with `reason` saying what is wrong and where.
bool parse_status_event(std::string_view payload, const config::StatusConfig& limits,
                        StatusEvent& event, std::string& reason);

}  // namespace fb::status
