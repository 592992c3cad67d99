// Dolibarr, configured from the README alone (mappings/dolibarr/, connectors/http_poll/README.md)
// against a Dolibarr simulator (dolibarr_simulator.h): shipments polled page by page into work
// orders on Kafka with their thirdparty, the empty list Dolibarr answers as HTTP 404 read as the
// end of the data (`empty_answer:`), the platform's status events closing a shipment exactly once
// (a lost answer resent meets Dolibarr's 304 and succeeds), a failure noted on the shipment, and a
// shipment edited in Dolibarr published once as work_order.updated.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <map>
#include <sstream>

#include "connectors/http_poll/http_poll.h"
#include "dolibarr_simulator.h"
#include "harness.h"
#include "loop_support.h"
#include "support/state_query.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

const std::string empty_answer =
    "      empty_answer: { status: 404, path: $.error.message, equals: \"Not Found: No shipment found\" }\n";

// The flow as an integrator writes it from connectors/http_poll/README.md's Dolibarr example.
const std::string thirdparty_gone =
    "          empty_answer: { status: 404, path: $.error.message, equals: \"Not Found: Thirdparty not found\" }\n";

std::string config_text(const std::string& state, const ErpSimulator& erp, const std::string& empty = empty_answer,
                        const std::string& base_path = "", const std::string& key = Dolibarr::api_key,
                        const std::string& gone = thirdparty_gone) {
    return "state: { path: " + state + ", synchronous: normal }\n"
           "kafka: { brokers: embedded, embedded_brokers: 1, embedded_partitions: 3 }\n"
           "http: { listen: 127.0.0.1:0 }\n"
           "flows:\n"
           "  - name: dolibarr\n"
           "    document_type: shipment\n"
           "    mapping: mappings/dolibarr/shipment-to-delivery.yaml\n"
           "    source:\n"
           "      type: http_poll\n"
           "      request: mappings/dolibarr/poll-shipments.yaml\n"
           "      vars: { base: \"" + erp.url(base_path) + "\" }\n"
           "      auth: { api_key: { value: \"" + key + "\", header: DOLAPIKEY } }\n"
           "      every: 100ms\n"
           "      records: $\n" + empty +
           "      paging: { type: page_number, size: 2 }\n"
           "      cursor: { time: $.date_modification, time_fallback: $.date_creation, id: $.id, tz: Europe/Paris, overlap: 5m, initial: \"2020-01-01T00:00:00Z\" }\n"
           "      details:\n"
           "        - name: thirdparty\n"
           "          request: mappings/dolibarr/poll-thirdparty.yaml\n"
           "          per: record\n"
           "          ids: $.socid\n"
           "          records: $\n" + gone +
           "    writeback:\n"
           "      mapping: [mappings/dolibarr/shipment-close.yaml, mappings/dolibarr/shipment-failure-note.yaml]\n"
           "      sink: { type: http, base_url: \"" + erp.url() + "\", auth: { api_key: { value: \"" + key + "\", header: DOLAPIKEY } } }\n"
           "      retry: { initial: 50ms, max: 400ms }\n";
}

fb::config::Config config(const std::string& state, const ErpSimulator& erp, const std::string& empty = empty_answer,
                          const std::string& base_path = "", const std::string& key = Dolibarr::api_key,
                          const std::string& gone = thirdparty_gone) {
    return fb::config::parse(config_text(state, erp, empty, base_path, key, gone), "dolibarr.yaml", FB_SOURCE_DIR);
}

std::int64_t metric(RunningApp& app, const std::string& series) {
    auto text = http_request(app.port(), "GET", "/metrics").body;
    auto at = text.find(series);
    if (at == std::string::npos) return 0;
    return std::stoll(text.substr(text.find(' ', at + series.size()) + 1));
}
const std::string polls = "fieldbridge_source_polls_total{flow=\"dolibarr\"";
const std::string status_errors = "fieldbridge_source_errors_total{flow=\"dolibarr\",connector=\"http_poll\",kind=\"status\"";

// Waits for `n` more polls to have run, each from its first page to its last:
// the counter moves when a poll starts, before its request reaches the ERP, so the n-th is over
// only once the one after it has started.
void wait_polls(RunningApp& app, int n) {
    auto p = metric(app, polls);
    REQUIRE(wait_for([&] { return metric(app, polls) >= p + n + 1; }));
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The work-order events on Kafka per document id, as "created", "updated", …
std::map<std::string, std::vector<std::string>> events_by_document(const std::vector<Message>& messages) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& m : messages) {
        auto v = json::parse(m.value);
        std::string type(v.at("type").as_string());
        out[std::string(v.at("source").at("document_id").as_string())].push_back(type.substr(type.find('.') + 1));
    }
    return out;
}

}  // namespace

