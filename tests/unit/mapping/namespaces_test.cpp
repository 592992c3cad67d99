// XML namespaces by URI (`namespaces:`): the sender's prefixes, default namespaces and
// redeclarations resolved to the mapping's own prefixes, and the declaration's compile errors.
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <fstream>

#include "decode/decode.h"
#include "helpers.h"
#include "mapping/fixtures.h"
#include "mapping/namespaces.h"
#include "support/temp_folder.h"

using namespace fb::mapping;
namespace json = boost::json;

namespace {

const std::string ubl_header =
    "name: ns\n"
    "namespaces:\n"
    "  d: \"urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2\"\n"
    "  cac: \"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2\"\n"
    "  cbc: \"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\"\n";

const std::string ubl_mapping = ubl_header +
    "key: $.d:DespatchAdvice.cbc:ID\n"
    "work_order:\n"
    "  type: delivery\n"
    "  source_ref: $.d:DespatchAdvice.cbc:ID\n"
    "  customer: { name: $.d:DespatchAdvice.cac:DeliveryCustomerParty.cac:Party.cac:PartyName.cbc:Name }\n"
    "  address: { text: x }\n"
    "  items:\n"
    "    each: \"$.d:DespatchAdvice.cac:DespatchLine[*]\"\n"
    "    fields:\n"
    "      line: { path: $.cbc:ID, as: integer }\n"
    "      sku: $.cbc:ID\n"
    "      quantity: $.cbc:DeliveredQuantity.#text\n"
    "      unit: $.cbc:DeliveredQuantity.@unitCode\n";

json::value decode(const std::string& xml) {
    auto d = fb::decode::decode_xml(xml);
    INFO(d.error);
    REQUIRE(d.ok());
    return d.value;
}

MapResult map_xml(const Mapping& m, const std::string& xml) {
    auto results = m.map(decode(xml));
    REQUIRE(results.size() == 1);
    INFO((results[0].error ? results[0].error->message() : ""));
    return results[0];
}

std::string compile_error(const std::string& text) {
    try {
        Mapping::compile(text, "ns.yaml");
    } catch (const CompileError& e) {
        return e.what();
    }
    return "compiled";
}

const char* const cac = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const char* const cbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

}  // namespace

TEST_CASE("namespaces: two senders' prefixes and a default namespace give the same work order",
          "[mapping][namespaces]") {
    auto m = Mapping::compile(ubl_mapping, "ns.yaml");
    const std::string a =  // the prefixes of the UBL examples, a default namespace for the root
        "<DespatchAdvice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2\""
        " xmlns:cac=\"" + std::string(cac) + "\" xmlns:cbc=\"" + cbc + "\">"
        "<cbc:ID>DA-1</cbc:ID><cac:DeliveryCustomerParty><cac:Party><cac:PartyName>"
        "<cbc:Name>Acme</cbc:Name></cac:PartyName></cac:Party></cac:DeliveryCustomerParty>"
        "<cac:DespatchLine><cbc:ID>1</cbc:ID><cbc:DeliveredQuantity unitCode=\"EA\">2"
        "</cbc:DeliveredQuantity></cac:DespatchLine>"
        "<cac:DespatchLine><cbc:ID>2</cbc:ID><cbc:DeliveredQuantity unitCode=\"H87\">5"
        "</cbc:DeliveredQuantity></cac:DespatchLine></DespatchAdvice>";
    const std::string b =  // JAXB's ns2:/ns3:/ns4:, and the basic components as the default
        "<ns4:DespatchAdvice xmlns:ns4=\"urn:oasis:names:specification:ubl:schema:xsd:"
        "DespatchAdvice-2\" xmlns:ns2=\"" + std::string(cac) + "\" xmlns=\"" + cbc + "\">"
        "<ID>DA-1</ID><ns2:DeliveryCustomerParty><ns2:Party><ns2:PartyName>"
        "<Name>Acme</Name></ns2:PartyName></ns2:Party></ns2:DeliveryCustomerParty>"
        "<ns2:DespatchLine><ID>1</ID><DeliveredQuantity unitCode=\"EA\">2</DeliveredQuantity>"
        "</ns2:DespatchLine><ns2:DespatchLine xmlns:q=\"" + cbc + "\"><q:ID>2</q:ID>"
        "<q:DeliveredQuantity unitCode=\"H87\">5</q:DeliveredQuantity></ns2:DespatchLine>"
        "</ns4:DespatchAdvice>";
    auto ra = map_xml(*m, a), rb = map_xml(*m, b);
    REQUIRE(ra.kind == MapResult::Kind::mapped);
    REQUIRE(rb.kind == MapResult::Kind::mapped);
    CHECK(ra.work_order == rb.work_order);
    CHECK(ra.work_order.at("customer").at("name") == "Acme");
    CHECK(json::serialize(ra.work_order.at("items")) ==
          R"([{"line":1,"sku":"1","quantity":2,"unit":"EA"},{"line":2,"sku":"2","quantity":5,"unit":"H87"}])");
    // Without the declarations the same mapping reads neither sender: the URI is what matches.
    auto other = map_xml(*m, "<DespatchAdvice xmlns=\"urn:other\"><ID>DA-1</ID></DespatchAdvice>");
    CHECK(other.kind == MapResult::Kind::failed);
}

