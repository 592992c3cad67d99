// What the operator's page shows at a glance, read from the state file: per flow, documents by
// state, events not yet acknowledged by Kafka, open dead letters, work orders by lifecycle state,
// conflicts and the writeback queue.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "store/database.h"

namespace fb::operator_page {

// {"<flow>": {"documents": {"open": n, "cancelled": n}, "unpublished_events": n,
//   "dead_letters": {"open": n, "arrivals": n}, "work_orders": {"<state>": n},
//   "conflicts": n, "writebacks": {"pending": n, "dead": n, "oldest_pending_ms": t | null}}}
// Every flow named in `flows` is present, with zeros where the state file knows nothing yet.
boost::json::object overview(store::Database& db, const std::vector<std::string>& flows);

}  // namespace fb::operator_page
