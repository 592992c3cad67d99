// The `file` source end to end: real folders, a real state file, a real Kafka (librdkafka's mock
// cluster in this process, so it outlives daemon restarts), and kill -9 at the exact progress
// points that matter (FIELDBRIDGE_TEST_CRASH_AT).
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "connectors/file/inbox.h"
#include "daemon_process.h"
#include "harness.h"
#include "mapping/tools.h"
#include "publish/kafka.h"
#include "store/database.h"
#include "support/temp_dir.h"
#include "support/eventually.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string gbk_sample = std::string(FB_SOURCE_DIR) + "/tests/fixtures/samples/yonyou-u8-csv/dispatchlist-20261120.gbk.csv";
const std::string yonyou_mapping = std::string(FB_SOURCE_DIR) + "/mappings/yonyou-u8/dispatchlist-to-delivery.yaml";

// Waits for `ok` up to 60 s, looking every 20 ms.
std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::int64_t count_rows(const std::string& state, const std::string& sql) {
    fb::store::Database db(state, fb::store::Database::Mode::read_only);
    fb::store::Statement q(db.handle(), sql);
    q.step();
    auto n = q.integer(0);
    q.reset();
    return n;
}

// A folder with inbox/, the state file and the config; Kafka lives in the test process.
struct Drop {
    fb::test::TempDir dir{"file-source"};
    fb::publish::EmbeddedCluster kafka{1, 2, {"fsm.work-orders", "fsm.dead-letter"}};
    std::string state = dir.str("state.db");
    fs::path inbox = dir.path() / "inbox";

    Drop() { fs::create_directories(inbox); }

    std::string yaml(const std::string& source_extra = "complete: stable, stable_for: 300ms",
                     const std::string& mapping = yonyou_mapping) const {
        return "state: { path: " + state + ", synchronous: normal }\n"
               "kafka: { brokers: \"" + kafka.bootstrap() + "\" }\n"
               "http: { listen: 127.0.0.1:0 }\n"
               "flows:\n"
               "  - name: dispatch\n"
               "    source: { type: file, inbox: " + inbox.string() + ", rescan: 1s, " + source_extra + " }\n"
               "    mapping: " + mapping + "\n";
    }
    fb::config::Config config(const std::string& source_extra = "complete: stable, stable_for: 300ms") const {
        return fb::config::parse(yaml(source_extra), "file-test.yaml", FB_SOURCE_DIR);
    }
    std::string config_file(const std::string& source_extra = "complete: stable, stable_for: 300ms") const {
        auto path = dir.str("fieldbridge.yaml");
        std::ofstream(path) << yaml(source_extra);
        return path;
    }
    // The work orders on Kafka, by event id (a re-send after a crash repeats an event id).
    std::map<std::string, json::object> events(std::size_t at_least) const {
        std::map<std::string, json::object> out;
        for (const auto& m : consume_at_least(kafka.bootstrap(), "fsm.work-orders", at_least, 60000))
            out[std::string(json::parse(m.value).at("event_id").as_string())] = json::parse(m.value).as_object();
        return out;
    }
    fs::path sub(const char* name) const { return dir.path() / name; }
};

// The daemon's count of inbox scans: waiting for it to move is waiting for whole rescans.
int scans_of(unsigned short port) {
    auto text = http_request(port, "GET", "/metrics").body;
    auto at = text.find("fieldbridge_file_scans_total{flow=\"dispatch\"");
    return at == std::string::npos ? 0 : std::stoi(text.substr(text.find('}', at) + 2));
}

// `fieldbridge map`'s output for the sample: pretty JSON work orders, each closing with "\n}\n".
std::vector<json::value> offline_work_orders() {
    std::ostringstream out, err;
    REQUIRE(fb::mapping::map_command(yonyou_mapping, {gbk_sample}, "", "", out, err) == 0);
    std::vector<json::value> orders;
    auto text = out.str();
    for (std::size_t start = 0, end; (end = text.find("\n}\n", start)) != std::string::npos; start = end + 3)
        orders.push_back(json::parse(text.substr(start, end + 2 - start)));
    return orders;
}

}  // namespace

