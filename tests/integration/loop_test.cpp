// Closing the loop, end to end: status events on the embedded Kafka → the work order's state →
// the writeback, here through the file-export sink (what a file-importing ERP sees).
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "connectors/file_export/file_export_sink.h"
#include "harness.h"
#include "ledger/dead_letter.h"
#include "loop_support.h"
#include "store/database.h"
#include "writeback/queue.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

json::value key_of(const std::string& work_order_id, const std::string& to) {
    return json::value(fb::writeback::idempotency_key(work_order_id, to));
}

const std::string wo42 = "WO-delivery-CK20261120-0042";

std::string loop_config_text(const std::string& state, const std::string& folder,
                             const std::string& sink_extra = "") {
    return "state: { path: " + state + ", synchronous: normal }\n"
           "kafka: { brokers: embedded, embedded_brokers: 1, embedded_partitions: 3 }\n"
           "http: { listen: 127.0.0.1:0 }\n"
           "status: { group_id: loop-test }\n"
           "flows:\n"
           "  - name: delivery\n"
           "    document_type: shipment\n"
           "    source: { type: webhook }\n"
           "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
           "    writeback:\n"
           "      mapping: mappings/generic-rest/delivery-completion-export.yaml\n"
           "      sink: { type: file_export, folder: " + folder + sink_extra + " }\n"
           "      retry: { initial: 100ms, max: 1s }\n";
}

fb::config::Config loop_config(const std::string& state, const std::string& folder,
                               const std::string& sink_extra = "") {
    return fb::config::parse(loop_config_text(state, folder, sink_extra), "loop.yaml", FB_SOURCE_DIR);
}

std::string shipment(const std::string& doc_no = "CK20261120-0042") {
    auto v = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    v["DocNo"] = doc_no;
    return json::serialize(v);
}

json::value read_json(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return json::parse(s.str());
}

long long history_count(const std::string& state, const std::string& wo) {
    return query_int(state, "SELECT count(*) FROM status_events WHERE work_order_id = '" + wo + "'");
}

std::vector<std::string> outcomes(const json::object& t) {
    std::vector<std::string> out;
    for (const auto& h : t.at("status_history").as_array())
        out.emplace_back(h.at("outcome").as_string());
    return out;
}

}  // namespace

TEST_CASE("the samples' event sequence yields exactly one writeback with the expected body") {
    StateFile state("loop-sequence.db");
    TempDir exports("loop-sequence");
    RunningApp daemon(loop_config(state.path, exports.str()));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment()).status == 202);

    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {sample("status-events/1-accepted.json"), sample("status-events/2-en-route.json"),
                    sample("status-events/3-arrived.json"), sample("status-events/4-completed.json"),
                    sample("status-events/duplicate-completed.json"),
                    sample("status-events/late-en-route.json")});
    REQUIRE(wait_for([&] { return history_count(state.path, wo42) == 6; }));
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'done'") == 1;
    }));

    auto t = trace(state.path, "delivery", "CK20261120-0042");
    INFO(json::serialize(t));
    CHECK(outcomes(t) == std::vector<std::string>{"applied", "applied", "applied", "applied",
                                                  "duplicate", "late"});
    CHECK(t.at("final_state") == "completed");
    CHECK(t.at("pending_erp_confirmation") == false);
    const auto& history = t.at("status_history").as_array();
    CHECK(history[3].at("from") == "arrived");
    CHECK(history[3].at("to") == "completed");
    CHECK(history[3].at("partition").is_int64());  // where on the topic it was read
    CHECK(history[5].at("reason").as_string().find("stays `completed`") != json::string::npos);
    const auto& writebacks = t.at("writebacks").as_array();
    REQUIRE(writebacks.size() == 1);
    CHECK(writebacks[0].at("transition") == "arrived→completed");
    CHECK(writebacks[0].at("state") == "done");
    CHECK(writebacks[0].at("idempotency_key") == key_of(wo42, "completed"));
    REQUIRE(writebacks[0].at("attempts").as_array().size() == 1);
    CHECK(writebacks[0].at("attempts").at(0).at("result") == "success");
    CHECK(writebacks[0].at("attempts").at(0).at("request") == "PUT CK20261120-0042-completed.json");

    CHECK(files_in(exports.path) == std::vector<std::string>{"CK20261120-0042-completed.json"});
    auto expected = read_json(FB_SOURCE_DIR + "/mappings/generic-rest/tests/delivery-completion-export/"
                                            "4-completed.expected.json").at("body").as_object();
    auto written = read_json(exports.path / "CK20261120-0042-completed.json").as_object();
    CHECK(written.at("IdempotencyKey") == key_of(wo42, "completed"));
    written.erase("IdempotencyKey");  // the fixture has no writeback context
    INFO(json::serialize(written));
    CHECK(written == expected);  // field by field, whatever the order

    auto metrics = http_request(daemon.port(), "GET", "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_status_events_total{outcome=\"applied\"} 4"));
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_status_events_total{outcome=\"duplicate\"} 1"));
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_status_events_total{outcome=\"late\"} 1"));
    CHECK_THAT(metrics, Catch::Contains(
        "fieldbridge_transitions_total{flow=\"delivery\",from=\"arrived\",to=\"completed\"} 1"));
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_writeback_attempts_total{flow=\"delivery\",endpoint=\"file:" +
                                        exports.str() + "\",result=\"success\"} 1"));
}

