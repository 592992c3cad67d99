// Writeback over the http sink to a generic REST ERP simulator (real HTTP on loopback): the
// samples' sequence gives one request with the expected body; an ERP that is down, answers 500,
// or answers slower than the timeout gets every writeback in the end, always under one key.
#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <future>
#include <map>

#include "writeback/queue.h"
#include "writeback_http_support.h"
#include "support/log_capture.h"
#include "support/source_dir.h"
#include "support/temp_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

const std::string result_path = "/api/shipments/";

// The ERP applies a delivery result once per idempotency key, as a careful ERP does.
struct AppliedResults {
    std::mutex mutex;
    std::map<std::string, std::string> by_key;  // key → target
    std::optional<fb::test::Response> apply(const Received& r) {
        std::lock_guard lock(mutex);
        by_key.emplace(r.header("idempotency-key"), r.target);
        return answer(200, R"({"ok":true})");
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return by_key.size();
    }
};

std::string target_of(const std::string& doc) { return result_path + doc + "/delivery-result"; }

}  // namespace

TEST_CASE("http sink: the samples' event sequence yields exactly one POST with the expected body") {
    StateFile state("wb-http-sequence.db");
    ErpSimulator erp([](const Received&) { return answer(200, R"({"ok":true})"); });
    FlowYaml flow;
    flow.sink = "base_url: \"" + erp.url() + "\"";
    RunningApp daemon(http_loop_config(state.path, {flow}));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment_doc("CK20261120-0042")).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {sample("status-events/1-accepted.json"), sample("status-events/2-en-route.json"),
                    sample("status-events/3-arrived.json"), sample("status-events/4-completed.json"),
                    sample("status-events/duplicate-completed.json"), sample("status-events/late-en-route.json")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM status_events WHERE work_order_id = "
                                     "'WO-delivery-CK20261120-0042'") == 6;
    }));
    auto posts = erp.received("POST", result_path);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].target == target_of("CK20261120-0042"));
    CHECK(posts[0].header("content-type") == "application/json");
    auto expected = json::parse(read_file(FB_SOURCE_DIR + "/mappings/generic-rest/tests/delivery-completion/"
                                                        "4-completed.expected.json")).as_object();
    CHECK(json::parse(posts[0].body) == expected.at("body"));
    // The mapping sends the daemon's key for (work order, transition), not the event's id.
    CHECK(posts[0].header("idempotency-key") ==
          fb::writeback::idempotency_key("WO-delivery-CK20261120-0042", "completed"));
    auto t = trace(state.path, "delivery", "CK20261120-0042");
    INFO(json::serialize(t));
    CHECK(t.at("writebacks").at(0).at("attempts").at(0).at("endpoint").as_string() == "http://127.0.0.1:" + std::to_string(erp.port()));
    CHECK(t.at("final_state") == "completed");
}

TEST_CASE("http sink: an ERP that is down for a while gets everything once it is back, its breaker opened and closed") {
    LogCapture log;
    StateFile state("wb-http-outage.db");
    AppliedResults applied;
    ErpSimulator erp([&](const Received& r) { return applied.apply(r); });
    FlowYaml flow;
    flow.sink = "base_url: \"" + erp.url() + "\"";
    flow.extra = "      breaker: { failures: 3, cooldown: 300ms }\n      timeout: 20s\n";
    RunningApp daemon(http_loop_config(state.path, {flow}));
    erp.down();  // connection refused from now on

    constexpr int n = 10;
    std::vector<std::string> events;
    for (int i = 0; i < n; ++i) {
        auto doc = "DOWN-" + std::to_string(100 + i);
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment_doc(doc)).status == 202);
        events.push_back(status_event("4-completed.json", "WO-delivery-" + doc, "end-" + doc));
    }
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status", events);
    auto metric = [&](const std::string& needle) {
        return http_request(daemon.port(), "GET", "/metrics").body.find(needle) != std::string::npos;
    };
    auto breaker = "fieldbridge_writeback_breaker_state{flow=\"delivery\",endpoint=\"" + erp.url() + "\"} ";
    REQUIRE(wait_for([&] { return metric(breaker + "1"); }));  // opened
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM writeback_attempts WHERE http_status IS NULL "
                                     "AND answer LIKE 'connection error:%'") >= 6;
    }));
    // Every event applied (under load the consumer may still be behind the first failures):
    // all n wait for the ERP, none done, none given up.
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "pending") == n; }));
    CHECK(writebacks_in(state.path, "done") == 0);
    auto t = trace(state.path, "delivery", "DOWN-100");
    CHECK(t.at("pending_erp_confirmation") == true);

    erp.up();  // back, on the same port
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == n; }));
    REQUIRE(wait_for([&] { return metric(breaker + "0"); }));  // closed again
    // The operator reads the outage off the log: once when the breaker opens, once when it closes
    // (not a line per attempt, nor per failed probe).
    auto opened = "writeback for flow delivery: " + erp.url() + " failed 3 times in a row, its circuit breaker is open";
    auto closed = "writeback for flow delivery: " + erp.url() + " answers again, its circuit breaker is closed";
    REQUIRE(wait_for([&] { return log.contains(closed); }));
    INFO(log.text());
    CHECK(log.contains("warning " + opened));
    CHECK(log.contains("connection error"));
    auto count = [text = log.text()](const std::string& needle) {
        std::size_t n = 0;
        for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
        return n;
    };
    CHECK(count(opened) == 1);
    CHECK(count(closed) == 1);
    CHECK(writebacks_in(state.path, "dead") == 0);
    CHECK(applied.size() == n);  // each applied once
    for (int i = 0; i < n; ++i) {
        auto doc = "DOWN-" + std::to_string(100 + i);
        INFO(doc);
        auto posts = erp.received("POST", target_of(doc));
        REQUIRE(posts.size() >= 1);
        CHECK(keys_of(posts).size() == 1);  // one key per (work order, transition), whatever was resent
    }
}