TEST_CASE("a GBK CSV dropped in the inbox becomes the same work orders as `fieldbridge map`") {
    Drop drop;
    RunningApp app(drop.config());
    fs::copy_file(gbk_sample, drop.inbox / "dispatchlist-20261120.csv");
    REQUIRE(eventually([&] { return names_in(drop.sub("done")) == std::vector<std::string>{"dispatchlist-20261120.csv"}; }));
    CHECK(names_in(drop.inbox).empty());
    CHECK(names_in(drop.sub("processing")).empty());

    auto expected = offline_work_orders();
    REQUIRE(expected.size() == 2);
    auto events = drop.events(2);
    REQUIRE(events.size() == 2);
    // The same work orders, field by field (JSON objects compare regardless of key order).
    std::map<std::string, json::value> seen, wanted;
    for (auto& [id, e] : events) {
        CHECK(e["type"] == "work_order.created");
        auto wo = e["work_order"].as_object();
        wo.erase("id");
        seen[std::string(wo["source_ref"].as_string())] = wo;
    }
    for (auto& w : expected) wanted[std::string(w.at("source_ref").as_string())] = w;
    REQUIRE(seen.size() == wanted.size());
    for (auto& [ref, wo] : wanted) {
        INFO(ref);
        CHECK(seen[ref] == wo);
    }
    // The file's identity is committed: name, size and content hash.
    auto size = fs::file_size(gbk_sample);
    CHECK(count_rows(drop.state, "SELECT count(*) FROM source_state WHERE flow = 'dispatch' AND key LIKE 'file:%' "
                                 "AND json_extract(value, '$.name') = 'dispatchlist-20261120.csv' AND "
                                 "json_extract(value, '$.size') = " + std::to_string(size)) == 1);
}

TEST_CASE("an undecodable file lands in failed/ with its line and reason, and the next file flows") {
    Drop drop;
    RunningApp app(drop.config());
    // The third line has one field too many: the decoder names line 3.
    std::ofstream(drop.inbox / "broken.csv") << "发货单号,数量\nA1,1\nA2,2,extra\n";
    REQUIRE(eventually([&] { return fs::exists(drop.sub("failed") / "broken.csv"); }));
    fs::copy_file(gbk_sample, drop.inbox / "next.csv");
    REQUIRE(eventually([&] { return fs::exists(drop.sub("done") / "next.csv"); }));

    auto why = read_file((drop.sub("failed") / "broken.csv.error.txt").string());
    CHECK_THAT(why, Catch::Contains("broken.csv") && Catch::Contains("line 3"));
    CHECK(count_rows(drop.state, "SELECT count(*) FROM dead_letter WHERE flow = 'dispatch' AND stage = 'decode' "
                                 "AND reason LIKE '%broken.csv%line 3%'") == 1);
    CHECK(drop.events(2).size() == 2);
    auto dead = consume_at_least(drop.kafka.bootstrap(), "fsm.dead-letter", 1);
    CHECK_THAT(dead.at(0).value, Catch::Contains("broken.csv"));
}

TEST_CASE("a file still being written is not taken before it is stable") {
    Drop drop;
    RunningApp app(drop.config("complete: stable, stable_for: 3s"));
    auto bytes = read_file(gbk_sample);
    auto cut = bytes.find('\n', bytes.size() / 2) + 1;
    auto scans = [&] { return scans_of(app.port()); };
    {
        std::ofstream out(drop.inbox / "slow.csv", std::ios::binary);
        out << bytes.substr(0, cut);
        out.flush();
        // Written in pieces, one after each rescan the daemon makes (1 s apart): it sees the size
        // change every time, over more scans than `stable_for` spans, and must leave the file.
        constexpr int pieces = 6;
        auto step = (bytes.size() - cut) / pieces;
        for (int i = 0; i < pieces; ++i) {
            auto seen = scans();
            REQUIRE(eventually([&] { return scans() > seen; }));
            CHECK(fs::exists(drop.inbox / "slow.csv"));
            auto end = i + 1 == pieces ? bytes.size() : cut + step * (i + 1);
            out << bytes.substr(cut + step * i, end - (cut + step * i));
            out.flush();
        }
    }
    REQUIRE(eventually([&] { return fs::exists(drop.sub("done") / "slow.csv"); }));
    // Taken whole: both documents of the file, not the half that was there at first.
    CHECK(drop.events(2).size() == 2);
}

