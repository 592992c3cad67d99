// A Shopify-like REST ERP, configured from the README alone (mappings/shopify/): the Admin API's
// orders.json with `X-Shopify-Access-Token`, `updated_at_min` from the cursor, and cursor-based
// pages whose next one is only in an RFC 8288 `Link:` header (`<…page_info=…>; rel="next"`,
// beside rel="previous"); a page_info request with any other filter is refused, as Shopify does.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include "connectors/http_poll/cursor.h"
#include "connectors/http_poll/http_poll.h"
#include "poll_run.h"
#include "support/loopback_server.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

constexpr const char* token = "shpat_5f1c0a7e9b";

// Orders sorted by (updated_at, id), paged by opaque page_info cursors kept server-side.
class Shop {
public:
    Shop() : server_([this](const fb::test::Request& r) { return handle(r); }) {}
    std::string base() const { return server_.url(""); }
    void add(std::int64_t id, const std::string& updated_at, bool cancelled = false) {
        std::lock_guard lock(mutex_);
        json::object o{{"id", id}, {"name", "#" + std::to_string(id % 10000)}, {"updated_at", updated_at},
                       {"cancelled_at", cancelled ? json::value(updated_at) : json::value()},
                       {"financial_status", "paid"}, {"note", "Hinterhaus"},
                       {"customer", {{"id", 7201000044}}},
                       {"shipping_address", {{"first_name", "Anna"}, {"last_name", "Schmidt"}, {"address1", "Lange Str. 12"},
                                             {"city", "München"}, {"zip", "80331"}, {"country_code", "DE"}}},
                       {"line_items", json::array{json::object{{"id", id * 10 + 1}, {"sku", "WM-8KG-A"},
                                                               {"title", "Waschmaschine 8 kg"}, {"quantity", 1}}}}};
        std::erase_if(orders_, [&](const json::object& x) { return x.at("id").as_int64() == id; });
        orders_.push_back(o);
    }
    std::vector<std::string> asked() const {  // "first" or the page_info of each list request
        std::lock_guard lock(mutex_);
        return asked_;
    }
    int refused() const {
        std::lock_guard lock(mutex_);
        return refused_;
    }

private:
    struct Position {
        std::int64_t since, until;
        std::size_t offset, limit;
    };

    std::optional<fb::test::Response> handle(const fb::test::Request& req) {
        std::lock_guard lock(mutex_);
        if (req["X-Shopify-Access-Token"] != token) {
            ++refused_;
            return fb::test::reply(401, R"x({"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"})x");
        }
        const std::string target_text(req.target());
        auto target = boost::urls::parse_origin_form(target_text);
        if (!target || target->path() != "/admin/api/2024-10/orders.json") return fb::test::reply(404, R"({"errors":"Not Found"})");
        std::map<std::string, std::string> q;
        for (auto p : target->params()) q[std::string(p.key)] = std::string(p.value);
        Position at;
        at.limit = q.count("limit") ? std::stoul(q["limit"]) : 50;
        if (q.count("page_info")) {
            // Shopify: "page_info" takes only limit (and fields) beside it.
            if (q.size() != 2 || !q.count("limit") || !positions_.count(q["page_info"])) {
                ++refused_;
                return fb::test::reply(400, R"({"errors":{"page_info":"Invalid value."}})");
            }
            asked_.push_back(q["page_info"]);
            at = positions_.at(q["page_info"]);
        } else {
            auto since = fb::connectors::http_poll::parse_time(json::value(q["updated_at_min"]), 0);
            auto until = fb::connectors::http_poll::parse_time(json::value(q["updated_at_max"]), 0);
            if (!since || !until || q["order"] != "updated_at asc" || q["status"] != "any") {
                ++refused_;
                return fb::test::reply(400, R"({"errors":"bad filter"})");
            }
            asked_.push_back("first");
            at = {*since, *until, 0, at.limit};
        }
        auto when = [](const json::object& o) { return *fb::connectors::http_poll::parse_time(o.at("updated_at"), 0); };
        std::vector<const json::object*> hits;
        for (const auto& o : orders_)
            if (when(o) >= at.since && when(o) <= at.until) hits.push_back(&o);
        std::sort(hits.begin(), hits.end(), [&](auto* a, auto* b) {
            return when(*a) != when(*b) ? when(*a) < when(*b) : a->at("id").as_int64() < b->at("id").as_int64();
        });
        json::array page;
        for (std::size_t i = at.offset; i < std::min(hits.size(), at.offset + at.limit); ++i) page.push_back(*hits[i]);
        auto res = fb::test::reply(200, json::serialize(json::object{{"orders", page}}));
        auto link = [&](std::size_t offset, const char* rel) {
            auto info = "eyJsYXN0X2lk" + std::to_string(++issued_);
            positions_[info] = {at.since, at.until, offset, at.limit};
            return "<" + server_.url("/admin/api/2024-10/orders.json") + "?limit=" + std::to_string(at.limit) +
                   "&page_info=" + info + ">; rel=\"" + rel + "\"";
        };
        std::string header;
        if (at.offset > 0) header = link(at.offset >= at.limit ? at.offset - at.limit : 0, "previous");
        if (at.offset + at.limit < hits.size()) header += (header.empty() ? "" : ", ") + link(at.offset + at.limit, "next");
        if (!header.empty()) res.set("Link", header);
        return res;
    }

