// The status topic read again from its start — a new group.id, committed offsets expired, a
// crash before the offsets were committed — changes nothing: each event id is applied once, a
// writeback goes out once, and an event that was dead-lettered counts an arrival on its open
// entry instead of opening a second one (and a second dead-letter message).
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "harness.h"
#include "loop_support.h"
#include "publish/kafka.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

fb::config::Config reread_config(const std::string& state, const std::string& brokers,
                                 const std::string& group, const std::string& folder) {
    return fb::config::parse(
        "state: { path: " + state + " }\n"
        "kafka: { brokers: \"" + brokers + "\" }\n"
        "http: { listen: 127.0.0.1:0 }\n"
        "status: { group_id: " + group + " }\n"
        "flows:\n"
        "  - name: delivery\n"
        "    source: { type: webhook }\n"
        "    mapping: mappings/generic-rest/shipment-to-delivery.yaml\n"
        "    writeback:\n"
        "      mapping: mappings/generic-rest/delivery-completion-export.yaml\n"
        "      sink: { type: file_export, folder: " + folder + " }\n",
        "reread.yaml", FB_SOURCE_DIR);
}

}  // namespace

TEST_CASE("the status topic read again from the start applies nothing twice and opens no second dead-letter entry") {
    fb::publish::EmbeddedCluster cluster(1, 3, {"fsm.work-orders", "fsm.work-order-status", "fsm.dead-letter"});
    StateFile state("status-reread.db");
    TempDir exports("status-reread");
    const std::string wo = "WO-delivery-CK20261120-0042";
    auto no_status = json::parse(status_event("4-completed.json", wo, "bad-1")).as_object();
    no_status.erase("status");
    {
        RunningApp daemon(reread_config(state.path, cluster.bootstrap(), "first", exports.str()));
        REQUIRE(http_request(daemon.port(), "POST", "/webhooks/delivery",
                             sample("generic-rest/shipment-CK20261120-0042.json")).status == 202);
        publish_status(cluster.bootstrap(), "fsm.work-order-status",
                       {status_event("1-accepted.json", wo, "acc-1"), json::serialize(no_status),
                        status_event("4-completed.json", "WO-delivery-NOT-KNOWN", "unknown-1"),
                        status_event("4-completed.json", wo, "done-1")});
        REQUIRE(wait_for([&] {
            return query_int(state.path, "SELECT count(*) FROM dead_letter") == 2 &&
                   files_in(exports.path).size() == 1 &&
                   query_int(state.path, "SELECT count(*) FROM writebacks WHERE state = 'done'") == 1;
        }));
    }
    // Another group: the consumer starts at the topic's beginning and reads all four again.
    RunningApp daemon(reread_config(state.path, cluster.bootstrap(), "second", exports.str()));
    REQUIRE(wait_for([&] {
        return query_int(state.path, "SELECT count(*) + sum(repeats) FROM dead_letter") == 4 &&
               query_int(state.path, "SELECT count(*) FROM status_events WHERE outcome = 'duplicate'") >= 2;
    }));
    CHECK(query_int(state.path, "SELECT count(*) FROM dead_letter") == 2);
    CHECK(query_int(state.path, "SELECT count(*) FROM dead_letter WHERE repeats = 1") == 2);
    CHECK(query_int(state.path, "SELECT count(*) FROM outbox WHERE event_type = 'dead_letter'") == 2);
    CHECK(query_int(state.path, "SELECT count(*) FROM writebacks") == 1);
    CHECK(files_in(exports.path).size() == 1);
    auto t = trace(state.path, "delivery", "CK20261120-0042");
    INFO(json::serialize(t));
    CHECK(t.at("final_state") == "completed");
}
