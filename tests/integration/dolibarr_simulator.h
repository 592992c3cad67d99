// A Dolibarr simulator (REST API under /api/index.php/, key in the DOLAPIKEY header) for the
// Dolibarr tests, behaving as Dolibarr's api_shipments.class.php does: 401 without the key, the
// shipment list sorted by `sortfield`/`sortorder`, paged by `limit` and a 0-based `page`, filtered
// by `sqlfilters` on t.tms compared as 'YYYY-MM-DD HH:MM:SS' text in the server's local time
// (Europe/Paris, as the server's PHP and MySQL are set), an empty list answered as HTTP 404 "No shipment found"
// (Dolibarr up to 18; `answers_empty_list_as_200` for 19 and later), unix-second timestamps and
// numbers as text, /thirdparties/{id}, POST /shipments/{id}/close (a JSON body or 403; 304 when
// already closed) and PUT /shipments/{id} (own fields only), each change moving `tms`.
#pragma once

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "erp_simulator.h"
#include "mapping/time.h"

namespace fb::testing {

class Dolibarr {
public:
    static constexpr const char* api_key = "dolibarr-KEY-5e1f0c2a";

    struct Call {
        std::string method, target, body;
    };

    // A validated shipment (status 1) of thirdparty `socid`, changed at unix second `tms`.
    void add_shipment(int id, int socid, std::int64_t tms, int status = 1) {
        std::lock_guard lock(mutex_);
        boost::json::object s{
            {"id", std::to_string(id)}, {"ref", status == 0 ? "(PROV" + std::to_string(id) + ")" : "SH2611-" + pad(id)},
            {"ref_customer", "CMD-" + pad(id)}, {"socid", std::to_string(socid)},
            {"statut", std::to_string(status)}, {"status", std::to_string(status)}, {"entity", "1"},
            {"origin", "commande"}, {"origin_id", std::to_string(100 + id)},
            {"date_creation", tms - 600}, {"date_modification", tms}, {"date_delivery", tms + 3 * 86400},
            {"tracking_number", ""}, {"note_public", "Sonner deux fois"}, {"note_private", nullptr}};
        s["lines"] = boost::json::array{
            boost::json::object{{"id", std::to_string(id * 10 + 1)}, {"fk_product", "5"}, {"product_ref", "LV-600"},
                                {"product_label", "Lave-vaisselle 60 cm"}, {"libelle", "Lave-vaisselle 60 cm"}, {"qty", "1"}},
            boost::json::object{{"id", std::to_string(id * 10 + 2)}, {"fk_product", "9"}, {"product_ref", "INST-STD"},
                                {"libelle", "Installation standard"}, {"qty", "1"}}};
        shipments_[id] = std::move(s);
    }
    void add_thirdparty(int id, const std::string& name, const std::string& town) {
        std::lock_guard lock(mutex_);
        thirdparties_[id] = boost::json::object{
            {"id", std::to_string(id)}, {"name", name}, {"code_client", "CU2611-" + pad(id)},
            {"address", "12 rue des Lilas"}, {"zip", "69003"}, {"town", town}, {"country_code", "FR"},
            {"phone", "04 78 12 34 " + pad(id).substr(3)}, {"email", "contact@example.fr"}};
    }
    // Someone edits a shipment in Dolibarr: the first line's quantity, and tms moves.
    void edit_quantity(int id, int qty, std::int64_t tms) {
        std::lock_guard lock(mutex_);
        auto& s = shipments_.at(id);
        s["lines"].as_array()[0].as_object()["qty"] = std::to_string(qty);
        s["date_modification"] = tms;
    }
    // The close is applied, then answered 500 (a lost answer): the resend meets a closed shipment.
    void fail_after_closing(int id) {
        std::lock_guard lock(mutex_);
        fail_after_close_.push_back(id);
    }
    void answers_empty_list_as_200() {
        std::lock_guard lock(mutex_);
        empty_as_200_ = true;
    }
    int status(int id) const {
        std::lock_guard lock(mutex_);
        return std::stoi(std::string(shipments_.at(id).at("status").as_string()));
    }
    std::string note_private(int id) const {
        std::lock_guard lock(mutex_);
        const auto& n = shipments_.at(id).at("note_private");
        return n.is_string() ? std::string(n.as_string()) : "";
    }
    std::vector<Call> calls(const std::string& method, const std::string& prefix) const {
        std::lock_guard lock(mutex_);
        std::vector<Call> out;
        for (const auto& c : calls_)
            if (c.method == method && c.target.rfind(prefix, 0) == 0) out.push_back(c);
        return out;
    }
    int empty_lists() const {  // lists answered "No shipment found"
        std::lock_guard lock(mutex_);
        return empty_lists_;
    }
    std::vector<std::string> pages() const {  // the `page` of every list request, in order
        std::lock_guard lock(mutex_);
        return pages_;
    }

