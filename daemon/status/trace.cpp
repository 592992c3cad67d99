#include "status/trace.h"

#include <boost/json/parse.hpp>

#include "core/stored_json.h"

namespace fb::status {
namespace json = boost::json;

namespace {

json::value text_or_null(const store::Statement& s, int column) {
    return s.is_null(column) ? json::value() : json::value(s.text(column));
}

json::value int_or_null(const store::Statement& s, int column) {
    return s.is_null(column) ? json::value() : json::value(s.integer(column));
}

json::array attempts_of(store::Database& db, std::int64_t writeback_id) {
    store::Statement q(db.handle(),
                       std::string("SELECT at, endpoint, request, http_status, result, answer, ") +
                           // a state file the daemon has not migrated yet (read-only opens do not)
                           (db.schema_version() >= 9 ? "kind, reason" : "NULL, NULL") +
                           " FROM writeback_attempts WHERE writeback_id = ?1 ORDER BY id");
    q.bind(1, writeback_id);
    json::array out;
    while (q.step())  // `step`: null for the request itself, else the sink's own request before it
        out.push_back({{"at", q.text(0)},          {"endpoint", q.text(1)},
                       {"step", text_or_null(q, 6)}, {"request", q.text(2)},
                       {"http_status", int_or_null(q, 3)}, {"result", q.text(4)},
                       {"reason", text_or_null(q, 7)}, {"answer", text_or_null(q, 5)}});
    return out;
}

}  // namespace

void trace_life(store::Database& db, const std::string& work_order_id, json::object& out) {
    out["work_order"] = nullptr;
    std::string state;
    store::Statement wo(db.handle(),
                        "SELECT state, erp_state, conflict, closed_at, updated_at FROM work_orders "
                        "WHERE work_order_id = ?1");
    wo.bind(1, work_order_id);
    if (wo.step()) {
        state = wo.text(0);
        out["work_order"] = {{"id", work_order_id},          {"state", state},
                             {"erp_state", wo.text(1)},      {"conflict", text_or_null(wo, 2)},
                             {"closed_at_ms", int_or_null(wo, 3)}, {"updated_at", wo.text(4)}};
        wo.reset();
    }
    store::Statement history(db.handle(),
                             "SELECT event_id, status, occurred_at, outcome, from_state, to_state, "
                             "reason, partition, offset, received_at FROM status_events WHERE "
                             "work_order_id = ?1 ORDER BY id");
    history.bind(1, work_order_id);
    json::array events;
    while (history.step())
        events.push_back({{"event_id", history.text(0)},    {"status", history.text(1)},
                          {"occurred_at", history.text(2)}, {"outcome", history.text(3)},
                          {"from", text_or_null(history, 4)}, {"to", text_or_null(history, 5)},
                          {"reason", text_or_null(history, 6)},
                          {"partition", int_or_null(history, 7)},
                          {"offset", int_or_null(history, 8)},
                          {"received_at", history.text(9)}});
    out["status_history"] = std::move(events);

    store::Statement wb(db.handle(),
                        "SELECT id, transition, idempotency_key, state, step, attempts, "
                        "next_attempt_at, created_at, done_at, last_error, last_answer, "
                        "dead_letter_id, requests FROM writebacks WHERE work_order_id = ?1 ORDER BY id");
    wb.bind(1, work_order_id);
    json::array writebacks;
    bool pending = false;
    std::vector<std::int64_t> ids;
    while (wb.step()) {
        std::string wstate(wb.text(3));
        pending |= wstate == "pending";
        json::array summaries;  // method and url of each request, never headers (secrets)
        json::value requests;
        try {
            requests = core::parse_stored(wb.text(12));
        } catch (const std::exception&) {}  // the trace shows the rest
        if (requests.is_array()) {
            for (const auto& r : requests.get_array()) {
                if (r.is_object() && r.get_object().contains("method") && r.get_object().contains("url"))
                    summaries.push_back(json::value(std::string(r.at("method").as_string()) + " " +
                                                    std::string(r.at("url").as_string())));
                else if (r.is_object() && r.get_object().contains("at_send"))  // see the attempts
                    summaries.push_back(r.get_object().contains("vars")
                                            ? "(mapped when sent, with the sink's vars)"
                                            : "(mapped when sent, from the answers before it)");
                else if (r.is_object() && r.get_object().contains("skipped"))
                    summaries.push_back("(skipped: its `when` said no)");
            }
        }
        writebacks.push_back({{"writeback_id", wb.integer(0)},
                              {"transition", wb.text(1)},
                              {"idempotency_key", wb.text(2)},
                              {"state", wstate == "pending" ? "pending ERP confirmation" : wstate},
                              {"requests", std::move(summaries)},
                              {"requests_confirmed", wb.integer(4)},
                              {"attempt_count", wb.integer(5)},
                              {"next_attempt_at_ms", wstate == "pending" ? int_or_null(wb, 6) : json::value()},
                              {"queued_at_ms", wb.integer(7)},
                              {"done_at_ms", int_or_null(wb, 8)},
                              {"last_error", text_or_null(wb, 9)},
                              {"last_answer", text_or_null(wb, 10)},
                              {"dead_letter_id", int_or_null(wb, 11)}});
        ids.push_back(wb.integer(0));
    }
    for (std::size_t i = 0; i < ids.size(); ++i)
        writebacks[i].as_object()["attempts"] = attempts_of(db, ids[i]);
    out["writebacks"] = std::move(writebacks);
    out["final_state"] = state.empty() ? json::value() : json::value(state);
    out["pending_erp_confirmation"] = pending;
}

}  // namespace fb::status
