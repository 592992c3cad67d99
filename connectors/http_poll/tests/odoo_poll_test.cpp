// http_poll against an Odoo 16/17 simulator on loopback (odoo_erp.h): the session_id cookie from
// /web/session/authenticate, `search_read` of stock.picking paged by offset with a write_date
// domain, two detail fetches per page — the moves of all the page's pickings in one search_read,
// their partners in one read — so one work order takes three reads; a lost session
// (SessionExpiredException in HTTP 200) → login again; a detail that fails fails its page; and
// kill -9 while a detail read is in flight.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "connectors/http_poll/http_poll.h"
#include "connectors/http_poll/poller.h"
#include "core/ids.h"
#include "daemon_process.h"
#include "harness.h"
#include "odoo_erp.h"
#include "publish/kafka.h"
#include "store/database.h"
#include "support/temp_dir.h"
#include "support/state_query.h"
#include "support/eventually.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

std::string src(const std::string& p) { return std::string(FB_SOURCE_DIR) + "/" + p; }

struct OdooPoll {
    fb::test::TempDir dir{"odoo-poll"};
    fb::publish::EmbeddedCluster kafka{1, 1, {"fsm.work-orders", "fsm.dead-letter"}};
    fb::test::OdooErp erp;
    std::string state = dir.str("state.db");

    std::string yaml(const std::string& password = "odoo-pw") const {
        return "state: { path: " + state + ", synchronous: normal }\n"
               "kafka: { brokers: \"" + kafka.bootstrap() + "\" }\n"
               "http: { listen: 127.0.0.1:0 }\n"
               "flows:\n"
               "  - name: odoo-out\n"
               "    document_type: stock_picking\n"
               "    mapping: " + src("mappings/odoo/picking-to-delivery.yaml") + "\n"
               "    source:\n"
               "      type: http_poll\n"
               "      request: " + src("mappings/odoo/poll-pickings.yaml") + "\n"
               "      vars: { base: \"" + erp.base() + "\", db: odoo17, user: fieldbridge, password: " + password + " }\n"
               "      login:\n"
               "        request: " + src("mappings/odoo/poll-login.yaml") + "\n"
               "        from: cookie\n"
               "        name: session_id\n"
               "        expired: { path: $.error.data.name, equals: odoo.http.SessionExpiredException }\n"
               "      error: { path: $.error }\n"
               "      every: 200ms\n"
               "      records: $.result\n"
               "      paging: { type: offset, size: 2 }\n"
               "      cursor: { time: $.write_date, id: $.id, overlap: 10m }\n"
               "      details:\n"
               "        - name: move_lines\n"
               "          request: " + src("mappings/odoo/poll-moves.yaml") + "\n"
               "          ids: $.id\n"
               "          match: $.picking_id[0]\n"
               "          records: $.result\n"
               "        - name: partner\n"
               "          request: " + src("mappings/odoo/poll-partners.yaml") + "\n"
               "          ids: $.partner_id[0]\n"
               "          records: $.result\n"
               "          take: first\n";
    }
    fb::config::Config config(const std::string& password = "odoo-pw") const {
        return fb::config::parse(yaml(password), "odoo.yaml", FB_SOURCE_DIR);
    }
    std::string query(const std::string& sql) const { return fb::test::stored(state, sql).value_or(""); }
    std::string cursor_id() const { return fb::test::committed_cursor(state); }
    std::int64_t documents() const {
        auto v = query("SELECT count(*) FROM documents WHERE flow = 'odoo-out'");
        return v.empty() ? 0 : std::stoll(v);
    }
    // The work orders on Kafka by picking name (the last version of each), and how many events.
    std::map<std::string, json::object> work_orders(std::size_t at_least, std::size_t* events = nullptr) const {
        std::map<std::string, json::object> out;
        auto messages = consume_at_least(kafka.bootstrap(), "fsm.work-orders", at_least);
        if (events) *events = messages.size();
        for (const auto& m : messages) {
            auto e = json::parse(m.value).as_object();
            out[std::string(e.at("source").at("document_id").as_string())] = e;
        }
        return out;
    }
    void six_pickings() {
        erp.partner(7, "黄经理", "+86 138 7600 1234");
        erp.partner(8, "Lin Wei", "13910228834");
        for (int i = 1; i <= 6; ++i) erp.picking(i, "2026-11-20 08:4" + std::to_string(i) + ":07", 1 + i % 3, i % 2 ? 7 : 8);
    }
};

}  // namespace

