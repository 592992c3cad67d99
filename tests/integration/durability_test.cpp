// Kafka outages, backpressure, batches, changes, cancellations and the dead-letter loop.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <fstream>
#include <set>

#include "harness.h"
#include "ledger/dead_letter.h"
#include "publish/kafka.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

std::string shipment(const std::string& doc_no, const std::string& version = "2026-11-20T10:00:00+08:00",
                     const std::string& status = "approved") {
    auto d = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    d["DocNo"] = doc_no;
    d["ModifyTime"] = version;
    d["Status"] = status;
    return json::serialize(d);
}

long rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return 0;
}

const std::map<std::string, std::string> ndjson{{"Content-Type", "application/x-ndjson"}};

}  // namespace

TEST_CASE("a changed version yields one update and a cancellation one cancel") {
    fb::publish::EmbeddedCluster kafka(1, 2, {"fsm.work-orders", "fsm.dead-letter"});
    RunningApp daemon(test_config(temp_path("changes.db"), kafka.bootstrap()));
    auto post = [&](const std::string& body) {
        return http_request(daemon.port(), "POST", "/webhooks/delivery", body);
    };
    CHECK(post(shipment("CK-1")).json().at("status") == "created");
    CHECK(post(shipment("CK-1")).json().at("status") == "unchanged");
    auto changed = json::parse(shipment("CK-1", "2026-11-21T08:00:00+08:00")).as_object();
    changed["Street"] = "望京西路50号";
    CHECK(post(json::serialize(changed)).json().at("status") == "updated");
    CHECK(post(json::serialize(changed)).json().at("status") == "unchanged");
    auto cancelled = changed;
    cancelled["Status"] = "cancelled";
    cancelled["ModifyTime"] = "2026-11-22T08:00:00+08:00";
    CHECK(post(json::serialize(cancelled)).json().at("status") == "cancelled");
    CHECK(post(json::serialize(cancelled)).json().at("status") == "unchanged");

    auto messages = consume_at_least(kafka.bootstrap(), "fsm.work-orders", 3);
    REQUIRE(messages.size() == 3);
    std::vector<std::string> types;
    for (const auto& m : messages) {
        CHECK(m.key == "WO-delivery-CK-1");
        types.emplace_back(json::parse(m.value).at("type").as_string());
    }
    CHECK(types == std::vector<std::string>{"work_order.created", "work_order.updated",
                                            "work_order.cancelled"});
    auto update = json::parse(messages[1].value);
    CHECK(update.at("changed_fields") == json::array{"address"});
}

TEST_CASE("a Kafka outage delays publishing, loses nothing, and the outbox drains after") {
    fb::publish::EmbeddedCluster kafka(3, 3, {"fsm.work-orders", "fsm.dead-letter"});
    RunningApp daemon(test_config(temp_path("outage.db"), kafka.bootstrap()));
    auto post_batch = [&](int from, int to) {
        std::string body;
        for (int i = from; i < to; ++i) body += shipment("OUT-" + std::to_string(i)) + "\n";
        return http_request(daemon.port(), "POST", "/webhooks/delivery", body, ndjson);
    };
    REQUIRE(post_batch(0, 200).status == 200);
    REQUIRE(consume_at_least(kafka.bootstrap(), "fsm.work-orders", 200).size() == 200);
    for (int b = 1; b <= 3; ++b) kafka.set_broker_down(b, true);
    auto during = post_batch(200, 600);
    CHECK(during.status == 200);
    CHECK(during.json().at("counts").at("created") == 400);
    // Committed while every broker is down: none of them can have been acknowledged.
    auto ready = http_request(daemon.port(), "GET", "/readyz").json();
    CHECK(ready.at("outbox_depth").as_int64() > 0);
    for (int b = 1; b <= 3; ++b) kafka.set_broker_down(b, false);
    auto messages = consume_at_least(kafka.bootstrap(), "fsm.work-orders", 600, 60000);
    std::set<std::string> keys;
    for (const auto& m : messages) keys.insert(m.key);
    CHECK(keys.size() == 600);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (http_request(daemon.port(), "GET", "/readyz").json().at("outbox_depth").as_int64() > 0 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(http_request(daemon.port(), "GET", "/readyz").json().at("outbox_depth") == 0);
}

TEST_CASE("past the high-water mark the webhook answers 503 with Retry-After and memory stays flat") {
    fb::publish::EmbeddedCluster kafka(1, 1, {"fsm.work-orders", "fsm.dead-letter"});
    kafka.set_broker_down(1, true);
    RunningApp daemon(test_config(temp_path("backpressure.db"), kafka.bootstrap(),
                                  "outbox: { high_water: 100, low_water: 50 }\n"));
    int accepted = 0;
    HttpReply last;
    for (int i = 0; i < 200; ++i) {
        last = http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("BP-" + std::to_string(i)));
        if (last.status != 202) break;
        ++accepted;
    }
    CHECK(accepted >= 100);
    CHECK(accepted < 200);
    CHECK(last.status == 503);
    CHECK(last.headers.at("Retry-After") == "1");
    CHECK_THAT(last.body, Catch::Contains("high-water"));
    CHECK(http_request(daemon.port(), "GET", "/readyz").status == 503);

    // Bounded by counts: after a warm-up (allocator pools, connection buffers), 6,000 refused
    // documents of ~2.6 kB each must not add 4 MiB; keeping even a third of each would add 5 MiB.
    auto refuse = [&](int from, int to) {
        for (int i = from; i < to; ++i)
            REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery",
                                 shipment("BP-X" + std::to_string(i))).status == 503);
    };
    refuse(0, 1000);
    auto before = rss_kib();
    refuse(1000, 7000);
    auto growth = rss_kib() - before;
    INFO("RSS grew by " << growth << " KiB over 6000 refused documents");
    CHECK(growth < 4 * 1024);

    kafka.set_broker_down(1, false);  // below the low-water mark intake resumes
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int status = 0;
    while (status != 202 && std::chrono::steady_clock::now() < deadline) {
        status = http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("BP-after")).status;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(status == 202);
}

