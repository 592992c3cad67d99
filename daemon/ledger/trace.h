// Where is document X? Its ledger row, each event and where it landed in Kafka, its dead letters.
#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "store/database.h"

namespace fb::ledger {

// {"flow","document_id","ledger":{…}|null,"events":[…],"dead_letters":[…], and the work
// order's life: "work_order","status_history","writebacks","final_state","pending_erp_confirmation"}
boost::json::object trace_document(store::Database& db, const std::string& flow,
                                   const std::string& document_id);

}  // namespace fb::ledger