TEST_CASE("namespaces: one local name in two namespaces under one parent is told apart",
          "[mapping][namespaces]") {
    // openTRANS 2.1: DELIVERY_DATE (openTRANS, the default namespace) holds
    // bmecat:DELIVERY_START_DATE; here a sender adds an openTRANS element of the same local name.
    auto m = Mapping::compile(
        "name: ot\nnamespaces:\n  ot: \"http://www.opentrans.org/XMLSchema/2.1\"\n"
        "  bmecat: \"http://www.bmecat.org/bmecat/2005\"\n"
        "key: $.ot:DISPATCHNOTIFICATION.ot:ID\n"
        "work_order:\n  type: delivery\n  source_ref: $.ot:DISPATCHNOTIFICATION.ot:ID\n"
        "  customer: { name: x }\n  address: { text: x }\n"
        "  notes: $.ot:DISPATCHNOTIFICATION.bmecat:ID\n",
        "ot.yaml");
    for (const std::string prefixes :
         {"xmlns=\"http://www.opentrans.org/XMLSchema/2.1\" xmlns:bmecat=\"http://www.bmecat.org/bmecat/2005\"",
          "xmlns:x=\"http://www.opentrans.org/XMLSchema/2.1\" xmlns=\"http://www.bmecat.org/bmecat/2005\""}) {
        bool default_ot = prefixes.starts_with("xmlns=");
        std::string ot = default_ot ? "" : "x:", bm = default_ot ? "bmecat:" : "";
        auto r = map_xml(*m, "<" + ot + "DISPATCHNOTIFICATION " + prefixes + "><" + bm +
                                 "ID>bmecat-id</" + bm + "ID><" + ot + "ID>OT-7</" + ot +
                                 "ID></" + ot + "DISPATCHNOTIFICATION>");
        INFO(prefixes);
        REQUIRE(r.kind == MapResult::Kind::mapped);
        CHECK(r.work_order.at("source_ref") == "OT-7");
        CHECK(r.work_order.at("notes") == "bmecat-id");
    }
}

TEST_CASE("namespaces: an undeclared namespace keeps its written name, and .*: still reads all",
          "[mapping][namespaces]") {
    auto m = Mapping::compile(
        ubl_header +
            "key: $.d:DespatchAdvice.cbc:ID\nwork_order:\n  type: delivery\n"
            "  source_ref: $.d:DespatchAdvice.*:ID\n  customer: { name: '$.d:DespatchAdvice[\"ext:Owner\"]' }\n"
            "  address: { text: $.d:DespatchAdvice.*:Owner }\n",
        "ns.yaml");
    auto r = map_xml(*m,
                     "<d:DespatchAdvice xmlns:d=\"urn:oasis:names:specification:ubl:schema:xsd:"
                     "DespatchAdvice-2\" xmlns:c=\"" + std::string(cbc) + "\" xmlns:ext=\"urn:x:ext\">"
                     "<c:ID>DA-9</c:ID><ext:Owner>Ops</ext:Owner></d:DespatchAdvice>");
    REQUIRE(r.kind == MapResult::Kind::mapped);
    CHECK(r.work_order.at("source_ref") == "DA-9");
    CHECK(r.work_order.at("customer").at("name") == "Ops");
    CHECK(r.work_order.at("address").at("text") == "Ops");
}

