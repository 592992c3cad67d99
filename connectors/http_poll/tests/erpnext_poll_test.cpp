// ERPNext / Frappe REST, configured from the README alone (mappings/erpnext/): JSON filters in the
// query string (url_encode), limit_start paging ending on a short page, `Authorization: token
// key:secret`, records in `$.data`, each note's items read per record from
// /api/resource/Delivery Note/<name>, `modified` in the site's zone without an offset and with
// microseconds, rows sharing a `modified` across a page boundary, and Frappe's 417 with exc_type.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <mutex>
#include <sstream>
#include <regex>
#include <vector>

#include "connectors/http_poll/cursor.h"
#include "connectors/http_poll/http_poll.h"
#include "poll_run.h"
#include "support/loopback_server.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

constexpr int site_offset = 60;  // the site's time zone: Europe/Berlin in winter, +01:00

// A Frappe site: strict where Frappe is (the token, JSON in the query, a datetime filter as
// "YYYY-MM-DD HH:MM:SS[.ffffff]" in the site's zone), sorted by (modified, name).
class FrappeSite {
public:
    FrappeSite() : server_([this](const fb::test::Request& r) { return handle(r); }) {}
    std::string base() const { return server_.url(""); }
    void add(const std::string& name, const std::string& modified, int docstatus = 1, double qty = 2) {
        std::lock_guard lock(mutex_);
        json::object note{{"name", name}, {"modified", modified}, {"docstatus", docstatus},
                          {"customer", "CUST-0007"}, {"customer_name", "Müller Küchen GmbH"},
                          {"contact_mobile", "+49 151 23456789"},
                          {"shipping_address", "Hauptstr. 5<br>10115 Berlin<br>Germany<br>"},
                          {"status", docstatus == 2 ? "Cancelled" : "To Bill"},
                          {"instructions", "Hinterhof, 2. OG"}};
        note["items"] = json::array{
            json::object{{"name", name + "-1"}, {"idx", 1}, {"item_code", "KS-200"}, {"item_name", "Kühlschrank"},
                         {"qty", qty}, {"uom", "Nos"}, {"against_sales_order", "SAL-ORD-2026-00042"}},
            json::object{{"name", name + "-2"}, {"idx", 2}, {"item_code", "MONT"}, {"item_name", "Montage"},
                         {"qty", 1.0}, {"uom", "Nos"}}};
        notes_.push_back(note);
    }
    void cancel(const std::string& name, const std::string& modified) {  // docstatus 2, a new `modified`
        std::lock_guard lock(mutex_);
        for (auto& n : notes_)
            if (n.at("name").as_string() == name) {
                n["docstatus"] = 2;
                n["status"] = "Cancelled";
                n["modified"] = modified;
            }
    }
    void fail_next_lists(int n) {
        std::lock_guard lock(mutex_);
        fail_lists_ = n;
    }
    std::vector<std::string> starts() const {
        std::lock_guard lock(mutex_);
        return starts_;
    }
    int details() const {
        std::lock_guard lock(mutex_);
        return details_;
    }

private:
    static fb::test::Response frappe_error(int status, const std::string& type, const std::string& message) {
        json::object e{{"exc_type", type}, {"exception", "frappe.exceptions." + type + ": " + message},
                       {"_server_messages", json::serialize(json::array{json::serialize(json::object{{"message", message}})})}};
        return fb::test::reply(status, json::serialize(e));
    }
    static std::optional<std::int64_t> site_time(const std::string& s) {
        static const std::regex frappe(R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?)");
        if (!std::regex_match(s, frappe)) return std::nullopt;
        return fb::connectors::http_poll::parse_time(json::value(s), site_offset);
    }

    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        std::lock_guard lock(mutex_);
        if (req[boost::beast::http::field::authorization] != "token 4f1c2a:9be07d")
            return frappe_error(401, "AuthenticationError", "Invalid API key");
        const std::string target_text(req.target());
        auto target = boost::urls::parse_origin_form(target_text);  // a raw [ or " is not a URL
        if (!target) return frappe_error(400, "ValidationError", "bad request target");
        std::string path = target->path();
        const std::string prefix = "/api/resource/Delivery Note";
        if (path.rfind(prefix, 0) != 0) return frappe_error(404, "DoesNotExistError", "no such doctype");
        if (path.size() > prefix.size()) {  // one document, its child tables inline
            ++details_;
            auto name = path.substr(prefix.size() + 1);
            for (const auto& n : notes_)
                if (n.at("name").as_string() == name) return fb::test::reply(200, json::serialize(json::object{{"data", n}}));
            return frappe_error(404, "DoesNotExistError", "Delivery Note " + name + " not found");
        }
        std::map<std::string, std::string> q;
        for (auto p : target->params()) q[std::string(p.key)] = std::string(p.value);
        if (fail_lists_ > 0) {
            --fail_lists_;
            return frappe_error(417, "ValidationError", "Could not fetch Delivery Note: deadlock found, try again");
        }
        boost::system::error_code ec;
        auto filters = json::parse(q["filters"], ec);
        boost::system::error_code ec2;
        auto fields = json::parse(q["fields"], ec2);
        if (ec || ec2 || !filters.is_array() || !fields.is_array())
            return frappe_error(417, "ValidationError", "filters and fields must be JSON lists");
        if (q["order_by"] != "modified asc, name asc")
            return frappe_error(417, "ValidationError", "unexpected order_by " + q["order_by"]);
        std::int64_t since = INT64_MIN, until = INT64_MAX;
        for (const auto& f : filters.as_array()) {
            const auto& c = f.as_array();
            std::string field(c.at(0).as_string()), op(c.at(1).as_string());
            if (field != "modified") continue;
            auto t = site_time(std::string(c.at(2).as_string()));
            if (!t) return frappe_error(417, "ValidationError", "Invalid datetime " + json::serialize(c.at(2)));
            (op == ">=" ? since : until) = *t;
        }
        if (since == INT64_MIN || until == INT64_MAX) return frappe_error(417, "ValidationError", "no modified window");
        starts_.push_back(q["limit_start"]);
        std::size_t start = std::stoul(q["limit_start"]), length = std::stoul(q["limit_page_length"]);
        std::vector<const json::object*> hits;
        for (const auto& n : notes_) {
            auto t = site_time(std::string(n.at("modified").as_string()));
            if (*t >= since && *t <= until && n.at("docstatus").as_int64() != 0) hits.push_back(&n);
        }
        std::stable_sort(hits.begin(), hits.end(), [](const json::object* a, const json::object* b) {
            auto ta = *site_time(std::string(a->at("modified").as_string())), tb = *site_time(std::string(b->at("modified").as_string()));
            return ta != tb ? ta < tb : a->at("name").as_string() < b->at("name").as_string();
        });
        json::array data;
        for (std::size_t i = start; i < std::min(hits.size(), start + length); ++i) {
            json::object row;  // only the fields asked for: no child tables in a list answer
            for (const auto& f : fields.as_array())
                if (const auto* v = hits[i]->if_contains(f.as_string())) row[f.as_string()] = *v;
            data.push_back(row);
        }
        return fb::test::reply(200, json::serialize(json::object{{"data", data}}));
    }

    mutable std::mutex mutex_;
    std::vector<json::object> notes_;
    std::vector<std::string> starts_;
    int fail_lists_ = 0, details_ = 0;
    fb::test::LoopbackServer server_;
};

