// No loss, no duplicates, order per key — while the daemon is killed with SIGKILL mid-load.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <poll.h>

#include <fstream>
#include <map>
#include <random>
#include <set>

#include "daemon_process.h"
#include "harness.h"
#include "publish/kafka.h"
#include "store/database.h"
#include "support/source_dir.h"

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

std::string ndjson_batch(const std::vector<Doc>& docs, std::size_t from, std::size_t to) {
    std::string body;
    for (std::size_t j = from; j < std::min(docs.size(), to); ++j) body += docs[j].line + "\n";
    return body;
}

// Writes a whole NDJSON request and returns without reading the answer: the request is in flight.
struct RequestInFlight {
    boost::asio::io_context io;
    boost::beast::tcp_stream stream{io};
    RequestInFlight(unsigned short port, const std::string& body) {
        namespace http = boost::beast::http;
        stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        http::request<http::string_body> req{http::verb::post, "/webhooks/delivery", 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::content_type, "application/x-ndjson");
        req.body() = body;
        req.prepare_payload();
        http::write(stream, req);
    }
    // True when the daemon has begun to answer within `ms` (0: right now).
    bool answered_within(int ms) {
        pollfd p{stream.socket().native_handle(), POLLIN, 0};
        return ::poll(&p, 1, ms) > 0;
    }
};

// Unsent rows of the work-order topic in the state file, by event id.
std::set<std::string> unsent_event_ids(const std::string& state) {
    fb::store::Database db(state, fb::store::Database::Mode::read_only);
    fb::store::Statement q(db.handle(), "SELECT event_id FROM outbox WHERE sent_at IS NULL AND "
                                        "topic = 'fsm.work-orders'");
    std::set<std::string> ids;
    while (q.step()) ids.emplace(q.text(0));
    return ids;
}

std::size_t count_in(const std::set<std::string>& ids, const std::set<std::string>& seen) {
    std::size_t n = 0;
    for (const auto& id : ids) n += seen.count(id);
    return n;
}

}  // namespace