TEST_CASE("namespaces: a prefix redeclared to another URI inside the document is not the mapping's",
          "[mapping][namespaces]") {
    Namespaces ns{{"cbc", cbc}, {"o", "urn:other"}};
    auto tree = decode(
        "<R xmlns:cbc=\"" + std::string(cbc) + "\"><cbc:ID>outer</cbc:ID>"
        "<Inner xmlns:cbc=\"urn:other\"><cbc:ID>other</cbc:ID></Inner>"
        "<Deep xmlns:cbc=\"urn:unknown\"><cbc:ID>unknown</cbc:ID><cbc:Q cbc:u=\"1\"/></Deep></R>");
    auto resolved = resolve_namespaces(tree, ns);
    const auto& r = resolved.at("R");
    CHECK(r.at("cbc:ID") == "outer");
    // The same written prefix now means urn:other, which the mapping calls `o`.
    CHECK(r.at("Inner").at("o:ID") == "other");
    CHECK_FALSE(r.at("Inner").as_object().contains("cbc:ID"));
    // A namespace the mapping does not declare, written with a prefix it does: `{uri}local`,
    // so `cbc:` never reads it, while `.*:ID` still does.
    CHECK(r.at("Deep").at("{urn:unknown}ID") == "unknown");
    CHECK(r.at("Deep").at("{urn:unknown}Q").at("@{urn:unknown}u") == "1");
    CHECK_FALSE(r.at("Deep").as_object().contains("cbc:ID"));
    // Repeats of one written name that a redeclaration splits: each part is what the decoder
    // makes of a name, a lone element a value (not a list of one).
    auto split = resolve_namespaces(
        decode("<R xmlns:b=\"" + std::string(cbc) + "\"><b:Q>1</b:Q><b:Q xmlns:b=\"urn:other\">2</b:Q>"
               "<b:P>x</b:P><b:P>y</b:P></R>"),
        ns);
    CHECK(split.at("R").at("cbc:Q") == "1");
    CHECK(split.at("R").at("o:Q").at("#text") == "2");
    CHECK(json::serialize(split.at("R").at("cbc:P")) == R"(["x","y"])");
    auto m = Mapping::compile(
        "name: t\nnamespaces: { cbc: \"" + std::string(cbc) + "\" }\nkey: $.R.cbc:ID\n"
        "work_order:\n  type: delivery\n  source_ref: $.R.Deep.*:ID\n"
        "  customer: { name: { path: $.R.Deep.cbc:ID, default: none } }\n  address: { text: x }\n",
        "t.yaml");
    auto mapped = m->map(tree);
    REQUIRE(mapped.size() == 1);
    REQUIRE(mapped[0].kind == MapResult::Kind::mapped);
    CHECK(mapped[0].work_order.at("source_ref") == "unknown");
    CHECK(mapped[0].work_order.at("customer").at("name") == "none");
}