TEST_CASE("marker mode: a file is taken only once its .ok marker exists, and the marker goes with it") {
    Drop drop;
    RunningApp app(drop.config("complete: marker"));
    fs::copy_file(gbk_sample, drop.inbox / "d.csv");
    // Several rescans (1 s each) pass without the marker: the file stays.
    auto scans = [&] { return scans_of(app.port()); };
    auto before = scans();
    REQUIRE(eventually([&] { return scans() >= before + 3; }));
    CHECK(names_in(drop.inbox) == std::vector<std::string>{"d.csv"});
    std::ofstream(drop.inbox / "d.csv.ok") << "";
    REQUIRE(eventually([&] { return fs::exists(drop.sub("done") / "d.csv"); }));
    CHECK(names_in(drop.inbox).empty());
    CHECK(drop.events(2).size() == 2);
}

TEST_CASE("after: delete removes a committed file, a file over max_file_bytes fails with the limit named, an empty one after it on its own bytes") {
    Drop drop;
    RunningApp app(drop.config("complete: rename, after: delete, max_file_bytes: 2000"));
    fs::copy_file(gbk_sample, drop.inbox / "small.csv.part");  // rename mode: written, then renamed
    fs::rename(drop.inbox / "small.csv.part", drop.inbox / "small.csv");
    REQUIRE(eventually([&] {
        return count_rows(drop.state, "SELECT count(*) FROM source_state WHERE json_extract(value, '$.result') = 'done'") == 1 &&
               names_in(drop.inbox).empty() && names_in(drop.sub("processing")).empty();
    }));
    CHECK(drop.events(2).size() == 2);
    CHECK(names_in(drop.sub("done")).empty());
    std::ofstream(drop.inbox / ".big.csv") << std::string(3000, 'x');  // rename mode: written, then renamed
    fs::rename(drop.inbox / ".big.csv", drop.inbox / "big.csv");
    REQUIRE(eventually([&] { return fs::exists(drop.sub("failed") / "big.csv.error.txt"); }));
    CHECK_THAT(read_file((drop.sub("failed") / "big.csv.error.txt").string()),
               Catch::Contains("over the limit of 2000 bytes"));
    // An empty export afterwards is judged on its own bytes, not on the unread file's record.
    std::ofstream(drop.inbox / ".empty.csv") << "";
    fs::rename(drop.inbox / ".empty.csv", drop.inbox / "empty.csv");
    REQUIRE(eventually([&] { return names_in(drop.inbox).empty() && names_in(drop.sub("processing")).empty(); }));
    REQUIRE(fs::exists(drop.sub("failed") / "empty.csv.error.txt"));
    CHECK_THAT(read_file((drop.sub("failed") / "empty.csv.error.txt").string()),
               !Catch::Contains("over the limit"));
    CHECK(count_rows(drop.state, "SELECT count(*) FROM source_state WHERE key LIKE 'file:%' AND "
                                 "json_extract(value, '$.name') = 'big.csv'") == 1);
}