TEST_CASE("a failed delivery yields its failure writeback with the reason") {
    StateFile state("loop-failed.db");
    TempDir exports("loop-failed");
    RunningApp daemon(loop_config(state.path, exports.str()));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("CK20261120-0043")).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {sample("status-events/failed-customer-absent.json")});
    REQUIRE(wait_for([&] { return std::filesystem::exists(exports.path / "CK20261120-0043-failed.json"); }));
    auto body = read_json(exports.path / "CK20261120-0043-failed.json");
    CHECK(body.at("DocNo") == "CK20261120-0043");
    CHECK(body.at("Result") == "failed");
    CHECK(body.at("FailureCode") == "CUSTOMER_ABSENT");
    CHECK(body.at("FailureReason") == "客户不在家,电话无人接听");
    CHECK(body.at("Driver") == "马师傅 (DRV-022)");
    REQUIRE(wait_for([&] {
        return trace(state.path, "delivery", "CK20261120-0043").at("final_state") == "failed";
    }));
}

TEST_CASE("an event nested as deep as status.max_depth allows is written back, and the writebacks behind it too") {
    // Stored wrapped ({event: …}) it is deeper than Boost.JSON's default limit: read back with
    // that limit it threw on every load of the queue and no writeback of the flow was sent.
    StateFile state("loop-deep.db");
    TempDir exports("loop-deep");
    RunningApp daemon(loop_config(state.path, exports.str()));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("CK20261120-0044")).status == 202);
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("CK20261120-0043")).status == 202);
    auto deep = json::parse(sample("status-events/failed-customer-absent.json")).as_object();
    deep["event_id"] = "4f0d7a52-0c19-4a3b-9d2e-0000000000d1";
    deep["work_order_id"] = "WO-delivery-CK20261120-0044";
    json::value extra = "bottom";
    for (int i = 0; i < 31; ++i) extra = json::object{{"level", std::move(extra)}};  // the event: 32 levels
    deep["extra"] = std::move(extra);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {json::serialize(deep), sample("status-events/failed-customer-absent.json")});
    REQUIRE(wait_for([&] { return std::filesystem::exists(exports.path / "CK20261120-0043-failed.json"); }));
    REQUIRE(wait_for([&] { return std::filesystem::exists(exports.path / "CK20261120-0044-failed.json"); }));
    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'done'") == 2);
    auto t = trace(state.path, "delivery", "CK20261120-0044");
    CHECK(t.at("final_state") == "failed");
    CHECK(t.at("writebacks").at(0).at("requests").at(0) == "PUT CK20261120-0044-failed.json");
}

