// The poll cursor in a named time zone (cursor.tz: Europe/Berlin): zone-less record times read
// right in summer and winter, the autumn hour the clock shows twice read as its earlier moment,
// the spring gap as the earliest moment it could mean, and the request's wall-clock window never
// narrower than the moments it stands for.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "config/section.h"
#include "connectors/http_poll/cursor.h"
#include "connectors/http_poll/spec.h"
#include "mapping/time.h"
#include "support/source_dir.h"

using namespace fb::connectors::http_poll;
namespace json = boost::json;

namespace {

const Zone berlin{fb::mapping::find_zone("Europe/Berlin")};

std::int64_t utc(const char* text) { return *parse_time(json::value(text), 0); }

Spec::Cursor berlin_cursor() {
    Spec::Cursor c;
    c.time = "$.lastmodified";
    c.tz = fb::mapping::find_zone("Europe/Berlin");
    c.overlap = std::chrono::minutes(5);
    return c;
}

}  // namespace

TEST_CASE("cursor.tz: zone-less times in Europe/Berlin, summer, winter and both changes of 2026") {
    REQUIRE(berlin.named);
    CHECK(parse_time(json::value("2026-07-01 12:00:00"), berlin) == utc("2026-07-01T10:00:00Z"));
    CHECK(parse_time(json::value("2026-12-01T12:00:00.250"), berlin) == utc("2026-12-01T11:00:00.250Z"));
    // 25 Oct 2026, 03:00 CEST → 02:00 CET: 02:30 happens twice; the earlier (CEST) is taken.
    CHECK(parse_time(json::value("2026-10-25 02:30:00"), berlin) == utc("2026-10-25T00:30:00Z"));
    CHECK(parse_time(json::value("2026-10-25 01:59:59"), berlin) == utc("2026-10-24T23:59:59Z"));
    CHECK(parse_time(json::value("2026-10-25 03:00:00"), berlin) == utc("2026-10-25T02:00:00Z"));
    // 29 Mar 2026, 02:00 CET → 03:00 CEST: 02:30 never happens; the earliest it could mean (at
    // the summer offset, 01:30 CET) is taken, so the cursor errs back.
    CHECK(parse_time(json::value("2026-03-29 02:30:00"), berlin) == utc("2026-03-29T00:30:00Z"));
    CHECK(parse_time(json::value("2026-03-29 03:00:00"), berlin) == utc("2026-03-29T01:00:00Z"));
    // A written offset wins over the zone; Tryton-style parts are read in the zone too.
    CHECK(parse_time(json::value("2026-10-25T02:30:00+01:00"), berlin) == utc("2026-10-25T01:30:00Z"));
    CHECK(parse_time(json::value({{"year", 2026}, {"month", 7}, {"day", 1}, {"hour", 12}}), berlin) == utc("2026-07-01T10:00:00Z"));
    // Written back: both moments of the autumn hour show the same wall clock.
    CHECK(format_local(utc("2026-10-25T00:30:00Z"), berlin) == "2026-10-25T02:30:00");
    CHECK(format_local(utc("2026-10-25T01:30:00Z"), berlin) == "2026-10-25T02:30:00");
    CHECK(format_local(utc("2026-07-01T10:00:00Z"), berlin) == "2026-07-01T12:00:00");
    CHECK(time_parts(utc("2026-12-01T11:00:00Z"), berlin).at("hour") == 12);
}

TEST_CASE("cursor.tz: a window across the autumn change asks the hour the clock repeats on both sides") {
    auto spec = berlin_cursor();
    Cursor c{utc("2026-10-25T00:40:00Z"), "2026-10-25 02:40:00", "5503"};  // 02:40 CEST
    // Alone, since (00:35Z) is 02:35 local; with a window reaching past 01:00Z, where the clock
    // goes back to 02:00, the ERP's rows written 02:00–02:35 CET are newer: ask from 01:35.
    CHECK(cursor_context(c, spec).at("since_local") == "2026-10-25T02:35:00");
    CHECK(cursor_context(c, spec, utc("2026-10-25T01:20:00Z")).at("since_local") == "2026-10-25T01:35:00");
    CHECK(cursor_context(c, spec, utc("2026-10-25T00:59:00Z")).at("since_local") == "2026-10-25T02:35:00");
    json::object t;
    add_times(t, 0, utc("2026-10-25T01:20:00Z"), spec, utc("2026-10-25T00:35:00Z"));
    CHECK(t.at("until_local") == "2026-10-25T03:20:00");  // 02:20 CET, but 02:59 CEST is in the window too
    add_times(t, 0, utc("2026-10-25T01:20:00Z"), spec);
    CHECK(t.at("until_local") == "2026-10-25T02:20:00");
    // A fixed offset is written as it is.
    spec.tz = nullptr;
    spec.tz_offset_minutes = 120;
    CHECK(cursor_context(c, spec, utc("2026-10-25T01:20:00Z")).at("since_local") == "2026-10-25T02:35:00");
}

TEST_CASE("cursor.tz: every moment of a window shows a wall clock inside [since_local, until_local]") {
    auto spec = berlin_cursor();
    spec.overlap = std::chrono::milliseconds(0);
    std::size_t windows = 0;
    for (const char* day : {"2026-03-28T22:00:00Z", "2026-10-24T22:00:00Z"}) {
        const auto start = utc(day);
        for (std::int64_t s = start; s < start + 6 * 3600'000; s += 10 * 60'000)
            for (std::int64_t len = 0; len <= 3 * 3600'000; len += 20 * 60'000) {
                Cursor c{s, "", ""};
                auto since_local = std::string(cursor_context(c, spec, s + len).at("since_local").as_string());
                json::object t;
                add_times(t, 0, s + len, spec, s);
                auto until_local = std::string(t.at("until_local").as_string());
                for (std::int64_t m = s; m <= s + len; m += 60'000) {
                    auto wall = format_local(m, berlin);
                    INFO(format_utc(s) << " + " << len / 60'000 << " min, at " << format_utc(m) << " = " << wall);
                    REQUIRE(wall >= since_local);
                    REQUIRE(wall <= until_local);
                }
                ++windows;
            }
    }
    CHECK(windows == 2 * 36 * 10);
}

TEST_CASE("cursor.tz: an unknown zone, or tz beside tz_offset, is a config error naming file:line:col") {
    auto read = [](const std::string& cursor) {
        auto root = YAML::Load("source:\n  request: mappings/netsuite/poll-fulfillments.yaml\n  cursor: " + cursor + "\n");
        fb::config::Section s(root["source"], "erp.yaml", "flows[0].source");
        return read_spec(s, FB_SOURCE_DIR);
    };
    auto ok = std::dynamic_pointer_cast<const Spec>(read("{ time: $.lastmodified, tz: Europe/Berlin }"));
    REQUIRE(ok);
    CHECK(ok->cursor.tz == fb::mapping::find_zone("Europe/Berlin"));
    try {
        read("{ time: $.lastmodified, tz: Europe/Berlinn }");
        FAIL("no error");
    } catch (const std::exception& e) {
        CHECK_THAT(e.what(), Catch::Contains("erp.yaml:3:") && Catch::Contains("`Europe/Berlinn` is not a time zone"));
    }
    try {
        read("{ time: $.lastmodified, tz: Europe/Berlin, tz_offset: \"+01:00\" }");
        FAIL("no error");
    } catch (const std::exception& e) {
        CHECK_THAT(e.what(), Catch::Contains("erp.yaml:3:") && Catch::Contains("keep one"));
    }
}
