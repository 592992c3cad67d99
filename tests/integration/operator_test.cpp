// The operator's page and the admin API behind it: the page is served without data, every /api/
// answer needs the admin token, the overview counts what the state file holds, and a dead letter
// is replayed from the API once the mapping on disk is fixed.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <fstream>

#include "harness.h"
#include "support/eventually.h"
#include "support/source_dir.h"

using namespace fb::testing;
namespace json = boost::json;

namespace {

const std::map<std::string, std::string> admin{{"Authorization", "Bearer op-token-51c7"}};

fb::config::Config operator_config(const std::string& state, const std::string& mapping) {
    setenv("FB_TEST_OPERATOR_TOKEN", "op-token-51c7", 1);
    std::string text = "state: { path: " + state + ", synchronous: normal }\n"
                       "kafka: { brokers: embedded, embedded_brokers: 1 }\n"
                       "http: { listen: 127.0.0.1:0, admin_token: \"${env:FB_TEST_OPERATOR_TOKEN}\" }\n"
                       "flows:\n"
                       "  - name: pages\n"
                       "    source: { type: webhook }\n"
                       "    mapping: " + mapping + "\n";
    return fb::config::parse(text, "operator.yaml", FB_SOURCE_DIR);
}

json::object flow_overview(unsigned short port) {
    auto r = http_request(port, "GET", "/api/overview", "", admin);
    REQUIRE(r.status == 200);
    return r.json().at("flows").at(0).as_object();
}

}  // namespace

TEST_CASE("the operator's page is served without data and every admin endpoint wants the token") {
    auto mapping = temp_path("op-page.yaml");
    std::ofstream(mapping) << page_mapping("$.data[*]");
    RunningApp daemon(operator_config(temp_path("op-page.db"), mapping));
    auto root = http_request(daemon.port(), "GET", "/");
    CHECK(root.status == 302);
    CHECK(root.headers["Location"] == "/ui/");
    auto page = http_request(daemon.port(), "GET", "/ui/");
    REQUIRE(page.status == 200);
    CHECK_THAT(page.headers["Content-Type"], Catch::StartsWith("text/html"));
    CHECK_THAT(page.body, Catch::Contains("<script src=\"page.js\""));
    CHECK_THAT(page.headers["Content-Security-Policy"], Catch::Contains("script-src 'self'"));
    CHECK_THAT(page.headers["Content-Security-Policy"], Catch::Contains("frame-ancestors 'none'"));
    auto script = http_request(daemon.port(), "GET", "/ui/page.js");
    CHECK(script.status == 200);
    CHECK_THAT(script.headers["Content-Type"], Catch::StartsWith("text/javascript"));
    CHECK_THAT(script.body, Catch::Contains("textContent"));
    CHECK(http_request(daemon.port(), "GET", "/ui/page.css").status == 200);
    CHECK(http_request(daemon.port(), "GET", "/ui/../state.db").status == 404);
    CHECK(http_request(daemon.port(), "GET", "/ui/nothing.js").status == 404);

    for (auto target : {"/api/overview", "/api/dead-letter", "/api/trace/pages/A-1"}) {
        CAPTURE(target);
        CHECK(http_request(daemon.port(), "GET", target).status == 401);
        CHECK(http_request(daemon.port(), "GET", target, "", {{"Authorization", "Bearer op-token-51c8"}}).status == 401);
        CHECK(http_request(daemon.port(), "GET", target, "", admin).status == 200);
    }
    CHECK(http_request(daemon.port(), "POST", "/api/dead-letter/replay", "{}").status == 401);
    CHECK(http_request(daemon.port(), "GET", "/api/dead-letter/replay", "", admin).status == 405);
    CHECK(http_request(daemon.port(), "GET", "/api/nothing", "", admin).status == 404);
    for (auto body : {"[1]", "{\"ids\": 3}", "{\"ids\": [\"3\"]}", "{\"ids\": [-1]}", "{not json"}) {
        CAPTURE(body);
        auto r = http_request(daemon.port(), "POST", "/api/dead-letter/replay", body, admin);
        CHECK(r.status == 400);
        CHECK_THAT(r.body, Catch::Contains("ids"));
    }
    auto bad_trace = http_request(daemon.port(), "GET", "/api/trace/pages", "", admin);
    CHECK(bad_trace.status == 400);
}