// max_file_bytes above 16 MiB had no effect: the decoders' own default limit (16 MiB) failed
// the file all the same.
TEST_CASE("max_file_bytes above the decoders' 16 MiB: a 17 MiB JSON export is decoded and mapped") {
    Drop drop;
    const std::string shipments = std::string(FB_SOURCE_DIR) + "/mappings/generic-rest/shipment-to-delivery.yaml";
    RunningApp app(fb::config::parse(drop.yaml("complete: rename, max_file_bytes: 33554432", shipments), "big.yaml", FB_SOURCE_DIR));
    auto doc = json::parse(read_file(std::string(FB_SOURCE_DIR) + "/tests/fixtures/samples/generic-rest/shipment-CK20261120-0042.json"));
    doc.as_object()["SignatureScan"] = std::string(17u << 20, 'x');  // an embedded scan the mapping leaves out
    std::ofstream(drop.inbox / ".big.json") << json::serialize(doc);
    fs::rename(drop.inbox / ".big.json", drop.inbox / "big.json");
    REQUIRE(eventually([&] { return fs::exists(drop.sub("done") / "big.json") || fs::exists(drop.sub("failed") / "big.json"); }));
    REQUIRE(names_in(drop.sub("failed")).empty());
    CHECK(count_rows(drop.state, "SELECT count(*) FROM source_state WHERE json_extract(value, '$.result') = 'done'") == 1);
    auto events = drop.events(1);
    REQUIRE(events.size() == 1);
    CHECK(events.begin()->second.at("source").at("document_id") == "CK20261120-0042");
}