TEST_CASE("a status consumer whose transactions fail shows in /readyz as degraded, and recovers by itself") {
    StateFile state("loop-readyz.db");
    TempDir exports("loop-readyz");
    RunningApp daemon(loop_config(state.path, exports.str()));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("CK20261120-0043")).status == 202);
    auto ready = [&] { return http_request(daemon.port(), "GET", "/readyz"); };
    REQUIRE(ready().json().at("status_loop") == "ok");
    {
        // A real failure inside the consumer's transaction, until the trigger is dropped.
        fb::store::Database injector(state.path);
        injector.exec("CREATE TRIGGER inject_status_failure BEFORE INSERT ON status_events "
                      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                       {sample("status-events/failed-customer-absent.json")});
        REQUIRE(wait_for([&] { return ready().json().at("status_loop") != "ok"; }));
        auto r = ready();
        INFO(r.body);
        CHECK(r.status == 200);  // documents are still taken: degraded, not unavailable
        CHECK(r.json().at("status") == "degraded");
        CHECK_THAT(std::string(r.json().at("status_loop").as_string()), Catch::Contains("injected failure"));
        injector.exec("DROP TRIGGER inject_status_failure");
    }
    REQUIRE(wait_for([&] { return std::filesystem::exists(exports.path / "CK20261120-0043-failed.json"); }));
    CHECK(wait_for([&] { return ready().json().at("status_loop") == "ok"; }));
    CHECK(ready().json().at("status") == "ok");
    CHECK(history_count(state.path, "WO-delivery-CK20261120-0043") == 1);
}

TEST_CASE("past writeback.retention a closed work order's document is gone, from its done writeback's context too") {
    StateFile state("loop-retention.db");
    TempDir exports("loop-retention");
    auto text = loop_config_text(state.path, exports.str());
    const std::string retry = "      retry: { initial: 100ms, max: 1s }\n";
    text.replace(text.find(retry), retry.size(), retry + "      retention: 1ms\n");
    RunningApp daemon(fb::config::parse(text, "loop.yaml", FB_SOURCE_DIR));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("CK20261120-0043")).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {sample("status-events/failed-customer-absent.json")});
    REQUIRE(wait_for([&] { return std::filesystem::exists(exports.path / "CK20261120-0043-failed.json"); }));
    // The status consumer's housekeeping (every 5 s) prunes both.
    CHECK(wait_for([&] { return query_int(state.path, "SELECT count(*) FROM work_order_documents") == 0; }));
    CHECK(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'done' AND length(context) = 0") == 1;
    }));
    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks WHERE answers IS NOT NULL") == 0);
    CHECK(trace(state.path, "delivery", "CK20261120-0043").at("final_state") == "failed");  // the history stays
}

TEST_CASE("bad status events and unknown work orders are dead-lettered and never block the partition") {
    StateFile state("loop-bad.db");
    TempDir exports("loop-bad");
    RunningApp daemon(loop_config(state.path, exports.str()));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment()).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {"{not json", R"({"event_id":"x","work_order_id":")" + wo42 + R"(","status":"accepted"})",
                    R"({"event_id":"bad-date","work_order_id":")" + wo42 +
                        R"(","status":"en_route","occurred_at":"2026-02-30T10:00:00+08:00"})",
                    status_event("1-accepted.json", "WO-delivery-NOBODY"),
                    sample("status-events/1-accepted.json")});
    REQUIRE(wait_for([&] {
        return trace(state.path, "delivery", "CK20261120-0042").at("final_state") == "accepted";
    }));
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM dead_letter WHERE stage = 'status'") == 4;
    }));
    fb::store::Database db(state.path, fb::store::Database::Mode::read_only);
    auto letters = fb::ledger::list_dead_letters(db, false);
    REQUIRE(letters.size() == 4);
    auto has = [&](const std::string& a, const std::string& b) {
        for (const auto& l : letters)
            if (l.reason.find(a) != std::string::npos && l.reason.find(b) != std::string::npos &&
                l.reason.starts_with("partition ") && l.stage == "status")
                return true;
        return false;
    };
    CHECK(has("not valid JSON", ""));
    CHECK(has("status_event.schema.json", "occurred_at"));
    CHECK(has("status_event.schema.json: [occurred_at]", "February 2026 has no day 30"));
    CHECK(has("WO-delivery-NOBODY", "not known"));
}