TEST_CASE("http sink: 500s then success, and an answer slower than the timeout then success, under one key") {
    StateFile state("wb-http-flaky.db");
    std::atomic<int> five_hundreds{0}, held{0};
    ErpSimulator erp([&](const Received& r) -> std::optional<fb::test::Response> {
        if (r.target == target_of("FLAKY-500") && five_hundreds++ < 2)
            return answer(500, R"({"error":"database is locked"})");
        if (r.target == target_of("FLAKY-SLOW") && held++ < 1) return std::nullopt;  // never answers
        return answer(200, R"({"ok":true})");
    });
    FlowYaml flow;
    flow.sink = "base_url: \"" + erp.url() + "\"";
    flow.extra = "      timeout: 3s\n";
    RunningApp daemon(http_loop_config(state.path, {flow}));
    for (const std::string doc : {"FLAKY-500", "FLAKY-SLOW"})
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment_doc(doc)).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-delivery-FLAKY-500", "f-500"),
                    status_event("4-completed.json", "WO-delivery-FLAKY-SLOW", "f-slow")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 2; }));

    CHECK(attempt_results(state.path, "delivery", "FLAKY-500") == std::vector<std::string>{"retry", "retry", "success"});
    auto flaky = erp.received("POST", target_of("FLAKY-500"));
    CHECK(flaky.size() == 3);
    CHECK(keys_of(flaky) == std::set<std::string>{fb::writeback::idempotency_key("WO-delivery-FLAKY-500", "completed")});

    auto slow = trace(state.path, "delivery", "FLAKY-SLOW").at("writebacks").at(0).at("attempts").as_array();
    INFO(json::serialize(slow));
    REQUIRE(slow.size() == 2);
    CHECK(slow[0].at("result") == "retry");
    CHECK(slow[0].at("http_status").is_null());
    CHECK(slow[0].at("answer").as_string().starts_with("timeout:"));
    CHECK(slow[1].at("result") == "success");
    auto seen = erp.received("POST", target_of("FLAKY-SLOW"));
    CHECK(seen.size() == 2);  // the ERP saw it twice: the same key lets it apply it once
    CHECK(keys_of(seen) == std::set<std::string>{fb::writeback::idempotency_key("WO-delivery-FLAKY-SLOW", "completed")});
}

