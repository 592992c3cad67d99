// http_poll against a plain REST ERP (bearer token or login session, next links) on loopback:
// paging, the gap-safe cursor, changes between polls, failures retried without moving the
// cursor, re-login, kill -9 while polling, and the dry run.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "connectors/http_poll/http_poll.h"
#include "daemon_process.h"
#include "harness.h"
#include "publish/kafka.h"
#include "rest_erp.h"
#include "store/database.h"
#include "support/temp_dir.h"
#include "support/state_query.h"
#include "support/eventually.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

using fb::test::stored;

std::int64_t count(const std::string& state, const std::string& sql) {
    auto v = stored(state, sql);
    return v ? std::stoll(*v) : -1;
}

// The cursor's id (DocNo of the last record committed), or "".
std::string cursor_id(const std::string& state) { return fb::test::committed_cursor(state); }

struct Poll {
    fb::test::TempDir dir{"http-poll"};
    fb::publish::EmbeddedCluster kafka{1, 2, {"fsm.work-orders", "fsm.dead-letter"}};
    fb::test::RestErp erp;
    std::string state = dir.str("state.db");

    std::string yaml(const std::string& extra = "", const std::string& auth = "auth: { bearer: erp-token-7f3a }",
                     const std::string& request = "mappings/generic-rest/poll-shipments.yaml") const {
        // Absolute paths: a config written to the temp folder (the kill -9 test) resolves
        // relative ones from there.
        auto abs = [](const std::string& p) { return p.starts_with("/") ? p : std::string(FB_SOURCE_DIR) + "/" + p; };
        return "state: { path: " + state + ", synchronous: normal }\n"
               "kafka: { brokers: \"" + kafka.bootstrap() + "\" }\n"
               "http: { listen: 127.0.0.1:0 }\n"
               "flows:\n"
               "  - name: delivery\n"
               "    document_type: shipment\n"
               "    mapping: " + abs("mappings/generic-rest/shipment-to-delivery.yaml") + "\n"
               "    source:\n"
               "      type: http_poll\n"
               "      request: " + abs(request) + "\n"
               "      vars: { base: \"" + erp.base() + "\", user: fieldbridge, password: s3cret-pw }\n"
               "      " + auth + "\n"
               "      every: 200ms\n"
               "      records: $.data\n"
               "      paging: { type: next_link, next: $.next, size: 3 }\n"
               "      cursor: { time: $.ModifyTime, id: $.DocNo, overlap: 5m, settle: 0s }\n" + extra;
    }
    // yaml() with one piece of it written otherwise (`from` must be in it).
    std::string yaml_with(const std::string& from, const std::string& to,
                          const std::string& auth = "auth: { bearer: erp-token-7f3a }") const {
        auto text = yaml("", auth);
        auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        return text.replace(at, from.size(), to);
    }
    fb::config::Config config_with(const std::string& from, const std::string& to) const {
        return fb::config::parse(yaml_with(from, to), "poll-test.yaml", FB_SOURCE_DIR);
    }
    fb::config::Config config(const std::string& extra = "", const std::string& auth = "auth: { bearer: erp-token-7f3a }",
                              const std::string& request = "mappings/generic-rest/poll-shipments.yaml") const {
        return fb::config::parse(yaml(extra, auth, request), "poll-test.yaml", FB_SOURCE_DIR);
    }
    // Work-order events by event id, and how many of each type.
    std::map<std::string, json::object> events(std::size_t at_least) const {
        std::map<std::string, json::object> out;
        for (const auto& m : consume_at_least(kafka.bootstrap(), "fsm.work-orders", at_least, 60000))
            out[std::string(json::parse(m.value).at("event_id").as_string())] = json::parse(m.value).as_object();
        return out;
    }
    std::size_t of_type(const std::map<std::string, json::object>& events, const char* type) const {
        return std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.second.at("type") == type; });
    }
    std::int64_t polls(RunningApp& app) const {
        auto text = http_request(app.port(), "GET", "/metrics").body;
        auto at = text.find("fieldbridge_source_polls_total{flow=\"delivery\"");
        return at == std::string::npos ? 0 : std::stoll(text.substr(text.find('}', at) + 2));
    }
};