TEST_CASE("Odoo: login cookie, search_read pages, moves and partners read once per page, each picking one work order with its lines") {
    OdooPoll t;
    t.six_pickings();
    t.erp.picking(7, "2026-11-20 08:50:00", 1, 0);  // no partner (partner_id false): no id to read
    RunningApp app(t.config());
    REQUIRE(eventually([&] { return t.cursor_id() == "7"; }));
    auto orders = t.work_orders(6);
    REQUIRE(orders.size() == 6);
    CHECK(t.erp.logins() == 1);

    // Batched: every stock.move call asked for the new pickings of one whole page (pages of 2,
    // each asked from the last picking of the page before: 1 2, 2 3, 3 4, …, 7 alone).
    auto moves = t.erp.calls("stock.move");
    REQUIRE(moves.size() >= 6);
    CHECK(moves[0] == std::vector<std::int64_t>{1, 2});
    for (std::int64_t i = 1; i < 6; ++i) CHECK(moves[static_cast<std::size_t>(i)] == std::vector<std::int64_t>{i + 2});
    auto partners = t.erp.calls("res.partner");
    REQUIRE(partners.size() >= 5);
    CHECK(partners[0] == std::vector<std::int64_t>{7, 8});  // each partner once per page
    CHECK(partners[1] == std::vector<std::int64_t>{7});
    CHECK(partners[2] == std::vector<std::int64_t>{8});
    // The last page's picking has no partner: no read for it (so the 6th partner call, if any, is page 1 again).
    if (partners.size() > 5) CHECK(partners[5] == std::vector<std::int64_t>{7, 8});

    const auto& wo = orders.at("WH/OUT/00001").at("work_order").as_object();
    CHECK(wo.at("source_ref") == "WH/OUT/00001");
    CHECK(wo.at("customer").at("name") == "黄经理");
    CHECK(wo.at("customer").at("phone") == "+8613876001234");
    CHECK(wo.at("customer").at("code") == "CUST7");
    CHECK(wo.at("address").at("text") == "海府路7号 570203 海口市");
    CHECK(wo.at("address").at("region") == "Hainan");
    REQUIRE(wo.at("items").as_array().size() == 2);  // 1 + 1 % 3 moves
    CHECK(wo.at("items").at(0).at("sku") == "SKU-500");
    CHECK(wo.at("items").at(1).at("quantity").to_number<double>() == 2);
    CHECK_FALSE(wo.contains("notes"));  // note: false is "no value"
    CHECK(orders.at("WH/OUT/00004").at("work_order").at("customer").at("name") == "Lin Wei");
    CHECK(orders.at("WH/OUT/00004").at("work_order").at("items").as_array().size() == 2);
    // Without a partner there is no customer nor address (partner_id is false): the picking fails
    // the work-order schema and is dead-lettered by name; the others flow.
    CHECK(orders.count("WH/OUT/00007") == 0);
    // (Each poll that re-reads it inside the overlap dead-letters it again: a failed document is
    // not remembered by the ledger.)
    auto dead = consume_at_least(t.kafka.bootstrap(), "fsm.dead-letter", 1);
    REQUIRE_FALSE(dead.empty());
    for (const auto& d : dead) CHECK_THAT(d.value, Catch::Contains("WH/OUT/00007") && Catch::Contains("customer"));
}

TEST_CASE("Odoo: SessionExpiredException in an HTTP 200 logs in again and the page is not lost") {
    OdooPoll t;
    t.six_pickings();
    RunningApp app(t.config());
    REQUIRE(eventually([&] { return t.cursor_id() == "6"; }));
    CHECK(t.erp.logins() == 1);
    t.erp.expire_sessions();
    t.erp.picking(8, "2026-11-20 09:00:00", 2);
    REQUIRE(eventually([&] { return t.cursor_id() == "8"; }));
    CHECK(t.erp.logins() == 2);
    auto orders = t.work_orders(7);
    CHECK(orders.size() == 7);
    CHECK(orders.at("WH/OUT/00008").at("work_order").at("items").as_array().size() == 2);
    auto metrics = http_request(app.port(), "GET", "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_source_logins_total{flow=\"odoo-out\",connector=\"http_poll\"} 2"));
}