TEST_CASE("http sink: one work order's writebacks reach the ERP in the order of its transitions, a retry holds the next") {
    // `arrived` is refused (503) once the `completed` writeback is already queued behind it:
    // `completed` must wait for `arrived`, or `arrived` lands last and moves the document back.
    StateFile state("wb-http-order.db");
    TempDir mappings("wb-http-order");
    std::ofstream(mappings.path / "status.yaml")
        << "name: status-writeback\n"
           "key: $.event.event_id\n"
           "when: $.event.status in [\"arrived\", \"completed\"]\n"
           "request:\n"
           "  method: POST\n"
           "  url: { template: \"https://erp.example.com/api/shipments/{{$.document.DocNo}}/status\" }\n"
           "  headers: { Content-Type: application/json }\n"
           "  body: { DocNo: $.document.DocNo, Status: $.event.status }\n";
    std::atomic<bool> refused{false};
    ErpSimulator erp([&](const Received& r) -> std::optional<fb::test::Response> {
        if (r.body.find("arrived") != std::string::npos && !refused.exchange(true)) {
            wait_for([&] { return writebacks_in(state.path, "pending") == 2; });
            return answer(503, R"({"error":"busy"})");
        }
        return answer(200, R"({"ok":true})");
    });
    FlowYaml flow;
    flow.writeback = (mappings.path / "status.yaml").string();
    flow.sink = "base_url: \"" + erp.url() + "\"";
    flow.extra = "      on: [arrived, completed]\n      timeout: 90s\n";
    RunningApp daemon(http_loop_config(state.path, {flow}));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment_doc("ORDER-1")).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("1-accepted.json", "WO-delivery-ORDER-1", "o-1"),
                    status_event("2-en-route.json", "WO-delivery-ORDER-1", "o-2"),
                    status_event("3-arrived.json", "WO-delivery-ORDER-1", "o-3"),
                    status_event("4-completed.json", "WO-delivery-ORDER-1", "o-4")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 2; }));
    std::vector<std::string> statuses;
    for (const auto& r : erp.received("POST", "/api/shipments/ORDER-1/status"))
        statuses.emplace_back(json::parse(r.body).at("Status").as_string());
    CHECK(refused);
    CHECK(statuses == std::vector<std::string>{"arrived", "arrived", "completed"});
}

TEST_CASE("http sink: the breaker's cooldown runs from the failure, so an ERP that times out is left alone for all of it") {
    // With the cooldown counted from the send, a timeout as long as the cooldown opened the
    // breaker already past its end: the next row went at once.
    StateFile state("wb-http-cooldown.db");
    std::mutex mutex;
    std::vector<std::chrono::steady_clock::time_point> arrivals;
    ErpSimulator erp([&](const Received&) -> std::optional<fb::test::Response> {
        std::lock_guard lock(mutex);
        arrivals.push_back(std::chrono::steady_clock::now());
        if (arrivals.size() == 1) return std::nullopt;  // the first is never answered: a timeout
        return answer(200, R"({"ok":true})");
    });
    FlowYaml flow;
    flow.sink = "base_url: \"" + erp.url() + "\"";
    flow.extra = "      breaker: { failures: 1, cooldown: 1s }\n      timeout: 1s\n";
    RunningApp daemon(http_loop_config(state.path, {flow}));
    for (const std::string doc : {"COOL-1", "COOL-2"})
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment_doc(doc)).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-delivery-COOL-1", "c-1"),
                    status_event("4-completed.json", "WO-delivery-COOL-2", "c-2")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 2; }));
    std::lock_guard lock(mutex);
    REQUIRE(arrivals.size() >= 2);
    // The timeout (1 s from the send) then the whole cooldown (1 s from the failure): a slower
    // machine only makes the gap longer.
    CHECK(arrivals[1] - arrivals[0] >= std::chrono::milliseconds(1900));
}

TEST_CASE("http sink: a request the ERP holds does not hold the shutdown, and is sent again after the restart under its key") {
    StateFile state("wb-http-hung.db");
    std::atomic<bool> answering{false};
    ErpSimulator erp([&](const Received&) -> std::optional<fb::test::Response> {
        if (!answering) return std::nullopt;  // received, never answered
        return answer(200, R"({"ok":true})");
    });
    FlowYaml flow;
    flow.sink = "base_url: \"" + erp.url() + "\"";
    flow.extra = "      timeout: 120s\n";
    auto config = http_loop_config(state.path, {flow});
    auto daemon = std::make_unique<RunningApp>(config);
    REQUIRE(http_request(daemon->port(), "POST", "/webhooks/delivery", shipment_doc("HUNG-1")).status == 202);
    publish_status(daemon->app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-delivery-HUNG-1", "h-1")});
    REQUIRE(wait_for([&] { return erp.received("POST", target_of("HUNG-1")).size() == 1; }));
    auto stopped = std::async(std::launch::async, [&] { daemon.reset(); });
    // Without abandoning the request the stop would wait out the 120 s timeout.
    CHECK(stopped.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
    stopped.get();
    CHECK(writebacks_in(state.path, "done") == 0);

    answering = true;
    daemon = std::make_unique<RunningApp>(config);
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1; }));
    auto posts = erp.received("POST", target_of("HUNG-1"));
    CHECK(posts.size() == 2);
    CHECK(keys_of(posts) == std::set<std::string>{fb::writeback::idempotency_key("WO-delivery-HUNG-1", "completed")});
}

