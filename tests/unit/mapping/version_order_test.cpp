// Versions compare as their order says: timestamps as instants, integers as numbers, text as
// text; a bad `order` is a compile error with file:line:col; a version that is not of its order
// fails the document with a clear reason.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "mapping/version_order.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;

namespace {

// <0, 0, >0, or 99 when the two cannot be ordered.
int compare(VersionOrder order, const std::string& a, const std::string& b) {
    auto ka = version_key(order, a), kb = version_key(order, b);
    REQUIRE(ka);
    REQUIRE(kb);
    return compare_version_keys(*ka, *kb).value_or(99);
}

std::string compile_error_of(const std::string& top) {
    try {
        work_order_mapping("  type: delivery\n", top);
    } catch (const CompileError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("timestamps compare as instants, whatever their offsets and formats") {
    auto t = VersionOrder::timestamp;
    // As text the first is greater; as instants it is 59 seconds earlier.
    CHECK(compare(t, "2026-11-20T10:00:00+08:00", "2026-11-20T02:00:59Z") < 0);
    CHECK(compare(t, "2026-11-20T10:00:00+08:00", "2026-11-20T02:00:00Z") == 0);
    CHECK(compare(t, "2026-11-20T02:00:00.5Z", "2026-11-20T02:00:00.123Z") > 0);
    // Microseconds count (ERPNext writes them); a missing fraction is the earlier.
    CHECK(compare(t, "2026-11-20 02:00:00.123457", "2026-11-20 02:00:00.123456") > 0);
    CHECK(compare(t, "2026-11-20T02:00:00Z", "2026-11-20T02:00:00.000001Z") < 0);
    CHECK(compare(t, "2026-11-20T02:00:00.100Z", "2026-11-20T02:00:00.1Z") == 0);
    // SAP's /Date(ms)/ is the same instant as its RFC 3339 reading.
    CHECK(compare(t, "/Date(1763604000000)/", "2025-11-20T02:00:00Z") == 0);
    CHECK(compare(t, "/Date(1763604000001)/", "2025-11-20T02:00:00Z") > 0);
    CHECK(compare(t, "2026-11-19", "2026-11-20T00:00:00+08:00") < 0);
    CHECK(compare(t, "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z") < 0);
    CHECK_FALSE(version_key(t, "yesterday"));
    CHECK_FALSE(version_key(t, "2026-13-01"));
}

TEST_CASE("integers compare as numbers at any length, not as text") {
    auto i = VersionOrder::integer;
    CHECK(compare(i, "9", "10") < 0);
    CHECK(compare(i, "007", "7") == 0);
    CHECK(compare(i, "-5", "3") < 0);
    CHECK(compare(i, "-10", "-9") < 0);
    CHECK(compare(i, "-0", "0") == 0);
    CHECK(compare(i, "123456789012345678901234567890", "123456789012345678901234567891") < 0);
    CHECK(compare(i, "99999999999999999999", "100000000000000000000") < 0);
    CHECK_FALSE(version_key(i, "1.5"));
    CHECK_FALSE(version_key(i, "12a"));
    CHECK_FALSE(version_key(i, "-"));
    CHECK_FALSE(version_key(i, std::string(1001, '1')));
}

TEST_CASE("strings compare by their bytes, none and empty versions are not ordered") {
    CHECK(compare(VersionOrder::string, "rev-b", "rev-a") > 0);
    CHECK(compare(VersionOrder::string, "10", "9") < 0);  // text, as asked
    CHECK(compare(VersionOrder::none, "2", "1") == 99);
    CHECK(compare(VersionOrder::integer, "", "1") == 99);
}

TEST_CASE("auto orders numbers as numbers, timestamps as instants, and mixed kinds not at all") {
    auto a = VersionOrder::automatic;
    CHECK(compare(a, "9", "10") < 0);
    CHECK(compare(a, "2026-11-20T10:00:00+08:00", "2026-11-20T02:00:59Z") < 0);
    CHECK(compare(a, "B", "A") > 0);
    CHECK(compare(a, "10", "abc") == 99);
    CHECK(compare(a, "2026-11-20", "17") == 99);
}

TEST_CASE("a bad version order is a compile error with file, line and column") {
    auto e = compile_error_of("version: { path: $.ModifyTime, order: timestmp }\n");
    CHECK_THAT(e, Catch::StartsWith("m.yaml:3:39: `order` is timestamp, integer, string, none or "
                                    "auto, not `timestmp` (did you mean `timestamp`?)"));
    // `order` belongs to the version rule only.
    try {
        work_order_mapping("  type: delivery\n  notes: { path: $.Remark, order: string }\n");
        FAIL("compiled");
    } catch (const CompileError& err) {
        CHECK_THAT(err.what(), Catch::Contains("unknown key `order` in a rule"));
    }
    CHECK_THAT(compile_error_of("reopen: sometimes\n"),
               Catch::StartsWith("m.yaml:3:9: `reopen` is true or false"));
}

TEST_CASE("a version that is not of its order fails the document, naming the field") {
    auto m = work_order_mapping("  type: delivery\n", "version: { path: $.Rev, order: integer }\n");
    auto ok = m->map(boost::json::parse(R"({"DocNo":"D1","Rev":12})"));
    REQUIRE(ok.size() == 1);
    CHECK(ok[0].kind == MapResult::Kind::mapped);
    CHECK(ok[0].version == "12");
    CHECK(ok[0].version_key == *version_key(VersionOrder::integer, "12"));
    CHECK(m->version_order() == VersionOrder::integer);
    CHECK_FALSE(m->reopens());

    auto bad = m->map(boost::json::parse(R"({"DocNo":"D1","Rev":"twelve"})"));
    REQUIRE(bad.size() == 1);
    REQUIRE(bad[0].kind == MapResult::Kind::failed);
    auto message = bad[0].error->message();
    INFO(message);
    CHECK(bad[0].error->field == "version");
    CHECK(bad[0].error->document_id == "D1");
    CHECK_THAT(message, Catch::Contains("an integer"));
    CHECK_THAT(message, Catch::Contains("twelve"));
}

TEST_CASE("the short version form orders automatically and reopen defaults to false") {
    auto m = work_order_mapping("  type: delivery\n", "version: $.Rev\nreopen: true\n");
    CHECK(m->version_order() == VersionOrder::automatic);
    CHECK(m->reopens());
    auto r = m->map(boost::json::parse(R"({"DocNo":"D1","Rev":"2026-11-20T10:00:00+08:00"})"));
    REQUIRE(r.size() == 1);
    CHECK(r[0].version_key == *version_key(VersionOrder::timestamp, "2026-11-20T02:00:00Z"));
}
