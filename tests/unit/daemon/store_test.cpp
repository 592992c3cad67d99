#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "store/database.h"
#include "support/temp_folder.h"
#include "support/source_dir.h"

using fb::store::Database;
using fb::store::Statement;

namespace {

std::string fresh_path(const std::string& name) { return fb::testing::temp_path(name); }

// Writes a state file from a SQL script, as an older fieldbridge would have left it.
void write_state(const std::string& path, const std::string& script_path) {
    std::ifstream in(script_path);
    std::stringstream sql;
    sql << in.rdbuf();
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.str().c_str(), nullptr, nullptr, &err);
    INFO((err ? err : ""));
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("a version-1 state file is migrated with its unsent events and their payloads") {
    auto path = fresh_path("v1.db");
    write_state(path, FB_SOURCE_DIR + "/tests/fixtures/state/schema-v1.sql");
    Database db(path, Database::Mode::read_write);
    CHECK(db.schema_version() >= 2);
    // The relay's view: unsent events in id order, each with its payload.
    Statement unsent(db.handle(),
                     "SELECT o.id, payload FROM outbox o JOIN outbox_payload p ON p.id = o.id "
                     "WHERE sent_at IS NULL ORDER BY o.id");
    std::vector<std::pair<std::int64_t, std::string>> rows;
    while (unsent.step()) rows.emplace_back(unsent.integer(0), std::string(unsent.text(1)));
    CHECK(rows == std::vector<std::pair<std::int64_t, std::string>>{{2, "{\"n\":2}"},
                                                                     {3, "{\"n\":3}"}});
    // The sent event keeps its Kafka position for the trace, and no payload.
    Statement sent(db.handle(), "SELECT partition, offset, (SELECT count(*) FROM outbox_payload "
                                "WHERE id = 1) FROM outbox WHERE id = 1");
    REQUIRE(sent.step());
    CHECK(sent.integer(0) == 0);
    CHECK(sent.integer(1) == 7);
    CHECK(sent.integer(2) == 0);
    sent.reset();
    // Ids keep growing past the old ones: the relay's cursor depends on it.
    db.exec("INSERT INTO outbox (topic, key, event_id, event_type, flow, document_id, "
            "occurred_at, created_at) VALUES ('t','k','e-4','x','delivery','C','now',1)");
    CHECK(db.last_insert_id() == 4);
}

TEST_CASE("a state file from a newer fieldbridge is refused with its version") {
    auto path = fresh_path("future.db");
    {
        Database db(path, Database::Mode::read_write);
        db.exec("PRAGMA user_version=99");
    }
    CHECK_THROWS_WITH(Database(path, Database::Mode::read_write),
                      Catch::Contains("schema version 99") && Catch::Contains("newer"));
}

TEST_CASE("pruning sent rows past retention reads an index, not the whole outbox") {
    auto path = fresh_path("prune.db");
    Database db(path, Database::Mode::read_write);
    // The query the intake prunes with every few seconds (daemon/ingest/intake.cpp).
    Statement plan(db.handle(),
                   "EXPLAIN QUERY PLAN DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
                   "WHERE sent_at IS NOT NULL AND sent_at < ?1 LIMIT 5000)");
    std::string steps;
    while (plan.step()) steps += std::string(plan.text(3)) + "\n";
    INFO(steps);
    CHECK_THAT(steps, Catch::Contains("INDEX outbox_sent"));
    CHECK_THAT(steps, !Catch::Contains("SCAN outbox"));
}

TEST_CASE("a state file from before the loop gets a work order, in `created`, for each document it knows") {
    auto path = fresh_path("v2-documents.db");
    write_state(path, FB_SOURCE_DIR + "/tests/fixtures/state/schema-v1.sql");
    {
        // Schema 2, with one open and one cancelled document, as fieldbridge 0.x left them.
        sqlite3* raw = nullptr;
        REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
        std::string sql = std::string(
            "BEGIN;"
            "CREATE TABLE outbox_payload (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);"
            "ALTER TABLE outbox DROP COLUMN payload;"
            "CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;"
            "INSERT INTO documents VALUES ('delivery','A','v1','h','WO-delivery-A','open','', 't','t');"
            "INSERT INTO documents VALUES ('delivery','B','v1','h','WO-delivery-B','cancelled','', 't','t');"
            "PRAGMA user_version=2; COMMIT;");
        REQUIRE(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(raw);
    }
    Database db(path, Database::Mode::read_write);
    CHECK(db.schema_version() >= 3);
    Statement q(db.handle(), "SELECT work_order_id, state, erp_state FROM work_orders ORDER BY 1");
    std::vector<std::string> rows;
    while (q.step())
        rows.push_back(std::string(q.text(0)) + " " + std::string(q.text(1)) + " " + std::string(q.text(2)));
    CHECK(rows == std::vector<std::string>{"WO-delivery-A created open", "WO-delivery-B created cancelled"});
}

TEST_CASE("the WAL stays near state.wal_max_bytes however much is written") {
    auto path = fresh_path("wal-bound.db");
    constexpr std::int64_t limit = 256 << 10;
    std::int64_t largest = 0;
    {
        Database db(path, Database::Mode::read_write, "normal", limit);
        db.exec("CREATE TABLE junk (id INTEGER PRIMARY KEY, bytes BLOB)");
        Statement insert(db.handle(), "INSERT INTO junk (bytes) VALUES (?1)");
        std::string blob(16 << 10, 'x');
        for (int i = 0; i < 400; ++i) {  // 6.4 MB through the WAL
            Database::Transaction tx(db);
            insert.bind_blob(1, blob).step();
            tx.commit();
            largest = std::max(largest, static_cast<std::int64_t>(
                                            std::filesystem::exists(path + "-wal")
                                                ? std::filesystem::file_size(path + "-wal")
                                                : 0));
        }
        CHECK(db.checkpoint());
        CHECK(std::filesystem::file_size(path + "-wal") == 0);
    }
    INFO("largest WAL: " << largest << " bytes");
    CHECK(largest > 0);
    CHECK(largest <= 2 * limit);
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

// The daemon's writers (intake, relay, status consumer, writeback workers) each have their own
// connection. One holding its transaction while another wants to write (a slow disk, a large
// batch) must make the other wait for it, not fail with "database is locked". The second
// connection gets no busy timeout and a busy handler that gives up at once: without the shared
// writer lock it reaches BEGIN while the first holds the file and fails; with it, it waits.
TEST_CASE("a writer waits for another connection's transaction instead of failing as locked") {
    auto path = fresh_path("writer-lock.db");
    {
        Database setup(path, Database::Mode::read_write, "normal");
        setup.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)");
    }
    Database first(path, Database::Mode::read_write, "normal");
    Database second(path, Database::Mode::read_write, "normal");
    static std::atomic<bool> refused;  // the busy handler ran: SQLite found the file locked
    refused = false;
    sqlite3_busy_handler(second.handle(), [](void*, int) { refused = true; return 0; }, nullptr);
    std::atomic<bool> holding{false}, asking{false};
    std::thread slow([&] {
        Database::Transaction tx(first);
        first.exec("INSERT INTO t (who) VALUES ('first')");
        holding = true;
        // Held until the other writer is refused by SQLite, or long enough that it is surely
        // waiting on the lock (it has been asking since before this wait began).
        while (!asking) std::this_thread::yield();
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
        while (!refused && std::chrono::steady_clock::now() < until) std::this_thread::yield();
        tx.commit();
    });
    while (!holding) std::this_thread::yield();
    std::string error;
    try {
        asking = true;
        Database::Transaction tx(second);
        second.exec("INSERT INTO t (who) VALUES ('second')");
        tx.commit();
    } catch (const std::exception& e) {
        error = e.what();
    }
    slow.join();
    CHECK(error == "");
    CHECK(!refused);
    Statement order(second.handle(), "SELECT group_concat(who, ',') FROM (SELECT who FROM t ORDER BY id)");
    REQUIRE(order.step());
    CHECK(order.text(0) == "first,second");
    order.reset();
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}