std::string at(int minute, int second = 0) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "2026-11-20T10:%02d:%02d+08:00", minute, second);
    return buf;
}

}  // namespace

TEST_CASE("REST + bearer + next links: every record becomes one work order, the cursor ends on the last") {
    Poll t;
    for (int i = 0; i < 7; ++i) t.erp.put("CK-" + std::to_string(100 + i), at(i));
    RunningApp app(t.config());
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-106"; }));
    auto events = t.events(7);
    CHECK(events.size() == 7);
    CHECK(t.of_type(events, "work_order.created") == 7);
    CHECK(count(t.state, "SELECT count(*) FROM documents WHERE flow = 'delivery'") == 7);
    auto metrics = http_request(app.port(), "GET", "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_source_records_total{flow=\"delivery\",connector=\"http_poll\"}"));
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_source_lag_seconds{flow=\"delivery\",connector=\"http_poll\"}"));
}

TEST_CASE("rows sharing one timestamp across a page boundary are all read, once") {
    Poll t;
    for (int i = 0; i < 5; ++i) t.erp.put("SAME-" + std::to_string(i), at(30));  // pages of 3: 3 + 2
    RunningApp app(t.config());
    REQUIRE(eventually([&] { return cursor_id(t.state) == "SAME-4"; }));
    auto p = t.polls(app);
    REQUIRE(eventually([&] { return t.polls(app) >= p + 3; }));  // the overlap re-reads them: unchanged
    auto events = t.events(5);
    CHECK(events.size() == 5);
    CHECK(t.of_type(events, "work_order.created") == 5);
}

TEST_CASE("a record committed late with an older time inside the overlap window is still read") {
    Poll t;
    for (int i = 0; i < 4; ++i) t.erp.put("CK-" + std::to_string(200 + i), at(10 + i));
    RunningApp app(t.config());
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-203"; }));
    // Committed in the ERP only now, stamped two minutes before the cursor (overlap: 5 minutes).
    t.erp.put("LATE-1", at(11, 30));
    auto events = t.events(5);
    CHECK(events.size() == 5);
    bool late = std::any_of(events.begin(), events.end(), [](const auto& e) {
        return e.second.at("source").at("document_id") == "LATE-1";
    });
    CHECK(late);
    CHECK(cursor_id(t.state) == "CK-203");  // the cursor never moves back
}

TEST_CASE("a record changed between two polls yields one work_order.updated and nothing else") {
    Poll t;
    for (int i = 0; i < 3; ++i) t.erp.put("CK-" + std::to_string(300 + i), at(20 + i));
    RunningApp app(t.config());
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-302"; }));
    t.erp.put("CK-301", at(40), "望京西路50号院 新地址");
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-301"; }));
    auto p = t.polls(app);
    REQUIRE(eventually([&] { return t.polls(app) >= p + 3; }));
    auto events = t.events(4);
    CHECK(events.size() == 4);
    CHECK(t.of_type(events, "work_order.created") == 3);
    CHECK(t.of_type(events, "work_order.updated") == 1);
}

TEST_CASE("a record that fails its mapping is one dead-letter entry however often the overlap re-reads it") {
    Poll t;
    for (int i = 0; i < 4; ++i) t.erp.put("CK-" + std::to_string(500 + i), at(10 + i));
    t.erp.break_phone("CK-501");
    RunningApp app(t.config());
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-503"; }));
    // Each poll re-reads CK-501 in its overlap window: its arrivals are counted on the one entry.
    // (Waiting on the count itself: a poll is counted when it starts, its commit comes later.)
    REQUIRE(eventually([&] {
        return count(t.state, "SELECT coalesce(max(repeats), 0) FROM dead_letter WHERE document_id = 'CK-501'") >= 3;
    }));
    CHECK(count(t.state, "SELECT count(*) FROM dead_letter WHERE document_id = 'CK-501'") == 1);
    CHECK(count(t.state, "SELECT count(*) FROM documents WHERE flow = 'delivery'") == 3);  // its neighbours flow
    auto events = t.events(3);
    CHECK(t.of_type(events, "work_order.created") == 3);
}

