#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "status/event.h"
#include "support/source_dir.h"

namespace {
std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

TEST_CASE("every sample status event meets the status event contract") {
    fb::config::StatusConfig limits;
    int n = 0;
    for (const auto& f : std::filesystem::directory_iterator(FB_SOURCE_DIR + "/tests/fixtures/samples/status-events")) {
        if (f.path().extension() != ".json") continue;
        fb::status::StatusEvent e;
        std::string reason;
        INFO(f.path().string() << ": " << reason);
        CHECK(fb::status::parse_status_event(read(f.path()), limits, e, reason));
        CHECK(e.work_order_id.starts_with("WO-delivery-"));
        ++n;
    }
    CHECK(n == 7);
}

TEST_CASE("a status event breaking the contract or the limits is refused with the reason") {
    fb::config::StatusConfig limits;
    limits.max_event_bytes = 1024;
    limits.max_depth = 8;
    fb::status::StatusEvent e;
    std::string reason;
    CHECK_FALSE(fb::status::parse_status_event(
        R"({"event_id":"e1","status":"completed","occurred_at":"2026-11-22T09:58:30+08:00"})", limits, e, reason));
    CHECK_THAT(reason, Catch::Contains("status_event.schema.json") && Catch::Contains("work_order_id"));
    CHECK_FALSE(fb::status::parse_status_event(
        R"({"event_id":"e1","work_order_id":"WO-1","status":"Completed!","occurred_at":"x"})", limits, e, reason));
    CHECK_THAT(reason, Catch::Contains("status"));
    CHECK_FALSE(fb::status::parse_status_event("{\"event_id\": ", limits, e, reason));
    CHECK_THAT(reason, Catch::Contains("not valid JSON"));
    std::string deep = R"({"event_id":"e","work_order_id":"w","status":"accepted","occurred_at":"t","x":)" +
                       std::string(20, '[') + std::string(20, ']') + "}";
    CHECK_FALSE(fb::status::parse_status_event(deep, limits, e, reason));
    CHECK_THAT(reason, Catch::Contains("deeper than 8"));
    CHECK_FALSE(fb::status::parse_status_event(std::string(2000, ' '), limits, e, reason));
    CHECK_THAT(reason, Catch::Contains("over the limit of 1024"));
}

TEST_CASE("a status event with a huge occurred_at is refused, not a stack overflow in the date check") {
    // valijson's date-time check is a std::regex that recurses per character: 250,000 digits
    // (under the 256 KiB event limit) crashed the daemon, and again on every restart.
    fb::config::StatusConfig limits;
    for (std::string filler : {std::string(250'000, '1'), "2026-11-22T09:58:30." + std::string(250'000, '1') + "Z"}) {
        std::string payload = R"({"event_id":"e-1","work_order_id":"WO-1","status":"completed","occurred_at":")" +
                              filler + R"("})";
        REQUIRE(payload.size() < limits.max_event_bytes);
        fb::status::StatusEvent e;
        std::string reason;
        CHECK_FALSE(fb::status::parse_status_event(payload, limits, e, reason));
        CHECK(reason.find("/occurred_at") != std::string::npos);
        CHECK(reason.find("over 64") != std::string::npos);
    }
    // A date-time with many fraction digits is still one.
    std::string ok = R"({"event_id":"e-1","work_order_id":"WO-1","status":"completed","occurred_at":"2026-11-22T09:58:30.123456789Z"})";
    fb::status::StatusEvent e;
    std::string reason;
    CHECK(fb::status::parse_status_event(ok, limits, e, reason));
}

TEST_CASE("a status event with a number beyond a double is refused, naming where (it could not be stored and read back)") {
    // Found by the status_event fuzz target: `11e308` parses as infinity, which serialises as
    // text no JSON reader accepts, so the stored body would be unreadable for the writeback.
    fb::config::StatusConfig limits;
    fb::status::StatusEvent e;
    std::string reason;
    std::string payload = R"({"event_id":"e-1","work_order_id":"WO-1","status":"completed",)"
                          R"("occurred_at":"2026-11-22T09:58:30+08:00","proof":{"items":[{"line":1,"delivered":11e308}]}})";
    CHECK_FALSE(fb::status::parse_status_event(payload, limits, e, reason));
    CHECK_THAT(reason, Catch::StartsWith("status event") && Catch::Contains("/proof/items/0/delivered") &&
                           Catch::Contains("out of range"));
    // The largest finite double is still a number.
    std::string ok = R"({"event_id":"e-1","work_order_id":"WO-1","status":"completed",)"
                     R"("occurred_at":"2026-11-22T09:58:30+08:00","proof":{"items":[{"line":1,"delivered":1.7e308}]}})";
    CHECK(fb::status::parse_status_event(ok, limits, e, reason));
}
