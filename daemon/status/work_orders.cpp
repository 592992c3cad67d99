#include "status/work_orders.h"

#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

#include "core/ids.h"
#include "core/pack.h"
#include "core/stored_json.h"

namespace fb::status {
namespace json = boost::json;

FlowLives load_lives(const config::Config& config) {
    FlowLives lives;
    for (const auto& f : config.flows) {
        FlowLife life{&f, Lifecycle(f.lifecycle), nullptr};
        if (f.writeback.enabled()) life.writeback = writeback::Plan::load(f);
        lives.emplace(f.name, std::move(life));
    }
    return lives;
}

namespace {

// A completion the ERP cannot take back: closed, and not closed by failure or cancellation.
bool closed_done(std::string_view state, bool closed) {
    return closed && state != "failed" && state != "cancelled";
}

json::value unpack_json(std::string_view packed) {
    try {
        return core::unpack_stored(packed);
    } catch (const std::exception& e) {
        spdlog::error("state file: a stored document cannot be read: {}", e.what());
        return nullptr;
    }
}

}  // namespace

WorkOrders::WorkOrders(store::Database& db, config::Topics topics)
    : db_(db),
      topics_(std::move(topics)),
      find_(db.handle(),
            "SELECT flow, document_id, state, erp_state, closed_at IS NOT NULL FROM work_orders "
            "WHERE work_order_id = ?1"),
      create_(db.handle(),
              "INSERT INTO work_orders (work_order_id, flow, document_id, state, erp_state, "
              "updated_at) VALUES (?1, ?2, ?3, 'created', 'open', ?4) ON CONFLICT "
              "(work_order_id) DO UPDATE SET erp_state = 'open', updated_at = ?4"),
      reopen_(db.handle(), "UPDATE work_orders SET erp_state = 'open', updated_at = ?2 WHERE "
                           "work_order_id = ?1"),
      cancel_(db.handle(),
              "UPDATE work_orders SET erp_state = 'cancelled', conflict = coalesce(?2, conflict), "
              "updated_at = ?3 WHERE work_order_id = ?1"),
      move_(db.handle(),
            "UPDATE work_orders SET state = ?2, closed_at = ?3, conflict = coalesce(?4, conflict), "
            "updated_at = ?5 WHERE work_order_id = ?1"),
      seen_(db.handle(),
            "SELECT 1 FROM status_events WHERE event_id = ?1 AND work_order_id = ?2 AND "
            "outcome <> 'duplicate' LIMIT 1"),
      insert_history_(db.handle(),
                      "INSERT INTO status_events (work_order_id, event_id, status, occurred_at, "
                      "outcome, from_state, to_state, reason, partition, offset, received_at) "
                      "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"),
      keep_document_(db.handle(),
                     "INSERT INTO work_order_documents (work_order_id, version, document, "
                     "work_order) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (work_order_id) DO UPDATE "
                     "SET version = ?2, document = ?3, work_order = ?4") {}

WorkOrders::~WorkOrders() = default;

void WorkOrders::history(const StatusEvent& e, const Applied& a) {
    auto& h = insert_history_;
    h.bind(1, e.work_order_id).bind(2, e.event_id).bind(3, e.status).bind(4, e.occurred_at);
    h.bind(5, a.outcome);
    if (a.from.empty()) h.bind_null(6); else h.bind(6, a.from);
    if (a.to.empty()) h.bind_null(7); else h.bind(7, a.to);
    if (a.reason.empty()) h.bind_null(8); else h.bind(8, a.reason);
    if (e.partition < 0) h.bind_null(9).bind_null(10);
    else h.bind(9, std::int64_t{e.partition}).bind(10, e.offset);
    h.bind(11, core::now_rfc3339()).step();
}

void WorkOrders::on_erp_event(const std::string& flow, const std::string& document_id,
                              const std::string& work_order_id, std::string_view type,
                              const std::string& version, std::string_view work_order,
                              std::string_view document) {
    auto now = core::now_rfc3339();
    if (type == "work_order.cancelled" || type == "cancelled") {
        find_.bind(1, work_order_id);
        if (!find_.step()) return;
        std::string state(find_.text(2));
        bool closed = find_.integer(4) != 0;
        find_.reset();
        StatusEvent e{"erp:" + version, work_order_id, "cancelled", now, {}, -1, -1};
        Applied a{"erp_cancelled", flow, state, state, "the ERP cancelled the document"};
        if (closed_done(state, closed)) {
            a.outcome = "conflict";
            a.reason = "the ERP cancelled the document after the work order was `" + state +
                       "`; nothing was changed on either side";
            cancel_.bind(1, work_order_id).bind(2, a.reason).bind(3, now).step();
        } else {
            cancel_.bind(1, work_order_id).bind_null(2).bind(3, now).step();
        }
        history(e, a);
        return;
    }
    create_.bind(1, work_order_id).bind(2, flow).bind(3, document_id).bind(4, now).step();
    if (!document.empty()) {
        keep_document_.bind(1, work_order_id).bind(2, version);
        keep_document_.bind_blob(3, core::pack(document)).bind_blob(4, core::pack(work_order));
        keep_document_.step();
    }
}

Applied WorkOrders::on_status(const StatusEvent& e, const FlowLives& flows) {
    Applied a;
    find_.bind(1, e.work_order_id);
    if (!find_.step()) {
        a.outcome = "unknown_work_order";
        a.reason = "work order `" + e.work_order_id + "` is not known to fieldbridge";
        return a;
    }
    a.flow = find_.text(0);
    std::string document_id(find_.text(1)), erp_state(find_.text(3));
    a.from = find_.text(2);
    find_.reset();
    auto life = flows.find(a.flow);
    if (life == flows.end()) {
        a.outcome = "unknown_work_order";
        a.reason = "work order `" + e.work_order_id + "` belongs to flow `" + a.flow +
                   "`, which is no longer configured";
        return a;
    }
    seen_.bind(1, e.event_id).bind(2, e.work_order_id);
    bool duplicate = seen_.step();
    if (duplicate) seen_.reset();
    if (duplicate) {
        a.outcome = "duplicate";
        a.reason = "event `" + e.event_id + "` was already received";
        a.to = a.from;
        history(e, a);
        return a;
    }
    auto decision = life->second.lifecycle.decide(a.from, e.status);
    a.outcome = to_string(decision.kind);
    a.reason = decision.reason;
    if (decision.kind != Decision::Kind::applied) {
        a.to = a.from;
        history(e, a);
        return a;
    }
    a.to = e.status;
    const auto& lc = life->second.lifecycle;
    bool closes = lc.terminal(a.to);
    std::string conflict;
    if (erp_state == "cancelled" && closes && closed_done(a.to, true)) {
        a.outcome = "conflict";
        a.reason = conflict = "the work order was `" + a.to +
                              "` after the ERP had cancelled the document; no writeback was sent";
    }
    move_.bind(1, e.work_order_id).bind(2, a.to);
    if (closes) move_.bind(3, core::now_unix_ms()); else move_.bind_null(3);
    if (conflict.empty()) move_.bind_null(4); else move_.bind(4, conflict);
    move_.bind(5, core::now_rfc3339()).step();
    const auto& plan = life->second.writeback;
    if (a.outcome == "applied" && plan && plan->writes_back_on(a.to)) {
        store::Statement doc(db_.handle(),
                             "SELECT document, work_order FROM work_order_documents WHERE "
                             "work_order_id = ?1");
        doc.bind(1, e.work_order_id);
        json::object context{{"event", e.body}, {"document", nullptr}, {"work_order", nullptr}};
        if (doc.step()) {
            context["document"] = unpack_json(doc.text(0));
            context["work_order"] = unpack_json(doc.text(1));
            doc.reset();
        }
        a.writeback_id = writeback::enqueue(db_, topics_, *plan, e.work_order_id,
                                            document_id, a.from, a.to, std::move(context));
    }
    history(e, a);
    return a;
}

int WorkOrders::prune_documents(const FlowLives& flows, std::int64_t now_ms) {
    int removed = 0;
    store::Statement prune(db_.handle(),
                           "DELETE FROM work_order_documents WHERE work_order_id IN (SELECT "
                           "work_order_id FROM work_orders WHERE flow = ?1 AND closed_at < ?2 "
                           "AND closed_at IS NOT NULL) AND work_order_id NOT IN (SELECT "
                           "work_order_id FROM writebacks WHERE state = 'pending')");
    // A done writeback's context holds the same document (and its answers the ERP's): gone with
    // it. A dead one keeps both, for its replay.
    store::Statement forget(db_.handle(),
                            "UPDATE writebacks SET context = x'', answers = NULL WHERE state = 'done' AND "
                            "length(context) > 0 AND work_order_id IN (SELECT work_order_id FROM work_orders "
                            "WHERE flow = ?1 AND closed_at < ?2 AND closed_at IS NOT NULL)");
    for (const auto& [name, life] : flows) {
        auto keep = life.config->writeback.retention.count();
        prune.bind(1, name).bind(2, now_ms - keep).step();
        removed += db_.changes();
        forget.bind(1, name).bind(2, now_ms - keep).step();
    }
    return removed;
}

}  // namespace fb::status
