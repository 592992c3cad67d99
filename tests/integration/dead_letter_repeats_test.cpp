// The same bad input failing the same way again (an ERP retrying on 422, a poll re-reading its
// overlap window) is one open dead-letter entry that counts its arrivals, not one per arrival;
// once an entry is replayed, a new arrival opens a new one.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <fstream>

#include "harness.h"
#include "ledger/dead_letter.h"
#include "mapping/mapping.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

long long dead_letter_events(fb::store::Database& db) {
    fb::store::Statement q(db.handle(), "SELECT count(*) FROM outbox WHERE event_type = 'dead_letter'");
    q.step();
    auto n = q.integer(0);
    q.reset();
    return n;
}

}  // namespace

TEST_CASE("the same bad input arriving again is one dead-letter entry that counts its arrivals") {
    auto state = temp_path("dl-repeats.db");
    auto mapping_path = temp_path("dl-repeats.yaml");
    std::ofstream(mapping_path) << page_mapping("$.data[*]");
    std::string text = "state: { path: " + state + ", synchronous: normal }\n" +
                       "kafka: { brokers: \"embedded\" }\n" +
                       "http: { listen: 127.0.0.1:0 }\n"
                       "outbox: { retention: 1h }\n"
                       "flows:\n"
                       "  - name: pages\n"
                       "    document_type: page\n"
                       "    source: { type: webhook }\n"
                       "    mapping: " + mapping_path + "\n";
    auto config = fb::config::parse(text, "test.yaml", FB_SOURCE_DIR);
    const std::string bad = R"({"rows": [{"No": "P-1"}]})";
    const std::string other = R"({"rows": [{"No": "P-2"}]})";
    std::int64_t first_id = 0;
    {
        RunningApp daemon(config);
        auto a = http_request(daemon.port(), "POST", "/webhooks/pages", bad);
        REQUIRE(a.status == 422);
        first_id = a.json().at("dead_letter_id").as_int64();
        for (int i = 0; i < 3; ++i) {  // the ERP retries the same body
            auto again = http_request(daemon.port(), "POST", "/webhooks/pages", bad);
            CHECK(again.status == 422);
            CHECK(again.json().at("dead_letter_id").as_int64() == first_id);
        }
        auto b = http_request(daemon.port(), "POST", "/webhooks/pages", other);  // another input
        REQUIRE(b.status == 422);
        CHECK(b.json().at("dead_letter_id").as_int64() != first_id);
    }
    fb::store::Database db(state);
    auto entries = fb::ledger::list_dead_letters(db, false);
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].id == first_id);
    CHECK(entries[0].repeats == 3);
    CHECK_FALSE(entries[0].last_seen_at.empty());
    CHECK(entries[1].repeats == 0);
    CHECK(dead_letter_events(db) == 2);  // the dead-letter topic hears of each entry once

    // Replayed (fixed), the entry is closed: the same input failing later opens a new one.
    auto fixed = fb::mapping::Mapping::compile(page_mapping("$.rows[*]"), "fixed.yaml");
    auto report = fb::ledger::replay_dead_letters(db, config, {{"pages", fixed}}, {first_id});
    CHECK(report.replayed == 1);
    {
        RunningApp daemon(config);  // still the old mapping on disk
        auto later = http_request(daemon.port(), "POST", "/webhooks/pages", bad);
        REQUIRE(later.status == 422);
        CHECK(later.json().at("dead_letter_id").as_int64() > entries[1].id);
    }
    CHECK(fb::ledger::list_dead_letters(db, false).size() == 2);
    CHECK(fb::ledger::list_dead_letters(db, true).size() == 3);
}