TEST_CASE("an ERP cancellation after completion, and a completion after an ERP cancellation, are conflicts") {
    StateFile state("loop-conflict.db");
    TempDir exports("loop-conflict");
    RunningApp daemon(loop_config(state.path, exports.str()));
    auto bootstrap = daemon.app().kafka_bootstrap();
    auto cancelled = [](const std::string& doc_no) {
        auto v = json::parse(shipment(doc_no)).as_object();
        v["Status"] = "cancelled";
        v["ModifyTime"] = "2026-11-23T10:00:00+08:00";
        return json::serialize(v);
    };
    // Completed in the field, then cancelled in the ERP.
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("C-1")).status == 202);
    publish_status(bootstrap, "fsm.work-order-status", {status_event("4-completed.json", "WO-delivery-C-1", "c-1")});
    REQUIRE(wait_for([&] { return std::filesystem::exists(exports.path / "C-1-completed.json"); }));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", cancelled("C-1")).status == 202);
    auto t1 = trace(state.path, "delivery", "C-1");
    INFO(json::serialize(t1));
    CHECK(t1.at("final_state") == "completed");
    CHECK(t1.at("work_order").at("erp_state") == "cancelled");
    CHECK(t1.at("work_order").at("conflict").as_string().find("after the work order was `completed`") != json::string::npos);
    CHECK(outcomes(t1).back() == "conflict");

    // Cancelled in the ERP, then completed in the field: recorded, not written back.
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("C-2")).status == 202);
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", cancelled("C-2")).status == 202);
    publish_status(bootstrap, "fsm.work-order-status", {status_event("4-completed.json", "WO-delivery-C-2", "c-2")});
    REQUIRE(wait_for([&] { return history_count(state.path, "WO-delivery-C-2") == 2; }));
    auto t2 = trace(state.path, "delivery", "C-2");
    INFO(json::serialize(t2));
    CHECK(outcomes(t2) == std::vector<std::string>{"erp_cancelled", "conflict"});
    CHECK(t2.at("final_state") == "completed");
    CHECK(t2.at("writebacks").as_array().empty());
    CHECK_FALSE(std::filesystem::exists(exports.path / "C-2-completed.json"));
    REQUIRE(wait_for([&] {
        return http_request(daemon.port(), "GET", "/metrics").body.find("fieldbridge_work_order_conflicts 2") !=
               std::string::npos;
    }));
}

