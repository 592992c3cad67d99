// kill -9 in the middle of read-then-write sequences (mappings/erpnext/: GET the note, PUT mapped
// from that answer, read back), at progress points (never timed): after some notes were submitted,
// while a PUT the ERP applied is unanswered (the daemon resumes at the PUT, re-maps it from the
// stored read, gets 417 for the now-stale `modified`, reads again, and skips the PUT because the
// note is already submitted), and mid-way. Every note ends submitted, by exactly one applied PUT.
#include <catch2/catch.hpp>

#include <atomic>

#include "daemon_process.h"
#include "frappe_simulator.h"
#include "publish/kafka.h"
#include "writeback/queue.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

std::string note(int i) { return "MAT-DN-" + std::to_string(2000 + i); }
std::string wo(int i) { return "WO-erpnext-" + note(i); }
constexpr int held = 5;

std::string write_config(const TempDir& dir, const std::string& state, const std::string& brokers,
                         const std::string& erp) {
    auto path = dir.str() + "/wb-erpnext-crash.yaml";
    std::string m = std::string(FB_SOURCE_DIR) + "/mappings/";
    std::ofstream(path) << "state: { path: " << state << " }\n"
                        << "kafka: { brokers: \"" << brokers << "\", properties: { session.timeout.ms: \"6000\", "
                           "heartbeat.interval.ms: \"500\" } }\n"
                        << "http: { listen: 127.0.0.1:0 }\n"
                        << "status: { group_id: wb-erpnext-crash, max_batch: 5 }\n"
                        << "flows:\n  - name: erpnext\n    source: { type: webhook }\n"
                        << "    mapping: " << m << "generic-rest/shipment-to-delivery.yaml\n"
                        << "    writeback:\n"
                        << "      mapping: [" << m << "erpnext/delivery-note-read.yaml, " << m
                        << "erpnext/delivery-note-writeback.yaml]\n"
                        << "      verify: " << m << "erpnext/delivery-note-verify.yaml\n"
                        << "      sink: { type: http, base_url: \"" << erp << "\", auth: { api_key: { value: \"token fsm-api-key:"
                        << api_secret << "\", header: Authorization } } }\n"
                        << "      timeout: 60s\n"
                        << "      retry: { initial: 100ms, max: 1s }\n";
    return path;
}

}  // namespace

TEST_CASE("kill -9 mid read-then-write: the sequence resumes at its step, re-mapped from the stored read, every note submitted once") {
    constexpr int n = 12;
    fb::publish::EmbeddedCluster kafka(1, 3, {"fsm.work-orders", "fsm.work-order-status", "fsm.dead-letter"});
    Frappe frappe;
    for (int i = 0; i < n; ++i) frappe.notes[note(i)] = {};
    std::atomic<bool> holding{false}, hold_once{true};
    frappe.hold_after_apply = [&](const std::string& name) {
        if (name != note(held) || !hold_once.exchange(false)) return false;
        holding = true;
        return true;
    };
    ErpSimulator erp([&](const Received& r) { return frappe.handle(r); });
    auto submitted = [&] {
        std::lock_guard lock(frappe.mutex);
        int count = 0;
        for (const auto& [name, nt] : frappe.notes) count += nt.docstatus == 1;
        return count;
    };
    TempDir dir("wb-erpnext-crash");
    StateFile state("wb-erpnext-crash.db");
    DaemonProcess daemon(write_config(dir, state.path, kafka.bootstrap(), erp.url()), dir.str() + "/daemon.log");
    daemon.start();
    auto base = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    for (int i = 0; i < n; ++i) {
        auto d = base;
        d["DocNo"] = note(i);
        d["name"] = note(i);
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/erpnext", json::serialize(d)).status == 202);
    }
    std::vector<std::string> events;
    for (int i = 0; i < n; ++i) events.push_back(status_event("4-completed.json", wo(i), "done-" + note(i)));
    publish_status(kafka.bootstrap(), "fsm.work-order-status", events);

    REQUIRE(wait_for([&] { return submitted() >= 3; }, std::chrono::seconds(120)));
    daemon.kill9();  // 1: some notes submitted, others mid-sequence or queued
    daemon.start();
    REQUIRE(wait_for([&] { return holding.load(); }, std::chrono::seconds(120)));
    daemon.kill9();  // 2: a PUT the ERP applied, its answer never recorded: the row is at step 2
    daemon.start();
    REQUIRE(wait_for([&] { return submitted() >= 9; }, std::chrono::seconds(120)));
    daemon.kill9();  // 3: mid-way through the rest
    daemon.start();
    REQUIRE(wait_for([&] { return writebacks_in(state.path, "done") == n; }, std::chrono::seconds(120)));
    daemon.terminate();

    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks") == n);
    std::lock_guard lock(frappe.mutex);
    for (int i = 0; i < n; ++i) {
        INFO(note(i));
        CHECK(frappe.notes[note(i)].docstatus == 1);
        CHECK(frappe.applied[note(i)] == 1);  // never submitted twice, never over a newer version
        auto puts = erp.received("PUT", "/api/resource/Delivery%20Note/" + note(i));
        REQUIRE(!puts.empty());
        CHECK(keys_of(puts) == std::set<std::string>{fb::writeback::idempotency_key(wo(i), "completed")});
    }
    // The held note: its PUT went again after the restart, re-mapped from the stored (now stale)
    // read, and was refused as stale; then it was read again and not written a third time.
    auto held_puts = erp.received("PUT", "/api/resource/Delivery%20Note/" + note(held));
    CHECK(held_puts.size() >= 2);
    for (const auto& p : held_puts) CHECK(json::parse(p.body).at("modified") == json::value(Frappe::modified(1)));
}
