#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "harness.h"
#include "publish/kafka.h"
#include "store/database.h"
#include "schema/validator.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {
const std::string shipment_path = "generic-rest/shipment-CK20261120-0042.json";
}

TEST_CASE("a shipment posted to the webhook becomes one valid work-order event on Kafka") {
    auto state = temp_path("skeleton.db");
    auto config = test_config(state, "embedded");
    RunningApp daemon(std::move(config));
    auto bootstrap = daemon.app().kafka_bootstrap();

    auto reply = http_request(daemon.port(), "POST", "/webhooks/delivery", sample(shipment_path));
    REQUIRE(reply.status == 202);
    auto answer = reply.json().as_object();
    CHECK(answer.at("status") == "created");
    CHECK(answer.at("work_order_id") == "WO-delivery-CK20261120-0042");

    auto messages = consume_at_least(bootstrap, "fsm.work-orders", 1);
    REQUIRE(messages.size() == 1);
    const auto& m = messages.front();
    CHECK(m.key == "WO-delivery-CK20261120-0042");
    auto event = json::parse(m.value);
    auto problems = fb::schema::Validator::work_order_event().check(event);
    INFO(json::serialize(event));
    for (const auto& p : problems) INFO(p);
    CHECK(problems.empty());

    const auto& e = event.as_object();
    CHECK(e.at("type") == "work_order.created");
    CHECK(e.at("event_id") == answer.at("event_id"));
    CHECK(e.at("source").at("flow") == "delivery");
    CHECK(e.at("source").at("document_type") == "shipment");
    CHECK(e.at("source").at("document_id") == "CK20261120-0042");
    CHECK(e.at("source").at("document_version") == "2026-11-20T16:41:07+08:00");
    const auto& wo = e.at("work_order").as_object();
    CHECK(wo.at("id") == "WO-delivery-CK20261120-0042");
    CHECK(wo.at("type") == "delivery");
    CHECK(wo.at("source_ref") == "CK20261120-0042");
    CHECK(wo.at("customer").at("name") == "李女士");
    CHECK(wo.at("customer").at("phone") == "+8613910228834");
    CHECK(wo.at("items").as_array().size() == 3);  // the gift line with Qty 0 is left out

    CHECK(m.headers.at("ce_id") == e.at("event_id").as_string().c_str());
    CHECK(m.headers.at("ce_type") == "work_order.created");
    CHECK(m.headers.at("ce_source") == "fieldbridge/delivery");
    CHECK(m.headers.at("ce_specversion") == "1.0");
    CHECK(m.headers.at("content-type") == "application/json");
}

TEST_CASE("the same document after a restart on the same state file yields no second work order") {
    fb::publish::EmbeddedCluster kafka(1, 3, {"fsm.work-orders", "fsm.dead-letter"});
    auto state = temp_path("restart.db");
    std::string first_event;
    {
        RunningApp daemon(test_config(state, kafka.bootstrap()));
        auto reply = http_request(daemon.port(), "POST", "/webhooks/delivery", sample(shipment_path));
        REQUIRE(reply.status == 202);
        first_event = std::string(reply.json().at("event_id").as_string());
        REQUIRE(consume_at_least(kafka.bootstrap(), "fsm.work-orders", 1).size() == 1);
        // Posted twice while running: still one.
        auto again = http_request(daemon.port(), "POST", "/webhooks/delivery", sample(shipment_path));
        CHECK(again.status == 200);
        CHECK(again.json().at("status") == "unchanged");
    }
    RunningApp daemon(test_config(state, kafka.bootstrap()));
    auto reply = http_request(daemon.port(), "POST", "/webhooks/delivery", sample(shipment_path));
    CHECK(reply.status == 200);
    CHECK(reply.json().at("status") == "unchanged");
    CHECK(reply.json().at("work_order_id") == "WO-delivery-CK20261120-0042");
    // What can ever be published is what the outbox holds: still the first run's one event, sent.
    {
        fb::store::Database db(state, fb::store::Database::Mode::read_only);
        fb::store::Statement rows(db.handle(),
                                  "SELECT count(*), count(sent_at) FROM outbox WHERE topic = 'fsm.work-orders'");
        REQUIRE(rows.step());
        CHECK(rows.integer(0) == 1);
        CHECK(rows.integer(1) == 1);
    }
    auto messages = consume_all(kafka.bootstrap(), "fsm.work-orders");
    REQUIRE(messages.size() == 1);
    CHECK(json::parse(messages[0].value).at("event_id") == first_event.c_str());
}

