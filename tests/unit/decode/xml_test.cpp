#include <catch2/catch.hpp>

#include "decode/decode.h"
#include "fixture.h"
#include "support/temp_folder.h"

#include <fstream>

using fb::decode::decode_xml;
using fb::decode::Limits;
using fb::decode::test::read_sample;

namespace {
std::string utf16le(std::string_view ascii) {
    std::string out;
    for (char c : ascii) out += c, out += '\0';
    return out;
}
}  // namespace

TEST_CASE("a SAP IDoc becomes one object per segment, repeated segments arrays", "[decode][xml]") {
    auto decoded = decode_xml(read_sample("sap-idoc/DELVRY07-0080004712.xml"));
    REQUIRE(decoded.ok());
    const auto& idoc = decoded.value.at("DELVRY07").at("IDOC");
    CHECK(idoc.at("@BEGIN") == "1");
    CHECK(idoc.at("EDI_DC40").at("DOCNUM") == "0000000004812295");

    const auto& delivery = idoc.at("E1EDL20");
    CHECK(delivery.at("VBELN") == "0080004712");  // a string: leading zeros kept
    CHECK(delivery.at("BTGEW") == "12.400");

    const auto& partners = delivery.at("E1ADRM1").as_array();
    REQUIRE(partners.size() == 2);
    CHECK(partners[0].at("PARTNER_Q") == "WE");
    CHECK(partners[0].at("NAME1") == "Bäder & Fliesen Schmidt");
    CHECK(partners[0].at("STREET1") == "Königstraße 3");
    CHECK(partners[1].at("PARTNER_Q") == "AG");

    const auto& items = delivery.at("E1EDL24").as_array();
    REQUIRE(items.size() == 2);
    CHECK(items[0].at("MATNR") == "HG-71400000");
    CHECK(items[0].at("E1EDL43").at("BELNR") == "0000004712");
    CHECK(items[1].at("MATNR") == "SVC-INSTALL");
    CHECK(items[1].at("LFIMG") == "1.000");

    CHECK(delivery.at("E1EDT13").is_object());  // once: an object, not an array of one
}

TEST_CASE("an XML external entity is refused as a DTD, without reading the file",
          "[decode][xml][bad-input]") {
    auto decoded = decode_xml(read_sample("bad-input/xxe.xml"));
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error ==
          "a DTD with declarations (<!DOCTYPE … [ … ]>) is not allowed: entities are never defined or expanded (line 2)");
    CHECK(decoded.value.is_null());
}

TEST_CASE("billion laughs is refused as a DTD, nothing expands", "[decode][xml][bad-input]") {
    auto decoded = decode_xml(read_sample("bad-input/billion-laughs.xml"));
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error ==
          "a DTD with declarations (<!DOCTYPE … [ … ]>) is not allowed: entities are never defined or expanded (line 2)");
    CHECK(decoded.value.is_null());
}

TEST_CASE("an entity that no DTD defines is refused, not passed on as text", "[decode][xml]") {
    auto decoded = decode_xml("<A>\n<B>x &xxe; y</B></A>");
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error ==
          "undefined or malformed entity reference \"&xxe; y\" (only &lt; &gt; &amp; &apos; "
          "&quot; and &#…; are allowed) (line 2)");
    CHECK_FALSE(decode_xml("<A b=\"&foo;\"/>").ok());
    CHECK_FALSE(decode_xml("<A>fish & chips</A>").ok());
    CHECK_FALSE(decode_xml("<A>&#0;</A>").ok());
}

TEST_CASE("the five entities and character references are decoded", "[decode][xml]") {
    auto decoded =
        decode_xml("<A b=\"&quot;x&quot;&#10;y\">&lt;&gt;&amp;&apos;&#x5317;&#20140;</A>");
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at("A").at("@b") == "\"x\"\ny");
    CHECK(decoded.value.at("A").at("#text") == "<>&'北京");
}

TEST_CASE("a 50 MB XML body is refused by size before parsing", "[decode][xml][hostile]") {
    std::string body(50u << 20, 'x');
    auto decoded = decode_xml(body);
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "document of 52428800 bytes is over the limit of 16777216 bytes");
}