TEST_CASE("the overview counts documents and dead letters, and a replay from the API lands after the fix") {
    auto mapping = temp_path("op-replay.yaml");
    std::ofstream(mapping) << page_mapping("$.data[*]");
    RunningApp daemon(operator_config(temp_path("op-replay.db"), mapping));
    auto port = daemon.port();
    REQUIRE(http_request(port, "POST", "/webhooks/pages", R"({"data":[{"No":"A-1"}]})").status == 202);
    // The ERP renamed its envelope key: the body is dead-lettered, not lost.
    REQUIRE(http_request(port, "POST", "/webhooks/pages", R"({"rows":[{"No":"B-<img src=x onerror=alert(1)>"}]})").status == 422);

    auto flow = flow_overview(port);
    CHECK(flow.at("name") == "pages");
    CHECK(flow.at("source") == "webhook");
    CHECK(flow.at("writeback").is_null());
    CHECK(flow.at("documents").at("open") == 1);
    CHECK(flow.at("dead_letters").at("open") == 1);
    CHECK(flow.at("work_orders").at("created") == 1);
    REQUIRE(eventually([&] { return flow_overview(port).at("unpublished_events") == 0; }));
    auto overview = http_request(port, "GET", "/api/overview", "", admin).json();
    CHECK(overview.at("readiness").at("ready") == true);
    CHECK(overview.at("now_ms").as_int64() > 0);

    auto letters = http_request(port, "GET", "/api/dead-letter", "", admin).json().at("entries").as_array();
    REQUIRE(letters.size() == 1);
    auto id = letters[0].at("id").as_int64();
    CHECK(letters[0].at("flow") == "pages");
    CHECK_THAT(std::string(letters[0].at("reason").as_string()), Catch::Contains("$.data[*]"));
    CHECK(letters[0].at("arrivals") == 1);
    CHECK(letters[0].at("replayed_at").is_null());

    // Replayed before the fix: still failing, still listed.
    auto again = http_request(port, "POST", "/api/dead-letter/replay", "{\"ids\": [" + std::to_string(id) + "]}", admin);
    REQUIRE(again.status == 200);
    CHECK(again.json().at("replayed") == 0);
    CHECK(again.json().at("still_failing") == 1);

    // A mapping broken on disk: nothing is replayed, and the answer says why.
    std::ofstream(mapping) << "name: page\nkey: [unclosed\n";
    auto broken = http_request(port, "POST", "/api/dead-letter/replay", "{}", admin);
    CHECK(broken.status == 422);
    CHECK_THAT(broken.body, Catch::Contains("nothing was replayed"));

    std::ofstream(mapping) << page_mapping("$.rows[*]");
    auto fixed = http_request(port, "POST", "/api/dead-letter/replay", "{\"ids\": [" + std::to_string(id) + "]}", admin);
    REQUIRE(fixed.status == 200);
    CHECK(fixed.json().at("replayed") == 1);
    CHECK(fixed.json().at("still_failing") == 0);
    flow = flow_overview(port);
    CHECK(flow.at("documents").at("open") == 2);
    CHECK(flow.at("dead_letters").at("open") == 0);
    CHECK(http_request(port, "GET", "/api/dead-letter", "", admin).json().at("entries").as_array().empty());
    auto all = http_request(port, "GET", "/api/dead-letter?all=1", "", admin).json().at("entries").as_array();
    REQUIRE(all.size() == 1);
    CHECK(!all[0].at("replayed_at").is_null());
    // The replayed document reaches Kafka without a restart: the relay was woken.
    REQUIRE(eventually([&] { return flow_overview(port).at("unpublished_events") == 0; }));
    // Any id, percent-encoded as the page sends it.
    auto trace = http_request(port, "GET", "/api/trace/pages/B-%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", "", admin);
    REQUIRE(trace.status == 200);
    CHECK(trace.json().at("document_id") == "B-<img src=x onerror=alert(1)>");
    CHECK(trace.json().at("ledger").at("state") == "open");
    auto messages = consume_at_least(daemon.app().kafka_bootstrap(), "fsm.work-orders", 2);
    CHECK(messages.size() == 2);
}

// The page itself, in Debian's headless chromium (tests/browser/operator_page.mjs): sign-in, the
// flows table, a trace found by id, an ERP's markup shown as text, a replay and a pause from the page.
TEST_CASE("the operator's page works in a browser and shows an ERP's markup as text") {
    auto mapping = temp_path("op-browser.yaml");
    std::ofstream(mapping) << page_mapping("$.data[*]");
    RunningApp daemon(operator_config(temp_path("op-browser.db"), mapping));
    auto port = daemon.port();
    const std::string hostile = "B-<img src=x onerror=alert(1)>";
    REQUIRE(http_request(port, "POST", "/webhooks/pages", R"({"data":[{"No":"A-1"}]})").status == 202);
    REQUIRE(http_request(port, "POST", "/webhooks/pages",
                         R"({")" + hostile + R"(": 1, "rows":[{"No":")" + hostile + R"("}]})").status == 422);
    REQUIRE(eventually([&] { return flow_overview(port).at("unpublished_events") == 0; }));
    std::ofstream(mapping) << page_mapping("$.rows[*]");  // the fix, replayed from the page

    std::string script = std::string(FB_SOURCE_DIR) + "/tests/browser/operator_page.mjs";
    INFO("needs Debian's chromium and tests/browser/node_modules (deploy/install-deps.sh installs both)");
    std::string command = "node '" + script + "' http://127.0.0.1:" + std::to_string(port) +
                          " op-token-51c7 pages '" + hostile + "' 2>&1";
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe);
    char buffer[4096];
    while (auto n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
    int status = pclose(pipe);
    INFO(output);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_THAT(output, Catch::Contains("operator page: sign-in refused and accepted"));
    CHECK_THAT(output, Catch::Contains("pause and resume — ok"));
    // The page paused and resumed through the API: both changes reached the state file.
    CHECK(http_request(port, "POST", "/webhooks/pages", R"({"data":[{"No":"A-3"}]})").status == 202);
}
