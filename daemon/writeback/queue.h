// The durable writeback queue: a closing transition's requests, mapped from the status event,
// the work order and the original ERP document, stored in the transaction that changes the state.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "mapping/mapping.h"
#include "store/database.h"

namespace fb::writeback {

// A flow's compiled writeback: request mappings in order, and the optional read-back.
struct Plan {
    const config::FlowConfig* flow = nullptr;
    std::vector<std::shared_ptr<const mapping::Mapping>> requests;
    std::shared_ptr<const mapping::Mapping> verify;
    // Per request: its mapping reads earlier answers (`$.previous`, `$.steps`) or the sink's
    // `vars` (`$.vars`), so it is mapped when it is sent, from the stored context, the stored
    // answers of the steps before it and the vars as configured now. Vars are never stored:
    // a password or an API key in a request stays out of the state file.
    std::vector<bool> at_send;
    std::vector<bool> reads_answers;
    bool keeps_answers = false;  // some request or the read-back reads earlier answers
    // The sink's `vars` ($.vars of every writeback mapping, as of its login mapping), and the
    // values of those named *password*, *secret*, *token*, *key*: masked in what is reported.
    boost::json::object vars;
    std::vector<std::string> var_secrets;
    bool writes_back_on(std::string_view state) const;
    // The context a mapping sees: `context` with `vars` (when the sink has any).
    boost::json::object with_vars(boost::json::object context) const;
    std::string mask(std::string text) const;  // var secrets → ***
    static std::shared_ptr<const Plan> load(const config::FlowConfig& flow);  // throws CompileError
};

// The same (work order, transition) always has the same key: a UUIDv5.
std::string idempotency_key(std::string_view work_order_id, std::string_view to_state);

// The requests of one writeback, or why they could not be made.
struct Mapped {
    boost::json::array requests;  // [{method, url, headers, body}], mapped ones only
    std::string error;            // a mapping failure: file, document, field, reason
};
Mapped map_requests(const Plan& plan, const boost::json::object& context);

// The context a request mapped at send time sees: the stored one plus `previous` (the answers of
// the steps before it, in order: {request: {method, url}, response: {status, headers, body}})
// and `steps` (the same, by mapping name).
boost::json::object send_context(const boost::json::object& context, const boost::json::array& answers);

// Queues the writeback of `from → to` in the caller's transaction; 0 when every mapping's `when`
// said no. A mapping failure is queued dead-lettered with its reason (replay re-maps it).
std::int64_t enqueue(store::Database& db, const config::Topics& topics, const Plan& plan,
                     const std::string& work_order_id, const std::string& document_id,
                     const std::string& from, const std::string& to, boost::json::object context);

// Moves a writeback to the dead-letter queue, with the reason and the ERP's last answer.
void dead_letter(store::Database& db, const config::Topics& topics, std::int64_t writeback_id,
                 const std::string& reason, const std::string& answer);

// `fieldbridge dead-letter replay` of a writeback entry: re-maps from the stored context with
// the current mappings and queues it again (same idempotency key). Empty when queued, else why not.
std::string replay(store::Database& db, const config::Config& config, std::int64_t dead_letter_id);

}  // namespace fb::writeback
