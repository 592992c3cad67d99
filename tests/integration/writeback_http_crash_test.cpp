// kill -9 across writeback over HTTP, at progress points (never timed): after some writebacks
// reached the ERP, while one request is in the ERP's hands unanswered (sent, its answer not yet
// recorded), and mid-way. The ERP sees every writeback at least once, each always under the same
// idempotency key, and every work order ends in its state; none is lost.
#include <catch2/catch.hpp>

#include <atomic>

#include "daemon_process.h"
#include "publish/kafka.h"
#include "writeback/queue.h"
#include "writeback_http_support.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

std::string doc_no(int i) { return "HC-" + std::to_string(1000 + i); }
std::string wo(int i) { return "WO-delivery-" + doc_no(i); }
std::string outcome(int i) { return i % 4 == 3 ? "failed" : "completed"; }
std::string target(int i) { return "/api/shipments/" + doc_no(i) + "/delivery-result"; }
constexpr int held_doc = 7;

std::string write_config(const TempDir& dir, const std::string& state, const std::string& brokers,
                         const std::string& erp) {
    auto path = dir.str() + "/wb-http-crash.yaml";
    std::ofstream(path) << "state: { path: " << state << " }\n"
                        << "kafka: { brokers: \"" << brokers << "\", properties: { session.timeout.ms: \"6000\", "
                           "heartbeat.interval.ms: \"500\" } }\n"
                        << "http: { listen: 127.0.0.1:0 }\n"
                        << "status: { group_id: wb-http-crash, max_batch: 7 }\n"
                        << "flows:\n  - name: delivery\n    source: { type: webhook }\n"
                        << "    mapping: " << FB_SOURCE_DIR << "/mappings/generic-rest/shipment-to-delivery.yaml\n"
                        << "    writeback:\n"
                        << "      mapping: " << FB_SOURCE_DIR << "/mappings/generic-rest/delivery-completion.yaml\n"
                        << "      sink: { type: http, base_url: \"" << erp << "\" }\n"
                        << "      timeout: 60s\n"
                        << "      retry: { initial: 100ms, max: 1s }\n";
    return path;
}

std::vector<std::string> events(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) {
        out.push_back(status_event("1-accepted.json", wo(i), "acc-" + doc_no(i)));
        auto closing = outcome(i) == "failed" ? "failed-customer-absent.json" : "4-completed.json";
        out.push_back(status_event(closing, wo(i), "end-" + doc_no(i)));
        if (i % 5 == 0) out.push_back(status_event(closing, wo(i), "end-" + doc_no(i)));  // a platform retry
    }
    return out;
}

}  // namespace

TEST_CASE("kill -9 across HTTP writeback: every writeback reaches the ERP, always under its one key, none lost") {
    constexpr int n = 30;
    fb::publish::EmbeddedCluster kafka(1, 3, {"fsm.work-orders", "fsm.work-order-status", "fsm.dead-letter"});
    std::atomic<bool> holding{false}, hold_once{true};
    ErpSimulator erp([&](const Received& r) -> std::optional<fb::test::Response> {
        // The first request for one document is received and never answered: the daemon dies
        // between sending it and recording the answer.
        if (r.target == target(held_doc) && hold_once.exchange(false)) {
            holding = true;
            return std::nullopt;
        }
        return answer(200, R"({"ok":true})");
    });
    TempDir dir("wb-http-crash");
    StateFile state("wb-http-crash.db");
    DaemonProcess daemon(write_config(dir, state.path, kafka.bootstrap(), erp.url()), dir.str() + "/daemon.log");
    daemon.start();
    auto base = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    for (int i = 0; i < n; ++i) {
        auto d = base;
        d["DocNo"] = doc_no(i);
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", json::serialize(d)).status == 202);
    }
    auto seen = [&] {
        std::set<std::string> targets;
        for (const auto& r : erp.received("POST", "/api/shipments/")) targets.insert(r.target);
        return targets.size();
    };

    publish_status(kafka.bootstrap(), "fsm.work-order-status", events(0, n / 2));
    REQUIRE(wait_for([&] { return seen() >= 4; }, std::chrono::seconds(120)));
    daemon.kill9();  // 1: some writebacks answered, others queued
    daemon.start();
    REQUIRE(wait_for([&] { return holding.load(); }, std::chrono::seconds(120)));
    daemon.kill9();  // 2: one request sent, its answer never recorded
    daemon.start();
    publish_status(kafka.bootstrap(), "fsm.work-order-status", events(n / 2, n));
    REQUIRE(wait_for([&] { return seen() >= 20; }, std::chrono::seconds(120)));
    daemon.kill9();  // 3: mid-way through the second half
    daemon.start();
    REQUIRE(wait_for([&] { return seen() == n; }, std::chrono::seconds(120)));
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == n; }, std::chrono::seconds(120)));
    daemon.terminate();

    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks") == n);  // one per transition
    for (int i = 0; i < n; ++i) {
        INFO(doc_no(i));
        auto posts = erp.received("POST", target(i));
        REQUIRE(posts.size() >= 1);
        CHECK(keys_of(posts) == std::set<std::string>{fb::writeback::idempotency_key(wo(i), outcome(i))});
        auto body = json::parse(posts.back().body);
        CHECK(body.at("Result") == (outcome(i) == "failed" ? "failed" : "delivered"));
        CHECK(query_int(state.path, "SELECT count(*) FROM work_orders WHERE work_order_id = '" + wo(i) +
                                        "' AND state = '" + outcome(i) + "'") == 1);
    }
    CHECK(erp.received("POST", target(held_doc)).size() >= 2);  // sent again after the kill, same key
}
