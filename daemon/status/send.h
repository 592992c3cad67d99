// `fieldbridge send-status`: publishes status event files on the status topic, keyed by their
// work order id, the way the field-service platform does. For trying the loop out by hand.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "config/config.h"

namespace fb::status {

// Returns the process exit code; prints one line per event.
int send_status_events(const config::Config& config, const std::string& brokers,
                       const std::vector<std::string>& files, std::ostream& out);

}  // namespace fb::status
