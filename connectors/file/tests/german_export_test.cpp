// A German ERP's exports, configured from the README alone (mappings/de-export/): UTF-16LE CSV
// with a byte-order mark, semicolons, CRLF and decimal commas, completed by a marker file with a
// suffix of the ERP's choosing (`x.csv.done`), and an ISO-8859-1 XML export that arrives by
// rename from `*.tmp`. Each file becomes its work orders; the marker leaves with its file.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "harness.h"
#include "publish/kafka.h"
#include "support/eventually.h"
#include "support/temp_dir.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

struct Export {
    fb::test::TempDir dir{"de-export"};
    fb::publish::EmbeddedCluster kafka{1, 1, {"fsm.work-orders", "fsm.dead-letter"}};
    fs::path inbox = dir.path() / "inbox";
    Export() { fs::create_directories(inbox); }
    fb::config::Config config(const std::string& source, const std::string& mapping) const {
        return fb::config::parse("state: { path: " + dir.str("state.db") + ", synchronous: normal }\n"
                                 "kafka: { brokers: \"" + kafka.bootstrap() + "\" }\n"
                                 "http: { listen: 127.0.0.1:0 }\n"
                                 "flows:\n"
                                 "  - name: lieferscheine\n"
                                 "    source: { type: file, inbox: " + inbox.string() + ", rescan: 500ms, " + source + " }\n"
                                 "    mapping: " + mapping + "\n",
                                 "de.yaml", FB_SOURCE_DIR);
    }
    std::map<std::string, json::value> work_orders(std::size_t n) const {
        std::map<std::string, json::value> out;
        for (const auto& m : consume_at_least(kafka.bootstrap(), "fsm.work-orders", n)) {
            auto v = json::parse(m.value);
            out[std::string(v.at("source").at("document_id").as_string())] = v.at("work_order");
        }
        return out;
    }
    std::int64_t scans(RunningApp& app) const {
        auto text = http_request(app.port(), "GET", "/metrics").body;
        auto at = text.find("fieldbridge_file_scans_total{flow=\"lieferscheine\"");
        return at == std::string::npos ? 0 : std::stoll(text.substr(text.find('}', at) + 2));
    }
};

const std::string csv_fixture = std::string(FB_SOURCE_DIR) +
    "/mappings/de-export/tests/lieferschein-to-delivery/lieferscheine-20261120.input.csv";

}  // namespace

TEST_CASE("a UTF-16LE semicolon CSV with decimal commas, taken when its .done marker appears") {
    Export t;
    RunningApp app(t.config("patterns: [\"*.csv\"], complete: marker, marker: .done",
                            "mappings/de-export/lieferschein-to-delivery.yaml"));
    fs::copy_file(csv_fixture, t.inbox / "LS_20261120.csv");
    auto before = t.scans(app);
    REQUIRE(eventually([&] { return t.scans(app) >= before + 3; }));
    CHECK(fs::exists(t.inbox / "LS_20261120.csv"));  // no marker yet: not complete
    std::ofstream(t.inbox / "LS_20261120.csv.done") << "";
    REQUIRE(eventually([&] { return fs::exists(t.dir.path() / "done" / "LS_20261120.csv"); }));
    CHECK_FALSE(fs::exists(t.inbox / "LS_20261120.csv.done"));
    auto orders = t.work_orders(2);
    REQUIRE(orders.size() == 2);
    const auto& wo = orders.at("LS-2026-0815");
    CHECK(wo.at("customer").at("name") == "Müller Küchen GmbH");
    CHECK(wo.at("address").at("text") == "Hauptstraße 5, 10115 Berlin");
    REQUIRE(wo.at("items").as_array().size() == 2);
    CHECK(wo.at("items").at(0).at("quantity") == 1.5);
    CHECK(wo.at("items").at(1).at("quantity") == 1234.5);
    CHECK(wo.at("items").at(1).at("name") == "Kabel \"NYM\" 3x1,5");
    CHECK(orders.at("LS-2026-0816").at("items").at(0).at("quantity") == 2);
}

TEST_CASE("an ISO-8859-1 XML export written as .tmp and renamed when complete") {
    Export t;
    RunningApp app(t.config("patterns: [\"*.xml\"], complete: rename",
                            "mappings/de-export/lieferschein-xml-to-delivery.yaml"));
    std::string xml =
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\r\n<Lieferscheine>"
        "<Lieferschein><Nummer>LS-2026-0901</Nummer><Geaendert>20.11.2026 16:41:07</Geaendert>"
        "<Kunde nr=\"K-1007\"><Name>M\xFCller K\xFC" "chen GmbH</Name><Strasse>Hauptstra\xDF" "e 5</Strasse><PLZ>10115</PLZ><Ort>Berlin</Ort></Kunde>"
        "<Position nr=\"1\"><Artikel>KS-200</Artikel><Bezeichnung>K\xFChlschrank</Bezeichnung><Menge>1,5</Menge><Einheit>Stk</Einheit></Position>"
        "<Position nr=\"2\"><Artikel>MONT</Artikel><Bezeichnung>Montage</Bezeichnung><Menge>1</Menge><Einheit>Std</Einheit></Position>"
        "</Lieferschein>"
        "<Lieferschein><Nummer>LS-2026-0902</Nummer><Geaendert>20.11.2026 17:00:00</Geaendert>"
        "<Kunde nr=\"K-2040\"><Name>B\xE4" "ckerei Gro\xDF</Name><Strasse>Lindenallee 12</Strasse><PLZ>80331</PLZ><Ort>M\xFCnchen</Ort></Kunde>"
        "<Position nr=\"1\"><Artikel>OF-90</Artikel><Bezeichnung>Backofen</Bezeichnung><Menge>2</Menge><Einheit>Stk</Einheit></Position>"
        "</Lieferschein></Lieferscheine>\r\n";
    // The ERP writes the file under a temporary name: never taken, however long it sits there.
    std::ofstream(t.inbox / "LS_20261120.xml.tmp", std::ios::binary) << xml.substr(0, 200);
    auto before = t.scans(app);
    REQUIRE(eventually([&] { return t.scans(app) >= before + 3; }));
    CHECK(fs::exists(t.inbox / "LS_20261120.xml.tmp"));
    std::ofstream(t.inbox / "LS_20261120.xml.tmp", std::ios::binary) << xml;
    fs::rename(t.inbox / "LS_20261120.xml.tmp", t.inbox / "LS_20261120.xml");
    REQUIRE(eventually([&] { return fs::exists(t.dir.path() / "done" / "LS_20261120.xml"); }));
    auto orders = t.work_orders(2);
    REQUIRE(orders.size() == 2);
    CHECK(orders.at("LS-2026-0901").at("customer").at("name") == "Müller Küchen GmbH");
    CHECK(orders.at("LS-2026-0901").at("items").as_array().size() == 2);
    CHECK(orders.at("LS-2026-0901").at("items").at(0).at("quantity") == 1.5);
    CHECK(orders.at("LS-2026-0902").at("customer").at("name") == "Bäckerei Groß");
    CHECK(orders.at("LS-2026-0902").at("address").at("text") == "Lindenallee 12, 80331 München");
    CHECK(orders.at("LS-2026-0902").at("items").as_array().size() == 1);  // one <Position>: an object, still one item
}