// The flow as mappings/erpnext/README-level docs describe it.
std::string erpnext_flow(const FrappeSite& site) {
    return "  - name: erpnext-dn\n"
           "    document_type: delivery_note\n"
           "    mapping: mappings/erpnext/polled-note-to-delivery.yaml\n"
           "    source:\n"
           "      type: http_poll\n"
           "      request: mappings/erpnext/poll-delivery-notes.yaml\n"
           "      vars: { base: \"" + site.base() + "\" }\n"
           "      auth: { headers: { Authorization: \"token 4f1c2a:9be07d\" } }\n"
           "      every: 100ms\n"
           "      records: $.data\n"
           "      paging: { type: offset, size: 2 }\n"
           "      cursor: { time: $.modified, id: $.name, tz_offset: \"+01:00\", overlap: 10m, initial: \"2026-11-01T00:00:00Z\" }\n"
           "      details:\n"
           "        - { name: note, request: mappings/erpnext/poll-delivery-note.yaml, per: record, records: $.data }\n";
}

}  // namespace

TEST_CASE("ERPNext: JSON filters url-encoded, offset pages to a short one, items per record, ties across a page boundary") {
    PollRun t("erpnext");
    FrappeSite site;
    site.add("MAT-DN-2026-00001", "2026-11-20 16:41:07.123456");
    site.add("MAT-DN-2026-00002", "2026-11-20 16:45:00.000001");  // these two share `modified`
    site.add("MAT-DN-2026-00003", "2026-11-20 16:45:00.000001");  // and straddle pages 1 and 2
    site.add("MAT-DN-2026-00004", "2026-11-20 17:02:55.5");
    site.add("MAT-DN-2026-00005", "2026-11-20 17:30:00");
    site.fail_next_lists(1);  // a 417 first: retried, the cursor unmoved
    RunningApp app(t.config(erpnext_flow(site)));
    std::map<std::string, json::value> latest;
    auto orders = t.work_orders(app, "erpnext-dn", "MAT-DN-2026-00005", 5, &latest);
    CHECK(site.details() >= 5);
    CHECK(orders.size() == 5);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    // The first poll's pages of 2, each from the last record of the page before: 0, 1, 2, 3, 4
    // (a short page of one, that record alone, ends it); never a page 5.
    auto starts = site.starts();
    REQUIRE(starts.size() >= 5);
    CHECK(std::vector<std::string>(starts.begin(), starts.begin() + 5) == std::vector<std::string>{"0", "1", "2", "3", "4"});
    CHECK(std::count(starts.begin(), starts.end(), "5") == 0);
    const auto& wo = latest.at("MAT-DN-2026-00002").at("work_order");
    CHECK(wo.at("customer").at("name") == "Müller Küchen GmbH");
    CHECK(wo.at("customer").at("phone") == "+4915123456789");
    CHECK(wo.at("address").at("text") == "Hauptstr. 5, 10115 Berlin, Germany");
    CHECK(wo.at("items").as_array().size() == 2);
    CHECK(wo.at("items").at(0).at("sku") == "KS-200");
    // The cursor is the site's local time as Frappe wrote it, at +01:00.
    CHECK(t.cursor("time") == "2026-11-20 17:30:00");
    CHECK(PollRun::metric(app, "fieldbridge_source_errors_total{flow=\"erpnext-dn\",connector=\"http_poll\",kind=\"status\"") >= 1);
    // Cancelling a note (docstatus 2, `modified` moves) is one work_order.cancelled.
    site.cancel("MAT-DN-2026-00004", "2026-11-20 18:00:00");
    REQUIRE(eventually([&] { return t.cursor() == "MAT-DN-2026-00004"; }));
    auto all = consume_at_least(t.kafka.bootstrap(), "fsm.work-orders", 6);
    REQUIRE(all.size() >= 6);
    int cancelled = 0;
    for (const auto& m : all) cancelled += json::parse(m.value).at("type") == "work_order.cancelled";
    CHECK(cancelled == 1);
}

TEST_CASE("ERPNext: the token header is a secret: the dry run masks it") {
    PollRun t("erpnext-dry");
    FrappeSite site;
    site.add("MAT-DN-2026-00001", "2026-11-20 16:41:07.123456");
    auto config = t.config(erpnext_flow(site));
    std::ostringstream out;
    fb::connectors::http_poll::dry_run(config, "erpnext-dn", 1, out);
    INFO(out.str());
    CHECK(out.str().find("9be07d") == std::string::npos);
    CHECK(out.str().find("Authorization: ***") != std::string::npos);
    CHECK(out.str().find("MAT-DN-2026-00001") != std::string::npos);
}