TEST_CASE("500s and timeouts are retried without moving the cursor past the failing page") {
    Poll t;
    for (int i = 0; i < 6; ++i) t.erp.put("CK-" + std::to_string(400 + i), at(i));
    t.erp.block_from_offset(3);  // the second page fails until allowed
    RunningApp app(t.config("      timeout: 300ms\n"));
    REQUIRE(eventually([&] { return t.erp.failures_sent() >= 3; }));
    CHECK(cursor_id(t.state) == "CK-402");  // the first page only
    // Degraded once Kafka is known reachable (readiness says "not connected yet" for a moment).
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
    auto ready = http_request(app.port(), "GET", "/readyz").json();
    CHECK_THAT(std::string(ready.at("sources").at("delivery").as_string()), Catch::Contains("HTTP 500"));
    t.erp.block_from_offset(-1);
    t.erp.hang_next(1);  // and one answer that never comes: a timeout
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-405"; }));
    CHECK(t.events(6).size() == 6);
    auto metrics = http_request(app.port(), "GET", "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_source_errors_total{flow=\"delivery\",connector=\"http_poll\",kind=\"status\"}"));
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "ok"; }));
}

TEST_CASE("an answer with more records than paging.max_records fails the page before any is taken in") {
    // An ERP that ignores the page size (or a hostile answer of a million `{}`s, ~2 KiB each on
    // their way to the state file) is refused whole, the cursor unmoved, until it pages again.
    Poll t;
    for (int i = 0; i < 12; ++i) t.erp.put("CK-" + std::to_string(700 + i), at(i));
    t.erp.ignore_limit(true);
    RunningApp app(t.config_with("size: 3 }", "size: 3, max_records: 10 }"));
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
    auto ready = http_request(app.port(), "GET", "/readyz").json();
    CHECK_THAT(std::string(ready.at("sources").at("delivery").as_string()),
               Catch::Contains("the answer holds 12 records at $.data, more than paging.max_records (10)"));
    CHECK(cursor_id(t.state) == "");
    CHECK(count(t.state, "SELECT count(*) FROM documents") == 0);
    CHECK(count(t.state, "SELECT count(*) FROM dead_letter") == 0);
    t.erp.ignore_limit(false);
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-711"; }));
    CHECK(t.events(12).size() == 12);
}

TEST_CASE("an empty page without its list fails the page, unless records_missing: empty reads it as no records") {
    Poll t;
    t.erp.omit_empty_list(true);  // a window without changes: `{"next": null}`
    {
        RunningApp app(t.config());
        REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
        auto why = std::string(http_request(app.port(), "GET", "/readyz").json().at("sources").at("delivery").as_string());
        CHECK_THAT(why, Catch::Contains("no list of records at $.data in the answer (records_missing: empty reads"));
    }
    RunningApp app(t.config_with("records: $.data\n", "records_missing: empty\n      records: $.data\n"));
    auto polls = t.polls(app);
    REQUIRE(eventually([&] { return t.polls(app) >= polls + 3; }));
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "ok"; }));
    CHECK(cursor_id(t.state) == "");
    t.erp.put("CK-801", at(1));
    t.erp.put("CK-802", at(2));
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-802"; }));
    CHECK(t.events(2).size() == 2);
}

TEST_CASE("a cursor time that no record has takes the records in but degrades the source, saying the cursor cannot move") {
    // QuickBooks' query language says Metadata.LastUpdatedTime, its JSON MetaData: the path
    // reads nothing, the cursor stays at `initial`, every poll reads the whole history again.
    Poll t;
    for (int i = 0; i < 2; ++i) t.erp.put("CK-" + std::to_string(900 + i), at(i));
    RunningApp app(t.config_with("time: $.ModifyTime,", "time: $.Modify_Time,"));
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
    auto why = std::string(http_request(app.port(), "GET", "/readyz").json().at("sources").at("delivery").as_string());
    CHECK_THAT(why, Catch::Contains("none of the 2 records of a page has a readable $.Modify_Time: the cursor cannot move"));
    CHECK(t.events(2).size() == 2);  // taken in all the same: nothing is lost
    CHECK(cursor_id(t.state) == "");
}

