#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <valijson/adapters/boost_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "schema/date_time.h"
#include "schema/validator.h"

namespace json = boost::json;
using fb::schema::date_time_problem;

namespace {

// valijson's own `format: date-time` verdict, the check the schemas had before.
bool valijson_accepts(const std::string& text) {
    static const json::value schema = json::parse(R"({"type": "string", "format": "date-time"})");
    static valijson::Schema compiled;
    static const bool parsed = [] {
        valijson::adapters::BoostJsonAdapter adapter(schema);
        valijson::SchemaParser().populateSchema(adapter, compiled);
        return true;
    }();
    (void)parsed;
    json::value doc = json::string(text);
    valijson::adapters::BoostJsonAdapter adapter(doc);
    return valijson::Validator().validate(compiled, adapter, nullptr);
}

const std::vector<std::string> accepted = {
    "2026-11-22T09:58:30Z",          "2026-11-22t09:58:30z",          "2026-11-22T09:58:30+08:00",
    "2026-11-22T09:58:30-05:30",     "2026-11-22T09:58:30.5Z",        "2026-11-22T09:58:30.123456789+00:00",
    "2024-02-29T00:00:00Z",          "2000-02-29T12:00:00Z",          "2026-12-31T23:59:60Z",
    "2026-04-30T00:00:00+23:59",     "0001-01-01T00:00:00Z",          "9999-12-31T23:59:59-00:00",
};

// What each refusal must say.
const std::vector<std::pair<std::string, std::string>> refused = {
    {"2026-13-01T00:00:00Z", "month 13 is not 01-12"},
    {"2026-00-10T00:00:00Z", "month 00"},
    {"2026-02-30T00:00:00Z", "February 2026 has no day 30"},
    {"2026-04-31T00:00:00Z", "April 2026 has no day 31"},
    {"2026-11-00T00:00:00Z", "November 2026 has no day 00"},
    {"2026-11-32T00:00:00Z", "has no day 32"},
    {"2026-11-22T24:00:00Z", "hour 24 is not 00-23"},
    {"2026-11-22T09:60:00Z", "minute 60"},
    {"2026-11-22T09:58:61Z", "second 61"},
    {"2026-11-22T09:58:30+24:00", "offset 24:00"},
    {"2026-11-22T09:58:30+08:60", "offset 08:60"},
    {"2026-11-22T09:58:30", "needs an offset"},
    {"2026-11-22T09:58:30+0800", "needs an offset"},
    {"2026-11-22T09:58:30+08", "needs an offset"},
    {"2026-11-22T09:58:30.Z", "needs at least one digit"},
    {"2026-11-22 09:58:30Z", "not an RFC 3339 date-time"},
    {"2026-11-22T09:58Z", "not an RFC 3339 date-time"},
    {"2026-11-22", "not an RFC 3339 date-time"},
    {"2026-11-22T09:58:30Z ", "not an RFC 3339 date-time"},
    {" 2026-11-22T09:58:30Z", "not an RFC 3339 date-time"},
    {"2026-1-22T09:58:30Z", "not an RFC 3339 date-time"},
    {"", "not an RFC 3339 date-time"},
    {"now", "not an RFC 3339 date-time"},
};

// Refused here, accepted by valijson's regex: RFC 3339 says a year has four digits, February 29
// exists in leap years only, and an offset starts with + or - (valijson's [\+|\-] lets '|' in).
const std::vector<std::pair<std::string, std::string>> tightened = {
    {"2026-02-29T00:00:00Z", "February 2026 has no day 29"},
    {"1900-02-29T00:00:00Z", "February 1900 has no day 29"},
    {"26-11-22T09:58:30Z", "not an RFC 3339 date-time"},
    {"12026-11-22T09:58:30Z", "not an RFC 3339 date-time"},
    {"2026-11-22T09:58:30|08:00", "needs an offset"},
};

}  // namespace

TEST_CASE("a date-time is an RFC 3339 date-time: offsets, Z, fractions, leap days and seconds") {
    for (const auto& text : accepted) {
        INFO(text);
        CHECK(date_time_problem(text).empty());
    }
}