TEST_CASE("Odoo: a detail read that fails fails its page — nothing of it committed, the cursor unmoved — until it succeeds") {
    OdooPoll t;
    t.six_pickings();
    t.erp.fail_for("stock.move", 3);  // the second page's moves: a serialization failure in HTTP 200
    RunningApp app(t.config());
    REQUIRE(eventually([&] { return t.erp.failures_sent() >= 2; }));
    CHECK(t.cursor_id() == "2");
    CHECK(t.documents() == 2);
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
    auto why = std::string(http_request(app.port(), "GET", "/readyz").json().at("sources").at("odoo-out").as_string());
    CHECK_THAT(why, Catch::Contains("detail `move_lines`") && Catch::Contains("SerializationFailure"));
    CHECK_THAT(why, !Catch::Contains("odoo-pw"));
    auto metrics = http_request(app.port(), "GET", "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_source_errors_total{flow=\"odoo-out\",connector=\"http_poll\",kind=\"error_answer\"}"));
    t.erp.fail_for("", 0);
    REQUIRE(eventually([&] { return t.cursor_id() == "6"; }));
    auto orders = t.work_orders(6);
    CHECK(orders.size() == 6);
    CHECK(orders.at("WH/OUT/00003").at("work_order").at("items").as_array().size() == 1);  // 1 + 3 % 3
    CHECK(orders.at("WH/OUT/00004").at("work_order").at("items").as_array().size() == 2);
}

TEST_CASE("Odoo: a wrong password is a login failure that names Odoo's answer, with the password masked") {
    OdooPoll t;
    t.six_pickings();
    RunningApp app(t.config("wrong-pw"));
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
    auto why = std::string(http_request(app.port(), "GET", "/readyz").json().at("sources").at("odoo-out").as_string());
    CHECK_THAT(why, Catch::Contains("without a session value (session_id)") && Catch::Contains("AccessDenied"));
    CHECK_THAT(why, !Catch::Contains("wrong-pw"));
    CHECK(t.cursor_id().empty());
    // Each retry of the page waits for the session's next login (1 s, then 2 s later): every
    // `login` error is a login Odoo saw, none a page that failed fast inside the backoff.
    REQUIRE(eventually([&] { return t.erp.login_attempts() >= 3; }));
    auto metrics = http_request(app.port(), "GET", "/metrics").body;
    const std::string series = "fieldbridge_source_errors_total{flow=\"odoo-out\",connector=\"http_poll\",kind=\"login\"} ";
    auto at = metrics.find(series);
    REQUIRE(at != std::string::npos);
    auto errors = std::stoi(metrics.substr(at + series.size()));
    CHECK(errors >= 2);
    CHECK(errors <= t.erp.login_attempts());
}

TEST_CASE("Odoo: kill -9 while page 2's detail read is in flight — restart: every picking one work order, none doubled") {
    OdooPoll t;
    t.six_pickings();
    t.erp.hold_once("stock.move", 3);  // the moves of page 2 (pickings 3, 4): the answer never comes
    auto config = t.dir.str("fieldbridge.yaml");
    std::ofstream(config) << t.yaml();
    {
        DaemonProcess daemon(config, t.dir.str("daemon-1.log"));
        daemon.start();
        REQUIRE(eventually([&] { return t.erp.held(); }));
        daemon.kill9();  // mid-request: page 1 committed, page 2 read, its details not
    }
    CHECK(t.cursor_id() == "2");  // the cursor never passes a record that is not committed
    CHECK(t.documents() == 2);
    DaemonProcess daemon(config, t.dir.str("daemon-2.log"));
    daemon.start();
    REQUIRE(eventually([&] { return t.cursor_id() == "6"; }));
    CHECK(t.query("SELECT count(*) FROM outbox WHERE topic = 'fsm.work-orders'") == "6");
    std::size_t events = 0;
    auto orders = t.work_orders(6, &events);
    CHECK(events == 6);
    CHECK(orders.size() == 6);
    for (const auto& [id, e] : orders) {
        CHECK(e.at("type") == "work_order.created");
        CHECK_FALSE(e.at("work_order").at("items").as_array().empty());
    }
    daemon.terminate();
}

