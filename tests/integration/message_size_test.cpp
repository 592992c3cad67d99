// A work order larger than Kafka takes (the producer's message.max.bytes) is refused at intake
// and dead-lettered with the field that made it so: in the outbox it could never be sent, and the
// versions after it would overtake it. The dead-letter message itself stays under the limit, and
// the entry replays once the limit is raised.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "harness.h"
#include "ledger/dead_letter.h"
#include "mapping/mapping.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

fb::config::Config sized_config(const std::string& state, const std::string& max_bytes) {
    std::string text = "state: { path: " + state + " }\n"
                       "kafka: { brokers: embedded, embedded_brokers: 1,\n"
                       "         properties: { message.max.bytes: \"" + max_bytes + "\" } }\n"
                       "http: { listen: 127.0.0.1:0 }\n"
                       "flows:\n"
                       "  - name: delivery\n"
                       "    source: { type: webhook }\n"
                       "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n";
    return fb::config::parse(text, "sized.yaml", FB_SOURCE_DIR);
}

// The sample shipment at `modified` with a Remark (the work order's notes) of `remark_bytes`.
std::string shipment(const std::string& modified, std::size_t remark_bytes) {
    auto doc = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    doc["ModifyTime"] = modified;
    std::string remark;
    while (remark.size() < remark_bytes) remark += "送货前电话联系 ";  // multi-byte text
    doc["Remark"] = remark;
    return json::serialize(doc);
}

long long metric(unsigned short port, const std::string& series) {
    auto text = http_request(port, "GET", "/metrics").body;
    auto at = text.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stoll(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("a work order too large for Kafka is dead-lettered at intake, naming its longest field, and replays once the limit is raised") {
    auto state = temp_path("message-size.db");
    const auto small = shipment("2026-11-20T16:41:07+08:00", 100);
    const auto large = shipment("2026-11-20T17:00:00+08:00", 300000);
    std::int64_t entry = 0;
    {
        RunningApp daemon(sized_config(state, "200000"));
        auto created = http_request(daemon.port(), "POST", "/webhooks/delivery", small);
        REQUIRE(created.status == 202);
        auto refused = http_request(daemon.port(), "POST", "/webhooks/delivery", large);
        REQUIRE(refused.status == 422);
        auto reason = std::string(refused.json().at("error").as_string());
        CHECK_THAT(reason, Catch::Contains("CK20261120-0042") && Catch::Contains("`notes`") &&
                               Catch::Contains("message.max.bytes (200000)"));
        entry = refused.json().at("dead_letter_id").as_int64();

        // Both events reach Kafka and the outbox empties: nothing is stuck behind the refusal.
        auto bootstrap = daemon.app().kafka_bootstrap();
        auto orders = consume_at_least(bootstrap, "fsm.work-orders", 1);
        auto letters = consume_at_least(bootstrap, "fsm.dead-letter", 1);
        REQUIRE(orders.size() == 1);
        CHECK(orders[0].headers.at("ce_type") == "work_order.created");
        REQUIRE(letters.size() == 1);
        CHECK(letters[0].value.size() < 200000);
        auto message = json::parse(letters[0].value).as_object();
        CHECK(message.at("input_truncated") == true);
        CHECK(message.at("input_bytes").as_int64() == static_cast<std::int64_t>(large.size()));
        CHECK(message.at("input").as_string().size() <= fb::ledger::kDeadLetterMessageInput);
        CHECK(json::serialize(message.at("input")).find("\\u") == std::string::npos);  // cut between characters
        for (int i = 0; i < 600 && metric(daemon.port(), "fieldbridge_outbox_depth") != 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CHECK(metric(daemon.port(), "fieldbridge_outbox_depth") == 0);
        CHECK(metric(daemon.port(), "fieldbridge_publish_failures_total") == 0);
    }
    // The state file keeps the whole input: raised limit, replay, and the update goes out.
    auto raised = sized_config(state, "2000000");
    {
        fb::store::Database db(state);
        auto mapping = fb::mapping::Mapping::load(
            std::string(FB_SOURCE_DIR) + "/mappings/generic-rest/shipment-to-delivery.yaml");
        auto report = fb::ledger::replay_dead_letters(db, raised, {{"delivery", mapping}}, {entry});
        INFO((report.lines.empty() ? std::string() : report.lines[0]));
        CHECK(report.replayed == 1);
    }
    RunningApp daemon(raised);
    auto orders = consume_at_least(daemon.app().kafka_bootstrap(), "fsm.work-orders", 1);
    REQUIRE(orders.size() == 1);
    CHECK(orders[0].headers.at("ce_type") == "work_order.updated");
    CHECK(orders[0].value.size() > 300000);
}

TEST_CASE("kafka.properties message.max.bytes that is not a byte count, or too small for a dead-letter message, is a config error") {
    for (std::string bad : {"1000", "1MB", "", "2000000000"}) {
        INFO(bad);
        try {
            sized_config(temp_path("message-size-bad.db"), bad);
            FAIL("accepted");
        } catch (const std::exception& e) {
            CHECK_THAT(e.what(), Catch::Contains("sized.yaml:3:") &&
                                     Catch::Contains("message.max.bytes must be a whole number"));
        }
    }
}
