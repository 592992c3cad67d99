// `fieldbridge map` and `fieldbridge test` as library functions, and every shipped fixture.
#include "mapping/tools.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "helpers.h"
#include "support/temp_folder.h"

using namespace fb::mapping;
using namespace fb::mapping::testing;
namespace fs = std::filesystem;

TEST_CASE("every example mapping in mappings/ passes its fixtures") {
    std::ostringstream out;
    int rc = test_command({repo("mappings")}, out);
    INFO(out.str());
    CHECK(rc == 0);
    CHECK_THAT(out.str(), Catch::Contains(" passed, 0 failed"));
    CHECK_THAT(out.str(), Catch::Contains("sap-idoc"));
    CHECK_THAT(out.str(), Catch::Contains("yonyou-u8"));
    CHECK_THAT(out.str(), Catch::Contains("odoo/tests/picking-to-delivery"));
}

TEST_CASE("map prints the work order and exits 0, a bad document exits 1 with the reason") {
    std::ostringstream out, err;
    int rc =
        map_command(repo("mappings/generic-rest/shipment-to-delivery.yaml"),
                    {repo("tests/fixtures/samples/generic-rest/shipment-CK20261120-0042.json")}, "",
                    "", out, err);
    CHECK(rc == 0);
    CHECK_THAT(out.str(), Catch::Contains("\"phone\": \"+8613910228834\""));
    CHECK_THAT(out.str(), Catch::Contains("\"weight_kg\": 42.5"));
    std::ostringstream out2, err2;
    rc = map_command(repo("mappings/generic-rest/shipment-to-delivery.yaml"),
                     {repo("tests/fixtures/samples/bad-input/wrong-types.json")}, "", "", out2,
                     err2);
    CHECK(rc == 1);
    CHECK_THAT(err2.str(), Catch::Contains("field customer.phone"));
}

TEST_CASE("map reads a GBK CSV as the mapping's input section says") {
    std::ostringstream out, err;
    int rc =
        map_command(repo("mappings/yonyou-u8/dispatchlist-to-delivery.yaml"),
                    {repo("tests/fixtures/samples/yonyou-u8-csv/dispatchlist-20261120.gbk.csv")},
                    "", "", out, err);
    INFO(err.str());
    CHECK(rc == 0);
    CHECK_THAT(out.str(), Catch::Contains("北京欧雅装饰工程有限公司"));
}

TEST_CASE("map reports a mapping that does not compile") {
    auto path = fs::path(fb::testing::temp_path("fb-broken-mapping.yaml"));
    std::ofstream(path) << "name: broken\nkey: $.DocNo\nwork_order:\n  type: { pth: $.X }\n";
    std::ostringstream out, err;
    CHECK(map_command(path.string(), {}, "", "", out, err) == 1);
    CHECK_THAT(err.str(), Catch::Contains(path.string() + ":4:11:"));
}

TEST_CASE("a failing fixture prints a diff and the count, and exits non-zero") {
    auto dir = fs::path(fb::testing::temp_path("fb-fixture-test"));
    fs::remove_all(dir);
    fs::create_directories(dir / "tests" / "m");
    std::ofstream(dir / "m.yaml")
        << "key: $.DocNo\nwork_order:\n  type: delivery\n  source_ref: $.DocNo\n"
           "  customer: { name: $.Name }\n  address: { text: $.Street }\n";
    std::ofstream(dir / "tests" / "m" / "good.input.json")
        << R"({"DocNo": "A", "Name": "n", "Street": "s"})";
    std::ofstream(dir / "tests" / "m" / "good.expected.json")
        << R"({"type": "delivery", "source_ref": "A", "customer": {"name": "n"}, "address": {"text": "s"}})";
    std::ofstream(dir / "tests" / "m" / "bad.input.json")
        << R"({"DocNo": "B", "Name": "n", "Street": "s"})";
    std::ofstream(dir / "tests" / "m" / "bad.expected.json")
        << R"({"type": "delivery", "source_ref": "B", "customer": {"name": "m"}, "address": {"text": "s"}, "notes": "x"})";
    std::ofstream(dir / "tests" / "m" / "failing.input.json") << R"({"Name": "n"})";
    std::ofstream(dir / "tests" / "m" / "failing.expected.json")
        << R"({"$result": "failed", "error": "$.DocNo"})";

    std::ostringstream out;
    int rc = test_command({(dir / "m.yaml").string()}, out);
    CHECK(rc != 0);
    auto text = out.str();
    CHECK_THAT(text, Catch::Contains("work_order.customer.name: expected \"m\", got \"n\""));
    CHECK_THAT(text, Catch::Contains("work_order.notes: expected \"x\", missing"));
    CHECK_THAT(text, Catch::EndsWith("2 passed, 1 failed\n"));
    CHECK(fixture_dirs_for((dir / "m.yaml").string()) ==
          std::vector<std::string>{(dir / "tests" / "m").string()});

    std::ostringstream by_folder;
    CHECK(test_command({(dir / "tests" / "m").string()}, by_folder) != 0);
    CHECK_THAT(by_folder.str(), Catch::EndsWith("2 passed, 1 failed\n"));
}

TEST_CASE("test with nothing to test fails") {
    std::ostringstream out;
    CHECK(test_command({"/nonexistent"}, out) != 0);
    CHECK_THAT(out.str(), Catch::EndsWith("0 passed, 1 failed\n"));
}
