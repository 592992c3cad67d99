#include <catch2/catch.hpp>

#include "decode/decode.h"
#include "fixture.h"

using fb::decode::decode_json;
using fb::decode::Limits;
using fb::decode::test::read_sample;

TEST_CASE("a JSON document decodes into its tree", "[decode][json]") {
    auto decoded = decode_json(R"({"DocNo":"CK20261120-0042","Lines":[{"Qty":3}]})");
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at("DocNo") == "CK20261120-0042");
    CHECK(decoded.value.at("Lines").at(0).at("Qty") == 3);
}

TEST_CASE("truncated JSON is refused with the line where it ends", "[decode][json][bad-input]") {
    auto decoded = decode_json(read_sample("bad-input/truncated.json"));
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "invalid JSON at line 23, column 44: incomplete JSON");
}

TEST_CASE("JSON that is not UTF-8 is refused with the byte offset", "[decode][json][bad-input]") {
    auto decoded = decode_json(read_sample("bad-input/not-utf8.json"));
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "invalid UTF-8 at byte offset 66 (0xFF 0xFE 0x22 0x2C)");
}

TEST_CASE("a 50 MB JSON body is refused by size before parsing", "[decode][json][hostile]") {
    std::string body(50u << 20, ' ');
    body.front() = '[';  // never looked at: the size decides first
    auto decoded = decode_json(body);
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "document of 52428800 bytes is over the limit of 16777216 bytes");
}

TEST_CASE("JSON nested 100,000 levels deep is refused by the depth limit",
          "[decode][json][hostile]") {
    auto decoded = decode_json(std::string(100000, '['));
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "invalid JSON at line 1, column 65: nested deeper than 64 levels");
}

TEST_CASE("JSON exactly at the depth limit is accepted", "[decode][json][hostile]") {
    Limits limits;
    limits.max_depth = 8;
    CHECK(decode_json(std::string(8, '[') + std::string(8, ']'), limits).ok());
    CHECK_FALSE(decode_json(std::string(9, '[') + std::string(9, ']'), limits).ok());
}

TEST_CASE("data after the JSON document is refused", "[decode][json]") {
    auto decoded = decode_json("{\"a\":1}\n{\"a\":2}");
    CHECK_FALSE(decoded.ok());
    CHECK_THAT(decoded.error, Catch::StartsWith("invalid JSON at line 2, column 1"));
}

TEST_CASE("a UTF-8 byte-order mark before JSON is ignored", "[decode][json]") {
    auto decoded = decode_json("\xEF\xBB\xBF{\"DocNo\":\"出货单\"}");
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at("DocNo") == "出货单");
}

// Found by fuzz_json: Boost.JSON reads 1e999 as infinity and writes it back as `Infinity`.
TEST_CASE("a number beyond the range of a double is refused, naming where it is",
          "[decode][json][bad-input]") {
    auto decoded = decode_json(R"({"DocNo":"CK1","Lines":[{"Qty":1},{"Qty":-21e308}]})");
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error ==
          "invalid JSON: the number at $.Lines[1].Qty is out of range (beyond ±1.8e308)");
    std::string digits(400, '9');  // no exponent: too long for an integer, read as a double
    auto long_integer = decode_json("[" + digits + "]");
    CHECK(long_integer.error ==
          "invalid JSON: the number at $[0] is out of range (beyond ±1.8e308)");
    CHECK(decode_json("[1.7e308, -1e-400, 18446744073709551615]").ok());
}
