// /readyz reflects whether a document sent now would be accepted and published: Kafka outages,
// and delivery marks that survive a failed transaction.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <functional>
#include <set>

#include "harness.h"
#include "publish/kafka.h"
#include "store/database.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

std::string shipment(const std::string& doc_no) {
    auto d = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    d["DocNo"] = doc_no;
    return json::serialize(d);
}

std::string batch(const std::string& prefix, int n) {
    std::string body;
    for (int i = 0; i < n; ++i) body += shipment(prefix + std::to_string(i)) + "\n";
    return body;
}

const std::map<std::string, std::string> ndjson{{"Content-Type", "application/x-ndjson"}};

bool wait_until(const std::function<bool()>& done, int seconds = 60) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

std::string kafka_detail(const HttpReply& ready) {
    auto body = ready.json();
    auto& kafka = body.at("checks").at("kafka").as_object();
    return kafka.contains("detail") ? std::string(kafka.at("detail").as_string()) : "";
}

bool failing_only(const HttpReply& ready, const std::string& check) {
    return ready.status == 503 && ready.json().at("failing") == json::array{check.c_str()};
}

// The value of an unlabelled series in a /metrics page; -1 when absent.
long long metric(unsigned short port, const std::string& name) {
    auto page = http_request(port, "GET", "/metrics").body;
    auto at = page.find("\n" + name + " ");
    return at == page.npos ? -1 : std::stoll(page.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("a broker outage makes /readyz 503 naming kafka while documents are still taken, and it "
          "recovers") {
    fb::publish::EmbeddedCluster kafka(1, 2, {"fsm.work-orders", "fsm.dead-letter"});
    auto config = test_config(temp_path("ready-kafka.db"), kafka.bootstrap());
    config.kafka.delivery_stall = std::chrono::milliseconds(1000);
    RunningApp daemon(config);
    auto ready = [&] { return http_request(daemon.port(), "GET", "/readyz"); };
    REQUIRE(wait_until([&] { return ready().status == 200; }));
    CHECK(ready().json().at("checks").at("kafka").at("ok") == true);
    // The gauges follow within the relay's next turn (≤ 100 ms).
    CHECK(wait_until([&] { return metric(daemon.port(), "fieldbridge_kafka_brokers_up") >= 1; }));

    kafka.set_broker_down(1, true);
    REQUIRE(wait_until([&] { return failing_only(ready(), "kafka"); }));
    CHECK_THAT(kafka_detail(ready()), Catch::Contains("no Kafka broker is up"));
    CHECK(http_request(daemon.port(), "GET", "/healthz").status == 200);

    // The outbox still takes documents; with them in flight and no report, the stall shows.
    auto reply = http_request(daemon.port(), "POST", "/webhooks/delivery", batch("K-", 5), ndjson);
    REQUIRE(reply.status == 200);
    CHECK(reply.json().at("counts").at("created") == 5);
    CHECK(wait_until([&] {
        return kafka_detail(ready()).find("no delivery report") != std::string::npos;
    }));
    CHECK(wait_until([&] { return metric(daemon.port(), "fieldbridge_kafka_reachable") == 0; }));

    kafka.set_broker_down(1, false);
    REQUIRE(wait_until([&] { return ready().status == 200; }));
    CHECK(wait_until([&] { return metric(daemon.port(), "fieldbridge_kafka_reachable") == 1; }));
    CHECK(consume_at_least(kafka.bootstrap(), "fsm.work-orders", 5, 60000).size() == 5);
}

TEST_CASE("delivery marks of a failed transaction are kept: the outbox drains and nothing is "
          "re-sent at the next start") {
    fb::publish::EmbeddedCluster kafka(1, 2, {"fsm.work-orders", "fsm.dead-letter"});
    auto state = temp_path("kept-marks.db");
    auto config = test_config(state, kafka.bootstrap());
    {
        RunningApp daemon(config);
        // A real failure inside the intake's transaction: every marking is refused by SQLite
        // until the test drops the trigger.
        fb::store::Database injector(state);
        injector.exec("CREATE TRIGGER inject_mark_failure BEFORE UPDATE OF sent_at ON outbox "
                      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
        auto reply = http_request(daemon.port(), "POST", "/webhooks/delivery", batch("M-", 10), ndjson);
        REQUIRE(reply.status == 200);
        REQUIRE(consume_at_least(kafka.bootstrap(), "fsm.work-orders", 10).size() == 10);
        REQUIRE(wait_until([&] { return metric(daemon.port(), "fieldbridge_commit_failures_total") >= 1; }));
        CHECK(http_request(daemon.port(), "GET", "/readyz").json().at("outbox_depth") == 10);

        injector.exec("DROP TRIGGER inject_mark_failure");
        CHECK(wait_until([&] {
            return http_request(daemon.port(), "GET", "/readyz").json().at("outbox_depth") == 0;
        }));
        CHECK(wait_until([&] { return http_request(daemon.port(), "GET", "/readyz").status == 200; }));
    }
    {
        fb::store::Database db(state, fb::store::Database::Mode::read_only);
        fb::store::Statement unsent(db.handle(), "SELECT count(*) FROM outbox WHERE sent_at IS NULL");
        REQUIRE(unsent.step());
        CHECK(unsent.integer(0) == 0);
        unsent.reset();
    }
    {
        RunningApp daemon(config);  // rows left unsent would be produced before this one
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery", shipment("M-after")).status == 202);
        REQUIRE(consume_at_least(kafka.bootstrap(), "fsm.work-orders", 11).size() >= 11);
    }
    auto all = consume_all(kafka.bootstrap(), "fsm.work-orders");
    std::set<std::string> keys;
    for (const auto& m : all) keys.insert(m.key);
    CHECK(keys.size() == 11);
    CHECK(all.size() == 11);
}
