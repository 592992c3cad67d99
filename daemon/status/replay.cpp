#include "status/replay.h"

#include "status/event.h"
#include "status/work_orders.h"
#include "writeback/queue.h"

namespace fb::status {

std::string replay_entry(store::Database& db, const config::Config& config, std::int64_t id,
                         const std::string& stage, const std::string& input) {
    if (stage == "writeback") return writeback::replay(db, config, id);
    StatusEvent event;
    std::string reason;
    if (!parse_status_event(input, config.status, event, reason)) return reason;
    auto lives = load_lives(config);
    WorkOrders work_orders(db, config.kafka.topics);
    auto applied = work_orders.on_status(event, lives);
    if (applied.outcome == "unknown_work_order") return applied.reason;
    return "";
}

}  // namespace fb::status