TEST_CASE("namespaces: attributes in a namespace take the mapping's prefix, unprefixed ones none",
          "[mapping][namespaces]") {
    Namespaces ns{{"m", "urn:m"}, {"xl", "http://www.w3.org/1999/xlink"}};
    auto tree = decode(
        "<Doc xmlns=\"urn:m\" xmlns:l=\"http://www.w3.org/1999/xlink\" id=\"7\" l:href=\"#a\" "
        "xml:lang=\"de\"><Part l:type=\"simple\">t</Part></Doc>");
    auto resolved = resolve_namespaces(tree, ns);
    const auto& doc = resolved.at("m:Doc");
    // The default namespace applies to elements, not attributes (Namespaces in XML 1.0, 6.2).
    CHECK(doc.at("@id") == "7");
    CHECK(doc.at("@xl:href") == "#a");
    CHECK(doc.at("@xml:lang") == "de");
    CHECK(doc.at("m:Part").at("@xl:type") == "simple");
    CHECK(doc.at("m:Part").at("#text") == "t");
    // Declarations stay as written: a mapping may still read `@xmlns:l`.
    CHECK(doc.at("@xmlns:l") == "http://www.w3.org/1999/xlink");
    CHECK(doc.at("@xmlns") == "urn:m");
}

TEST_CASE("namespaces: siblings written with two prefixes for one URI become one list, JSON input "
          "is unchanged", "[mapping][namespaces]") {
    Namespaces ns{{"m", "urn:m"}};
    auto tree = decode(
        "<R xmlns:a=\"urn:m\" xmlns:b=\"urn:m\"><a:L>1</a:L><b:L>2</b:L><a:L>3</a:L><a:One>x</a:One></R>");
    auto resolved = resolve_namespaces(tree, ns);
    CHECK(json::serialize(resolved.at("R").at("m:L")) == R"(["1","3","2"])");
    CHECK(resolved.at("R").at("m:One") == "x");  // one element stays one value
    // A JSON document has no declarations: a one-element list stays a list, an empty one too.
    auto plain = json::parse(R"({"a:b": 1, "items": [{"x": 1}], "none": [], "deep": [[1, {"y": 2}]]})");
    CHECK(resolve_namespaces(plain, ns) == plain);
    // Renaming a renamed tree changes nothing: a dead letter replayed reads as it first did.
    CHECK(resolve_namespaces(resolved, ns) == resolved);
}

TEST_CASE("namespaces: a failed document is kept renamed, and replays to the same result",
          "[mapping][namespaces]") {
    auto m = Mapping::compile(ubl_mapping, "ns.yaml");
    auto results = m->map(decode(
        "<DespatchAdvice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:DespatchAdvice-2\""
        " xmlns:b=\"" + std::string(cbc) + "\"><b:ID>DA-5</b:ID><DespatchLine xmlns=\"" + cac +
        "\"><b:ID>x</b:ID></DespatchLine></DespatchAdvice>"));
    REQUIRE(results.size() == 1);
    REQUIRE(results[0].kind == MapResult::Kind::failed);
    CHECK(results[0].error->field == "customer.name");  // no DeliveryCustomerParty
    // What the ledger stores and dead-letter replay decodes and maps again (as JSON).
    auto stored = json::parse(json::serialize(results[0].document));
    CHECK(stored.at("d:DespatchAdvice").at("cbc:ID") == "DA-5");
    auto again = m->map(stored);
    REQUIRE(again.size() == 1);
    REQUIRE(again[0].kind == MapResult::Kind::failed);
    CHECK(again[0].error->message() == results[0].error->message());
}

TEST_CASE("namespaces: an XML file read as the file source and `fieldbridge map` read it",
          "[mapping][namespaces]") {
    auto path = fb::testing::temp_path("ns-da.xml");
    std::ofstream(path) << "<?xml version=\"1.0\"?>\n<x:DespatchAdvice xmlns:x=\"urn:oasis:names:"
                           "specification:ubl:schema:xsd:DespatchAdvice-2\" xmlns:y=\""
                        << cbc << "\"><y:ID>DA-F</y:ID></x:DespatchAdvice>\n";
    auto m = Mapping::compile(
        ubl_header + "key: $.d:DespatchAdvice.cbc:ID\nwork_order:\n  type: delivery\n"
                     "  source_ref: $.d:DespatchAdvice.cbc:ID\n  customer: { name: c }\n"
                     "  address: { text: a }\n",
        "ns.yaml");
    std::string error;
    auto docs = read_documents(path, *m, "", "", error);
    REQUIRE(error.empty());
    REQUIRE(docs.size() == 1);
    auto results = m->map(docs[0]);
    REQUIRE(results.size() == 1);
    REQUIRE(results[0].kind == MapResult::Kind::mapped);
    CHECK(results[0].work_order.at("source_ref") == "DA-F");
}

