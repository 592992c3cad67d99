// SAP Business One Service Layer, configured from the README alone (mappings/sap-b1/): login by
// POST /b1s/v1/Login whose answer sets two cookies, B1SESSION and ROUTEID, both sent back on every
// request (`from: cookies`); `Prefer: odata.maxpagesize` pages followed by an `odata.nextLink`
// relative to the service root and written with raw spaces and quotes; the change time split
// into UpdateDate + UpdateTime (`cursor.time_of_day`); a session timeout answered 401 → login
// again, the page kept; rows sharing a change time across a page boundary.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <mutex>
#include <regex>
#include <set>
#include <vector>

#include "poll_run.h"
#include "support/loopback_server.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

// A Service Layer node: sessions by cookie (both cookies or "Invalid session"), DeliveryNotes with
// the one $filter shape the example asks (strictly parsed), sorted by UpdateDate, UpdateTime,
// DocEntry, paged by the Prefer header (20 without it, as B1 does).
class ServiceLayer {
public:
    ServiceLayer() : server_([this](const fb::test::Request& r) { return handle(r); }) {}
    std::string base() const { return server_.url(""); }
    void add(int entry, const std::string& date, const std::string& time, bool cancelled = false) {
        std::lock_guard lock(mutex_);
        json::object n{{"DocEntry", entry}, {"DocNum", 1000 + entry}, {"CardCode", "C20000"},
                       {"CardName", "Maxi-Teq Ltd"}, {"Address2", "Lange Str. 12\r80331 München\rDE"},
                       {"Comments", "Anlieferung Rampe 3"}, {"DocumentStatus", "bost_Open"},
                       {"Cancelled", cancelled ? "tYES" : "tNO"},
                       {"UpdateDate", date + "T00:00:00Z"}, {"UpdateTime", time}};
        n["DocumentLines"] = json::array{json::object{{"LineNum", 0}, {"ItemCode", "A00001"}, {"ItemDescription", "J.B. Officeprint 1420"},
                                                      {"Quantity", 3.0}, {"MeasureUnit", "Stk"}}};
        notes_.push_back(n);
    }
    void expire_sessions() {
        std::lock_guard lock(mutex_);
        sessions_.clear();
    }
    int logins() const {
        std::lock_guard lock(mutex_);
        return logins_;
    }
    std::vector<std::string> skips() const {
        std::lock_guard lock(mutex_);
        return skips_;
    }
    int refused() const {
        std::lock_guard lock(mutex_);
        return refused_;
    }

private:
    static fb::test::Response b1_error(int status, int code, const std::string& message) {
        return fb::test::reply(status, json::serialize(json::object{
            {"error", {{"code", code}, {"message", {{"lang", "en-us"}, {"value", message}}}}}}));
    }
    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        std::lock_guard lock(mutex_);
        const std::string target_text(req.target());
        auto target = boost::urls::parse_origin_form(target_text);
        if (!target) return b1_error(400, -1, "bad target");
        std::string path = target->path();
        if (req.method() == boost::beast::http::verb::post && path == "/b1s/v1/Login") {
            boost::system::error_code ec;
            auto body = json::parse(req.body(), ec);
            if (ec || !body.is_object() || body.as_object().if_contains("CompanyDB") == nullptr ||
                body.at("CompanyDB") != "SBODEMODE" || body.at("UserName") != "manager" || body.at("Password") != "b1-Secret!")
                return b1_error(401, 100000027, "Fail to get DB Credentials from SLD");
            ++logins_;
            std::string id = "1c3c5d9e-" + std::to_string(logins_);
            sessions_.insert(id);
            auto res = fb::test::reply(200, json::serialize(json::object{
                {"odata.metadata", "https://b1/b1s/v1/$metadata#B1Sessions/@Element"},
                {"SessionId", id}, {"Version", "1000190"}, {"SessionTimeout", 30}}));
            res.insert(boost::beast::http::field::set_cookie, "B1SESSION=" + id + "; HttpOnly;");
            res.insert(boost::beast::http::field::set_cookie, "ROUTEID=.node2; path=/b1s");
            return res;
        }
        // Both cookies, or this node does not know the session.
        std::string cookie(req[boost::beast::http::field::cookie]);
        static const std::regex both(R"(^B1SESSION=([^;]+); ROUTEID=\.node2$)");
        std::smatch m;
        if (!std::regex_match(cookie, m, both) || !sessions_.count(m[1].str())) {
            ++refused_;
            return b1_error(401, 301, "Invalid session or session already timeout.");
        }
        if (path != "/b1s/v1/DeliveryNotes") return b1_error(404, -2, "Unrecognized resource path.");
        std::map<std::string, std::string> q;
        for (auto p : target->params()) q[std::string(p.key)] = std::string(p.value);
        static const std::regex filter(
            R"(^UpdateDate gt '(\d{4}-\d{2}-\d{2})' or \(UpdateDate eq '(\d{4}-\d{2}-\d{2})' and UpdateTime ge '(\d{2}:\d{2}:\d{2})'\)$)");
        std::smatch f;
        const std::string filter_text = q["$filter"];
        if (!std::regex_match(filter_text, f, filter) || f[1] != f[2])
            return b1_error(400, -1000, "Invalid $filter: " + filter_text);
        if (q["$orderby"] != "UpdateDate,UpdateTime,DocEntry") return b1_error(400, -1000, "Invalid $orderby");
        const std::string since = f[1].str() + "T" + f[3].str();
        std::size_t size = 20;
        std::string prefer(req["Prefer"]);
        if (prefer.rfind("odata.maxpagesize=", 0) == 0) size = std::stoul(prefer.substr(18));
        std::size_t skip = q.count("$skip") ? std::stoul(q["$skip"]) : 0;
        skips_.push_back(std::to_string(skip));
        auto change = [](const json::object& n) {
            return std::string(n.at("UpdateDate").as_string()).substr(0, 10) + "T" + std::string(n.at("UpdateTime").as_string());
        };
        std::vector<const json::object*> hits;
        for (const auto& n : notes_)
            if (change(n) >= since) hits.push_back(&n);
        std::stable_sort(hits.begin(), hits.end(), [&](const json::object* a, const json::object* b) {
            return change(*a) != change(*b) ? change(*a) < change(*b) : a->at("DocEntry").as_int64() < b->at("DocEntry").as_int64();
        });
        json::array value;
        for (std::size_t i = skip; i < std::min(hits.size(), skip + size); ++i) value.push_back(*hits[i]);
        json::object answer{{"odata.metadata", "https://b1/b1s/v1/$metadata#DeliveryNotes"}, {"value", value}};
        if (skip + size < hits.size())  // relative to the service root, written as text, as B1 does
            answer["odata.nextLink"] = "DeliveryNotes?$select=" + q["$select"] + "&$filter=" + filter_text +
                                       "&$orderby=" + q["$orderby"] + "&$skip=" + std::to_string(skip + size);
        return fb::test::reply(200, json::serialize(answer));
    }

    mutable std::mutex mutex_;
    std::vector<json::object> notes_;
    std::set<std::string> sessions_;
    std::vector<std::string> skips_;
    int logins_ = 0, refused_ = 0;
    fb::test::LoopbackServer server_;
};

