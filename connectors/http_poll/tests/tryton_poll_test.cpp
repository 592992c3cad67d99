// Tryton JSON-RPC, configured from the README alone (mappings/tryton/): `common.db.login` →
// [user_id, session], later calls authorised by `Session base64(login:user_id:session)` (the
// login answer as `$.login`, base64()), `search_read` with a domain whose datetimes are typed
// objects built from `$.cursor.since_parts`, datetimes in the answer as the same objects (the
// cursor reads them), a never-edited shipment without write_date (`time_fallback`), the moves of
// each page in one `stock.move.read`, an error in HTTP 200 retried, session expiry (403) → login
// again, rows sharing a write_date across a page boundary.
#include <catch2/catch.hpp>

#include <boost/beast/core/detail/base64.hpp>
#include <boost/json.hpp>

#include <mutex>
#include <set>
#include <vector>

#include "connectors/http_poll/cursor.h"
#include "poll_run.h"
#include "support/loopback_server.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

json::object datetime(int y, int mo, int d, int h, int mi, int s, int us = 0) {
    return {{"__class__", "datetime"}, {"year", y}, {"month", mo}, {"day", d}, {"hour", h},
            {"minute", mi}, {"second", s}, {"microsecond", us}};
}

// A trytond on /<db>/: strict about the Authorization header and about datetimes in domains
// (typed objects only; a leaf with a string datetime is refused), search_read(domain, offset, limit, order, fields, context) on
// stock.shipment.out, read(ids, fields) on stock.move.
class Trytond {
public:
    Trytond() : server_([this](const fb::test::Request& r) { return handle(r); }) {}
    std::string base() const { return server_.url(""); }
    // A shipment and its one move; `written` null: never edited since created.
    void add(int id, const std::string& number, json::value written, const json::object& created) {
        std::lock_guard lock(mutex_);
        int move = 500 + id;
        shipments_.push_back({{"id", id}, {"number", number}, {"reference", "PO-" + std::to_string(id)},
                              {"state", "assigned"}, {"write_date", written}, {"create_date", created},
                              {"customer.", {{"id", 7}, {"rec_name", "Dupont SARL"}}},
                              {"delivery_address.", {{"id", 9}, {"full_address", "Dupont SARL\n12 rue de la Paix\n75002 Paris\nFrance"}}},
                              {"outgoing_moves", json::array{move}}});
        moves_[move] = {{"id", move}, {"product.", {{"id", 3}, {"rec_name", "[FR-100] Réfrigérateur"}, {"code", "FR-100"}}},
                        {"quantity", 2.0}, {"unit.", {{"id", 1}, {"symbol", "u"}}}, {"state", "assigned"}};
    }
    void expire_sessions() {
        std::lock_guard lock(mutex_);
        sessions_.clear();
    }
    void fail_next_search(int n) {
        std::lock_guard lock(mutex_);
        fail_search_ = n;
    }
    int logins() const {
        std::lock_guard lock(mutex_);
        return logins_;
    }
    std::vector<std::int64_t> offsets() const {
        std::lock_guard lock(mutex_);
        return offsets_;
    }
    int move_reads() const {
        std::lock_guard lock(mutex_);
        return move_reads_;
    }

private:
    static fb::test::Response answer(const json::value& id, json::value result) {
        return fb::test::reply(200, json::serialize(json::object{{"id", id}, {"result", std::move(result)}}));
    }
    static fb::test::Response error(const json::value& id, const std::string& type, const std::string& message) {
        return fb::test::reply(200, json::serialize(json::object{{"id", id}, {"error", json::array{type, json::array{message, ""}}}}));
    }
    static std::int64_t when(const json::value& v) { return *fb::connectors::http_poll::parse_time(v, 0); }
    static std::int64_t changed(const json::object& s) {
        return when(s.at("write_date").is_null() ? s.at("create_date") : s.at("write_date"));
    }
    // The datetime of a domain leaf, which Tryton accepts only as a typed object.
    static std::optional<std::int64_t> leaf_time(const json::value& leaf, const char* field) {
        if (!leaf.is_array() || leaf.as_array().size() != 3 || leaf.as_array()[0] != field) return std::nullopt;
        const auto& v = leaf.as_array()[2];
        if (!v.is_object() || v.as_object().if_contains("__class__") == nullptr || v.at("__class__") != "datetime")
            return std::nullopt;
        return fb::connectors::http_poll::parse_time(v, 0);
    }

    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        std::lock_guard lock(mutex_);
        if (req.target() != "/tryton_prod/") return fb::test::reply(404, "{}");
        boost::system::error_code ec;
        auto body = json::parse(req.body(), ec);
        if (ec || !body.is_object()) return fb::test::reply(400, "{}");
        auto id = body.at("id");
        std::string method(body.at("method").as_string());
        const auto& params = body.at("params").as_array();
        if (method == "common.db.login") {
            if (params.at(0) != "fieldbridge" || params.at(1).at("password") != "tryton-pw")
                return error(id, "LoginException", "Wrong login or password");
            ++logins_;
            std::string session = "5e1a0c" + std::to_string(logins_);
            sessions_.insert(session);
            return answer(id, json::array{42, session});
        }
        std::string auth(req[boost::beast::http::field::authorization]);
        std::string decoded;
        if (auth.rfind("Session ", 0) == 0) {
            auto b64 = auth.substr(8);
            decoded.resize(boost::beast::detail::base64::decoded_size(b64.size()));
            decoded.resize(boost::beast::detail::base64::decode(decoded.data(), b64.data(), b64.size()).first);
        }
        auto colon = decoded.rfind(':');
        if (decoded.rfind("fieldbridge:42:", 0) != 0 || !sessions_.count(decoded.substr(colon + 1)))
            return fb::test::reply(403, "Forbidden");  // trytond: a session it does not know
        if (method == "model.stock.move.read") {
            ++move_reads_;
            json::array rows;
            for (const auto& m : params.at(0).as_array())
                if (moves_.count(m.to_number<int>())) rows.push_back(moves_.at(m.to_number<int>()));
            return answer(id, rows);
        }
        if (method != "model.stock.shipment.out.search_read") return error(id, "KeyError", method);
        if (fail_search_ > 0) {
            --fail_search_;
            return error(id, "UserError", "The shipment \"CS-0001\" is being processed by another user.");
        }
        // ["OR", [write_date >= X], [create_date >= X]]: a shipment never edited has no write_date
        const auto& domain = params.at(0).as_array();
        std::optional<std::int64_t> since, since_created;
        if (domain.size() == 3 && domain[0] == "OR") {
            since = leaf_time(domain[1], "write_date");
            since_created = leaf_time(domain[2], "create_date");
        }
        if (!since || !since_created) return error(id, "DomainValidationError", "Invalid domain: " + json::serialize(params.at(0)));
        auto offset = params.at(1).to_number<std::int64_t>();
        auto limit = params.at(2).to_number<std::int64_t>();
        offsets_.push_back(offset);
        std::vector<const json::object*> hits;
        for (const auto& s : shipments_) {
            bool hit = (!s.at("write_date").is_null() && when(s.at("write_date")) >= *since) ||
                       when(s.at("create_date")) >= *since_created;
            if (hit) hits.push_back(&s);
        }
        std::stable_sort(hits.begin(), hits.end(), [](const json::object* a, const json::object* b) {
            return changed(*a) != changed(*b) ? changed(*a) < changed(*b) : a->at("id").as_int64() < b->at("id").as_int64();
        });
        json::array rows;
        for (std::int64_t i = offset; i < std::min<std::int64_t>(hits.size(), offset + limit); ++i) {
            json::object row{{"id", hits[i]->at("id")}};
            for (const auto& f : params.at(4).as_array()) {
                std::string name(f.as_string());
                auto dot = name.find('.');
                auto key = dot == std::string::npos ? name : name.substr(0, dot + 1);  // "customer." holds the related fields
                if (const auto* v = hits[i]->if_contains(key)) row[key] = *v;
            }
            rows.push_back(row);
        }
        return answer(id, rows);
    }

    mutable std::mutex mutex_;
    std::vector<json::object> shipments_;
    std::map<int, json::object> moves_;
    std::set<std::string> sessions_;
    std::vector<std::int64_t> offsets_;
    int logins_ = 0, fail_search_ = 0, move_reads_ = 0;
    fb::test::LoopbackServer server_;
};

