// What an ERP answers, at the edges met writing and running tests/fuzz/fuzz_erp_answer.cpp:
// the HTTP client's Retry-After and the poll source's change times, on values far from today.
#include <catch2/catch.hpp>

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