TEST_CASE("namespaces: compile errors name the declaration", "[mapping][namespaces][compile]") {
    const std::string tail =
        "key: $.A\nwork_order:\n  type: delivery\n  source_ref: $.A\n  customer: { name: c }\n"
        "  address: { text: a }\n";
    CHECK(compile_error("name: t\nnamespaces: [a, b]\n" + tail) ==
          "ns.yaml:2:13: `namespaces` takes a map of prefix → namespace URI: { cbc: "
          "\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\" }");
    CHECK(compile_error("name: t\nnamespaces: { a: \"\" }\n" + tail) ==
          "ns.yaml:2:18: namespace `a` has an empty URI (elements in no namespace are read by "
          "their plain name)");
    CHECK(compile_error("name: t\nnamespaces:\n  \"a:b\": urn:x\n" + tail) ==
          "ns.yaml:3:3: a namespace prefix is letters, digits and _ (no `:`, `@`, `-` or `.`), "
          "not `a:b`");
    CHECK(compile_error("name: t\nnamespaces:\n  \"@a\": urn:x\n" + tail) ==
          "ns.yaml:3:3: a namespace prefix is letters, digits and _ (no `:`, `@`, `-` or `.`), "
          "not `@a`");
    for (const char* reserved : {"xml", "xmlns", "XMLfoo"})
        CHECK(compile_error("name: t\nnamespaces:\n  " + std::string(reserved) + ": urn:x\n" + tail) ==
              "ns.yaml:3:3: prefixes starting with `xml` are reserved by XML (`xml:lang` is "
              "always the XML namespace, `xmlns` declares); choose another");
    CHECK(compile_error("name: t\nnamespaces:\n  a: urn:x\n  b: urn:x\n" + tail) ==
          "ns.yaml:4:6: namespace `urn:x` is already declared as `a` (one prefix per URI)");
    CHECK(compile_error("name: t\nnamespaces:\n  a: { uri: urn:x }\n" + tail) ==
          "ns.yaml:3:6: namespace `a` takes a URI (a quoted string)");
    // A path with a prefix the mapping does not declare: a typo that would read nothing.
    CHECK(compile_error("name: t\nnamespaces:\n  cbc: urn:x\nkey: $.R.cbx:ID\n"
                        "work_order:\n  type: delivery\n  source_ref: a\n  customer: { name: c }\n"
                        "  address: { text: a }\n") ==
          "ns.yaml:4:10: namespace prefix `cbx` is not declared under `namespaces:` (`cbc`) "
          "(did you mean `cbc`?); to read an element by the name a sender wrote, use "
          "$[\"cbx:ID\"] in `$.R.cbx:ID`");
    // A request mapping reads JSON: the declaration is refused there.
    CHECK(compile_error("name: w\nnamespaces: { a: urn:x }\nrequest:\n  method: POST\n  url: /x\n") ==
          "ns.yaml:2:13: `namespaces` belongs to work-order mappings (a writeback's `document` "
          "already has the work-order mapping's prefixes)");
}

TEST_CASE("without namespaces: a prefixed path step is the name as written", "[mapping][namespaces]") {
    auto m = Mapping::compile(
        "name: t\nkey: $.ns0:R.ns0:ID\nwork_order:\n  type: delivery\n  source_ref: $.ns0:R.ns0:ID\n"
        "  customer: { name: { path: $.ns0:R.@ns0:who, default: x } }\n  address: { text: a }\n",
        "t.yaml");
    auto r = map_xml(*m, "<ns0:R xmlns:ns0=\"urn:x\" ns0:who=\"W\"><ns0:ID>5</ns0:ID></ns0:R>");
    REQUIRE(r.kind == MapResult::Kind::mapped);
    CHECK(r.work_order.at("source_ref") == "5");
    CHECK(r.work_order.at("customer").at("name") == "W");
}