std::string tryton_flow(const Trytond& erp) {
    return "  - name: tryton-out\n"
           "    document_type: shipment_out\n"
           "    mapping: mappings/tryton/shipment-to-delivery.yaml\n"
           "    source:\n"
           "      type: http_poll\n"
           "      request: mappings/tryton/poll-shipments.yaml\n"
           "      vars: { base: \"" + erp.base() + "\", db: tryton_prod, user: fieldbridge, password: tryton-pw }\n"
           "      login:\n"
           "        request: mappings/tryton/poll-login.yaml\n"
           "        from: body\n"
           "        name: $.result[1]\n"
           "      error: { path: $.error }\n"
           "      every: 100ms\n"
           "      records: $.result\n"
           "      paging: { type: offset, size: 2 }\n"
           "      cursor: { time: $.write_date, time_fallback: $.create_date, id: $.id, overlap: 10m, initial: \"2026-11-01T00:00:00Z\" }\n"
           "      details:\n"
           "        - { name: moves, request: mappings/tryton/poll-moves.yaml, ids: \"$.outgoing_moves[*]\", match: $.id, records: $.result }\n";
}

}  // namespace

TEST_CASE("Tryton: Session base64 header from the login answer, typed datetimes in domain and answer, moves per page") {
    PollRun t("tryton");
    Trytond erp;
    erp.add(1, "CS-0001", json::value(nullptr), datetime(2026, 11, 20, 8, 0, 0));   // never edited
    erp.add(2, "CS-0002", datetime(2026, 11, 20, 15, 41, 7, 123456), datetime(2026, 11, 19, 9, 0, 0));
    erp.add(3, "CS-0003", datetime(2026, 11, 20, 15, 41, 7, 123456), datetime(2026, 11, 19, 9, 5, 0));  // ties 2, on page 2
    erp.add(4, "CS-0004", datetime(2026, 11, 20, 16, 2, 55), datetime(2026, 11, 19, 9, 9, 0));
    erp.add(5, "CS-0005", datetime(2026, 11, 21, 7, 30, 0), datetime(2026, 11, 19, 9, 9, 9));
    erp.fail_next_search(1);  // {"error": ["UserError", …]} in an HTTP 200
    RunningApp app(t.config(tryton_flow(erp)));
    std::map<std::string, json::value> latest;
    auto orders = t.work_orders(app, "tryton-out", "5", 5, &latest);
    CHECK(orders.size() == 5);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    auto offsets = erp.offsets();
    REQUIRE(offsets.size() >= 5);  // pages of 2, each from the last record of the page before
    CHECK(std::vector<std::int64_t>(offsets.begin(), offsets.begin() + 5) == std::vector<std::int64_t>{0, 1, 2, 3, 4});
    CHECK(erp.logins() == 1);
    CHECK(t.cursor("time") == "2026-11-21T07:30:00");
    const auto& wo = latest.at("CS-0003").at("work_order");
    CHECK(wo.at("customer").at("name") == "Dupont SARL");
    CHECK(wo.at("address").at("text") == "Dupont SARL, 12 rue de la Paix, 75002 Paris, France");
    CHECK(wo.at("items").at(0).at("sku") == "FR-100");
    CHECK(latest.at("CS-0001").at("source").at("document_version") == "2026-11-20T08:00:00.000000Z");
    CHECK(PollRun::metric(app, "fieldbridge_source_errors_total{flow=\"tryton-out\",connector=\"http_poll\",kind=\"error_answer\"") >= 1);

    // The session expires (403): login again, the page read once more, nothing lost or doubled.
    erp.expire_sessions();
    erp.add(6, "CS-0006", datetime(2026, 11, 21, 8, 0, 0), datetime(2026, 11, 21, 7, 0, 0));
    REQUIRE(eventually([&] { return t.cursor() == "6"; }));
    CHECK(erp.logins() == 2);
    auto all = consume_at_least(t.kafka.bootstrap(), "fsm.work-orders", 6);
    CHECK(all.size() == 6);
}
