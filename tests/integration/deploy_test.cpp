// The deployment files: the Prometheus alert rules are valid, behave as their unit tests say,
// and name only series the daemon exports.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <regex>
#include <set>

#include "harness.h"
#include "publish/kafka.h"
#include "support/source_dir.h"

using namespace fb::testing;

TEST_CASE("the Prometheus alert rules pass promtool and name only series the daemon exports") {
    const std::string dir = FB_SOURCE_DIR + "/deploy/prometheus";
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
        WARN("promtool not installed (apt-get install prometheus): rules not checked by promtool");
    } else {
        CHECK(std::system(("promtool check rules " + dir + "/alerts.yml").c_str()) == 0);
        CHECK(std::system(("cd " + dir + " && promtool test rules alerts_test.yml").c_str()) == 0);
    }
    fb::publish::EmbeddedCluster kafka(1, 1, {"fsm.work-orders", "fsm.dead-letter"});
    RunningApp daemon(test_config(temp_path("alerts.db"), kafka.bootstrap()));
    auto page = http_request(daemon.port(), "GET", "/metrics").body;
    auto rules = read_file(dir + "/alerts.yml");
    static const std::regex series(R"(fieldbridge_[a-z_]+)");
    std::set<std::string> named;
    for (std::sregex_iterator it(rules.begin(), rules.end(), series), end; it != end; ++it)
        named.insert(it->str());
    CHECK(named.size() >= 6);
    for (const auto& name : named) {
        INFO(name);
        CHECK(page.find("\n" + name + " ") != std::string::npos);
    }
}
