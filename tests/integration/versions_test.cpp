// Versions have an order: an older version after a newer one is stale (answered 200, counted,
// traced, nothing published); a cancelled work order stays cancelled unless a strictly newer
// version reopens it and the mapping allows it. Every test runs the real daemon against a
// one-partition embedded cluster, so a sentinel document published after the posts under test
// proves that nothing else was published before it.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "harness.h"
#include "ledger/trace.h"
#include "publish/kafka.h"
#include "store/database.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const std::string topic = "fsm.work-orders";

// A directory of its own inside the test process's folder, removed when the test ends.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (temp_folder() / "versions-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()));
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

// The generic shipment mapping with another `version:` line and extra top-level lines.
std::string write_mapping(const TempDir& dir, const std::string& version_line,
                          const std::string& extra = "") {
    auto text = read_file(std::string(FB_SOURCE_DIR) + "/mappings/generic-rest/shipment-to-delivery.yaml");
    auto at = text.find("version: $.ModifyTime\n");
    REQUIRE(at != std::string::npos);
    text.replace(at, std::string("version: $.ModifyTime\n").size(), version_line + "\n" + extra);
    auto path = dir.file("mapping.yaml");
    std::ofstream(path) << text;
    return path;
}

fb::config::Config flow_config(const TempDir& dir, const std::string& brokers,
                               const std::string& mapping = "mappings/generic-rest/shipment-to-delivery.yaml") {
    std::string text = "state: { path: " + dir.file("state.db") + ", synchronous: normal }\n" +
                       "kafka: { brokers: \"" + brokers + "\" }\n" +
                       "http: { listen: 127.0.0.1:0, max_body_bytes: 65536 }\n"
                       "flows:\n"
                       "  - name: delivery\n"
                       "    document_type: shipment\n"
                       "    source: { type: webhook }\n"
                       "    mapping: " + mapping + "\n";
    return fb::config::parse(text, "test.yaml", FB_SOURCE_DIR);
}

// A shipment whose street tells its version apart, so the topic shows whose content it carries.
std::string shipment_with(const std::string& doc_no, json::value version,
                          const std::string& street, const std::string& status,
                          const std::string& version_field) {
    auto d = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    d["DocNo"] = doc_no;
    d[version_field] = version;
    d["Street"] = street;
    d["Status"] = status;
    return json::serialize(d);
}

std::string shipment(const std::string& doc_no, const std::string& version,
                     const std::string& street, const std::string& status = "approved",
                     const std::string& version_field = "ModifyTime") {
    return shipment_with(doc_no, json::string_view(version), street, status, version_field);
}

std::string shipment(const std::string& doc_no, std::int64_t version, const std::string& street,
                     const std::string& status, const std::string& version_field) {
    return shipment_with(doc_no, version, street, status, version_field);
}

struct Event {
    std::string type, version, street, event_id;
};

// The events of `key` on the topic, once the sentinel document has landed after them.
std::vector<Event> events_before_sentinel(unsigned short port, const std::string& bootstrap,
                                          const std::string& key) {
    auto reply = http_request(port, "POST", "/webhooks/delivery",
                              shipment("SENTINEL", "2026-01-01T00:00:00Z", "x"));
    if (reply.status != 202) return {};
    std::vector<Event> events;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        auto all = consume_all(bootstrap, topic);
        bool sentinel = false;
        events.clear();
        for (const auto& m : all) {
            auto v = json::parse(m.value);
            if (v.at("source").at("document_id") == "SENTINEL") sentinel = true;
            if (m.key != key) continue;
            events.push_back({std::string(v.at("type").as_string()),
                              std::string(v.at("source").at("document_version").as_string()),
                              std::string(v.at("work_order").at("address").at("street").as_string()),
                              std::string(v.at("event_id").as_string())});
        }
        if (sentinel) return events;
    }
    FAIL("the sentinel document never reached the topic");
    return {};
}

