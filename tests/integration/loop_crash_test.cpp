// kill -9 while status events are consumed and writebacks are written: every writeback lands, once
// per transition, always under its idempotency key, and every work order ends in the right state.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

#include "daemon_process.h"
#include "harness.h"
#include "loop_support.h"
#include "publish/kafka.h"
#include "writeback/queue.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

json::value key_of(const std::string& work_order_id, const std::string& to) {
    return json::value(fb::writeback::idempotency_key(work_order_id, to));
}

std::string doc_no(int i) { return "LC-" + std::to_string(1000 + i); }
std::string wo(int i) { return "WO-delivery-" + doc_no(i); }
std::string outcome(int i) { return i % 4 == 3 ? "failed" : "completed"; }

std::string write_config(const TempDir& dir, const std::string& state, const std::string& brokers) {
    auto path = dir.str() + "/loop-crash.yaml";
    std::ofstream(path) << "state: { path: " << state << " }\n"
                        // A killed consumer leaves the group after 6 s, not librdkafka's 45 s.
                        << "kafka: { brokers: \"" << brokers << "\", properties: { session.timeout.ms: \"6000\", "
                           "heartbeat.interval.ms: \"500\" } }\n"
                        << "http: { listen: 127.0.0.1:0 }\n"
                        << "status: { group_id: loop-crash, max_batch: 7 }\n"
                        << "flows:\n  - name: delivery\n    source: { type: webhook }\n"
                        << "    mapping: " << FB_SOURCE_DIR << "/mappings/generic-rest/shipment-to-delivery.yaml\n"
                        << "    writeback:\n"
                        << "      mapping: " << FB_SOURCE_DIR << "/mappings/generic-rest/delivery-completion-export.yaml\n"
                        << "      sink: { type: file_export, folder: " << dir.str() << "/export }\n"
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

std::size_t exported(const TempDir& dir) { return files_in(dir.path / "export").size(); }

}  // namespace

TEST_CASE("kill -9 while consuming and writing back loses no writeback and sends none twice under another key") {
    constexpr int n = 40;
    fb::publish::EmbeddedCluster kafka(1, 3, {"fsm.work-orders", "fsm.work-order-status", "fsm.dead-letter"});
    TempDir dir("loop-crash");
    std::filesystem::create_directories(dir.path / "export");
    StateFile state("loop-crash.db");
    auto config = write_config(dir, state.path, kafka.bootstrap());
    DaemonProcess daemon(config, dir.str() + "/daemon.log");
    daemon.start();
    auto base = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    for (int i = 0; i < n; ++i) {
        auto d = base;
        d["DocNo"] = doc_no(i);
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", json::serialize(d)).status == 202);
    }

    // Kill at progress points: while the first writebacks are being written, then mid-way.
    publish_status(kafka.bootstrap(), "fsm.work-order-status", events(0, n / 2));
    REQUIRE(wait_for([&] { return exported(dir) >= 5; }, std::chrono::seconds(120)));
    daemon.kill9();
    daemon.start();
    publish_status(kafka.bootstrap(), "fsm.work-order-status", events(n / 2, n));
    REQUIRE(wait_for([&] { return exported(dir) >= 25; }, std::chrono::seconds(120)));
    daemon.kill9();
    daemon.start();
    REQUIRE(wait_for([&] { return exported(dir) == n; }, std::chrono::seconds(120)));
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'done'") == n;
    }, std::chrono::seconds(120)));
    daemon.terminate();

    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks") == n);  // one per transition
    for (int i = 0; i < n; ++i) {
        INFO(doc_no(i));
        auto file = dir.path / "export" / (doc_no(i) + "-" + outcome(i) + ".json");
        REQUIRE(std::filesystem::exists(file));
        std::ifstream in(file);
        std::stringstream text;
        text << in.rdbuf();
        auto body = json::parse(text.str());
        CHECK(body.at("IdempotencyKey") == key_of(wo(i), outcome(i)));
        CHECK(query_int(state.path, "SELECT count(*) FROM work_orders WHERE work_order_id = '" + wo(i) +
                                        "' AND state = '" + outcome(i) + "'") == 1);
        // Exactly two applied events each, whatever was delivered twice.
        CHECK(query_int(state.path, "SELECT count(*) FROM status_events WHERE work_order_id = '" + wo(i) +
                                        "' AND outcome = 'applied'") == 2);
    }
}
