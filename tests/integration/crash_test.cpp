// No loss, no duplicates, order per key — while the daemon is killed with SIGKILL mid-load.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "daemon_process.h"
#include "harness.h"
#include "publish/kafka.h"
#include "store/database.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

struct Doc {
    std::string doc_no, version, line;
};

// Shipment documents from the sample: `count` documents, every third one changed once later.
std::vector<Doc> make_documents(int count) {
    auto base = json::parse(sample("generic-rest/shipment-CK20261120-0042.json")).as_object();
    std::vector<Doc> first, second;
    for (int i = 0; i < count; ++i) {
        auto d = base;
        auto no = "CRASH-" + std::to_string(100000 + i);
        d["DocNo"] = no;
        d["ModifyTime"] = "2026-11-20T10:00:00+08:00";
        first.push_back({no, "2026-11-20T10:00:00+08:00", json::serialize(d)});
        if (i % 3 == 0) {
            d["ModifyTime"] = "2026-11-21T10:00:00+08:00";
            d["Street"] = "望京西路48号院 5号楼 " + std::to_string(i);
            second.push_back({no, "2026-11-21T10:00:00+08:00", json::serialize(d)});
        }
    }
    first.insert(first.end(), second.begin(), second.end());  // v2 always after its v1
    return first;
}

std::string write_config(const std::string& state, const std::string& brokers) {
    auto path = state + ".yaml";
    std::ofstream(path) << "state: { path: " << state << " }\n"
                        << "kafka: { brokers: \"" << brokers << "\" }\n"
                        << "http: { listen: 127.0.0.1:0 }\n"
                        << "log: { level: info }\n"
                        << "flows:\n  - name: delivery\n    source: { type: webhook }\n"
                        << "    mapping: " << FB_SOURCE_DIR
                        << "/mappings/generic-rest/shipment-to-delivery.yaml\n";
    return path;
}

}  // namespace

TEST_CASE("kill -9 during a load loses nothing, doubles nothing and keeps order per work order") {
    fb::publish::EmbeddedCluster kafka(3, 6, {"fsm.work-orders", "fsm.dead-letter"});
    auto state = temp_path("crash.db");
    DaemonProcess daemon(write_config(state, kafka.bootstrap()), state + ".log");
    daemon.start();
    std::atomic<unsigned short> port = daemon.port();

    auto docs = make_documents(3000);
    std::atomic<bool> loaded = false;
    std::thread loader([&] {
        // Batches of 25 NDJSON lines; a batch is re-sent until the daemon acknowledges it.
        for (std::size_t i = 0; i < docs.size(); i += 25) {
            std::string body;
            for (std::size_t j = i; j < std::min(docs.size(), i + 25); ++j) body += docs[j].line + "\n";
            for (;;) {
                try {
                    auto p = port.load();
                    if (p && http_request(p, "POST", "/webhooks/delivery", body,
                                          {{"Content-Type", "application/x-ndjson"}})
                                     .status == 200)
                        break;
                } catch (const std::exception&) {
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        loaded = true;
    });
    std::mt19937 rng(Catch::rngSeed());
    int kills = 0;
    for (; kills < 5 && !loaded; ++kills) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 250));
        port = 0;
        daemon.kill9();
        daemon.start();
        port = daemon.port();
    }
    loader.join();
    INFO("kills: " << kills);
    CHECK(kills >= 3);

    // Expected: one created per document, one updated per changed document.
    std::set<std::pair<std::string, std::string>> expected;
    for (const auto& d : docs) expected.emplace("WO-delivery-" + d.doc_no, d.version);
    std::map<std::pair<std::string, std::string>, std::set<std::string>> events;  // → event ids
    std::map<std::string, std::vector<std::string>> versions_in_order;             // key → versions
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::vector<Message> messages;
    do {
        messages = consume_all(kafka.bootstrap(), "fsm.work-orders");
        events.clear();
        for (const auto& m : messages) {
            auto e = json::parse(m.value);
            std::string version(e.at("source").at("document_version").as_string());
            events[{m.key, version}].insert(std::string(e.at("event_id").as_string()));
        }
    } while (events.size() < expected.size() && std::chrono::steady_clock::now() < deadline);
    daemon.terminate();

    // Every document has its work order, in each of its versions; nothing else exists.
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& [k, ids] : events) seen.insert(k);
    CHECK(seen == expected);
    // No two different event ids for one document version.
    std::size_t doubled = 0;
    for (const auto& [k, ids] : events) doubled += ids.size() > 1;
    CHECK(doubled == 0);
    // Per key, in offset order, a version never follows a newer one (re-sends repeat, in order).
    std::sort(messages.begin(), messages.end(),
              [](auto& a, auto& b) { return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset); });
    std::size_t out_of_order = 0;
    std::map<std::string, std::string> newest;
    for (const auto& m : messages) {
        std::string v(json::parse(m.value).at("source").at("document_version").as_string());
        auto& n = newest[m.key];
        if (v < n) ++out_of_order;
        n = std::max(n, v);
    }
    CHECK(out_of_order == 0);
    // Versions of one work order stay in one partition.
    std::map<std::string, std::set<int>> partitions;
    for (const auto& m : messages) partitions[m.key].insert(m.partition);
    for (const auto& [k, p] : partitions) CHECK(p.size() == 1);
    WARN("crash test: " << docs.size() << " document versions, " << kills << " kills, "
                        << messages.size() << " messages (" << messages.size() - expected.size()
                        << " re-sent duplicates of the same event id)");
}

TEST_CASE("SIGTERM answers the requests in progress, flushes Kafka and leaves nothing unsent") {
    fb::publish::EmbeddedCluster kafka(1, 3, {"fsm.work-orders", "fsm.dead-letter"});
    auto state = temp_path("sigterm.db");
    DaemonProcess daemon(write_config(state, kafka.bootstrap()), state + ".log");
    daemon.start();
    auto docs = make_documents(600);
    std::string body;
    for (const auto& d : docs) body += d.line + "\n";
    auto reply = http_request(daemon.port(), "POST", "/webhooks/delivery", body,
                              {{"Content-Type", "application/x-ndjson"}});
    REQUIRE(reply.status == 200);
    CHECK(daemon.terminate() == 0);
    fb::store::Database db(state, fb::store::Database::Mode::read_only);
    fb::store::Statement unsent(db.handle(), "SELECT count(*) FROM outbox WHERE sent_at IS NULL");
    REQUIRE(unsent.step());
    CHECK(unsent.integer(0) == 0);
    CHECK(consume_all(kafka.bootstrap(), "fsm.work-orders").size() == docs.size());
}
