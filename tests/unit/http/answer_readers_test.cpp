// What an ERP answers, at the edges met writing and running tests/fuzz/fuzz_erp_answer.cpp:
// the HTTP client's Retry-After and the poll source's change times, on values far from today.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <limits>

#include "connectors/http_poll/cursor.h"
#include "http/client.h"

using fb::connectors::http_poll::parse_time;

TEST_CASE("a Retry-After date past the year 2262 is a long wait, not an overflowed 'now'") {
    // system_clock counts nanoseconds: a date past 2262 overflowed int64 (undefined behaviour;
    // 9999-12-31 came out as 0, so the poll source retried at once instead of waiting — the retry
    // policy caps the wait at an hour).
    fb::http::ClientResponse r;
    r.status = 503;
    r.headers = {{"Retry-After", "Mon, 01 Jan 2300 00:00:00 GMT"}};
    CHECK(fb::http::retry_after(r) > std::chrono::hours(24 * 365 * 200));
    r.headers = {{"Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"}};
    CHECK(fb::http::retry_after(r) > std::chrono::hours(24 * 365 * 7000));
    r.headers = {{"Retry-After", "Thu, 01 Jan 1970 00:00:00 GMT"}};
    CHECK(fb::http::retry_after(r) == std::chrono::milliseconds(0));
}

