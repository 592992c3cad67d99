#include "operator/overview.h"

#include <string>
#include <vector>

namespace fb::operator_page {
namespace json = boost::json;

namespace {

json::object empty_flow() {
    return {{"documents", json::object{{"open", 0}, {"cancelled", 0}}},
            {"unpublished_events", 0},
            {"dead_letters", json::object{{"open", 0}, {"arrivals", 0}}},
            {"work_orders", json::object{}},
            {"conflicts", 0},
            {"writebacks", json::object{{"pending", 0}, {"dead", 0}, {"oldest_pending_ms", nullptr}}}};
}

// Runs `sql` (first column: the flow) and hands each row of a known flow to `fill`.
template <class Fill>
void each_row(store::Database& db, json::object& flows, const char* sql, Fill fill) {
    store::Statement q(db.handle(), sql);
    while (q.step()) {
        auto it = flows.find(q.text(0));
        if (it != flows.end()) fill(it->value().as_object(), q);
    }
}

}  // namespace

json::object overview(store::Database& db, const std::vector<std::string>& names) {
    json::object flows;
    for (const auto& n : names) flows[n] = empty_flow();
    each_row(db, flows, "SELECT flow, state, count(*) FROM documents GROUP BY flow, state",
             [](json::object& f, store::Statement& q) {
                 f["documents"].as_object()[q.text(1)] = q.integer(2);
             });
    // The partial index of unsent rows keeps this to the backlog, however long the history.
    each_row(db, flows, "SELECT flow, count(*) FROM outbox WHERE sent_at IS NULL GROUP BY flow",
             [](json::object& f, store::Statement& q) { f["unpublished_events"] = q.integer(1); });
    each_row(db, flows,
             "SELECT flow, count(*), count(*) + sum(repeats) FROM dead_letter "
             "WHERE replayed_at IS NULL GROUP BY flow",
             [](json::object& f, store::Statement& q) {
                 f["dead_letters"] = {{"open", q.integer(1)}, {"arrivals", q.integer(2)}};
             });
    each_row(db, flows, "SELECT flow, state, count(*) FROM work_orders GROUP BY flow, state",
             [](json::object& f, store::Statement& q) {
                 f["work_orders"].as_object()[q.text(1)] = q.integer(2);
             });
    each_row(db, flows,
             "SELECT flow, count(*) FROM work_orders WHERE conflict IS NOT NULL GROUP BY flow",
             [](json::object& f, store::Statement& q) { f["conflicts"] = q.integer(1); });
    each_row(db, flows,
             "SELECT flow, state, count(*), min(created_at) FROM writebacks "
             "WHERE state IN ('pending', 'dead') GROUP BY flow, state",
             [](json::object& f, store::Statement& q) {
                 auto& w = f["writebacks"].as_object();
                 w[q.text(1)] = q.integer(2);
                 if (q.text(1) == "pending") w["oldest_pending_ms"] = q.integer(3);
             });
    return flows;
}

}  // namespace fb::operator_page