TEST_CASE("poison documents go to the dead-letter while the good ones flow, and replay after a fix publishes them") {
    fb::publish::EmbeddedCluster kafka(1, 2, {"fsm.work-orders", "fsm.dead-letter"});
    auto state = temp_path("poison.db");
    auto config = test_config(state, kafka.bootstrap());
    std::string body = shipment("GOOD-1") + "\n" + "{ not json\n" +
                       json::serialize(json::parse(sample("bad-input/missing-key.json"))) + "\n" + shipment("GOOD-2") + "\n";
    auto no_phone = json::parse(shipment("FIXME-1")).as_object();
    no_phone["Customer"].as_object()["Mobile"] = "not a phone";
    body += json::serialize(no_phone) + "\n";
    {
        RunningApp daemon(config);
        auto reply = http_request(daemon.port(), "POST", "/webhooks/delivery", body, ndjson);
        REQUIRE(reply.status == 200);
        auto counts = reply.json().at("counts");
        CHECK(counts.at("created") == 2);
        CHECK(counts.at("dead_lettered") == 3);
        auto results = reply.json().at("results").as_array();
        CHECK_THAT(std::string(results[1].at("error").as_string()), Catch::Contains("line 2: invalid JSON"));
        CHECK_THAT(std::string(results[2].at("error").as_string()), Catch::Contains("DocNo"));
        auto published = consume_at_least(kafka.bootstrap(), "fsm.work-orders", 2);
        CHECK(published.size() == 2);
        auto dead = consume_at_least(kafka.bootstrap(), "fsm.dead-letter", 3);
        REQUIRE(dead.size() == 3);
        std::map<std::string, json::value> by_stage;
        for (const auto& m : dead) {
            auto entry = json::parse(m.value);
            CHECK(entry.at("flow") == "delivery");
            by_stage[std::string(entry.at("stage").as_string())] = entry;
        }
        REQUIRE(by_stage.count("decode"));
        CHECK(by_stage["decode"].at("input") == "{ not json");
        CHECK_THAT(std::string(by_stage["decode"].at("reason").as_string()), Catch::Contains("invalid JSON"));
    }
    fb::store::Database db(state);
    auto entries = fb::ledger::list_dead_letters(db, false);
    REQUIRE(entries.size() == 3);
    CHECK(entries[2].document_id == "FIXME-1");
    CHECK_THAT(entries[2].reason, Catch::Contains("phone"));

    // Replaying with the same mapping fails again and keeps the entry, with the fresh reason.
    auto again = fb::ledger::replay_dead_letters(
        db, config, {{"delivery", fb::mapping::Mapping::load(config.flows[0].mapping)}}, {entries[2].id});
    CHECK(again.replayed == 0);
    CHECK(again.still_failing == 1);
    CHECK(fb::ledger::list_dead_letters(db, false).size() == 3);

    // The fix: the ERP's data stays as it is; the mapping stops requiring a valid phone number.
    auto text = read_file(config.flows[0].mapping);
    auto rule = std::string("    phone: { path: $.Customer.Mobile, phone: CN }\n");
    REQUIRE(text.find(rule) != std::string::npos);
    text.erase(text.find(rule), rule.size());
    auto fixed = fb::mapping::Mapping::compile(text, "fixed.yaml");
    {
        RunningApp daemon(config);  // running while the replay writes: it publishes what appears
        auto report = fb::ledger::replay_dead_letters(db, config, {{"delivery", fixed}}, {entries[2].id});
        CHECK(report.replayed == 1);
        CHECK(report.still_failing == 0);
        REQUIRE(report.lines.size() == 1);
        CHECK_THAT(report.lines[0], Catch::EndsWith("FIXME-1: created"));
        auto published = consume_at_least(kafka.bootstrap(), "fsm.work-orders", 3);
        std::set<std::string> keys;
        for (const auto& m : published) keys.insert(m.key);
        CHECK(keys.count("WO-delivery-FIXME-1"));
    }
    auto left = fb::ledger::list_dead_letters(db, false);
    CHECK(left.size() == 2);
    CHECK(fb::ledger::list_dead_letters(db, true).size() == 3);
}