TEST_CASE("XML nested 100,000 elements deep is refused by the depth limit",
          "[decode][xml][hostile]") {
    std::string body;
    for (int i = 0; i < 100000; ++i) body += "<a>\n";
    body += "x";
    for (int i = 0; i < 100000; ++i) body += "</a>";
    auto decoded = decode_xml(body);
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error == "elements nested deeper than 64 levels in <a> (line 65)");
}

TEST_CASE("XML exactly at the depth limit is accepted", "[decode][xml][hostile]") {
    Limits limits;
    limits.max_depth = 3;
    CHECK(decode_xml("<a><b><c>x</c></b></a>", limits).ok());
    CHECK_FALSE(decode_xml("<a><b><c><d/></c></b></a>", limits).ok());
}

TEST_CASE("text, attributes and child elements map as documented", "[decode][xml]") {
    auto decoded = decode_xml(
        "<Order no=\"7\"><Qty unit=\"ST\">3</Qty><Note>  two  spaces </Note><Empty/>"
        "<Mixed>before <b>bold</b> after</Mixed><Raw><![CDATA[<not a tag> & co]]></Raw>"
        "<!-- a comment --><?pi ignored?></Order>");
    REQUIRE(decoded.ok());
    const auto& order = decoded.value.at("Order");
    CHECK(order.at("@no") == "7");  // attribute values stay strings
    CHECK(order.at("Qty").at("@unit") == "ST");
    CHECK(order.at("Qty").at("#text") == "3");
    CHECK(order.at("Note") == "  two  spaces ");
    CHECK(order.at("Empty") == "");
    CHECK(order.at("Mixed").at("b") == "bold");
    CHECK(order.at("Mixed").at("#text") == "before  after");
    CHECK(order.at("Raw") == "<not a tag> & co");
    CHECK(order.as_object().size() == 6);
}

TEST_CASE("repeated elements become an array even when others come between", "[decode][xml]") {
    auto decoded = decode_xml("<L><I>1</I><X>x</X><I>2</I><I>3</I></L>");
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at("L").at("I") == boost::json::array{"1", "2", "3"});
    CHECK(decoded.value.at("L").at("X") == "x");
}

TEST_CASE("UTF-16 XML with a byte-order mark is read", "[decode][xml][charset]") {
    std::string body = "\xFF\xFE" +
                       utf16le(
                           "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n"
                           "<DELVRY07><NAME1>K") +
                       std::string("\xF6\x00", 2) + utf16le("nig</NAME1></DELVRY07>");
    auto decoded = decode_xml(body);
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at("DELVRY07").at("NAME1") == "König");
}

TEST_CASE("UTF-16 XML without a byte-order mark is recognised by its first bytes",
          "[decode][xml][charset]") {
    auto decoded = decode_xml(utf16le("<?xml version=\"1.0\" encoding=\"UTF-16\"?><A>ok</A>"));
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at("A") == "ok");
}

TEST_CASE("UTF-16 XML with neither a byte-order mark nor a declaration is recognised",
          "[decode][xml][charset]") {
    std::string body = utf16le("<A>");
    body += std::string("\x17\x53\xAC\x4E", 4) + utf16le("</A>");  // 北京
    auto decoded = decode_xml(body);
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at("A") == "北京");
}

TEST_CASE("the declared encodings GBK and ISO-8859-1 are honoured", "[decode][xml][charset]") {
    auto latin1 = decode_xml("<?xml version='1.0' encoding='ISO-8859-1'?><A>K\xF6nig</A>");
    REQUIRE(latin1.ok());
    CHECK(latin1.value.at("A") == "König");
}

TEST_CASE("the declared encoding GBK is honoured", "[decode][xml][charset]") {
    auto decoded = decode_xml("<?xml version=\"1.0\" encoding=\"GBK\"?>\n<A>\xB1\xB1\xBE\xA9</A>");
    REQUIRE(decoded.ok());
    CHECK(decoded.value.at("A") == "北京");
}

