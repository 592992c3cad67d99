#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "decode/decode.h"
#include "fixture.h"

using fb::decode::CsvOptions;
using fb::decode::decode_csv;
using fb::decode::Limits;
using fb::decode::test::read_sample;

namespace {
CsvOptions charset(std::string name) {
    CsvOptions options;
    options.charset = std::move(name);
    return options;
}
}  // namespace

TEST_CASE("the Yonyou GBK dispatch list decodes to the right Chinese text", "[decode][csv]") {
    auto decoded =
        decode_csv(read_sample("yonyou-u8-csv/dispatchlist-20261120.gbk.csv"), charset("GBK"));
    REQUIRE(decoded.ok());
    const auto& rows = decoded.value.as_array();
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].as_object().size() == 14);
    CHECK(rows[0].at("发货单号") == "FH2026112000118");
    CHECK(rows[0].at("客户名称") == "北京欧雅装饰工程有限公司");
    CHECK(rows[0].at("收货地址") == "北京市东城区东直门南大街 1号 \"来福士\" 写字楼 9层");
    CHECK(rows[0].at("备注") == "需两人搬运,浴缸较重");  // a quoted comma stays in the field
    CHECK(rows[0].at("数量") == "1");                    // values stay strings
    CHECK(rows[1].at("存货编码") == "HG-26457000");
    CHECK(rows[2].at("客户名称") == "孙女士");
    CHECK(rows[2].at("备注") == "");
    CHECK(rows[2].at("修改时间") == "2026-11-20 17:25:02");  // no CR left from CRLF
}

TEST_CASE("the GBK dispatch list read as UTF-8 is refused with the offset",
          "[decode][csv][charset]") {
    auto decoded = decode_csv(read_sample("yonyou-u8-csv/dispatchlist-20261120.gbk.csv"));
    CHECK_FALSE(decoded.ok());
    CHECK_THAT(decoded.error, Catch::StartsWith("cannot read the CSV as UTF-8: invalid UTF-8 at "
                                                "byte offset 0 "));
}

TEST_CASE("RFC 4180 quoting: commas, doubled quotes and line breaks in a field", "[decode][csv]") {
    auto decoded =
        decode_csv("id,text\r\n1,\"a, b\"\r\n2,\"say \"\"hi\"\"\"\r\n3,\"two\r\nlines\"\n");
    REQUIRE(decoded.ok());
    const auto& rows = decoded.value.as_array();
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].at("text") == "a, b");
    CHECK(rows[1].at("text") == "say \"hi\"");
    CHECK(rows[2].at("text") == "two\r\nlines");
}

TEST_CASE("LF line ends, a missing last newline and blank lines are accepted", "[decode][csv]") {
    auto decoded = decode_csv("a,b\n1,2\n\n3,\n4,\"\"");
    REQUIRE(decoded.ok());
    CHECK(decoded.value ==
          boost::json::parse(R"([{"a":"1","b":"2"},{"a":"3","b":""},{"a":"4","b":""}])"));
}

TEST_CASE("a UTF-8 byte-order mark does not become part of the first column name",
          "[decode][csv]") {
    auto decoded = decode_csv("\xEF\xBB\xBFid,name\n7,x\n");
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at(0).at("id") == "7");
}

TEST_CASE("UTF-16 CSV with a byte-order mark is read", "[decode][csv][charset]") {
    std::string ascii = "id,name\r\n7,x\r\n";
    std::string body = "\xFF\xFE";
    for (char c : ascii) body += c, body += '\0';
    auto decoded = decode_csv(body, charset("UTF-16"));
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at(0).at("name") == "x");
}

TEST_CASE("a German export: UTF-16LE with a BOM but no charset named, semicolons, CRLF, decimal commas",
          "[decode][csv][charset]") {
    std::string ascii = "Lieferschein;Menge;Text\r\nLS-1;1,5;\"a;b\"\r\nLS-2;1.234,5;x\r\n";
    std::string body = "\xFF\xFE";
    for (char c : ascii) body += c, body += '\0';
    CsvOptions options;  // charset left at its UTF-8 default: the byte-order mark decides
    options.delimiter = ';';
    auto decoded = decode_csv(body, options);
    INFO(decoded.error);
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at(0).at("Lieferschein") == "LS-1");
    CHECK(decoded.value.at(0).at("Menge") == "1,5");  // strings: the mapping reads the comma
    CHECK(decoded.value.at(0).at("Text") == "a;b");
    CHECK(decoded.value.at(1).at("Text") == "x");  // no CR left
}

