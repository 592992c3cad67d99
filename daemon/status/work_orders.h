// Where the ERP's changes and the platform's status events meet: each work order's state, its
// history, and the last version of its ERP document. Every call runs inside the caller's
// transaction, so a state change and the writeback it triggers commit together.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "status/lifecycle.h"
#include "store/database.h"
#include "writeback/queue.h"

namespace fb::status {

// One event from the status topic, already checked against status_event.schema.json.
struct StatusEvent {
    std::string event_id, work_order_id, status, occurred_at;
    boost::json::object body;
    int partition = -1;
    std::int64_t offset = -1;
};

// What the engine knows of a flow's work orders: their life and how they are written back.
struct FlowLife {
    const config::FlowConfig* config = nullptr;
    Lifecycle lifecycle;
    std::shared_ptr<const writeback::Plan> writeback;  // null when the flow writes nothing back
};
using FlowLives = std::map<std::string, FlowLife>;
FlowLives load_lives(const config::Config& config);  // compiles writeback mappings; may throw

struct Applied {
    // applied | duplicate | late | rejected | conflict | unknown_work_order
    std::string outcome;
    std::string flow, from, to, reason;
    std::int64_t writeback_id = 0;  // a writeback queued by this event
};

class WorkOrders {
public:
    WorkOrders(store::Database& db, config::Topics topics);
    ~WorkOrders();

    // The ERP side, from the ledger: `type` is created | updated | cancelled. `document` is the
    // ERP document as JSON text, kept (packed) while the work order is open; empty = not kept.
    void on_erp_event(const std::string& flow, const std::string& document_id,
                      const std::string& work_order_id, std::string_view type,
                      const std::string& version, std::string_view work_order,
                      std::string_view document);

    // The platform side: decides, records in the history, moves the state, queues a writeback.
    Applied on_status(const StatusEvent& event, const FlowLives& flows);

    // Forgets the documents of work orders closed longer ago than their flow's retention.
    int prune_documents(const FlowLives& flows, std::int64_t now_ms);

private:
    void history(const StatusEvent& e, const Applied& a);
    store::Database& db_;
    config::Topics topics_;
    store::Statement find_, create_, reopen_, cancel_, move_, seen_, insert_history_,
        keep_document_;
};

}  // namespace fb::status