TEST_CASE("a declared encoding the bytes do not follow is refused", "[decode][xml][charset]") {
    auto gbk = decode_xml("<?xml version=\"1.0\" encoding=\"GBK\"?><A>\xB1\xFF</A>");
    CHECK_FALSE(gbk.ok());
    CHECK(gbk.error ==
          "cannot read the XML as GBK: invalid GBK byte sequence at byte offset 39 "
          "(0xB1 0xFF 0x3C 0x2F)");
    auto utf16 = decode_xml("<?xml version=\"1.0\" encoding=\"UTF-16\"?><A/>");
    CHECK_FALSE(utf16.ok());
    CHECK(utf16.error ==
          "the XML declaration says UTF-16, but the document is written in single "
          "bytes (no byte-order mark)");
}

TEST_CASE("XML without a declaration must be UTF-8", "[decode][xml][charset]") {
    auto decoded = decode_xml("<A>\xB1\xB1</A>");
    CHECK_FALSE(decoded.ok());
    CHECK(decoded.error ==
          "cannot read the XML as UTF-8: invalid UTF-8 at byte offset 3 "
          "(0xB1 0xB1 0x3C 0x2F)");
}

TEST_CASE("malformed XML is refused with line and column", "[decode][xml]") {
    auto decoded = decode_xml("<A>\n  <B>x</C>\n</A>");
    CHECK_FALSE(decoded.ok());
    CHECK_THAT(decoded.error, Catch::StartsWith("invalid XML at line 2, column "));
    CHECK_THAT(decoded.error, Catch::Contains("mismatch"));
}

TEST_CASE("XML with two root elements or none is refused", "[decode][xml]") {
    auto two = decode_xml("<A/>\n<B/>");
    CHECK_FALSE(two.ok());
    CHECK(two.error == "a second root element <B> (line 2)");
    auto none = decode_xml("<!-- nothing -->");
    CHECK_FALSE(none.ok());
    CHECK_THAT(none.error, Catch::StartsWith("invalid XML at line 1"));
}

TEST_CASE("a DOCTYPE naming an external DTD (cXML) is accepted and the DTD is never read",
          "[decode][xml][bad-input]") {
    // The DTD it names defines an entity; were it read, &secret; would expand to its text.
    auto dtd = fb::testing::temp_path("secret.dtd");
    std::ofstream(dtd) << "<!ENTITY secret \"from-the-dtd\">\n";
    const std::string head = "<?xml version=\"1.0\"?>\n<!DOCTYPE cXML SYSTEM \"file://" + dtd + "\">\n";
    auto plain = decode_xml(head + "<cXML payloadID=\"1@x\"><Header/></cXML>");
    INFO(plain.error);
    REQUIRE(plain.ok());
    CHECK(plain.value.at("cXML").at("@payloadID") == "1@x");
    auto with_entity = decode_xml(head + "<cXML>\n<A>&secret;</A></cXML>");
    CHECK_FALSE(with_entity.ok());
    CHECK(with_entity.error.starts_with("undefined or malformed entity reference \"&secret;"));
    // cXML's own line (a URL nobody fetches: a test machine has no network for it anyway), and
    // PUBLIC ids.
    CHECK(decode_xml("<!DOCTYPE cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.045/Fulfill.dtd\">"
                     "<cXML/>").ok());
    CHECK(decode_xml("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
                     "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\"><html/>").ok());
    // An internal subset, even an empty one or one after an external id, is still refused.
    for (const char* doctype : {"<!DOCTYPE cXML []>", "<!DOCTYPE cXML SYSTEM \"x.dtd\" [<!ENTITY a \"b\">]>"}) {
        auto refused = decode_xml(std::string(doctype) + "<cXML/>");
        INFO(doctype);
        CHECK(refused.error ==
              "a DTD with declarations (<!DOCTYPE … [ … ]>) is not allowed: entities are never "
              "defined or expanded (line 1)");
    }
    CHECK_FALSE(decode_xml("<!DOCTYPE cXML SYSTEM \"x.dtd\"><!DOCTYPE cXML><cXML/>").ok());
}
