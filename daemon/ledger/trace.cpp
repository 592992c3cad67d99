#include "ledger/trace.h"

namespace fb::ledger {
namespace json = boost::json;

json::object trace_document(store::Database& db, const std::string& flow,
                            const std::string& document_id) {
    json::object out{{"flow", flow}, {"document_id", document_id}, {"ledger", nullptr}};
    store::Statement doc(db.handle(),
                         "SELECT version, state, work_order_id, first_seen_at, updated_at, "
                         "stale_arrivals, last_stale_version, last_stale_at FROM "
                         "documents WHERE flow = ?1 AND document_id = ?2");
    doc.bind(1, flow).bind(2, document_id);
    if (doc.step()) {
        out["ledger"] = {{"version", doc.text(0)},       {"state", doc.text(1)},
                         {"work_order_id", doc.text(2)}, {"first_seen_at", doc.text(3)},
                         {"updated_at", doc.text(4)}};
        // Versions older than the recorded one that arrived and were answered `stale`.
        json::object stale{{"count", doc.integer(5)}};
        if (!doc.is_null(6)) {
            stale["last_version"] = doc.text(6);
            stale["last_at"] = doc.text(7);
        }
        out["ledger"].as_object()["stale_arrivals"] = std::move(stale);
        doc.reset();
    }
    store::Statement events(db.handle(),
                            "SELECT id, topic, event_id, event_type, occurred_at, sent_at, "
                            "partition, offset FROM outbox WHERE flow = ?1 AND document_id = ?2 "
                            "ORDER BY id");
    events.bind(1, flow).bind(2, document_id);
    json::array list;
    while (events.step()) {
        json::object e{{"outbox_id", events.integer(0)}, {"topic", events.text(1)},
                       {"event_id", events.text(2)},     {"type", events.text(3)},
                       {"occurred_at", events.text(4)}};
        if (events.is_null(5)) {
            e["published"] = false;
        } else {
            e["published"] = true;
            e["acknowledged_at_ms"] = events.integer(5);
            e["partition"] = events.integer(6);
            e["offset"] = events.integer(7);
        }
        list.push_back(std::move(e));
    }
    out["events"] = std::move(list);
    store::Statement dead(db.handle(),
                          "SELECT id, stage, reason, created_at, replayed_at FROM dead_letter "
                          "WHERE flow = ?1 AND document_id = ?2 ORDER BY id");
    dead.bind(1, flow).bind(2, document_id);
    json::array letters;
    while (dead.step())
        letters.push_back({{"dead_letter_id", dead.integer(0)}, {"stage", dead.text(1)},
                           {"reason", dead.text(2)},            {"created_at", dead.text(3)},
                           {"replayed_at", dead.is_null(4) ? json::value() : json::value(dead.text(4))}});
    out["dead_letters"] = std::move(letters);
    return out;
}

}  // namespace fb::ledger