json::value post(unsigned short port, const std::string& body, int expect_status) {
    auto reply = http_request(port, "POST", "/webhooks/delivery", body);
    INFO(reply.body);
    CHECK(reply.status == expect_status);
    return reply.json();
}

long metric(unsigned short port, const std::string& outcome) {
    auto text = http_request(port, "GET", "/metrics").body;
    auto name = "fieldbridge_documents_total{flow=\"delivery\",outcome=\"" + outcome + "\"} ";
    auto at = text.find(name);
    return at == std::string::npos ? -1 : std::stol(text.substr(at + name.size()));
}

json::object trace(const TempDir& dir, const std::string& document_id) {
    fb::store::Database db(dir.file("state.db"), fb::store::Database::Mode::read_only);
    return fb::ledger::trace_document(db, "delivery", document_id);
}

const std::string v1 = "2026-11-20T10:00:00+08:00", v2 = "2026-11-21T10:00:00+08:00",
                  v3 = "2026-11-22T10:00:00+08:00";

}  // namespace

TEST_CASE("v1 then v2 then v1 again: the late v1 is stale and the work order ends on v2") {
    TempDir dir;
    fb::publish::EmbeddedCluster kafka(1, 1, {topic, "fsm.dead-letter"});
    RunningApp daemon(flow_config(dir, kafka.bootstrap()));
    auto port = daemon.port();
    auto first = post(port, shipment("CK-1", v1, "street v1"), 202);
    CHECK(first.at("status") == "created");
    CHECK(post(port, shipment("CK-1", v2, "street v2"), 202).at("status") == "updated");
    // The ERP retries v1 (its answer was lost) on another connection after v2 went through.
    auto late = post(port, shipment("CK-1", v1, "street v1"), 200);
    CHECK(late.at("status") == "stale");
    CHECK_THAT(std::string(late.at("note").as_string()), Catch::Contains("nothing was published"));
    CHECK_FALSE(late.as_object().contains("event_id"));
    // A re-send of v2 is unchanged: no event, so its one event id stays the last word.
    CHECK(post(port, shipment("CK-1", v2, "street v2"), 200).at("status") == "unchanged");

    auto events = events_before_sentinel(port, kafka.bootstrap(), "WO-delivery-CK-1");
    REQUIRE(events.size() == 2);
    CHECK(events[0].type == "work_order.created");
    CHECK(events[0].street == "street v1");
    CHECK(events[1].type == "work_order.updated");
    CHECK(events[1].street == "street v2");
    CHECK(events[1].version == v2);
    CHECK(metric(port, "stale") == 1);

    auto t = trace(dir, "CK-1");
    CHECK(t.at("ledger").at("version").as_string() == v2);
    CHECK(t.at("ledger").at("stale_arrivals").at("count") == 1);
    CHECK(t.at("ledger").at("stale_arrivals").at("last_version").as_string() == v1);
    CHECK(t.at("events").as_array().size() == 2);
}

TEST_CASE("v2 before v1: v1 arrives stale and only v2 is ever published") {
    TempDir dir;
    fb::publish::EmbeddedCluster kafka(1, 1, {topic, "fsm.dead-letter"});
    RunningApp daemon(flow_config(dir, kafka.bootstrap()));
    auto port = daemon.port();
    CHECK(post(port, shipment("CK-2", v2, "street v2"), 202).at("status") == "created");
    CHECK(post(port, shipment("CK-2", v1, "street v1"), 200).at("status") == "stale");
    auto events = events_before_sentinel(port, kafka.bootstrap(), "WO-delivery-CK-2");
    REQUIRE(events.size() == 1);
    CHECK(events[0].type == "work_order.created");
    CHECK(events[0].street == "street v2");
}