TEST_CASE("a permanent refusal lands in the dead-letter queue with the answer, and replay after a fix lands it") {
    StateFile state("loop-refusal.db");
    TempDir exports("loop-refusal");
    {
        // An export charset that cannot hold the driver's name: the sink refuses, for good.
        RunningApp daemon(loop_config(state.path, exports.str(), ", charset: ASCII"));
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment()).status == 202);
        publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                       {sample("status-events/4-completed.json")});
        REQUIRE(wait_for([&] {
            return query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'dead'") == 1;
        }));
        auto t = trace(state.path, "delivery", "CK20261120-0042");
        INFO(json::serialize(t));
        const auto& wb = t.at("writebacks").at(0);
        CHECK(wb.at("state") == "dead");
        CHECK(wb.at("last_answer").as_string().find("HTTP 422") != json::string::npos);
        CHECK(wb.at("attempts").at(0).at("result") == "permanent");
    }
    CHECK(files_in(exports.path).empty());
    auto fixed = loop_config(state.path, exports.str(), ", charset: GB18030");
    {
        fb::store::Database db(state.path);
        auto letters = fb::ledger::list_dead_letters(db, false);
        REQUIRE(letters.size() == 1);
        CHECK(letters[0].stage == "writeback");
        CHECK_THAT(letters[0].reason, Catch::Contains("ERP refused PUT CK20261120-0042-completed.json") &&
                                          Catch::Contains("cannot be written in ASCII"));
        auto report = fb::ledger::replay_dead_letters(db, fixed, {}, {});
        INFO(report.lines.front());
        CHECK(report.replayed == 1);
    }
    RunningApp daemon(std::move(fixed));
    REQUIRE(wait_for([&] { return std::filesystem::exists(exports.path / "CK20261120-0042-completed.json"); }));
    std::ifstream in(exports.path / "CK20261120-0042-completed.json", std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    CHECK(bytes.str().find(fb::connectors::encode_charset("刘师傅", "GB18030")) != std::string::npos);
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'done'") == 1;
    }));
    // The same key after the replay: the ERP can tell it is the same writeback.
    CHECK(trace(state.path, "delivery", "CK20261120-0042").at("writebacks").at(0).at("idempotency_key") ==
          key_of(wo42, "completed"));
}

TEST_CASE("an ERP that is down for a while: everything lands after, its breaker opened and closed, the other flow kept going") {
    StateFile state("loop-outage.db");
    TempDir down("loop-outage-down"), up("loop-outage-up");
    auto flow = [](const std::string& name, const std::string& folder) {
        return "  - name: " + name + "\n"
               "    source: { type: webhook }\n"
               "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
               "    writeback:\n"
               "      mapping: mappings/generic-rest/delivery-completion-export.yaml\n"
               "      sink: { type: file_export, folder: " + folder + " }\n"
               "      retry: { initial: 50ms, max: 400ms }\n"
               "      breaker: { failures: 3, cooldown: 300ms }\n";
    };
    auto config = fb::config::parse(
        "state: { path: " + state.path + ", synchronous: normal }\n"
        "kafka: { brokers: embedded, embedded_brokers: 1, embedded_partitions: 3 }\n"
        "http: { listen: 127.0.0.1:0 }\n"
        "flows:\n" + flow("delivery", down.str() + "/in") + flow("install", up.str() + "/in"),
        "outage.yaml", FB_SOURCE_DIR);
    RunningApp daemon(std::move(config));
    std::filesystem::remove_all(down.path / "in");  // the first ERP goes down
    constexpr int n = 12;
    std::vector<std::string> events;
    for (int i = 0; i < n; ++i) {
        auto doc = "OUT-" + std::to_string(100 + i);
        for (const std::string f : {"delivery", "install"}) {
            REQUIRE(http_request(daemon.port(), "POST", "/webhooks/" + f, shipment(doc)).status == 202);
            events.push_back(status_event("4-completed.json", "WO-" + f + "-" + doc, f + "-end-" + doc));
        }
    }
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status", events);

    // The other flow is not held back.
    REQUIRE(wait_for([&] { return files_in(up.path / "in").size() == n; }));
    auto metric = [&](const std::string& needle) {
        return http_request(daemon.port(), "GET", "/metrics").body.find(needle) != std::string::npos;
    };
    auto breaker = "fieldbridge_writeback_breaker_state{flow=\"delivery\",endpoint=\"file:" + down.str() + "/in\"} ";
    REQUIRE(wait_for([&] { return metric(breaker + "1"); }));  // opened
    CHECK(metric("fieldbridge_writeback_queue_depth{flow=\"delivery\"} " + std::to_string(n)));
    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks WHERE flow = 'delivery' AND state = 'pending'") == n);
    // Still pending, with their errors in the trace, after several breaker cycles.
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM writeback_attempts a JOIN writebacks w ON "
                                     "w.id = a.writeback_id WHERE w.flow = 'delivery'") >= 6;
    }));
    auto t = trace(state.path, "delivery", "OUT-100");
    CHECK(t.at("pending_erp_confirmation") == true);
    CHECK(t.at("writebacks").at(0).at("state") == "pending ERP confirmation");
    auto why = std::string(t.at("writebacks").at(0).at("last_error").as_string());
    CHECK((why.find("No such file or directory") != std::string::npos ||
           why.find("circuit breaker for file:") != std::string::npos));
    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks WHERE flow = 'delivery' AND "
                                "last_error LIKE '%No such file or directory%'") >= 1);

    std::filesystem::create_directories(down.path / "in");  // back up
    REQUIRE(wait_for([&] { return files_in(down.path / "in").size() == n; }));
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'done'") == 2 * n;
    }));
    REQUIRE(wait_for([&] { return metric(breaker + "0"); }));  // closed again
    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'dead'") == 0);
}

