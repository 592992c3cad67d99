#include <catch2/catch.hpp>

#include "decode/decode.h"

using fb::decode::Format;
using fb::decode::format_for_path;
using fb::decode::to_utf8;

TEST_CASE("GBK bytes become the same Chinese text in UTF-8", "[decode][charset]") {
    std::string error;
    // 北京 in GBK
    CHECK(to_utf8("\xB1\xB1\xBE\xA9", "GBK", error) == "北京");
    CHECK(error.empty());
}

TEST_CASE("GB2312 is read as GBK, so GBK-only characters in such files survive",
          "[decode][charset]") {
    std::string error;
    // 镕 (GBK 0xE946) is not in GB2312 proper
    CHECK(to_utf8("\xE9\x46", "gb2312", error) == "镕");
    CHECK(error.empty());
}

TEST_CASE("GB18030 four-byte sequences are decoded", "[decode][charset]") {
    std::string error;
    // U+20087 is 0x95 0x32 0x90 0x31 in GB18030
    CHECK(to_utf8("\x95\x32\x90\x31", "GB18030", error) == "\xF0\xA0\x82\x87");
    CHECK(error.empty());
}

TEST_CASE("an invalid GBK sequence is reported with its byte offset", "[decode][charset]") {
    std::string error;
    CHECK(to_utf8("abc\xB1\xB1\xFF\xFF", "GBK", error).empty());
    CHECK(error == "invalid GBK byte sequence at byte offset 5 (0xFF 0xFF)");
}

TEST_CASE("input that ends inside a GBK character is reported", "[decode][charset]") {
    std::string error;
    CHECK(to_utf8("ab\xB1", "GBK", error).empty());
    CHECK(error ==
          "incomplete GBK byte sequence at byte offset 2: the input ends inside a "
          "character");
}

TEST_CASE("UTF-16 with a byte-order mark decodes in either byte order", "[decode][charset]") {
    using namespace std::string_literals;
    std::string error;
    CHECK(to_utf8("\xFF\xFE\x17\x53\xAC\x4E"s, "UTF-16", error) == "北京");
    CHECK(to_utf8("\xFE\xFF\x53\x17\x4E\xAC"s, "UTF-16", error) == "北京");
    CHECK(error.empty());
}

TEST_CASE("a byte-order mark is not kept as data when the byte order is named",
          "[decode][charset]") {
    using namespace std::string_literals;
    std::string error;
    CHECK(to_utf8("\xFF\xFE"
                  "A\0"s,
                  "UTF-16LE", error) == "A");
    CHECK(to_utf8("\xEF\xBB\xBF"
                  "A"s,
                  "UTF-8", error) == "A");
    CHECK(error.empty());
}

TEST_CASE("an unpaired UTF-16 surrogate is refused", "[decode][charset]") {
    using namespace std::string_literals;
    std::string error;
    CHECK(to_utf8("A\0\x00\xD8"s, "UTF-16LE", error).empty());
    CHECK_THAT(error, Catch::StartsWith("invalid UTF-16LE byte sequence at byte offset 2") ||
                          Catch::StartsWith("incomplete UTF-16LE byte sequence at byte offset 2"));
}

TEST_CASE("Latin-1 and Windows-1252 differ where they should", "[decode][charset]") {
    std::string error;
    CHECK(to_utf8("K\xF6nig", "ISO-8859-1", error) == "König");
    CHECK(to_utf8("\x80 5", "Windows-1252", error) == "€ 5");
    CHECK(to_utf8("\x80", "latin1", error) == "\xC2\x80");
    CHECK(error.empty());
}

TEST_CASE("UTF-8 input is validated, not trusted", "[decode][charset]") {
    std::string error;
    CHECK(to_utf8("ok \xC3\xA4", "utf-8", error) == "ok ä");
    CHECK(error.empty());

    CHECK(to_utf8("ab\xC3(", "UTF-8", error).empty());
    CHECK(error == "invalid UTF-8 at byte offset 2 (0xC3 0x28)");
    CHECK(to_utf8("\xC0\xAF", "UTF-8", error).empty());  // overlong '/'
    CHECK(error == "invalid UTF-8 at byte offset 0 (0xC0 0xAF)");
    CHECK(to_utf8("x\xED\xA0\x80", "UTF-8", error).empty());  // a surrogate
    CHECK(error == "invalid UTF-8 at byte offset 1 (0xED 0xA0 0x80)");
    CHECK(to_utf8("\xF4\x90\x80\x80", "UTF-8", error).empty());  // past U+10FFFF
    CHECK(error == "invalid UTF-8 at byte offset 0 (0xF4 0x90 0x80 0x80)");
    CHECK(to_utf8("\xE5\x8C", "", error).empty());  // cut short; "" means UTF-8
    CHECK(error == "invalid UTF-8 at byte offset 0 (0xE5 0x8C)");
}

TEST_CASE("the offset of bad UTF-8 counts the byte-order mark", "[decode][charset]") {
    std::string error;
    CHECK(to_utf8("\xEF\xBB\xBF"
                  "a\xFF",
                  "UTF-8", error)
              .empty());
    CHECK(error == "invalid UTF-8 at byte offset 4 (0xFF)");
}

TEST_CASE("an unknown charset is named in the error", "[decode][charset]") {
    std::string error;
    CHECK(to_utf8("abc", "KLINGON-8", error).empty());
    CHECK(error == "unknown charset \"KLINGON-8\"");
}

TEST_CASE("iconv suffixes that would drop bad bytes are refused", "[decode][charset]") {
    std::string error;
    CHECK(to_utf8("a\xFF", "UTF-8//IGNORE", error).empty());
    CHECK(error == "unsupported charset name \"UTF-8//IGNORE\"");
    CHECK(to_utf8("a\xFF", "GBK//TRANSLIT", error).empty());
    CHECK(error == "unsupported charset name \"GBK//TRANSLIT\"");
}

TEST_CASE("the format follows the file extension, JSON when unknown", "[decode][format]") {
    CHECK(format_for_path("in/dispatchlist-20261120.gbk.csv") == Format::csv);
    CHECK(format_for_path("DELVRY07-0080004712.XML") == Format::xml);
    CHECK(format_for_path("/drop/a.b/orders.jsonl") == Format::ndjson);
    CHECK(format_for_path("orders.ndjson") == Format::ndjson);
    CHECK(format_for_path("order.json") == Format::json);
    CHECK(format_for_path("/drop/x.csv/README") == Format::json);
    CHECK(format_for_path("notes.txt") == Format::json);
}