    mutable std::mutex mutex_;
    std::vector<json::object> orders_;
    std::map<std::string, Position> positions_;
    std::vector<std::string> asked_;
    int refused_ = 0, issued_ = 0;
    fb::test::LoopbackServer server_;
};

std::string shopify_flow(const Shop& shop) {
    return "  - name: shopify-orders\n"
           "    document_type: order\n"
           "    mapping: mappings/shopify/order-to-delivery.yaml\n"
           "    source:\n"
           "      type: http_poll\n"
           "      request: mappings/shopify/poll-orders.yaml\n"
           "      vars: { base: \"" + shop.base() + "\" }\n"
           "      auth: { headers: { X-Shopify-Access-Token: \"" + token + "\" } }\n"
           "      every: 100ms\n"
           "      records: $.orders\n"
           "      paging: { type: link_header, size: 2 }\n"
           "      cursor: { time: $.updated_at, id: $.id, overlap: 5m, initial: \"2026-11-01T00:00:00Z\" }\n";
}

}  // namespace

TEST_CASE("Shopify: pages followed by the Link header's rel=\"next\" page_info, ending on a page without one") {
    PollRun t("shopify");
    Shop shop;
    shop.add(5801000001, "2026-11-20T09:00:00+01:00");
    shop.add(5801000002, "2026-11-20T10:41:07+01:00");  // 2 and 3 share a time across pages 1 and 2
    shop.add(5801000003, "2026-11-20T10:41:07+01:00");
    shop.add(5801000004, "2026-11-20T12:00:00-05:00");
    shop.add(5801000005, "2026-11-21T08:00:00+01:00");
    RunningApp app(t.config(shopify_flow(shop)));
    std::map<std::string, json::value> latest;
    auto orders = t.work_orders(app, "shopify-orders", "5801000005", 5, &latest);
    CHECK(orders.size() == 5);
    for (const auto& [id, n] : orders) CHECK(n == 1);
    // The first poll: the filtered request, then two page_info pages (the third, of one order,
    // has only rel="previous": the end), and the next poll starts with a filtered request again.
    auto asked = shop.asked();
    REQUIRE(asked.size() >= 4);
    CHECK(asked[0] == "first");
    CHECK(asked[1].starts_with("eyJsYXN0X2lk"));
    CHECK(asked[2].starts_with("eyJsYXN0X2lk"));
    CHECK(asked[3] == "first");
    CHECK(shop.refused() == 0);  // never a page_info request with other filters, never without the token
    CHECK(t.cursor("time") == "2026-11-21T08:00:00+01:00");
    const auto& wo = latest.at("5801000004").at("work_order");
    CHECK(wo.at("address").at("text") == "Lange Str. 12, 80331 München, DE");
    CHECK(wo.at("items").at(0).at("sku") == "WM-8KG-A");

    // An order cancelled later: its updated_at moves, one work_order.cancelled.
    shop.add(5801000003, "2026-11-21T09:30:00+01:00", true);
    REQUIRE(eventually([&] { return t.cursor() == "5801000003"; }));
    auto all = consume_at_least(t.kafka.bootstrap(), "fsm.work-orders", 6);
    int cancelled = 0;
    for (const auto& m : all) cancelled += json::parse(m.value).at("type") == "work_order.cancelled";
    CHECK(cancelled == 1);
}

TEST_CASE("Shopify: the dry run follows the Link header and masks the access token") {
    PollRun t("shopify-dry");
    Shop shop;
    for (int i = 1; i <= 3; ++i) shop.add(5801000000 + i, "2026-11-20T09:0" + std::to_string(i) + ":00+01:00");
    auto config = t.config(shopify_flow(shop));
    std::ostringstream out;
    fb::connectors::http_poll::dry_run(config, "shopify-orders", 3, out);
    INFO(out.str());
    CHECK(out.str().find(token) == std::string::npos);
    CHECK(out.str().find("X-Shopify-Access-Token: ***") != std::string::npos);
    CHECK(out.str().find("page_info=eyJsYXN0X2lk") != std::string::npos);  // page 2's request is the Link's
    CHECK(out.str().find("5801000003") != std::string::npos);
    CHECK(out.str().find("--- page 3") == std::string::npos);  // page 2 had no rel="next"
    CHECK(shop.refused() == 0);
}
