// An Odoo 16/17 server on loopback, as the JSON-RPC web client meets it: /web/session/authenticate
// (db, login, password → the `session_id` cookie), /web/dataset/call_kw/<model>/<method> with
// `search_read` on stock.picking and stock.move (domains of [field, op, value] triples, datetimes
// "YYYY-MM-DD HH:MM:SS" UTC; anything else is Odoo's ValueError) and `read` on res.partner,
// `false` for empty fields, and every error as an HTTP 200 carrying {"error": {code, message,
// data: {name, …}}} — a lost session is odoo.http.SessionExpiredException. Failures and held
// answers are injected per model.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <regex>
#include <set>

#include "support/loopback_server.h"

namespace fb::test {

class OdooErp {
public:
    OdooErp() : server_([this](const Request& r) { return handle(r); }) {}
    std::string base() const { return server_.url(""); }

    // An outgoing picking with `lines` moves (quantity 1, 2, …) for partner `partner` (0: none).
    void picking(int id, const std::string& write_date, int lines, int partner = 7) {
        std::lock_guard lock(mutex_);
        char name[32];
        std::snprintf(name, sizeof name, "WH/OUT/%05d", id);
        boost::json::array move_ids;
        std::erase_if(moves_, [&](const auto& m) { return m.at("picking_id").as_array()[0] == id; });
        for (int i = 0; i < lines; ++i) {
            int move_id = id * 100 + i;
            move_ids.push_back(move_id);
            moves_.push_back({{"id", move_id}, {"picking_id", boost::json::array{id, name}},
                              {"product_id", boost::json::array{500 + i, "[SKU-" + std::to_string(500 + i) + "] 台盆 " + std::to_string(i)}},
                              {"name", "台盆 " + std::to_string(i)}, {"product_uom_qty", i + 1.0},
                              {"product_uom", boost::json::array{1, "Units"}}, {"state", "assigned"}, {"sequence", 10}});
        }
        std::erase_if(pickings_, [&](const auto& p) { return p.at("id") == id; });
        pickings_.push_back({{"id", id}, {"name", name}, {"state", "assigned"}, {"origin", "S" + std::to_string(id)},
                             {"partner_id", partner ? boost::json::value(boost::json::array{partner, "Partner " + std::to_string(partner)})
                                                    : boost::json::value(false)},
                             {"scheduled_date", "2026-11-22 01:30:00"}, {"date_deadline", false}, {"priority", "0"},
                             {"note", false}, {"carrier_tracking_ref", false}, {"move_ids", move_ids},
                             {"picking_type_code", "outgoing"}, {"write_date", write_date}});
    }
    void partner(int id, const std::string& name, const std::string& mobile) {
        std::lock_guard lock(mutex_);
        partners_[id] = {{"id", id}, {"name", name}, {"ref", "CUST" + std::to_string(id)}, {"street", "海府路" + std::to_string(id) + "号"},
                         {"street2", false}, {"zip", "570203"}, {"city", "海口市"}, {"state_id", boost::json::array{1096, "Hainan (CN)"}},
                         {"country_code", "CN"}, {"phone", false}, {"mobile", mobile}};
    }
    void product(int id, const std::string& code, double weight) {
        std::lock_guard lock(mutex_);
        products_[id] = {{"id", id}, {"default_code", code}, {"weight", weight}};
    }
    void expire_sessions() {
        std::lock_guard lock(mutex_);
        sessions_.clear();
    }
    // `model` calls whose ids include `id` answer a server error (in HTTP 200) until allowed.
    void fail_for(const std::string& model, int id) {
        std::lock_guard lock(mutex_);
        fail_model_ = model;
        fail_id_ = id;
    }
    // The first `model` call whose ids include `id` is never answered (the connection is held).
    void hold_once(const std::string& model, int id) {
        std::lock_guard lock(mutex_);
        hold_model_ = model;
        hold_id_ = id;
    }
    bool held() const { std::lock_guard lock(mutex_); return held_; }
    int logins() const { std::lock_guard lock(mutex_); return logins_; }
    int login_attempts() const { std::lock_guard lock(mutex_); return login_attempts_; }  // refused ones too
    int failures_sent() const { std::lock_guard lock(mutex_); return failures_sent_; }
    // Per model: the ids each call asked for (stock.move: picking ids; res.partner: partner ids).
    std::vector<std::vector<std::int64_t>> calls(const std::string& model) const {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(model);
        return it == calls_.end() ? std::vector<std::vector<std::int64_t>>{} : it->second;
    }
    int picking_pages() const { std::lock_guard lock(mutex_); return picking_pages_; }

private:
    static Response rpc_error(const boost::json::value& id, int code, const std::string& message, const std::string& name,
                              const std::string& detail) {
        boost::json::object e{{"code", code}, {"message", message},
                              {"data", {{"name", name}, {"debug", "Traceback (most recent call last):\n…"}, {"message", detail},
                                        {"arguments", boost::json::array{detail}}, {"context", boost::json::object{}}}}};
        return reply(200, boost::json::serialize(boost::json::object{{"jsonrpc", "2.0"}, {"id", id}, {"error", e}}));
    }
    static Response rpc_result(const boost::json::value& id, boost::json::value result) {
        return reply(200, boost::json::serialize(boost::json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}));
    }
    static std::string cookie(const Request& req, const std::string& name) {
        std::string all(req[boost::beast::http::field::cookie]);
        auto at = all.find(name + "=");
        if (at == std::string::npos) return "";
        auto v = all.substr(at + name.size() + 1);
        return v.substr(0, v.find(';'));
    }
    static boost::json::object only(const boost::json::object& row, const boost::json::value* fields) {
        if (!fields || !fields->is_array() || fields->as_array().empty()) return row;
        boost::json::object out;
        for (const auto& f : fields->as_array())
            if (const auto* v = row.if_contains(f.as_string())) out[f.as_string()] = *v;
        out["id"] = row.at("id");  // Odoo always answers the id
        return out;
    }