std::string b1_flow(const ServiceLayer& sl) {
    return "  - name: b1-delivery\n"
           "    document_type: delivery_note\n"
           "    mapping: mappings/sap-b1/delivery-note-to-delivery.yaml\n"
           "    source:\n"
           "      type: http_poll\n"
           "      request: mappings/sap-b1/poll-delivery-notes.yaml\n"
           "      vars: { base: \"" + sl.base() + "\", company_db: SBODEMODE, user: manager, password: \"b1-Secret!\" }\n"
           "      login:\n"
           "        request: mappings/sap-b1/poll-login.yaml\n"
           "        from: cookies\n"
           "        names: [B1SESSION, ROUTEID]\n"
           "      every: 100ms\n"
           "      records: $.value\n"
           "      paging: { type: next_link, next: \"$['odata.nextLink']\", size: 2 }\n"
           "      cursor: { time: $.UpdateDate, time_of_day: $.UpdateTime, id: $.DocEntry, tz_offset: \"+01:00\", overlap: 10m, initial: \"2026-11-01T00:00:00Z\" }\n";
}

}  // namespace

TEST_CASE("SAP B1: two login cookies sent back, raw relative nextLinks followed, UpdateDate + UpdateTime as one cursor") {
    PollRun t("sap-b1");
    ServiceLayer sl;
    sl.add(7, "2026-11-20", "09:15:00");
    sl.add(8, "2026-11-20", "16:41:07");  // 8 and 9 share a change time across pages 1 and 2
    sl.add(9, "2026-11-20", "16:41:07");
    sl.add(10, "2026-11-21", "08:00:00");
    sl.add(11, "2026-11-21", "08:00:00");
    RunningApp app(t.config(b1_flow(sl)));
    std::map<std::string, json::value> latest;
    auto orders = t.work_orders(app, "b1-delivery", "11", 5, &latest);  // DocEntry 11 after 10: as numbers
    CHECK(orders.size() == 5);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    CHECK(t.cursor("time") == "2026-11-21T08:00:00");
    auto skips = sl.skips();
    REQUIRE(skips.size() >= 3);
    CHECK(std::vector<std::string>(skips.begin(), skips.begin() + 3) == std::vector<std::string>{"0", "2", "4"});
    CHECK(sl.logins() == 1);
    CHECK(sl.refused() == 0);  // never a request without both cookies
    const auto& wo = latest.at("1008").at("work_order");
    CHECK(wo.at("address").at("text") == "Lange Str. 12, 80331 München, DE");
    CHECK(wo.at("items").at(0).at("quantity") == 3);

    // The session times out (B1's SessionTimeout): 401 → login again, the page read once more.
    sl.expire_sessions();
    sl.add(12, "2026-11-21", "09:30:00");
    REQUIRE(eventually([&] { return t.cursor() == "12"; }));
    CHECK(sl.logins() == 2);
    CHECK(consume_at_least(t.kafka.bootstrap(), "fsm.work-orders", 6).size() == 6);
}