TEST_CASE("created, cancelled, then an old version: stale, and the work order stays cancelled") {
    TempDir dir;
    fb::publish::EmbeddedCluster kafka(1, 1, {topic, "fsm.dead-letter"});
    RunningApp daemon(flow_config(dir, kafka.bootstrap()));
    auto port = daemon.port();
    CHECK(post(port, shipment("CK-3", v1, "street v1"), 202).at("status") == "created");
    CHECK(post(port, shipment("CK-3", v2, "street v2", "cancelled"), 202).at("status") ==
          "cancelled");
    CHECK(post(port, shipment("CK-3", v1, "street v1"), 200).at("status") == "stale");
    // A newer, live version: the mapping does not reopen (reopen: false by default).
    auto newer = post(port, shipment("CK-3", v3, "street v3"), 200);
    CHECK(newer.at("status") == "cancelled");
    CHECK_THAT(std::string(newer.at("note").as_string()), Catch::Contains("reopen: false"));
    // And the version in between is now stale too: the newer one was recorded.
    CHECK(post(port, shipment("CK-3", v2, "street v2b"), 200).at("status") == "stale");

    auto events = events_before_sentinel(port, kafka.bootstrap(), "WO-delivery-CK-3");
    REQUIRE(events.size() == 2);
    CHECK(events[0].type == "work_order.created");
    CHECK(events[1].type == "work_order.cancelled");
    CHECK(trace(dir, "CK-3").at("ledger").at("state") == "cancelled");
    CHECK(metric(port, "stale") == 2);
}

TEST_CASE("first seen cancelled answers cancelled with nothing published, an older version then is stale") {
    TempDir dir;
    fb::publish::EmbeddedCluster kafka(1, 1, {topic, "fsm.dead-letter"});
    RunningApp daemon(flow_config(dir, kafka.bootstrap()));
    auto port = daemon.port();
    auto first = post(port, shipment("CK-4", v2, "street v2", "cancelled"), 200);
    CHECK(first.at("status") == "cancelled");
    CHECK_THAT(std::string(first.at("note").as_string()), Catch::Contains("nothing was published"));
    CHECK(post(port, shipment("CK-4", v1, "street v1"), 200).at("status") == "stale");
    CHECK(post(port, shipment("CK-4", v2, "street v2"), 200).at("status") == "cancelled");
    auto events = events_before_sentinel(port, kafka.bootstrap(), "WO-delivery-CK-4");
    CHECK(events.empty());
    CHECK(metric(port, "filtered") == 0);
}

TEST_CASE("with reopen: true only a strictly newer version reopens a cancelled work order") {
    TempDir dir;
    auto mapping = write_mapping(dir, "version: { path: $.ModifyTime, order: timestamp }",
                                 "reopen: true\n");
    fb::publish::EmbeddedCluster kafka(1, 1, {topic, "fsm.dead-letter"});
    RunningApp daemon(flow_config(dir, kafka.bootstrap(), mapping));
    auto port = daemon.port();
    CHECK(post(port, shipment("CK-5", v1, "street v1"), 202).at("status") == "created");
    CHECK(post(port, shipment("CK-5", v2, "street v2", "cancelled"), 202).at("status") ==
          "cancelled");
    // The same version, live again: not strictly newer, so it stays cancelled.
    CHECK(post(port, shipment("CK-5", v2, "street v2"), 200).at("status") == "cancelled");
    CHECK(post(port, shipment("CK-5", v1, "street v1"), 200).at("status") == "stale");
    CHECK(post(port, shipment("CK-5", v3, "street v3"), 202).at("status") == "created");
    auto events = events_before_sentinel(port, kafka.bootstrap(), "WO-delivery-CK-5");
    REQUIRE(events.size() == 3);
    CHECK(events[0].type == "work_order.created");
    CHECK(events[1].type == "work_order.cancelled");
    CHECK(events[2].type == "work_order.created");
    CHECK(events[2].street == "street v3");
    CHECK(events[2].event_id != events[0].event_id);
}