// The size is taken before the file is read; a file that grows past the limit in between is read
// no further than one byte past it, and fails as over the limit.
TEST_CASE("a file is read at most to a limit, in pieces, whatever its size") {
    fb::test::TempDir dir("read-at-most");
    std::ofstream(dir.str("f.csv")) << std::string(200'000, 'y');
    std::string bytes;
    REQUIRE(fb::connectors::file::read_at_most(dir.path() / "f.csv", 100'001, bytes));
    CHECK(bytes.size() == 100'001);
    REQUIRE(fb::connectors::file::read_at_most(dir.path() / "f.csv", 1u << 30, bytes));
    CHECK(bytes.size() == 200'000);
    CHECK_FALSE(fb::connectors::file::read_at_most(dir.path() / "gone.csv", 10, bytes));
}

TEST_CASE("a file left in processing/ whose identity is committed is finished at start, not read again") {
    Drop drop;
    {
        RunningApp app(drop.config());
        fs::copy_file(gbk_sample, drop.inbox / "a.csv");
        REQUIRE(eventually([&] { return fs::exists(drop.sub("done") / "a.csv"); }));
    }
    auto rows = count_rows(drop.state, "SELECT count(*) FROM outbox");
    // As if the daemon died between the commit and the move.
    fs::copy_file(gbk_sample, drop.sub("processing") / "a.csv");
    RunningApp app(drop.config());
    REQUIRE(eventually([&] { return names_in(drop.sub("processing")).empty(); }));
    CHECK(names_in(drop.sub("done")) == std::vector<std::string>{"a.csv", "a.csv.1"});
    CHECK(count_rows(drop.state, "SELECT count(*) FROM outbox") == rows);
}

TEST_CASE("the inbox is checked at start: a missing inbox fails the start, naming it") {
    Drop drop;
    fs::remove_all(drop.inbox);
    CHECK_THROWS_WITH(RunningApp(drop.config()), Catch::Contains(drop.inbox.string()) && Catch::Contains("not a folder"));
}

TEST_CASE("file source config mistakes name file:line:col") {
    Drop drop;
    CHECK_THROWS_WITH(fb::config::parse(drop.yaml("complete: sometimes"), "f.yaml", "."),
                      Catch::StartsWith("f.yaml:6:") && Catch::Contains("not one of stable, marker, rename"));
    CHECK_THROWS_WITH(fb::config::parse(drop.yaml("after: archive"), "f.yaml", "."),
                      Catch::Contains("not one of move, delete"));
    CHECK_THROWS_WITH(fb::config::parse(drop.yaml("stable_fr: 2s"), "f.yaml", "."),
                      Catch::Contains("did you mean `stable_for`"));
}

TEST_CASE("kill -9 between claim and commit: after the restart the file is processed once") {
    Drop drop;
    auto config = drop.config_file();
    {
        setenv("FIELDBRIDGE_TEST_CRASH_AT", "file.claimed", 1);
        DaemonProcess daemon(config, drop.dir.str("daemon-1.log"));
        daemon.start();
        unsetenv("FIELDBRIDGE_TEST_CRASH_AT");
        fs::copy_file(gbk_sample, drop.inbox / "c.csv");
        REQUIRE(daemon.wait_exit(60000));
    }
    CHECK(names_in(drop.sub("processing")) == std::vector<std::string>{"c.csv"});
    CHECK(count_rows(drop.state, "SELECT count(*) FROM source_state") == 0);
    DaemonProcess daemon(config, drop.dir.str("daemon-2.log"));
    daemon.start();
    REQUIRE(eventually([&] { return fs::exists(drop.sub("done") / "c.csv"); }));
    CHECK(drop.events(2).size() == 2);
    CHECK(count_rows(drop.state, "SELECT count(*) FROM outbox WHERE topic = 'fsm.work-orders'") == 2);
    daemon.terminate();
}

TEST_CASE("kill -9 between the claim and the marker's removal: the restart removes the marker") {
    Drop drop;
    auto config = drop.config_file("complete: marker");
    {
        setenv("FIELDBRIDGE_TEST_CRASH_AT", "file.renamed", 1);
        DaemonProcess daemon(config, drop.dir.str("daemon-1.log"));
        daemon.start();
        unsetenv("FIELDBRIDGE_TEST_CRASH_AT");
        fs::copy_file(gbk_sample, drop.inbox / "m.csv");
        std::ofstream(drop.inbox / "m.csv.ok");
        REQUIRE(daemon.wait_exit(60000));
    }
    REQUIRE(names_in(drop.sub("processing")) == std::vector<std::string>{"m.csv"});
    REQUIRE(fs::exists(drop.inbox / "m.csv.ok"));  // left behind by the kill
    DaemonProcess daemon(config, drop.dir.str("daemon-2.log"));
    daemon.start();
    REQUIRE(eventually([&] { return fs::exists(drop.sub("done") / "m.csv"); }));
    CHECK_FALSE(fs::exists(drop.inbox / "m.csv.ok"));
    // The ERP's next export of that name, still being written: without its own marker it waits.
    std::ofstream(drop.inbox / "m.csv") << "partial";
    auto scans = [&] { return scans_of(daemon.port()); };
    auto seen = scans();
    REQUIRE(eventually([&] { return scans() >= seen + 2; }));
    CHECK(fs::exists(drop.inbox / "m.csv"));
    CHECK(drop.events(2).size() == 2);
    daemon.terminate();
}

TEST_CASE("kill -9 between commit and move: after the restart the file is moved, nothing doubled") {
    Drop drop;
    auto config = drop.config_file();
    {
        setenv("FIELDBRIDGE_TEST_CRASH_AT", "file.committed", 1);
        DaemonProcess daemon(config, drop.dir.str("daemon-1.log"));
        daemon.start();
        unsetenv("FIELDBRIDGE_TEST_CRASH_AT");
        fs::copy_file(gbk_sample, drop.inbox / "c.csv");
        REQUIRE(daemon.wait_exit(60000));
    }
    CHECK(names_in(drop.sub("processing")) == std::vector<std::string>{"c.csv"});
    CHECK(count_rows(drop.state, "SELECT count(*) FROM source_state") == 1);
    CHECK(count_rows(drop.state, "SELECT count(*) FROM outbox WHERE topic = 'fsm.work-orders'") == 2);
    DaemonProcess daemon(config, drop.dir.str("daemon-2.log"));
    daemon.start();
    REQUIRE(eventually([&] { return fs::exists(drop.sub("done") / "c.csv"); }));
    CHECK(names_in(drop.sub("processing")).empty());
    CHECK(count_rows(drop.state, "SELECT count(*) FROM outbox WHERE topic = 'fsm.work-orders'") == 2);
    CHECK(drop.events(2).size() == 2);  // distinct event ids: a re-send repeats one, never adds one
    daemon.terminate();
}
