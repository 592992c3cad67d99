#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "harness.h"
#include "ledger/dead_letter.h"
#include "store/database.h"
#include "support/source_dir.h"

using namespace fb::testing;

namespace {

struct Run {
    int status;
    std::string output;
};

Run fieldbridge(const std::string& args) {
    std::string cmd = std::string(FB_BINARY) + " " + args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (auto n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    int status = ::pclose(p);
    return {WEXITSTATUS(status), out};
}

}  // namespace

TEST_CASE("fieldbridge version prints the version") {
    auto r = fieldbridge("version");
    CHECK(r.status == 0);
    CHECK_THAT(r.output, Catch::StartsWith("fieldbridge 0."));
}

TEST_CASE("fieldbridge check accepts the quickstart config and opens no state file") {
    auto r = fieldbridge(std::string("check --config ") + FB_SOURCE_DIR + "/deploy/examples/quickstart.yaml");
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK_THAT(r.output, Catch::Contains("2 flow(s), config and mappings valid"));
}

TEST_CASE("fieldbridge check refuses a broken config with file, line and column") {
    auto path = temp_path("broken.yaml");
    std::ofstream(path) << "kafka: { brokers: embedded }\nflows:\n  - name: delivery\n    source: { type: webhook }\n"
                           "    mapping: m.yaml\n    mapping_file: x\n";
    auto r = fieldbridge("check --config " + path);
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains(path + ":6:5: unknown key `mapping_file` in flow (did you mean `mapping`?)"));
}

TEST_CASE("fieldbridge check names a mapping that does not compile") {
    auto dir = temp_path("badmap");
    auto mapping = dir + ".yaml";
    std::ofstream(mapping) << "name: broken\nkey: $.DocNo\nwork_order:\n  type: { pth: $.X }\n";
    auto path = dir + "-config.yaml";
    std::ofstream(path) << "flows:\n  - name: delivery\n    source: { type: webhook }\n    mapping: " << mapping << "\n";
    auto r = fieldbridge("check --config " + path);
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains(mapping + ":4:"));
}

TEST_CASE("fieldbridge map --explain shows each document's decisions, and a mismatched input exits 1") {
    std::string mapping = std::string(FB_SOURCE_DIR) + "/mappings/sap-idoc/delvry07-to-delivery.yaml";
    auto ok = fieldbridge("map --explain --mapping " + mapping + " " + FB_SOURCE_DIR +
                          "/mappings/sap-idoc/tests/delvry07-to-delivery/DELVRY07-0080004712.input.xml");
    INFO(ok.output);
    CHECK(ok.status == 0);
    CHECK_THAT(ok.output, Catch::Contains("document 80004712: mapped"));
    CHECK_THAT(ok.output, Catch::Contains("when: $.EDI_DC40.MESTYP in [\"DESADV\", \"SHPORD\"] → true"));
    CHECK_THAT(ok.output, Catch::Contains("work order: {"));
    auto xml = temp_path("ns0-idoc.xml");
    std::ofstream(xml) << "<ns0:DELVRY07 xmlns:ns0=\"urn:sap-com:document:sap:idoc\"><ns0:IDOC/></ns0:DELVRY07>";
    auto none = fieldbridge("map --mapping " + mapping + " " + xml);
    INFO(none.output);
    CHECK(none.status == 1);
    CHECK_THAT(none.output, Catch::Contains("documents: $.DELVRY07.IDOC[*]"));
    CHECK_THAT(none.output, Catch::Contains("`ns0:DELVRY07` (an object)"));
}

TEST_CASE("fieldbridge dead-letter list shows an ERP's answer with its control characters written out") {
    // An ERP's 422 that carries a newline, a forged entry and an escape sequence is one line of
    // the list, not two entries and a red terminal.
    auto state = temp_path("dl-escape.db");
    {
        fb::store::Database db(state);
        fb::ledger::add_dead_letter(db, fb::config::Topics{}, "delivery", "writeback", "SO-1234",
                                    "ERP refused POST https://erp/x: HTTP 422 oops\n#99  2026-12-08  polled  writeback  "
                                    "HX-FAKE  forged entry\x1b[31mRED\x1b[0m\r\x07",
                                    "{}");
    }
    auto config = temp_path("dl-escape.yaml");
    // The flow's webhook secret lives in the service's environment, which the operator's shell
    // lacks: the commands that only read the state file do not need it.
    std::ofstream(config) << "state: { path: " << state << " }\nflows:\n  - name: delivery\n"
                             "    source: { type: webhook, hmac: { secret: \"${env:FB_CLI_TEST_UNSET_SECRET}\", header: X-Sig } }\n"
                             "    writeback:\n      mapping: " << FB_SOURCE_DIR << "/mappings/generic-rest/delivery-completion.yaml\n"
                             "      sink: { type: http, base_url: \"${env:FB_CLI_TEST_UNSET_URL}\", "
                             "auth: { bearer: \"${file:/nonexistent/fb-token}\" } }\n"
                             "    mapping: " << FB_SOURCE_DIR << "/mappings/generic-rest/shipment-to-delivery.yaml\n";
    unsetenv("FB_CLI_TEST_UNSET_SECRET");
    CHECK_THAT(fieldbridge("check --config " + config).output, Catch::Contains("environment variable FB_CLI_TEST_UNSET_SECRET is not set"));
    CHECK(fieldbridge("trace --config " + config + " delivery SO-1234").status == 0);
    auto r = fieldbridge("dead-letter list --config " + config);
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 2);  // the entry, and the count
    CHECK_THAT(r.output, Catch::Contains("HTTP 422 oops\\n#99  2026-12-08") &&
                             Catch::Contains("forged entry\\x1b[31mRED\\x1b[0m\\r\\x07"));
    CHECK(r.output.find('\x1b') == std::string::npos);
    CHECK_THAT(r.output, Catch::EndsWith("1 dead-letter entry\n"));
}
