#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "config/config.h"
#include "support/temp_folder.h"

using fb::config::ConfigError;
using fb::config::parse;

namespace {

const char* good = R"(state: { path: /tmp/fb.db }
kafka:
  brokers: embedded
  properties: { linger.ms: "5" }
  topics: { work_orders: wo }
http: { listen: 127.0.0.1:0, admin_token: "${env:FB_TEST_TOKEN}" }
outbox: { high_water: 100, low_water: 50, retention: 10m }
flows:
  - name: delivery
    source: { type: webhook }
    mapping: mappings/generic-rest/shipment-to-delivery.yaml
)";

std::string error_of(const std::string& text) {
    setenv("FB_TEST_TOKEN", "s3cret", 0);
    try {
        parse(text, "fb.yaml", "/etc/fb");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("a good config loads with its values and defaults") {
    setenv("FB_TEST_TOKEN", "s3cret", 1);
    auto c = parse(good, "fb.yaml", "/etc/fb");
    CHECK(c.state.path == "/tmp/fb.db");
    CHECK(c.state.synchronous == "full");
    CHECK(c.kafka.embedded());
    CHECK(c.kafka.properties.at("linger.ms") == "5");
    CHECK(c.kafka.topics.work_orders == "wo");
    CHECK(c.kafka.topics.status == "fsm.work-order-status");
    CHECK(c.http.port == 0);
    CHECK(c.http.admin_token == "s3cret");
    CHECK(c.http.workers == 0);  // one per core
    CHECK(c.outbox.high_water == 100);
    CHECK(c.outbox.retention == std::chrono::seconds(600));
    REQUIRE(c.flows.size() == 1);
    CHECK(c.flows[0].mapping == "/etc/fb/mappings/generic-rest/shipment-to-delivery.yaml");
    CHECK(c.flows[0].document_type == "delivery");
}

TEST_CASE("an unknown key is named with file, line, column and a suggestion") {
    auto text = std::string(good) + "outbx: {}\n";
    CHECK(error_of(text) == "fb.yaml:12:1: unknown key `outbx` in config (did you mean `outbox`?)");
    CHECK(error_of("state: { pth: x }\nflows: []\n") ==
          "fb.yaml:1:10: unknown key `pth` in config.state (did you mean `path`?)");
}

TEST_CASE("a wrong type is named with file, line and column") {
    std::string text = good;
    text.replace(text.find("high_water: 100"), 15, "high_water: lots");
    CHECK(error_of(text) == "fb.yaml:7:23: config.outbox.high_water must be an integer, found `lots`");
    text = good;
    text.replace(text.find("retention: 10m"), 14, "retention: 10 minutes");
    CHECK_THAT(error_of(text), Catch::StartsWith("fb.yaml:7:54: config.outbox.retention must be a duration"));
    text = good;
    text.replace(text.find("127.0.0.1:0"), 11, "localhost");
    CHECK(error_of(text) == "fb.yaml:6:17: http.listen must be host:port, e.g. 127.0.0.1:8088");
    text = good;
    text.replace(text.find("listen:"), 7, "workers: 1000, listen:");
    CHECK_THAT(error_of(text), Catch::Contains("config.http.workers must be between 0 and 256"));
}

TEST_CASE("a missing required field is named with file, line and column") {
    std::string text = good;
    text.replace(text.find("    mapping: mappings"), 4, "    x");
    CHECK(error_of(text) == "fb.yaml:9:5: flow: missing required field `mapping`");
    CHECK(error_of("flows:\n  - name: delivery\n    source: { type: webhook }\n") ==
          "fb.yaml:2:5: flow: missing required field `mapping`");
    CHECK(error_of("state: {}\n") == "fb.yaml:1:1: config: `flows` must list at least one flow");
}

TEST_CASE("a config nested past yaml-cpp's depth guard says so, not 'bad file'") {
    auto e = error_of(std::string(good) + "extra: " + std::string(3000, '{') + "\n");
    CHECK_THAT(e, Catch::StartsWith("fb.yaml:"));
    CHECK_THAT(e, Catch::Contains("nested too deeply"));
    CHECK_THAT(e, !Catch::Contains("bad file"));
}

TEST_CASE("malformed YAML, bad values and unset secrets are refused clearly") {
    CHECK_THAT(error_of("flows: [\n"), Catch::StartsWith("fb.yaml:2:1: "));
    CHECK_THAT(error_of("- a\n- b\n"), Catch::Contains("must be a YAML mapping"));
    unsetenv("FB_TEST_TOKEN");
    CHECK_THROWS_WITH(parse(good, "fb.yaml"), "fb.yaml:6:43: environment variable FB_TEST_TOKEN is not set");
    std::string text = good;
    text.replace(text.find("type: webhook"), 13, "type: carrier_pigeon");
    CHECK(error_of(text) ==
          "fb.yaml:10:21: unknown source type `carrier_pigeon` (known: webhook, file, http_poll)");
    text = good;
    text += "  - name: delivery\n    source: { type: webhook }\n    mapping: m.yaml\n";
    CHECK(error_of(text) == "fb.yaml:12:5: flow name `delivery` is used twice");
}

TEST_CASE("a secret can come from a file, trailing newline trimmed") {
    auto secret = fb::testing::temp_path("fb-test-secret");
    std::string text = good;
    text.replace(text.find("${env:FB_TEST_TOKEN}"), 20, "${file:" + secret + "}");
    CHECK_THROWS_WITH(parse(text, "fb.yaml"), "fb.yaml:6:43: cannot read secret file " + secret);
    std::ofstream(secret) << "from-file\n";
    CHECK(parse(text, "fb.yaml").http.admin_token == "from-file");
}

TEST_CASE("a config file that does not exist is named") {
    CHECK_THROWS_WITH(fb::config::load("/nonexistent/fb.yaml"),
                      "/nonexistent/fb.yaml: cannot read the config file");
}

TEST_CASE("the state volume settings have defaults, and a reserve smaller than the WAL is refused") {
    setenv("FB_TEST_TOKEN", "s3cret", 0);
    auto c = parse(good, "fb.yaml", "/etc/fb");
    CHECK(c.state.wal_max_bytes == 16 << 20);
    CHECK(c.state.reserve_bytes == 64 << 20);
    CHECK(c.kafka.delivery_stall == std::chrono::seconds(30));
    std::string text = good;
    text.replace(0, text.find('\n'),
                 "state: { path: /tmp/fb.db, wal_max_bytes: 1048576, reserve_bytes: 0 }");
    CHECK(parse(text, "fb.yaml").state.reserve_bytes == 0);
    text.replace(0, text.find('\n'),
                 "state: { path: /tmp/fb.db, wal_max_bytes: 1048576, reserve_bytes: 65536 }");
    CHECK_THAT(error_of(text), Catch::Contains("fb.yaml:1:") &&
                                   Catch::Contains("state.reserve_bytes (65536) must be 0 or at "
                                                   "least state.wal_max_bytes (1048576)"));
}