TEST_CASE("verification: a read-back that holds completes the writeback, and one that never holds dead-letters it as not applied") {
    StateFile state("loop-verify.db");
    TempDir exports("loop-verify");
    TempDir mappings("loop-verify-mappings");
    // An ERP that answers success and changes nothing: what it shows never matches.
    std::ofstream(mappings.str() + "/never.yaml")
        << "name: never\nrequest: { method: GET, url: { template: \"{{$.document.DocNo}}-{{$.event.status}}.json\" } }\n"
           "success: $.response.body.Result == \"signed-off\"\n";
    auto flow = [&](const std::string& name, const std::string& verify) {
        return "  - name: " + name + "\n"
               "    source: { type: webhook }\n"
               "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
               "    writeback:\n"
               "      mapping: mappings/generic-rest/delivery-completion-export.yaml\n"
               "      verify: " + verify + "\n"
               "      verify_attempts: 2\n"
               "      sink: { type: file_export, folder: " + exports.str() + "/" + name + " }\n"
               "      retry: { initial: 50ms, max: 200ms }\n";
    };
    RunningApp daemon(fb::config::parse(
        "state: { path: " + state.path + ", synchronous: normal }\n"
        "kafka: { brokers: embedded, embedded_brokers: 1, embedded_partitions: 3 }\n"
        "http: { listen: 127.0.0.1:0 }\nflows:\n" +
            flow("checked", "mappings/generic-rest/delivery-completion-export-verify.yaml") +
            flow("ignored", mappings.str() + "/never.yaml"),
        "verify.yaml", FB_SOURCE_DIR));
    for (const std::string f : {"checked", "ignored"})
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/" + f, shipment()).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-checked-CK20261120-0042", "v-1"),
                    status_event("4-completed.json", "WO-ignored-CK20261120-0042", "v-2")});
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM writebacks WHERE state IN ('done', 'dead')") == 2;
    }));
    auto ok = trace(state.path, "checked", "CK20261120-0042").at("writebacks").at(0).as_object();
    INFO(json::serialize(ok));
    CHECK(ok.at("state") == "done");
    std::vector<std::string> results;
    for (const auto& a : ok.at("attempts").as_array()) results.emplace_back(a.at("result").as_string());
    CHECK(results == std::vector<std::string>{"success", "success"});
    CHECK(ok.at("attempts").at(1).at("request") == "GET CK20261120-0042-completed.json");

    auto bad = trace(state.path, "ignored", "CK20261120-0042").at("writebacks").at(0).as_object();
    INFO(json::serialize(bad));
    CHECK(bad.at("state") == "dead");
    results.clear();
    for (const auto& a : bad.at("attempts").as_array()) results.emplace_back(a.at("result").as_string());
    CHECK(results == std::vector<std::string>{"success", "unverified", "success", "unverified"});
    CHECK(bad.at("last_error").as_string().find("ERP did not apply the change") != json::string::npos);
    fb::store::Database db(state.path, fb::store::Database::Mode::read_only);
    auto letters = fb::ledger::list_dead_letters(db, false);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].flow == "ignored");
}
