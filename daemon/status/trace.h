// The loop's half of a document's trace: its work order's state, the status history, and each
// writeback with every attempt, its request summary and the ERP's answer.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "store/database.h"

namespace fb::status {

// Adds "work_order", "status_history", "writebacks" and "final_state" to `out`.
void trace_life(store::Database& db, const std::string& work_order_id, boost::json::object& out);

}  // namespace fb::status