TEST_CASE("an answer that is not JSON names its Content-Type and how it starts, and the page is asked again") {
    Poll t;
    t.erp.put("CK-951", at(1));
    t.erp.html_next(1000);
    RunningApp app(t.config());
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
    auto why = std::string(http_request(app.port(), "GET", "/readyz").json().at("sources").at("delivery").as_string());
    CHECK_THAT(why, Catch::Contains("the answer is not JSON: invalid JSON at line 1, column 1") &&
                        Catch::Contains("(Content-Type: text/html; charset=utf-8); it starts `<html><head><title>Sign in</title>"));
    t.erp.html_next(0);
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-951"; }));
}

TEST_CASE("a hung ERP request does not hold the shutdown: it is abandoned, not waited out") {
    Poll t;
    t.erp.put("CK-450", at(1));
    t.erp.hang_next(1);  // the first page is never answered
    auto app = std::make_unique<RunningApp>(t.config("      timeout: 120s\n"));
    REQUIRE(eventually([&] { return t.erp.failures_sent() >= 1; }));  // the request is in flight
    auto stopped = std::async(std::launch::async, [&] { app.reset(); });
    // Without abandoning it the stop would wait for the 120 s timeout.
    CHECK(stopped.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
    CHECK(cursor_id(t.state).empty());
}

TEST_CASE("an expired session (401) logs in again and the page is not lost") {
    Poll t;
    for (int i = 0; i < 6; ++i) t.erp.put("CK-" + std::to_string(500 + i), at(i));
    RunningApp app(t.config("      login: { request: mappings/generic-rest/poll-login.yaml, from: body, name: $.token }\n",
                            "auth: {}", "mappings/generic-rest/poll-shipments-session.yaml"));
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-505"; }));
    CHECK(t.erp.logins() == 1);
    t.erp.expire_session();
    t.erp.put("CK-506", at(10));
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-506"; }));
    CHECK(t.erp.logins() == 2);
    CHECK(t.events(7).size() == 7);
}

TEST_CASE("kill -9 right after a page's commit: the restart loses and doubles nothing") {
    Poll t;
    for (int i = 0; i < 8; ++i) t.erp.put("CK-" + std::to_string(600 + i), at(i));
    auto config = t.dir.str("fieldbridge.yaml");
    std::ofstream(config) << t.yaml();
    {
        setenv("FIELDBRIDGE_TEST_CRASH_AT", "poll.committed", 1);
        DaemonProcess daemon(config, t.dir.str("daemon-1.log"));
        daemon.start();
        unsetenv("FIELDBRIDGE_TEST_CRASH_AT");
        REQUIRE(daemon.wait_exit(60000));
    }
    CHECK(cursor_id(t.state) == "CK-602");  // one page committed, then the kill
    DaemonProcess daemon(config, t.dir.str("daemon-2.log"));
    daemon.start();
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-607"; }));
    CHECK(count(t.state, "SELECT count(*) FROM outbox WHERE topic = 'fsm.work-orders'") == 8);
    auto events = t.events(8);
    CHECK(events.size() == 8);
    CHECK(t.of_type(events, "work_order.created") == 8);
    daemon.terminate();
}

TEST_CASE("the dry run prints the request with its secret masked, the records, the cursor and the work orders, and commits nothing") {
    Poll t;
    for (int i = 0; i < 2; ++i) t.erp.put("CK-" + std::to_string(700 + i), at(i));
    std::ostringstream out;
    CHECK(fb::connectors::http_poll::dry_run(t.config(), "delivery", 2, out) == 0);
    auto text = out.str();
    CHECK_THAT(text, Catch::Contains("request: GET " + t.erp.base() + "/api/shipments?updated_since="));
    CHECK_THAT(text, Catch::Contains("Authorization: Bearer ***"));
    CHECK_THAT(text, !Catch::Contains("erp-token-7f3a"));
    CHECK_THAT(text, Catch::Contains("records: 2"));
    CHECK_THAT(text, Catch::Contains("\"id\":\"CK-701\""));
    CHECK_THAT(text, Catch::Contains("\"source_ref\": \"CK-700\""));
    CHECK_THAT(text, Catch::Contains("nothing was committed"));
    CHECK_FALSE(std::filesystem::exists(t.state));
}

TEST_CASE("http_poll config mistakes name file:line:col") {
    Poll t;
    auto error = [&](const std::string& extra, const std::string& request = "mappings/generic-rest/poll-shipments.yaml") {
        try {
            fb::config::parse(t.yaml(extra, "auth: {}", request), "p.yaml", FB_SOURCE_DIR);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error("") == "no error");
    CHECK_THAT(error("      catch_upp: true\n"), Catch::StartsWith("p.yaml:17:7: unknown key `catch_upp`") &&
                                                   Catch::Contains("did you mean `catch_up`"));
    CHECK_THAT(error("      login: { request: mappings/generic-rest/poll-login.yaml, from: bodyy, name: x }\n"),
               Catch::StartsWith("p.yaml:17:") && Catch::Contains("not one of body, cookie, cookies, header"));
    CHECK_THAT(error("", "mappings/generic-rest/shipment-to-delivery.yaml"),
               Catch::Contains("is a work-order mapping"));
    auto with = [&](const std::string& from, const std::string& to) {
        try {
            fb::config::parse(t.yaml_with(from, to, "auth: {}"), "p.yaml", FB_SOURCE_DIR);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    // A cursor.initial the cursor cannot read would have started the first poll from 1970.
    auto initial = [&](const std::string& value) {
        return with("settle: 0s }", "settle: 0s, initial: \"" + value + "\" }");
    };
    CHECK_THAT(initial("2026/01/01"), Catch::StartsWith("p.yaml:16:") &&
                                          Catch::Contains(".initial: `2026/01/01` is not a time the cursor reads"));
    CHECK_THAT(initial("yesterday"), Catch::Contains("`yesterday` is not a time the cursor reads"));
    CHECK(initial("2026-01-01") == "no error");
    CHECK(initial("2026-01-01T00:00:00+05:30") == "no error");
    CHECK(initial("1767225600") == "no error");
    // Paths into the answer are checked at load: a typo would have failed every page (records)
    // or read nothing for ever (a cursor field: every poll re-reads the whole history).
    CHECK_THAT(with("records: $.data", "records: data"),
               Catch::StartsWith("p.yaml:14:16: ") && Catch::Contains("records: `data` is not a path into the answer: a path starts with `$`"));
    CHECK_THAT(with("id: $.DocNo,", "id: \"$.DocNo +\","),
               Catch::StartsWith("p.yaml:16:") && Catch::Contains("cursor.id: `$.DocNo +`: `DocNo +` is not a plain name; quote a name with spaces or signs as $['DocNo +']"));
    CHECK_THAT(with("time: $.ModifyTime,", "time: \"$.Lines[*].ModifyTime\","),
               Catch::Contains("[*] reads many values, and one is wanted here"));
    CHECK_THAT(with("next: $.next,", "next: \"$.links[next]\","), Catch::Contains("an index is digits in brackets"));
    CHECK(with("records: $.data", "records: \"$['data']\"") == "no error");
    CHECK(with("records: $.data", "records: $.QueryResponse.Sales-Order") == "no error");  // a hyphen is part of a name
}

// A stored cursor that does not parse would have had the poll start again from cursor.initial:
// the ERP's whole history read again, or what lies between skipped. The source fails instead,
// naming it, and asks the ERP nothing.
TEST_CASE("a stored cursor that does not parse fails the source, naming it, and nothing is polled") {
    Poll t;
    t.erp.put("CK-950", at(1));
    const std::string broken = R"({"time_ms":"yesterday","id":"CK-949"})";
    {
        fb::store::Database db(t.state);
        db.exec("INSERT INTO source_state (flow, key, value, updated_at) VALUES ('delivery', 'cursor', '" + broken +
                "', '2026-11-20T00:00:00Z')");
    }
    RunningApp app(t.config());
    std::string why;
    REQUIRE(eventually([&] {
        auto ready = http_request(app.port(), "GET", "/readyz").json();
        why = ready.at("status") == "degraded" ? std::string(ready.at("sources").at("delivery").as_string()) : "";
        return !why.empty();
    }));
    CHECK_THAT(why, Catch::Contains("the stored cursor `" + broken + "` does not parse") &&
                        Catch::Contains("not polling rather than starting again from cursor.initial"));
    CHECK(t.erp.queries() == 0);
    CHECK(stored(t.state, "SELECT value FROM source_state WHERE key = 'cursor'") == broken);
}

TEST_CASE("backpressure: polling pauses while the outbox is over its high-water mark, and resumes") {
    Poll t;
    for (int i = 0; i < 9; ++i) t.erp.put("CK-" + std::to_string(800 + i), at(i));
    t.kafka.set_broker_down(1, true);  // nothing leaves the outbox
    auto text = "outbox: { high_water: 3, low_water: 1 }\n" + t.yaml();
    RunningApp app(fb::config::parse(text, "bp.yaml", FB_SOURCE_DIR));
    auto paused = [&] {
        auto m = http_request(app.port(), "GET", "/metrics").body;
        auto at = m.find("fieldbridge_source_paused_total{flow=\"delivery\"");
        return at == std::string::npos ? 0 : std::stoll(m.substr(m.find('}', at) + 2));
    };
    REQUIRE(eventually([&] { return paused() >= 1; }));
    CHECK(cursor_id(t.state) == "CK-802");  // the first page only: the second waits for room
    auto queries = t.erp.queries();
    t.kafka.set_broker_down(1, false);
    REQUIRE(eventually([&] { return cursor_id(t.state) == "CK-808"; }));
    CHECK(t.erp.queries() > queries);
    CHECK(t.events(9).size() == 9);
}

TEST_CASE("a failing poll source degrades readiness and leaves the other flows running") {
    Poll t;
    t.erp.put("CK-900", at(1));
    t.erp.fail_next(1000000);  // the ERP is down for the whole test
    auto text = t.yaml() +
                "  - name: hooks\n"
                "    source: { type: webhook }\n"
                "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n";
    RunningApp app(fb::config::parse(text, "two.yaml", FB_SOURCE_DIR));
    REQUIRE(eventually([&] { return t.erp.failures_sent() >= 2; }));
    auto reply = http_request(app.port(), "POST", "/webhooks/hooks", sample("generic-rest/shipment-CK20261120-0042.json"),
                              {{"Content-Type", "application/json"}});
    CHECK(reply.status == 202);
    REQUIRE(eventually([&] { return http_request(app.port(), "GET", "/readyz").json().at("status") == "degraded"; }));
    auto ready = http_request(app.port(), "GET", "/readyz");
    CHECK(ready.status == 200);
    CHECK(ready.json().at("sources").at("hooks") == "ok");
    CHECK_THAT(std::string(ready.json().at("sources").at("delivery").as_string()), Catch::StartsWith("failing since"));
    auto events = t.events(1);
    REQUIRE(events.size() == 1);
    CHECK(events.begin()->second.at("source").at("flow") == "hooks");
    CHECK(cursor_id(t.state).empty());
}

TEST_CASE("the dialect example config (every polled dialect in mappings/) loads and validates") {
    for (const char* name : {"ERP_TOKEN", "KINGDEE_PASSWORD", "S4_PASSWORD", "ODOO_PASSWORD", "ERPNEXT_API_KEY",
                             "ERPNEXT_API_SECRET", "B1_PASSWORD", "TRYTON_PASSWORD", "SHOPIFY_TOKEN",
                             "NS_CLIENT_ID", "NS_CLIENT_SECRET", "DOLIBARR_API_KEY"})
        setenv(name, "x", 1);
    auto config = fb::config::load(std::string(FB_SOURCE_DIR) + "/deploy/examples/poll-dialects.yaml");
    REQUIRE(config.flows.size() == 10);
    for (const auto& f : config.flows) CHECK(f.source.type == "http_poll");
    auto flows = fb::app::load_flows(config, nullptr);
    CHECK(flows.size() == 10);
}