TEST_CASE("Dolibarr: shipments polled by page into work orders with their thirdparty, closed once by the status events, a failure noted, an edit one update") {
    StateFile state("dolibarr.db");
    Dolibarr dolibarr;
    ErpSimulator erp([&](const Received& r) { return dolibarr.handle(r); });
    dolibarr.add_thirdparty(7, "Leroy Cuisines SARL", "Lyon");
    dolibarr.add_thirdparty(8, "Boulangerie Martin", "Villeurbanne");
    const auto t0 = now_seconds() - 3600;
    dolibarr.add_shipment(1, 7, t0);
    dolibarr.add_shipment(2, 7, t0 + 10);  // 2 and 3 share tms and straddle pages 0 and 1
    dolibarr.add_shipment(3, 7, t0 + 10);
    dolibarr.add_shipment(4, 8, t0 + 20);
    dolibarr.add_shipment(5, 8, t0 + 30);
    dolibarr.add_shipment(6, 8, t0 + 40, 0);  // a draft: read, filtered, never a work order
    RunningApp daemon(config(state.path, erp));
    const auto bootstrap = daemon.app().kafka_bootstrap();

    REQUIRE(wait_for([&] { return fb::test::committed_cursor(state.path) == "6"; }));
    wait_polls(daemon, 2);
    auto first = consume_at_least(bootstrap, "fsm.work-orders", 5);
    auto events = events_by_document(first);
    CHECK(events.size() == 5);
    for (const auto* id : {"1", "2", "3", "4", "5"}) CHECK(events[id] == std::vector<std::string>{"created"});
    CHECK(events.count("6") == 0);
    // Pages 0, 1, 2 were full; page 3 was Dolibarr's 404 "No shipment found": the end, no error.
    auto pages = dolibarr.pages();
    REQUIRE(pages.size() >= 4);
    CHECK(std::vector<std::string>(pages.begin(), pages.begin() + 4) == std::vector<std::string>{"0", "1", "2", "3"});
    CHECK(dolibarr.empty_lists() >= 1);
    CHECK(metric(daemon, status_errors) == 0);
    auto ready = http_request(daemon.port(), "GET", "/readyz");
    INFO(ready.body);
    CHECK(ready.status == 200);
    CHECK(ready.body.find("\"dolibarr\":\"ok\"") != std::string::npos);
    // The thirdparty read per record is in the work order.
    for (const auto& m : first) {
        auto v = json::parse(m.value);
        if (v.at("source").at("document_id") != "4") continue;
        const auto& wo = v.at("work_order");
        CHECK(wo.at("source_ref") == "SH2611-00004");
        CHECK(wo.at("customer").at("name") == "Boulangerie Martin");
        CHECK(wo.at("customer").at("phone") == "+33478123408");
        CHECK(wo.at("address").at("text") == "12 rue des Lilas, 69003 Villeurbanne");
        CHECK(wo.at("items").as_array().size() == 2);
    }

    // The platform's events: 1 completes (with a duplicate and a late one), 2 completes but
    // Dolibarr's answer to the close is lost (applied, answered 500), 3 fails.
    dolibarr.fail_after_closing(2);
    publish_status(bootstrap, "fsm.work-order-status",
                   {status_event("1-accepted.json", "WO-dolibarr-1", "e-1a"),
                    status_event("2-en-route.json", "WO-dolibarr-1", "e-1b"),
                    status_event("3-arrived.json", "WO-dolibarr-1", "e-1c"),
                    status_event("4-completed.json", "WO-dolibarr-1", "e-1d"),
                    status_event("4-completed.json", "WO-dolibarr-1", "e-1d"),
                    status_event("late-en-route.json", "WO-dolibarr-1", "e-1e"),
                    status_event("4-completed.json", "WO-dolibarr-2", "e-2"),
                    status_event("failed-customer-absent.json", "WO-dolibarr-3", "e-3")});
    REQUIRE(wait_for([&] { return query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'done'") == 3; }));
    CHECK(dolibarr.calls("POST", "/api/index.php/shipments/1/close").size() == 1);
    CHECK(dolibarr.status(1) == 2);
    auto closes2 = dolibarr.calls("POST", "/api/index.php/shipments/2/close");
    CHECK(closes2.size() == 2);  // the lost answer, then the resend Dolibarr answers 304
    CHECK(dolibarr.status(2) == 2);
    CHECK(dolibarr.calls("POST", "/api/index.php/shipments/3/close").empty());
    CHECK(dolibarr.status(3) == 1);
    CHECK(dolibarr.calls("PUT", "/api/index.php/shipments/3").size() == 1);
    CHECK(dolibarr.note_private(3).find("fieldbridge: delivery failed") != std::string::npos);
    CHECK(dolibarr.note_private(3).find("CUSTOMER_ABSENT") != std::string::npos);
    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks WHERE state != 'done'") == 0);

    // Someone edits shipment 4 in Dolibarr: one work_order.updated. The shipments the writebacks
    // changed come back too (tms moved): 1 and 2 closed (filtered), 3 with its note (unchanged).
    dolibarr.edit_quantity(4, 3, now_seconds());
    REQUIRE(wait_for([&] { return events_by_document(consume_all(bootstrap, "fsm.work-orders"))["4"].size() == 2; }));
    wait_polls(daemon, 3);
    events = events_by_document(consume_all(bootstrap, "fsm.work-orders"));
    CHECK(events["4"] == std::vector<std::string>{"created", "updated"});
    for (const auto* id : {"1", "2", "3", "5"}) CHECK(events[id] == std::vector<std::string>{"created"});
    CHECK(metric(daemon, status_errors) == 0);
}

TEST_CASE("Dolibarr: a shipment whose thirdparty was deleted is dead-lettered with its reason, the page goes on, without the detail's empty_answer it blocks its page") {
    Dolibarr dolibarr;
    ErpSimulator erp([&](const Received& r) { return dolibarr.handle(r); });
    dolibarr.add_thirdparty(7, "Leroy Cuisines SARL", "Lyon");
    const auto t0 = now_seconds() - 3600;
    dolibarr.add_shipment(1, 7, t0);
    dolibarr.add_shipment(2, 99, t0 + 10);  // thirdparty 99 is gone: /thirdparties/99 answers 404
    dolibarr.add_shipment(3, 7, t0 + 20);
    const std::string none_metric = "fieldbridge_source_details_none_total{flow=\"dolibarr\"";
    SECTION("with it: 1 and 3 are work orders, 2 a dead letter naming the customer") {
        StateFile state("dolibarr-gone.db");
        RunningApp daemon(config(state.path, erp));
        REQUIRE(wait_for([&] { return fb::test::committed_cursor(state.path) == "3"; }));
        auto events = events_by_document(consume_at_least(daemon.app().kafka_bootstrap(), "fsm.work-orders", 2));
        CHECK(events["1"] == std::vector<std::string>{"created"});
        CHECK(events["3"] == std::vector<std::string>{"created"});
        CHECK(events.count("2") == 0);
        auto reason = fb::test::stored(state.path, "SELECT reason FROM dead_letter WHERE document_id = '2'");
        REQUIRE(reason);
        INFO(*reason);
        CHECK_THAT(*reason, Catch::Contains("customer"));
        // Shipment 2 stays in the overlap window and its thirdparty is read again each poll:
        // counted (and logged) once, not once a poll.
        wait_polls(daemon, 2);
        CHECK(erp.received("GET", "/api/index.php/thirdparties/99").size() >= 3);
        CHECK(metric(daemon, none_metric) == 1);
        CHECK(metric(daemon, status_errors) == 0);
        CHECK(http_request(daemon.port(), "GET", "/readyz").body.find("\"dolibarr\":\"ok\"") != std::string::npos);
    }
    SECTION("the dry run shows the answer read as none") {
        StateFile state("dolibarr-gone-dry.db");
        auto cfg = config(state.path, erp);
        std::ostringstream out;
        fb::connectors::http_poll::dry_run(cfg, "dolibarr", 1, out);
        INFO(out.str());
        CHECK_THAT(out.str(), Catch::Contains("(detail `thirdparty`: GET ") && Catch::Contains("/thirdparties/99 answered 404 (empty_answer), read as []"));
    }
    SECTION("without it: the page fails on the 404, nothing of it is committed, readiness names the detail") {
        StateFile state("dolibarr-gone-blocked.db");
        RunningApp daemon(config(state.path, erp, empty_answer, "", Dolibarr::api_key, ""));
        REQUIRE(wait_for([&] { return metric(daemon, status_errors) >= 2; }));  // the page read again, failing again
        CHECK(fb::test::committed_cursor(state.path).empty());
        CHECK_FALSE(fb::test::stored(state.path, "SELECT id FROM dead_letter"));
        auto ready = http_request(daemon.port(), "GET", "/readyz").body;
        INFO(ready);
        CHECK_THAT(ready, Catch::Contains("detail `thirdparty`: HTTP 404"));
    }
}

TEST_CASE("Dolibarr: a quiet Dolibarr (every list a 404 \"No shipment found\") is an empty poll with empty_answer, a failing one without") {
    StateFile state("dolibarr-empty.db");
    Dolibarr dolibarr;
    ErpSimulator erp([&](const Received& r) { return dolibarr.handle(r); });
    {
        RunningApp daemon(config(state.path, erp));
        wait_polls(daemon, 3);
        CHECK(dolibarr.empty_lists() >= 3);
        CHECK(metric(daemon, status_errors) == 0);
        auto ready = http_request(daemon.port(), "GET", "/readyz");
        INFO(ready.body);
        CHECK(ready.body.find("\"dolibarr\":\"ok\"") != std::string::npos);
    }
    // The same answers without `empty_answer:` are HTTP errors: the flow is failing.
    StateFile plain("dolibarr-empty-plain.db");
    RunningApp daemon(config(plain.path, erp, ""));
    REQUIRE(wait_for([&] { return metric(daemon, status_errors) >= 1; }));
    REQUIRE(wait_for([&] { return http_request(daemon.port(), "GET", "/readyz").body.find("\"dolibarr\":\"failing since") != std::string::npos; }));
}

TEST_CASE("Dolibarr: empty_answer needs the body to match: a 404 for a wrong URL or a 401 for a wrong key stays a failure") {
    Dolibarr dolibarr;
    ErpSimulator erp([&](const Received& r) { return dolibarr.handle(r); });
    SECTION("a wrong base path: Dolibarr's plain 404 \"Not Found\"") {
        StateFile state("dolibarr-wrong-url.db");
        RunningApp daemon(config(state.path, erp, empty_answer, "/dolibarr"));
        REQUIRE(wait_for([&] { return metric(daemon, status_errors) >= 1; }));
        CHECK(dolibarr.empty_lists() == 0);
        auto ready = http_request(daemon.port(), "GET", "/readyz");
        CHECK(ready.body.find("HTTP 404") != std::string::npos);
    }
    SECTION("a wrong DOLAPIKEY: 401, and the key is never shown") {
        StateFile state("dolibarr-wrong-key.db");
        RunningApp daemon(config(state.path, erp, empty_answer, "", "not-the-key-0d9c"));
        REQUIRE(wait_for([&] { return metric(daemon, status_errors) >= 1; }));
        auto ready = http_request(daemon.port(), "GET", "/readyz");
        CHECK(ready.body.find("HTTP 401") != std::string::npos);
        CHECK(ready.body.find("not-the-key-0d9c") == std::string::npos);
    }
}

TEST_CASE("Dolibarr 19 and later answer an empty list as 200 []: the same config reads it, the dry run masks DOLAPIKEY") {
    StateFile state("dolibarr-19.db");
    Dolibarr dolibarr;
    dolibarr.answers_empty_list_as_200();
    dolibarr.add_thirdparty(7, "Leroy Cuisines SARL", "Lyon");
    const auto t0 = now_seconds() - 3600;
    dolibarr.add_shipment(1, 7, t0);
    dolibarr.add_shipment(2, 7, t0 + 5);
    ErpSimulator erp([&](const Received& r) { return dolibarr.handle(r); });
    auto cfg = config(state.path, erp);
    std::ostringstream out;
    fb::connectors::http_poll::dry_run(cfg, "dolibarr", 3, out);
    INFO(out.str());
    CHECK(out.str().find(Dolibarr::api_key) == std::string::npos);
    CHECK(out.str().find("DOLAPIKEY: ***") != std::string::npos);
    CHECK(out.str().find("SH2611-00002") != std::string::npos);
    CHECK(out.str().find("(last page)") != std::string::npos);
    CHECK(dolibarr.empty_lists() == 0);
}

TEST_CASE("Dolibarr: empty_answer mistakes name file:line:col") {
    Dolibarr dolibarr;
    ErpSimulator erp([&](const Received& r) { return dolibarr.handle(r); });
    auto error = [&](const std::string& empty) {
        try {
            fb::config::parse(config_text("unused.db", erp, empty), "d.yaml", FB_SOURCE_DIR);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error(empty_answer) == "no error");
    CHECK_THAT(error("      empty_answer: { status: 404 }\n"),
               Catch::StartsWith("d.yaml:15:") && Catch::Contains("needs `path:`"));
    CHECK_THAT(error("      empty_answer: { path: $.error.message }\n"),
               Catch::StartsWith("d.yaml:15:") && Catch::Contains("needs `status:`"));
    CHECK_THAT(error("      empty_answer: { status: 200, path: $.error.message }\n"),
               Catch::StartsWith("d.yaml:15:") && Catch::Contains("a 2xx answer is read as an answer already"));
    CHECK_THAT(error("      empty_answer: { status: 404, path: $.error.message, equal: x }\n"),
               Catch::StartsWith("d.yaml:15:") && Catch::Contains("unknown key `equal`"));
}