    // One [field, op, value] term against a row (the operators the poll mappings use).
    static bool holds(const boost::json::object& row, const boost::json::array& term) {
        auto field = std::string(term.at(0).as_string()), op = std::string(term.at(1).as_string());
        const auto& want = term.at(2);
        auto have = row.at(field);
        if (have.is_array()) have = have.as_array()[0];  // many2one: [id, name]
        if (op == "=") return have == want;
        if (op == "in") return std::find(want.as_array().begin(), want.as_array().end(), have) != want.as_array().end();
        auto a = std::string(have.as_string()), b = std::string(want.as_string());
        if (op == ">=") return a >= b;
        if (op == "<=") return a <= b;
        throw std::invalid_argument("Invalid leaf " + boost::json::serialize(term));
    }

    std::optional<Response> handle(const Request& req) {
        std::lock_guard lock(mutex_);
        boost::system::error_code ec;
        auto body = boost::json::parse(req.body(), ec);
        if (ec || !body.is_object()) return reply(400, "<html>Bad Request</html>", "text/html");
        const auto id = body.as_object().contains("id") ? body.at("id") : boost::json::value(nullptr);
        const auto& params = body.at("params").as_object();
        std::string target(req.target());
        if (target == "/web/session/authenticate") {
            ++login_attempts_;
            if (params.at("db") != "odoo17" || params.at("login") != "fieldbridge" || params.at("password") != "odoo-pw")
                return rpc_error(id, 200, "Odoo Server Error", "odoo.exceptions.AccessDenied", "Access Denied");
            auto sid = "sid" + std::to_string(++logins_) + "f3c9a1";
            sessions_.insert(sid);
            auto res = rpc_result(id, {{"uid", 2}, {"db", "odoo17"}, {"server_version", "17.0"}, {"username", "fieldbridge"}});
            res.insert(boost::beast::http::field::set_cookie, "session_id=" + sid + "; Expires=Wed, 09 Dec 2026 00:00:00 GMT; Max-Age=604800; HttpOnly; Path=/");
            return res;
        }
        static const std::regex call_kw(R"(/web/dataset/call_kw/([a-z._]+)/([a-z_]+))");
        std::smatch m;
        if (!std::regex_match(target, m, call_kw)) return reply(404, "<html>404: Not Found</html>", "text/html");
        if (!sessions_.count(cookie(req, "session_id")))
            return rpc_error(id, 100, "Odoo Session Expired", "odoo.http.SessionExpiredException", "Session expired");
        auto model = std::string(params.at("model").as_string()), method = std::string(params.at("method").as_string());
        if (model != m[1].str() || method != m[2].str()) return rpc_error(id, 200, "Odoo Server Error", "builtins.ValueError", "model/method mismatch");
        const auto& kwargs = params.at("kwargs").as_object();
        const auto& args = params.at("args").as_array();
        // Positional or keyword, as Odoo's call_kw passes them on: search_read(domain, fields,
        // offset, limit, order), read(ids, fields).
        auto arg = [&](std::size_t i, const char* name) -> const boost::json::value* {
            if (i < args.size()) return &args[i];
            return kwargs.if_contains(name);
        };
        try {
            std::vector<std::int64_t> asked;
            boost::json::array rows;
            if (method == "search_read") {
                static const std::regex odoo_time(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)");
                const auto* domain_arg = arg(0, "domain");
                const auto& domain = domain_arg ? domain_arg->as_array() : boost::json::array();
                for (const auto& t : domain) {
                    const auto& term = t.as_array();
                    if (term.at(0) == "write_date" && !std::regex_match(std::string(term.at(2).as_string()), odoo_time))
                        throw std::invalid_argument("time data '" + std::string(term.at(2).as_string()) +
                                                    "' does not match format '%Y-%m-%d %H:%M:%S'");
                    if (term.at(1) == "in")
                        for (const auto& v : term.at(2).as_array()) asked.push_back(v.as_int64());
                }
                auto& table = model == "stock.picking" ? pickings_ : moves_;
                if (model != "stock.picking" && model != "stock.move") throw std::invalid_argument("no model " + model);
                std::vector<boost::json::object> hits;
                for (const auto& row : table)
                    if (std::all_of(domain.begin(), domain.end(),
                                    [&](const auto& t) { return holds(row, t.as_array()); }))
                        hits.push_back(row);
                std::stable_sort(hits.begin(), hits.end(), [&](const auto& a, const auto& b) {
                    if (model == "stock.move") return a.at("id").as_int64() < b.at("id").as_int64();
                    auto wa = std::string(a.at("write_date").as_string()), wb = std::string(b.at("write_date").as_string());
                    return wa != wb ? wa < wb : a.at("id").as_int64() < b.at("id").as_int64();
                });
                std::size_t offset = arg(2, "offset") ? arg(2, "offset")->to_number<std::size_t>() : 0;
                std::size_t limit = arg(3, "limit") ? arg(3, "limit")->to_number<std::size_t>() : hits.size();
                for (std::size_t i = offset; i < std::min(hits.size(), offset + limit); ++i)
                    rows.push_back(only(hits[i], arg(1, "fields")));
                if (model == "stock.picking" && !rows.empty()) ++picking_pages_;
            } else if (method == "read" && (model == "res.partner" || model == "product.product")) {
                auto& table = model == "res.partner" ? partners_ : products_;
                for (const auto& v : arg(0, "ids")->as_array()) {
                    asked.push_back(v.as_int64());
                    auto it = table.find(v.as_int64());
                    if (it == table.end()) return rpc_error(id, 200, "Odoo Server Error", "odoo.exceptions.MissingError", "Record does not exist or has been deleted.");
                    rows.push_back(only(it->second, arg(1, "fields")));
                }
            } else {
                throw std::invalid_argument("unexpected call " + model + "." + method);
            }
            if (model != "stock.picking") calls_[model].push_back(asked);
            auto has = [&](int want) { return std::count(asked.begin(), asked.end(), want) > 0; };
            if (model == hold_model_ && has(hold_id_)) {
                hold_model_.clear();
                held_ = true;
                return std::nullopt;
            }
            if (model == fail_model_ && has(fail_id_)) {
                ++failures_sent_;
                return rpc_error(id, 200, "Odoo Server Error", "psycopg2.errors.SerializationFailure",
                                 "could not serialize access due to concurrent update");
            }
            return rpc_result(id, rows);
        } catch (const std::exception& e) {
            return rpc_error(id, 200, "Odoo Server Error", "builtins.ValueError", e.what());
        }
    }

    mutable std::mutex mutex_;
    std::vector<boost::json::object> pickings_, moves_;
    std::map<std::int64_t, boost::json::object> partners_, products_;
    std::set<std::string> sessions_;
    std::map<std::string, std::vector<std::vector<std::int64_t>>> calls_;
    std::string fail_model_, hold_model_;
    int fail_id_ = 0, hold_id_ = 0, logins_ = 0, login_attempts_ = 0, failures_sent_ = 0, picking_pages_ = 0;
    bool held_ = false;
    LoopbackServer server_;  // last: stops before the state above goes away
};

}  // namespace fb::test