TEST_CASE("a stale version after a restart on the same state file publishes nothing") {
    TempDir dir;
    fb::publish::EmbeddedCluster kafka(1, 1, {topic, "fsm.dead-letter"});
    {
        RunningApp daemon(flow_config(dir, kafka.bootstrap()));
        CHECK(post(daemon.port(), shipment("CK-6", v2, "street v2"), 202).at("status") ==
              "created");
        REQUIRE(consume_at_least(kafka.bootstrap(), topic, 1).size() == 1);
    }
    RunningApp daemon(flow_config(dir, kafka.bootstrap()));
    CHECK(post(daemon.port(), shipment("CK-6", v1, "street v1"), 200).at("status") == "stale");
    auto events = events_before_sentinel(daemon.port(), kafka.bootstrap(), "WO-delivery-CK-6");
    REQUIRE(events.size() == 1);
    CHECK(events[0].street == "street v2");
}

TEST_CASE("integer versions compare as numbers: 9 after 10 is stale") {
    TempDir dir;
    auto mapping = write_mapping(dir, "version: { path: $.Rev, order: integer }");
    fb::publish::EmbeddedCluster kafka(1, 1, {topic, "fsm.dead-letter"});
    RunningApp daemon(flow_config(dir, kafka.bootstrap(), mapping));
    auto port = daemon.port();
    CHECK(post(port, shipment("CK-7", 9, "street 9", "approved", "Rev"), 202).at("status") ==
          "created");
    CHECK(post(port, shipment("CK-7", "10", "street 10", "approved", "Rev"), 202).at("status") ==
          "updated");
    CHECK(post(port, shipment("CK-7", 9, "street 9", "approved", "Rev"), 200).at("status") ==
          "stale");
    // Not an integer: a clear refusal naming the field, not a silent update.
    auto bad = post(port, shipment("CK-7", "eleven", "street 11", "approved", "Rev"), 422);
    CHECK_THAT(std::string(bad.at("error").as_string()), Catch::Contains("version"));
    auto events = events_before_sentinel(port, kafka.bootstrap(), "WO-delivery-CK-7");
    REQUIRE(events.size() == 2);
    CHECK(events[1].street == "street 10");
}

TEST_CASE("string versions compare as text: rev-a after rev-b is stale") {
    TempDir dir;
    auto mapping = write_mapping(dir, "version: { path: $.Rev, order: string }");
    fb::publish::EmbeddedCluster kafka(1, 1, {topic, "fsm.dead-letter"});
    RunningApp daemon(flow_config(dir, kafka.bootstrap(), mapping));
    auto port = daemon.port();
    CHECK(post(port, shipment("CK-8", "rev-b", "street b", "approved", "Rev"), 202).at("status") ==
          "created");
    CHECK(post(port, shipment("CK-8", "rev-a", "street a", "approved", "Rev"), 200).at("status") ==
          "stale");
    CHECK(post(port, shipment("CK-8", "rev-c", "street c", "approved", "Rev"), 202).at("status") ==
          "updated");
    auto events = events_before_sentinel(port, kafka.bootstrap(), "WO-delivery-CK-8");
    REQUIRE(events.size() == 2);
    CHECK(events[1].street == "street c");
}

TEST_CASE("without a version content alone decides, and a cancelled work order is not revived") {
    TempDir dir;
    auto mapping = write_mapping(dir, "# no version");
    fb::publish::EmbeddedCluster kafka(1, 1, {topic, "fsm.dead-letter"});
    RunningApp daemon(flow_config(dir, kafka.bootstrap(), mapping));
    auto port = daemon.port();
    CHECK(post(port, shipment("CK-9", v1, "street 1"), 202).at("status") == "created");
    CHECK(post(port, shipment("CK-9", v1, "street 1"), 200).at("status") == "unchanged");
    CHECK(post(port, shipment("CK-9", v1, "street 2"), 202).at("status") == "updated");
    CHECK(post(port, shipment("CK-9", v1, "street 2", "cancelled"), 202).at("status") ==
          "cancelled");
    CHECK(post(port, shipment("CK-9", v1, "street 1"), 200).at("status") == "cancelled");
    auto events = events_before_sentinel(port, kafka.bootstrap(), "WO-delivery-CK-9");
    REQUIRE(events.size() == 3);
    CHECK(events[2].type == "work_order.cancelled");
}