    std::optional<test::Response> handle(const Received& r) {
        std::lock_guard lock(mutex_);
        calls_.push_back({r.method, r.target, r.body});
        if (r.header("dolapikey") != api_key)
            return error(401, "Unauthorized: Failed to login to API. No parameter 'HTTP_DOLAPIKEY' on HTTP header (and no parameter DOLAPIKEY in URL).");
        auto target = boost::urls::parse_origin_form(r.target);
        if (!target) return error(400, "Bad Request");
        std::string path = target->path();
        std::map<std::string, std::string> q;
        for (auto p : target->params()) q[std::string(p.key)] = std::string(p.value);
        static const std::regex one(R"(/api/index\.php/(shipments|thirdparties)/(\d+)(/close)?)");
        std::smatch m;
        if (path == "/api/index.php/shipments" && r.method == "GET") return list(q);
        if (!std::regex_match(path, m, one)) return error(404, "Not Found");
        int id = std::stoi(m[2]);
        if (m[1] == "thirdparties") {
            if (r.method != "GET") return error(405, "Method Not Allowed");
            auto it = thirdparties_.find(id);
            if (it == thirdparties_.end()) return error(404, "Not Found: Thirdparty not found");
            return test::reply(200, boost::json::serialize(it->second));
        }
        auto it = shipments_.find(id);
        if (it == shipments_.end()) return error(404, "Not Found: Shipment not found");
        auto& s = it->second;
        if (m[3].matched) {
            if (r.method != "POST") return error(405, "Method Not Allowed");
            // Restler reads the body by its Content-Type: none (text/plain) is refused.
            if (r.header("content-type").find("application/json") == std::string::npos)
                return error(403, "Forbidden: Content type `text/plain` is not supported.");
            if (s.at("status").as_string() == "2") {
                test::Response res{boost::beast::http::status::not_modified, 11};
                return res;  // "Error nothing done. May be object is already closed", as a 304
            }
            s["status"] = "2";
            s["statut"] = "2";
            touch(s);
            if (auto f = std::find(fail_after_close_.begin(), fail_after_close_.end(), id); f != fail_after_close_.end()) {
                fail_after_close_.erase(f);
                return error(500, "Internal Server Error: Lock wait timeout exceeded");
            }
            return test::reply(200, boost::json::serialize(s));
        }
        if (r.method == "GET") return test::reply(200, boost::json::serialize(s));
        if (r.method != "PUT") return error(405, "Method Not Allowed");
        boost::system::error_code ec;
        auto body = boost::json::parse(r.body, ec);
        if (ec || !body.is_object()) return error(400, "Bad Request: body is not JSON");
        for (const auto& kv : body.as_object())
            if (kv.key() != "id" && kv.key() != "lines") s[kv.key()] = kv.value();
        touch(s);
        return test::reply(200, boost::json::serialize(s));
    }

private:
    static std::string pad(int id) {
        auto t = std::to_string(id);
        return std::string(t.size() < 5 ? 5 - t.size() : 0, '0') + t;
    }
    static test::Response error(int code, const std::string& message) {
        boost::json::object e{{"error", {{"code", code}, {"message", message}}},
                              {"debug", {{"source", "api_shipments.class.php:160 at call stage"}}}};
        return test::reply(code, boost::json::serialize(e));
    }
    // The server's local wall clock, as MySQL writes a DATETIME: 'YYYY-MM-DD HH:MM:SS'.
    static std::string local(std::int64_t unix_seconds) {
        static const auto* paris = mapping::find_zone("Europe/Paris");
        std::time_t t = unix_seconds + mapping::offset_at(paris, unix_seconds);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        return buf;
    }
    // A change: tms moves to now, and never back (two changes in one second share it, as in MySQL).
    static void touch(boost::json::object& s) {
        auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        s["date_modification"] = std::max<std::int64_t>(now, s.at("date_modification").as_int64());
    }

    std::optional<test::Response> list(std::map<std::string, std::string>& q) {
        // sqlfilters as Dolibarr checks them: (field:operator:'value') terms joined by and.
        static const std::regex term(R"(\(t\.tms:(>=|<=|>|<|=):'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)'\))");
        std::string lo = "0000", hi = "9999";
        std::string filters = q["sqlfilters"];
        for (std::sregex_iterator i(filters.begin(), filters.end(), term), end; i != end; ++i)
            ((*i)[1] == ">=" ? lo : hi) = (*i)[2];
        std::string rest = std::regex_replace(filters, term, "");
        if (!std::regex_match(rest, std::regex(R"(( and )*)")))
            return error(503, "Error when validating parameter sqlfilters -> Bad syntax of the search string: " + filters);
        if (q["sortfield"] != "t.tms,t.rowid" || q["sortorder"] != "ASC,ASC")
            return error(400, "Bad Request: this simulator sorts only by t.tms,t.rowid ASC,ASC");
        std::size_t limit = q.count("limit") ? std::stoul(q["limit"]) : 100;
        std::size_t page = q.count("page") ? std::stoul(q["page"]) : 0;
        pages_.push_back(q.count("page") ? q["page"] : "");
        std::vector<const boost::json::object*> hits;
        for (const auto& [id, s] : shipments_) {
            auto at = local(s.at("date_modification").as_int64());
            if (at >= lo && at <= hi) hits.push_back(&s);
        }
        std::stable_sort(hits.begin(), hits.end(), [](const auto* a, const auto* b) {
            auto ta = a->at("date_modification").as_int64(), tb = b->at("date_modification").as_int64();
            return ta != tb ? ta < tb : std::stoi(std::string(a->at("id").as_string())) < std::stoi(std::string(b->at("id").as_string()));
        });
        boost::json::array out;
        for (std::size_t i = page * limit; i < std::min(hits.size(), page * limit + limit); ++i) out.push_back(*hits[i]);
        if (out.empty() && !empty_as_200_) {
            ++empty_lists_;
            return error(404, "Not Found: No shipment found");
        }
        return test::reply(200, boost::json::serialize(out));
    }

    mutable std::mutex mutex_;
    std::map<int, boost::json::object> shipments_;
    std::map<int, boost::json::object> thirdparties_;
    std::vector<Call> calls_;
    std::vector<int> fail_after_close_;
    std::vector<std::string> pages_;
    int empty_lists_ = 0;
    bool empty_as_200_ = false;
};

}  // namespace fb::testing