// Kills happen at points of progress, not at times, so every run kills as often whatever the
// machine's speed: every tenth acknowledged batch the loader kills the daemon in one of three
// ways, in turn, and checks on the dead daemon's state file that the kill hit what it aimed at:
//  - a request in flight: the batch is written, the answer not yet read (it is re-sent after);
//  - events acknowledged by Kafka whose marks are not yet committed (they are re-sent: duplicates
//    of the same event id, which consumers drop);
//  - events committed but not yet acknowledged by Kafka (in the relay's hands).
TEST_CASE("kill -9 during a load loses nothing, doubles nothing and keeps order per work order") {
    fb::publish::EmbeddedCluster kafka(3, 6, {"fsm.work-orders", "fsm.dead-letter"});
    auto state = temp_path("crash.db");
    DaemonProcess daemon(write_config(state, kafka.bootstrap()), state + ".log");
    daemon.start();
    TopicWatcher watcher(kafka.bootstrap(), "fsm.work-orders");

    auto docs = make_documents(3000);
    constexpr std::size_t batch = 25, kill_every = 10;
    std::mt19937 rng(Catch::rngSeed());
    int kills = 0, in_flight_kills = 0, unmarked_kills = 0, unacked_kills = 0;
    std::set<std::string> unmarked;  // events Kafka had while the dead daemon had not marked them
    auto restart = [&] {
        daemon.kill9();
        ++kills;
        daemon.start();
    };
    // Batches of 25 NDJSON lines; a batch is re-sent until the daemon acknowledges it.
    auto post = [&](std::size_t from) {
        for (int attempt = 0;; ++attempt) {
            REQUIRE(attempt < 100);
            try {
                auto r = http_request(daemon.port(), "POST", "/webhooks/delivery",
                                      ndjson_batch(docs, from, from + batch),
                                      {{"Content-Type", "application/x-ndjson"}});
                if (r.status == 200) return;
                INFO(r.body);
                REQUIRE(r.status == 503);  // the only refusal allowed: retry later
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    };
    int kind = 0;          // which kill comes next: in flight, unmarked, unacknowledged
    bool pending = false;  // a kill is due; it stays due until one hits what it aims at
    for (std::size_t i = 0, batches = 0; i < docs.size(); i += batch) {
        if (++batches % kill_every == 0) pending = true;
        if (pending && kind % 3 == 0) {
            // A request in flight: written, its answer not read; killed at once or a moment later.
            RequestInFlight request(daemon.port(), ndjson_batch(docs, i, i + batch));
            bool answered = request.answered_within(static_cast<int>(rng() % 3));
            restart();
            if (!answered) ++in_flight_kills, ++kind, pending = false;
            post(i);  // the ERP never got its answer: it sends the batch again
            continue;
        }
        post(i);
        if (!pending) continue;
        if (kind % 3 == 1) {
            // Kafka has events whose delivery marks wait to be committed: kill before they are.
            bool hit = false;
            for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
                 !hit && std::chrono::steady_clock::now() < until;) {
                auto unsent = unsent_event_ids(state);
                if (unsent.empty()) break;  // marked before the watcher saw them: next batch
                hit = count_in(unsent, watcher.event_ids()) > 0;
                if (!hit) std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
            if (!hit) continue;
            daemon.kill9();
            ++kills;
            // Read while it is dead: what Kafka had then and the state file had not marked.
            auto seen = watcher.event_ids();
            std::size_t confirmed = 0;
            for (const auto& id : unsent_event_ids(state))
                if (seen.count(id)) unmarked.insert(id), ++confirmed;
            daemon.start();
            if (confirmed) ++unmarked_kills, ++kind, pending = false;
        } else {
            // Committed, not yet acknowledged: the relay holds them, or has yet to read them.
            auto unsent = unsent_event_ids(state);
            if (unsent.size() <= count_in(unsent, watcher.event_ids())) continue;
            daemon.kill9();
            bool hit = !unsent_event_ids(state).empty();  // the dead daemon still owed them
            ++kills;
            daemon.start();
            if (hit) ++unacked_kills, ++kind, pending = false;
        }
    }
    INFO("kills: " << kills << " (" << in_flight_kills << " with a request in flight, "
                   << unmarked_kills << " with " << unmarked.size() << " acknowledged events unmarked, "
                   << unacked_kills << " with events unacknowledged)");
    // A run whose kills hit nothing in flight would prove nothing.
    CHECK(kills >= 5);
    CHECK(in_flight_kills >= 1);
    CHECK(unmarked_kills >= 1);
    CHECK(unacked_kills >= 1);

    // Expected: one created per document, one updated per changed document.
    std::set<std::pair<std::string, std::string>> expected;
    for (const auto& d : docs) expected.emplace("WO-delivery-" + d.doc_no, d.version);
    std::map<std::pair<std::string, std::string>, std::set<std::string>> events;  // → event ids
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    std::vector<Message> messages;
    do {
        messages = consume_all(kafka.bootstrap(), "fsm.work-orders");
        events.clear();
        for (const auto& m : messages) {
            auto e = json::parse(m.value);
            std::string version(e.at("source").at("document_version").as_string());
            events[{m.key, version}].insert(std::string(e.at("event_id").as_string()));
        }
    } while ((events.size() < expected.size() || !unsent_event_ids(state).empty()) &&
             std::chrono::steady_clock::now() < deadline);
    CHECK(daemon.terminate() == 0);

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
    // Each event acknowledged but unmarked at a kill was sent again, under the same event id.
    auto duplicates = messages.size() - seen.size();
    CHECK(duplicates >= unmarked.size());
    WARN("crash test: " << docs.size() << " document versions, " << kills << " kills ("
                        << in_flight_kills << " with a request in flight, " << unmarked_kills
                        << " with acknowledged events unmarked, " << unacked_kills
                        << " with events unacknowledged), " << messages.size() << " messages ("
                        << duplicates << " re-sent duplicates of the same event id)");
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