TEST_CASE("bad input on the webhook gets a clear 4xx and the next good request is served") {
    auto state = temp_path("bad-input.db");
    RunningApp daemon(test_config(state, "embedded"));
    auto port = daemon.port();

    auto truncated = http_request(port, "POST", "/webhooks/delivery", sample("bad-input/truncated.json"));
    CHECK(truncated.status == 400);
    CHECK_THAT(truncated.body, Catch::Contains("invalid JSON at line 23"));

    auto not_utf8 = http_request(port, "POST", "/webhooks/delivery", sample("bad-input/not-utf8.json"));
    CHECK(not_utf8.status == 400);
    CHECK_THAT(not_utf8.body, Catch::Contains("UTF-8"));

    auto deep = http_request(port, "POST", "/webhooks/delivery", std::string(20000, '['));
    CHECK(deep.status == 400);
    CHECK_THAT(deep.body, Catch::Contains("nested deeper than 64 levels"));

    auto big = http_request(port, "POST", "/webhooks/delivery", std::string(100000, ' '));
    CHECK(big.status == 413);
    CHECK_THAT(big.body, Catch::Contains("over the limit of 65536 bytes"));

    auto unknown = http_request(port, "POST", "/webhooks/nowhere", sample(shipment_path));
    CHECK(unknown.status == 404);
    CHECK_THAT(unknown.body, Catch::Contains("unknown flow `nowhere`"));

    auto missing_key = http_request(port, "POST", "/webhooks/delivery", sample("bad-input/missing-key.json"));
    CHECK(missing_key.status == 422);
    CHECK_THAT(missing_key.body, Catch::Contains("DocNo"));
    CHECK(missing_key.json().at("status") == "dead_lettered");

    auto good = http_request(port, "POST", "/webhooks/delivery", sample(shipment_path));
    CHECK(good.status == 202);
    CHECK(http_request(port, "GET", "/healthz").status == 200);
    // Ready once the producer reports a broker up (its first statistics, within seconds).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (http_request(port, "GET", "/readyz").status != 200 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(http_request(port, "GET", "/readyz").status == 200);
    auto metrics = http_request(port, "GET", "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_documents_total{flow=\"delivery\",outcome=\"created\"} 1"));
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_documents_total{flow=\"delivery\",outcome=\"dead_lettered\"} 1"));
}

TEST_CASE("a damaged outbox payload is counted and logged, and the events behind it still flow") {
    auto state = temp_path("damaged.db");
    {
        fb::store::Database db(state, fb::store::Database::Mode::read_write);
        db.exec("INSERT INTO outbox (topic, key, event_id, event_type, flow, document_id, "
                "occurred_at, created_at) VALUES ('fsm.work-orders', 'WO-delivery-X', 'e-x', "
                "'work_order.created', 'delivery', 'X', 'now', 1)");
        db.exec("INSERT INTO outbox_payload (id, payload) VALUES (last_insert_rowid(), x'ffffff7f00')");
    }
    RunningApp daemon(test_config(state, "embedded"));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", sample(shipment_path)).status == 202);
    auto messages = consume_at_least(daemon.app().kafka_bootstrap(), "fsm.work-orders", 1);
    REQUIRE(messages.size() == 1);
    CHECK(messages.front().key == "WO-delivery-CK20261120-0042");
    auto metrics = http_request(daemon.port(), "GET", "/metrics").body;
    CHECK_THAT(metrics, Catch::Contains("fieldbridge_publish_failures_total 1"));
}

TEST_CASE("an acknowledged event is marked sent without waiting for the housekeeping tick") {
    // The tick is ten minutes away: if a lone mark waited for it, the depth would stay at 1 for
    // the whole (generous) wait. Nothing here depends on how fast the machine is.
    RunningApp daemon(test_config(temp_path("marks.db"), "embedded",
                                  "outbox: { housekeeping_every: 10m }\n"));
    REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", sample(shipment_path)).status == 202);
    REQUIRE(consume_at_least(daemon.app().kafka_bootstrap(), "fsm.work-orders", 1).size() == 1);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::int64_t depth = -1;
    while (std::chrono::steady_clock::now() < deadline) {
        depth = http_request(daemon.port(), "GET", "/readyz").json().at("outbox_depth").as_int64();
        if (depth == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(depth == 0);
}