TEST_CASE("a change time as a huge negative number is milliseconds, not an overflowed seconds value") {
    // n * 1000 overflowed int64 for n below −9.2e15 (undefined behaviour; found by fuzz_erp_answer).
    constexpr auto lowest = std::numeric_limits<std::int64_t>::min();
    CHECK(parse_time(boost::json::value(lowest), 0) == lowest);
    CHECK(parse_time(boost::json::value(lowest + 1), 0) == lowest + 1);
    CHECK(parse_time(boost::json::value(std::int64_t(-100'000'000'000)), 0) == -100'000'000'000);
    // Seconds on both sides of 1970 still read as seconds.
    CHECK(parse_time(boost::json::value(std::int64_t(-86400)), 0) == -86'400'000);
    CHECK(parse_time(boost::json::value(std::int64_t(1763626542)), 0) == 1'763'626'542'000);
}

TEST_CASE("a change time as unix seconds or ms written as text (an ERP that quotes every number)") {
    CHECK(parse_time(boost::json::value("1795167667"), 0) == 1'795'167'667'000);
    CHECK(parse_time(boost::json::value("1795167667123"), 0) == 1'795'167'667'123);
    CHECK(parse_time(boost::json::value("-864000000"), 0) == -864'000'000'000);  // seconds before 1970, as a number is
    CHECK(parse_time(boost::json::value("20261120"), 0) == std::nullopt);  // a compact date is no epoch
    CHECK(parse_time(boost::json::value("9999999999999999999999"), 0) == std::nullopt);
    CHECK(parse_time(boost::json::value("17951676x7"), 0) == std::nullopt);
}

TEST_CASE("a change time's offset in ISO 8601's basic form (+0530) is read to the minute, like +05:30") {
    const auto utc = *parse_time(boost::json::value("2026-11-20T10:00:00Z"), 0);
    CHECK(parse_time(boost::json::value("2026-11-20T15:30:00+05:30"), 0) == utc);
    CHECK(parse_time(boost::json::value("2026-11-20T15:30:00+0530"), 0) == utc);  // was read as +05:00
    CHECK(parse_time(boost::json::value("2026-11-20T06:15:00-0345"), 0) == utc);
    CHECK(parse_time(boost::json::value("2026-11-20T06:15:00.000-03:45"), 0) == utc);
    CHECK(parse_time(boost::json::value("2026-11-20T15:00:00+05"), 0) == utc);  // hours only
    CHECK(parse_time(boost::json::value("2026-11-20 15:30:00+0530"), 0) == utc);
    CHECK(parse_time(boost::json::value("2026-11-20T15:30:00+053"), 0) == std::nullopt);
    CHECK(parse_time(boost::json::value("2026-11-20T15:30:00+05:3"), 0) == std::nullopt);
    CHECK(parse_time(boost::json::value("2026-11-20T15:30:00+05:30:00"), 0) == std::nullopt);
    CHECK(parse_time(boost::json::value("2026-11-20T15:30:00+2400"), 0) == std::nullopt);
    CHECK(parse_time(boost::json::value("2026-11-20T15:30:00+05:60"), 0) == std::nullopt);
    CHECK(parse_time(boost::json::value("2026-11-20T15:30:00+"), 0) == std::nullopt);
}

TEST_CASE("a change time as a JSON number with a fraction: unix seconds, the fraction its milliseconds") {
    CHECK(parse_time(boost::json::value(1795167667.5), 0) == 1'795'167'667'500);
    CHECK(parse_time(boost::json::value(1795167667.123), 0) == 1'795'167'667'123);  // not ...122 by binary rounding
    CHECK(parse_time(boost::json::value(1795167667.0), 0) == 1'795'167'667'000);
    CHECK(parse_time(boost::json::value(-86400.25), 0) == -86'400'250);
    CHECK(parse_time(boost::json::value(1795167667123.0), 0) == 1'795'167'667'123);  // past 10^11: milliseconds
    CHECK(parse_time(boost::json::value(1e300), 0) == std::nullopt);
    CHECK(parse_time(boost::json::value(-1e300), 0) == std::nullopt);
    CHECK(parse_time(boost::json::parse("1795167667.5"), 0) == 1'795'167'667'500);  // as an answer holds it
}

TEST_CASE("a change time as Tryton's typed object, and a date with a separate clock time (SAP B1)") {
    using fb::connectors::http_poll::parse_time;
    boost::json::value tryton = {{"__class__", "datetime"}, {"year", 2026}, {"month", 11}, {"day", 20},
                                 {"hour", 16}, {"minute", 41}, {"second", 7}, {"microsecond", 123456}};
    CHECK(parse_time(tryton, 0) == parse_time(boost::json::value("2026-11-20T16:41:07.123Z"), 0));
    CHECK(parse_time(boost::json::value({{"year", 2026}, {"month", 13}, {"day", 1}}), 0) == std::nullopt);
    CHECK(parse_time(boost::json::value({{"year", "2026"}, {"month", 11}, {"day", 1}}), 0) == std::nullopt);

    fb::connectors::http_poll::Spec::Cursor spec;
    spec.time = "$.UpdateDate";
    spec.time_of_day = "$.UpdateTime";
    spec.id = "$.DocEntry";
    spec.tz_offset_minutes = 60;
    boost::json::array rows{
        boost::json::object{{"UpdateDate", "2026-11-20T00:00:00Z"}, {"UpdateTime", "16:41:07"}, {"DocEntry", 9}},
        boost::json::object{{"UpdateDate", "2026-11-20T00:00:00Z"}, {"UpdateTime", "16:41:07"}, {"DocEntry", 10}},
        boost::json::object{{"UpdateDate", "2026-11-20T00:00:00Z"}, {"UpdateTime", "09:00"}, {"DocEntry", 11}},
        boost::json::object{{"UpdateDate", "2026-11-20T00:00:00Z"}, {"DocEntry", 12}}};
    std::size_t unreadable = 0;
    auto c = fb::connectors::http_poll::advance({}, rows, spec, std::numeric_limits<std::int64_t>::max(), unreadable);
    CHECK(c.time == "2026-11-20T16:41:07");
    CHECK(c.time_ms == *parse_time(boost::json::value("2026-11-20T15:41:07Z"), 0));
    CHECK(c.id == "10");  // 10 after 9: ids of digits compare as numbers
    CHECK(unreadable == 1);

    // `time_fallback`: a record never edited has no write_date, its create_date counts.
    fb::connectors::http_poll::Spec::Cursor tr;
    tr.time = "$.write_date";
    tr.time_fallback = "$.create_date";
    boost::json::array shipments{boost::json::object{{"id", 1}, {"write_date", nullptr}, {"create_date", tryton}}};
    unreadable = 0;
    auto t = fb::connectors::http_poll::advance({}, shipments, tr, std::numeric_limits<std::int64_t>::max(), unreadable);
    CHECK(unreadable == 0);
    CHECK(t.time == "2026-11-20T16:41:07");
    auto parts = fb::connectors::http_poll::time_parts(t.time_ms, 0);
    CHECK(parts.at("hour") == 16);
    CHECK(parts.at("microsecond") == 123000);
}