TEST_CASE("a date-time off the grammar or the calendar is refused, saying what is wrong") {
    for (const auto& [text, why] : refused) {
        INFO(text);
        CHECK_THAT(date_time_problem(text), Catch::Contains(why));
    }
    for (const auto& [text, why] : tightened) {
        INFO(text);
        CHECK_THAT(date_time_problem(text), Catch::Contains(why));
    }
}

TEST_CASE("the date-time check refuses everything valijson's check refused, and only RFC 3339's extras besides") {
    for (const auto& text : accepted) {
        INFO(text);
        CHECK(valijson_accepts(text));
    }
    for (const auto& [text, why] : refused) {
        INFO(text);
        CHECK_FALSE(valijson_accepts(text));
    }
    for (const auto& [text, why] : tightened) {
        INFO(text);
        CHECK(valijson_accepts(text));
    }
}

TEST_CASE("every formatted field of the contracts is checked, through references too") {
    using fb::schema::Validator;
    auto event = json::parse(R"({"event_id":"e-1","work_order_id":"WO-1","status":"accepted",
                                 "occurred_at":"2026-11-22T09:58:30+08:00"})");
    CHECK(Validator::status_event().check(event).empty());
    event.as_object()["occurred_at"] = "2026-02-30T09:58:30+08:00";
    auto problems = Validator::status_event().check(event);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "[occurred_at]: February 2026 has no day 30");

    auto order = json::parse(R"({"type":"delivery","source_ref":"D-1","customer":{"name":"A"},
                                 "address":{"text":"B"},"due_by":"2026-11-22T18:00:00Z",
                                 "window":{"start":"2026-11-22T09:00:00Z","end":"2026-11-22T12:00:00Z"}})");
    CHECK(Validator::work_order().check(order).empty());
    order.as_object()["window"].as_object()["end"] = "2026-11-22T12:00";
    problems = Validator::work_order().check(order);
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0], Catch::StartsWith("[window][end]: not an RFC 3339 date-time"));

    // The work order inside an event comes through allOf and a $ref to work_order.schema.json.
    order.as_object()["id"] = "WO-1";
    order.as_object()["window"].as_object()["end"] = "2026-11-22T12:00:00Z";
    order.as_object()["due_by"] = "2026-11-22T25:00:00Z";
    json::value wrapped = {{"event_id", "0f0e0d0c-0b0a-5908-8706-050403020100"},
                           {"type", "work_order.created"},
                           {"occurred_at", "2026-11-22T09:58:30Z"},
                           {"source", {{"flow", "f"}, {"document_type", "t"}, {"document_id", "d"}, {"document_version", "1"}}},
                           {"work_order", order}};
    problems = Validator::work_order_event().check(wrapped);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "[work_order][due_by]: hour 25 is not 00-23");
    wrapped.as_object()["work_order"].as_object()["due_by"] = "2026-11-22T23:00:00Z";
    CHECK(Validator::work_order_event().check(wrapped).empty());
}

TEST_CASE("a formatted string over 64 bytes is refused by its length, wherever it sits") {
    using fb::schema::Validator;
    auto order = json::parse(R"({"type":"delivery","source_ref":"D-1","customer":{"name":"A"},"address":{"text":"B"}})");
    order.as_object()["due_by"] = "2026-11-22T09:58:30." + std::string(50'000, '1') + "Z";
    auto problems = Validator::work_order().check(order);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "[due_by]: 50021 bytes, no date or time is over 64");
    json::value wrapped = {{"work_order", order}};
    problems = Validator::work_order_event().check(wrapped);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "[work_order][due_by]: 50021 bytes, no date or time is over 64");
    // 64 bytes is still read as a date-time.
    order.as_object()["due_by"] = "2026-11-22T09:58:30." + std::string(38, '1') + "+08:00";
    REQUIRE(order.at("due_by").as_string().size() == 64);
    CHECK(Validator::work_order().check(order).empty());
}

TEST_CASE("a non-string in a date-time field is still reported, by valijson's type check") {
    auto event = json::parse(R"({"event_id":"e-1","work_order_id":"WO-1","status":"accepted","occurred_at":20261122})");
    auto problems = fb::schema::Validator::status_event().check(event);
    REQUIRE(!problems.empty());
    CHECK_THAT(problems[0], Catch::StartsWith("[occurred_at]"));
}