TEST_CASE("Odoo: the dry run shows the page request and both detail requests, the session masked") {
    OdooPoll t;
    t.six_pickings();
    std::ostringstream out;
    CHECK(fb::connectors::http_poll::dry_run(t.config(), "odoo-out", 1, out) == 0);
    auto text = out.str();
    CHECK_THAT(text, Catch::Contains("request: POST " + t.erp.base() + "/web/dataset/call_kw/stock.picking/search_read"));
    CHECK_THAT(text, Catch::Contains("detail request: POST " + t.erp.base() + "/web/dataset/call_kw/stock.move/search_read"));
    CHECK_THAT(text, Catch::Contains("detail request: POST " + t.erp.base() + "/web/dataset/call_kw/res.partner/read"));
    CHECK_THAT(text, Catch::Contains("[\"picking_id\",\"in\",[1,2]]"));
    CHECK_THAT(text, Catch::Contains("Cookie: session_id=***"));
    CHECK_THAT(text, !Catch::Contains("sid1f3c9a1"));
    CHECK_THAT(text, Catch::Contains("\"source_ref\": \"WH/OUT/00001\""));
    CHECK_THAT(text, Catch::Contains("nothing was committed"));
    CHECK_FALSE(std::filesystem::exists(t.state));
}

TEST_CASE("details config mistakes name file:line:col") {
    OdooPoll t;
    auto error = [&](const std::string& from, const std::string& to) {
        auto text = t.yaml();
        auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        text.replace(at, from.size(), to);
        try {
            fb::config::parse(text, "d.yaml", FB_SOURCE_DIR);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK_THAT(error("          take: first\n", "          take: one\n"), Catch::StartsWith("d.yaml:") && Catch::Contains("not one of all, first"));
    CHECK_THAT(error("          ids: $.id\n", ""), Catch::Contains("details[0]") && Catch::Contains("ids"));
    CHECK_THAT(error("        - name: partner\n", "        - name: move_lines\n"), Catch::Contains("`move_lines` is used twice"));
    CHECK_THAT(error("          match: $.picking_id[0]\n", "          mach: $.picking_id[0]\n"),
               Catch::Contains("unknown key `mach`") && Catch::Contains("did you mean `match`"));
    CHECK_THAT(error("          take: first\n", "          take: first\n          max_pages: 5\n"),
               Catch::StartsWith("d.yaml:") && Catch::Contains("max_pages limits the next links followed: it needs `next:`"));
    CHECK_THAT(error("          take: first\n", "          take: first\n          next: $.next\n          max_pages: 0\n"),
               Catch::Contains("max_pages"));
}

TEST_CASE("a stopping source sends no further request: once stop is set, the page's next detail is not asked for") {
    OdooPoll t;
    t.six_pickings();
    auto config = t.config();
    const auto* spec = dynamic_cast<const fb::connectors::http_poll::Spec*>(config.flow("odoo-out")->source.spec.get());
    REQUIRE(spec);
    fb::connectors::http_poll::Poller poller(*spec);
    // Stop arrives while the moves are read: that read ends (answered or abandoned), the partners are never asked.
    poller.stop_when([&] { return !t.erp.calls("stock.move").empty(); });
    auto page = poller.fetch(fb::connectors::http_poll::Cursor::initial(spec->cursor), {}, fb::core::now_unix_ms());
    CHECK(page.error == fb::connectors::http_poll::Page::Error::transport);
    CHECK_THAT(page.reason, Catch::StartsWith("detail `") && Catch::Contains("stopping"));
    CHECK(t.erp.picking_pages() == 1);
    CHECK(t.erp.calls("stock.move").size() == 1);
    CHECK(t.erp.calls("res.partner").empty());
}

TEST_CASE("details per record, a second level over an earlier detail's result, batches of ids, take: first") {
    OdooPoll t;
    t.six_pickings();
    for (int i = 0; i < 3; ++i) t.erp.product(500 + i, "DV-" + std::to_string(500 + i), 1.5 + i);
    // Products of every move of the page ([*] over the first detail's result), two ids a request.
    auto products = t.dir.str("poll-products.yaml");
    std::ofstream(products) << "name: odoo-poll-products\nrequest:\n  method: POST\n"
                               "  url: { template: \"{{$.vars.base}}/web/dataset/call_kw/product.product/read\" }\n"
                               "  headers:\n    Cookie: { template: \"session_id={{$.session}}\" }\n"
                               "  body:\n    jsonrpc: \"2.0\"\n    method: call\n"
                               "    params: { model: product.product, method: read, args: [$.ids, [default_code, weight]], kwargs: { context: { lang: en_US } } }\n";
    auto text = t.yaml();
    auto at = text.find("          take: first\n");
    text.replace(at, std::string("          take: first\n").size(),
                 "          take: first\n"
                 "          per: record\n"
                 "        - name: products\n"
                 "          request: " + products + "\n"
                 "          ids: \"$.move_lines[*].product_id[0]\"\n"
                 "          records: $.result\n"
                 "          batch: 2\n");
    auto config = fb::config::parse(text, "odoo.yaml", FB_SOURCE_DIR);
    const auto* spec = dynamic_cast<const fb::connectors::http_poll::Spec*>(config.flow("odoo-out")->source.spec.get());
    REQUIRE(spec);
    fb::connectors::http_poll::Poller poller(*spec);
    auto page = poller.fetch(fb::connectors::http_poll::Cursor::initial(spec->cursor), {}, fb::core::now_unix_ms());
    REQUIRE(page.error == fb::connectors::http_poll::Page::Error::none);
    REQUIRE(page.records.size() == 2);  // pickings 1 (2 moves: products 500, 501) and 2 (3 moves: 500, 501, 502)
    // per: record — one partner read per picking, each with its one id; the answer's first row merged.
    CHECK(t.erp.calls("res.partner") == std::vector<std::vector<std::int64_t>>{{7}, {8}});
    CHECK(page.records[0].at("partner").at("name") == "黄经理");
    CHECK(page.records[1].at("partner").at("name") == "Lin Wei");
    // The page's distinct products, in batches of two; each picking gets the rows of its own moves.
    CHECK(t.erp.calls("product.product") == std::vector<std::vector<std::int64_t>>{{500, 501}, {502}});
    const auto& p1 = page.records[0].at("products").as_array();
    const auto& p2 = page.records[1].at("products").as_array();
    REQUIRE(p1.size() == 2);
    REQUIRE(p2.size() == 3);
    CHECK(p1[0].at("default_code") == "DV-500");
    CHECK(p2[2].at("default_code") == "DV-502");
    CHECK(page.detail_requests.size() == 1 + 2 + 2);  // moves, two partners, two product batches
}

TEST_CASE("a detail answer over max_body_bytes fails the page, naming the detail") {
    OdooPoll t;
    t.erp.partner(7, "黄经理", "+86 138 7600 1234");
    t.erp.picking(1, "2026-11-20 08:41:07", 60);  // 60 moves: an answer of ~15 KB
    t.erp.picking(2, "2026-11-20 08:42:07", 1);
    auto text = t.yaml() + "      max_body_bytes: 4096\n";
    auto config = fb::config::parse(text, "odoo.yaml", FB_SOURCE_DIR);
    const auto* spec = dynamic_cast<const fb::connectors::http_poll::Spec*>(config.flow("odoo-out")->source.spec.get());
    REQUIRE(spec);
    fb::connectors::http_poll::Poller poller(*spec);
    auto page = poller.fetch(fb::connectors::http_poll::Cursor::initial(spec->cursor), {}, fb::core::now_unix_ms());
    CHECK(page.error == fb::connectors::http_poll::Page::Error::transport);
    CHECK_THAT(page.reason, Catch::StartsWith("detail `move_lines`: too_large"));
    CHECK(t.erp.calls("stock.move").size() == 1);  // the page itself fitted: its moves did not
    CHECK(t.erp.calls("res.partner").empty());      // and nothing after the failed detail was asked
}