TEST_CASE("http sink: a write answered 200 with a body over max_body_bytes is done, a read-back over it is not taken as read") {
    // The ERP answers the write with a 4 KiB echo of the whole shipment: the status says it was
    // applied (not "ERP refused"); the read-back's body is what `verify:` must read, so an
    // unread one can never verify.
    TempDir dir("wb-over-limit");
    auto verify = dir.path / "verify.yaml";
    std::ofstream(verify) << "name: verify\nrequest:\n  method: GET\n"
                             "  url: { template: \"https://erp.example.com/api/shipments/{{$.document.DocNo}}\" }\n"
                             "success: $.response.body.Status == \"delivered\"\n";
    auto read = dir.path / "read.yaml", write = dir.path / "write.yaml";
    std::ofstream(read) << "name: read\nrequest:\n  method: GET\n"
                           "  url: { template: \"https://erp.example.com/api/shipments/{{$.document.DocNo}}\" }\n";
    std::ofstream(write) << "name: write\nrequest:\n  method: POST\n"
                            "  url: { template: \"https://erp.example.com/api/shipments/{{$.document.DocNo}}/delivery-result\" }\n"
                            "  body: { Status: delivered, Modified: \"$.previous[0].response.body.Modified\" }\n";
    StateFile state("wb-over-limit.db");
    ErpSimulator erp([](const Received& r) {
        return answer(200, "{\"Status\":\"delivered\",\"Echo\":\"" + std::string(4096, 'x') + "\"}");
    });
    FlowYaml plain;
    plain.sink = "base_url: \"" + erp.url() + "\", max_body_bytes: 1024";
    FlowYaml verified = plain;
    verified.name = "verified";
    verified.verify = verify.string();
    verified.extra = "      verify_attempts: 1\n";
    FlowYaml sequence = plain;  // read, then a write built from the read's answer
    sequence.name = "sequence";
    sequence.writeback = "[" + read.string() + ", " + write.string() + "]";
    RunningApp daemon(http_loop_config(state.path, {plain, verified, sequence}));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment_doc("BIG-1")).status == 202);
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/verified", shipment_doc("BIG-2")).status == 202);
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/sequence", shipment_doc("BIG-3")).status == 202);
    publish_status(daemon.app().kafka_bootstrap(), "fsm.work-order-status",
                   {status_event("4-completed.json", "WO-delivery-BIG-1", "big-1"),
                    status_event("4-completed.json", "WO-verified-BIG-2", "big-2"),
                    status_event("4-completed.json", "WO-sequence-BIG-3", "big-3")});
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == 1 && writebacks_in(state.path, "dead") == 2; }));
    auto done = trace(state.path, "delivery", "BIG-1").at("writebacks").at(0);
    INFO(json::serialize(done));
    CHECK(done.at("state") == "done");
    CHECK_THAT(std::string(done.at("attempts").at(0).at("answer").as_string()),
               Catch::Contains("HTTP 200 (its body is over the sink's max_body_bytes: not read)"));
    auto dead = trace(state.path, "verified", "BIG-2").at("writebacks").at(0);
    INFO(json::serialize(dead));
    CHECK_THAT(std::string(dead.at("last_error").as_string()),
               Catch::Contains("ERP did not apply the change (read-back GET") &&
                   Catch::Contains("the success rule cannot read an answer over max_body_bytes"));
    // The read a write is built from: an unread body would have sent the write without its
    // Modified, so it is not taken as read, and the write is never sent.
    auto unread = trace(state.path, "sequence", "BIG-3").at("writebacks").at(0);
    INFO(json::serialize(unread));
    CHECK_THAT(std::string(unread.at("last_error").as_string()),
               Catch::Contains("ERP refused GET https://erp.example.com/api/shipments/BIG-3: the answer's body is over "
                               "the sink's max_body_bytes and what follows reads it"));
    CHECK(erp.received("POST", "/api/shipments/BIG-3/delivery-result").empty());
}