TEST_CASE("a header-only CSV is an empty list and an empty CSV is refused", "[decode][csv]") {
    auto header_only = decode_csv("a,b\r\n");
    REQUIRE(header_only.ok());
    CHECK(header_only.value.as_array().empty());
    auto empty = decode_csv("");
    CHECK_FALSE(empty.ok());
    CHECK(empty.error == "the CSV is empty: no header row");
}

TEST_CASE("a row with a different number of fields names its line", "[decode][csv]") {
    auto decoded = decode_csv("a,b,c\n1,2,3\n\"multi\nline\",2,3\n4,5\n");
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "line 5: 2 fields, but the header has 3 columns");
}

TEST_CASE("an unterminated quote names the line where the field starts", "[decode][csv]") {
    auto decoded = decode_csv("a,b\n1,2\n3,\"never closed\n4,5\n6,7\n");
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "line 3: a quoted field is never closed");
}

TEST_CASE("text after a closing quote is refused", "[decode][csv]") {
    auto decoded = decode_csv("a,b\n1,\"x\"y\n");
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "line 2: text after the closing quote of a field");
}

TEST_CASE("a header without a name or with a name twice is refused", "[decode][csv]") {
    auto unnamed = decode_csv("a,,c\n1,2,3\n");
    CHECK_FALSE(unnamed.ok());
    CHECK(unnamed.error == "line 1: column 2 of the header has no name");
    auto twice = decode_csv("数量,单位,数量\n1,2,3\n");
    CHECK_FALSE(twice.ok());
    CHECK(twice.error == "line 1: the header names column \"数量\" twice");
}

TEST_CASE("a 50 MB CSV body is refused by size before decoding", "[decode][csv][hostile]") {
    std::string body(50u << 20, 'x');
    auto decoded = decode_csv(body, charset("GBK"));
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "document of 52428800 bytes is over the limit of 16777216 bytes");
}

TEST_CASE("a 10 MB CSV line with no newline is refused by the field limit",
          "[decode][csv][hostile]") {
    auto decoded = decode_csv("a,b\n1," + std::string(10u << 20, 'x'));
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "line 2: a field is longer than the limit of 1048576 bytes");
}

TEST_CASE("a 10 MB quoted field is refused by the field limit", "[decode][csv][hostile]") {
    auto closed = decode_csv("a\n\"" + std::string(10u << 20, '\n') + "\"\n");
    CHECK_FALSE(closed.ok());
    CHECK(closed.error == "line 2: a field is longer than the limit of 1048576 bytes");
    auto unclosed = decode_csv("a\n\"" + std::string(10u << 20, '\n'));
    CHECK_FALSE(unclosed.ok());
    CHECK(unclosed.error == "line 2: a quoted field is never closed");
}

TEST_CASE("a 10 MB CSV line of commas is refused by the column limit", "[decode][csv][hostile]") {
    auto decoded = decode_csv(std::string(10u << 20, ','));
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "line 1: more than 1024 columns");
}

TEST_CASE("the field and column limits can be set", "[decode][csv]") {
    Limits limits;
    limits.max_field_bytes = 3;
    limits.max_columns = 2;
    CHECK(decode_csv("ab,cd\nabc,\"d\"\"e\"\n", {}, limits).ok());
    CHECK(decode_csv("ab,cd\nabcd,e\n", {}, limits).error ==
          "line 2: a field is longer than the limit of 3 bytes");
    CHECK(decode_csv("a,b,c\n", {}, limits).error == "line 1: more than 2 columns");
}

TEST_CASE("another delimiter can be chosen, but not a quote", "[decode][csv]") {
    CsvOptions semicolons;
    semicolons.delimiter = ';';
    auto decoded = decode_csv("a;b\n1,5;\"x;y\"\n", semicolons);
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at(0).at("a") == "1,5");
    CHECK(decoded.value.at(0).at("b") == "x;y");
    CsvOptions quote;
    quote.delimiter = '"';
    CHECK(decode_csv("a\n1\n", quote).error ==
          "a CSV delimiter cannot be a quote, a line break or NUL");
}
