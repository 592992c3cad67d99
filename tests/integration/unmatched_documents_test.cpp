// A webhook body the mapping's `documents:` path does not fit is not lost: 422, a dead-letter
// entry naming the path and what the body holds, and a replay after the mapping is fixed.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <fstream>

#include "harness.h"
#include "ledger/dead_letter.h"
#include "mapping/mapping.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

TEST_CASE("a body the documents path does not fit is dead-lettered with 422 and replays after the fix") {
    auto state = temp_path("unmatched.db");
    auto mapping_path = temp_path("page.yaml");
    std::ofstream(mapping_path) << page_mapping("$.data[*]");
    std::string text = "state: { path: " + state + ", synchronous: normal }\n" +
                       "kafka: { brokers: \"embedded\" }\n" +
                       "http: { listen: 127.0.0.1:0, max_body_bytes: 65536 }\n"
                       "flows:\n"
                       "  - name: pages\n"
                       "    document_type: page\n"
                       "    source: { type: webhook }\n"
                       "    mapping: " + mapping_path + "\n";
    auto config = fb::config::parse(text, "test.yaml", FB_SOURCE_DIR);
    {
        RunningApp daemon(config);
        // The ERP renamed its envelope key: `rows`, not `data`.
        auto reply = http_request(daemon.port(), "POST", "/webhooks/pages",
                                  R"({"rows": [{"No": "P-1"}]})");
        CHECK(reply.status == 422);
        CHECK(reply.json().at("status") == "dead_lettered");
        std::string error(reply.json().at("error").as_string());
        CHECK_THAT(error, Catch::Contains("documents: $.data[*]"));
        CHECK_THAT(error, Catch::Contains("mapping `page`"));
        CHECK_THAT(error, Catch::Contains("`rows` (an array of 1)"));
        // The list present and empty is an empty page: still the old answer, nothing stored.
        auto empty = http_request(daemon.port(), "POST", "/webhooks/pages", R"({"data": []})");
        CHECK(empty.status == 400);
    }
    fb::store::Database db(state);
    auto entries = fb::ledger::list_dead_letters(db, false);
    REQUIRE(entries.size() == 1);
    CHECK_THAT(entries[0].reason, Catch::Contains("documents: $.data[*]"));
    auto fixed = fb::mapping::Mapping::compile(page_mapping("$.rows[*]"), "fixed.yaml");
    auto report = fb::ledger::replay_dead_letters(db, config, {{"pages", fixed}}, {entries[0].id});
    CHECK(report.replayed == 1);
    REQUIRE(report.lines.size() == 1);
    CHECK_THAT(report.lines[0], Catch::EndsWith("P-1: created"));
    CHECK(fb::ledger::list_dead_letters(db, false).empty());
}
